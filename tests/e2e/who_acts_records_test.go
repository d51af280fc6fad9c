package e2e

import (
	"testing"
	"time"

	"tongdu/platform/auth"
)

// Rule 16, who acts, through REST: a courtyard meeting names the account that recorded
// it and the one that closed it; a response names the account that entered it (the
// grid worker's for a paper one, the household itself for an ONLINE one); a funding plan
// and a contract name the account that made them. Each is checked as answered and as
// read back.
func TestWhoActsRecords(t *testing.T) {
	c := startApp(t)
	const officerSubject = "accounts/officer-16"
	officer := c.as(c.tokenFor(c.app, auth.Principal{Subject: officerSubject, Role: auth.DistrictAdmin}))
	rt := officer.createRegionTree()
	e := officer.setupEstate(rt.community.ID, "铜都小区", 1988, facilities("POOR"), 60, 70, 80)
	communityScope := "regions/" + rt.community.ID

	const recorderSubject, closerSubject = "accounts/recorder-16", "accounts/closer-16"
	recorder := c.as(c.tokenFor(c.app, auth.Principal{Subject: recorderSubject, Role: auth.CommunityStaff, Scope: communityScope}))
	closer := c.as(c.tokenFor(c.app, auth.Principal{Subject: closerSubject, Role: auth.CommunityStaff, Scope: communityScope}))
	t.Run("meeting", func(t *testing.T) {
		type meetingView struct {
			ID            string `json:"id"`
			State         string `json:"state"`
			CreateAccount string `json:"createAccount"`
			CloseAccount  string `json:"closeAccount"`
		}
		var m meetingView
		recorder.with(t).call("POST", "/v1/meetings", map[string]any{
			"compoundId": e.ID, "title": "改造院坝会", "heldAt": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
			"attendeeHouseholdIds": []string{e.hid(0)}, "topics": []string{"改造内容"},
		}, &m)
		if m.ID == "" || m.CreateAccount != recorderSubject || m.CloseAccount != "" {
			t.Fatalf("recorded meeting = %+v, want createAccount %s and no closeAccount", m, recorderSubject)
		}
		closer.with(t).call("POST", path("/v1/meetings/%s:close", m.ID), map[string]any{
			"attendeeHouseholdIds": []string{e.hid(0), e.hid(1)}, "minutes": "与会住户同意改造", "requestId": "who-acts-close",
		}, &m)
		if m.State != "CLOSED" || m.CreateAccount != recorderSubject || m.CloseAccount != closerSubject {
			t.Errorf("closed meeting = %+v, want CLOSED, recorded by %s, closed by %s", m, recorderSubject, closerSubject)
		}
		var got meetingView
		officer.with(t).call("GET", path("/v1/meetings/%s", m.ID), nil, &got)
		if got.CreateAccount != recorderSubject || got.CloseAccount != closerSubject {
			t.Errorf("stored meeting = %+v, want recorded by %s, closed by %s", got, recorderSubject, closerSubject)
		}
	})

	// The renovation resolution passes: a paper vote entered by a grid worker, an ONLINE
	// vote by a household itself, and the rest through the officer.
	vote := officer.createSurvey(map[string]any{"compoundId": e.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
	officer.transition(vote.ID, "open", "OPEN")
	const gridSubject = "accounts/grid-16"
	grid := c.as(c.tokenFor(c.app, auth.Principal{Subject: gridSubject, Role: auth.GridWorker, Scope: communityScope}))
	householdSubject := "households/" + e.hid(1)
	household := c.as(c.tokenFor(c.app, auth.Principal{Subject: householdSubject, Role: auth.Resident, Scope: householdSubject}))
	t.Run("response", func(t *testing.T) {
		type responseView struct {
			HouseholdID string `json:"householdId"`
			Channel     string `json:"channel"`
			Account     string `json:"account"`
		}
		var paper, online responseView
		grid.with(t).call("POST", path("/v1/surveys/%s/responses", vote.ID), resp(e.hid(0), "DOOR_TO_DOOR", time.Time{}, ans("vote", "agree")), &paper)
		if paper.Account != gridSubject {
			t.Errorf("paper response = %+v, want account %s", paper, gridSubject)
		}
		household.with(t).call("POST", path("/v1/surveys/%s/responses", vote.ID), resp(e.hid(1), "ONLINE", time.Time{}, ans("vote", "agree")), &online)
		if online.Account != householdSubject {
			t.Errorf("online response = %+v, want account %s", online, householdSubject)
		}
		officer.with(t).vote(vote.ID, e.hid(2), "agree")
		var list struct {
			Responses []responseView `json:"responses"`
		}
		officer.with(t).call("GET", path("/v1/surveys/%s/responses", vote.ID)+"?pageSize=100", nil, &list)
		want := map[string]string{e.hid(0): gridSubject, e.hid(1): householdSubject, e.hid(2): officerSubject}
		if len(list.Responses) != len(want) {
			t.Fatalf("responses = %+v, want %d", list.Responses, len(want))
		}
		for _, r := range list.Responses {
			if r.Account != want[r.HouseholdID] {
				t.Errorf("stored response = %+v, want account %s", r, want[r.HouseholdID])
			}
		}
	})
	officer.transition(vote.ID, "close", "CLOSED")

	p := officer.createProject(e.ID, "铜都小区改造", 1_000_000)
	officer.projectTo(p.ID, "approve", "APPROVED")
	const plannerSubject, contractsSubject = "accounts/planner-16", "accounts/contracts-16"
	planner := c.as(c.tokenFor(c.app, auth.Principal{Subject: plannerSubject, Role: auth.DistrictAdmin}))
	contracts := c.as(c.tokenFor(c.app, auth.Principal{Subject: contractsSubject, Role: auth.DistrictAdmin}))
	t.Run("funding plan", func(t *testing.T) {
		type planView struct {
			ProjectID string `json:"projectId"`
			Account   string `json:"account"`
		}
		var plan planView
		planner.with(t).call("POST", "/v1/funding-plans", map[string]any{
			"projectId": p.ID,
			"sources":   []map[string]any{{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "1000000"}},
		}, &plan)
		if plan.ProjectID != p.ID || plan.Account != plannerSubject {
			t.Errorf("funding plan = %+v, want account %s", plan, plannerSubject)
		}
		var got planView
		officer.with(t).call("GET", path("/v1/funding-plans/%s", p.ID), nil, &got)
		if got.Account != plannerSubject {
			t.Errorf("stored funding plan = %+v, want account %s", got, plannerSubject)
		}
	})
	t.Run("contract", func(t *testing.T) {
		type contractView struct {
			ID      string `json:"id"`
			Payee   string `json:"payee"`
			Account string `json:"account"`
		}
		var ct contractView
		contracts.with(t).call("POST", path("/v1/projects/%s/contracts", p.ID), map[string]any{
			"payee": "川建三公司", "amountFen": "500000", "requestId": "who-acts-contract",
		}, &ct)
		if ct.ID == "" || ct.Account != contractsSubject {
			t.Fatalf("contract = %+v, want an id and account %s", ct, contractsSubject)
		}
		var list struct {
			Contracts []contractView `json:"contracts"`
		}
		officer.with(t).call("GET", path("/v1/projects/%s/contracts", p.ID), nil, &list)
		if len(list.Contracts) != 1 || list.Contracts[0].ID != ct.ID || list.Contracts[0].Account != contractsSubject {
			t.Errorf("stored contracts = %+v, want %s by account %s", list.Contracts, ct.ID, contractsSubject)
		}
	})
}
