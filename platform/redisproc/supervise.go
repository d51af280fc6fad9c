package redisproc

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Supervised is a private redis-server that is started again whenever it dies (killed,
// out of memory, a crash), so the service comes back by itself: its clients reconnect to
// the same socket, and the append-only files give the new server what the old one had
// acknowledged.
type Supervised struct {
	opt  Options
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	cur      *Server
	restarts int
}

// Restart delays: the first try waits a little (the kernel frees the socket and the
// files), each failed try waits twice as long, up to MaxBackoff.
const (
	FirstBackoff = 200 * time.Millisecond
	MaxBackoff   = 10 * time.Second
)

// Supervise starts a redis-server as Start does and keeps it running until Stop.
func Supervise(ctx context.Context, opt Options, log *slog.Logger) (*Supervised, error) {
	srv, err := Start(ctx, opt)
	if err != nil {
		return nil, err
	}
	s := &Supervised{opt: opt, log: log, cur: srv, stop: make(chan struct{}), done: make(chan struct{})}
	go s.watch()
	return s, nil
}

func (s *Supervised) watch() {
	defer close(s.done)
	for {
		s.mu.Lock()
		cur := s.cur
		s.mu.Unlock()
		select {
		case <-s.stop:
			return
		case <-cur.done:
		}
		s.log.Warn("private redis-server exited; starting it again", "cause", errText(cur.err), "pid", cur.Pid())
		for backoff := FirstBackoff; ; backoff = min(2*backoff, MaxBackoff) {
			select {
			case <-s.stop:
				return
			case <-time.After(backoff):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			srv, err := Start(ctx, s.opt)
			cancel()
			if err == nil {
				s.mu.Lock()
				s.cur, s.restarts = srv, s.restarts+1
				s.mu.Unlock()
				s.log.Info("private redis-server started again", "pid", srv.Pid(), "restarts", s.Restarts())
				break
			}
			s.log.Error("private redis-server did not start again; retrying", "cause", err.Error(), "backoff", (2 * backoff).String())
		}
	}
}

func errText(err error) string {
	if err == nil {
		return "exited"
	}
	return err.Error()
}

// URL is the address to give a Redis client; it stays the same across restarts.
func (s *Supervised) URL() string { return s.current().URL() }

// Pid is the running server's process id.
func (s *Supervised) Pid() int { return s.current().Pid() }

// Restarts counts the times the server was started again.
func (s *Supervised) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

func (s *Supervised) current() *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Stop ends the supervision and stops the server with one signal, so it writes its files
// before it exits.
func (s *Supervised) Stop() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.current().Stop()
}
