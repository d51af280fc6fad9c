package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tongdu/platform/grpcserver"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// Services that implement nothing yet: every method answers UNIMPLEMENTED.
type (
	bareGovernance struct {
		governancepb.UnimplementedGovernanceServiceServer
	}
	bareSurvey struct {
		surveypb.UnimplementedSurveyServiceServer
	}
	// noVotes answers a resolution nobody voted on: every figure zero, not passed.
	noVotes      struct{ bareSurvey }
	bareProjects struct {
		projectspb.UnimplementedProjectsServiceServer
	}
	bareFinance struct {
		financepb.UnimplementedFinanceServiceServer
	}
)

func startGateway(t *testing.T) *httptest.Server {
	t.Helper()
	return startGatewayWith(t, Config{})
}

// startGatewayWith starts the gateway with cfg's settings over bare services built with
// opts.
func startGatewayWith(t *testing.T, cfg Config, opts ...grpcserver.Option) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := grpcserver.New(log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	governancepb.RegisterGovernanceServiceServer(srv.GRPC, bareGovernance{})
	surveypb.RegisterSurveyServiceServer(srv.GRPC, noVotes{})
	projectspb.RegisterProjectsServiceServer(srv.GRPC, bareProjects{})
	financepb.RegisterFinanceServiceServer(srv.GRPC, bareFinance{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = srv.Serve(ctx, lis, time.Second) }()
	addr := lis.Addr().String()
	cfg.Governance, cfg.Survey, cfg.Projects, cfg.Finance, cfg.MaxBodyBytes = addr, addr, addr, addr, 1<<20
	gw, err := New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(gw.Handler())
	t.Cleanup(func() { h.Close(); gw.Close(); cancel() })
	return h
}

func (noVotes) GetResolutionResult(_ context.Context, req *surveypb.GetResolutionResultRequest) (*surveypb.ResolutionResult, error) {
	return &surveypb.ResolutionResult{SurveyId: req.GetSurveyId()}, nil
}

// Replies show false and 0: a web client must not guess that a missing "passed" means
// false.
func TestRepliesShowZeroValues(t *testing.T) {
	h := startGateway(t)
	resp, err := http.Get(h.URL + "/v1/surveys/s1/resolution")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || got["passed"] != false || got["votedHouseholds"] != float64(0) {
		t.Fatalf("status %d, reply %v: want passed false and votedHouseholds 0 shown", resp.StatusCode, got)
	}
}

// A method of the contract that its service does not implement answers 501 naming the
// method; bad input is still 400 first.
func TestMethodsNotBuiltAnswer501(t *testing.T) {
	h := startGateway(t)
	resp, err := http.Post(h.URL+"/v1/party-branches", "application/json", strings.NewReader(`{"name":"石羊路21号院党支部","kind":"COMPOUND","compoundId":"c"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNotImplemented || st.Code != 12 || !strings.Contains(st.Message, "CreatePartyBranch") {
		t.Fatalf("status %d, %+v", resp.StatusCode, st)
	}
	bad, err := http.Post(h.URL+"/v1/party-branches", "application/json", strings.NewReader(`{"name":"","kind":"COMPOUND"}`))
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad input: status %d, want 400", bad.StatusCode)
	}
}

// A body with anything after its JSON value is bad input, never half applied.
func TestTrailingDataAfterTheBodyIs400(t *testing.T) {
	h := startGateway(t)
	for _, body := range []string{
		`{"name":"石羊路21号院党支部","kind":"COMPOUND","compoundId":"c"} {"name":"second"}`,
		`{"name":"石羊路21号院党支部","kind":"COMPOUND","compoundId":"c"}x`,
		`{"name":"石羊路21号院党支部","kind":"COMPOUND","compoundId":"c"}]`,
	} {
		resp, err := http.Post(h.URL+"/v1/party-branches", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "after the JSON body") {
			t.Errorf("body %s: status %d %s, want 400 naming the trailing data", body, resp.StatusCode, b)
		}
	}
	// White space after the value is no trailing data: the service is reached (501 here).
	resp, err := http.Post(h.URL+"/v1/party-branches", "application/json", strings.NewReader("{\"name\":\"党支部\",\"kind\":\"COMPOUND\",\"compoundId\":\"c\"}\n \t"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("body with trailing white space: status %d, want it to reach the service (501)", resp.StatusCode)
	}
}

// The body limit answers 413 before any service sees the request.
func TestOversizedBodyIs413(t *testing.T) {
	h := startGateway(t)
	resp, err := http.Post(h.URL+"/v1/compounds", "application/json", strings.NewReader(strings.Repeat("a", 2<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

// The merged OpenAPI document carries Tongdu's title and every service's paths.
func TestOpenAPIDocument(t *testing.T) {
	h := startGateway(t)
	resp, err := http.Get(h.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Info                struct{ Title string } `json:"info"`
		Paths               map[string]any         `json:"paths"`
		SecurityDefinitions map[string]struct {
			Type, In, Name string
		} `json:"securityDefinitions"`
		Security []map[string][]string `json:"security"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Title != "Tongdu API" {
		t.Errorf("title %q", doc.Info.Title)
	}
	for _, p := range []string{"/v1/compounds", "/v1/surveys", "/v1/projects", "/v1/funding-plans"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("no path %s", p)
		}
	}
	if doc.SecurityDefinitions["bearer"].In != "header" || doc.SecurityDefinitions["bearer"].Name != "Authorization" || len(doc.Security) != 1 {
		t.Errorf("security %v %v: want the bearer scheme declared and required by default", doc.SecurityDefinitions, doc.Security)
	}
	disclosure, _ := doc.Paths["/v1/projects/{projectId}/disclosure"].(map[string]any)
	get, _ := disclosure["get"].(map[string]any)
	if sec, ok := get["security"].([]any); !ok || len(sec) != 0 {
		t.Errorf("the public disclosure's security is %v, want none", get["security"])
	}
	compound, _ := doc.Paths["/v1/compounds"].(map[string]any)
	if post, _ := compound["post"].(map[string]any); post["security"] != nil {
		t.Errorf("creating a compound says security %v, want the document's bearer", post["security"])
	}
}
