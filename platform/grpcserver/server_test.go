package grpcserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// panicky answers GetRegion by panicking and CreateRegion normally, to test the
// interceptors around a real contract.
type panicky struct {
	pb.UnimplementedGovernanceServiceServer
}

func (panicky) GetRegion(context.Context, *pb.GetRegionRequest) (*pb.Region, error) {
	panic("boom")
}

func (panicky) CreateRegion(_ context.Context, req *pb.CreateRegionRequest) (*pb.Region, error) {
	return req.GetRegion(), nil
}

func start(t *testing.T, opts ...Option) pb.GovernanceServiceClient {
	t.Helper()
	srv, err := New(slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	pb.RegisterGovernanceServiceServer(srv.GRPC, panicky{})
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
	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health: %v", err)
	}
	return pb.NewGovernanceServiceClient(conn)
}

func TestPanicBecomesInternal(t *testing.T) {
	c := start(t)
	_, err := c.GetRegion(context.Background(), &pb.GetRegionRequest{Id: "r1"})
	if status.Code(err) != codes.Internal || status.Convert(err).Message() != "internal error" {
		t.Fatalf("got %v", err)
	}
	// The server survives it.
	if _, err := c.CreateRegion(context.Background(), &pb.CreateRegionRequest{Region: &pb.Region{Name: "东川区", Level: pb.Region_DISTRICT}}); err != nil {
		t.Fatalf("after panic: %v", err)
	}
}

func TestInvalidRequestListsEveryField(t *testing.T) {
	c := start(t)
	_, err := c.CreateRegion(context.Background(), &pb.CreateRegionRequest{Region: &pb.Region{Name: "", Level: 42}})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v", err)
	}
	fields := map[string]bool{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields[v.GetField()] = true
			}
		}
	}
	if !fields["region.name"] || !fields["region.level"] {
		t.Fatalf("violations: %v", fields)
	}
}
