package servicemain

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"google.golang.org/grpc"

	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/events"
	"tongdu/platform/grpcclient"
	"tongdu/platform/grpcserver"
	"tongdu/platform/opsport"
	"tongdu/platform/redisconn"
	"tongdu/platform/tlsconfig"
)

// Run runs one service alone on its own Redis, dialling its peers over gRPC; the
// service's binary is one call of it.
func Run(m *Module) {
	Main(m.Name, os.Args[1:], func(ctx context.Context, log *slog.Logger, args []string) error {
		var grpcAddr, redisURL, jwks, audience, metricsAddr, debugAddr string
		var serverTLS, peerTLS tlsconfig.Files
		cfg := config.New(m.Name)
		cfg.String(&grpcAddr, "grpc-addr", m.DefaultAddr, "gRPC listen address")
		peerAddrs := make([]string, len(m.Peers))
		for i, p := range m.Peers {
			cfg.String(&peerAddrs[i], p.Name+"-addr", p.DefaultAddr, p.Name+" service gRPC address")
		}
		cfg.String(&redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis URL")
		cfg.String(&jwks, "jwks", "", "JWKS file or URL whose keys sign the callers' tokens (required)")
		cfg.String(&audience, "audience", auth.Audience, "audience tokens must carry")
		cfg.String(&serverTLS.Cert, "tls-cert", "", "TLS certificate of this service (PEM); also presented to peers for mutual TLS")
		cfg.String(&serverTLS.Key, "tls-key", "", "TLS key of this service (PEM)")
		cfg.String(&serverTLS.CA, "tls-client-ca", "", "CA of client certificates this service requires (mutual TLS)")
		cfg.String(&peerTLS.CA, "tls-peer-ca", "", "CA that signs the peers' certificates (TLS to peers)")
		cfg.String(&metricsAddr, "metrics-addr", "", "listen address of GET /metrics (Prometheus text format), e.g. :9464; empty: not served")
		var callTimeout time.Duration
		if err := cfg.Duration(&callTimeout, "call-timeout", grpcclient.DefaultTimeout, "longest wait for a peer's answer when the caller set no shorter deadline"); err != nil {
			return err
		}
		var grpcRateLimit float64
		if err := cfg.Float(&grpcRateLimit, "grpc-rate-limit", grpcserver.DefaultRateLimit, "calls per second per caller (token subject, or address without a valid token) on the gRPC port (0: no limit)"); err != nil {
			return err
		}
		var spoolDir, signingKeyDir string
		cfg.String(&signingKeyDir, "signing-key-dir", "", "folder holding the key that signs Tongdu's own tokens (sign-in), created on first use; its public key is trusted too; empty: this service signs none")
		cfg.String(&spoolDir, "audit-spool-dir", "", "folder where audit entries wait while Redis is away (at most 100,000; then changes are refused); empty: none, an entry Redis does not take is only logged")
		cfg.String(&debugAddr, "debug-addr", "", "listen address of Go's profiles (/debug/pprof/) and the parked events (/debug/events/parked), e.g. 127.0.0.1:6060; empty: not served")
		if m.Flags != nil {
			if err := m.Flags(cfg); err != nil {
				return err
			}
		}
		if err := cfg.Parse(args); err != nil {
			return err
		}
		log.Info("configuration", "settings", cfg.Effective())
		rdb, err := redisconn.Open(ctx, redisURL, log)
		if err != nil {
			return err
		}
		defer rdb.Close()
		// A service never trusts a caller for being inside the network.
		verifier, signer, err := auth.Setup(ctx, auth.Keys{JWKS: jwks, DataDir: signingKeyDir, Audience: audience})
		if err != nil {
			return err
		}
		opts := []grpcserver.Option{grpcserver.WithAuth(auth.NewAuthorizer(verifier, auth.NewResolver(), Policies(m))), grpcserver.WithAudit(rdb),
			grpcserver.WithRateLimit(grpcRateLimit, verifier)}
		if spoolDir != "" {
			spool, err := audit.OpenSpool(spoolDir, audit.SpoolMax)
			if err != nil {
				return err
			}
			opts = append(opts, grpcserver.WithAuditSpool(spool))
			go spool.Run(ctx, rdb, time.Second, log)
		}
		creds, err := tlsconfig.Server(serverTLS)
		if err != nil {
			return err
		}
		if creds != nil {
			opts = append(opts, grpcserver.WithTLS(creds))
		}
		peerTLS.Cert, peerTLS.Key = serverTLS.Cert, serverTLS.Key
		if peerTLS.CA == "" {
			peerTLS = tlsconfig.Files{}
		}
		dial, err := tlsconfig.Client(peerTLS)
		if err != nil {
			return err
		}
		srv, err := grpcserver.New(log, opts...)
		if err != nil {
			return err
		}
		peers := map[string]grpc.ClientConnInterface{}
		for i, p := range m.Peers {
			// A call made while serving a request counts against its caller's rate, and
			// waits for it rather than failing the request half-way.
			conn, err := grpcclient.NewWithTimeout(peerAddrs[i], callTimeout, append([]grpc.DialOption{grpcclient.PaceToLimits()}, dial...)...)
			if err != nil {
				return err
			}
			defer conn.Close()
			peers[p.Name] = conn
		}
		if err := events.ObserveParked(rdb); err != nil {
			log.Warn("parked events gauge not registered", "cause", err.Error())
		}
		svc, err := m.Build(Env{Redis: rdb, Log: log, Peers: peers, Signer: signer})
		if err != nil {
			return err
		}
		svc.Register(srv)
		svc.Start(ctx)
		lis, err := net.Listen("tcp", grpcAddr)
		if err != nil {
			return err
		}
		for _, p := range []struct {
			addr, what string
			add        func(*http.ServeMux)
		}{{metricsAddr, "metrics", opsport.Metrics}, {debugAddr, "profiles", func(mux *http.ServeMux) {
			opsport.Profiles(mux)
			opsport.ParkedEvents(events.ParkedList(rdb))(mux)
		}}} {
			if p.addr == "" {
				continue
			}
			mux := http.NewServeMux()
			p.add(mux)
			stop, err := opsport.Serve(ctx, p.addr, p.what, mux, log)
			if err != nil {
				_ = lis.Close()
				return err
			}
			defer stop()
		}
		log.Info("serving", "grpc", lis.Addr().String())
		return srv.Serve(ctx, lis, 10*time.Second)
	})
}
