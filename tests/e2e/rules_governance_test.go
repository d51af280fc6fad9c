package e2e

// Rules a district can audit, through the REST gateway of the all-in-one: a compound's
// status is derived only; a department resolves only the whistles it acknowledged
// (rule 11); one leader election per building or unit is open at a time (rule 12); and
// the registry's changes behind the priority ranking are published for the survey
// service (rule 4).

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/events"
	"tongdu/platform/testkit"
)

func TestRulesGovernanceThroughREST(t *testing.T) {
	url := testkit.RedisURL(t)
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: url, DataDir: t.TempDir()})
	t.Cleanup(app.Close)
	c := newClient(t, app)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "光华里", 1985, facilities("POOR"), 70, 80, 90)

	t.Run("the compound status is derived only: PATCH status is 400 on compound.status and changes nothing", func(t *testing.T) {
		c := c.with(t)
		before := c.getCompound(e.ID)
		st := c.failure(c.do("PATCH", path("/v1/compounds/%s", e.ID), `{"status":"PLANNED","name":"改名"}`), http.StatusBadRequest, "PATCH status")
		if _, ok := st.violation("compound.status"); !ok {
			t.Errorf("PATCH status: violations do not name compound.status: %s", st.Raw)
		}
		if after := c.getCompound(e.ID); after.Status != before.Status || after.Name != before.Name {
			t.Errorf("a refused PATCH changed the compound: %+v, was %+v", after, before)
		}
	})

	t.Run("rule 11: resolving a whistle not acknowledged is NOT_ACKNOWLEDGED", func(t *testing.T) {
		c := c.with(t)
		c.call("POST", "/v1/departments", map[string]any{"id": "water", "name": "水务局"}, nil)
		var w struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		c.call("POST", "/v1/whistles", map[string]any{"compoundId": e.ID, "category": "DRAINAGE", "description": "化粪池满溢", "departmentIds": []string{"water"}, "priority": "URGENT"}, &w)
		st := c.failure(c.do("POST", path("/v1/whistles/%s:resolve", w.ID), map[string]any{"departmentId": "water"}), http.StatusPreconditionFailed, "resolve before acknowledging")
		if st.reason() != "NOT_ACKNOWLEDGED" {
			t.Errorf("resolve before acknowledging: reason %q, want NOT_ACKNOWLEDGED; %s", st.reason(), st.Raw)
		}
		c.call("POST", path("/v1/whistles/%s:acknowledge", w.ID), map[string]any{"departmentId": "water"}, nil)
		c.call("POST", path("/v1/whistles/%s:resolve", w.ID), map[string]any{"departmentId": "water"}, &w)
		if w.Status != "RESOLVED" {
			t.Errorf("after acknowledging and resolving: %s", w.Status)
		}
	})

	t.Run("rule 12: a second open election for the building is ELECTION_OPEN", func(t *testing.T) {
		c := c.with(t)
		body := map[string]any{"buildingId": e.buildingID, "candidateHouseholdIds": []string{e.hid(0)}}
		var first struct {
			ID string `json:"id"`
		}
		c.call("POST", "/v1/leader-elections", body, &first)
		st := c.failure(c.do("POST", "/v1/leader-elections", body), http.StatusPreconditionFailed, "a second open election")
		if st.reason() != "ELECTION_OPEN" {
			t.Errorf("a second open election: reason %q, want ELECTION_OPEN; %s", st.reason(), st.Raw)
		}
		c.call("POST", path("/v1/leader-elections/%s:close", first.ID), map[string]any{}, nil)
		c.call("POST", "/v1/leader-elections", body, nil) // once closed, the next opens
	})

	t.Run("rule 4: registry changes are published on the registry topic", func(t *testing.T) {
		if strings.HasPrefix(url, "redis+cluster://") {
			t.Skip("reads the stream of a single redis-server")
		}
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		c := c.with(t)
		fresh := c.setupEstate(rt.otherCommunity.ID, "锦苑", 1990, nil, 60)
		c.call("PATCH", path("/v1/compounds/%s", fresh.ID), map[string]any{"facilities": facilities("FAIR")}, nil)
		var got []string
		deadline := time.Now().Add(5 * time.Second)
		for {
			msgs, err := rdb.XRange(context.Background(), events.RegistryTopic, "-", "+").Result()
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, m := range msgs {
				if m.Values["compound"] == fresh.ID {
					got = append(got, fmt.Sprint(m.Values["fact"]))
				}
			}
			if len(got) >= 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if want := []string{"CREATED", "HOUSEHOLDS_CHANGED", "FACILITIES_ASSESSED"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("published for %s: %v, want %v", fresh.ID, got, want)
		}
	})
}
