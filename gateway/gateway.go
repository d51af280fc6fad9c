// Package gateway is Tongdu's REST face: it serves every service's routes from the
// handlers generated from the contracts, forwarding each call over gRPC, plus the merged
// OpenAPI document, health and readiness. Errors follow API.md: google.rpc.Status JSON
// with BadRequest field violations for bad input.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	"tongdu/platform/auth"
	"tongdu/platform/grpcclient"
	"tongdu/platform/grpcserver"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/proto/gen/openapi"
)

// Config says where the services are and how the gateway treats requests.
type Config struct {
	Governance, Survey, Projects, Finance string // gRPC targets
	// CORSOrigins are the browser origins allowed to call the API ("*" for any).
	CORSOrigins []string
	// MaxBodyBytes caps a request body; larger ones get 413.
	MaxBodyBytes int64
	// Verifier checks bearer tokens at the edge (nil: the services alone check them).
	Verifier *auth.Verifier
	// RateLimit is each caller's requests per second (burst: twice that); 0 is no limit.
	RateLimit float64
	// Dial adds options to the connections to the services (TLS).
	Dial []grpc.DialOption
	// Metrics, when set, is served at GET /metrics (Prometheus text format).
	Metrics http.Handler
	// CallTimeout bounds each call to a service (0: grpcclient.DefaultTimeout); past it
	// the client gets 504.
	CallTimeout time.Duration
	// Open311 configures the GeoReport v2 facade at /open311/v2/ (open311.go); it is
	// served when it has a signer.
	Open311 Open311
}

// DefaultMaxBodyBytes fits a batch of 1,000 households or survey responses with room.
const DefaultMaxBodyBytes = 4 << 20

type backend struct {
	name    string // short name shown by /readyz
	service string // gRPC service name for health checks
	target  string
	conn    *grpc.ClientConn
	// register adds the service's generated REST handlers to the mux.
	register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}

// Gateway serves the REST API.
type Gateway struct {
	cfg      Config
	log      *slog.Logger
	backends []*backend
	handler  http.Handler
	// accounts resolves session cookies and runs the identity provider's round trip.
	accounts governancepb.AccountServiceClient
	// fail answers a failed call the gateway makes itself (a session's resolve, the
	// identity provider's round trip) exactly as a failed routed call: the same status
	// mapping and headers (Retry-After on 429 and 503).
	fail func(w http.ResponseWriter, r *http.Request, err error)
}

// New connects to the services (lazily: a service that is down does not stop the
// gateway, which reports it not ready) and builds the HTTP handler.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Gateway, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	g := &Gateway{cfg: cfg, log: log, backends: []*backend{
		{name: "governance", service: "tongdu.governance.v1.GovernanceService", target: cfg.Governance, register: registerGovernance},
		{name: "survey", service: "tongdu.survey.v1.SurveyService", target: cfg.Survey, register: surveypb.RegisterSurveyServiceHandler},
		{name: "projects", service: "tongdu.projects.v1.ProjectsService", target: cfg.Projects, register: projectspb.RegisterProjectsServiceHandler},
		{name: "finance", service: "tongdu.finance.v1.FinanceService", target: cfg.Finance, register: financepb.RegisterFinanceServiceHandler},
	}}
	onError, marshaler := errorHandler(log), bodyMarshaler()
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithErrorHandler(onError),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithMetadata(sessionMetadata),
		runtime.WithForwardResponseOption(setSessionCookie),
	)
	g.fail = func(w http.ResponseWriter, r *http.Request, err error) {
		onError(r.Context(), mux, marshaler, w, r, err)
	}
	var governance governancepb.GovernanceServiceClient // the Open311 facade's
	var imports governancepb.ImportServiceClient        // the upload's (imports.go)
	for _, b := range g.backends {
		if b.target == "" {
			return nil, fmt.Errorf("gateway: no address for the %s service", b.name)
		}
		conn, err := grpcclient.NewWithTimeout(b.target, cfg.CallTimeout, cfg.Dial...)
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("gateway: %s at %s: %w", b.name, b.target, err)
		}
		b.conn = conn
		if b.name == "governance" {
			g.accounts = governancepb.NewAccountServiceClient(conn)
			governance = governancepb.NewGovernanceServiceClient(conn)
			imports = governancepb.NewImportServiceClient(conn)
		}
		if err := b.register(ctx, mux, conn); err != nil {
			g.Close()
			return nil, fmt.Errorf("gateway: %s routes: %w", b.name, err)
		}
	}
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	root.HandleFunc("GET /readyz", g.readyz)
	doc, err := openapiDocument()
	if err != nil {
		g.Close()
		return nil, err
	}
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	root.HandleFunc("GET /v1/sessions/oidc", g.startSignOn)
	root.HandleFunc("GET /v1/sessions/oidc/callback", g.finishSignOn)
	root.Handle("POST "+importPath, g.upload(imports))
	if cfg.Open311.Signer != nil {
		root.Handle("/open311/v2/", newOpen311(cfg.Open311, governance, log))
	}
	root.Handle("/", requestIDFromQuery(mux))
	g.handler = otelhttp.NewHandler(g.cors(g.limit(g.sessions(g.authenticate(g.limitBody(root))))), "gateway",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
	if cfg.Metrics != nil {
		// Scrapes bypass tracing and the rate limit: a scraper every few seconds would
		// otherwise fill the trace store with its own requests and spend a caller's
		// budget. The page holds counts and latencies only, no personal data, so it needs
		// no token (publicRoutes lists it for the same reason).
		api := g.handler
		metrics := cfg.Metrics
		g.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/metrics" && r.Method == http.MethodGet {
				metrics.ServeHTTP(w, r)
				return
			}
			api.ServeHTTP(w, r)
		})
	}
	return g, nil
}

// registerGovernance adds the governance service's routes: the registry and
// organisation, and accounts and sessions.
func registerGovernance(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	if err := governancepb.RegisterGovernanceServiceHandler(ctx, mux, conn); err != nil {
		return err
	}
	if err := governancepb.RegisterImportServiceHandler(ctx, mux, conn); err != nil {
		return err
	}
	return governancepb.RegisterAccountServiceHandler(ctx, mux, conn)
}

// bodyMarshaler is how the gateway reads request bodies and writes replies: protojson
// with the contract's JSON (camelCase) names, refusing unknown fields. Replies show zero
// values ("passed": false, "score": 0, "[]"): a web client must not have to guess that a
// missing field means false or zero. Unset messages stay absent.
func bodyMarshaler() runtime.Marshaler {
	return &runtime.HTTPBodyMarshaler{Marshaler: strictJSON{&runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: false, EmitDefaultValues: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}}
}

// strictJSON refuses a body with anything after its JSON value ("{…} {…}", "{…}x"): a
// client that sent two must not see the first applied and the second silently dropped.
type strictJSON struct{ *runtime.JSONPb }

// errTrailingData is bad input (400), as every decoding error of a body is.
var errTrailingData = errors.New("unexpected data after the JSON body")

func (m strictJSON) NewDecoder(r io.Reader) runtime.Decoder {
	d := m.JSONPb.NewDecoder(r)
	dw, ok := d.(runtime.DecoderWrapper)
	if !ok {
		return d
	}
	return runtime.DecoderFunc(func(v any) error {
		if err := dw.Decode(v); err != nil {
			return err
		}
		if _, err := dw.Decoder.Token(); err != io.EOF {
			return errTrailingData
		}
		return nil
	})
}

// Handler is the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Close closes the connections to the services.
func (g *Gateway) Close() {
	for _, b := range g.backends {
		if b.conn != nil {
			_ = b.conn.Close()
		}
	}
}

// readyz answers 200 when every service reports SERVING (each service reports
// NOT_SERVING while its Redis does not answer), 503 otherwise, with each one's status.
func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	statuses := make(map[string]string, len(g.backends))
	ready := true
	for _, b := range g.backends {
		resp, err := healthpb.NewHealthClient(b.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: b.service})
		switch {
		case err != nil:
			statuses[b.name] = "UNAVAILABLE"
			ready = false
		case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
			statuses[b.name] = resp.GetStatus().String()
			ready = false
		default:
			statuses[b.name] = "SERVING"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "services": statuses})
}

// limitBody refuses bodies over the limit: at once when Content-Length says so, and by
// cutting the read short otherwise (chunked uploads), which the error handler turns into 413.
func (g *Gateway) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := g.bodyCap(r)
		if r.ContentLength > limit {
			writeTooLarge(w, r.ContentLength)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// cors answers browsers from the configured origins only.
func (g *Gateway) cors(next http.Handler) http.Handler {
	allowed := make(map[string]bool, len(g.cfg.CORSOrigins))
	for _, o := range g.cfg.CORSOrigins {
		allowed[strings.TrimSpace(o)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (allowed["*"] || allowed[origin]) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, "+CSRFHeader)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requestIDFromQuery moves ?requestId= into the Idempotency-Key header, so a request id in
// the query works on every route: routes whose body is the whole request never read the
// query string, and would otherwise drop it without a word.
func requestIDFromQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if id := q.Get("requestId"); id != "" {
			if h := r.Header.Get("Idempotency-Key"); h != "" && h != id {
				writeStatusJSON(w, http.StatusBadRequest, codes.InvalidArgument, "two different request ids",
					&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "requestId", Description: "?requestId= and the Idempotency-Key header differ"}}})
				return
			}
			r.Header.Set("Idempotency-Key", id)
			q.Del("requestId")
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// incomingHeader forwards the Idempotency-Key header to the services as metadata, and
// the headers grpc-gateway forwards by default.
func incomingHeader(key string) (string, bool) {
	if strings.EqualFold(key, "Idempotency-Key") {
		return grpcserver.IdempotencyKeyHeader, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// outgoingHeader lets a service name a download (Content-Disposition) as an HTTP header;
// other response metadata keeps grpc-gateway's Grpc-Metadata- prefix.
func outgoingHeader(key string) (string, bool) {
	if strings.EqualFold(key, sessionHeader) {
		return "", false // a session's id goes out only in its HttpOnly cookie
	}
	if strings.EqualFold(key, "content-disposition") {
		return "Content-Disposition", true
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// openapiDocument is the generated document of all four contracts with Tongdu's own
// title: the generator takes the title and description of whichever file it read first.
func openapiDocument() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		return nil, fmt.Errorf("gateway: openapi document: %w", err)
	}
	doc["info"] = map[string]any{
		"title":   "Tongdu API",
		"version": "v1",
		"description": "REST API of Tongdu, software for renovating old residential compounds: " +
			"governance (regions, compounds, households, organisation), survey (surveys, resolutions, " +
			"meetings, ideas, ranking), projects (plans, works, acceptance) and finance (funding, ledger, disclosure).",
	}
	// Every route takes a bearer token (Swagger 2 has no bearer type: an API key in the
	// Authorization header, "Bearer <token>", is how Swagger-style tools send one); the
	// public routes say they need none.
	doc["securityDefinitions"] = map[string]any{
		"bearer": map[string]any{"type": "apiKey", "in": "header", "name": "Authorization",
			"description": "A bearer token: \"Bearer <JWT>\" (POST /v1/sessions or the identity provider)."},
	}
	doc["security"] = []any{map[string]any{"bearer": []any{}}}
	if paths, ok := doc["paths"].(map[string]any); ok {
		documentUpload(paths)
		for path, item := range paths {
			if !publicRoutes.MatchString(placeholders.ReplaceAllString(path, "x")) && path != "/v1/sessions" && path != "/v1/sessions/current" {
				continue
			}
			ops, _ := item.(map[string]any)
			for _, op := range ops {
				if o, ok := op.(map[string]any); ok {
					o["security"] = []any{}
				}
			}
		}
	}
	return json.Marshal(doc)
}

// placeholders are the path parameters of an OpenAPI path ("{projectId}").
var placeholders = regexp.MustCompile(`\{[^}]+\}`)
