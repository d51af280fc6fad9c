// Command tongdu runs the whole of Tongdu on one machine: the four services, the REST
// gateway and, unless --redis-url is given, a private redis-server keeping its data under
// --data-dir. Ctrl-C stops it cleanly; a restart finds the data again.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/config"
	"tongdu/platform/logging"
	"tongdu/platform/telemetry"
)

func main() {
	log := logging.New(os.Stdout, "tongdu", slog.LevelInfo)
	if err := run(log, os.Args[1:]); err != nil {
		log.Error("tongdu stopped", "cause", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger, args []string) error {
	var cfg allinone.Config
	set := config.New("tongdu")
	cfg.Flags(set)
	if err := set.Parse(args); err != nil {
		return err
	}
	log.Info("configuration", "settings", set.Effective())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdown, err := telemetry.Setup(ctx, "tongdu")
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(fctx)
	}()
	app, err := allinone.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- app.Wait() }()
	select {
	case <-ctx.Done():
		log.Info("stopping")
		app.Close()
		return nil
	case err := <-done:
		app.Close()
		return err
	}
}
