// Command bench measures Tongdu on this machine: it builds cmd/tongdu, runs it as a child
// process on its private redis-server, loads a fixture through the APIs, and drives the
// chosen calls by gRPC and through the REST gateway with a closed-loop load generator,
// next to two baselines (a no-op gRPC service and redis-benchmark). It prints one table
// and writes it as CSV. BENCH_QUICK=1 makes it small and short.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

type config struct {
	quick               bool
	workers             int
	dur, halfDur, grDur time.Duration
	growthWorkers       int
	statsSizes          []int
	rankSizes           []int
	bookSizes           []int
	payHouseholds       int
	redisN              int
	only                map[string]bool // BENCH_ONLY: measure just these methods
	profile             map[string]bool // BENCH_PROFILE: CPU-profile these methods' runs ("GetBook" its gRPC run, "GetBook/rest" its REST run)
}

// wants says whether a method is measured in this run.
func (c config) wants(name string) bool { return len(c.only) == 0 || c.only[name] }

func namesIn(v string) map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out[n] = true
		}
	}
	return out
}

func configFromEnv() config {
	c := config{workers: 16, growthWorkers: 4, payHouseholds: 1000}
	if os.Getenv("BENCH_QUICK") == "1" {
		c.quick = true
		c.dur, c.halfDur, c.grDur = 4*time.Second, 3*time.Second, 2*time.Second
		c.statsSizes = []int{1_000, 10_000, 100_000}
		c.rankSizes = []int{322, 3_000, 10_000}
		c.bookSizes = []int{1_000, 10_000, 100_000}
		c.redisN = 50_000
	} else {
		c.dur, c.halfDur, c.grDur = 15*time.Second, 10*time.Second, 5*time.Second
		c.statsSizes = []int{1_000, 100_000, 1_000_000}
		c.rankSizes = []int{322, 10_000, 100_000}
		c.bookSizes = []int{1_000, 1_000_000}
		c.redisN = 200_000
	}
	if v, err := time.ParseDuration(os.Getenv("BENCH_DURATION")); err == nil && v > 0 {
		c.dur = v
	}
	if v, err := strconv.Atoi(os.Getenv("BENCH_WORKERS")); err == nil && v > 0 {
		c.workers = v
	}
	c.only, c.profile = namesIn(os.Getenv("BENCH_ONLY")), namesIn(os.Getenv("BENCH_PROFILE"))
	return c
}

// row is one line of the table.
type row struct {
	method, transport, size string
	conc                    int
	rps, p50, p99, p99half  float64
	p95                     float64 // pages only: their target is a p95
	pctEcho, restOverGrpc   float64
	errors                  int
	redisCmds               float64 // Redis commands per call, scripts' inner commands included
	rss                     rss
	note                    string
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func main() {
	root := flag.String("root", "..", "repository root (where cmd/tongdu is)")
	out := flag.String("out", "", "CSV path (default results/<UTC timestamp>.csv)")
	keep := flag.Bool("keep", false, "keep the work dir (binary, data, logs)")
	soakFor := flag.Duration("soak", 0, "instead of the benchmark, a soak: mixed load for this long (SOAK_RATE calls/s, sampled every SOAK_EVERY)")
	flag.Parse()
	cfg := configFromEnv()
	sc := soakConfigFromEnv(*soakFor)
	log.SetFlags(log.Ltime)
	began := time.Now()
	runTag = fmt.Sprintf("b%x", began.UnixNano()%0xffffff)

	work, err := os.MkdirTemp("", "tongdu-bench-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer removeWork(work)
	} else {
		log.Printf("work dir %s", work)
	}
	log.Printf("building cmd/tongdu")
	bin, err := buildTongdu(*root, work)
	if err != nil {
		log.Fatalf("build: %v", err)
	}
	st, err := startStack(bin, work)
	if err != nil {
		log.Fatal(err)
	}
	defer st.stop()
	log.Printf("tongdu pid %d (gRPC %s, REST %s), redis-server pid %d", st.cmd.Process.Pid, st.grpcAddr, st.httpAddr, st.redisPID)

	cl, err := newClients(st, 4)
	if err != nil {
		log.Fatal(err)
	}
	defer cl.close()
	ctx := context.Background()
	bigN := cfg.statsSizes[len(cfg.statsSizes)-1]
	if *soakFor > 0 {
		bigN = soakHouseholds(sc)
	}
	fx, err := setup(ctx, cl, bigN, cfg.payHouseholds)
	if err != nil {
		st.stop()
		log.Fatalf("setup: %v", err)
	}
	if *soakFor > 0 {
		ok := soak(sc, st, cl, fx)
		peak := st.peaks()
		fmt.Printf("\npeak RSS (VmHWM): tongdu all-in-one %.0f MB, redis-server %.0f MB, bench %.0f MB; run took %s\n", peak.tongdu, peak.redis, peak.bench, time.Since(began).Round(time.Second))
		cl.close()
		st.stop()
		if !*keep {
			removeWork(work)
		}
		if !ok {
			os.Exit(1)
		}
		return
	}

	var rows []row
	// Baseline 1: the RPC stack alone.
	addr, stopEcho, err := echoServer()
	if err != nil {
		log.Fatal(err)
	}
	echoConns, err := dialPool(addr, 4)
	if err != nil {
		log.Fatal(err)
	}
	eo := drive(cfg.workers, cfg.dur, 0, echoOp(echoConns))
	echoRPS := eo.rps()
	eh := drive(cfg.workers, cfg.halfDur, echoRPS/2, echoOp(echoConns))
	rows = append(rows, row{method: "echo (health.Check)", transport: "grpc", conc: cfg.workers, rps: echoRPS, p50: ms(eo.quantile(.5)), p99: ms(eo.quantile(.99)),
		p99half: ms(eh.quantile(.99)), pctEcho: 100, errors: eo.failed + eh.failed, rss: st.peaks(), note: "in the bench process"})
	for _, c := range echoConns {
		c.Close()
	}
	stopEcho()
	log.Printf("echo: %.0f rps", echoRPS)

	// The measured calls, by gRPC and REST: at full load, then paced at half that rate.
	for _, m := range methods(cl, fx) {
		if !cfg.wants(m.name) {
			continue
		}
		var grpcRPS float64
		for _, tr := range []struct {
			name string
			f    op
		}{{"grpc", m.grpc}, {"rest", m.rest}} {
			before := cmdStats(st.redisSocket)
			var prof func()
			if cfg.profile[m.name+"/"+tr.name] || (tr.name == "grpc" && cfg.profile[m.name]) {
				prof = st.cpuProfile(cfg.dur, filepath.Join("results", m.name+"-"+tr.name+".pprof"))
			}
			o := drive(cfg.workers, cfg.dur, 0, tr.f)
			if prof != nil {
				prof()
			}
			cmds, detail := perCall(before, cmdStats(st.redisSocket), o.ok+o.failed)
			h := drive(cfg.workers, cfg.halfDur, o.rps()/2, tr.f)
			r := row{method: m.name, transport: tr.name, conc: cfg.workers, rps: o.rps(), p50: ms(o.quantile(.5)), p99: ms(o.quantile(.99)),
				p99half: ms(h.quantile(.99)), pctEcho: 100 * o.rps() / echoRPS, errors: o.failed + h.failed, rss: st.peaks(), redisCmds: cmds, note: detail}
			if tr.name == "grpc" {
				grpcRPS = o.rps()
			} else if grpcRPS > 0 {
				r.restOverGrpc = 100 * o.rps() / grpcRPS
			}
			if e := firstErr(o, h); e != nil {
				r.note = "error: " + trim(e.Error(), 120)
			}
			rows = append(rows, r)
			log.Printf("%s %s: %.0f rps p50 %.2f ms p99 %.2f ms (half-rate p99 %.2f ms), %d errors; Redis per call: %s", m.name, tr.name, r.rps, r.p50, r.p99, r.p99half, r.errors, detail)
		}
	}

	// Baseline 2: the Redis commands of the writes, on the same redis-server.
	var rbs []redisResult
	if len(cfg.only) == 0 {
		rbs = redisBench(st.redisSocket, cfg.redisN, 16)
	}
	for _, rr := range rbs {
		r := row{method: rr.name, transport: "redis", conc: 16, rps: rr.rps, p50: rr.p50, rss: st.peaks(), note: "redis-benchmark -q (p50 only)"}
		if echoRPS > 0 {
			r.pctEcho = 100 * rr.rps / echoRPS
		}
		if rr.err != nil {
			r.note = "error: " + trim(rr.err.Error(), 120)
		}
		rows = append(rows, r)
		log.Printf("%s: %.0f rps p50 %.3f ms", rr.name, rr.rps, rr.p50)
	}

	// Growth: the reads must not slow down as the data grows.
	ms0 := methods(cl, fx)
	byName := map[string]method{}
	for _, m := range ms0 {
		byName[m.name] = m
	}
	growth := func(name string, sizes []int, unit string, grow func(n int) error) {
		if !cfg.wants(name) {
			return
		}
		for _, n := range sizes {
			t0 := time.Now()
			if err := grow(n); err != nil {
				rows = append(rows, row{method: name, transport: "grpc", size: fmt.Sprintf("%d %s", n, unit), note: "error: " + trim(err.Error(), 120)})
				log.Printf("growth %s %d: %v", name, n, err)
				return
			}
			log.Printf("growth: %s at %d %s (loaded in %s)", name, n, unit, time.Since(t0).Round(time.Millisecond))
			o := drive(cfg.growthWorkers, cfg.grDur, 0, byName[name].grpc)
			r := row{method: name, transport: "grpc", size: fmt.Sprintf("%d %s", n, unit), conc: cfg.growthWorkers, rps: o.rps(), p50: ms(o.quantile(.5)), p99: ms(o.quantile(.99)),
				pctEcho: 100 * o.rps() / echoRPS, errors: o.failed, rss: st.peaks(), note: "growth"}
			if o.firstErr != nil {
				r.note = "error: " + trim(o.firstErr.Error(), 120)
			}
			rows = append(rows, r)
		}
	}
	growth("GetSurveyStats", cfg.statsSizes, "responses", func(n int) error { return growResponses(ctx, cl, fx, n) })
	growth("GetRanking", cfg.rankSizes, "compounds", func(n int) error { return growCompounds(ctx, cl, fx, n) })
	// GetBook's growth reads the growth project's book, which only growBook writes.
	fx.book = fx.growthBook
	for _, m := range methods(cl, fx) {
		byName[m.name] = m
	}
	growth("GetBook", cfg.bookSizes, "transactions", func(n int) error { return growBook(ctx, cl, fx, n) })

	// The console's pages on the demo district, last: the demo adds its records to the
	// store the rows above measured.
	if len(cfg.only) == 0 || cfg.only["pages"] {
		rows = append(rows, pageRows(st, cfg, echoRPS)...)
	}

	final := st.peaks()
	elapsed := time.Since(began).Round(time.Second)
	printTable(os.Stdout, rows)
	fmt.Printf("\npeak RSS (VmHWM): tongdu all-in-one %.0f MB, redis-server %.0f MB, bench %.0f MB; run took %s (quick=%v, %d workers, %s per run)\n",
		final.tongdu, final.redis, final.bench, elapsed, cfg.quick, cfg.workers, cfg.dur)
	verdicts(os.Stdout, rows, final)
	path := *out
	if path == "" {
		path = filepath.Join("results", began.UTC().Format("20060102T150405Z")+".csv")
	}
	if err := writeCSV(path, rows); err != nil {
		log.Printf("csv: %v", err)
	} else {
		fmt.Printf("CSV: %s\n", path)
	}
}

// removeWork deletes the work dir; redis-server may still be closing its files as the
// all-in-one exits, so it tries again for a few seconds.
func removeWork(dir string) {
	for range 10 {
		if err := os.RemoveAll(dir); err == nil {
			if _, err := os.Stat(dir); os.IsNotExist(err) {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	log.Printf("could not remove the work dir %s; remove it by hand", dir)
}

func firstErr(os ...outcome) error {
	for _, o := range os {
		if o.firstErr != nil {
			return o.firstErr
		}
	}
	return nil
}

func trim(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

var header = []string{"method", "transport", "size", "concurrency", "rps", "p50_ms", "p99_ms", "p99_half_rate_ms", "pct_of_echo", "rest_over_grpc", "errors", "redis_cmds_per_call", "rss_tongdu_mb", "rss_redis_mb", "rss_bench_mb", "note"}

func (r row) cells() []string {
	f := func(v float64, prec int) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	conc := ""
	if r.conc > 0 {
		conc = strconv.Itoa(r.conc)
	}
	return []string{r.method, r.transport, r.size, conc, f(r.rps, 0), f(r.p50, 2), f(r.p99, 2), f(r.p99half, 2), f(r.pctEcho, 1), f(r.restOverGrpc, 1),
		strconv.Itoa(r.errors), f(r.redisCmds, 1), f(r.rss.tongdu, 0), f(r.rss.redis, 0), f(r.rss.bench, 0), r.note}
}

func printTable(w *os.File, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t")+"\t")
	}
	tw.Flush()
}

func writeCSV(path string, rows []row) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	for _, r := range rows {
		_ = w.Write(r.cells())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// verdicts checks the run against the targets.
func verdicts(w *os.File, rows []row, peak rss) {
	mark := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	fmt.Fprintln(w, "\ntargets:")
	for _, r := range rows {
		if r.method == "SubmitResponse" && r.transport == "grpc" {
			fmt.Fprintf(w, "  %s SubmitResponse gRPC at %.1f%% of echo throughput (target >= 40%%)\n", mark(r.pctEcho >= 40), r.pctEcho)
		}
	}
	for _, r := range rows {
		if r.transport == "rest" && r.size == "" {
			fmt.Fprintf(w, "  %s %s REST at %.1f%% of gRPC (target >= 60%%)\n", mark(r.restOverGrpc >= 60), r.method, r.restOverGrpc)
		}
	}
	for _, r := range rows {
		if (r.transport == "grpc" || r.transport == "rest") && r.size == "" && r.p99half > 0 {
			fmt.Fprintf(w, "  %s %s %s p99 %.2f ms at half of its peak rate (target < 20 ms)\n", mark(r.p99half < 20), r.method, r.transport, r.p99half)
		}
	}
	for _, r := range rows {
		if r.transport == "http" && r.p95 > 0 {
			fmt.Fprintf(w, "  %s %s p95 %.2f ms at %d users (target < 100 ms)\n", mark(r.p95 < 100), r.method, r.p95, r.conc)
		}
	}
	fmt.Fprintf(w, "  %s tongdu all-in-one (four services and the gateway in one process) peak RSS %.0f MB (target per service < 150 MB)\n", mark(peak.tongdu < 150), peak.tongdu)
	first := map[string]row{}
	for _, r := range rows {
		if r.note != "growth" {
			continue
		}
		if f, ok := first[r.method]; !ok {
			first[r.method] = r
		} else {
			ratio := r.p50 / f.p50
			fmt.Fprintf(w, "  %s %s p50 at %s is %.2fx of at %s (flat: <= 2x)\n", mark(ratio <= 2), r.method, r.size, ratio, f.size)
		}
	}
}
