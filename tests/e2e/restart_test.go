package e2e

import (
	"os"
	"os/exec"
	"sync"
	"testing"

	"tongdu/cmd/tongdu/allinone"
)

// TestRestartKeepsData runs the all-in-one as `go run ./cmd/tongdu` does on one machine:
// no Redis URL, so it keeps its own redis-server with append-only files under the data
// dir. What was registered before a restart is there after it.
func TestRestartKeepsData(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("TONGDU_REQUIRE_REAL_REDIS") == "1" {
			t.Fatalf("TONGDU_REQUIRE_REAL_REDIS=1 but no redis-server on PATH: %v", err)
		}
		t.Skip("no redis-server on PATH: the all-in-one would keep data in memory only")
	}
	t.Parallel()
	dir := t.TempDir()
	cfg := allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: dir}

	app := startAllInOne(t, cfg)
	var once sync.Once
	closeFirst := func() { once.Do(app.Close) }
	t.Cleanup(closeFirst) // if the test stops before the restart
	c := newClient(t, app)
	rt := c.createRegionTree()
	comp := c.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID, "buildYear": 1985})
	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":2}`, &b)
	var h household
	c.call("POST", path("/v1/compounds/%s/households", comp.ID), `{"buildingId":"`+b.ID+`","unit":"1","room":"101","exclusiveAreaM2":60,"residentName":"张三","phone":"13812345678"}`, &h)
	closeFirst()

	app = startAllInOne(t, cfg)
	t.Cleanup(app.Close)
	c = newClient(t, app)
	got := c.getCompound(comp.ID)
	if got.Name != "光华小区" || got.BuildYear != 1985 || got.CommunityID != rt.community.ID {
		t.Errorf("after restart the compound is %+v", got)
	}
	if got.HouseholdCount != 1 || got.TotalExclusiveAreaM2 != 60 || got.BuildingCount != 1 {
		t.Errorf("after restart: %d households, %v m2, %d buildings; want 1, 60, 1", got.HouseholdCount, got.TotalExclusiveAreaM2, got.BuildingCount)
	}
	if ids := compoundIDs(c.listCompounds(nil)); !sameSet(ids, []string{comp.ID}) {
		t.Errorf("after restart GET /v1/compounds = %v, want [%s]", ids, comp.ID)
	}
	var r region
	c.call("GET", path("/v1/regions/%s", rt.community.ID), nil, &r)
	if r.Name != "和平社区" {
		t.Errorf("after restart the community is %+v", r)
	}
	var hh household
	c.call("GET", path("/v1/households/%s", h.ID), nil, &hh)
	if hh.ResidentName != "张三" || hh.Phone != "13812345678" {
		t.Errorf("after restart the household shows %q, %q", hh.ResidentName, hh.Phone)
	}
	// The store still takes writes.
	c.createCompound(map[string]any{"name": "新华院坝", "communityId": rt.community.ID})
	if n := c.compoundCount(); n != 2 {
		t.Errorf("after restart and one more create: %d compounds, want 2", n)
	}
}
