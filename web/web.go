// Package web is Tongdu's web console: the district's staff and the residents on
// screens, Chinese first. It is a gRPC client of the four services, as the REST gateway
// is, and calls them with the signed-in person's session token; the sessions are the
// governance service's, shared with the REST API through one cookie on one origin. The
// all-in-one serves it at / on the REST port; cmd/web runs it alone.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"

	"tongdu/platform/grpcclient"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/console"
)

// Config says where the services are.
type Config struct {
	Governance, Survey, Projects, Finance string
	// Dial adds options to every connection (TLS, an in-process dialer).
	Dial []grpc.DialOption
	// CallTimeout bounds a call whose request has no deadline (0: the platform's default).
	CallTimeout time.Duration
}

// Console is the running console.
type Console struct {
	handler http.Handler
	conns   []*grpc.ClientConn
}

// New connects to the services (lazily: a service that is down answers its pages with
// 503 until it is back) and builds the console's handler.
func New(_ context.Context, cfg Config, log *slog.Logger) (*Console, error) {
	c := &Console{}
	dial := func(name, target string) (*grpc.ClientConn, error) {
		if target == "" {
			return nil, fmt.Errorf("web: no address for the %s service", name)
		}
		conn, err := grpcclient.NewWithTimeout(target, cfg.CallTimeout, cfg.Dial...)
		if err != nil {
			return nil, fmt.Errorf("web: %s at %s: %w", name, target, err)
		}
		c.conns = append(c.conns, conn)
		return conn, nil
	}
	var clients console.Clients
	for _, b := range []struct {
		name, target string
		use          func(*grpc.ClientConn)
	}{
		{"governance", cfg.Governance, func(cc *grpc.ClientConn) {
			clients.Governance, clients.Accounts = governancepb.NewGovernanceServiceClient(cc), governancepb.NewAccountServiceClient(cc)
			clients.Imports = governancepb.NewImportServiceClient(cc)
		}},
		{"survey", cfg.Survey, func(cc *grpc.ClientConn) { clients.Survey = surveypb.NewSurveyServiceClient(cc) }},
		{"projects", cfg.Projects, func(cc *grpc.ClientConn) { clients.Projects = projectspb.NewProjectsServiceClient(cc) }},
		{"finance", cfg.Finance, func(cc *grpc.ClientConn) { clients.Finance = financepb.NewFinanceServiceClient(cc) }},
	} {
		conn, err := dial(b.name, b.target)
		if err != nil {
			c.Close()
			return nil, err
		}
		b.use(conn)
	}
	srv := console.New(clients, log)
	c.handler = otelhttp.NewHandler(srv, "web",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.Pattern }))
	return c, nil
}

// Handler serves the console.
func (c *Console) Handler() http.Handler { return c.handler }

// Close closes the connections to the services.
func (c *Console) Close() {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

// Beside serves the console and the REST API on one origin, as the all-in-one does and
// as an ingress in front of both routes them: the API's paths go to api, the rest
// (the console's pages and assets) to console. One origin is what lets one session
// cookie sign a person in to both.
func Beside(api, console http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		console.ServeHTTP(w, r)
	})
}

// IsAPIPath reports whether a path is the REST gateway's rather than the console's.
func IsAPIPath(p string) bool {
	switch p {
	case "/healthz", "/readyz", "/openapi.json", "/metrics":
		return true
	}
	return strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/open311/")
}
