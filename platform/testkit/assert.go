package testkit

import (
	"context"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Must unwraps a call's result, failing the test on its error:
//
//	p := testkit.Must[*pb.Project](t)(client.GetProject(ctx, req))
func Must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// WantStatus fails unless err is a status with code, and returns it.
func WantStatus(tb testing.TB, err error, code codes.Code) *status.Status {
	tb.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		tb.Fatalf("got %v (%s), want %s", st.Code(), st.Message(), code)
	}
	return st
}

// Violations lists the fields a status's BadRequest names.
func Violations(st *status.Status) []string {
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

// WantViolation fails unless err is INVALID_ARGUMENT naming field among its violations.
func WantViolation(tb testing.TB, err error, field string) {
	tb.Helper()
	st := WantStatus(tb, err, codes.InvalidArgument)
	for _, f := range Violations(st) {
		if f == field {
			return
		}
	}
	tb.Fatalf("violations %q do not name %s (%s)", Violations(st), field, st.Message())
}

// WantReason fails unless err has code and the Tongdu ErrorInfo reason, and returns the
// ErrorInfo's metadata (the figures behind a refusal).
func WantReason(tb testing.TB, err error, code codes.Code, reason string) map[string]string {
	tb.Helper()
	st := WantStatus(tb, err, code)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			if info.GetReason() != reason || info.GetDomain() != "tongdu" {
				tb.Fatalf("ErrorInfo %s/%s (%s), want tongdu/%s", info.GetDomain(), info.GetReason(), st.Message(), reason)
			}
			return info.GetMetadata()
		}
	}
	tb.Fatalf("no ErrorInfo in %v", st.Proto())
	return nil
}

// Preconditions lists a refusal's PreconditionFailure violations, by type.
func Preconditions(err error) map[string]string {
	out := map[string]string{}
	for _, d := range status.Convert(err).Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			for _, v := range pf.GetViolations() {
				out[v.GetType()] = v.GetDescription()
			}
		}
	}
	return out
}

// Service is what Mount takes: a service that registers on a server of type S (a
// *grpcserver.Server) and starts its background work; every Tongdu service is one.
type Service[S any] interface {
	Register(srv S)
	Start(ctx context.Context)
}

// Mount registers a service built by its New on srv and starts its background work
// until ctx ends, as the binaries do; a failed build fails the test:
//
//	testkit.Mount(t, ctx, srv)(governance.New(rdb, governance.Peers{}, log, governance.Config{}))
func Mount[S any](tb testing.TB, ctx context.Context, srv S) func(Service[S], error) {
	return func(svc Service[S], err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		svc.Register(srv)
		svc.Start(ctx)
	}
}
