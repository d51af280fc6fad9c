package audit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// pipelines counts the round trips a client makes: single commands and pipelines.
type pipelines struct{ single, piped atomic.Int64 }

func (c *pipelines) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *pipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.single.Add(1); return next(ctx, cmd) }
}
func (c *pipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.piped.Add(1); return next(ctx, cmds) }
}

// Concurrent changes share the trail's round trips (group commit), and each still
// returns only once its own entry is in the trail: none is lost, none is written twice.
func TestConcurrentChangesShareTheTrailsRoundTrips(t *testing.T) {
	rdb := testkit.Redis(t)
	counted := &pipelines{}
	rdb.AddHook(counted)
	var writeErrs atomic.Int64
	ic := audit.Interceptor(rdb, policy, nil, func(context.Context, error) { writeErrs.Add(1) })
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "admin", Role: auth.DistrictAdmin})
	const n = 400
	var wg sync.WaitGroup
	var missing atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("req-%d", i)
			_, _ = ic(ctx, &governancepb.CloseWhistleRequest{Id: "W1", RequestId: id}, &grpc.UnaryServerInfo{FullMethod: gov + "CloseWhistle"},
				func(context.Context, any) (any, error) { return nil, nil })
			// Returned: its entry must be there already.
			msgs, _ := rdb.XRange(context.Background(), audit.StreamKey("governance"), "-", "+").Result()
			found := false
			for _, m := range msgs {
				found = found || m.Values["requestId"] == id
			}
			if !found {
				missing.Add(1)
			}
		}()
	}
	wg.Wait()
	if missing.Load() != 0 || writeErrs.Load() != 0 {
		t.Fatalf("%d changes returned before their entry was written; %d write errors", missing.Load(), writeErrs.Load())
	}
	seen := map[string]int{}
	for _, e := range entries(t, rdb, "governance") {
		seen[fmt.Sprint(e["requestId"])]++
	}
	if len(seen) != n {
		t.Fatalf("%d distinct entries, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("%s written %d times", id, k)
		}
	}
	if p := counted.piped.Load(); p >= n {
		t.Fatalf("%d pipelines for %d changes: no change shared a round trip", p, n)
	}
	t.Logf("%d changes, %d pipelined round trips", n, counted.piped.Load())
}
