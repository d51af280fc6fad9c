package e2e

// Dates of record (rule 15), through the REST gateway: a project of 2021 entered now,
// each step with when it happened, keeps those dates beside when they were entered; a
// step dated in the future or before the one it follows is refused on effectiveTime; the
// region's statistics count the compound's moves in 2021.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestA2021ProjectEnteredAfterTheFact(t *testing.T) {
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "石羊路21号院", 1985, nil, 60, 60, 60, 60)
	vote := c.createSurvey(map[string]any{"compoundId": e.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
	c.transition(vote.ID, "open", "OPEN")
	for i := range 4 {
		c.submit(vote.ID, resp(e.hid(i), "DOOR_TO_DOOR", time.Time{}, ans("vote", "agree")))
	}
	c.transition(vote.ID, "close", "CLOSED")

	day := func(s string) string { return s + "T10:00:00+08:00" }
	var p struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		History []struct {
			To         string `json:"to"`
			Time       string `json:"time"`
			RecordTime string `json:"recordTime"`
		} `json:"history"`
	}
	// Where the body is the record itself, effectiveTime goes in the query, as requestId does.
	c.call("POST", "/v1/projects?effectiveTime="+url.QueryEscape(day("2021-03-01")), map[string]any{"compoundId": e.ID, "title": "石羊路21号院改造", "year": 2021, "budgetFen": "1000000"}, &p)
	item := c.createItem(p.ID)
	c.call("POST", "/v1/notices", map[string]any{"compoundId": e.ID, "kind": "PLAN", "subjectId": p.ID, "opensAt": day("2021-03-20")}, nil)

	move := func(verb, at string) response {
		return c.do("POST", path("/v1/projects/%s:"+verb, p.ID), map[string]any{"actor": "区住建局", "effectiveTime": at})
	}
	for _, bad := range []struct{ what, at string }{
		{"a move in the future", time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)},
		{"a move before the plan was drawn up", day("2021-02-01")},
	} {
		st := c.failure(move("approve", bad.at), http.StatusBadRequest, bad.what)
		if _, ok := st.violationLike("effectiveTime"); !ok {
			t.Errorf("%s: refused without naming effectiveTime: %s", bad.what, st.Raw)
		}
	}
	if r := move("approve", day("2021-04-10")); r.status != http.StatusOK {
		t.Fatalf("approval dated 2021-04-10: %d %s", r.status, r.body)
	}
	c.call("POST", "/v1/funding-plans", map[string]any{"projectId": p.ID, "sources": []map[string]any{{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "1000000"}}}, nil)
	if r := move("startConstruction", day("2021-05-06")); r.status != http.StatusOK {
		t.Fatalf("construction dated 2021-05-06: %d %s", r.status, r.body)
	}
	// Money entered after the fact carries when it moved; a time in the future is refused.
	c.call("POST", path("/v1/projects/%s/receipts", p.ID), map[string]any{"party": "GOVERNMENT", "funder": "区财政", "amountFen": "400000",
		"requestId": "r-2021", "effectiveTime": day("2021-05-10")}, nil)
	st := c.failure(c.do("POST", path("/v1/projects/%s/receipts", p.ID), map[string]any{"party": "GOVERNMENT", "funder": "区财政", "amountFen": "1000",
		"requestId": "r-future", "effectiveTime": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}), http.StatusBadRequest, "a receipt in the future")
	if _, ok := st.violationLike("effectiveTime"); !ok {
		t.Errorf("a receipt in the future refused without naming effectiveTime: %s", st.Raw)
	}
	var txs struct {
		Transactions []struct {
			Kind          string `json:"kind"`
			EffectiveTime string `json:"effectiveTime"`
			CreateTime    string `json:"createTime"`
		} `json:"transactions"`
	}
	c.call("GET", path("/v1/books/%s/transactions", "renovation-"+p.ID), nil, &txs)
	if len(txs.Transactions) != 1 || !strings.HasPrefix(txs.Transactions[0].EffectiveTime, "2021-05-10") || !strings.HasPrefix(txs.Transactions[0].CreateTime, time.Now().UTC().Format("2006-01-02")) {
		t.Errorf("the book's entries: %+v, want the receipt moved 2021-05-10, entered today", txs.Transactions)
	}
	c.call("POST", path("/v1/projects/%s/progress-reports", p.ID), map[string]any{"itemId": item, "progressPercent": 100, "contractor": "东川建工"}, nil)
	if r := move("requestAcceptance", day("2021-09-20")); r.status != http.StatusOK {
		t.Fatalf("acceptance requested 2021-09-20: %d %s", r.status, r.body)
	}
	acceptance := c.createSurvey(map[string]any{"compoundId": e.ID, "projectId": p.ID, "title": "民意验收", "kind": "ACCEPTANCE",
		"questions": []map[string]any{{"id": "verdict", "text": "满意吗？", "type": "SINGLE_CHOICE", "options": []map[string]any{{"id": "satisfied", "text": "满意"}, {"id": "unsatisfied", "text": "不满意"}}}}})
	c.transition(acceptance.ID, "open", "OPEN")
	for i := range 4 {
		c.submit(acceptance.ID, resp(e.hid(i), "DOOR_TO_DOOR", time.Time{}, ans("verdict", "satisfied")))
	}
	c.transition(acceptance.ID, "close", "CLOSED")
	c.call("PATCH", path("/v1/projects/%s", p.ID), map[string]any{"acceptanceSurveyId": acceptance.ID}, nil)
	signoffs := func(at string) string {
		return path("/v1/projects/%s/signoffs", p.ID) + "?effectiveTime=" + url.QueryEscape(at)
	}
	st = c.failure(c.do("POST", signoffs(day("2021-09-01")), map[string]any{"role": "SUPERVISOR", "verdict": "PASS"}),
		http.StatusBadRequest, "a sign-off before the works were handed over")
	if _, ok := st.violationLike("effectiveTime"); !ok {
		t.Errorf("an early sign-off refused without naming effectiveTime: %s", st.Raw)
	}
	for i, role := range []string{"SUPERVISOR", "CONTRACTOR", "BUILDER", "COMMUNITY"} {
		c.call("POST", signoffs(day("2021-10-0"+string(rune('5'+i)))), map[string]any{"role": role, "verdict": "PASS"}, nil)
	}

	c.call("GET", path("/v1/projects/%s", p.ID), nil, &p)
	if p.Status != "ACCEPTED" {
		t.Fatalf("after the four sign-offs the project is %s", p.Status)
	}
	want := []struct{ to, day string }{{"PROPOSED", "2021-03-01"}, {"APPROVED", "2021-04-10"}, {"IN_CONSTRUCTION", "2021-05-06"}, {"PENDING_ACCEPTANCE", "2021-09-20"}, {"ACCEPTED", "2021-10-08"}}
	if len(p.History) != len(want) {
		t.Fatalf("history %+v", p.History)
	}
	today := time.Now().UTC().Format("2006-01-02")
	for i, w := range want {
		h := p.History[i]
		at, _ := time.Parse(time.RFC3339, h.Time)
		if h.To != w.to || at.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02") != w.day || !strings.HasPrefix(h.RecordTime, today) {
			t.Errorf("history %d = %+v, want %s on %s, entered today", i, h, w.to, w.day)
		}
	}

	// The region's statistics count the compound's moves in the years they happened.
	var stats struct {
		EnteredByYear []struct {
			Year      int    `json:"year"`
			Status    string `json:"status"`
			Compounds string `json:"compounds"`
		} `json:"enteredByYear"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.call("GET", path("/v1/regions/%s/statistics", rt.community.ID), nil, &stats)
		found := false
		for _, y := range stats.EnteredByYear {
			found = found || (y.Year == 2021 && y.Status == "ACCEPTED" && y.Compounds == "1")
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the community's statistics do not count the compound ACCEPTED in 2021: %+v", stats.EnteredByYear)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Rule 15 with rule 11: a whistle raised on paper three days ago and entered now runs its
// limits from then, so it is overdue and escalated at once; an acknowledgement dated
// before the raise is refused on effectiveTime.
func TestAWhistleEnteredAfterTheFact(t *testing.T) {
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "石羊路21号院", 1985, nil, 60)
	c.call("POST", "/v1/departments", map[string]any{"id": "water", "name": "水务局"}, nil)
	raised := time.Now().Add(-72 * time.Hour).UTC().Format(time.RFC3339)
	var w struct {
		ID              string `json:"id"`
		Overdue         bool   `json:"overdue"`
		EscalationLevel string `json:"escalationLevel"`
		RaiseTime       string `json:"raiseTime"`
	}
	c.call("POST", "/v1/whistles?effectiveTime="+url.QueryEscape(raised), map[string]any{"compoundId": e.ID, "category": "WATER", "description": "3号楼停水",
		"departmentIds": []string{"water"}, "priority": "URGENT"}, &w)
	c.call("GET", path("/v1/whistles/%s", w.ID), nil, &w)
	if at, _ := time.Parse(time.RFC3339, w.RaiseTime); at.Format(time.RFC3339) != raised || !w.Overdue || w.EscalationLevel != "DISTRICT" {
		t.Errorf("a whistle raised 3 days ago: %+v, want overdue past both limits, escalated to DISTRICT", w)
	}
	st := c.failure(c.do("POST", path("/v1/whistles/%s:acknowledge", w.ID), map[string]any{"departmentId": "water",
		"effectiveTime": time.Now().Add(-96 * time.Hour).UTC().Format(time.RFC3339)}), http.StatusBadRequest, "an acknowledgement before the raise")
	if _, ok := st.violationLike("effectiveTime"); !ok {
		t.Errorf("refused without naming effectiveTime: %s", st.Raw)
	}
	c.call("POST", path("/v1/whistles/%s:acknowledge", w.ID), map[string]any{"departmentId": "water",
		"effectiveTime": time.Now().Add(-70 * time.Hour).UTC().Format(time.RFC3339)}, nil)
}
