// Package redisconn opens a service's Redis from a URL, instruments it with OpenTelemetry
// and warns when the server is set up in a way that could lose records.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
)

// metricsOptions name the pool of a client on a unix socket "unix" rather than by its
// path: /metrics is read without a token and must not show where the data dir is.
func metricsOptions(client redis.UniversalClient) []redisotel.MetricsOption {
	if c, ok := client.(*redis.Client); ok && c.Options().Network == "unix" {
		return []redisotel.MetricsOption{redisotel.WithPoolName("unix")}
	}
	return nil
}

// Open connects to url: redis://[:password@]host:port[/db], rediss:// for TLS, unix:///path,
// or redis+cluster://host:port?addr=host2:port2 for Redis Cluster. The client is a
// UniversalClient so the same code runs on one server or a cluster. Call it after
// telemetry.Setup, or Redis spans go nowhere.
func Open(ctx context.Context, url string, log *slog.Logger) (redis.UniversalClient, error) {
	// go-redis logs connection trouble on its own; route it into our JSON log.
	redis.SetLogger(clientLog{log})
	client, err := newClient(url)
	if err != nil {
		return nil, err
	}
	// Commands carry records, and records carry residents' personal data (rule 13: never
	// in logs or traces): spans name the command, never its arguments. Nor do they name
	// the line of Go that called Redis: finding it walks the stack on every command (4 %
	// of a survey response's CPU), and the span's parent already names the call.
	if err := redisotel.InstrumentTracing(client, redisotel.WithDBStatement(false), redisotel.WithCallerEnabled(false)); err != nil {
		return nil, fmt.Errorf("redis tracing: %w", err)
	}
	if err := redisotel.InstrumentMetrics(client, metricsOptions(client)...); err != nil {
		return nil, fmt.Errorf("redis metrics: %w", err)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		// Not fatal: the service starts, reports not-ready and retries on each call.
		log.WarnContext(ctx, "redis does not answer yet", "cause", err.Error())
		return client, nil
	}
	for _, w := range DurabilityWarnings(ctx, client) {
		log.WarnContext(ctx, "redis may lose records", "problem", w)
	}
	return client, nil
}

func newClient(url string) (redis.UniversalClient, error) {
	if rest, ok := strings.CutPrefix(url, "redis+cluster://"); ok {
		opt, err := redis.ParseClusterURL("redis://" + rest)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		failFast(&opt.MaxRetries, &opt.DialerRetries, &opt.DialerRetryTimeout)
		return redis.NewClusterClient(opt), nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	failFast(&opt.MaxRetries, &opt.DialerRetries, &opt.DialerRetryTimeout)
	return redis.NewClient(opt), nil
}

// failFast sets the client's retries where go-redis would take its defaults (a URL may
// still set max_retries).
// Those (3 retries of a command on one node, each dialling 5 times 100 ms apart) made every call wait
// 2–4 s for its 503 while Redis was down, holding a goroutine and a client's patience
// each; a caller retries with its request id anyway. One retry of a command, dialling
// twice 50 ms apart, still rides over a dropped connection: a call fails within about
// half a second.
func failFast(maxRetries, dialerRetries *int, dialerBackoff *time.Duration) {
	if *maxRetries == 0 {
		*maxRetries = 1
	}
	if *dialerRetries == 0 {
		*dialerRetries = 2
	}
	if *dialerBackoff == 0 {
		*dialerBackoff = 50 * time.Millisecond
	}
}

// DurabilityWarnings lists what in the server's configuration could lose records: an
// eviction policy other than noeviction, or no persistence at all. Managed services that
// refuse CONFIG GET yield no warnings.
func DurabilityWarnings(ctx context.Context, c redis.UniversalClient) []string {
	var out []string
	if v, err := c.ConfigGet(ctx, "maxmemory-policy").Result(); err == nil {
		if p := v["maxmemory-policy"]; p != "" && p != "noeviction" {
			out = append(out, fmt.Sprintf("maxmemory-policy is %s: keys may be evicted; use noeviction", p))
		}
	}
	aof, errA := c.ConfigGet(ctx, "appendonly").Result()
	save, errS := c.ConfigGet(ctx, "save").Result()
	if errA == nil && errS == nil && aof["appendonly"] == "no" && strings.TrimSpace(save["save"]) == "" {
		out = append(out, "neither appendonly nor RDB snapshots are on: a restart loses everything")
	} else if errA == nil && aof["appendonly"] == "no" {
		out = append(out, "appendonly is off: a crash loses writes since the last snapshot")
	}
	return out
}

// IsDown reports whether err means Redis could not be reached (refused, reset, timed out,
// pool exhausted, client closed) or cannot answer yet (LOADING its data after a restart;
// a replica during a failover: MASTERDOWN, TRYAGAIN, CLUSTERDOWN) rather than that a
// command failed. Services answer such errors with UNAVAILABLE, which tells clients to
// retry.
func IsDown(err error) bool {
	if err == nil {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) {
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		for _, p := range []string{"LOADING ", "MASTERDOWN ", "TRYAGAIN ", "CLUSTERDOWN "} {
			if strings.HasPrefix(re.Error(), p) {
				return true
			}
		}
	}
	return false
}

// clientLog writes go-redis's own messages as JSON log records.
type clientLog struct{ log *slog.Logger }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
