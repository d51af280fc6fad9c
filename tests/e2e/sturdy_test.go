package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// A refused token is "invalid token", at the gateway and at the services: why it failed
// (expired, signed by another key, a parser's complaint) helps an attacker, not a caller.
func TestRefusedTokensSayNoMore(t *testing.T) {
	t.Parallel()
	admin, _ := startWithDir(t, allinone.Config{})
	expired, err := admin.app.Signer().Sign(auth.Principal{Subject: "minted", Role: auth.DistrictAdmin}, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(admin.app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	gov := governancepb.NewGovernanceServiceClient(conn)
	for name, token := range map[string]string{"expired": expired, "garbage": "not-a-token", "three dots": "a.b.c"} {
		c := admin.with(t)
		req, err := http.NewRequest("GET", c.base+"/v1/compounds", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		r := c.send(req)
		var st struct{ Message string }
		if err := json.Unmarshal([]byte(r.body), &st); err != nil || r.status != http.StatusUnauthorized || st.Message != "invalid token" {
			t.Errorf("%s token at the gateway: status %d, body %s; want 401 saying only \"invalid token\"", name, r.status, r.body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		_, err = gov.ListRegions(ctx, &governancepb.ListRegionsRequest{})
		cancel()
		if msg := status.Convert(err).Message(); msg != "invalid token" || strings.Contains(msg, "jw") {
			t.Errorf("%s token at the services: %v, want UNAUTHENTICATED saying only \"invalid token\"", name, err)
		}
	}
}
