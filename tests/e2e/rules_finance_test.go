package e2e

// Rules a district can audit, through the REST gateway of the all-in-one: a project's
// contracts are records, one per payee however it is spelt, and every disbursement names
// one; the 97% cap is the contract's, and the disclosure shows per contract what is paid
// and what is still held (rule 9); income from a use of common parts needs a resolution
// naming that use (rule 10).

import (
	"net/http"
	"testing"
)

func TestRulesFinanceThroughREST(t *testing.T) {
	c := startApp(t)
	d := c.buildDistrict()
	contracts := path("/v1/projects/%s/contracts", d.p1.ID)
	disbursements := path("/v1/projects/%s/disbursements", d.p1.ID)
	badRequest := func(r response, field, what string) {
		t.Helper()
		if _, ok := c.failure(r, http.StatusBadRequest, what).violation(field); !ok {
			t.Errorf("%s: violations do not name %s: %s", what, field, r.body)
		}
	}

	// Rule 9: a contract is a record: payee, amount, the project's items it covers.
	var k struct {
		ID        string   `json:"id"`
		Payee     string   `json:"payee"`
		AmountFen int64    `json:"amountFen,string"`
		ItemIDs   []string `json:"itemIds"`
		PaidFen   int64    `json:"paidFen,string"`
		HeldFen   int64    `json:"heldFen,string"`
	}
	c.call("POST", contracts, map[string]any{"payee": " 蓉城 建工 ", "amountFen": "300000", "itemIds": []string{d.item}, "requestId": "contract-1"}, &k)
	if k.ID == "" || k.Payee != "蓉城 建工" || k.AmountFen != 300_000 || len(k.ItemIDs) != 1 || k.HeldFen != 9_000 {
		t.Fatalf("contract = %+v", k)
	}
	// The same payee spelt with a full-width space and padding: no second contract.
	r := c.do("POST", contracts, map[string]any{"payee": "蓉城\u3000建工\u3000", "amountFen": "900000", "requestId": "contract-2"})
	if st := c.failure(r, http.StatusConflict, "a second contract with the payee"); st.reason() != "CONTRACT_EXISTS" {
		t.Errorf("a second contract with the payee: reason %q, want CONTRACT_EXISTS", st.reason())
	}
	badRequest(c.do("POST", contracts, map[string]any{"payee": "监理公司", "amountFen": "1000", "itemIds": []string{"no-such-item"}}), "contract.itemIds[0]", "a contract for an item not of the project")
	// Not on a project only PROPOSED.
	st := c.refused(c.do("POST", path("/v1/projects/%s/contracts", d.p2.ID), map[string]any{"payee": "监理公司", "amountFen": "1000"}), "PROJECT_NOT_ACTIVE", "a contract on a PROPOSED project")
	if financeMeta(st)["status"] != "PROPOSED" {
		t.Errorf("PROJECT_NOT_ACTIVE metadata %v, want status PROPOSED", financeMeta(st))
	}

	// Every disbursement names a contract of the project, and an item of it.
	badRequest(c.do("POST", disbursements, map[string]any{"amountFen": "100", "requestId": "d-0"}), "disbursement.contractId", "a disbursement naming no contract")
	badRequest(c.do("POST", disbursements, map[string]any{"contractId": "01j00000000000000000000000", "amountFen": "100", "requestId": "d-0"}), "disbursement.contractId", "a disbursement naming an unknown contract")
	badRequest(c.do("POST", disbursements, map[string]any{"contractId": k.ID, "itemId": "no-such-item", "amountFen": "100", "requestId": "d-0"}), "disbursement.itemId", "a disbursement for an item not of the project")

	var paid struct {
		ContractID        string `json:"contractId"`
		Payee             string `json:"payee"`
		ContractAmountFen int64  `json:"contractAmountFen,string"`
		PaidToPayeeFen    int64  `json:"paidToPayeeFen,string"`
	}
	c.call("POST", disbursements, map[string]any{"contractId": k.ID, "itemId": d.item, "amountFen": "291000", "requestId": "d-1"}, &paid)
	if paid.ContractID != k.ID || paid.Payee != "蓉城 建工" || paid.ContractAmountFen != 300_000 || paid.PaidToPayeeFen != 291_000 {
		t.Fatalf("disbursement = %+v", paid)
	}
	st = c.refused(c.do("POST", disbursements, map[string]any{"contractId": k.ID, "amountFen": "1", "requestId": "d-2"}), "RETENTION_HELD", "paying into the retention before acceptance")
	if md := financeMeta(st); md["overFen"] != "1" || md["limitFen"] != "291000" {
		t.Errorf("RETENTION_HELD metadata %v", md)
	}

	// The contracts and the public disclosure show what is paid and what is still held.
	var list struct {
		Contracts []struct {
			ID      string `json:"id"`
			PaidFen int64  `json:"paidFen,string"`
			HeldFen int64  `json:"heldFen,string"`
		} `json:"contracts"`
	}
	c.call("GET", contracts, nil, &list)
	if len(list.Contracts) != 1 || list.Contracts[0].ID != k.ID || list.Contracts[0].PaidFen != 291_000 || list.Contracts[0].HeldFen != 9_000 {
		t.Errorf("contracts = %+v, want one, 291000 paid and 9000 held", list)
	}
	var pd struct {
		SpendingByPayee []struct {
			ContractID string `json:"contractId"`
			Payee      string `json:"payee"`
			PaidFen    int64  `json:"paidFen,string"`
			HeldFen    int64  `json:"heldFen,string"`
		} `json:"spendingByPayee"`
	}
	c.noToken().call("GET", path("/v1/projects/%s/disclosure", d.p1.ID), nil, &pd)
	if len(pd.SpendingByPayee) != 1 || pd.SpendingByPayee[0].ContractID != k.ID || pd.SpendingByPayee[0].PaidFen != 291_000 || pd.SpendingByPayee[0].HeldFen != 9_000 {
		t.Errorf("disclosure spending by payee = %+v, want contract %s, 291000 paid and 9000 held", pd.SpendingByPayee, k.ID)
	}

	// Rule 10: a resolution allowing shops does not allow parking let to outsiders.
	shops := c.createSurvey(map[string]any{"compoundId": d.k1.ID, "title": "空余用房出租表决", "kind": "RESOLUTION", "matter": "COMMON_PART_BUSINESS",
		"businessUses": []string{"SHOP_RENT"}, "questions": []map[string]any{voteQuestion}})
	c.transition(shops.ID, "open", "OPEN")
	for _, h := range append(ids(d.k1.households, func(h household) string { return h.ID }), d.h1.ID) {
		c.vote(shops.ID, h, "agree")
	}
	c.transition(shops.ID, "close", "CLOSED")
	income := path("/v1/compounds/%s/income", d.k1.ID)
	st = c.refused(c.do("POST", income, map[string]any{"stream": "PARKING_PUBLIC", "amountFen": "30000", "resolutionSurveyId": shops.ID, "requestId": "in-1"}), "RESOLUTION_NOT_FOR_USE", "parking let to outsiders on a shops resolution")
	if md := financeMeta(st); md["stream"] != "PARKING_PUBLIC" || md["uses"] != "SHOP_RENT" {
		t.Errorf("RESOLUTION_NOT_FOR_USE metadata %v", md)
	}
	c.call("POST", income, map[string]any{"stream": "SHOP_RENT", "amountFen": "30000", "resolutionSurveyId": shops.ID, "requestId": "in-2"}, nil)
}

// financeMeta returns the ErrorInfo metadata of a refusal (the figures behind it).
func financeMeta(st apiStatus) map[string]string {
	for _, d := range st.Details {
		if d.Type == errorInfoType {
			return d.Metadata
		}
	}
	return nil
}
