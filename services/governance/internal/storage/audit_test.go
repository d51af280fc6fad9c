package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/audit"
)

// An old change is still found by its resource when thousands of newer entries about
// other resources lie above it: the listing reads the trail in chunks until it has a page.
func TestAuditFindsAnOldChangeBelowManyNewer(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	add := func(resource, requestID string) {
		err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: audit.StreamKey("governance"), Values: map[string]any{
			"actor": "admin", "role": "ADMIN", "method": "/x/Update", "resource": resource,
			"requestId": requestID, "outcome": "OK", "time": t0.Format("2006-01-02T15:04:05Z07:00"),
		}}).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	add("compounds/old", "r-old-1")
	add("compounds/old", "r-old-2")
	pipe := s.rdb.Pipeline()
	for i := range 3*auditChunk + 17 {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: audit.StreamKey("governance"), Values: map[string]any{
			"actor": "admin", "role": "ADMIN", "method": "/x/Update", "resource": fmt.Sprintf("compounds/new-%d", i), "outcome": "OK",
		}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	onOld := func(e *AuditEntry) bool { return e.Resource == "compounds/old" }

	got, more, err := s.Audit(ctx, "governance", onOld, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RequestID != "r-old-2" || !more {
		t.Fatalf("first page of one = %+v (more %v), want the newer old change r-old-2 and more to follow", got, more)
	}
	got, more, err = s.Audit(ctx, "governance", onOld, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RequestID != "r-old-1" || more {
		t.Fatalf("second page of one = %+v (more %v), want r-old-1 and nothing more", got, more)
	}
}
