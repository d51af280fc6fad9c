package redisproc

import (
	"context"
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

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

// A supervised server that dies is started again on the same socket and files, with
// what it had acknowledged; Stop ends it for good.
func TestSupervisedServerIsStartedAgain(t *testing.T) {
	requireServer(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := Supervise(context.Background(), Options{Dir: t.TempDir(), Persistent: true, Fsync: "always"}, log)
	if err != nil {
		t.Fatal(err)
	}
	url, first := s.URL(), s.Pid()
	if err := ping(s.current().socket); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Restarts() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s.Restarts() != 1 || s.Pid() == first || s.URL() != url {
		t.Fatalf("after a kill: %d restarts, pid %d (was %d), url %s (was %s); want one restart on the same socket", s.Restarts(), s.Pid(), first, s.URL(), url)
	}
	if err := ping(s.current().socket); err != nil {
		t.Fatalf("the restarted server does not answer: %v", err)
	}
	s.Stop()
	if err := ping(s.current().socket); err == nil {
		t.Fatal("the server still answers after Stop")
	}
}
