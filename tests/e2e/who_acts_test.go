package e2e

import (
	"fmt"
	"testing"

	"tongdu/platform/auth"
)

// Rule 16, who acts: every transition, sign-off, payment and decision records the
// signed-in account (the token's subject); the free-text actor and signer are optional
// notes, never required.
func TestWhoActs(t *testing.T) {
	c := startApp(t)
	const officerSubject = "accounts/officer-17"
	officer := c.as(c.tokenFor(c.app, auth.Principal{Subject: officerSubject, Role: auth.DistrictAdmin}))

	rt := officer.createRegionTree()
	e := officer.setupEstate(rt.community.ID, "光华小区", 1985, facilities("POOR"), 60, 70, 80)

	// The renovation resolution passes; its opening and closing name the account.
	vote := officer.createSurvey(map[string]any{"compoundId": e.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
	var sv struct {
		State        string `json:"state"`
		OpenAccount  string `json:"openAccount"`
		CloseAccount string `json:"closeAccount"`
	}
	officer.call("POST", path("/v1/surveys/%s:open", vote.ID), `{}`, &sv)
	if sv.State != "OPEN" || sv.OpenAccount != officerSubject {
		t.Errorf("opened survey = %+v, want OPEN with openAccount %s", sv, officerSubject)
	}
	for i := range e.households {
		officer.vote(vote.ID, e.hid(i), "agree")
	}
	officer.call("POST", path("/v1/surveys/%s:close", vote.ID), `{}`, &sv)
	if sv.State != "CLOSED" || sv.CloseAccount != officerSubject {
		t.Errorf("closed survey = %+v, want CLOSED with closeAccount %s", sv, officerSubject)
	}

	type entry struct {
		From    string `json:"from"`
		To      string `json:"to"`
		Actor   string `json:"actor"`
		Account string `json:"account"`
	}
	type withHistory struct {
		Status  string  `json:"status"`
		History []entry `json:"history"`
	}
	p := officer.createProject(e.ID, "光华小区改造", 1_000_000)
	item := officer.createItem(p.ID)

	// A transition without actor succeeds, and its history entry names the account.
	t.Run("transition", func(t *testing.T) {
		var got withHistory
		officer.with(t).postPlan(e.ID, p.ID)
		officer.with(t).call("POST", path("/v1/projects/%s:approve", p.ID), map[string]any{"reason": "表决通过"}, &got)
		if got.Status != "APPROVED" || len(got.History) < 2 {
			t.Fatalf("approved project = %+v, want APPROVED with two history entries", got)
		}
		if first := got.History[0]; first.Account != officerSubject {
			t.Errorf("creation entry = %+v, want account %s", first, officerSubject)
		}
		last := got.History[len(got.History)-1]
		if last.To != "APPROVED" || last.Account != officerSubject {
			t.Errorf("approval entry = %+v, want to APPROVED by account %s", last, officerSubject)
		}
	})

	// A contribution's ledger transaction records the account that wrote it.
	var plan fundingPlan
	officer.call("POST", "/v1/funding-plans", map[string]any{
		"projectId": p.ID,
		"sources": []map[string]any{
			{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "700000"},
			{"party": "RESIDENTS", "funder": "居民自筹", "committedFen": "300000"},
		},
		"quota": map[string]any{"flatFen": "100000"},
	}, &plan)
	officer.projectTo(p.ID, "startConstruction", "IN_CONSTRUCTION")
	const collectorSubject = "accounts/collector-17"
	collector := c.as(c.tokenFor(c.app, auth.Principal{Subject: collectorSubject, Role: auth.DistrictAdmin}))
	t.Run("contribution", func(t *testing.T) {
		var contribution struct {
			BookID        string `json:"bookId"`
			TransactionID string `json:"transactionId"`
		}
		collector.with(t).call("POST", path("/v1/projects/%s/contributions", p.ID), map[string]any{
			"householdId": e.hid(0), "amountFen": "100000", "method": "CASH", "requestId": "who-acts-contrib",
		}, &contribution)
		if contribution.TransactionID == "" {
			t.Fatalf("contribution = %+v, want a transaction", contribution)
		}
		var txs struct {
			Transactions []struct {
				ID      string `json:"id"`
				Kind    string `json:"kind"`
				Account string `json:"account"`
			} `json:"transactions"`
		}
		officer.with(t).call("GET", path("/v1/books/%s/transactions", contribution.BookID)+"?pageSize=1000", nil, &txs)
		found := false
		for _, tx := range txs.Transactions {
			if tx.ID == contribution.TransactionID {
				found = true
				if tx.Kind != "CONTRIBUTION" || tx.Account != collectorSubject {
					t.Errorf("contribution's transaction = %+v, want CONTRIBUTION by account %s", tx, collectorSubject)
				}
			}
		}
		if !found {
			t.Errorf("transaction %s not in the book's log %+v", contribution.TransactionID, txs.Transactions)
		}
	})

	// A sign-off without signer records the account that signed.
	officer.call("POST", path("/v1/projects/%s/progress-reports", p.ID), map[string]any{"itemId": item, "progressPercent": 100, "remarks": "完工", "contractor": "蓉城建工"}, nil)
	officer.projectTo(p.ID, "requestAcceptance", "PENDING_ACCEPTANCE")
	const supervisorSubject = "accounts/supervisor-17"
	supervisor := c.as(c.tokenFor(c.app, auth.Principal{Subject: supervisorSubject, Role: auth.DistrictAdmin}))
	t.Run("signoff", func(t *testing.T) {
		var so struct {
			Role    string `json:"role"`
			Signer  string `json:"signer"`
			Account string `json:"account"`
		}
		supervisor.with(t).call("POST", path("/v1/projects/%s/signoffs", p.ID), map[string]any{"role": "SUPERVISOR", "verdict": "PASS", "remarks": "验收合格"}, &so)
		if so.Account != supervisorSubject {
			t.Errorf("sign-off = %+v, want account %s", so, supervisorSubject)
		}
		var acc struct {
			Signoffs []struct {
				Role    string `json:"role"`
				Account string `json:"account"`
			} `json:"signoffs"`
		}
		officer.with(t).call("GET", path("/v1/projects/%s/acceptance", p.ID), nil, &acc)
		if len(acc.Signoffs) != 1 || acc.Signoffs[0].Account != supervisorSubject {
			t.Errorf("acceptance sign-offs = %s, want one by account %s", fmt.Sprint(acc.Signoffs), supervisorSubject)
		}
	})

	// A whistle raised, acknowledged, resolved and closed by four accounts names each.
	officer.call("POST", "/v1/departments", map[string]any{"id": "water", "name": "区水务局"}, nil)
	communityScope := "regions/" + rt.community.ID
	const (
		raiserSubject       = "accounts/raiser-17"
		acknowledgerSubject = "accounts/water-duty-17"
		resolverSubject     = "accounts/water-crew-17"
		closerSubject       = "accounts/closer-17"
	)
	raiser := c.as(c.tokenFor(c.app, auth.Principal{Subject: raiserSubject, Role: auth.CommunityStaff, Scope: communityScope}))
	acknowledger := c.as(c.tokenFor(c.app, auth.Principal{Subject: acknowledgerSubject, Role: auth.Department, Scope: "departments/water"}))
	resolver := c.as(c.tokenFor(c.app, auth.Principal{Subject: resolverSubject, Role: auth.Department, Scope: "departments/water"}))
	closer := c.as(c.tokenFor(c.app, auth.Principal{Subject: closerSubject, Role: auth.CommunityStaff, Scope: communityScope}))
	t.Run("whistle", func(t *testing.T) {
		type response struct {
			DepartmentID       string `json:"departmentId"`
			AcknowledgeAccount string `json:"acknowledgeAccount"`
			ResolveAccount     string `json:"resolveAccount"`
		}
		type whistleView struct {
			ID           string     `json:"id"`
			Status       string     `json:"status"`
			RaiseAccount string     `json:"raiseAccount"`
			CloseAccount string     `json:"closeAccount"`
			Responses    []response `json:"responses"`
		}
		var w whistleView
		raiser.with(t).call("POST", "/v1/whistles", map[string]any{
			"compoundId": e.ID, "category": "DRAINAGE", "description": "化粪池满溢",
			"departmentIds": []string{"water"}, "priority": "URGENT",
		}, &w)
		if w.ID == "" || w.RaiseAccount != raiserSubject || w.CloseAccount != "" {
			t.Fatalf("raised whistle = %+v, want raiseAccount %s and no closeAccount", w, raiserSubject)
		}
		acknowledger.with(t).call("POST", path("/v1/whistles/%s:acknowledge", w.ID), map[string]any{"departmentId": "water", "remarks": "已派员"}, &w)
		if len(w.Responses) != 1 || w.Responses[0].AcknowledgeAccount != acknowledgerSubject || w.Responses[0].ResolveAccount != "" {
			t.Errorf("acknowledged whistle = %+v, want acknowledgeAccount %s", w, acknowledgerSubject)
		}
		// Acknowledging again changes nothing, not even the account.
		resolver.with(t).call("POST", path("/v1/whistles/%s:acknowledge", w.ID), map[string]any{"departmentId": "water"}, &w)
		resolver.with(t).call("POST", path("/v1/whistles/%s:resolve", w.ID), map[string]any{"departmentId": "water", "remarks": "已疏通"}, &w)
		if w.Status != "RESOLVED" || len(w.Responses) != 1 || w.Responses[0].AcknowledgeAccount != acknowledgerSubject || w.Responses[0].ResolveAccount != resolverSubject {
			t.Errorf("resolved whistle = %+v, want RESOLVED, acknowledged by %s and resolved by %s", w, acknowledgerSubject, resolverSubject)
		}
		closer.with(t).call("POST", path("/v1/whistles/%s:close", w.ID), map[string]any{"ratings": []map[string]any{{"departmentId": "water", "score": 5}}}, &w)
		if w.Status != "CLOSED" || w.CloseAccount != closerSubject {
			t.Errorf("closed whistle = %+v, want CLOSED with closeAccount %s", w, closerSubject)
		}
		var got whistleView
		officer.with(t).call("GET", path("/v1/whistles/%s", w.ID), nil, &got)
		if got.RaiseAccount != raiserSubject || got.CloseAccount != closerSubject || len(got.Responses) != 1 ||
			got.Responses[0].AcknowledgeAccount != acknowledgerSubject || got.Responses[0].ResolveAccount != resolverSubject {
			t.Errorf("stored whistle = %+v, want raised by %s, acknowledged by %s, resolved by %s, closed by %s",
				got, raiserSubject, acknowledgerSubject, resolverSubject, closerSubject)
		}
	})

	// An idea's adoption and another's decline name the deciding accounts.
	const adopterSubject, declinerSubject = "accounts/adopter-17", "accounts/decliner-17"
	adopter := c.as(c.tokenFor(c.app, auth.Principal{Subject: adopterSubject, Role: auth.CommunityStaff, Scope: communityScope}))
	decliner := c.as(c.tokenFor(c.app, auth.Principal{Subject: declinerSubject, Role: auth.DistrictAdmin}))
	t.Run("idea", func(t *testing.T) {
		type ideaView struct {
			ID            string `json:"id"`
			Status        string `json:"status"`
			DecideAccount string `json:"decideAccount"`
		}
		for _, tc := range []struct {
			who     *client
			subject string
			verb    string
			body    map[string]any
			want    string
		}{
			{adopter, adopterSubject, "adopt", map[string]any{"remarks": "纳入改造方案"}, "ADOPTED"},
			{decliner, declinerSubject, "decline", map[string]any{"reason": "超出预算"}, "DECLINED"},
		} {
			var idea ideaView
			officer.with(t).call("POST", "/v1/ideas", map[string]any{"compoundId": e.ID, "householdId": e.hid(0), "text": "增设晾晒区", "category": "DRYING"}, &idea)
			if idea.ID == "" || idea.DecideAccount != "" {
				t.Fatalf("submitted idea = %+v, want an id and no decideAccount", idea)
			}
			tc.who.with(t).call("POST", path("/v1/ideas/%s:%s", idea.ID, tc.verb), tc.body, &idea)
			if idea.Status != tc.want || idea.DecideAccount != tc.subject {
				t.Errorf("%s idea = %+v, want %s with decideAccount %s", tc.verb, idea, tc.want, tc.subject)
			}
			var got ideaView
			officer.with(t).call("GET", path("/v1/ideas/%s", idea.ID), nil, &got)
			if got.DecideAccount != tc.subject {
				t.Errorf("stored idea = %+v, want decideAccount %s", got, tc.subject)
			}
		}
	})
}
