package e2e

// Rules a district can audit, through the REST gateway of the all-in-one: the priority
// ranking shows by default only compounds still waiting for a plan, each with its status,
// and moves with the registry's changes as it does with responses (rule 4); a business-use
// resolution names the uses it authorises (rule 10).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/events"
	"tongdu/platform/testkit"
)

type statusRankingEntry struct {
	CompoundID    string   `json:"compoundId"`
	CompoundName  string   `json:"compoundName"`
	Status        string   `json:"status"`
	Score         *float64 `json:"score"` // a pointer: a zero must be written, not left out
	Deficit       float64  `json:"deficit"`
	Participation float64  `json:"participation"`
}

func (c *client) statusRanking(query string) []statusRankingEntry {
	c.t.Helper()
	var r struct {
		Entries []statusRankingEntry `json:"entries"`
	}
	c.call("GET", "/v1/rankings?"+query, nil, &r)
	return r.Entries
}

// until polls check for up to 5 s (the ranking moves within its delay, a second by
// default).
func until(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, got := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRulesSurveyThroughREST(t *testing.T) {
	redisURL := testkit.RedisURL(t)
	if strings.HasPrefix(redisURL, "redis+cluster://") {
		t.Skip("publishes on the stream of a single redis-server")
	}
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: redisURL, DataDir: t.TempDir()})
	t.Cleanup(app.Close)
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	c := newClient(t, app)
	rt := c.createRegionTree()
	district := "regionId=" + url.QueryEscape(rt.district.ID)

	a := c.setupEstate(rt.community.ID, "光华里", 1985, facilities("POOR", "GOOD"), 70, 80, 90, 100)
	zero := c.setupEstate(rt.otherCommunity.ID, "锦绣苑", 1995, nil)
	needs := c.createSurvey(map[string]any{"compoundId": a.ID, "title": "改造意愿调查", "kind": "NEEDS", "questions": []map[string]any{
		{"id": "wants", "text": "您是否愿意改造？", "type": "SINGLE_CHOICE", "options": []map[string]any{{"id": "yes", "text": "愿意"}, {"id": "no", "text": "不愿意"}}}}})
	c.transition(needs.ID, "open", "OPEN")

	find := func(entries []statusRankingEntry, id string) *statusRankingEntry {
		for i := range entries {
			if entries[i].CompoundID == id {
				return &entries[i]
			}
		}
		return nil
	}

	t.Run("rule 4: by default compounds waiting for a plan, a score of 0 included, each with its status", func(t *testing.T) {
		c := c.with(t)
		until(t, "default ranking", func() (bool, string) {
			es := c.statusRanking(district)
			ea, ez := find(es, a.ID), find(es, zero.ID)
			ok := len(es) == 2 && ea != nil && ea.Status == "SURVEYING" && ez != nil && ez.Status == "INVENTORIED" && ez.Score != nil && *ez.Score == 0
			data, _ := json.Marshal(es)
			return ok, string(data)
		})
	})

	t.Run("rule 4: registry changes reach the ranking as a response does; participation agrees with the statistics", func(t *testing.T) {
		c := c.with(t)
		agrees := func(what string, deficit float64) {
			t.Helper()
			until(t, what, func() (bool, string) {
				st := c.surveyStats(needs.ID)
				e := find(c.statusRanking(district), a.ID)
				if e == nil {
					return false, "not ranked"
				}
				return near(e.Participation, st.Participation) && near(e.Deficit, deficit),
					fmt.Sprintf("ranking participation %v, statistics %v; deficit %v, want %v", e.Participation, st.Participation, e.Deficit, deficit)
			})
		}
		c.submit(needs.ID, resp(a.hid(0), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")))
		agrees("after a response", 0.5)
		c.call("PATCH", path("/v1/compounds/%s", a.ID)+"?updateMask=facilities", map[string]any{"facilities": facilities("POOR", "POOR")}, nil)
		agrees("after a facility assessment", 1)
		c.addHouseholds(a, 4, 60)
		agrees("after a household added", 1)
		if st := c.surveyStats(needs.ID); st.TotalHouseholds != 5 {
			t.Fatalf("statistics count %d households, want 5", st.TotalHouseholds)
		}
		c.call("POST", path("/v1/compounds/%s:classify", a.ID), `{"governanceMode":"SELF_GOVERNANCE","decidedBy":"和平社区居委会"}`, nil)
		agrees("after a classification", 1)
	})

	t.Run("rule 4: a compound in a plan leaves the default ranking; status= shows exactly the statuses asked for", func(t *testing.T) {
		c := c.with(t)
		// What the projects service reports when a plan is approved; governance moves the
		// status and tells the ranking.
		if err := events.Publish(context.Background(), rdb, events.CompoundTopic, map[string]string{"compound": a.ID, "fact": "PROJECT_STATUS", "status": "APPROVED"}); err != nil {
			t.Fatal(err)
		}
		until(t, "default ranking after the plan", func() (bool, string) {
			es := c.statusRanking(district)
			data, _ := json.Marshal(es)
			return len(es) == 1 && es[0].CompoundID == zero.ID, string(data)
		})
		es := c.statusRanking(district + "&status=PLANNED")
		if len(es) != 1 || es[0].CompoundID != a.ID || es[0].Status != "PLANNED" {
			t.Fatalf("status=PLANNED: %+v", es)
		}
		if es := c.statusRanking(district + "&status=PLANNED&status=INVENTORIED"); len(es) != 2 || es[0].CompoundID != a.ID || es[1].CompoundID != zero.ID {
			t.Fatalf("status=PLANNED&status=INVENTORIED: %+v", es)
		}
		st := c.failure(c.do("GET", "/v1/rankings?"+district+"&status=STATUS_UNSPECIFIED", nil), http.StatusBadRequest, "an unspecified status")
		if _, ok := st.violationLike("status"); !ok {
			t.Fatalf("an unspecified status: violations do not name status: %s", st.Raw)
		}
	})

	t.Run("rule 10: a business-use resolution names the uses it authorises", func(t *testing.T) {
		c := c.with(t)
		vote := []map[string]any{{"id": "vote", "text": "是否同意将空余车位对外出租？", "type": "SINGLE_CHOICE", "options": []map[string]any{{"id": "agree", "text": "同意"}, {"id": "disagree", "text": "不同意"}}}}
		body := map[string]any{"compoundId": a.ID, "title": "共有部分经营表决", "kind": "RESOLUTION", "matter": "COMMON_PART_BUSINESS", "questions": vote}
		st := c.failure(c.do("POST", "/v1/surveys", body), http.StatusBadRequest, "no business uses")
		if _, ok := st.violation("businessUses"); !ok {
			t.Fatalf("no business uses: violations do not name businessUses: %s", st.Raw)
		}
		renovation := map[string]any{"compoundId": a.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": vote, "businessUses": []string{"SHOP_RENT"}}
		st = c.failure(c.do("POST", "/v1/surveys", renovation), http.StatusBadRequest, "business uses of a renovation vote")
		if _, ok := st.violation("businessUses"); !ok {
			t.Fatalf("business uses of a renovation vote: violations do not name businessUses: %s", st.Raw)
		}
		body["businessUses"] = []string{"PARKING_PUBLIC", "SHOP_RENT"}
		sv := c.createSurvey(body)
		var got struct {
			BusinessUses []string `json:"businessUses"`
		}
		c.call("GET", path("/v1/surveys/%s", sv.ID), nil, &got)
		if strings.Join(got.BusinessUses, ",") != "PARKING_PUBLIC,SHOP_RENT" {
			t.Fatalf("GET shows business uses %v", got.BusinessUses)
		}
	})
}
