package e2e

// A compound's status follows its renovation beyond the happy path, through the real
// projects → governance events: a plan cancelled beside another round's works, the works
// cancelled, every event delivered again and out of order (the stream delivers at least
// once), and a next round.

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/events"
	"tongdu/platform/testkit"
)

func TestCompoundStatusFollowsTheRenovation(t *testing.T) {
	redisURL := testkit.RedisURL(t)
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: redisURL, DataDir: t.TempDir()})
	t.Cleanup(app.Close)
	c := newClient(t, app)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "石羊路21号院", 1985, nil, 60, 60, 60, 60)

	// Each plan needs the owners' renovation resolution, one resolution per plan (rule 6).
	vote := func() {
		t.Helper()
		v := c.createSurvey(map[string]any{"compoundId": e.ID, "title": "改造表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{voteQuestion}})
		c.transition(v.ID, "open", "OPEN")
		for i := range 4 {
			c.submit(v.ID, resp(e.hid(i), "DOOR_TO_DOOR", time.Time{}, ans("vote", "agree")))
		}
		c.transition(v.ID, "close", "CLOSED")
	}
	plan := func(year int) string {
		t.Helper()
		var p project
		c.call("POST", "/v1/projects", map[string]any{"compoundId": e.ID, "title": "石羊路21号院改造" + strconv.Itoa(year), "year": year, "budgetFen": "300000"}, &p)
		c.createItem(p.ID)
		vote()
		c.projectTo(p.ID, "approve", "APPROVED")
		return p.ID
	}
	cancel := func(id string) {
		t.Helper()
		var p project
		c.call("POST", path("/v1/projects/%s:cancel", id), map[string]any{"actor": "区住建局", "reason": "方案调整"}, &p)
		if p.Status != "CANCELLED" {
			t.Fatalf("project after :cancel is %s", p.Status)
		}
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	// settled waits until every event is relayed from its outbox (platform/events keeps
	// their index in tongdu:outbox:index) and governance has handled the stream's (its
	// group has nothing left to read and nothing unacknowledged).
	settled := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			waiting, err := rdb.ZCard(ctx, "tongdu:outbox:index").Result()
			if err != nil {
				t.Fatal(err)
			}
			groups, err := rdb.XInfoGroups(ctx, events.CompoundTopic).Result()
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(groups, func(g redis.XInfoGroup) bool { return g.Name == "governance" })
			if waiting == 0 && i >= 0 && groups[i].Lag == 0 && groups[i].Pending == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the governance group did not handle the compound events: %+v", groups)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The status follows on the events, shortly after each move.
	want := func(status string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := c.getCompound(e.ID).Status
			if got == status {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("compound status %s, want %s", got, status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := c.getCompound(e.ID).Status; got != "INVENTORIED" {
		t.Fatalf("a new compound is %s", got)
	}

	year := time.Now().Year()
	works := plan(year)
	want("PLANNED")
	c.call("POST", "/v1/funding-plans", map[string]any{"projectId": works, "sources": []map[string]any{{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "300000"}}}, nil)
	c.projectTo(works, "startConstruction", "IN_CONSTRUCTION")
	want("RENOVATING")

	// The next round's plan approved and cancelled: the works go on.
	{
		next := plan(year + 1)
		settled()
		want("RENOVATING")
		cancel(next)
		settled()
		want("RENOVATING")
	}
	// The works cancelled: the residents are asked again.
	{
		cancel(works)
		want("SURVEYING")
	}

	// Every event delivered again, newest first: nothing moves.
	{
		before := c.getCompound(e.ID)
		sent, err := rdb.XRange(ctx, events.CompoundTopic, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var again int
		for _, m := range slices.Backward(sent) {
			if m.Values["compound"] != e.ID {
				continue
			}
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: events.CompoundTopic, Values: m.Values}).Err(); err != nil {
				t.Fatal(err)
			}
			again++
		}
		if again < 5 {
			t.Fatalf("only %d events of the compound to deliver again", again)
		}
		settled()
		after := c.getCompound(e.ID)
		if after.Status != "SURVEYING" || after.Etag != before.Etag {
			t.Errorf("after the %d events again: %s (etag %s), before %s (etag %s): want nothing changed", again, after.Status, after.Etag, before.Status, before.Etag)
		}
	}

	// A next round.
	{
		again := plan(year + 2)
		want("PLANNED")
		var p project
		c.call("POST", path("/v1/projects/%s:suspend", again), map[string]any{"actor": "区住建局", "reason": "雨季停工"}, &p)
		settled()
		want("PLANNED")
	}
}
