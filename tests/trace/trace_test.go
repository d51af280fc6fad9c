package trace

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"tongdu/platform/telemetry"
)

const (
	approveRPC = "tongdu.projects.v1.ProjectsService/ApproveProject"
	surveyRPC  = "tongdu.survey.v1.SurveyService/"
	govRPC     = "tongdu.governance.v1.GovernanceService/"
)

// TestApprovalIsOneTrace approves a project through the gateway and checks the traces an
// operator would follow: each request is one trace, rooted at the gateway's span, through
// the projects service's ApproveProject and the survey service (the resolution), with
// Redis commands under each service and the project's id on the spans. The first attempt
// names the resolution while the vote is still open: the survey service then counts the
// electorate live from the governance service, so that trace crosses all three services,
// and the refusal's rule-6 reason (approval needs the renovation resolution passed and
// closed) is on the span. Finally no span of the whole run carries personal data. (That
// log lines carry their trace: TestLogLinesCarryTheirRequestsTrace.)
func TestApprovalIsOneTrace(t *testing.T) {
	c := startApp(t, nil)
	a := c.setupApprovable()
	approvePath := "/v1/projects/" + a.projectID + ":approve"

	if status, body := c.do("POST", approvePath, map[string]any{"actor": "东川区住房和城乡建设局", "resolutionSurveyId": a.surveyID}); status == http.StatusOK {
		t.Fatalf("approval on an open vote answered 200: %s", body)
	}
	refused := traceOf(t, c.gatewaySpan(t, "POST "+approvePath))
	refused.check(t, a.projectID, "projects", "survey", "governance")
	if approve := refused.server(approveRPC); len(approve) == 1 {
		if got := approve[0].attrs["tongdu.refusal.reason"]; got != "RESOLUTION_NOT_PASSED" {
			t.Errorf("refused ApproveProject span: tongdu.refusal.reason %q, want RESOLUTION_NOT_PASSED; attributes %v", got, approve[0].attrs)
		}
		if !slices.ContainsFunc(approve[0].events, func(e event) bool {
			return e.name == "tongdu.refused" && e.attrs["tongdu.refusal.reason"] == "RESOLUTION_NOT_PASSED"
		}) {
			t.Errorf("refused ApproveProject span has no tongdu.refused event with the reason: %+v", approve[0].events)
		}
	}
	// Governance's answer comes to the survey service, which asked for it.
	govs, surveys := refused.server(govRPC), refused.server(surveyRPC)
	if !slices.ContainsFunc(govs, func(g span) bool {
		return slices.ContainsFunc(surveys, func(s span) bool { return refused.under(g, s) })
	}) {
		t.Errorf("no governance call under a survey call in the refused approval\n%s", describe(refused.spans))
	}

	c.call("POST", "/v1/surveys/"+a.surveyID+":close", map[string]any{}, nil)
	var approved struct {
		Status string `json:"status"`
	}
	c.call("POST", approvePath, map[string]any{"actor": "东川区住房和城乡建设局", "reason": "业主表决通过"}, &approved)
	if approved.Status != "APPROVED" {
		t.Fatalf("project after :approve is %s, want APPROVED", approved.Status)
	}
	ok := traceOf(t, c.gatewaySpan(t, "POST "+approvePath))
	if ok.root.traceID == refused.root.traceID {
		t.Fatalf("the two approvals share trace %s", ok.root.traceID)
	}
	// The vote is closed: its electorate was frozen at closing, so governance is not asked.
	ok.check(t, a.projectID, "projects", "survey")
	if approve := ok.server(approveRPC); len(approve) == 1 {
		if got, has := approve[0].attrs["tongdu.refusal.reason"]; has {
			t.Errorf("the approval that succeeded has a refusal reason %q", got)
		}
	}

	// No personal data in any span of the whole run: names, phones, household ids.
	var seeded []string
	for _, r := range residents {
		seeded = append(seeded, r.name, r.phone)
	}
	seeded = append(seeded, a.householdIDs...)
	spans := collector.received()
	for _, s := range spans {
		text := spanText(s)
		for _, p := range seeded {
			if contains(text, p) {
				t.Errorf("span %q carries personal data %q: %s", s.name, p, text)
			}
		}
	}
	// The whole run was traced (regions, compounds, households, survey, responses): the
	// search above looked at the spans of every one of those requests.
	if len(spans) < 50 {
		t.Errorf("only %d spans received for the whole run", len(spans))
	}

	t.Logf("refused approval: trace %s, %d spans; approval: trace %s, %d spans; %d spans in the run",
		refused.root.traceID, len(refused.spans), ok.root.traceID, len(ok.spans), len(spans))
}

// oneTrace is the spans of one request.
type oneTrace struct {
	root  span
	spans []span
	byID  map[string]span
}

// traceOf collects the spans of root's trace. A server span ends when gRPC has sent the
// answer, so the caller (and the gateway) may finish before the callee's span has ended:
// it flushes until every span's parent has arrived and a further flush brings nothing new.
func traceOf(t *testing.T, root span) oneTrace {
	t.Helper()
	collect := func() oneTrace {
		tr := oneTrace{root: root, byID: map[string]span{}}
		for _, s := range collector.received() {
			if s.traceID == root.traceID {
				tr.spans = append(tr.spans, s)
				tr.byID[s.spanID] = s
			}
		}
		return tr
	}
	complete := func(tr oneTrace) bool {
		for _, s := range tr.spans {
			if _, ok := tr.byID[s.parentID]; s.parentID != "" && !ok {
				return false
			}
		}
		return true
	}
	tr := collect()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		flush(t)
		next := collect()
		if complete(next) && len(next.spans) == len(tr.spans) {
			return next
		}
		tr = next
	}
	return tr // incomplete: check reports what is missing
}

// flush exports the spans ended so far.
func flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := telemetry.Flush(ctx); err != nil {
		t.Fatalf("flush spans: %v", err)
	}
}

// ancestors are s's parent, its parent's parent, up to the root.
func (tr oneTrace) ancestors(s span) []span {
	var out []span
	for p, ok := tr.byID[s.parentID]; ok; p, ok = tr.byID[p.parentID] {
		out = append(out, p)
	}
	return out
}

// under reports whether s descends from parent.
func (tr oneTrace) under(s, parent span) bool {
	return slices.ContainsFunc(tr.ancestors(s), func(p span) bool { return p.spanID == parent.spanID })
}

// server returns the server spans of the methods whose names start with prefix.
func (tr oneTrace) server(prefix string) []span {
	var out []span
	for _, s := range tr.spans {
		if s.kind == tracepb.Span_SPAN_KIND_SERVER && strings.HasPrefix(s.name, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// rpcPrefix of each service's server spans.
var rpcPrefix = map[string]string{"projects": approveRPC, "survey": surveyRPC, "governance": govRPC}

// check asserts the trace's shape: one tree rooted at the gateway's span; one
// ApproveProject server span, with the project's id, under it; server spans of each
// service named, all under ApproveProject; Redis command spans under each of those
// services' server spans, without statements.
func (tr oneTrace) check(t *testing.T, projectID string, services ...string) {
	t.Helper()
	if tr.root.service != "tongdu" {
		t.Errorf("gateway span service.name %q, want tongdu", tr.root.service)
	}
	for _, s := range tr.spans {
		switch {
		case s.spanID == tr.root.spanID:
			if s.parentID != "" {
				t.Errorf("the gateway span has a parent %s; want it to be the root", s.parentID)
			}
		case s.parentID == "":
			t.Errorf("span %q (%s) is a second root of trace %s", s.name, s.kind, s.traceID)
		default:
			if _, ok := tr.byID[s.parentID]; !ok {
				t.Errorf("span %q (%s): parent %s is not in trace %s", s.name, s.kind, s.parentID, s.traceID)
			}
		}
	}
	approve := tr.server(approveRPC)
	if len(approve) != 1 {
		t.Fatalf("%d ApproveProject server spans in the trace, want 1\n%s", len(approve), describe(tr.spans))
	}
	if got := approve[0].attrs["tongdu.project.id"]; got != projectID {
		t.Errorf("ApproveProject span: tongdu.project.id %q, want %s", got, projectID)
	}
	for _, svc := range services {
		spans := tr.server(rpcPrefix[svc])
		if len(spans) == 0 {
			t.Errorf("no %s server span in the trace\n%s", svc, describe(tr.spans))
		}
		for _, s := range spans {
			if s.spanID != approve[0].spanID && !tr.under(s, approve[0]) {
				t.Errorf("%s is not under ApproveProject", s.name)
			}
		}
	}
	// Each Redis command counts for the service whose server span is nearest above it.
	redisUnder := map[string]int{}
	for _, s := range tr.spans {
		if s.attrs["db.system"] != "redis" && s.attrs["db.system.name"] != "redis" {
			continue
		}
		if st := s.attrs["db.statement"] + s.attrs["db.query.text"]; st != "" {
			t.Errorf("redis span %q carries its statement %q; statements must be off", s.name, st)
		}
		for _, p := range tr.ancestors(s) {
			if p.kind != tracepb.Span_SPAN_KIND_SERVER {
				continue
			}
			for svc, prefix := range rpcPrefix {
				if strings.HasPrefix(p.name, prefix) {
					redisUnder[svc]++
				}
			}
			break
		}
	}
	for _, svc := range services {
		if redisUnder[svc] == 0 {
			t.Errorf("no Redis command span under a %s server span; by service: %v\n%s", svc, redisUnder, describe(tr.spans))
		}
	}
}

// gatewaySpan flushes the exporter and returns the latest gateway span named name (the
// gateway's spans are named by method and path).
func (c *client) gatewaySpan(t *testing.T, name string) span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		flush(t)
		spans := collector.received()
		for i := len(spans) - 1; i >= 0; i-- {
			if s := spans[i]; s.kind == tracepb.Span_SPAN_KIND_SERVER && s.name == name {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no gateway span %q received", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// spanText is everything a span carries that could hold a value: name, status message,
// attributes and events.
func spanText(s span) string {
	data, _ := json.Marshal(map[string]any{"name": s.name, "status": s.status, "attrs": s.attrs, "events": s.events})
	var b strings.Builder
	b.Write(data)
	for _, e := range s.events {
		b.WriteString(" " + e.name)
		for k, v := range e.attrs {
			b.WriteString(" " + k + "=" + v)
		}
	}
	return b.String()
}

// describe lists a trace's spans for a failure message.
func describe(tr []span) string {
	var b strings.Builder
	for _, s := range tr {
		b.WriteString("  " + s.spanID + " <- " + s.parentID + " " + s.kind.String() + " " + s.name + "\n")
	}
	return b.String()
}
