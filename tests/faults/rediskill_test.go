package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/cmd/tongdu/allinone"
)

// TestRedisKilledMidContributionsLosesNoAcknowledged runs the all-in-one on its private
// redis-server with --redis-fsync=always, sends a stream of household contributions from
// four clients and kills the redis-server with SIGKILL in the middle of it. Every contribution the gateway answered 200
// must be in the book afterwards; calls made while Redis was gone must fail quickly (503),
// not hang; and the app's supervisor must start redis-server again by itself, so that
// contributions are taken again with no manual step.
func TestRedisKilledMidContributionsLosesNoAcknowledged(t *testing.T) {
	requireRedisServer(t)
	dir := t.TempDir()
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: dir, RedisFsync: "always"})
	c := adminOf(t, app)
	// --redis-fsync=always reached the private redis-server.
	rc := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(dir, "redis", "redis.sock")})
	policy, err := rc.ConfigGet(context.Background(), "appendfsync").Result()
	_ = rc.Close()
	if err != nil || policy["appendfsync"] != "always" {
		t.Fatalf("the private redis-server's appendfsync: %v %v, want always", policy, err)
	}
	const households = 20
	k, hids := compoundWithHouseholds(t, c, households)
	pid := projectWithPlan(t, c, k, 10_000_000)

	var (
		mu        sync.Mutex
		acked     = map[string]string{} // transaction id → request id
		outage    []time.Duration       // how long each failed call took
		failed    []map[string]any      // the bodies of the calls answered 503
		killed    atomic.Bool
		stop      atomic.Bool
		sent      atomic.Int64
		wg        sync.WaitGroup
		killOnce  sync.Once
		killedAt  = make(chan struct{})
		killedPid int
	)
	kill := func() {
		killOnce.Do(func() {
			pid := app.RedisPid()
			killedPid = pid
			if pid == 0 {
				t.Error("the all-in-one has no private redis-server")
				return
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Errorf("kill -9 %d: %v", pid, err)
			}
			killed.Store(true)
			close(killedAt)
		})
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				reqID := fmt.Sprintf("w%d-%d", w, i)
				body := map[string]any{"householdId": hids[(w*7+i)%households], "amountFen": "100", "method": "CASH", "requestId": reqID}
				start := time.Now()
				r, err := c.try("POST", "/v1/projects/"+pid+"/contributions", "", body)
				took := time.Since(start)
				if n := sent.Add(1); n == 120 {
					kill()
				}
				if err != nil {
					t.Errorf("contribution %s: %v", reqID, err)
					return
				}
				switch r.status {
				case http.StatusOK:
					var out idOnly
					if err := json.Unmarshal(r.body, &out); err != nil || out.ID == "" {
						t.Errorf("contribution %s: answer %s", reqID, short(r.body))
						return
					}
					mu.Lock()
					acked[out.ID] = reqID
					mu.Unlock()
				case http.StatusServiceUnavailable:
					mu.Lock()
					outage = append(outage, took)
					failed = append(failed, body)
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
				default:
					t.Errorf("contribution %s: status %d, want 200 or 503; body %s", reqID, r.status, short(r.body))
					return
				}
			}
		}(w)
	}
	select {
	case <-killedAt:
	case <-time.After(20 * time.Second):
		t.Error("the load never reached the kill")
	}
	time.Sleep(500 * time.Millisecond) // the load keeps running against a dead Redis
	stop.Store(true)
	wg.Wait()
	if t.Failed() || !killed.Load() {
		return
	}
	mu.Lock()
	nAcked, nFailed := len(acked), len(outage)
	var slowest time.Duration
	for _, d := range outage {
		slowest = max(slowest, d)
	}
	mu.Unlock()
	if nFailed == 0 {
		t.Error("no call failed while Redis was down")
	}
	// A failing call still makes a few Redis round trips (idempotency claim, store,
	// audit), each dialling twice 50 ms apart and retried once (redisconn's failFast):
	// well under the 10 s deadline, never a hang.
	if slowest > 2*time.Second {
		t.Errorf("a call took %v to fail while Redis was down; want at most 2s", slowest)
	}
	t.Logf("while Redis was down the slowest call failed after %v", slowest)

	// The supervisor starts a new redis-server on the same files, with no step of ours;
	// the app's clients reconnect on their own.
	waitFor(t, 10*time.Second, "contributions answer again", func() bool {
		r, err := c.try("GET", "/v1/projects/"+pid+"/collection", "", nil)
		return err == nil && r.status == http.StatusOK
	})
	if app.RedisRestarts() != 1 || app.RedisPid() == killedPid {
		t.Errorf("the private redis-server was started again %d times (pid %d, killed %d), want once by the supervisor", app.RedisRestarts(), app.RedisPid(), killedPid)
	}
	got := contributionIDs(t, c, pid)
	lost := 0
	for id, req := range acked {
		if !got[id] {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged contribution %s (request %s) is gone after the restart", id, req)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged contributions lost with appendfsync always", lost, nAcked)
	}
	// The collection agrees with the book: 100 fen for each contribution found.
	var coll struct {
		CollectedFen int64 `json:"collectedFen,string"`
	}
	c.call(t, "GET", "/v1/projects/"+pid+"/collection?pageSize=1000", nil, &coll)
	if coll.CollectedFen != int64(len(got))*100 {
		t.Errorf("collection shows %d fen collected, the book %d contributions of 100 fen", coll.CollectedFen, len(got))
	}
	// The calls that failed, retried with their request ids, are taken now, once each: a
	// call whose write reached the file before Redis died answers that write.
	answered := map[string]bool{}
	for id := range acked {
		answered[id] = true
	}
	for _, body := range failed {
		var out idOnly
		c.call(t, "POST", "/v1/projects/"+pid+"/contributions", body, &out)
		if got[out.ID] {
			t.Logf("request %s was written before the kill but not answered; its retry answered %s", body["requestId"], out.ID)
		}
		answered[out.ID] = true
	}
	// And it takes money again, without a restart of the app.
	var last idOnly
	c.call(t, "POST", "/v1/projects/"+pid+"/contributions", map[string]any{"householdId": hids[0], "amountFen": "100", "method": "CASH", "requestId": "after-restart"}, &last)
	answered[last.ID] = true
	final := contributionIDs(t, c, pid)
	if len(final) != len(answered) {
		t.Errorf("the book holds %d contributions, %d distinct ones were answered: a retry was counted twice or one is missing", len(final), len(answered))
	}
	for id := range answered {
		if !final[id] {
			t.Errorf("answered contribution %s is not in the book", id)
		}
	}
	t.Logf("%d acknowledged before/around the kill, %d in the book after, %d calls failed (slowest %v), %d in the book after their retries",
		nAcked, len(got), nFailed, slowest, len(final))
}
