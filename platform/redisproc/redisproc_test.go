package redisproc

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

func requireServer(t *testing.T) {
	t.Helper()
	if !Available() {
		if os.Getenv("TONGDU_REQUIRE_REAL_REDIS") == "1" {
			t.Fatal("TONGDU_REQUIRE_REAL_REDIS=1 but redis-server is not on PATH")
		}
		t.Skip("redis-server not on PATH")
	}
}

// A persistent server finds its data again after a stop and a fresh start: that is what
// keeps cmd/tongdu's data across restarts.
func TestPersistentServerKeepsDataAcrossRestart(t *testing.T) {
	requireServer(t)
	ctx := context.Background()
	dir := t.TempDir()

	srv, err := Start(ctx, Options{Dir: dir, Persistent: true})
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := redis.ParseURL(srv.URL())
	c := redis.NewClient(opt)
	if err := c.Set(ctx, "gov:test", "kept", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv.Stop()

	srv, err = Start(ctx, Options{Dir: dir, Persistent: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c = redis.NewClient(opt)
	defer c.Close()
	if v, err := c.Get(ctx, "gov:test").Result(); err != nil || v != "kept" {
		t.Fatalf("after restart got %q, %v", v, err)
	}
	if aof, _ := c.ConfigGet(ctx, "appendonly").Result(); aof["appendonly"] != "yes" {
		t.Fatalf("appendonly = %q", aof["appendonly"])
	}
}

// Fsync picks the append-only file's fsync policy; an unknown policy is refused.
func TestFsyncPolicy(t *testing.T) {
	requireServer(t)
	ctx := context.Background()
	srv, err := Start(ctx, Options{Dir: t.TempDir(), Persistent: true, Fsync: "always"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	opt, _ := redis.ParseURL(srv.URL())
	c := redis.NewClient(opt)
	defer c.Close()
	if v, err := c.ConfigGet(ctx, "appendfsync").Result(); err != nil || v["appendfsync"] != "always" {
		t.Fatalf("appendfsync = %v, %v; want always", v, err)
	}
	if srv.Pid() <= 0 {
		t.Errorf("Pid() = %d", srv.Pid())
	}
	if _, err := Start(ctx, Options{Dir: t.TempDir(), Persistent: true, Fsync: "no"}); err == nil {
		t.Error("Fsync \"no\" was accepted")
	}
}
