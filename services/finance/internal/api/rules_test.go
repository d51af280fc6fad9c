package api_test

import (
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	prjpb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// Rule 9 (retention): a project's contracts are records (payee, amount), one per payee,
// the payee's name compared normalised; a contract may be signed once the project is
// APPROVED, never while only PROPOSED or once CANCELLED; its items are items of the
// project.
func TestRule9ContractsAreRecordsOnePerPayee(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 2)

	c := testkit.Must[*pb.Contract](t)(e.contract(s.project, "  川建  三公司 ", 10_000_000, "c-1", s.road, s.drain))
	if c.Id == "" || c.Payee != "川建 三公司" || c.AmountFen != 10_000_000 || c.ProjectId != s.project || len(c.ItemIds) != 2 || c.PaidFen != 0 || c.HeldFen != 300_000 {
		t.Fatalf("%v", c)
	}
	// A retry replays it.
	again := testkit.Must[*pb.Contract](t)(e.contract(s.project, "  川建  三公司 ", 10_000_000, "c-1", s.road, s.drain))
	if again.Id != c.Id {
		t.Fatalf("replay made %s, first %s", again.Id, c.Id)
	}
	// The same payee spelt otherwise (an ideographic space, full-width letters) is the
	// same payee: no second contract, so no second allowance.
	full := testkit.Must[*pb.Contract](t)(e.contract(s.project, "ＡＢＣ建筑", 1_000_000, "c-2"))
	for i, spelling := range []string{"川建 三公司", "川建\u3000三公司", "\u3000川建 三公司", "ABC建筑", " ＡＢＣ建筑"} {
		_, err := e.contract(s.project, spelling, 5_000_000, fmt.Sprintf("c-x%d", i))
		testkit.WantReason(t, err, codes.AlreadyExists, "CONTRACT_EXISTS")
	}
	if full.Payee != "ABC建筑" {
		t.Fatalf("payee kept as %q", full.Payee)
	}
	// Another project may contract the same payee.
	other := e.approved(t, s.compound, budget)
	testkit.Must[*pb.Contract](t)(e.contract(other, "川建 三公司", 1_000, "c-3"))

	// Bad input, naming the field; nothing recorded.
	_, err := e.contract(s.project, " \u3000 ", 1_000, "c-4")
	testkit.WantViolation(t, err, "contract.payee")
	_, err = e.contract(s.project, "监理公司", 0, "c-4")
	testkit.WantViolation(t, err, "contract.amountFen")
	_, err = e.contract(s.project, "监理公司", 1_000, "c-4", s.road, "no-such-item")
	testkit.WantViolation(t, err, "contract.itemIds[1]")
	_, err = e.contract(s.project, "监理公司", 1_000, "c-4", s.road, s.road)
	testkit.WantViolation(t, err, "contract.itemIds[1]")
	_, err = e.contract("prj-none", "监理公司", 1_000, "c-4")
	testkit.WantStatus(t, err, codes.NotFound)
	// The first project's road is no item of the other one.
	_, err = e.contract(other, "监理公司", 1_000, "c-4", s.road)
	testkit.WantViolation(t, err, "contract.itemIds[0]")

	// Not while only PROPOSED, not once CANCELLED (even after its approval).
	cancelled := e.approved(t, s.compound, budget)
	e.cancel(t, cancelled)
	for _, p := range []struct {
		id string
		st prjpb.Project_Status
	}{{e.proposed(t, s.compound, budget), prjpb.Project_PROPOSED}, {cancelled, prjpb.Project_CANCELLED}} {
		_, err := e.contract(p.id, "监理公司", 1_000, "c-5")
		meta := testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_NOT_ACTIVE")
		if meta["status"] != p.st.String() {
			t.Fatalf("metadata %v", meta)
		}
	}
	list := testkit.Must[*pb.ListContractsResponse](t)(e.ListContracts(bg, &pb.ListContractsRequest{ProjectId: s.project}))
	if len(list.Contracts) != 2 {
		t.Fatalf("%v", list)
	}
	page := testkit.Must[*pb.ListContractsResponse](t)(e.ListContracts(bg, &pb.ListContractsRequest{ProjectId: s.project, PageSize: 1}))
	rest := testkit.Must[*pb.ListContractsResponse](t)(e.ListContracts(bg, &pb.ListContractsRequest{ProjectId: s.project, PageSize: 1, PageToken: page.NextPageToken}))
	if len(page.Contracts) != 1 || len(rest.Contracts) != 1 || rest.NextPageToken != "" || page.Contracts[0].Id == rest.Contracts[0].Id {
		t.Fatalf("%v / %v", page, rest)
	}
}

// Rule 9: one payee, one contract, even when spellings of it race.
func TestRule9ConcurrentContractsForOnePayeeMakeOne(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 1)
	spellings := []string{"川建三公司", " 川建三公司", "川建三公司 ", "川建三公司\u3000", "\u3000川建三公司"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	made, exists := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.contract(s.project, spellings[i%len(spellings)], int64(1_000+i), fmt.Sprintf("race-%d", i))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				made++
			} else {
				testkit.WantReason(t, err, codes.AlreadyExists, "CONTRACT_EXISTS")
				exists++
			}
		}()
	}
	wg.Wait()
	if made != 1 || exists != 19 {
		t.Fatalf("made %d, refused %d", made, exists)
	}
}

// Rule 9: every disbursement names its contract; the payee and the contract's amount
// come from it; the 97% cap is the contract's; no payment on a project only PROPOSED or
// CANCELLED; an item paid for is an item of the project.
func TestRule9DisbursementNamesItsContract(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 2)
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 30_000_000, rid("r")))
	c := testkit.Must[*pb.Contract](t)(e.contract(s.project, "川建三公司", 10_000_000, "c-1", s.road))
	// Another round of works on the compound, under way with money and a contract of its
	// own.
	other := e.approved(t, s.compound, budget)
	e.plan(t, other, flat(108400), gov(budget), residents())
	e.startConstruction(t, other)
	testkit.Must[*pb.Receipt](t)(e.receipt(other, pb.FundingSource_GOVERNMENT, "区住建局", 1_000_000, rid("r")))
	foreign := testkit.Must[*pb.Contract](t)(e.contract(other, "监理公司", 10_000_000, "c-2", e.workItem(t, other, prjpb.WorkItem_ROAD_REPAIR)))

	before := e.state(t, s.book)
	_, err := e.disburseTo(s.project, "", 100, "", "d-1")
	testkit.WantViolation(t, err, "disbursement.contractId")
	_, err = e.disburseTo(s.project, "01j00000000000000000000000", 100, "", "d-1")
	testkit.WantViolation(t, err, "disbursement.contractId")
	_, err = e.disburseTo(s.project, foreign.Id, 100, "", "d-1")
	testkit.WantViolation(t, err, "disbursement.contractId")
	_, err = e.disburseTo(s.project, c.Id, 100, "no-such-item", "d-1")
	testkit.WantViolation(t, err, "disbursement.itemId")
	_, err = e.disburseTo(s.project, c.Id, 100, e.workItem(t, other, prjpb.WorkItem_ROAD_REPAIR), "d-1")
	testkit.WantViolation(t, err, "disbursement.itemId")
	_, err = e.disburseTo(s.project, c.Id, 10_000_001, "", "d-1")
	testkit.WantViolation(t, err, "disbursement.amountFen")
	e.unchanged(t, s.book, before)

	// A project only PROPOSED pays nothing, whatever contract a request names (it can
	// sign none: TestRule9ContractsAreRecordsOnePerPayee); nor does the other round once
	// CANCELLED, under the contract it signed, with money in its fund.
	proposed := e.proposed(t, s.compound, budget)
	e.plan(t, proposed, flat(108400), gov(budget), residents())
	e.cancel(t, other)
	for _, p := range []struct {
		id, contract string
		st           prjpb.Project_Status
	}{{proposed, c.Id, prjpb.Project_PROPOSED}, {other, foreign.Id, prjpb.Project_CANCELLED}} {
		book := "renovation-" + p.id
		before := e.state(t, book)
		_, err = e.disburseTo(p.id, p.contract, 100, "", "d-1")
		meta := testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_NOT_ACTIVE")
		if meta["status"] != p.st.String() {
			t.Fatalf("metadata %v", meta)
		}
		e.unchanged(t, book, before)
	}

	d := testkit.Must[*pb.Disbursement](t)(e.disburseTo(s.project, c.Id, 9_700_000, s.road, "d-1"))
	if d.ContractId != c.Id || d.Payee != "川建三公司" || d.ContractAmountFen != 10_000_000 || d.PaidToPayeeFen != 9_700_000 || d.RetentionFen != 300_000 {
		t.Fatalf("%v", d)
	}
	// The retention is held for the contract, whatever a request says of the payee.
	_, err = e.disburseTo(s.project, c.Id, 1, "", "d-2")
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RETENTION_HELD")
	if meta["overFen"] != "1" || meta["limitFen"] != "9700000" {
		t.Fatalf("metadata %v", meta)
	}
	_, err = e.disburse(s.project, "川建三公司 ", 10_000_000, 1, "", "d-3")
	testkit.WantReason(t, err, codes.AlreadyExists, "CONTRACT_EXISTS")
	e.accept(t, s.project)
	testkit.Must[*pb.Disbursement](t)(e.disburseTo(s.project, c.Id, 300_000, "", "d-2"))
	_, err = e.disburseTo(s.project, c.Id, 1, "", "d-4")
	testkit.WantReason(t, err, codes.FailedPrecondition, "OVER_CONTRACT")
	e.verified(t, s.book)
}

// Rule 9: the disclosure (and the contracts' list) show, per contract, what is paid and
// what is still held: the retention, never more than what is unpaid, 0 once paid in full.
func TestRule9DisclosureShowsPaidAndHeldPerContract(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 2)
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 30_000_000, rid("r")))
	a := testkit.Must[*pb.Contract](t)(e.contract(s.project, "川建三公司", 10_000_000, "c-1"))
	b := testkit.Must[*pb.Contract](t)(e.contract(s.project, "监理公司", 1_000_000, "c-2"))
	n := testkit.Must[*pb.Contract](t)(e.contract(s.project, "设计院", 500_000, "c-3"))
	testkit.Must[*pb.Disbursement](t)(e.disburseTo(s.project, a.Id, 9_700_000, "", "d-1"))
	testkit.Must[*pb.Disbursement](t)(e.disburseTo(s.project, b.Id, 400_000, "", "d-2"))
	e.accept(t, s.project)
	testkit.Must[*pb.Disbursement](t)(e.disburseTo(s.project, a.Id, 250_000, "", "d-3")) // 50,000 of the retention still unpaid
	testkit.Must[*pb.Disbursement](t)(e.disburseTo(s.project, b.Id, 600_000, "", "d-4")) // paid in full

	type ph struct{ paid, held int64 }
	want := map[string]ph{a.Id: {9_950_000, 50_000}, b.Id: {1_000_000, 0}, n.Id: {0, 15_000}}
	d := testkit.Must[*pb.ProjectDisclosure](t)(e.GetProjectDisclosure(bg, &pb.GetProjectDisclosureRequest{ProjectId: s.project}))
	if len(d.SpendingByPayee) != 3 {
		t.Fatalf("%v", d.SpendingByPayee)
	}
	for _, p := range d.SpendingByPayee {
		if w, ok := want[p.ContractId]; !ok || p.PaidFen != w.paid || p.HeldFen != w.held || p.RetentionFen != p.ContractAmountFen*3/100 {
			t.Fatalf("%v, want %v", p, w)
		}
	}
	list := testkit.Must[*pb.ListContractsResponse](t)(e.ListContracts(bg, &pb.ListContractsRequest{ProjectId: s.project}))
	for _, c := range list.Contracts {
		if w := want[c.Id]; c.PaidFen != w.paid || c.HeldFen != w.held {
			t.Fatalf("%v, want %v", c, w)
		}
	}
}

// Rule 10 (upkeep income): income from a use of common parts needs a passed business-use
// resolution that names that use; a resolution for another use is RESOLUTION_NOT_FOR_USE;
// owners' own parking rent needs none. Each stream is allowed on its own.
func TestRule10IncomeNeedsAResolutionNamingItsUse(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, hs := e.households(t, 4)
	shops := e.resolutionFor(t, cid, []surveypb.Survey_BusinessUse{surveypb.Survey_SHOP_RENT}, hs, "agree", "agree", "agree", "agree")

	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_PARKING_OWNERS, 10_000, "", "in-0"))
	book := "maintenance-" + cid
	before := e.state(t, book)
	for _, stream := range []pb.Income_Stream{pb.Income_PARKING_PUBLIC, pb.Income_OTHER} {
		_, err := e.income(cid, stream, 30_000, shops, "in-1")
		meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_FOR_USE")
		if meta["stream"] != stream.String() || meta["uses"] != "SHOP_RENT" {
			t.Fatalf("metadata %v", meta)
		}
		_, err = e.income(cid, stream, 30_000, "", "in-1")
		testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	}
	e.unchanged(t, book, before)
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_SHOP_RENT, 30_000, shops, "in-2"))
	// Allowed once, the stream needs no resolution again; the others still do.
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_SHOP_RENT, 30_000, "", "in-3"))
	_, err := e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, "", "in-4")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	parking := e.resolutionFor(t, cid, []surveypb.Survey_BusinessUse{surveypb.Survey_PARKING_PUBLIC, surveypb.Survey_OTHER_USE}, hs, "agree", "agree", "agree", "agree")
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, parking, "in-4"))
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_OTHER, 30_000, parking, "in-5"))
}
