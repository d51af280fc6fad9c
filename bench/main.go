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
	split               string          // BENCH_SPLIT / -split: "" both deployments (default), "0" the all-in-one only, "1" both, "only" the split one only
	splitHouseholds     int             // households of the big compound in the split run (for its writes only)
	profile             map[string]bool // BENCH_PROFILE: CPU-profile these methods' runs ("GetBook" its gRPC run, "GetBook/rest" its REST run)
}

// wants says whether a method is measured in this run.
func (c config) wants(name string) bool { return len(c.only) == 0 || c.only[name] }

func (c config) runAllInOne() bool { return c.split != "only" }
func (c config) runSplit() bool    { return c.split != "0" && c.split != "off" }

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
		c.splitHouseholds = 100_000
	} else {
		c.dur, c.halfDur, c.grDur = 15*time.Second, 10*time.Second, 5*time.Second
		c.statsSizes = []int{1_000, 100_000, 1_000_000}
		c.rankSizes = []int{322, 10_000, 100_000}
		c.bookSizes = []int{1_000, 1_000_000}
		c.redisN = 200_000
		c.splitHouseholds = 400_000
	}
	c.split = strings.TrimSpace(os.Getenv("BENCH_SPLIT"))
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
	deployment              string // "all-in-one" or "split" ("" for the echo baseline)
	conc                    int
	rps, p50, p95, p99      float64
	p99half                 float64
	pctEcho, restOverGrpc   float64
	pctScript               float64 // writes: rps as a percentage of their bare script's (redis-benchmark)
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
	splitFlag := flag.Bool("split", false, "measure the split deployment (each service its own process) too, as BENCH_SPLIT=1 does; BENCH_SPLIT=0 leaves it out, BENCH_SPLIT=only measures it alone")
	flag.Parse()
	cfg := configFromEnv()
	if *splitFlag && cfg.split != "only" {
		cfg.split = "1"
	}
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
	ctx := context.Background()

	if *soakFor > 0 {
		st, err := startStack(bin, work)
		if err != nil {
			log.Fatal(err)
		}
		cl, err := newClients(st.endpoints(), 4)
		if err != nil {
			st.stop()
			log.Fatal(err)
		}
		fx, err := setup(ctx, cl, soakHouseholds(sc), cfg.payHouseholds)
		if err != nil {
			st.stop()
			log.Fatalf("setup: %v", err)
		}
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
	var echoRPS float64
	var aioPeak rss
	var splitProcs []procPeak
	redisDone := false
	if cfg.runAllInOne() {
		st, err := startStack(bin, work)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("tongdu pid %d (gRPC %s, REST %s), redis-server pid %d", st.cmd.Process.Pid, st.grpcAddr, st.httpAddr, st.redisPID)
		cl, err := newClients(st.endpoints(), 4)
		if err != nil {
			st.stop()
			log.Fatal(err)
		}
		fx, err := setup(ctx, cl, cfg.statsSizes[len(cfg.statsSizes)-1], cfg.payHouseholds)
		if err != nil {
			st.stop()
			log.Fatalf("setup: %v", err)
		}
		var er row
		er, echoRPS = echoRow(cfg, st.peaks)
		rows = append(rows, er)
		dep := deployment{name: "all-in-one", redisSocket: st.redisSocket, peaks: st.peaks, profile: st.cpuProfile}
		rows = append(rows, measureMethods(cfg, dep, cl, fx, echoRPS, cfg.wants)...)
		// Baseline 2: the Redis commands of the writes, on the same redis-server.
		if len(cfg.only) == 0 {
			rows = append(rows, redisRows(cfg, dep, echoRPS)...)
			redisDone = true
		}
		rows = append(rows, growthRows(ctx, cfg, dep, cl, fx, echoRPS)...)
		// The console's pages on the demo district, last: the demo adds its records to the
		// store the rows above measured.
		if len(cfg.only) == 0 || cfg.only["pages"] {
			rows = append(rows, pageRows(st, cfg, echoRPS)...)
		}
		aioPeak = st.peaks()
		cl.close()
		st.stop()
		log.Printf("all-in-one stopped")
	}

	// BENCH_ONLY=pages measures nothing the split deployment serves.
	if cfg.runSplit() && !(len(cfg.only) == 1 && cfg.only["pages"]) {
		r, procs, err := runSplit(ctx, cfg, *root, bin, filepath.Join(work, "split"), &echoRPS, redisDone)
		if err != nil {
			log.Printf("split: %v", err)
			rows = append(rows, row{method: "split deployment", deployment: "split", note: "error: " + trim(err.Error(), 200)})
		}
		rows = append(rows, r...)
		splitProcs = procs
	}

	fillScriptShares(rows)
	elapsed := time.Since(began).Round(time.Second)
	printTable(os.Stdout, rows)
	fmt.Println()
	if cfg.runAllInOne() {
		fmt.Printf("peak RSS (VmHWM), all-in-one: tongdu %.0f MB, redis-server %.0f MB, bench %.0f MB\n", aioPeak.tongdu, aioPeak.redis, aioPeak.bench)
	}
	if len(splitProcs) > 0 {
		var parts []string
		for _, p := range splitProcs {
			parts = append(parts, fmt.Sprintf("%s %.0f MB", p.name, p.mb))
		}
		fmt.Printf("peak RSS (VmHWM), split: %s\n", strings.Join(parts, ", "))
	}
	fmt.Printf("run took %s (quick=%v, split=%q, %d workers, %s per run)\n", elapsed, cfg.quick, cfg.split, cfg.workers, cfg.dur)
	verdicts(os.Stdout, rows, cfg.runAllInOne(), aioPeak, splitProcs)
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

// deployment is what the measured calls run on.
type deployment struct {
	name        string // "all-in-one" or "split"
	redisSocket string
	peaks       func() rss
	profile     func(d time.Duration, path string) (wait func()) // nil: no CPU profiles
}

// echoRow measures baseline 1, the RPC stack alone.
func echoRow(cfg config, peaks func() rss) (row, float64) {
	addr, stopEcho, err := echoServer()
	if err != nil {
		log.Fatal(err)
	}
	defer stopEcho()
	echoConns, err := dialPool(addr, 4)
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		for _, c := range echoConns {
			c.Close()
		}
	}()
	eo := drive(cfg.workers, cfg.dur, 0, echoOp(echoConns))
	echoRPS := eo.rps()
	eh := drive(cfg.workers, cfg.halfDur, echoRPS/2, echoOp(echoConns))
	log.Printf("echo: %.0f rps", echoRPS)
	return row{method: "echo (health.Check)", transport: "grpc", conc: cfg.workers, rps: echoRPS, p50: ms(eo.quantile(.5)), p95: ms(eo.quantile(.95)), p99: ms(eo.quantile(.99)),
		p99half: ms(eh.quantile(.99)), pctEcho: 100, errors: eo.failed + eh.failed, rss: peaks(), note: "in the bench process"}, echoRPS
}

// measureMethods measures the calls want picks, by gRPC and REST: at full load, then
// paced at half that rate.
func measureMethods(cfg config, dep deployment, cl *clients, fx *fixture, echoRPS float64, want func(string) bool) []row {
	var rows []row
	for _, m := range methods(cl, fx) {
		if !want(m.name) {
			continue
		}
		var grpcRPS float64
		for _, tr := range []struct {
			name string
			f    op
		}{{"grpc", m.grpc}, {"rest", m.rest}} {
			before := cmdStats(dep.redisSocket)
			var prof func()
			if dep.profile != nil && (cfg.profile[m.name+"/"+tr.name] || (tr.name == "grpc" && cfg.profile[m.name])) {
				prof = dep.profile(cfg.dur, filepath.Join("results", m.name+"-"+tr.name+".pprof"))
			}
			o := drive(cfg.workers, cfg.dur, 0, tr.f)
			if prof != nil {
				prof()
			}
			cmds, detail := perCall(before, cmdStats(dep.redisSocket), o.ok+o.failed)
			h := drive(cfg.workers, cfg.halfDur, o.rps()/2, tr.f)
			r := row{method: m.name, transport: tr.name, deployment: dep.name, conc: cfg.workers, rps: o.rps(), p50: ms(o.quantile(.5)), p95: ms(o.quantile(.95)), p99: ms(o.quantile(.99)),
				p99half: ms(h.quantile(.99)), errors: o.failed + h.failed, rss: dep.peaks(), redisCmds: cmds, note: detail}
			if echoRPS > 0 {
				r.pctEcho = 100 * o.rps() / echoRPS
			}
			if tr.name == "grpc" {
				grpcRPS = o.rps()
			} else if grpcRPS > 0 {
				r.restOverGrpc = 100 * o.rps() / grpcRPS
			}
			if e := firstErr(o, h); e != nil {
				r.note = "error: " + trim(e.Error(), 120)
			}
			rows = append(rows, r)
			log.Printf("%s %s %s: %.0f rps p50 %.2f ms p99 %.2f ms (half-rate p99 %.2f ms), %d errors; Redis per call: %s", dep.name, m.name, tr.name, r.rps, r.p50, r.p99, r.p99half, r.errors, detail)
		}
	}
	return rows
}

// redisRows is baseline 2: the Redis commands of the writes and the scripts shaped like
// them, by redis-benchmark on the deployment's redis-server.
func redisRows(cfg config, dep deployment, echoRPS float64) []row {
	var rows []row
	for _, rr := range redisBench(dep.redisSocket, cfg.redisN, 16) {
		r := row{method: rr.name, transport: "redis", deployment: dep.name, conc: 16, rps: rr.rps, p50: rr.p50, rss: dep.peaks(), note: "redis-benchmark -q (p50 only)"}
		if echoRPS > 0 {
			r.pctEcho = 100 * rr.rps / echoRPS
		}
		if rr.err != nil {
			r.note = "error: " + trim(rr.err.Error(), 120)
		}
		rows = append(rows, r)
		log.Printf("%s: %.0f rps p50 %.3f ms", rr.name, rr.rps, rr.p50)
	}
	return rows
}

// growthRows: the reads must not slow down as the data grows.
func growthRows(ctx context.Context, cfg config, dep deployment, cl *clients, fx *fixture, echoRPS float64) []row {
	var rows []row
	byName := map[string]method{}
	for _, m := range methods(cl, fx) {
		byName[m.name] = m
	}
	growth := func(name string, sizes []int, unit string, grow func(n int) error) {
		if !cfg.wants(name) {
			return
		}
		for _, n := range sizes {
			t0 := time.Now()
			if err := grow(n); err != nil {
				rows = append(rows, row{method: name, transport: "grpc", deployment: dep.name, size: fmt.Sprintf("%d %s", n, unit), note: "error: " + trim(err.Error(), 120)})
				log.Printf("growth %s %d: %v", name, n, err)
				return
			}
			log.Printf("growth: %s at %d %s (loaded in %s)", name, n, unit, time.Since(t0).Round(time.Millisecond))
			o := drive(cfg.growthWorkers, cfg.grDur, 0, byName[name].grpc)
			r := row{method: name, transport: "grpc", deployment: dep.name, size: fmt.Sprintf("%d %s", n, unit), conc: cfg.growthWorkers, rps: o.rps(), p50: ms(o.quantile(.5)), p95: ms(o.quantile(.95)), p99: ms(o.quantile(.99)),
				pctEcho: 100 * o.rps() / echoRPS, errors: o.failed, rss: dep.peaks(), note: "growth"}
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
	return rows
}

// procPeak is one process's peak RSS in the split deployment.
type procPeak struct {
	name string
	mb   float64
}

// runSplit builds and starts the split deployment, loads the fixture through it and
// measures the calls cfg.wants picks (all of them unless BENCH_ONLY); then one row per process with its peak RSS.
// Without the all-in-one run before it, it measures the echo baseline (into *echoRPS)
// and, unless redisDone, runs redis-benchmark on its own redis-server.
func runSplit(ctx context.Context, cfg config, root, tongduBin, dir string, echoRPS *float64, redisDone bool) ([]row, []procPeak, error) {
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return nil, nil, err
	}
	log.Printf("split: building the four services and the gateway")
	if err := buildSplit(root, filepath.Join(dir, "bin")); err != nil {
		return nil, nil, fmt.Errorf("build: %w", err)
	}
	sp, err := startSplit(filepath.Join(dir, "bin"), tongduBin, dir)
	if err != nil {
		return nil, nil, err
	}
	defer sp.stop()
	var pids []string
	for _, p := range sp.procs {
		pids = append(pids, fmt.Sprintf("%s %d (%s)", p.name, p.cmd.Process.Pid, p.addr))
	}
	log.Printf("split: %s, redis-server %d", strings.Join(pids, ", "), sp.redis.Process.Pid)
	var rows []row
	if *echoRPS == 0 {
		var er row
		er, *echoRPS = echoRow(cfg, sp.peaks)
		rows = append(rows, er)
	}
	cl, err := newClients(sp.endpoints(), 4)
	if err != nil {
		return rows, nil, err
	}
	defer cl.close()
	fx, err := setup(ctx, cl, cfg.splitHouseholds, cfg.payHouseholds)
	if err != nil {
		return rows, nil, fmt.Errorf("setup: %w", err)
	}
	dep := deployment{name: "split", redisSocket: sp.redisSocket, peaks: sp.peaks}
	rows = append(rows, measureMethods(cfg, dep, cl, fx, *echoRPS, cfg.wants)...)
	if !redisDone && len(cfg.only) == 0 {
		rows = append(rows, redisRows(cfg, dep, *echoRPS)...)
	}
	var procs []procPeak
	names, mbs := sp.procPeaks()
	redisMB, _ := memMB(sp.redis.Process.Pid)
	for i, n := range names {
		procs = append(procs, procPeak{n, mbs[i]})
		rows = append(rows, row{method: "process: " + n, transport: "rss", deployment: "split", rss: rss{tongdu: mbs[i], redis: redisMB}, note: "peak RSS (VmHWM) of this process over the split run"})
	}
	return rows, procs, nil
}

// fillScriptShares puts each write's rate as a percentage of its bare script's rate
// (redis-benchmark's EVALSHA of the script shaped like it) on the write's rows.
func fillScriptShares(rows []row) {
	script := map[string]float64{}
	for _, r := range rows {
		if r.transport == "redis" && r.rps > 0 {
			script[r.method] = r.rps
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.size != "" || (r.transport != "grpc" && r.transport != "rest") {
			continue
		}
		if s := script[scriptOf[r.method]]; s > 0 {
			r.pctScript = 100 * r.rps / s
		}
	}
}

// scriptOf names the redis-benchmark row of the script each write runs.
var scriptOf = map[string]string{
	"SubmitResponse":     "redis:EVALSHA survey-write-like",
	"CreateContribution": "redis:EVALSHA ledger-post-like",
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

var header = []string{"method", "transport", "deployment", "size", "concurrency", "rps", "p50_ms", "p95_ms", "p99_ms", "p99_half_rate_ms", "pct_of_echo", "pct_of_script", "rest_over_grpc", "errors", "redis_cmds_per_call", "rss_tongdu_mb", "rss_redis_mb", "rss_bench_mb", "note"}

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
	return []string{r.method, r.transport, r.deployment, r.size, conc, f(r.rps, 0), f(r.p50, 2), f(r.p95, 2), f(r.p99, 2), f(r.p99half, 2), f(r.pctEcho, 1), f(r.pctScript, 1), f(r.restOverGrpc, 1),
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

// verdicts checks the run against issue 21's targets.
func verdicts(w *os.File, rows []row, allInOne bool, aioPeak rss, procs []procPeak) {
	mark := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	measured := func(r row) bool {
		return (r.transport == "grpc" || r.transport == "rest") && r.size == "" && r.deployment != ""
	}
	fmt.Fprintln(w, "\ntargets (issue 21):")
	for _, r := range rows {
		if measured(r) && scriptOf[r.method] != "" {
			if r.pctScript == 0 {
				fmt.Fprintf(w, "  FAIL %s %s %s: no rate of its bare script (%s) to compare with\n", r.method, r.transport, r.deployment, scriptOf[r.method])
				continue
			}
			fmt.Fprintf(w, "  %s %s %s %s at %.1f%% of its bare script's rate (target >= 25%%)\n", mark(r.pctScript >= 25), r.method, r.transport, r.deployment, r.pctScript)
		}
	}
	for _, r := range rows {
		if measured(r) && r.transport == "rest" {
			fmt.Fprintf(w, "  %s %s %s REST at %.1f%% of gRPC (target >= 75%%)\n", mark(r.restOverGrpc >= 75), r.method, r.deployment, r.restOverGrpc)
		}
	}
	for _, r := range rows {
		if measured(r) && r.p99half > 0 {
			fmt.Fprintf(w, "  %s %s %s %s p99 %.2f ms at half of its peak rate (target < 20 ms)\n", mark(r.p99half < 20), r.method, r.transport, r.deployment, r.p99half)
		}
	}
	for _, r := range rows {
		if r.transport == "http" && r.p95 > 0 {
			fmt.Fprintf(w, "  %s %s p95 %.2f ms at %d users (target < 100 ms)\n", mark(r.p95 < 100), r.method, r.p95, r.conc)
		} else if r.transport == "http" {
			fmt.Fprintf(w, "  FAIL %s: not measured (%s)\n", r.method, r.note)
		}
	}
	if allInOne {
		fmt.Fprintf(w, "  %s all-in-one (four services and the gateway in one process) peak RSS %.0f MB (target < 150 MB a process)\n", mark(aioPeak.tongdu > 0 && aioPeak.tongdu < 150), aioPeak.tongdu)
	}
	for _, p := range procs {
		fmt.Fprintf(w, "  %s split: %s peak RSS %.0f MB (target < 150 MB a process)\n", mark(p.mb > 0 && p.mb < 150), p.name, p.mb)
	}
	first := map[string]row{}
	for _, r := range rows {
		if r.note != "growth" {
			continue
		}
		k := r.deployment + " " + r.method
		if f, ok := first[k]; !ok {
			first[k] = r
		} else {
			ratio := r.p50 / f.p50
			fmt.Fprintf(w, "  %s %s p50 at %s is %.2fx of at %s (flat: <= 2x)\n", mark(ratio <= 2), r.method, r.size, ratio, f.size)
		}
	}
}
