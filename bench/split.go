package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The split deployment: each service its own process, as deploy/ runs them (one
// binary per service, each dialling its peers over gRPC on loopback, every one checking
// the callers' tokens against a JWKS file), the REST gateway in front, and one
// redis-server for all of them, started here on a unix socket like the all-in-one's
// private one.

// splitServices are the service binaries, in start order, with the peers each dials (the
// --<peer>-addr flags of its servicemain.Module).
var splitServices = []struct {
	name, pkg string
	peers     []string
}{
	{"governance", "./services/governance/cmd/governance", []string{"survey"}},
	{"survey", "./services/survey/cmd/survey", []string{"governance"}},
	{"projects", "./services/projects/cmd/projects", []string{"survey", "finance", "governance"}},
	{"finance", "./services/finance/cmd/finance", []string{"projects", "governance", "survey"}},
}

// proc is one child process of the split deployment.
type proc struct {
	name string
	addr string // its gRPC (services) or HTTP (gateway) listen address
	cmd  *exec.Cmd
}

type splitStack struct {
	dir         string
	redis       *exec.Cmd
	redisSocket string
	procs       []*proc // the four services, then the gateway
	grpcAddrs   map[string]string
	httpAddr    string
	token       string
}

// buildSplit compiles the four services and the gateway into dir, from the repository
// root inside the workspace, as buildTongdu does.
func buildSplit(root, dir string) error {
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	for _, s := range splitServices {
		args = append(args, s.pkg)
	}
	args = append(args, "./gateway/cmd/gateway")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOWORK=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// startSplit starts redis-server, the four services and the gateway from the binaries
// in binDir (buildSplit), with their data and logs under dir. tongduBin signs the token
// (`tongdu token` with a key dir of its own, whose public half becomes the JWKS every
// process verifies with, as deploy/README.md makes it).
func startSplit(binDir, tongduBin, dir string) (_ *splitStack, err error) {
	s := &splitStack{dir: dir, grpcAddrs: map[string]string{}}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if err := os.MkdirAll(filepath.Join(dir, "redis"), 0o700); err != nil {
		return nil, err
	}
	// Redis as the all-in-one starts its own (platform/redisproc): no TCP, append-only
	// with fsync every second, no eviction.
	rdir := filepath.Join(dir, "redis")
	s.redisSocket = filepath.Join(rdir, "redis.sock")
	s.redis = exec.Command("redis-server", "--port", "0", "--bind", "127.0.0.1", "--unixsocket", s.redisSocket, "--unixsocketperm", "700",
		"--dir", rdir, "--logfile", filepath.Join(rdir, "redis.log"), "--daemonize", "no", "--maxmemory-policy", "noeviction",
		"--appendonly", "yes", "--appendfsync", "everysec")
	s.redis.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.redis.Start(); err != nil {
		return nil, fmt.Errorf("redis-server: %w", err)
	}
	if err := waitFor(func() error { return exec.Command("redis-cli", "-s", s.redisSocket, "PING").Run() }, 10*time.Second); err != nil {
		return nil, fmt.Errorf("redis-server did not answer (see %s): %w", filepath.Join(rdir, "redis.log"), err)
	}

	keyDir := filepath.Join(dir, "keys")
	out, err := exec.Command(tongduBin, "token", "--data-dir", keyDir, "--role", "DISTRICT_ADMIN", "--subject", "bench").Output()
	if err != nil {
		return nil, fmt.Errorf("tongdu token: %w", err)
	}
	s.token = strings.TrimSpace(string(out))
	jwks := filepath.Join(dir, "jwks.json")
	if err := publicJWKS(filepath.Join(keyDir, "auth", "signing-key.jwk"), jwks); err != nil {
		return nil, err
	}

	for _, sv := range splitServices {
		s.grpcAddrs[sv.name] = freePort()
	}
	redisURL := "unix://" + s.redisSocket
	for _, sv := range splitServices {
		// --grpc-rate-limit 0: the bench is one caller (as for the all-in-one).
		args := []string{"--grpc-addr", s.grpcAddrs[sv.name], "--redis-url", redisURL, "--jwks", jwks, "--grpc-rate-limit", "0"}
		for _, p := range sv.peers {
			args = append(args, "--"+p+"-addr", s.grpcAddrs[p])
		}
		p, err := s.start(filepath.Join(binDir, sv.name), sv.name, s.grpcAddrs[sv.name], args)
		if err != nil {
			return nil, err
		}
		s.procs = append(s.procs, p)
	}
	s.httpAddr = freePort()
	args := []string{"--http-addr", s.httpAddr, "--jwks", jwks, "--rate-limit", "0"}
	for _, sv := range splitServices {
		args = append(args, "--"+sv.name+"-addr", s.grpcAddrs[sv.name])
	}
	p, err := s.start(filepath.Join(binDir, "gateway"), "gateway", s.httpAddr, args)
	if err != nil {
		return nil, err
	}
	s.procs = append(s.procs, p)
	for _, p := range s.procs {
		if err := waitFor(func() error {
			c, err := net.DialTimeout("tcp", p.addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}, 60*time.Second); err != nil {
			return nil, fmt.Errorf("%s did not listen on %s within a minute (see %s): %w", p.name, p.addr, filepath.Join(dir, p.name+".log"), err)
		}
	}
	return s, nil
}

func (s *splitStack) start(bin, name, addr string, args []string) (*proc, error) {
	logf, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &proc{name: name, addr: addr, cmd: cmd}, nil
}

// publicJWKS writes the public half of a signing key (the JWK without its private "d")
// as a JWKS: what deploy/README.md does with jq.
func publicJWKS(keyFile, out string) error {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	var k map[string]any
	if err := json.Unmarshal(b, &k); err != nil {
		return fmt.Errorf("%s: %w", keyFile, err)
	}
	delete(k, "d")
	data, err := json.Marshal(map[string]any{"keys": []any{k}})
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

func waitFor(f func() error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the gateway and the services (in reverse order), then redis-server.
func (s *splitStack) stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		stopCmd(s.procs[i].cmd, 15*time.Second)
	}
	s.procs = nil
	if s.redis != nil {
		stopCmd(s.redis, 10*time.Second)
		s.redis = nil
	}
}

func stopCmd(cmd *exec.Cmd, limit time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
	}
}

// procPeaks are the peak RSS (VmHWM) of each process, by name, in start order.
func (s *splitStack) procPeaks() (names []string, mb []float64) {
	for _, p := range s.procs {
		peak, _ := memMB(p.cmd.Process.Pid)
		names, mb = append(names, p.name), append(mb, peak)
	}
	return names, mb
}

// peaks puts the largest Tongdu process's peak where the all-in-one's goes.
func (s *splitStack) peaks() rss {
	var r rss
	_, mbs := s.procPeaks()
	for _, v := range mbs {
		r.tongdu = max(r.tongdu, v)
	}
	if s.redis != nil {
		r.redis, _ = memMB(s.redis.Process.Pid)
	}
	r.bench, _ = memMB(os.Getpid())
	return r
}
