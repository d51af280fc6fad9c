package redisconn

import (
	"context"
	"strings"
	"testing"

	"tongdu/platform/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// The test kit's server keeps nothing on disk and never evicts: the check must say the
// first and not the second.
func TestDurabilityWarnings(t *testing.T) {
	if !testkit.Real() {
		testkit.Redis(t) // starts the kit; miniredis has no CONFIG, nothing to check
		if !testkit.Real() {
			t.Skip("miniredis does not report configuration")
		}
	}
	c := testkit.Redis(t)
	ctx := context.Background()
	ws := strings.Join(DurabilityWarnings(ctx, c), "; ")
	if !strings.Contains(ws, "restart loses everything") || strings.Contains(ws, "evicted") {
		t.Fatalf("warnings: %s", ws)
	}
	if err := c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	defer c.ConfigSet(ctx, "maxmemory-policy", "noeviction")
	if ws := strings.Join(DurabilityWarnings(ctx, c), "; "); !strings.Contains(ws, "allkeys-lru") {
		t.Fatalf("eviction not reported: %s", ws)
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	if _, err := newClient("http://nowhere"); err == nil {
		t.Fatal("want error for a non-redis URL")
	}
}
