package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stack is the all-in-one Tongdu running as a child process, with the private
// redis-server it starts under its data dir.
type stack struct {
	bin, dataDir       string
	httpAddr, grpcAddr string
	debugAddr          string // Go's profiles of the all-in-one
	cmd                *exec.Cmd
	token              string
	redisSocket        string
	redisPID           int
}

// freePort asks the kernel for a port nobody listens on.
func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// buildTongdu compiles cmd/tongdu from the repository root into dir.
func buildTongdu(root, dir string) (string, error) {
	bin := filepath.Join(dir, "tongdu")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tongdu")
	cmd.Dir = root
	// The bench runs outside the workspace (GOWORK=off); the binary is built inside it.
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOWORK=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

func startStack(bin, workDir string) (*stack, error) {
	s := &stack{bin: bin, dataDir: filepath.Join(workDir, "data"), httpAddr: freePort(), grpcAddr: freePort(), debugAddr: freePort()}
	if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(workDir, "tongdu.log"))
	if err != nil {
		return nil, err
	}
	// The gateway's per-caller rate limit (50/s by default) is off: the bench is one caller.
	s.cmd = exec.Command(bin, "--data-dir", s.dataDir, "--http-addr", s.httpAddr, "--grpc-addr", s.grpcAddr, "--rate-limit", "0", "--grpc-rate-limit", "0", "--debug-addr", s.debugAddr)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c1, e1 := net.DialTimeout("tcp", s.grpcAddr, time.Second)
		c2, e2 := net.DialTimeout("tcp", s.httpAddr, time.Second)
		if e1 == nil && e2 == nil {
			c1.Close()
			c2.Close()
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("tongdu did not listen within a minute; see %s", logf.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, err := exec.Command(bin, "token", "--data-dir", s.dataDir, "--role", "DISTRICT_ADMIN", "--subject", "bench").Output()
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("tongdu token: %w", err)
	}
	s.token = strings.TrimSpace(string(out))
	s.redisSocket = filepath.Join(s.dataDir, "redis", "redis.sock")
	if b, err := os.ReadFile(filepath.Join(s.dataDir, "redis", "redis.pid")); err == nil {
		s.redisPID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if s.redisPID == 0 {
		s.redisPID = childNamed(s.cmd.Process.Pid, "redis-server")
	}
	return s, nil
}

func (s *stack) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

// childNamed finds a child of parent whose command name is name (0 if none).
func childNamed(parent int, name string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || close < 0 {
			continue
		}
		fields := strings.Fields(string(b[close+1:]))
		if len(fields) > 1 && string(b[open+1:close]) == name && fields[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}

// memMB reads VmHWM (peak) and VmRSS (now) of a process, in MB.
func memMB(pid int) (peak, now float64) {
	if pid <= 0 {
		return 0, 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		kb, _ := strconv.ParseFloat(fs[0], 64)
		switch k {
		case "VmHWM":
			peak = kb / 1024
		case "VmRSS":
			now = kb / 1024
		}
	}
	return peak, now
}

type rss struct{ tongdu, redis, bench float64 }

func (s *stack) peaks() rss {
	t, _ := memMB(s.cmd.Process.Pid)
	r, _ := memMB(s.redisPID)
	b, _ := memMB(os.Getpid())
	return rss{t, r, b}
}

// cpuProfile takes a CPU profile of the all-in-one over the next d (it starts at once)
// into path; the returned wait blocks until it is written. `go tool pprof path` reads it.
func (s *stack) cpuProfile(d time.Duration, path string) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(d.Round(time.Second)/time.Second))
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.debugAddr, secs))
		if err != nil {
			log.Printf("profile: %v", err)
			return
		}
		defer resp.Body.Close()
		err = os.MkdirAll(filepath.Dir(path), 0o755)
		var f *os.File
		if err == nil {
			f, err = os.Create(path)
		}
		if err == nil {
			_, err = io.Copy(f, resp.Body)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			log.Printf("profile: %v", err)
			return
		}
		log.Printf("CPU profile: %s", path)
	}()
	return func() { <-done }
}
