// Package servicemain is the shared main of every Tongdu binary: JSON logging, a context
// cancelled by SIGINT or SIGTERM, telemetry set up first and flushed last. Service
// binaries that run alone (as deploy/ runs them) need only name their service (Service);
// the gateway and the all-in-one pass their own run function (Main).
package servicemain

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/config"
	"tongdu/platform/grpcserver"
	"tongdu/platform/logging"
	"tongdu/platform/redisconn"
	"tongdu/platform/telemetry"
)

// Main runs run with a logger and a context that ends on SIGINT or SIGTERM, with
// telemetry set up around it, and exits non-zero if run fails.
func Main(name string, run func(ctx context.Context, log *slog.Logger, args []string) error) {
	log := logging.New(os.Stdout, name, slog.LevelInfo)
	if err := mainErr(name, run, log); err != nil {
		log.Error(name+" stopped", "cause", err.Error())
		os.Exit(1)
	}
}

func mainErr(name string, run func(context.Context, *slog.Logger, []string) error, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, name)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	// Flushed after run returns, so the spans of the last requests are not lost.
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(fctx); err != nil {
			log.Warn("telemetry flush failed", "cause", err.Error())
		}
	}()
	return run(ctx, log, os.Args[1:])
}

// Registrar is what a service package offers: registration on a server.
type Registrar interface {
	Register(ctx context.Context, srv *grpcserver.Server)
}

// Service runs one gRPC service alone on its own Redis; build makes it.
func Service(name, defaultAddr string, build func(rdb redis.UniversalClient, log *slog.Logger) Registrar) {
	Main(name, func(ctx context.Context, log *slog.Logger, args []string) error {
		var grpcAddr, redisURL string
		cfg := config.New(name)
		cfg.String(&grpcAddr, "grpc-addr", defaultAddr, "gRPC listen address")
		cfg.String(&redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis URL")
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
		build(rdb, log).Register(ctx, srv)
		lis, err := net.Listen("tcp", grpcAddr)
		if err != nil {
			return err
		}
		log.Info("serving", "grpc", lis.Addr().String())
		return srv.Serve(ctx, lis, 10*time.Second)
	})
}
