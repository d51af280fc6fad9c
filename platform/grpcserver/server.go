// Package grpcserver builds the gRPC server every Tongdu service runs on: health and
// reflection services, otelgrpc tracing and metrics, panic recovery that answers INTERNAL,
// a per-caller rate limit, request validation against the contract's protovalidate
// constraints, and graceful stop.
package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"time"
	"tongdu/platform/grpcclient"

	"buf.build/go/protovalidate"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/apierror"
	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/ratelimit"
)

// Server is a gRPC server with Tongdu's standard services and interceptors.
type Server struct {
	GRPC   *grpc.Server
	Health *health.Server
	// Auth decides every call when the server was built with WithAuth; services teach
	// its resolver the kinds of resource they own. Nil for servers of in-process tests.
	Auth *auth.Authorizer
	log  *slog.Logger
}

// Option adds to a server.
type Option func(*options)

type options struct {
	auth  *auth.Authorizer
	audit redis.UniversalClient
	spool *audit.Spool
	creds credentials.TransportCredentials
	// limit, when set, limits each caller; limitVerifier names callers by their token.
	limit         *ratelimit.Limiter
	limitVerifier *auth.Verifier
}

// WithAuth makes every call present a token the authorizer accepts, for a method and a
// resource its policy allows.
func WithAuth(a *auth.Authorizer) Option { return func(o *options) { o.auth = a } }

// WithAudit appends every change to the audit trail in rdb.
func WithAudit(rdb redis.UniversalClient) Option { return func(o *options) { o.audit = rdb } }

// WithAuditSpool keeps trail entries that Redis does not take in spool until it does.
func WithAuditSpool(spool *audit.Spool) Option { return func(o *options) { o.spool = spool } }

// WithTLS serves over TLS (mutual TLS when the credentials ask for client certificates).
func WithTLS(c credentials.TransportCredentials) Option { return func(o *options) { o.creds = c } }

// New builds the server. Register services on s.GRPC before Serve.
func New(log *slog.Logger, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	// Recovery is outermost so a panic anywhere below still becomes a status; the trail
	// records the outcome of everything after it, refusals of authorization included; the
	// caller is known before anything else looks at the request. The span gets its
	// resource id and refusal reason next to recovery, so refusals of authorization and
	// validation are named on it too.
	var policy auth.Policy // what a call concerns, for spans and the trail
	if o.auth != nil {
		policy = o.auth.Policy()
	}
	chain := []grpc.UnaryServerInterceptor{recoveryInterceptor(log), spanInterceptor(policy)}
	streamChain := []grpc.StreamServerInterceptor{streamRecoveryInterceptor(log)}
	// The rate limit comes before the trail, authorization and the handler, so a caller
	// over its rate (or a flood of bad tokens, limited by address) costs neither Redis nor
	// the resolver; after the span, so the refusal (RATE_LIMITED) is named on it.
	if o.limit != nil {
		chain = append(chain, limitInterceptor(o.limit, o.limitVerifier))
		streamChain = append(streamChain, streamLimitInterceptor(o.limit, o.limitVerifier))
	}
	if o.audit != nil {
		chain = append(chain, audit.Interceptor(o.audit, policy, o.spool, func(ctx context.Context, err error) {
			log.WarnContext(ctx, "audit entry not written", "cause", err.Error())
		}))
	}
	if o.auth != nil {
		chain = append(chain, authInterceptor(o.auth))
	}
	// Innermost: every handler's error becomes a status here, so the trail, the span and
	// the client all see the same code and reason.
	chain = append(chain, requestIDInterceptor(), validationInterceptor(validator), textInterceptor(), errorInterceptor(log))
	serverOpts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		grpc.ChainUnaryInterceptor(chain...),
		grpc.ChainStreamInterceptor(append(streamChain, streamErrorInterceptor(log))...),
		// Calls run on goroutines kept for reuse, whose stacks have already grown: a new
		// goroutine per call spent about 8% of a survey response's CPU growing its stack.
		// Beyond these workers gRPC starts a goroutine as before, so no call waits.
		grpc.NumStreamWorkers(uint32(4 * runtime.GOMAXPROCS(0))),
		// A spreadsheet upload (an import) may pass gRPC's default of 4 MiB; the gateway
		// caps what it forwards, and a direct caller is authenticated first.
		grpc.MaxRecvMsgSize(grpcclient.MaxMessage),
	}
	if o.creds != nil {
		serverOpts = append(serverOpts, grpc.Creds(o.creds))
	}
	g := grpc.NewServer(serverOpts...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)
	return &Server{GRPC: g, Health: hs, Auth: o.auth, log: log}, nil
}

// Serve accepts connections on lis until ctx ends, then stops gracefully: in-flight calls
// get up to grace to finish before the server stops hard.
func (s *Server) Serve(ctx context.Context, lis net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.GRPC.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	done := make(chan struct{})
	go func() { s.GRPC.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("graceful stop timed out; stopping hard", "grace", grace.String())
		s.GRPC.Stop()
	}
	return nil
}

func authInterceptor(a *auth.Authorizer) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		msg, _ := req.(proto.Message)
		ctx, err := a.Authorize(ctx, info.FullMethod, msg)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// errorInterceptor turns a handler's error into a gRPC status by the one error model
// (apierror.Status): handlers return domain and app errors as they are.
func errorInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, apierror.Status(ctx, log, err)
		}
		return resp, nil
	}
}

func streamErrorInterceptor(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return apierror.Status(ss.Context(), log, handler(srv, ss))
	}
}

func recoveryInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(ctx, "panic in handler", "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}

func streamRecoveryInterceptor(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(ss.Context(), "panic in stream handler", "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(srv, ss)
	}
}
