package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Serve runs an HTTP server on addr until ctx ends, then shuts it down gracefully.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, lis, h, log)
}

// newServer bounds what a slow or idle client may hold: headers within 10 s, the whole
// request (body included) within a minute, an idle keep-alive connection for two.
// Replies are not bounded here (an export may take long); the call timeout bounds the
// services behind them.
func newServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
}

// ServeListener is Serve on an open listener.
func ServeListener(ctx context.Context, lis net.Listener, h http.Handler, log *slog.Logger) error {
	srv := newServer(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info("serving", "http", lis.Addr().String())
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
