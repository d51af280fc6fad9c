// Package httpserver runs Tongdu's HTTP servers (the REST gateway, the console, the
// all-in-one's shared port) with the same bounds on slow clients and the same graceful
// shutdown.
package httpserver

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

// Timeouts bound what a slow or idle client may hold: a request's headers, the whole
// request (body included), and an idle keep-alive connection. Replies are not bounded
// here (an export may take long); the call timeout bounds the services behind them.
type Timeouts struct {
	ReadHeader, Read, Idle time.Duration
}

// DefaultTimeouts are the HTTP servers' bounds: headers within 10 s, the whole request
// within a minute, an idle connection for two.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Idle: 2 * time.Minute}

// ServeListener is Serve on an open listener.
func ServeListener(ctx context.Context, lis net.Listener, h http.Handler, log *slog.Logger) error {
	return ServeListenerWith(ctx, lis, h, log, DefaultTimeouts)
}

// ServeListenerWith is ServeListener with other timeouts (for tests).
func ServeListenerWith(ctx context.Context, lis net.Listener, h http.Handler, log *slog.Logger, t Timeouts) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, IdleTimeout: t.Idle}
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
