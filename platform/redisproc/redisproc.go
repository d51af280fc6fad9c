// Package redisproc runs a private redis-server as a child process, listening only on a
// unix socket in its own folder. cmd/tongdu uses it as the store when no Redis URL is
// configured, and the test kit uses it to give each test binary a real server.
package redisproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options say where the server keeps its files and whether it persists them.
type Options struct {
	// Dir holds the socket, the pid file, the log and (when persistent) the data.
	Dir string
	// Persistent turns on append-only persistence, so a restart keeps the data; off, the
	// server keeps nothing on disk (for tests).
	Persistent bool
	// Fsync is the append-only file's fsync policy when Persistent: "everysec" (the
	// default when empty: a power cut may lose up to a second of acknowledged writes) or
	// "always" (every write is on disk before it is acknowledged, at a throughput cost).
	Fsync string
}

// Server is a running redis-server child process.
type Server struct {
	cmd    *exec.Cmd
	socket string
	done   chan struct{}
	once   sync.Once
	err    error
}

// ErrNotInstalled is returned by Start when no redis-server is on PATH.
var ErrNotInstalled = errors.New("redis-server not found on PATH")

// Available reports whether redis-server can be started here.
func Available() bool {
	_, err := exec.LookPath("redis-server")
	return err == nil
}

// Start launches redis-server and waits until it answers PING.
func Start(ctx context.Context, opt Options) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	socket := filepath.Join(dir, "redis.sock")
	_ = os.Remove(socket) // left over from a process that was killed
	args := []string{
		"--port", "0", // no TCP: nothing else on the machine can reach it
		"--bind", "127.0.0.1",
		"--unixsocket", socket, "--unixsocketperm", "700",
		"--dir", dir,
		"--pidfile", filepath.Join(dir, "redis.pid"),
		"--logfile", filepath.Join(dir, "redis.log"),
		"--daemonize", "no",
		"--maxmemory-policy", "noeviction",
	}
	fsync := opt.Fsync
	if fsync == "" {
		fsync = "everysec"
	}
	if fsync != "everysec" && fsync != "always" {
		return nil, fmt.Errorf("redis fsync policy %q: want everysec or always", fsync)
	}
	if opt.Persistent {
		args = append(args, "--appendonly", "yes", "--appendfsync", fsync)
	} else {
		args = append(args, "--appendonly", "no", "--save", "")
	}
	cmd := exec.Command(bin, args...)
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &Server{cmd: cmd, socket: socket, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx, 10*time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("redis-server did not start (see %s): %w", filepath.Join(dir, "redis.log"), err)
	}
	return s, nil
}

// URL is the address to give a Redis client.
func (s *Server) URL() string { return "unix://" + s.socket }

// Pid is the server's process id (for tests that kill it the hard way).
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Socket is the unix socket path.
func (s *Server) Socket() string { return s.socket }

// Stop asks the server to shut down (it writes its files first) and waits for it.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if err := ping(s.socket); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return err
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ping speaks just enough RESP to know the server answers, without a client library.
func ping(socket string) error {
	c, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", strings.TrimSpace(line))
	}
	return nil
}
