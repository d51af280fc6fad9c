package servicemain

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/config"
	"tongdu/platform/grpcserver"
	"tongdu/platform/redisconn"
)

// Registrar is what a service package offers: registration on a server.
type Registrar interface {
	Register(ctx context.Context, srv *grpcserver.Server)
}

// Spec describes a service binary that runs alone.
type Spec struct {
	Name        string
	DefaultAddr string
	// Flags declares the service's own settings (peers, tuning); may be nil.
	Flags func(*config.Set) error
	// Build makes the service once the settings are parsed; close releases what it
	// opened (peer connections) and may be nil.
	Build func(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger) (svc Registrar, close func(), err error)
}

// Service runs one gRPC service alone on its own Redis.
func Service(spec Spec) {
	Main(spec.Name, func(ctx context.Context, log *slog.Logger, args []string) error {
		var grpcAddr, redisURL string
		cfg := config.New(spec.Name)
		cfg.String(&grpcAddr, "grpc-addr", spec.DefaultAddr, "gRPC listen address")
		cfg.String(&redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis URL")
		if spec.Flags != nil {
			if err := spec.Flags(cfg); err != nil {
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
		srv, err := grpcserver.New(log)
		if err != nil {
			return err
		}
		svc, closeSvc, err := spec.Build(ctx, rdb, log)
		if err != nil {
			return err
		}
		if closeSvc != nil {
			defer closeSvc()
		}
		svc.Register(ctx, srv)
		lis, err := net.Listen("tcp", grpcAddr)
		if err != nil {
			return err
		}
		log.Info("serving", "grpc", lis.Addr().String())
		return srv.Serve(ctx, lis, 10*time.Second)
	})
}
