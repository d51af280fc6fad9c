// Package testkit gives tests a real Redis: one private redis-server per test binary,
// started on first use and stopped by Main. Each test gets its own logical database,
// flushed before use, so tests may run in parallel. Where no redis-server exists the kit
// falls back to in-process miniredis, unless TONGDU_REQUIRE_REAL_REDIS=1 (as in CI), in
// which case the test fails.
//
// With TONGDU_TEST_REDIS_CLUSTER set to the addresses of a Redis Cluster (as
// scripts/redis-cluster.sh prints), the kit uses that cluster instead. A cluster has one
// database, so the kit empties it whenever another test (or subtest) asks for Redis: run
// such packages one at a time with -parallel 1 (make test-cluster does).
package testkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
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
func Real() bool { return server != nil || len(clusterAddrs()) > 0 }

// clusterAddrs are the addresses of the Redis Cluster to test against, if any.
func clusterAddrs() []string {
	v := strings.TrimSpace(os.Getenv("TONGDU_TEST_REDIS_CLUSTER"))
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

var (
	clusterMu      sync.Mutex
	clusterFlushed string // the test the cluster was last emptied for
)

// clusterClient returns a client of the test cluster, emptied unless it was last emptied
// for tb itself (a test that asks twice keeps what it wrote).
func clusterClient(tb testing.TB, addrs []string) redis.UniversalClient {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	tb.Cleanup(func() { _ = c.Close() })
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterFlushed != tb.Name() {
		ctx := context.Background()
		err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.FlushDB(ctx).Err() })
		if err != nil {
			tb.Fatalf("testkit: empty the cluster: %v", err)
		}
		clusterFlushed = tb.Name()
	}
	return c
}

// Redis returns a client on a database of its own, empty, released when the test ends.
func Redis(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	if addrs := clusterAddrs(); len(addrs) > 0 {
		return clusterClient(tb, addrs)
	}
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
	if addrs := clusterAddrs(); len(addrs) > 0 {
		Redis(tb) // empties the cluster for a new test
		url := "redis+cluster://" + addrs[0]
		if len(addrs) > 1 {
			url += "?addr=" + strings.Join(addrs[1:], "&addr=")
		}
		return url
	}
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

// LogBuffer collects a server's log lines in a test, safe for concurrent writers; tests
// print it only when they fail, so a passing run stays quiet.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
