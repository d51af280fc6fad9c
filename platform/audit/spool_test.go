package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// While Redis is away the trail's entries wait on disk; once the spool is full a change
// is refused before it is made (reads still pass); when Redis is back the entries are
// appended in order, each with the time of its change, and nothing is lost on the way.
func TestTheTrailHasNoGapDuringAnOutage(t *testing.T) {
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = down.Close() })
	dir := t.TempDir()
	spool, err := audit.OpenSpool(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	ic := audit.Interceptor(down, policy, spool, nil)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "admin", Role: auth.DistrictAdmin})
	made := 0
	change := func(context.Context, any) (any, error) { made++; return nil, nil }
	for _, pid := range []string{"P1", "P2"} {
		if _, err := ic(ctx, &financepb.CreateReceiptRequest{ProjectId: pid}, &grpc.UnaryServerInfo{FullMethod: fin + "CreateReceipt"}, change); err != nil {
			t.Fatalf("change while Redis is down, spool not full: %v", err)
		}
	}
	if spool.Len() != 2 || made != 2 {
		t.Fatalf("spooled %d, made %d; want 2 and 2", spool.Len(), made)
	}
	_, err = ic(ctx, &financepb.CreateReceiptRequest{ProjectId: "P3"}, &grpc.UnaryServerInfo{FullMethod: fin + "CreateReceipt"}, change)
	if status.Code(err) != codes.Unavailable || made != 2 {
		t.Fatalf("change with the spool full: %v (made %d), want UNAVAILABLE and nothing made", err, made)
	}
	if _, err := ic(ctx, &governancepb.GetWhistleRequest{Id: "W1"}, &grpc.UnaryServerInfo{FullMethod: gov + "GetWhistle"}, change); err != nil {
		t.Fatalf("a read with the spool full: %v, want it served", err)
	}

	// A restart of the process finds what waits.
	again, err := audit.OpenSpool(dir, 2)
	if err != nil || again.Len() != 2 {
		t.Fatalf("reopened spool: %d waiting, %v", again.Len(), err)
	}
	rdb := testkit.Redis(t)
	n, err := again.Drain(context.Background(), rdb)
	if err != nil || n != 2 || again.Len() != 0 {
		t.Fatalf("drained %d (%v), %d left; want 2 and none", n, err, again.Len())
	}
	trail := entries(t, rdb, "finance")
	if len(trail) != 2 || trail[0]["resource"] != "projects/P1" || trail[1]["resource"] != "projects/P2" || trail[0]["time"] == "" {
		t.Fatalf("trail after the outage: %v", trail)
	}
}
