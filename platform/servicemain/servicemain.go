// Package servicemain is the shared main of every Tongdu binary: JSON logging, a context
// cancelled by SIGINT or SIGTERM, telemetry set up first and flushed last. Service
// binaries that run alone (as deploy/ runs them) describe their service (Service); the
// gateway and the all-in-one pass their own run function (Main).
package servicemain

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"tongdu/platform/logging"
	"tongdu/platform/telemetry"
)

// Main runs run on args (the command line after the program's name, or after its
// subcommand) with a logger and a context that ends on SIGINT or SIGTERM, with telemetry
// set up around it, and exits non-zero if run fails.
func Main(name string, args []string, run func(ctx context.Context, log *slog.Logger, args []string) error) {
	log := logging.New(os.Stdout, name, slog.LevelInfo)
	// A Tongdu process keeps a small heap (about 20 MB under load) and allocates fast, so
	// Go's default (collect whenever the heap has doubled) collected very often: about a
	// tenth of the CPU under load. Unless GOGC says otherwise, collect when it has
	// tripled; GOMEMLIMIT, when set, still caps it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	err := mainErr(name, args, run, log)
	if errors.Is(err, flag.ErrHelp) {
		return // the flag package printed the usage
	}
	if err != nil {
		log.Error(name+" stopped", "cause", err.Error())
		os.Exit(1)
	}
}

func mainErr(name string, args []string, run func(context.Context, *slog.Logger, []string) error, log *slog.Logger) error {
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
	return run(ctx, log, args)
}
