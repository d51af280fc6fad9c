package trace

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/services/governance"
)

// TestMetricsPage scrapes /metrics on the all-in-one's HTTP port, without a token, around
// some calls, and finds the per-RPC latency histograms (with the status code that makes
// the error rate), the Redis pool figures and the business counters with the values the
// calls should have left. Counters are cumulative for the process (the trace test ran in
// it too), so they are checked as differences between two scrapes.
func TestMetricsPage(t *testing.T) {
	c := startApp(t, func(cfg *allinone.Config) {
		// Rule 11's limits on an URGENT whistle (acknowledge within 2 h, resolve within
		// 24 h) shortened so a whistle is overdue within the test.
		cfg.Modules = allinone.With(governance.ModuleWith(governance.Config{UrgentAcknowledge: time.Millisecond, UrgentResolve: 2 * time.Millisecond}))
	})
	before := c.scrape(t)
	a := c.setupApprovable() // three households each answer the resolution once

	// A household answers again (recorded, replacing its first answer), and the collector's
	// tablet sends that again (a replay: not recorded twice).
	change := map[string]any{"householdId": a.householdIDs[0], "channel": "DOOR_TO_DOOR", "collectorId": "grid-worker-07",
		"answers": []map[string]any{{"questionId": "vote", "optionIds": []string{"agree"}}}}
	c.call("POST", "/v1/surveys/"+a.surveyID+"/responses?requestId=change-vote-0", change, nil)
	c.call("POST", "/v1/surveys/"+a.surveyID+"/responses?requestId=change-vote-0", change, nil)

	approvePath := "/v1/projects/" + a.projectID + ":approve"
	if status, body := c.do("POST", approvePath, map[string]any{"actor": "东川区住房和城乡建设局"}); status == http.StatusOK {
		t.Fatalf("approval on an open vote answered 200: %s", body)
	}
	c.call("POST", "/v1/surveys/"+a.surveyID+":close", map[string]any{}, nil)
	c.call("POST", approvePath, map[string]any{"actor": "东川区住房和城乡建设局"}, nil)

	// Two households pay; the first one's payment is sent twice (a replay).
	c.call("POST", "/v1/funding-plans", map[string]any{
		"projectId": a.projectID, "quota": map[string]any{"flatFen": "1000"},
		"sources": []map[string]any{
			{"party": "GOVERNMENT", "funder": "铜都街道", "committedFen": "597000"},
			{"party": "RESIDENTS", "funder": "居民自筹"},
		},
	}, nil)
	pay := func(h string) map[string]any {
		return map[string]any{"householdId": h, "amountFen": "1000", "method": "CASH", "requestId": "quota-" + h}
	}
	c.call("POST", "/v1/projects/"+a.projectID+"/contributions", pay(a.householdIDs[0]), nil)
	c.call("POST", "/v1/projects/"+a.projectID+"/contributions", pay(a.householdIDs[1]), nil)
	c.call("POST", "/v1/projects/"+a.projectID+"/contributions", pay(a.householdIDs[0]), nil)

	// An urgent whistle nobody acknowledges is overdue a millisecond later.
	c.call("POST", "/v1/departments", map[string]any{"id": "water", "name": "东川区水务局"}, nil)
	c.call("POST", "/v1/whistles", map[string]any{"compoundId": a.compoundID, "category": "DRAINAGE",
		"description": "雨水井堵塞", "departmentIds": []string{"water"}, "priority": "URGENT"}, nil)
	time.Sleep(20 * time.Millisecond)

	// A server records a call's duration when gRPC has sent the answer, which may be just
	// after the caller has it: scrape until the figures settle, for a few seconds at most.
	var failures []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if failures = check(before, c.scrape(t)); len(failures) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// check compares the page after the calls of TestMetricsPage with the one before, and
// returns what is not as it should be.
func check(before, after page) []string {
	var failures []string
	delta := func(name string, labels ...string) float64 {
		return after.sum(name, labels...) - before.sum(name, labels...)
	}
	const approve = `rpc_method="tongdu.projects.v1.ProjectsService/ApproveProject"`
	for _, w := range []struct {
		what string
		got  float64
		want float64
	}{
		{"responses recorded (3 answers and 1 repeat; its replay not counted)", delta("tongdu_responses_recorded_total"), 4},
		{"contributions posted (2 payments; the replay not counted)", delta("tongdu_contributions_total"), 2},
		{"ApproveProject calls answered OK", delta("rpc_server_call_duration_seconds_count", approve, `rpc_response_status_code="OK"`), 1},
		{"ApproveProject calls refused (FAILED_PRECONDITION)", delta("rpc_server_call_duration_seconds_count", approve, `rpc_response_status_code="FAILED_PRECONDITION"`), 1},
		{"SubmitResponse calls", delta("rpc_server_call_duration_seconds_count", `rpc_method="tongdu.survey.v1.SurveyService/SubmitResponse"`), 5},
		// The bucket +Inf counts every call: the histogram has its buckets, not only a count.
		{"ApproveProject calls in the +Inf bucket", delta("rpc_server_call_duration_seconds_bucket", approve, `le="+Inf"`), 2},
		{"overdue whistles", after.sum("tongdu_whistles_overdue"), 1},
	} {
		if w.got != w.want {
			failures = append(failures, fmt.Sprintf("%s: %v, want %v", w.what, w.got, w.want))
		}
	}
	// The Redis pool: its size and its connections in use and idle.
	if after.sum("db_client_connections_max", `db_system="redis"`) <= 0 {
		failures = append(failures, "no Redis pool size (db_client_connections_max)")
	}
	for _, state := range []string{`state="used"`, `state="idle"`} {
		if !after.has("db_client_connections_usage", state) {
			failures = append(failures, "no Redis pool usage with "+state)
		}
	}
	return failures
}

// page is a scraped metrics page.
type page []string

// scrape reads /metrics without a token: the page is public, like /healthz.
func (c *client) scrape(t *testing.T) page {
	t.Helper()
	anon := *c
	anon.token = ""
	status, body := anon.do("GET", "/metrics", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d; body %s", status, body)
	}
	// Read without a token, the page names no file: not the data dir, not Redis's socket.
	if strings.Contains(string(body), ".sock") || strings.Contains(string(body), "/tmp/") {
		t.Errorf("GET /metrics shows a file path")
	}
	var p page
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			p = append(p, line)
		}
	}
	return p
}

// series are the samples of metric name whose labels include every one of labels
// (written as in the page: key="value"), as label text and value.
func (p page) series(name string, labels ...string) []float64 {
	var out []float64
	for _, line := range p {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		cut := strings.LastIndexByte(rest, ' ')
		match := true
		for _, l := range labels {
			if !strings.Contains(rest[:cut], l) {
				match = false
			}
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(rest[cut+1:], 64)
		if err == nil {
			out = append(out, v)
		}
	}
	return out
}

// sum adds the matching samples (0 when there are none).
func (p page) sum(name string, labels ...string) float64 {
	var s float64
	for _, v := range p.series(name, labels...) {
		s += v
	}
	return s
}

func (p page) has(name string, labels ...string) bool { return len(p.series(name, labels...)) > 0 }
