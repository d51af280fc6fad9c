package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// pageUsers is how many people the console's pages are measured with at once.
const pageUsers = 20

// pageRows measures the console's pages on the demo district (issue 18: each page under
// 100 ms at the server): the demo is loaded into the running stack, an administrator is
// made at the machine and signs in as a browser does, and each page is asked for by
// pageUsers workers with the session cookie. A page counts only when it answers 200 with
// its heading.
func pageRows(st *stack, cfg config, echoRPS float64) []row {
	t0 := time.Now()
	out, err := exec.Command(st.bin, "demo", "--data-dir", st.dataDir, "--grpc-addr", st.grpcAddr).CombinedOutput()
	if err != nil {
		return []row{{method: "console pages", transport: "http", deployment: "all-in-one", note: "error: demo: " + trim(string(out), 120)}}
	}
	log.Printf("pages: demo district loaded in %s", time.Since(t0).Round(time.Millisecond))
	ids := regexp.MustCompile(`compound (\S+), project (\S+)`).FindStringSubmatch(string(out))
	if ids == nil {
		return []row{{method: "console pages", transport: "http", deployment: "all-in-one", note: "error: the demo named no story compound: " + trim(string(out), 120)}}
	}
	const password = "bench pages passphrase"
	add := exec.Command(st.bin, "user", "add", "--data-dir", st.dataDir, "--login", "bench.pages", "--role", "DISTRICT_ADMIN", "--password-stdin")
	add.Stdin = strings.NewReader(password + "\n")
	if out, err := add.CombinedOutput(); err != nil && !strings.Contains(string(out), "already exists") {
		return []row{{method: "console pages", transport: "http", deployment: "all-in-one", note: "error: user add: " + trim(string(out), 120)}}
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: pageUsers}}
	base := "http://" + st.httpAddr
	body, _ := json.Marshal(map[string]string{"login": "bench.pages", "password": password})
	resp, err := client.Post(base+"/v1/sessions", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		return []row{{method: "console pages", transport: "http", deployment: "all-in-one", note: fmt.Sprintf("error: sign-in: %v %v", err, resp)}}
	}
	resp.Body.Close()

	pages := []struct{ name, path string }{
		{"page: dashboard", "/"},
		{"page: ranking", "/ranking"},
		{"page: compounds", "/compounds"},
		{"page: compound", "/compounds/" + ids[1]},
		{"page: project", "/projects/" + ids[2]},
		{"page: money", "/projects/" + ids[2] + "/money"},
		{"page: whistles", "/whistles"},
	}
	// The mix: each user's next page is the dashboard, the story compound's page or the
	// ranking in turn, so that the row is what 20 people moving between them see.
	mix := []string{"/", "/compounds/" + ids[1], "/ranking"}
	pages = append(pages, struct{ name, path string }{"page: mix (dashboard, compound, ranking)", ""})
	var rows []row
	for _, p := range pages {
		fetch := func(ctx context.Context, path string) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("<h1")) {
				return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, trim(string(b), 80))
			}
			return nil
		}
		get := func(ctx context.Context, _ int, seq int64) error {
			if p.path == "" {
				return fetch(ctx, mix[seq%int64(len(mix))])
			}
			return fetch(ctx, p.path)
		}
		if err := get(context.Background(), 0, 0); err != nil {
			rows = append(rows, row{method: p.name, transport: "http", deployment: "all-in-one", note: "error: " + trim(err.Error(), 120)})
			continue
		}
		o := drive(pageUsers, cfg.dur, 0, get)
		r := row{method: p.name, transport: "http", deployment: "all-in-one", size: "demo district", conc: pageUsers, rps: o.rps(), p50: ms(o.quantile(.5)), p95: ms(o.quantile(.95)), p99: ms(o.quantile(.99)),
			pctEcho: 100 * o.rps() / echoRPS, errors: o.failed, rss: st.peaks(), note: "pages/s; p95 is the target"}
		if p.path != "" {
			r.note += "; GET " + p.path
		}
		if o.firstErr != nil {
			r.note = "error: " + trim(o.firstErr.Error(), 120)
		}
		rows = append(rows, r)
		log.Printf("%s %s: %.0f pages/s p50 %.2f ms p95 %.2f ms p99 %.2f ms, %d errors", p.name, p.path, r.rps, r.p50, r.p95, r.p99, r.errors)
	}
	return rows
}
