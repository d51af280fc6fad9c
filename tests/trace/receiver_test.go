package trace

import (
	"context"
	"encoding/hex"
	"net"
	"sync"

	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// receiver is an OTLP/gRPC endpoint in the test process: what a collector would get is
// what the tests read. Metrics are accepted and dropped (the tests read them at /metrics),
// so the exporter does not log failures.
type receiver struct {
	collectortrace.UnimplementedTraceServiceServer
	addr string
	srv  *grpc.Server

	mu    sync.Mutex
	spans []span
}

// span is one received span with its resource's service name, flattened for asserting.
type span struct {
	service  string
	traceID  string
	spanID   string
	parentID string
	name     string
	kind     tracepb.Span_SpanKind
	attrs    map[string]string
	events   []event
	status   string
}

type event struct {
	name  string
	attrs map[string]string
}

func startReceiver() (*receiver, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{addr: lis.Addr().String(), srv: grpc.NewServer()}
	collectortrace.RegisterTraceServiceServer(r.srv, r)
	collectormetrics.RegisterMetricsServiceServer(r.srv, metricsSink{})
	go func() { _ = r.srv.Serve(lis) }()
	return r, nil
}

func (r *receiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := attrMap(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				sp := span{
					service: service, traceID: hexID(s.GetTraceId()), spanID: hexID(s.GetSpanId()), parentID: hexID(s.GetParentSpanId()),
					name: s.GetName(), kind: s.GetKind(), attrs: attrMap(s.GetAttributes()), status: s.GetStatus().GetMessage(),
				}
				for _, e := range s.GetEvents() {
					sp.events = append(sp.events, event{name: e.GetName(), attrs: attrMap(e.GetAttributes())})
				}
				r.spans = append(r.spans, sp)
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// received returns a copy of every span received so far.
func (r *receiver) received() []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]span(nil), r.spans...)
}

type metricsSink struct {
	collectormetrics.UnimplementedMetricsServiceServer
}

func (metricsSink) Export(context.Context, *collectormetrics.ExportMetricsServiceRequest) (*collectormetrics.ExportMetricsServiceResponse, error) {
	return &collectormetrics.ExportMetricsServiceResponse{}, nil
}

// attrMap writes every attribute value as text, so a search for a leaked string sees
// strings, numbers and arrays alike.
func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = anyText(kv.GetValue())
	}
	return m
}

func anyText(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_ArrayValue:
		out := ""
		for _, e := range x.ArrayValue.GetValues() {
			out += anyText(e) + " "
		}
		return out
	default:
		return v.String()
	}
}

// hexID writes an id as trace.TraceID.String does, which is how log lines carry it.
func hexID(b []byte) string { return hex.EncodeToString(b) }
