// Package opsport serves an operator's pages (metrics, profiles) on a port of their own:
// a service that runs alone has no HTTP port, and a separate port keeps scrapes and
// profiles apart from client traffic (and out of reach where the network allows only the
// service ports).
package opsport

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"tongdu/platform/telemetry"
)

// Metrics adds GET /metrics (Prometheus text format) to mux.
func Metrics(mux *http.ServeMux) { mux.Handle("GET /metrics", telemetry.Handler()) }

// Profiles adds Go's profiles under /debug/pprof/ to mux. They show code paths and
// timings, never request contents, but a CPU profile costs the process while it runs:
// serve them on a port only operators reach, e.g. a loopback address.
func Profiles(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}

// ParkedEvents adds GET /debug/events/parked (events.ParkedList) to mux: the events
// consumers gave up on, for an operator to look at and replay by hand.
func ParkedEvents(list http.Handler) func(*http.ServeMux) {
	return func(mux *http.ServeMux) { mux.Handle("GET /debug/events/parked", list) }
}

// Serve serves mux on addr until stop is called; stop waits briefly for a request in
// flight. A CPU profile or trace runs for as long as it was asked (?seconds=), so the
// server sets no write timeout.
func Serve(ctx context.Context, addr, what string, mux *http.ServeMux, log *slog.Logger) (stop func(), err error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WarnContext(ctx, what+" server stopped", "cause", err.Error())
		}
	}()
	log.Info("serving", what, lis.Addr().String())
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}
