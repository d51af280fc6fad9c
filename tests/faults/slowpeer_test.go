package faults

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"tongdu/gateway"
	"tongdu/platform/grpcclient"
	"tongdu/platform/grpcserver"
	"tongdu/platform/redisconn"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects"
)

// hangingGovernance answers no GetCompound: each call waits until its caller gives up.
type hangingGovernance struct {
	governancepb.UnimplementedGovernanceServiceServer
	calls    chan struct{}
	released chan time.Time // when each call's context ended
}

// startHanging serves a hangingGovernance on a free port and returns it with its address.
func startHanging(t *testing.T) (*hangingGovernance, string) {
	t.Helper()
	hang := &hangingGovernance{calls: make(chan struct{}, 16), released: make(chan time.Time, 16)}
	peer := grpc.NewServer()
	governancepb.RegisterGovernanceServiceServer(peer, hang)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = peer.Serve(lis) }()
	t.Cleanup(peer.Stop)
	return hang, lis.Addr().String()
}

func (h *hangingGovernance) GetCompound(ctx context.Context, _ *governancepb.GetCompoundRequest) (*governancepb.Compound, error) {
	h.calls <- struct{}{}
	<-ctx.Done()
	h.released <- time.Now()
	return nil, ctx.Err()
}

// TestSlowPeerBoundedByDeadline runs the projects service with a governance peer whose
// handler hangs. Creating a project asks governance whether the compound exists; the call
// must come back DEADLINE_EXCEEDED or UNAVAILABLE within the peer deadline instead of
// hanging: the client connection's own bound (grpcclient, 10 s by default, 500 ms here)
// when the caller sets none, and the caller's deadline when it is shorter.
func TestSlowPeerBoundedByDeadline(t *testing.T) {
	log := testLog(t)
	ctx := context.Background()

	hang, peerAddr := startHanging(t)
	rdb, err := redisconn.Open(ctx, testkit.RedisURL(t), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	start := func(t *testing.T, peerTimeout time.Duration) projectspb.ProjectsServiceClient {
		t.Helper()
		gov, err := grpcclient.NewWithTimeout(peerAddr, peerTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = gov.Close() })
		srv, err := grpcserver.New(log)
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		testkit.Mount(t, sctx, srv)(projects.New(rdb, projects.Peers{Survey: gov, Finance: gov, Governance: gov}, log, projects.Config{}))
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.Serve(sctx, lis, time.Second) }()
		t.Cleanup(func() { cancel(); <-done })
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return projectspb.NewProjectsServiceClient(conn)
	}
	req := &projectspb.CreateProjectRequest{Project: &projectspb.Project{CompoundId: "01hzzzzzzzzzzzzzzzzzzzzzzz", Title: "微改造", Year: 2021, BudgetFen: 1000}}
	check := func(t *testing.T, peerTimeout time.Duration, callCtx context.Context, bound time.Duration) {
		t.Helper()
		began := time.Now()
		_, err := start(t, peerTimeout).CreateProject(callCtx, req)
		took := time.Since(began)
		if c := status.Code(err); c != codes.DeadlineExceeded && c != codes.Unavailable {
			t.Errorf("CreateProject with a hanging peer: %v, want DEADLINE_EXCEEDED or UNAVAILABLE", err)
		}
		select {
		case <-hang.calls:
		default:
			t.Error("the peer was never called")
		}
		// The service's call to its peer was given up as well, not left hanging.
		select {
		case at := <-hang.released:
			if d := at.Sub(began); d > bound+time.Second {
				t.Errorf("the peer call ended %v after the request, want about %v", d, bound)
			}
		case <-time.After(bound + 2*time.Second):
			t.Error("the service's call to its hanging peer did not end")
		}
		if took > bound+time.Second {
			t.Errorf("CreateProject took %v, want about %v", took, bound)
		}
		t.Logf("answered %v after %v (bound %v)", status.Code(err), took, bound)
	}

	t.Run("peer connection deadline", func(t *testing.T) {
		// The caller sets no deadline: the service's connection to its peer bounds the call.
		check(t, 500*time.Millisecond, ctx, 500*time.Millisecond)
	})
	t.Run("caller deadline", func(t *testing.T) {
		// The peer connection has the default 10 s; the caller's 300 ms travels with the
		// call (grpc-timeout) and bounds the service's call to its peer too.
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		check(t, grpcclient.DefaultTimeout, cctx, 300*time.Millisecond)
	})
}

// TestGatewayBoundsAHangingService puts the standalone gateway, with a 300 ms
// --call-timeout, in front of a governance service whose GetCompound hangs: the client gets
// 504 in about that time, and the gateway's call to the service is given up too.
func TestGatewayBoundsAHangingService(t *testing.T) {
	hang, addr := startHanging(t)
	const bound = 300 * time.Millisecond
	c := gatewayClient(t, gateway.Config{Governance: addr, Survey: addr, Projects: addr, Finance: addr, CallTimeout: bound}, testLog(t))

	began := time.Now()
	r, err := c.try("GET", "/v1/compounds/01hzzzzzzzzzzzzzzzzzzzzzzz", "", nil)
	took := time.Since(began)
	if err != nil || r.status != http.StatusGatewayTimeout {
		t.Fatalf("GET a compound from a hanging service: %v, status %d, want 504; body %s", err, r.status, short(r.body))
	}
	if took > bound+time.Second {
		t.Errorf("the gateway answered after %v, want about %v", took, bound)
	}
	select {
	case at := <-hang.released:
		if d := at.Sub(began); d > bound+time.Second {
			t.Errorf("the gateway's call ended %v after the request, want about %v", d, bound)
		}
	case <-time.After(bound + 2*time.Second):
		t.Error("the gateway's call to the hanging service did not end")
	}
	t.Logf("504 after %v (call timeout %v)", took, bound)
}
