package grpcserver

import (
	"context"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tongdu/platform/auth"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// limitedServer is a server that limits each caller to one call (a rate of one per 100 s,
// burst 1: no refill during the test however slow the machine) and authorizes CreateRegion
// for a DISTRICT_ADMIN; it returns the client and tokens of two admins.
func limitedServer(t *testing.T) (c pb.GovernanceServiceClient, alice, bob string) {
	t.Helper()
	signer, keys, err := auth.LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(keys, "")
	policy := auth.Merge(auth.Policy{"/tongdu.governance.v1.GovernanceService/CreateRegion": {Roles: []auth.Role{auth.DistrictAdmin}, Anywhere: true}})
	c = start(t, WithAuth(auth.NewAuthorizer(v, auth.NewResolver(), policy)), WithRateLimit(0.01, v))
	for _, sub := range []string{"alice", "bob"} {
		tok, err := signer.Sign(auth.Principal{Subject: sub, Role: auth.DistrictAdmin}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if sub == "alice" {
			alice = tok
		} else {
			bob = tok
		}
	}
	return c, alice, bob
}

func createRegion(c pb.GovernanceServiceClient, token string) error {
	ctx := context.Background()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	_, err := c.CreateRegion(ctx, &pb.CreateRegionRequest{Region: &pb.Region{Name: "东川区", Level: pb.Region_DISTRICT}})
	return err
}

// wantLimited checks err is RESOURCE_EXHAUSTED with a RetryInfo saying when to retry.
func wantLimited(t *testing.T, what string, err error) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("%s: %v, want RESOURCE_EXHAUSTED", what, err)
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			if ri.GetRetryDelay().AsDuration() <= 0 {
				t.Fatalf("%s: RetryInfo delay %v, want > 0", what, ri.GetRetryDelay().AsDuration())
			}
			return
		}
	}
	t.Fatalf("%s: no RetryInfo in %v", what, st.Details())
}

// A caller over its rate is refused with RetryInfo; another caller is not.
func TestRateLimitPerCaller(t *testing.T) {
	c, alice, bob := limitedServer(t)
	if err := createRegion(c, alice); err != nil {
		t.Fatalf("alice's first call: %v", err)
	}
	wantLimited(t, "alice's second call", createRegion(c, alice))
	if err := createRegion(c, bob); err != nil {
		t.Fatalf("bob's call, with alice over her rate: %v", err)
	}
}

// Calls without a valid token are limited by their address, before authentication: a
// flood of missing or bad tokens is refused for its rate, not checked each time. A caller
// with a valid token from the same address is its own caller; health checks are not
// limited.
func TestRateLimitByAddressWithoutToken(t *testing.T) {
	c, alice, _ := limitedServer(t)
	// start made a health check without a token: had it counted, this first call would
	// already be over the address's rate.
	if err := createRegion(c, ""); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("first call without a token: %v, want UNAUTHENTICATED", err)
	}
	wantLimited(t, "second call without a token", createRegion(c, ""))
	wantLimited(t, "a call with a bad token from the same address", createRegion(c, "not-a-token"))
	if err := createRegion(c, alice); err != nil {
		t.Fatalf("a valid caller from the same address: %v", err)
	}
}

// Health checks and the gateway's resolving of session cookies (all from the gateway's
// address, before a token exists) are never limited; signing in is (it has its own lock
// too).
func TestHealthAndSessionResolvingAreNeverLimited(t *testing.T) {
	for m, want := range map[string]bool{
		"/grpc.health.v1.Health/Check":                         true,
		"/tongdu.governance.v1.AccountService/ResolveSession":  true,
		"/tongdu.governance.v1.AccountService/CreateSession":   false,
		"/tongdu.governance.v1.GovernanceService/GetHousehold": false,
	} {
		if exemptFromLimit(m) != want {
			t.Errorf("%s exempt = %v, want %v", m, !want, want)
		}
	}
}
