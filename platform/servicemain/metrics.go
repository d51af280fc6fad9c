package servicemain

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"tongdu/platform/telemetry"
)

// serveMetrics serves GET /metrics on its own port: a service that runs alone has no
// HTTP port of its own, and a separate port keeps scrapes apart from the gRPC traffic
// (and out of reach of clients where the network allows only the gRPC port). The
// returned stop ends the server, waiting briefly for a scrape in flight.
func serveMetrics(ctx context.Context, addr string, log *slog.Logger) (stop func(), err error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", telemetry.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WarnContext(ctx, "metrics server stopped", "cause", err.Error())
		}
	}()
	log.Info("serving", "metrics", lis.Addr().String())
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}
