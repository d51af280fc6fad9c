package e2e

// The compound's notice board (公示, rules 6 and 14), through the REST gateway of the
// all-in-one with the projects service on a clock the test moves: a plan posted, a
// resident's objection, approval refused until it is answered and the period is over,
// and the public notice (JSON and its printable page) without names or phone numbers.

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	"tongdu/services/projects"
)

type notice struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	Kind       string `json:"kind"`
	OpensAt    string `json:"opensAt"`
	ClosesAt   string `json:"closesAt"`
	Unanswered int    `json:"unansweredObjections"`
	Figures    []struct {
		Key, Value string
	} `json:"figures"`
	Tables []struct {
		Key     string   `json:"key"`
		Columns []string `json:"columns"`
		Rows    []struct {
			Cells []string `json:"cells"`
		} `json:"rows"`
	} `json:"tables"`
	Objections []struct {
		ID          string `json:"id"`
		HouseholdID string `json:"householdId"`
		Text        string `json:"text"`
		Answer      string `json:"answer"`
	} `json:"objections"`
	CompoundName string `json:"compoundName"`
}

// postPlan posts a project's plan on its compound's board as if it had gone up on paper
// eight days ago (rule 15), so its period (7 days by default) is over: for tests whose
// subject is not the notice itself.
func (c *client) postPlan(compoundID, projectID string) notice {
	c.t.Helper()
	var n notice
	c.call("POST", "/v1/notices", map[string]any{"compoundId": compoundID, "kind": "PLAN", "subjectId": projectID,
		"opensAt": time.Now().Add(-8 * 24 * time.Hour).UTC().Format(time.RFC3339)}, &n)
	return n
}

func TestNoticeBoardGuardsApproval(t *testing.T) {
	clock := &testkit.Clock{}
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(t), DataDir: t.TempDir(),
		Modules: allinone.With(projects.ModuleWith(projects.Config{Now: clock.Now}))})
	t.Cleanup(app.Close)
	c := newClient(t, app)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "石羊路21号院", 1985, nil, 60, 60, 60)
	var h household
	c.call("POST", path("/v1/compounds/%s/households", e.ID), map[string]any{"buildingId": e.buildingID, "unit": "2", "room": "301",
		"exclusiveAreaM2": 80, "residentName": "欧阳娜娜", "phone": "13900001111"}, &h)
	e.households = append(e.households, h)
	vote := c.createSurvey(map[string]any{"compoundId": e.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
	c.transition(vote.ID, "open", "OPEN")
	for i := range 4 {
		c.submit(vote.ID, resp(e.hid(i), "DOOR_TO_DOOR", time.Time{}, ans("vote", "agree")))
	}
	c.transition(vote.ID, "close", "CLOSED")
	p := c.createProject(e.ID, "石羊路21号院改造", 1_000_000)
	c.createItem(p.ID)
	c.call("POST", "/v1/funding-plans", map[string]any{"projectId": p.ID,
		"sources": []map[string]any{{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "600000"}, {"party": "RESIDENTS", "funder": "居民", "committedFen": "400000"}},
		"quota":   map[string]any{"flatFen": "108400"}}, nil)
	approve := func() response {
		return c.do("POST", path("/v1/projects/%s:approve", p.ID), map[string]any{"actor": "区住建局"})
	}

	c.refused(approve(), "NOTICE_NOT_PUBLISHED", "approving a plan never posted")

	var n notice
	c.call("POST", "/v1/notices", map[string]any{"compoundId": e.ID, "kind": "PLAN", "subjectId": p.ID, "body": "如有异议请于公示期内提出。"}, &n)
	opens, _ := time.Parse(time.RFC3339, n.OpensAt)
	closes, _ := time.Parse(time.RFC3339, n.ClosesAt)
	if n.State != "OPEN" || closes.Sub(opens) != 7*24*time.Hour || n.CompoundName != "石羊路21号院" {
		t.Fatalf("posted plan = %+v, want OPEN for 7 days on 石羊路21号院's board", n)
	}
	shares := map[string]bool{}
	for _, tb := range n.Tables {
		if tb.Key == "shares" {
			for _, r := range tb.Rows {
				shares[strings.Join(r.Cells, "|")] = true
			}
		}
	}
	if len(shares) != 4 || !shares["1号楼|2|301|80.00|108400"] {
		t.Errorf("the plan's shares = %v, want the four households by their doors at 1,084 yuan (rule 8)", shares)
	}

	// A resident of the compound objects with their household's session; one of another
	// household may not object in its name.
	resident := c.asRole(auth.Resident, "households/"+e.hid(0))
	body := map[string]any{"householdId": e.hid(0), "text": "充电桩离1单元太近，请再考虑。联系我13812345678"}
	var o struct {
		ID     string `json:"id"`
		Answer string `json:"answer"`
	}
	resident.call("POST", path("/v1/notices/%s/objections", n.ID), body, &o)
	if r := c.asRole(auth.Resident, "households/"+e.hid(2)).do("POST", path("/v1/notices/%s/objections", n.ID), body); r.status != http.StatusForbidden {
		t.Errorf("objecting in another household's name answered %d, want 403", r.status)
	}

	c.refused(approve(), "OBJECTION_UNANSWERED", "approving with an objection unanswered")

	if r := c.do("POST", path("/v1/notices/%s/objections/%s:answer", n.ID, o.ID), map[string]any{"answer": ""}); r.status != http.StatusBadRequest {
		t.Errorf("an empty answer answered %d, want 400", r.status)
	}
	c.call("POST", path("/v1/notices/%s/objections/%s:answer", n.ID, o.ID), map[string]any{"answer": "已与施工单位核实，充电桩移至3单元北侧。"}, nil)
	c.refused(c.do("POST", path("/v1/notices/%s/objections/%s:answer", n.ID, o.ID), map[string]any{"answer": "再答"}), "OBJECTION_ANSWERED", "answering twice")

	st := c.refused(approve(), "NOTICE_PERIOD_OPEN", "approving before the period is over")
	if !strings.Contains(st.Message, "left") {
		t.Errorf("the refusal does not say how long is left: %s", st.Message)
	}
	clock.Advance(6 * 24 * time.Hour)
	c.refused(approve(), "NOTICE_PERIOD_OPEN", "approving a day before the period is over")
	clock.Advance(24*time.Hour + time.Minute)

	// The period is over: an objection now comes too late, and approval goes through.
	c.refused(resident.do("POST", path("/v1/notices/%s/objections", n.ID), body), "NOTICE_CLOSED", "objecting after the notice came down")
	var got project
	c.call("POST", path("/v1/projects/%s:approve", p.ID), map[string]any{"actor": "区住建局"}, &got)
	if got.Status != "APPROVED" {
		t.Fatalf("after the period: project %s, want APPROVED", got.Status)
	}

	// The notice is public and shows the objection and its answer, without who lodged it,
	// names or phone numbers.
	r := c.noToken().do("GET", path("/v1/notices/%s", n.ID), nil)
	if r.status != http.StatusOK {
		t.Fatalf("public GET of the notice answered %d: %s", r.status, r.body)
	}
	raw := string(r.body)
	for _, private := range []string{"欧阳", "13900001111", "13812345678", e.hid(0)} {
		if strings.Contains(raw, private) {
			t.Errorf("the public notice holds %q: %s", private, raw)
		}
	}
	for _, want := range []string{"充电桩离1单元太近", "138****5678", "已与施工单位核实", `"state":"CLOSED"`} {
		if !strings.Contains(raw, want) {
			t.Errorf("the public notice lacks %q: %s", want, raw)
		}
	}
	var list struct {
		Notices []notice `json:"notices"`
	}
	c.noToken().call("GET", "/v1/notices?compoundId="+e.ID, nil, &list)
	if len(list.Notices) != 1 || list.Notices[0].ID != n.ID {
		t.Errorf("the compound's board lists %+v, want notice %s", list.Notices, n.ID)
	}

	// The printable page: public, the same facts, no names or phone numbers.
	res, err := http.Get(app.HTTPBase() + "/notices/" + n.ID)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /notices/%s answered %d", n.ID, res.StatusCode)
	}
	html := string(page)
	for _, want := range []string{"石羊路21号院", "充电桩离1单元太近", "已与施工单位核实", "1,084.00", "<svg"} {
		if !strings.Contains(html, want) {
			t.Errorf("the printable notice lacks %q", want)
		}
	}
	for _, private := range []string{"欧阳", "13900001111", "13812345678", e.hid(0)} {
		if strings.Contains(html, private) {
			t.Errorf("the printable notice holds %q", private)
		}
	}
}

func TestNoticeRulesThroughREST(t *testing.T) {
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "光华小区", 1990, nil, 60, 60)
	p := c.createProject(e.ID, "光华小区改造", 500_000)
	c.createItem(p.ID)

	t.Run("a plan stays up at least the period; bad input names its fields", func(t *testing.T) {
		c := c.with(t)
		now := time.Now().UTC()
		st := c.failure(c.do("POST", "/v1/notices", map[string]any{"compoundId": e.ID, "kind": "PLAN", "subjectId": p.ID,
			"opensAt": now.Format(time.RFC3339), "closesAt": now.Add(3 * 24 * time.Hour).Format(time.RFC3339)}), http.StatusBadRequest, "a plan up for 3 days")
		if _, ok := st.violationLike("closesAt"); !ok {
			t.Errorf("the refusal names no closesAt: %s", st.Raw)
		}
		if r := c.do("POST", "/v1/notices", map[string]any{"compoundId": e.ID, "kind": "PLAN", "subjectId": "nope"}); r.status != http.StatusBadRequest {
			t.Errorf("a plan of an unknown project answered %d, want 400", r.status)
		}
	})

	t.Run("a scheduled notice is not public yet and takes no objection", func(t *testing.T) {
		c := c.with(t)
		var n notice
		c.call("POST", "/v1/notices", map[string]any{"compoundId": e.ID, "kind": "PLAN", "subjectId": p.ID,
			"opensAt": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, &n)
		if n.State != "SCHEDULED" {
			t.Fatalf("a notice opening in two days is %s, want SCHEDULED", n.State)
		}
		c.refused(c.noToken().do("GET", path("/v1/notices/%s", n.ID), nil), "NOTICE_NOT_PUBLISHED", "reading a scheduled notice")
		c.refused(c.asRole(auth.Resident, "households/"+e.hid(0)).do("POST", path("/v1/notices/%s/objections", n.ID),
			map[string]any{"householdId": e.hid(0), "text": "异议"}), "NOTICE_NOT_PUBLISHED", "objecting before the notice is up")
		c.refused(c.do("POST", path("/v1/projects/%s:approve", p.ID), nil), "RESOLUTION_NOT_PASSED", "approving without a resolution")
	})

	t.Run("a plan changed after it was posted must be posted again", func(t *testing.T) {
		c := c.with(t)
		vote := c.createSurvey(map[string]any{"compoundId": e.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
		c.transition(vote.ID, "open", "OPEN")
		c.submit(vote.ID, resp(e.hid(0), "DOOR_TO_DOOR", time.Time{}, ans("vote", "agree")))
		c.submit(vote.ID, resp(e.hid(1), "DOOR_TO_DOOR", time.Time{}, ans("vote", "agree")))
		c.transition(vote.ID, "close", "CLOSED")
		c.postPlan(e.ID, p.ID)
		c.createItem(p.ID)
		c.refused(c.do("POST", path("/v1/projects/%s:approve", p.ID), nil), "NOTICE_NOT_PUBLISHED", "approving a plan changed since its notice")
		c.postPlan(e.ID, p.ID)
		c.projectTo(p.ID, "approve", "APPROVED")
	})

	// Rule 14: fund disclosures, resolution results, election results and conventions go
	// up the same way, public, each with what its owner reports and nothing personal.
	t.Run("each kind publishes its subject's facts", func(t *testing.T) {
		c := c.with(t)
		c.call("POST", "/v1/funding-plans", map[string]any{"projectId": p.ID, "sources": []map[string]any{{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "500000"}}}, nil)
		var vote struct {
			ID string `json:"id"`
		}
		var list struct {
			Surveys []struct {
				ID string `json:"id"`
			} `json:"surveys"`
		}
		c.call("GET", "/v1/surveys?compoundId="+e.ID+"&kind=RESOLUTION", nil, &list)
		vote.ID = list.Surveys[len(list.Surveys)-1].ID
		var el struct {
			ID string `json:"id"`
		}
		c.call("POST", "/v1/leader-elections", map[string]any{"buildingId": e.buildingID, "candidateHouseholdIds": []string{e.hid(0), e.hid(1)}}, &el)
		c.call("POST", path("/v1/leader-elections/%s:vote", el.ID), map[string]any{"householdId": e.hid(1), "candidateHouseholdId": e.hid(0)}, nil)
		c.call("POST", path("/v1/leader-elections/%s:close", el.ID), map[string]any{}, nil)
		var conv struct {
			ID string `json:"id"`
		}
		c.call("POST", path("/v1/compounds/%s/conventions", e.ID), map[string]any{"kind": "RESIDENTS_CONVENTION", "title": "居民公约", "text": "爱护公共设施，垃圾分类投放。"}, &conv)

		for _, k := range []struct{ kind, subject, wantFigure, wantText string }{
			{"FUND_DISCLOSURE", p.ID, "committedFen", "500000"},
			{"RESOLUTION_RESULT", vote.ID, "passed", "true"},
			{"ELECTION_RESULT", el.ID, "winner", "1号楼 1 101"},
			{"CONVENTION", conv.ID, "title", "居民公约"},
		} {
			var n notice
			c.call("POST", "/v1/notices", map[string]any{"compoundId": e.ID, "kind": k.kind, "subjectId": k.subject}, &n)
			r := c.noToken().do("GET", path("/v1/notices/%s", n.ID), nil)
			if r.status != http.StatusOK {
				t.Fatalf("%s: public GET answered %d: %s", k.kind, r.status, r.body)
			}
			found := false
			for _, f := range n.Figures {
				found = found || (f.Key == k.wantFigure && f.Value == k.wantText)
			}
			if !found {
				t.Errorf("%s: figures %+v, want %s = %s", k.kind, n.Figures, k.wantFigure, k.wantText)
			}
			for _, h := range []string{e.hid(0), e.hid(1)} {
				if strings.Contains(string(r.body), h) {
					t.Errorf("%s names household %s: %s", k.kind, h, r.body)
				}
			}
			if k.kind != "PLAN" && n.State != "OPEN" {
				t.Errorf("%s is %s, want OPEN", k.kind, n.State)
			}
		}
		// A subject of another compound, or of the wrong kind, is bad input on subjectId.
		r := c.do("POST", "/v1/notices", map[string]any{"compoundId": e.ID, "kind": "ELECTION_RESULT", "subjectId": conv.ID})
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "subjectId") {
			t.Errorf("an election notice of a convention answered %d: %s", r.status, r.body)
		}
	})
}
