// Package testkit gives tests a real Redis: one private redis-server per test binary,
// started on first use and stopped by Main. Each test gets its own logical database,
// flushed before use, so tests may run in parallel. Where no redis-server exists the kit
// falls back to in-process miniredis, unless TONGDU_REQUIRE_REAL_REDIS=1 (as in CI), in
// which case the test fails.
package testkit

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"tongdu/platform/redisproc"
)

const databases = 16 // redis-server's default number of logical databases

var (
	startOnce sync.Once
	startErr  error
	server    *redisproc.Server
	mini      *miniredis.Miniredis
	tmpDir    string
	free      = make(chan int, databases)
)

// Main runs the tests of a package and stops its Redis afterwards. Use it as
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	stop()
	os.Exit(code)
}

// Real reports whether tests run against a real redis-server (false under miniredis).
func Real() bool { return server != nil }

// Redis returns a client on a database of its own, empty, released when the test ends.
func Redis(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	startOnce.Do(start)
	if startErr != nil {
		tb.Fatalf("testkit: %v", startErr)
	}
	db := <-free
	var opt *redis.Options
	if server != nil {
		opt = &redis.Options{Network: "unix", Addr: server.Socket(), DB: db}
	} else {
		opt = &redis.Options{Addr: mini.Addr(), DB: db}
	}
	c := redis.NewClient(opt)
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		tb.Fatalf("testkit: flush: %v", err)
	}
	tb.Cleanup(func() {
		_ = c.Close()
		free <- db
	})
	return c
}

// RedisURL returns the URL of a database of its own, empty, released when the test ends,
// for code that opens its own connection (cmd/tongdu's all-in-one, say).
func RedisURL(tb testing.TB) string {
	tb.Helper()
	c := Redis(tb).(*redis.Client)
	opt := c.Options()
	if opt.Network == "unix" {
		return fmt.Sprintf("unix://%s?db=%d", opt.Addr, opt.DB)
	}
	return fmt.Sprintf("redis://%s/%d", opt.Addr, opt.DB)
}

func start() {
	for i := 0; i < databases; i++ {
		free <- i
	}
	if !redisproc.Available() {
		if os.Getenv("TONGDU_REQUIRE_REAL_REDIS") == "1" {
			startErr = fmt.Errorf("TONGDU_REQUIRE_REAL_REDIS=1 but %w", redisproc.ErrNotInstalled)
			return
		}
		fmt.Fprintln(os.Stderr, "testkit: WARNING: no redis-server on PATH; testing against miniredis")
		mini, startErr = miniredis.Run()
		return
	}
	tmpDir, startErr = os.MkdirTemp("", "tongdu-redis-")
	if startErr != nil {
		return
	}
	server, startErr = redisproc.Start(context.Background(), redisproc.Options{Dir: tmpDir})
}

func stop() {
	if server != nil {
		server.Stop()
	}
	if mini != nil {
		mini.Close()
	}
	if tmpDir != "" {
		_ = os.RemoveAll(tmpDir)
	}
}
