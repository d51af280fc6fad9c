// Command gateway runs the REST gateway alone, in front of services that run elsewhere.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"tongdu/gateway"
	"tongdu/platform/config"
	"tongdu/platform/logging"
	"tongdu/platform/telemetry"
)

func main() {
	log := logging.New(os.Stdout, "gateway", slog.LevelInfo)
	if err := run(log, os.Args[1:]); err != nil {
		log.Error("gateway stopped", "cause", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger, args []string) error {
	var gc gateway.Config
	var httpAddr, origins string
	var maxBody int
	cfg := config.New("gateway")
	cfg.String(&httpAddr, "http-addr", ":8080", "HTTP listen address")
	cfg.String(&gc.Governance, "governance-addr", "127.0.0.1:9091", "governance service gRPC address")
	cfg.String(&gc.Survey, "survey-addr", "127.0.0.1:9092", "survey service gRPC address")
	cfg.String(&gc.Projects, "projects-addr", "127.0.0.1:9093", "projects service gRPC address")
	cfg.String(&gc.Finance, "finance-addr", "127.0.0.1:9094", "finance service gRPC address")
	cfg.String(&origins, "cors-origins", "", "comma-separated browser origins allowed to call the API (* for any)")
	if err := cfg.Int(&maxBody, "max-body-bytes", gateway.DefaultMaxBodyBytes, "largest request body accepted"); err != nil {
		return err
	}
	if err := cfg.Parse(args); err != nil {
		return err
	}
	log.Info("configuration", "settings", cfg.Effective())
	gc.MaxBodyBytes = int64(maxBody)
	if origins != "" {
		gc.CORSOrigins = strings.Split(origins, ",")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, "gateway")
	if err != nil {
		return err
	}
	defer func() { _ = shutdown(context.Background()) }()
	gw, err := gateway.New(ctx, gc, log)
	if err != nil {
		return err
	}
	defer gw.Close()
	return gateway.Serve(ctx, httpAddr, gw.Handler(), log)
}
