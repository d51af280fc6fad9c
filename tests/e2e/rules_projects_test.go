package e2e

// Rules a district can audit, through the REST gateway of the all-in-one: approval counts
// only the compound's latest closed renovation resolution, and one resolution approves
// one project (rule 6); the acceptance survey a project names is an ACCEPTANCE survey of
// its compound (rule 6); the order of works puts underground works before the surfaces
// over them and items after those they name, refusing a cycle (rule 5).

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRulesProjectsThroughREST(t *testing.T) {
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "石羊路22号院", 1990, nil, 60, 60, 60, 60)
	vote := func(c *client, answers ...string) string {
		s := c.createSurvey(map[string]any{"compoundId": e.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
		c.transition(s.ID, "open", "OPEN")
		for i, a := range answers {
			c.submit(s.ID, resp(e.hid(i), "DOOR_TO_DOOR", time.Time{}, ans("vote", a)))
		}
		c.transition(s.ID, "close", "CLOSED")
		return s.ID
	}
	type project struct {
		ID                 string `json:"id"`
		Status             string `json:"status"`
		ResolutionSurveyID string `json:"resolutionSurveyId"`
	}
	newProject := func(c *client, year int) project {
		var p project
		c.call("POST", "/v1/projects", map[string]any{"compoundId": e.ID, "title": "微改造", "year": year, "budgetFen": "1000000"}, &p)
		return p
	}
	metadata := func(st apiStatus) map[string]string {
		for _, d := range st.Details {
			if d.Type == errorInfoType {
				return d.Metadata
			}
		}
		return nil
	}

	t.Run("approval: a pass superseded by a later failed vote is refused; one resolution approves one project (rule 6)", func(t *testing.T) {
		c := c.with(t)
		passed := vote(c, "agree", "agree", "agree", "agree")
		failed := vote(c, "agree", "disagree", "disagree", "disagree")
		p := newProject(c, 2021)
		for _, body := range []map[string]any{{"actor": "区住建局", "resolutionSurveyId": passed}, {"actor": "区住建局"}} {
			st := c.refused(c.do("POST", path("/v1/projects/%s:approve", p.ID), body), "RESOLUTION_SUPERSEDED", "approving on a superseded pass")
			if metadata(st)["supersededBy"] != failed {
				t.Errorf("the refusal does not name the later vote %s: %s", failed, st.Raw)
			}
		}
		again := vote(c, "agree", "agree", "agree", "agree")
		var got project
		c.postPlan(e.ID, p.ID)
		c.call("POST", path("/v1/projects/%s:approve", p.ID), map[string]any{"actor": "区住建局"}, &got)
		if got.Status != "APPROVED" || got.ResolutionSurveyID != again {
			t.Fatalf("approved %+v, want APPROVED on %s", got, again)
		}
		q := newProject(c, 2022)
		c.postPlan(e.ID, q.ID)
		st := c.refused(c.do("POST", path("/v1/projects/%s:approve", q.ID), map[string]any{"actor": "区住建局", "resolutionSurveyId": again}), "RESOLUTION_ALREADY_USED", "approving a second project on one resolution")
		if metadata(st)["project"] != p.ID {
			t.Errorf("the refusal does not name project %s: %s", p.ID, st.Raw)
		}
	})

	t.Run("acceptance survey: a resolution is no residents' acceptance (rule 6)", func(t *testing.T) {
		c := c.with(t)
		p := newProject(c, 2023)
		r := vote(c, "agree")
		st := c.failure(c.do("PATCH", path("/v1/projects/%s", p.ID), map[string]any{"acceptanceSurveyId": r}), http.StatusBadRequest, "naming a resolution as the acceptance survey")
		if _, ok := st.violation("project.acceptanceSurveyId"); !ok || !strings.Contains(string(st.Raw), "RESOLUTION") {
			t.Errorf("violations do not name project.acceptanceSurveyId or say what it is: %s", st.Raw)
		}
	})

	t.Run("order of works: underground first, after links, cycles refused (rule 5)", func(t *testing.T) {
		c := c.with(t)
		p := newProject(c, 2024)
		type item struct {
			ID    string   `json:"id"`
			Kind  string   `json:"kind"`
			After []string `json:"after"`
		}
		add := func(kind, category string, after ...string) response {
			return c.do("POST", path("/v1/projects/%s/items", p.ID), map[string]any{"category": category, "kind": kind, "quantity": 10, "unit": "m",
				"difficulty": "EASY", "estimatedCostFen": "100000", "after": after})
		}
		var road, drain item
		c.call("POST", path("/v1/projects/%s/items", p.ID), map[string]any{"category": "BASIC", "kind": "ROAD_REPAIR", "quantity": 10, "unit": "m2", "difficulty": "EASY", "estimatedCostFen": "100000"}, &road)
		st := c.failure(add("WATER_PIPE", "BASIC", road.ID), http.StatusBadRequest, "a water pipe after the road over it")
		if _, ok := st.violation("item.after"); !ok || !strings.Contains(st.Message, road.ID) {
			t.Errorf("the cycle is not refused on item.after naming %s: %s", road.ID, st.Raw)
		}
		st = c.failure(add("PAVING", "BASIC", "no-such-item"), http.StatusBadRequest, "after an unknown item")
		if _, ok := st.violation("item.after"); !ok {
			t.Errorf("an unknown item is not refused on item.after: %s", st.Raw)
		}
		r := add("DRAIN_PIPE", "IMPROVEMENT")
		if r.status != http.StatusOK {
			t.Fatalf("drain pipe: %d %s", r.status, r.body)
		}
		var sched struct {
			Entries []struct {
				Item   item   `json:"item"`
				Reason string `json:"reason"`
			} `json:"entries"`
		}
		c.call("GET", path("/v1/projects/%s/schedule", p.ID), nil, &sched)
		if len(sched.Entries) != 2 {
			t.Fatalf("schedule %+v", sched)
		}
		drain = sched.Entries[0].Item
		if drain.Kind != "DRAIN_PIPE" || sched.Entries[0].Reason == "" ||
			sched.Entries[1].Item.ID != road.ID || sched.Entries[1].Reason != "after DRAIN_PIPE "+drain.ID+": underground works before the surface over them" {
			t.Errorf("schedule %+v: want the drain pipe before the road over it, each with its reason", sched)
		}
	})
}
