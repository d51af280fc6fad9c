package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// soakConfig is the soak run: a steady mixed load for a long time, sampled at intervals.
type soakConfig struct {
	duration, every time.Duration
	rate            float64 // calls per second, all methods together
	workers         int
}

func soakConfigFromEnv(d time.Duration) soakConfig {
	c := soakConfig{duration: d, every: 30 * time.Second, rate: 1000, workers: 16}
	if v, err := time.ParseDuration(os.Getenv("SOAK_EVERY")); err == nil && v > 0 {
		c.every = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("SOAK_RATE"), 64); err == nil && v > 0 {
		c.rate = v
	}
	return c
}

// soakHouseholds is the size of the big compound in a soak: enough that every survey
// response of the run is a household's first, so the survey's count of responding
// households must equal the responses acknowledged.
func soakHouseholds(c soakConfig) int {
	// Two of the fourteen kinds of call (seven methods, two transports) are responses.
	n := int(c.rate*c.duration.Seconds()*2/14) + 10_000
	return min(max(n, 20_000), 2_000_000)
}

// sample is the state of the all-in-one at the end of one interval of the soak.
type sample struct {
	at                     time.Duration
	ok, failed             int
	p50, p99               float64
	goroutines             float64
	heapMB, rssMB, redisMB float64
}

// soak drives every measured call, by gRPC and REST in turn, at a fixed total rate for the
// whole duration, and samples the process between intervals: throughput and latency,
// goroutines, Go heap in use and resident memory. At the end it checks that the writes
// acknowledged are all there, once: the survey's responding households and the book's
// transactions against the calls that succeeded.
func soak(cfg soakConfig, st *stack, cl *clients, fx *fixture) bool {
	ctx := context.Background()
	book0, err := cl.fin[0].GetBook(cl.ctx(ctx), &financepb.GetBookRequest{BookId: fx.book})
	if err != nil {
		log.Printf("soak: book: %v", err)
		return false
	}
	var ops []op
	var names []string
	var respOK, payOK atomic.Int64
	for _, m := range methods(cl, fx) {
		for _, tr := range []struct {
			name string
			f    op
		}{{"grpc", m.grpc}, {"rest", m.rest}} {
			counter := map[string]*atomic.Int64{"SubmitResponse": &respOK, "CreateContribution": &payOK}[m.name]
			ops = append(ops, func(ctx context.Context, w int, seq int64) error {
				err := tr.f(ctx, w, seq)
				if err == nil && counter != nil {
					counter.Add(1)
				}
				return err
			})
			names = append(names, m.name+"/"+tr.name)
		}
	}
	var turn atomic.Int64
	mixed := func(ctx context.Context, w int, seq int64) error {
		return ops[turn.Add(1)%int64(len(ops))](ctx, w, seq)
	}
	log.Printf("soak: %s at %.0f calls/s over %d calls (%s), sampled every %s", cfg.duration, cfg.rate, len(ops), strings.Join(names, ", "), cfg.every)

	began := time.Now()
	var samples []sample
	var firstErr error
	unread := 0 // samples whose /metrics could not be read
	for time.Since(began) < cfg.duration {
		o := drive(cfg.workers, min(cfg.every, cfg.duration-time.Since(began)), cfg.rate, mixed)
		if firstErr == nil {
			firstErr = o.firstErr
		}
		m, err := scrape(st.httpAddr)
		if err != nil {
			// The calls still count; the figures of this sample are missing (zero).
			unread++
			log.Printf("soak: %v", err)
		}
		_, redisNow := memMB(st.redisPID)
		s := sample{at: time.Since(began), ok: o.ok, failed: o.failed, p50: ms(o.quantile(.5)), p99: ms(o.quantile(.99)),
			goroutines: m["go_goroutines"], heapMB: m["go_memstats_heap_inuse_bytes"] / (1 << 20), rssMB: m["process_resident_memory_bytes"] / (1 << 20), redisMB: redisNow}
		samples = append(samples, s)
		log.Printf("soak %s: %d ok, %d failed, p50 %.2f ms, p99 %.2f ms; goroutines %.0f, heap in use %.1f MB, RSS %.1f MB, redis-server %.0f MB",
			s.at.Round(time.Second), s.ok, s.failed, s.p50, s.p99, s.goroutines, s.heapMB, s.rssMB, s.redisMB)
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "at\tcalls/s\tfailed\tp50_ms\tp99_ms\tgoroutines\theap_inuse_mb\trss_mb\tredis_rss_mb\t")
	prev := time.Duration(0)
	for _, s := range samples {
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%.2f\t%.2f\t%.0f\t%.1f\t%.1f\t%.0f\t\n", s.at.Round(time.Second), float64(s.ok)/(s.at-prev).Seconds(), s.failed, s.p50, s.p99, s.goroutines, s.heapMB, s.rssMB, s.redisMB)
		prev = s.at
	}
	tw.Flush()
	if firstErr != nil {
		fmt.Printf("first error: %s\n", trim(firstErr.Error(), 200))
	}

	// What the writes left behind.
	pass := true
	mark := func(ok bool) string {
		if !ok {
			pass = false
			return "FAIL"
		}
		return "PASS"
	}
	failed := 0
	for _, s := range samples {
		failed += s.failed
	}
	fmt.Println("\nsoak checks:")
	fmt.Printf("  %s %d calls failed (target 0)\n", mark(failed == 0), failed)
	fmt.Printf("  %s %d samples without the process's figures (target 0)\n", mark(unread == 0), unread)
	stats, err := cl.svy[0].GetSurveyStats(cl.ctx(ctx), &surveypb.GetSurveyStatsRequest{SurveyId: fx.writeSurvey})
	book1, err2 := cl.fin[0].GetBook(cl.ctx(ctx), &financepb.GetBookRequest{BookId: fx.book})
	if err != nil || err2 != nil {
		fmt.Printf("  FAIL reading what the writes left: %v %v\n", err, err2)
		return false
	}
	fmt.Printf("  %s survey responses acknowledged %d, households responding %d\n", mark(int64(stats.GetRespondedHouseholds()) == respOK.Load()), respOK.Load(), stats.GetRespondedHouseholds())
	added := int64(book1.GetTransactionCount() - book0.GetTransactionCount())
	fmt.Printf("  %s contributions acknowledged %d, book transactions added %d, fund balance up %d fen\n",
		mark(added == payOK.Load() && book1.GetFundBalanceFen()-book0.GetFundBalanceFen() == payOK.Load()), payOK.Load(), added, book1.GetFundBalanceFen()-book0.GetFundBalanceFen())

	// Flat: the last minute against the first minute after warming up (the first interval).
	if len(samples) < 4 {
		fmt.Println("  (too short to judge growth: run at least four intervals)")
		return pass
	}
	k := max(1, int(time.Minute/cfg.every))
	early, late := mean(samples[1:min(1+k, len(samples))]), mean(samples[max(len(samples)-k, 1):])
	fmt.Printf("  %s goroutines %.0f after warm-up, %.0f at the end (target: within 10%% + 10)\n", mark(late.goroutines <= early.goroutines*1.1+10), early.goroutines, late.goroutines)
	fmt.Printf("  %s Go heap in use %.1f MB after warm-up, %.1f MB at the end (target: within 25%% + 5 MB)\n", mark(late.heapMB <= early.heapMB*1.25+5), early.heapMB, late.heapMB)
	fmt.Printf("  %s resident memory %.1f MB after warm-up, %.1f MB at the end (target: within 25%% + 5 MB)\n", mark(late.rssMB <= early.rssMB*1.25+5), early.rssMB, late.rssMB)
	fmt.Printf("  %s p99 %.2f ms after warm-up, %.2f ms at the end (target: under 20 ms)\n", mark(late.p99 < 20), early.p99, late.p99)
	return pass
}

// mean averages the figures of samples.
func mean(ss []sample) sample {
	var m sample
	for _, s := range ss {
		m.goroutines += s.goroutines / float64(len(ss))
		m.heapMB += s.heapMB / float64(len(ss))
		m.rssMB += s.rssMB / float64(len(ss))
		m.p99 += s.p99 / float64(len(ss))
	}
	return m
}

// soakMetrics are the figures a soak judges; a scrape without all of them fails.
var soakMetrics = []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "process_resident_memory_bytes"}

// scrape reads the unlabelled figures of the all-in-one's /metrics page.
func scrape(addr string) (map[string]float64, error) {
	out := map[string]float64{}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	for _, name := range soakMetrics {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("GET /metrics has no %s", name)
		}
	}
	return out, sc.Err()
}
