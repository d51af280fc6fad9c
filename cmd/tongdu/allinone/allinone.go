// Package allinone runs all of Tongdu in one process: the four services on one gRPC
// port, the REST gateway, and (unless a Redis URL is given) a private redis-server with
// append-only persistence under the data dir. The services still reach each other, and
// the gateway and the console reach them, over gRPC through the same server and its
// interceptors as when they run apart, but on an in-memory connection (platform/inproc)
// instead of the loopback network; the TCP port is for clients outside the process.
package allinone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/gateway"
	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/datadir"
	"tongdu/platform/events"
	"tongdu/platform/grpcclient"
	"tongdu/platform/grpcserver"
	"tongdu/platform/httpserver"
	"tongdu/platform/inproc"
	"tongdu/platform/opsport"
	"tongdu/platform/redisconn"
	"tongdu/platform/redisproc"
	"tongdu/platform/servicemain"
	"tongdu/platform/telemetry"
	"tongdu/platform/tlsconfig"
	"tongdu/services/finance"
	"tongdu/services/governance"
	"tongdu/services/projects"
	"tongdu/services/survey"
	"tongdu/web"
)

// Config is the all-in-one's configuration.
type Config struct {
	HTTPAddr    string
	GRPCAddr    string
	RedisURL    string // empty: a private redis-server under DataDir
	DataDir     string
	RedisFsync  string // the private redis-server's fsync policy: everysec (default) or always
	CORSOrigins string
	// MaxBodyBytes caps a request body; larger ones get 413.
	MaxBodyBytes int
	// JWKS adds the keys of an identity provider (a file or URL) to the data dir's own.
	JWKS     string
	Audience string
	// RateLimit is each caller's requests per second at the gateway (0: no limit).
	RateLimit float64
	// GRPCRateLimit is each caller's calls per second on the gRPC port (0: no limit). The
	// gateway's calls count there too, as the users whose tokens they carry.
	GRPCRateLimit float64
	// DebugAddr serves Go's profiles (/debug/pprof/) when set.
	DebugAddr string
	// CallTimeout bounds the gateway's calls to the services and theirs to each other
	// when the caller set no shorter deadline.
	CallTimeout time.Duration
	// Open311Keys are the Open311 apps' keys, "app=sha256hex,…" (gateway.ParseOpen311Keys).
	Open311Keys string
	// TLS between the gateway and the services (their one gRPC port), and of that port.
	TLS tlsconfig.Files
	// Modules are the services to run (nil: Modules(), with their defaults). Flags
	// declares their settings too.
	Modules []*servicemain.Module
}

// Modules are the services Tongdu runs, each built from its Module as its own binary
// builds it. A new Modules list each call: a Module holds its parsed settings.
func Modules() []*servicemain.Module {
	return []*servicemain.Module{governance.Module(), survey.Module(), projects.Module(), finance.Module()}
}

// With is Modules() with the modules given in place of those of the same name.
func With(replacements ...*servicemain.Module) []*servicemain.Module {
	ms := Modules()
	for i, m := range ms {
		for _, r := range replacements {
			if r.Name == m.Name {
				ms[i] = r
			}
		}
	}
	return ms
}

// Flags declares the configuration and that of every module on a config set, with
// TONGDU_* fallbacks.
func (c *Config) Flags(s *config.Set) error {
	s.String(&c.HTTPAddr, "http-addr", ":8080", "REST gateway listen address")
	s.String(&c.GRPCAddr, "grpc-addr", ":9090", "gRPC listen address of all four services (with reflection)")
	s.String(&c.RedisURL, "redis-url", "", "Redis URL; empty starts a private redis-server under --data-dir")
	s.String(&c.DataDir, "data-dir", "./data", "where the private redis-server keeps its append-only files")
	s.String(&c.RedisFsync, "redis-fsync", "everysec", "fsync policy of the private redis-server's append-only file: everysec (a power cut may lose up to 1 s of writes) or always (loses none, slower)")
	s.String(&c.CORSOrigins, "cors-origins", "", "comma-separated browser origins allowed to call the API (* for any)")
	if err := s.Int(&c.MaxBodyBytes, "max-body-bytes", gateway.DefaultMaxBodyBytes, "largest request body the gateway accepts"); err != nil {
		return err
	}
	s.String(&c.JWKS, "jwks", "", "JWKS file or URL of an identity provider whose tokens are accepted too (the data dir's key always is)")
	s.String(&c.Audience, "audience", auth.Audience, "audience tokens must carry")
	if err := s.Float(&c.RateLimit, "rate-limit", 50, "requests per second per caller at the gateway (0: no limit)"); err != nil {
		return err
	}
	// Ten times the REST rate (grpcserver.DefaultRateLimit): a REST request lands on the
	// gRPC port too, with the internal calls it makes on the caller's behalf.
	if err := s.Float(&c.GRPCRateLimit, "grpc-rate-limit", grpcserver.DefaultRateLimit, "calls per second per caller on the gRPC port, the gateway's calls on a user's behalf included (0: no limit)"); err != nil {
		return err
	}
	if err := s.Duration(&c.CallTimeout, "call-timeout", grpcclient.DefaultTimeout, "longest wait for a service's answer, at the gateway (then 504) and between services"); err != nil {
		return err
	}
	s.String(&c.DebugAddr, "debug-addr", "", "listen address of Go's profiles (/debug/pprof/) and the parked events (/debug/events/parked), e.g. 127.0.0.1:6060; empty: not served")
	s.String(&c.Open311Keys, "open311-keys", "", "Open311 apps' keys as app=SHA-256 hex of the key, comma-separated (the keys themselves are never configured)")
	s.String(&c.TLS.Cert, "tls-cert", "", "TLS certificate of the gRPC port (PEM)")
	s.String(&c.TLS.Key, "tls-key", "", "TLS key of the gRPC port (PEM)")
	s.String(&c.TLS.CA, "tls-ca", "", "CA that signs the gRPC port's certificate and, for mutual TLS, its clients'")
	if c.Modules == nil {
		c.Modules = Modules()
	}
	for _, m := range c.Modules {
		if m.Flags == nil {
			continue
		}
		if err := m.Flags(s); err != nil {
			return err
		}
	}
	return nil
}

// App is a running Tongdu.
type App struct {
	cfg      Config
	log      *slog.Logger
	redisSrv *redisproc.Supervised
	mini     *miniredis.Miniredis
	rdb      redis.UniversalClient
	grpc     *grpcserver.Server
	gw       *gateway.Gateway
	console  *web.Console
	peers    *grpc.ClientConn
	signer   *auth.Signer
	grpcLis  net.Listener
	memLis   *inproc.Listener // the same gRPC server, for this process's own clients
	httpLis  net.Listener
	stopProf func()
	unlock   func() // releases the data dir
	serving  bool   // the servers took the listeners
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	errOnce  sync.Once
	err      error
}

// Start brings everything up and returns once both ports listen.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (a *App, err error) {
	modules := cfg.Modules
	if modules == nil {
		modules = Modules()
	}
	a = &App{cfg: cfg, log: log}
	// The error returns set a to nil before this runs: close what was started through a
	// reference of its own.
	started := a
	defer func() {
		if err != nil {
			started.Close()
		}
	}()
	dataDir := cfg.DataDir
	if dataDir == "" {
		dataDir = "./data"
	}
	// The data dir is this process's before anything in it is touched: a second Tongdu
	// on it would start a second redis-server on the same files.
	if a.unlock, err = datadir.Lock(dataDir); err != nil {
		return nil, err
	}
	a.cfg.DataDir = dataDir
	redisURL, err := a.store(ctx)
	if err != nil {
		return nil, err
	}
	if a.rdb, err = redisconn.Open(ctx, redisURL, log); err != nil {
		return nil, err
	}
	if a.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("grpc listen: %w", err)
	}
	if a.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("http listen: %w", err)
	}
	// Every call is checked, at the gateway and again at the services; the data dir holds
	// the one-machine signing key (`tongdu token` issues tokens with it).
	verifier, signer, err := auth.Setup(ctx, auth.Keys{JWKS: cfg.JWKS, DataDir: dataDir, Audience: cfg.Audience})
	if err != nil {
		return nil, err
	}
	a.signer = signer
	creds, err := tlsconfig.Server(cfg.TLS)
	if err != nil {
		return nil, err
	}
	dial, err := tlsconfig.Client(tlsconfig.Files{CA: cfg.TLS.CA, Cert: cfg.TLS.Cert, Key: cfg.TLS.Key})
	if err != nil {
		return nil, err
	}
	// Trail entries Redis does not take (an outage) wait in the data dir until it does.
	spool, err := audit.OpenSpool(filepath.Join(dataDir, "audit"), audit.SpoolMax)
	if err != nil {
		return nil, err
	}
	opts := []grpcserver.Option{grpcserver.WithAuth(auth.NewAuthorizer(verifier, auth.NewResolver(), servicemain.Policies(modules...))),
		grpcserver.WithAudit(a.rdb), grpcserver.WithAuditSpool(spool), grpcserver.WithRateLimit(cfg.GRPCRateLimit, verifier)}
	if creds != nil {
		opts = append(opts, grpcserver.WithTLS(creds))
	}
	if a.grpc, err = grpcserver.New(log, opts...); err != nil {
		return nil, err
	}
	// The gateway, the console and the services' peer calls reach the server in memory:
	// no loopback round trip per call, and the same interceptors. With TLS configured the
	// in-memory connection is TLS too, made with the client credentials the TCP port
	// takes (so mutual TLS holds as well): the server has one set of credentials for all
	// its listeners, and keeping it so is simpler than a server that trusts one listener.
	// The authority is the TCP port's address, the name its certificate is checked for.
	a.memLis = inproc.Listen()
	self := []grpc.DialOption{a.memLis.Dial(), grpc.WithAuthority(loopback(a.grpcLis.Addr()))}
	self = append(self, dial...)
	// Even in one process the services call each other over gRPC, as when apart. A call
	// made while serving a request counts against its caller's rate, and waits for it
	// rather than failing the request half-way (grpcclient.PaceToLimits).
	if a.peers, err = grpcclient.NewWithTimeout(inproc.Target, cfg.CallTimeout, append([]grpc.DialOption{grpcclient.PaceToLimits()}, self...)...); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	// Every peer of every module is this process's own gRPC server.
	services := make([]servicemain.Service, len(modules))
	for i, m := range modules {
		peers := map[string]grpc.ClientConnInterface{}
		for _, p := range m.Peers {
			peers[p.Name] = a.peers
		}
		if services[i], err = m.Build(servicemain.Env{Redis: a.rdb, Log: log, Peers: peers, Signer: a.signer}); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		services[i].Register(a.grpc)
	}
	for _, svc := range services {
		svc.Start(runCtx)
	}
	go spool.Run(runCtx, a.rdb, time.Second, log)
	if err := events.ObserveParked(a.rdb); err != nil {
		log.Warn("parked events gauge not registered", "cause", err.Error())
	}

	mem := inproc.Target
	gc := gateway.Config{Governance: mem, Survey: mem, Projects: mem, Finance: mem, MaxBodyBytes: int64(cfg.MaxBodyBytes),
		Verifier: verifier, RateLimit: cfg.RateLimit, Dial: self, Metrics: telemetry.Handler(), CallTimeout: cfg.CallTimeout}
	if cfg.CORSOrigins != "" {
		gc.CORSOrigins = strings.Split(cfg.CORSOrigins, ",")
	}
	// The Open311 facade signs its apps' tokens with the data dir's key, which the services trust.
	if gc.Open311.Keys, err = gateway.ParseOpen311Keys(cfg.Open311Keys); err != nil {
		return nil, err
	}
	gc.Open311.Signer = a.signer
	if a.gw, err = gateway.New(runCtx, gc, log); err != nil {
		return nil, err
	}
	if a.console, err = web.New(runCtx, web.Config{Governance: mem, Survey: mem, Projects: mem, Finance: mem, Dial: self, CallTimeout: cfg.CallTimeout}, log); err != nil {
		return nil, err
	}
	if cfg.DebugAddr != "" {
		mux := http.NewServeMux()
		opsport.Profiles(mux)
		opsport.ParkedEvents(events.ParkedList(a.rdb))(mux)
		if a.stopProf, err = opsport.Serve(runCtx, cfg.DebugAddr, "profiles", mux, log); err != nil {
			return nil, err
		}
	}
	a.serving = true
	a.wg.Add(3)
	go func() {
		defer a.wg.Done()
		a.fail(a.grpc.Serve(runCtx, a.grpcLis, 10*time.Second))
		// Serve stopped the server, unless the TCP port failed: then stop it here, or the
		// in-memory listener would be served on and Close would wait for it forever.
		a.grpc.GRPC.Stop()
	}()
	// The same server on the in-memory listener. The server's stop closes every listener
	// it serves, this one too, and this Serve then returns (nil, or ErrServerStopped if
	// the stop came first).
	go func() {
		defer a.wg.Done()
		if err := a.grpc.GRPC.Serve(a.memLis); !errors.Is(err, grpc.ErrServerStopped) {
			a.fail(err)
		}
	}()
	go func() {
		defer a.wg.Done()
		a.fail(httpserver.ServeListener(runCtx, a.httpLis, web.Beside(a.gw.Handler(), a.console.Handler()), log))
	}()
	log.Info("tongdu is up", "http", a.HTTPAddr(), "grpc", a.GRPCAddr())
	return a, nil
}

// store starts the private Redis when no URL is configured and returns the URL to use.
func (a *App) store(ctx context.Context) (string, error) {
	if a.cfg.RedisURL != "" {
		return a.cfg.RedisURL, nil
	}
	if redisproc.Available() {
		dir := filepath.Join(a.cfg.DataDir, "redis")
		fsync := a.cfg.RedisFsync
		if fsync == "" {
			fsync = "everysec"
		}
		// Supervised: a redis-server that dies is started again on the same files, and
		// the services' clients reconnect by themselves.
		srv, err := redisproc.Supervise(ctx, redisproc.Options{Dir: dir, Persistent: true, Fsync: fsync}, a.log)
		if err != nil {
			return "", err
		}
		a.redisSrv = srv
		a.log.Info("private redis-server started", "dir", dir, "persistence", "appendonly", "fsync", fsync, "supervised", true)
		return srv.URL(), nil
	}
	m, err := miniredis.Run()
	if err != nil {
		return "", err
	}
	a.mini = m
	a.log.Warn("NO redis-server ON PATH: using an in-process Redis; ALL DATA IS IN MEMORY ONLY AND LOST ON EXIT. Install redis-server (apt-get install -y redis-server) or pass --redis-url.")
	return "redis://" + m.Addr(), nil
}

func (a *App) fail(err error) {
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.errOnce.Do(func() { a.err = err; a.cancel() })
	}
}

// RedisPid is the process id of the private redis-server now running, 0 when there is
// none (for fault tests that kill it).
func (a *App) RedisPid() int {
	if a.redisSrv == nil {
		return 0
	}
	return a.redisSrv.Pid()
}

// RedisRestarts counts the times the private redis-server was started again after it
// died.
func (a *App) RedisRestarts() int {
	if a.redisSrv == nil {
		return 0
	}
	return a.redisSrv.Restarts()
}

// Signer issues tokens with the data dir's key (for `tongdu token` and tests).
func (a *App) Signer() *auth.Signer { return a.signer }

// HTTPAddr is the gateway's address, e.g. "[::]:8080".
func (a *App) HTTPAddr() string { return a.httpLis.Addr().String() }

// GRPCAddr is the gRPC address of the services.
func (a *App) GRPCAddr() string { return a.grpcLis.Addr().String() }

// HTTPBase is a URL for clients on this machine, e.g. "http://127.0.0.1:8080".
func (a *App) HTTPBase() string { return "http://" + loopback(a.httpLis.Addr()) }

// Wait blocks until the app stops (after Close, or when a server fails) and returns why.
func (a *App) Wait() error {
	a.wg.Wait()
	return a.err
}

// Close stops the servers gracefully, then the store. Data in the private redis-server
// is on disk before Close returns.
func (a *App) Close() {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	if a.stopProf != nil {
		a.stopProf()
	}
	// Listeners not yet served are not closed by a server stopping: a failed start.
	if !a.serving {
		if a.grpcLis != nil {
			_ = a.grpcLis.Close()
		}
		if a.memLis != nil {
			_ = a.memLis.Close()
		}
		if a.httpLis != nil {
			_ = a.httpLis.Close()
		}
	}
	if a.gw != nil {
		a.gw.Close()
	}
	if a.console != nil {
		a.console.Close()
	}
	if a.peers != nil {
		_ = a.peers.Close()
	}
	if a.rdb != nil {
		_ = a.rdb.Close()
	}
	if a.redisSrv != nil {
		a.redisSrv.Stop()
	}
	if a.mini != nil {
		a.mini.Close()
	}
	if a.unlock != nil {
		a.unlock()
	}
}

// loopback turns a listen address into one a local client can dial.
func loopback(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
		}
	}
	return addr.String()
}
