package redisconn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

// TestClientsFailFast: unless the URL says otherwise, a command is retried once and a
// dial tried twice 50 ms apart, so a call fails in a fraction of a second while Redis is
// down (go-redis's defaults took 2–4 s).
func TestClientsFailFast(t *testing.T) {
	for _, c := range []struct {
		url                string
		retries, dialTries int
	}{
		{"redis://127.0.0.1:6379/0", 1, 2},
		{"redis://127.0.0.1:6379/0?max_retries=5", 5, 2},
		{"redis+cluster://127.0.0.1:7101?addr=127.0.0.1:7102", 1, 2},
	} {
		client, err := newClient(c.url)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		var retries, dialTries int
		var backoff time.Duration
		switch cl := client.(type) {
		case *redis.Client:
			o := cl.Options()
			retries, dialTries, backoff = o.MaxRetries, o.DialerRetries, o.DialerRetryTimeout
		case *redis.ClusterClient:
			o := cl.Options()
			retries, dialTries, backoff = o.MaxRetries, o.DialerRetries, o.DialerRetryTimeout
		}
		_ = client.Close()
		if retries != c.retries || dialTries != c.dialTries || backoff != 50*time.Millisecond {
			t.Errorf("%s: %d retries, %d dials %v apart; want %d, %d, 50ms", c.url, retries, dialTries, backoff, c.retries, c.dialTries)
		}
	}
}

// A Redis that is back but still loading its data (as after the supervisor restarted
// it) is down for the moment, not a failed command: callers get UNAVAILABLE and retry,
// not 500.
func TestLoadingIsDown(t *testing.T) {
	rdb := testkit.Redis(t)
	ctx := context.Background()
	loading := rdb.Eval(ctx, "return redis.error_reply('LOADING Redis is loading the dataset in memory')", nil).Err()
	if !IsDown(loading) {
		t.Fatalf("IsDown(%v) = false, want true", loading)
	}
	failed := rdb.Eval(ctx, "return redis.error_reply('ERR wrong number of arguments')", nil).Err()
	if failed == nil || IsDown(failed) {
		t.Fatalf("IsDown(%v) = true, want false", failed)
	}
}
