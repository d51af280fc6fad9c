package e2e

import (
	"testing"

	"tongdu/platform/auth"
)

// Rule 16, who acts, in the registry: a compound names the account that registered it
// and the one of its last update or classification, a household the account that
// registered it, a leader election the accounts that opened and closed it, and a
// convention the accounts that put it forward and recorded its adoption; all through
// REST, from the tokens, never from the bodies.
func TestWhoActsInGovernance(t *testing.T) {
	c := startApp(t)
	signedIn := func(subject string) *client {
		return c.as(c.tokenFor(c.app, auth.Principal{Subject: subject, Role: auth.DistrictAdmin}))
	}
	const (
		registrarSubject  = "accounts/registrar-17"
		editorSubject     = "accounts/editor-17"
		classifierSubject = "accounts/classifier-17"
		gridSubject       = "accounts/grid-17"
		openerSubject     = "accounts/opener-17"
		closerSubject     = "accounts/closer-17"
		drafterSubject    = "accounts/drafter-17"
		committeeSubject  = "accounts/committee-17"
	)
	registrar := signedIn(registrarSubject)
	rt := registrar.createRegionTree()

	type compoundView struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		CreateAccount string `json:"createAccount"`
		UpdateAccount string `json:"updateAccount"`
	}
	var comp compoundView
	registrar.call("POST", "/v1/compounds", map[string]any{
		"name": "光华小区", "communityId": rt.community.ID, "buildYear": 1985,
		"createAccount": "accounts/forged", "updateAccount": "accounts/forged",
	}, &comp)
	if comp.ID == "" || comp.CreateAccount != registrarSubject || comp.UpdateAccount != "" {
		t.Fatalf("created compound = %+v, want createAccount %s and no updateAccount", comp, registrarSubject)
	}

	t.Run("compound", func(t *testing.T) {
		var got compoundView
		signedIn(editorSubject).with(t).call("PATCH", path("/v1/compounds/%s", comp.ID)+"?updateMask=address", map[string]any{"address": "光华路 1 号"}, &got)
		if got.CreateAccount != registrarSubject || got.UpdateAccount != editorSubject {
			t.Errorf("updated compound = %+v, want created by %s, updated by %s", got, registrarSubject, editorSubject)
		}
		signedIn(classifierSubject).with(t).call("POST", path("/v1/compounds/%s:classify", comp.ID), map[string]any{"governanceMode": "SELF_GOVERNANCE", "decidedBy": "社区两委"}, &got)
		if got.CreateAccount != registrarSubject || got.UpdateAccount != classifierSubject {
			t.Errorf("classified compound = %+v, want created by %s, updated by %s", got, registrarSubject, classifierSubject)
		}
		registrar.with(t).call("GET", path("/v1/compounds/%s", comp.ID), nil, &got)
		if got.CreateAccount != registrarSubject || got.UpdateAccount != classifierSubject {
			t.Errorf("stored compound = %+v, want created by %s, updated by %s", got, registrarSubject, classifierSubject)
		}
	})

	var b building
	registrar.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":1,"floorCount":6}`, &b)
	type householdView struct {
		ID            string `json:"id"`
		CreateAccount string `json:"createAccount"`
	}
	grid := signedIn(gridSubject)
	var hs struct {
		Households []householdView `json:"households"`
	}
	grid.call("POST", path("/v1/compounds/%s/households:batchCreate", comp.ID), map[string]any{"households": []map[string]any{
		{"buildingId": b.ID, "unit": "1", "room": "101", "exclusiveAreaM2": 70},
		{"buildingId": b.ID, "unit": "1", "room": "102", "exclusiveAreaM2": 80},
	}}, &hs)
	if len(hs.Households) != 2 {
		t.Fatalf("batchCreate answered %+v, want two households", hs)
	}

	t.Run("household", func(t *testing.T) {
		var one householdView
		grid.with(t).call("POST", path("/v1/compounds/%s/households", comp.ID), map[string]any{
			"buildingId": b.ID, "unit": "1", "room": "103", "exclusiveAreaM2": 60, "createAccount": "accounts/forged",
		}, &one)
		if one.CreateAccount != gridSubject {
			t.Errorf("created household = %+v, want createAccount %s", one, gridSubject)
		}
		for _, h := range append(hs.Households, one) {
			var got householdView
			registrar.with(t).call("GET", path("/v1/households/%s", h.ID), nil, &got)
			if got.CreateAccount != gridSubject {
				t.Errorf("stored household = %+v, want createAccount %s", got, gridSubject)
			}
		}
	})

	t.Run("leader election", func(t *testing.T) {
		type electionView struct {
			ID            string `json:"id"`
			State         string `json:"state"`
			CreateAccount string `json:"createAccount"`
			CloseAccount  string `json:"closeAccount"`
		}
		var el electionView
		signedIn(openerSubject).with(t).call("POST", "/v1/leader-elections", map[string]any{
			"buildingId": b.ID, "candidateHouseholdIds": []string{hs.Households[0].ID, hs.Households[1].ID},
		}, &el)
		if el.ID == "" || el.CreateAccount != openerSubject || el.CloseAccount != "" {
			t.Fatalf("opened election = %+v, want createAccount %s and no closeAccount", el, openerSubject)
		}
		closer := signedIn(closerSubject).with(t)
		closer.call("POST", path("/v1/leader-elections/%s:close", el.ID), map[string]any{"requestId": "who-acts-close"}, &el)
		if el.State != "CLOSED" || el.CreateAccount != openerSubject || el.CloseAccount != closerSubject {
			t.Errorf("closed election = %+v, want CLOSED, opened by %s, closed by %s", el, openerSubject, closerSubject)
		}
		// A retry of the close answers what the first one recorded.
		var again electionView
		closer.call("POST", path("/v1/leader-elections/%s:close", el.ID), map[string]any{"requestId": "who-acts-close"}, &again)
		if again != el {
			t.Errorf("a retried close answered %+v, first %+v", again, el)
		}
		var got electionView
		registrar.with(t).call("GET", path("/v1/leader-elections/%s", el.ID), nil, &got)
		if got != el {
			t.Errorf("stored election = %+v, want %+v", got, el)
		}
	})

	t.Run("convention", func(t *testing.T) {
		type conventionView struct {
			ID            string `json:"id"`
			Adopted       bool   `json:"adopted"`
			CreateAccount string `json:"createAccount"`
			AdoptAccount  string `json:"adoptAccount"`
		}
		var v conventionView
		signedIn(drafterSubject).with(t).call("POST", path("/v1/compounds/%s/conventions", comp.ID), map[string]any{
			"kind": "RESIDENTS_CONVENTION", "title": "居民公约", "text": "爱护公共设施，垃圾分类投放。", "adoptAccount": "accounts/forged",
		}, &v)
		if v.ID == "" || v.CreateAccount != drafterSubject || v.AdoptAccount != "" {
			t.Fatalf("created convention = %+v, want createAccount %s and no adoptAccount", v, drafterSubject)
		}

		// The owners pass the resolution that adopts it, every household agreeing.
		officer := registrar.with(t)
		vote := officer.createSurvey(map[string]any{"compoundId": comp.ID, "title": "居民公约表决", "kind": "RESOLUTION", "matter": "OTHER", "questions": []map[string]any{voteQuestion}})
		officer.transition(vote.ID, "open", "OPEN")
		var all struct {
			Households []householdView `json:"households"`
		}
		officer.call("GET", path("/v1/compounds/%s/households", comp.ID)+"?pageSize=1000", nil, &all)
		for _, h := range all.Households {
			officer.vote(vote.ID, h.ID, "agree")
		}
		officer.transition(vote.ID, "close", "CLOSED")

		signedIn(committeeSubject).with(t).call("POST", path("/v1/conventions/%s:adopt", v.ID), map[string]any{"resolutionSurveyId": vote.ID}, &v)
		if !v.Adopted || v.CreateAccount != drafterSubject || v.AdoptAccount != committeeSubject {
			t.Errorf("adopted convention = %+v, want adopted, put forward by %s, adoption recorded by %s", v, drafterSubject, committeeSubject)
		}
		var list struct {
			Conventions []conventionView `json:"conventions"`
		}
		registrar.with(t).call("GET", path("/v1/compounds/%s/conventions", comp.ID), nil, &list)
		if len(list.Conventions) != 1 || list.Conventions[0] != v {
			t.Errorf("stored conventions = %+v, want [%+v]", list.Conventions, v)
		}
	})
}
