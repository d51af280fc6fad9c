package e2e

import (
	"strconv"
	"testing"
	"time"

	"tongdu/platform/auth"
)

// A project's history names who acted: the creation entry names the caller whose token
// drew the plan up (never an anonymous "unknown"); a transition names the office its body
// gives, as the contract requires one.
func TestProjectHistoryNamesTheCaller(t *testing.T) {
	t.Parallel()
	admin := startApp(t)
	rt := admin.createRegionTree()
	k := admin.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	staff := admin.as(admin.tokenFor(admin.app, auth.Principal{Subject: "staff-zhou", Role: auth.SubdistrictStaff, Scope: "regions/" + rt.subdistrict.ID}))

	type entry struct{ From, To, Actor string }
	var p struct {
		ID      string  `json:"id"`
		History []entry `json:"history"`
	}
	staff.call("POST", "/v1/projects", map[string]any{"compoundId": k.ID, "title": "光华小区改造", "year": time.Now().Year(), "budgetFen": strconv.Itoa(100000)}, &p)
	if len(p.History) != 1 || p.History[0].To != "PROPOSED" || p.History[0].Actor != "staff-zhou" {
		t.Fatalf("history after creation = %+v, want one PROPOSED entry by staff-zhou", p.History)
	}
	staff.call("POST", path("/v1/projects/%s:cancel", p.ID), map[string]any{"actor": "铜都街道", "reason": "并入下一年度计划"}, &p)
	if last := p.History[len(p.History)-1]; last.To != "CANCELLED" || last.Actor != "铜都街道" {
		t.Fatalf("last entry after :cancel = %+v, want CANCELLED by the office named, 铜都街道", last)
	}
}
