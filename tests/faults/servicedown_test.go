package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/gateway"
	"tongdu/platform/grpcserver"
	"tongdu/platform/redisconn"
	"tongdu/platform/testkit"
	"tongdu/services/governance"
)

// governanceServer runs the governance service on addr until stop is called; stop waits
// until the port is closed.
func governanceServer(t *testing.T, addr string, rdb redis.UniversalClient, log *slog.Logger) (stop func()) {
	t.Helper()
	var lis net.Listener
	var err error
	// The port was ours a moment ago; the kernel may take a moment to give it back.
	waitFor(t, 5*time.Second, "listen again on "+addr, func() bool {
		lis, err = net.Listen("tcp", addr)
		return err == nil
	})
	srv, err := grpcserver.New(log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	testkit.Mount(t, ctx, srv)(governance.New(rdb, governance.Peers{}, log, governance.Config{}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ctx, lis, 2*time.Second)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// TestServiceDownGateway503AndRecovers puts the standalone gateway in front of a real
// governance service, creates compounds from three clients (each retrying its request
// with the same Idempotency-Key until it gets 200), stops the service in the middle, and
// starts it again on the same port. While it is down the gateway answers 503 within a
// second; afterwards it serves again without a restart; and no retried create made a
// second compound.
func TestServiceDownGateway503AndRecovers(t *testing.T) {
	log := testLog(t)
	ctx := context.Background()
	rdb, err := redisconn.Open(ctx, testkit.RedisURL(t), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	_ = probe.Close()
	stop := governanceServer(t, addr, rdb, log)

	c := gatewayClient(t, gateway.Config{Governance: addr, Survey: addr, Projects: addr, Finance: addr}, log)

	var d, s, cm idOnly
	c.call(t, "POST", "/v1/regions", map[string]any{"name": "东川区", "level": "DISTRICT"}, &d)
	c.call(t, "POST", "/v1/regions", map[string]any{"name": "铜都街道", "level": "SUBDISTRICT", "parent": d.ID}, &s)
	c.call(t, "POST", "/v1/regions", map[string]any{"name": "沙坝社区", "level": "COMMUNITY", "parent": s.ID}, &cm)
	create := func(key string) (response, error) {
		return c.try("POST", "/v1/compounds", key, map[string]any{"name": "院-" + key, "communityId": cm.ID})
	}

	// The load: each client creates compounds one after another, retrying each with its
	// key until it is answered 200, and remembers every id it was given per key.
	var (
		mu       sync.Mutex
		answers  = map[string]map[string]bool{} // key → ids answered
		statuses = map[int]int{}
		stopLoad atomic.Bool
		wg       sync.WaitGroup
	)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stopLoad.Load(); i++ {
				key := fmt.Sprintf("load-%d-%d", w, i)
				for attempt := 0; ; attempt++ {
					if attempt > 400 {
						t.Errorf("%s: no 200 after %d attempts", key, attempt)
						return
					}
					r, err := create(key)
					if err != nil {
						t.Errorf("%s: %v", key, err)
						return
					}
					mu.Lock()
					statuses[r.status]++
					mu.Unlock()
					if r.status == http.StatusOK {
						var out idOnly
						_ = json.Unmarshal(r.body, &out)
						mu.Lock()
						if answers[key] == nil {
							answers[key] = map[string]bool{}
						}
						answers[key][out.ID] = true
						mu.Unlock()
						break
					}
					if r.status != http.StatusServiceUnavailable {
						t.Errorf("%s: status %d, want 200 or 503; body %s", key, r.status, short(r.body))
						return
					}
					time.Sleep(25 * time.Millisecond)
				}
			}
		}(w)
	}

	// One create answered before the outage, to be retried during and after it.
	first, err := create("retried")
	if err != nil || first.status != http.StatusOK {
		t.Fatalf("first create: %v %d %s", err, first.status, short(first.body))
	}
	var firstID idOnly
	_ = json.Unmarshal(first.body, &firstID)

	time.Sleep(300 * time.Millisecond)
	stop()
	stopped := time.Now()
	var took time.Duration
	waitFor(t, time.Second, "a 503 from the gateway after the service stopped", func() bool {
		r, err := c.try("GET", "/v1/regions/"+d.ID, "", nil)
		took = time.Since(stopped)
		return err == nil && r.status == http.StatusServiceUnavailable
	})
	if took > time.Second {
		t.Errorf("the gateway took %v to answer 503, want within 1s", took)
	}
	if r, _ := c.try("GET", "/readyz", "", nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the service is down: %d, want 503", r.status)
	}
	if r, err := create("retried"); err != nil || r.status != http.StatusServiceUnavailable {
		t.Errorf("retry during the outage: %v, status %d, want 503", err, r.status)
	}
	time.Sleep(time.Second)

	governanceServer(t, addr, rdb, log)
	restarted := time.Now()
	recovered := waitFor(t, 10*time.Second, "the gateway serving again", func() bool {
		r, err := c.try("GET", "/v1/regions/"+d.ID, "", nil)
		return err == nil && r.status == http.StatusOK
	})
	time.Sleep(300 * time.Millisecond)
	stopLoad.Store(true)
	wg.Wait()
	if t.Failed() {
		return
	}
	for range 2 {
		var again idOnly
		r, err := create("retried")
		if err != nil || r.status != http.StatusOK {
			t.Fatalf("retry after the outage: %v, status %d %s", err, r.status, short(r.body))
		}
		_ = json.Unmarshal(r.body, &again)
		if again.ID != firstID.ID {
			t.Errorf("the retried create answered %s, the first %s", again.ID, firstID.ID)
		}
	}

	var list struct {
		Compounds []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"compounds"`
		NextPageToken string `json:"nextPageToken"`
	}
	c.call(t, "GET", "/v1/compounds?pageSize=1000", nil, &list)
	if list.NextPageToken != "" {
		t.Fatal("more than 1,000 compounds")
	}
	byName := map[string]int{}
	for _, k := range list.Compounds {
		byName[k.Name]++
	}
	mu.Lock()
	defer mu.Unlock()
	for key, ids := range answers {
		if len(ids) != 1 {
			t.Errorf("%s was answered with %d different ids", key, len(ids))
		}
		if byName["院-"+key] != 1 {
			t.Errorf("%s made %d compounds, want 1", key, byName["院-"+key])
		}
	}
	if want := len(answers) + 1; len(list.Compounds) != want {
		t.Errorf("%d compounds stored, want %d (one per key)", len(list.Compounds), want)
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("the load never saw a 503")
	}
	t.Logf("503 after %v; serving again %v after the restart (outage %v); %d keys, answers by status %v",
		took, recovered, restarted.Sub(stopped), len(answers), statuses)
}
