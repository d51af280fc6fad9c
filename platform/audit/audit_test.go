package audit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const (
	gov = "/tongdu.governance.v1.GovernanceService/"
	svy = "/tongdu.survey.v1.SurveyService/"
	fin = "/tongdu.finance.v1.FinanceService/"
)

// policy is the part of the services' policies these tests call: what each call
// concerns.
var policy = auth.Policy{
	gov + "CloseWhistle":     {Roles: auth.Staff, Target: "whistles/{id}"},
	gov + "GetWhistle":       {Roles: auth.Staff, Target: "whistles/{id}"},
	gov + "CreateDepartment": {Roles: []auth.Role{auth.DistrictAdmin}},
	svy + "SubmitResponse":   {Roles: []auth.Role{auth.Resident}, Target: "surveys/{survey_id}", Own: "response.household_id"},
	svy + "EndorseIdea":      {Roles: []auth.Role{auth.Resident}, Target: "ideas/{id}", Own: "household_id"},
	fin + "CreateReceipt":    {Roles: []auth.Role{auth.DistrictAdmin}, Target: "projects/{project_id}"},
}

func TestServiceOf(t *testing.T) {
	for method, want := range map[string]string{
		fin + "CreateReceipt":                               "finance",
		gov + "CreateCompound":                              "governance",
		svy + "SubmitResponse":                              "survey",
		"/tongdu.projects.v1.ProjectsService/CreateSignoff": "projects",
	} {
		if got := audit.ServiceOf(method); got != want {
			t.Errorf("ServiceOf(%s) = %q, want %q", method, got, want)
		}
	}
	for _, s := range audit.Services {
		if key := audit.StreamKey(s); key != "audit:{"+s+"}" {
			t.Errorf("StreamKey(%s) = %q", s, key)
		}
	}
}

func TestIsChange(t *testing.T) {
	for method, want := range map[string]bool{
		gov + "CreateCompound":                                      true,
		gov + "UpdateCompound":                                      true,
		gov + "ClassifyCompound":                                    true,
		gov + "BatchCreateHouseholds":                               true,
		gov + "CastLeaderVote":                                      true,
		gov + "AcknowledgeWhistle":                                  true,
		gov + "AdoptConvention":                                     true,
		svy + "SubmitResponse":                                      true,
		svy + "BatchSubmitResponses":                                true,
		svy + "EndorseIdea":                                         true,
		svy + "CloseSurvey":                                         true,
		"/tongdu.projects.v1.ProjectsService/ApproveProject":        true,
		"/tongdu.projects.v1.ProjectsService/CreateSignoff":         true,
		fin + "CreateReceipt":                                       true,
		fin + "RecordIncome":                                        true,
		fin + "ReverseTransaction":                                  true,
		gov + "GetHousehold":                                        false,
		gov + "ListHouseholds":                                      false,
		gov + "BatchGetHouseholds":                                  false,
		gov + "ListAuditEntries":                                    false,
		svy + "GetSurveyStats":                                      false,
		svy + "ExportSurveyStats":                                   false,
		svy + "GetRanking":                                          false,
		fin + "VerifyBook":                                          false,
		fin + "GetProjectDisclosure":                                false,
		"/grpc.health.v1.Health/Check":                              false,
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": false,
	} {
		if got := auth.IsChange(method); got != want {
			t.Errorf("IsChange(%s) = %v, want %v", method, got, want)
		}
	}
}

// entries reads a service's whole trail.
func entries(t *testing.T, rdb redis.UniversalClient, service string) []map[string]any {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), audit.StreamKey(service), "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE: %v", err)
	}
	var out []map[string]any
	for _, m := range msgs {
		out = append(out, m.Values)
	}
	return out
}

func checkEntry(t *testing.T, got map[string]any, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("entry %s = %v, want %q (entry %v)", k, got[k], v, got)
		}
	}
	ts, ok := got["time"].(string)
	if !ok {
		t.Fatalf("entry has no time: %v", got)
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || time.Since(at) > time.Minute || time.Until(at) > time.Second {
		t.Errorf("entry time %q (%v): want now, RFC 3339", ts, err)
	}
}

func TestInterceptorRecordsEachChange(t *testing.T) {
	rdb := testkit.Redis(t)
	var writeErrs []error
	ic := audit.Interceptor(rdb, policy, nil, func(_ context.Context, err error) { writeErrs = append(writeErrs, err) })
	resident := auth.Principal{Subject: "zhang", Role: auth.Resident, Scope: "households/H1"}
	ctx := auth.WithPrincipal(context.Background(), resident)

	call := func(method string, req proto.Message, resp any, err error) (any, error) {
		t.Helper()
		return ic(ctx, req, &grpc.UnaryServerInfo{FullMethod: method}, func(context.Context, any) (any, error) { return resp, err })
	}

	// A change that succeeds.
	want := &surveypb.Response{HouseholdId: "H1"}
	got, err := call(svy+"SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V1", RequestId: "req-1", Response: want}, want, nil)
	if err != nil || got != want {
		t.Fatalf("the interceptor changed the answer: %v, %v", got, err)
	}
	// A change the service refuses; the refusal passes through unchanged.
	closed := status.Error(codes.FailedPrecondition, "survey closed")
	if _, err := call(svy+"SubmitResponse", &surveypb.SubmitResponseRequest{SurveyId: "V2", RequestId: "req-2"}, nil, closed); err != closed {
		t.Fatalf("the refusal became %v", err)
	}
	// A non-status error is recorded as Unknown.
	if _, err := call(svy+"EndorseIdea", &surveypb.EndorseIdeaRequest{Id: "I1", HouseholdId: "H1"}, nil, errors.New("boom")); err == nil {
		t.Fatal("the error was lost")
	}
	// Reads and infrastructure leave no trace.
	_, _ = call(svy+"GetSurveyStats", &surveypb.GetSurveyStatsRequest{SurveyId: "V1"}, &surveypb.SurveyStats{}, nil)
	_, _ = call(svy+"ListResponses", &surveypb.ListResponsesRequest{SurveyId: "V1"}, nil, status.Error(codes.PermissionDenied, "no"))
	_, _ = call("/grpc.health.v1.Health/Check", &healthpb.HealthCheckRequest{}, &healthpb.HealthCheckResponse{}, nil)

	trail := entries(t, rdb, "survey")
	if len(trail) != 3 {
		t.Fatalf("survey trail has %d entries, want 3 (one per change): %v", len(trail), trail)
	}
	checkEntry(t, trail[0], map[string]string{
		"actor": "zhang", "role": "RESIDENT", "method": svy + "SubmitResponse",
		"resource": "surveys/V1", "requestId": "req-1", "outcome": "OK",
	})
	checkEntry(t, trail[1], map[string]string{
		"actor": "zhang", "role": "RESIDENT", "method": svy + "SubmitResponse",
		"resource": "surveys/V2", "requestId": "req-2", "outcome": "FAILED_PRECONDITION",
	})
	checkEntry(t, trail[2], map[string]string{
		"method": svy + "EndorseIdea", "resource": "ideas/I1", "requestId": "", "outcome": "UNKNOWN",
	})
	for _, s := range []string{"governance", "projects", "finance"} {
		if n := len(entries(t, rdb, s)); n != 0 {
			t.Errorf("%s trail has %d entries, want none", s, n)
		}
	}
	if n, _ := rdb.Exists(context.Background(), audit.StreamKey("/grpc")).Result(); n != 0 {
		t.Error("the health check was audited")
	}
	if len(writeErrs) != 0 {
		t.Errorf("write errors: %v", writeErrs)
	}
}

func TestInterceptorWritesToTheServicesTrail(t *testing.T) {
	rdb := testkit.Redis(t)
	ic := audit.Interceptor(rdb, policy, nil, nil)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "admin", Role: auth.DistrictAdmin})
	ok := func(context.Context, any) (any, error) { return nil, nil }
	_, _ = ic(ctx, &financepb.CreateReceiptRequest{ProjectId: "P1"}, &grpc.UnaryServerInfo{FullMethod: fin + "CreateReceipt"}, ok)
	_, _ = ic(ctx, &governancepb.CreateDepartmentRequest{RequestId: "d-1"}, &grpc.UnaryServerInfo{FullMethod: gov + "CreateDepartment"}, ok)
	fe, ge := entries(t, rdb, "finance"), entries(t, rdb, "governance")
	if len(fe) != 1 || len(ge) != 1 {
		t.Fatalf("finance %v, governance %v: want one entry each", fe, ge)
	}
	checkEntry(t, fe[0], map[string]string{"actor": "admin", "role": "DISTRICT_ADMIN", "resource": "projects/P1", "requestId": "", "outcome": "OK"})
	// No target: the change concerns the whole district.
	checkEntry(t, ge[0], map[string]string{"method": gov + "CreateDepartment", "resource": "", "requestId": "d-1"})
}

// The request id may be filled in below the interceptor (from the Idempotency-Key header);
// the entry carries the id the change was made under.
func TestInterceptorRecordsTheRequestIDTheHandlerSaw(t *testing.T) {
	rdb := testkit.Redis(t)
	ic := audit.Interceptor(rdb, policy, nil, nil)
	req := &governancepb.CloseWhistleRequest{Id: "W1"}
	_, _ = ic(context.Background(), req, &grpc.UnaryServerInfo{FullMethod: gov + "CloseWhistle"}, func(_ context.Context, r any) (any, error) {
		r.(*governancepb.CloseWhistleRequest).RequestId = "from-header"
		return nil, nil
	})
	trail := entries(t, rdb, "governance")
	if len(trail) != 1 {
		t.Fatalf("trail %v", trail)
	}
	// No caller in the context (a server without auth): the entry says so by empty fields.
	checkEntry(t, trail[0], map[string]string{"requestId": "from-header", "actor": "", "role": "", "resource": "whistles/W1"})
}

func TestInterceptorNeverFailsAChangeItCannotRecord(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	var reported error
	ic := audit.Interceptor(rdb, policy, nil, func(_ context.Context, err error) { reported = err })
	resp, err := ic(context.Background(), &governancepb.CloseWhistleRequest{Id: "W1"}, &grpc.UnaryServerInfo{FullMethod: gov + "CloseWhistle"},
		func(context.Context, any) (any, error) { return "done", nil })
	if err != nil || resp != "done" {
		t.Fatalf("the change failed with its trail: %v, %v", resp, err)
	}
	if reported == nil {
		t.Fatal("the lost entry was not reported")
	}
}

// A cancelled caller does not cost the trail its entry: the change already happened.
func TestInterceptorRecordsAfterTheCallerCancels(t *testing.T) {
	rdb := testkit.Redis(t)
	var writeErr error
	ic := audit.Interceptor(rdb, policy, nil, func(_ context.Context, err error) { writeErr = err })
	ctx, cancel := context.WithCancel(context.Background())
	_, _ = ic(ctx, &governancepb.CloseWhistleRequest{Id: "W1"}, &grpc.UnaryServerInfo{FullMethod: gov + "CloseWhistle"},
		func(context.Context, any) (any, error) { cancel(); return nil, nil })
	if n := len(entries(t, rdb, "governance")); n != 1 || writeErr != nil {
		t.Fatalf("%d entries (%v), want 1", n, writeErr)
	}
}

// whistles answers CloseWhistle, to run the audit trail inside the real server chain.
type whistles struct {
	governancepb.UnimplementedGovernanceServiceServer
}

func (whistles) CloseWhistle(_ context.Context, req *governancepb.CloseWhistleRequest) (*governancepb.Whistle, error) {
	return &governancepb.Whistle{Id: req.GetId()}, nil
}

// Through grpcserver with WithAuth and WithAudit: the entry names the caller of the
// token, the request id of the Idempotency-Key header, and the outcome of validation.
func TestTrailThroughTheServer(t *testing.T) {
	rdb := testkit.Redis(t)
	signer, keys, err := auth.LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := auth.NewResolver()
	r.Teach("whistles", func(context.Context, string) ([]string, error) { return []string{"compounds/K1"}, nil })
	r.Teach("compounds", func(context.Context, string) ([]string, error) { return []string{"regions/C1"}, nil })
	srv, err := grpcserver.New(slog.New(slog.NewTextHandler(io.Discard, nil)),
		grpcserver.WithAuth(auth.NewAuthorizer(auth.NewVerifier(keys, ""), r, auth.Merge(policy))), grpcserver.WithAudit(rdb))
	if err != nil {
		t.Fatal(err)
	}
	governancepb.RegisterGovernanceServiceServer(srv.GRPC, whistles{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); cancel(); <-done })
	client := governancepb.NewGovernanceServiceClient(conn)
	as := func(p auth.Principal, kv ...string) context.Context {
		tok, err := signer.Sign(p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return metadata.AppendToOutgoingContext(context.Background(), append([]string{"authorization", "Bearer " + tok}, kv...)...)
	}
	staff := auth.Principal{Subject: "li", Role: auth.CommunityStaff, Scope: "regions/C1"}
	admin := auth.Principal{Subject: "wang", Role: auth.DistrictAdmin}

	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health without a token: %v", err)
	}
	if _, err := client.CloseWhistle(as(staff, grpcserver.IdempotencyKeyHeader, "idem-1"), &governancepb.CloseWhistleRequest{Id: "W1"}); err != nil {
		t.Fatalf("CloseWhistle: %v", err)
	}
	if _, err := client.CloseWhistle(as(admin), &governancepb.CloseWhistleRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("CloseWhistle without id: %v, want InvalidArgument", err)
	}
	if _, err := client.GetWhistle(as(staff), &governancepb.GetWhistleRequest{Id: "W1"}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("GetWhistle: %v", err)
	}
	if _, err := client.CloseWhistle(context.Background(), &governancepb.CloseWhistleRequest{Id: "W1"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("CloseWhistle without a token: %v", err)
	}
	trail := entries(t, rdb, "governance")
	if len(trail) != 2 {
		t.Fatalf("trail has %d entries, want 2 (two changes by named callers; the call without a token names nobody): %v", len(trail), trail)
	}
	checkEntry(t, trail[0], map[string]string{
		"actor": "li", "role": "COMMUNITY_STAFF", "method": gov + "CloseWhistle",
		"resource": "whistles/W1", "requestId": "idem-1", "outcome": "OK",
	})
	checkEntry(t, trail[1], map[string]string{
		"actor": "wang", "role": "DISTRICT_ADMIN", "method": gov + "CloseWhistle",
		"resource": "", "outcome": "INVALID_ARGUMENT",
	})
}

// A sign-in carries no token: the handler names who tried (auth.Name), and the attempt
// is recorded even when it fails; a call that names nobody is not, whatever its outcome,
// so a flood of anonymous calls cannot push real changes out of the trail.
func TestInterceptorRecordsWhomTheHandlerNames(t *testing.T) {
	rdb := testkit.Redis(t)
	const signIn = "/tongdu.governance.v1.AccountService/CreateSession"
	ic := audit.Interceptor(rdb, auth.Merge(policy, auth.Policy{signIn: {Public: true}}), nil, nil)
	call := func(name *auth.Principal, err error) {
		t.Helper()
		_, got := ic(context.Background(), &governancepb.CreateSessionRequest{}, &grpc.UnaryServerInfo{FullMethod: signIn},
			func(ctx context.Context, _ any) (any, error) {
				if name != nil {
					auth.Name(ctx, *name)
				}
				return nil, err
			})
		if !errors.Is(got, err) {
			t.Fatalf("the interceptor changed the answer: %v", got)
		}
	}
	call(&auth.Principal{Subject: "login:li"}, status.Error(codes.Unauthenticated, "invalid credentials"))
	call(&auth.Principal{Subject: "login:li"}, status.Error(codes.ResourceExhausted, "locked"))
	call(&auth.Principal{Subject: "accounts/A1", Role: auth.CommunityStaff, Scope: "regions/C1"}, nil)
	call(nil, status.Error(codes.Unauthenticated, "invalid credentials"))
	call(nil, nil)

	trail := entries(t, rdb, "governance")
	if len(trail) != 3 {
		t.Fatalf("trail has %d entries, want 3 (the named attempts only): %v", len(trail), trail)
	}
	checkEntry(t, trail[0], map[string]string{"actor": "login:li", "role": "", "method": signIn, "outcome": "UNAUTHENTICATED"})
	checkEntry(t, trail[1], map[string]string{"actor": "login:li", "role": "", "outcome": "RESOURCE_EXHAUSTED"})
	checkEntry(t, trail[2], map[string]string{"actor": "accounts/A1", "role": "COMMUNITY_STAFF", "outcome": "OK"})
}
