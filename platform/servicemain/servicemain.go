// Package servicemain is the whole main of a Tongdu service binary that runs alone (as
// deploy/ runs them): configuration, logging, telemetry, Redis, the gRPC server, and a
// graceful stop on SIGINT or SIGTERM. Each cmd/<service> only names its service.
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

// Service is what a service package offers: registration on a server.
type Service interface {
	Register(ctx context.Context, srv *grpcserver.Server)
}

// Main runs the named service until a signal; build makes it from its Redis and logger.
func Main(name, defaultAddr string, build func(rdb redis.UniversalClient, log *slog.Logger) Service) {
	log := logging.New(os.Stdout, name, slog.LevelInfo)
	if err := run(name, defaultAddr, build, log, os.Args[1:]); err != nil {
		log.Error(name+" stopped", "cause", err.Error())
		os.Exit(1)
	}
}

func run(name, defaultAddr string, build func(redis.UniversalClient, *slog.Logger) Service, log *slog.Logger, args []string) error {
	var grpcAddr, redisURL string
	cfg := config.New(name)
	cfg.String(&grpcAddr, "grpc-addr", defaultAddr, "gRPC listen address")
	cfg.String(&redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis URL")
	if err := cfg.Parse(args); err != nil {
		return err
	}
	log.Info("configuration", "settings", cfg.Effective())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, name)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(fctx)
	}()
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
}
