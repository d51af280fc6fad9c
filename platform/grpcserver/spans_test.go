package grpcserver

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"

	"tongdu/platform/apierror"
	"tongdu/platform/auth"
	"tongdu/platform/fault"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// The server span names the resource a call concerns and the reason of a refusal, and
// never a household's id.
func TestSpanNamesResourceAndRefusal(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	const gov = "/tongdu.governance.v1.GovernanceService/"
	policy := auth.Policy{
		gov + "ClassifyCompound": {Roles: auth.Staff, Target: "compounds/{id}"},
		gov + "GetHousehold":     {Roles: auth.Staff, Target: "households/{id}"},
	}
	call := func(method string, req any, err error) map[attribute.Key]string {
		t.Helper()
		exp.Reset()
		ctx, span := tp.Tracer("test").Start(context.Background(), method)
		_, _ = spanInterceptor(policy)(ctx, req, &grpc.UnaryServerInfo{FullMethod: method},
			func(context.Context, any) (any, error) { return nil, err })
		span.End()
		got := map[attribute.Key]string{}
		for _, kv := range exp.GetSpans()[0].Attributes {
			got[kv.Key] = kv.Value.Emit()
		}
		return got
	}
	got := call(gov+"ClassifyCompound", &pb.ClassifyCompoundRequest{Id: "k1"},
		apierror.FromFault(fault.Refuse("CLASSIFICATION_INCONSISTENT", "no", map[string]string{"household": "h1"})))
	if got["tongdu.compound.id"] != "k1" || got[RefusalReasonKey] != "CLASSIFICATION_INCONSISTENT" {
		t.Errorf("refused ClassifyCompound span attributes %v, want the compound id and the reason", got)
	}
	if got := call(gov+"GetHousehold", &pb.GetHouseholdRequest{Id: "h1"}, nil); len(got) != 0 {
		t.Errorf("GetHousehold span attributes %v, want none: a household id points at a resident", got)
	}
}
