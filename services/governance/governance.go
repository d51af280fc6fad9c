// Package governance assembles the governance service: the registry of regions,
// compounds, buildings and households on Redis, served over gRPC. cmd/governance runs it
// alone; cmd/tongdu runs it beside the other services.
package governance

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	"tongdu/platform/servicemain"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/accounts"
	"tongdu/services/governance/internal/api"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/peers"
	"tongdu/services/governance/internal/storage"
)

// ServiceName is the gRPC service's full name, used for health statuses.
const ServiceName = "tongdu.governance.v1.GovernanceService"

// Service is the governance service over one Redis.
type Service struct {
	rdb    redis.UniversalClient
	store  *storage.Store
	outbox *events.Outbox
	app    *app.App
	api    *api.Server
	accts  *app.Accounts
	imps   *app.Imports
	log    *slog.Logger
	srv    *grpcserver.Server
}

// Config is the governance service's configuration.
type Config struct {
	// Whistle limits of rule 11 (called departments acknowledge and resolve in time; zero:
	// the rule's 2 h / 24 h and 24 h / 72 h).
	UrgentAcknowledge, UrgentResolve, NormalAcknowledge, NormalResolve time.Duration
	// Sessions end after SessionIdle without use or SessionMax after sign-in (zero: 30
	// minutes and 12 hours).
	SessionIdle, SessionMax time.Duration
	// Signer signs the tokens of sign-in (servicemain.Env.Signer); nil: sign-in answers
	// UNAVAILABLE here.
	Signer *auth.Signer
	// Single sign-on with the district's identity provider (OpenID Connect); OIDCIssuer
	// empty: none. OIDCRoleMap is "providerValue=ROLE,..." (empty: the role claim names
	// the role).
	OIDCIssuer, OIDCClientID, OIDCClientSecret, OIDCRedirectURL string
	OIDCRoleClaim, OIDCScopeClaim, OIDCRoleMap                  string
}

// Flags declares the configuration, with TONGDU_* fallbacks.
func (c *Config) Flags(s *config.Set) error {
	for _, f := range []struct {
		p    *time.Duration
		name string
		def  time.Duration
		use  string
	}{
		{&c.UrgentAcknowledge, "whistle-urgent-acknowledge", 2 * time.Hour, "rule 11: time to acknowledge an URGENT whistle"},
		{&c.UrgentResolve, "whistle-urgent-resolve", 24 * time.Hour, "rule 11: time to resolve an URGENT whistle"},
		{&c.NormalAcknowledge, "whistle-normal-acknowledge", 24 * time.Hour, "rule 11: time to acknowledge a NORMAL whistle"},
		{&c.NormalResolve, "whistle-normal-resolve", 72 * time.Hour, "rule 11: time to resolve a NORMAL whistle"},
		{&c.SessionIdle, "session-idle", 30 * time.Minute, "a sign-in session ends after this long unused"},
		{&c.SessionMax, "session-max", 12 * time.Hour, "a sign-in session ends this long after sign-in, even if used"},
	} {
		if err := s.Duration(f.p, f.name, f.def, f.use); err != nil {
			return err
		}
	}
	s.String(&c.OIDCIssuer, "oidc-issuer", "", "single sign-on: the identity provider's issuer URL (empty: no single sign-on)")
	s.String(&c.OIDCClientID, "oidc-client-id", "", "single sign-on: this client's id at the identity provider")
	s.Secret(&c.OIDCClientSecret, "oidc-client-secret", "", "single sign-on: this client's secret at the identity provider")
	s.String(&c.OIDCRedirectURL, "oidc-redirect-url", "", "single sign-on: the gateway's callback, e.g. http://host:8080/v1/sessions/oidc/callback")
	s.String(&c.OIDCRoleClaim, "oidc-role-claim", app.DefaultRoleClaim, "single sign-on: the ID token claim giving the Tongdu role")
	s.String(&c.OIDCScopeClaim, "oidc-scope-claim", app.DefaultScopeClaim, "single sign-on: the ID token claim giving the Tongdu scope")
	s.String(&c.OIDCRoleMap, "oidc-role-map", "", "single sign-on: providerValue=ROLE,... mapping role claim values to Tongdu roles (empty: the claim names the role)")
	return nil
}

// Peers are the services governance calls.
type Peers struct {
	// Survey answers for the resolutions that adopt conventions; nil: conventions cannot
	// be adopted by resolution.
	Survey grpc.ClientConnInterface
}

// Module is how binaries build and run the governance service; its flags set its
// configuration.
func Module() *servicemain.Module { return ModuleWith(Config{}) }

// ModuleWith is Module starting from cfg (for tests that run the all-in-one with
// settings of their own).
func ModuleWith(cfg Config) *servicemain.Module {
	return &servicemain.Module{
		Name: "governance", DefaultAddr: ":9091", Policy: Policy,
		Peers: []servicemain.Peer{{Name: "survey", DefaultAddr: "127.0.0.1:9092"}},
		Flags: cfg.Flags,
		Build: func(env servicemain.Env) (servicemain.Service, error) {
			cfg := cfg
			cfg.Signer = env.Signer
			return New(env.Redis, Peers{Survey: env.Peers["survey"]}, env.Log, cfg)
		},
	}
}

// New builds the service on rdb.
func New(rdb redis.UniversalClient, p Peers, log *slog.Logger, cfg Config) (*Service, error) {
	// One relay per process: the store writes each registry fact with its change into the
	// compound's outbox, and the relay (started by Start) moves it to the stream.
	outbox := events.NewOutbox(rdb, log)
	store := storage.New(rdb, outbox)
	var resolutions app.Resolutions
	if p.Survey != nil {
		resolutions = peers.NewSurvey(p.Survey)
	}
	opt := app.Options{UrgentAcknowledge: cfg.UrgentAcknowledge, UrgentResolve: cfg.UrgentResolve, NormalAcknowledge: cfg.NormalAcknowledge, NormalResolve: cfg.NormalResolve}
	a := app.New(store, log, time.Now, opt, resolutions)
	// Accounts place scopes with a resolver of governance's own kinds until Register
	// hands them the process's, which knows every service's.
	places := auth.NewResolver()
	teach(places, store)
	var signer app.Signer
	if cfg.Signer != nil {
		signer = cfg.Signer
	}
	accts := app.NewAccounts(store, log, time.Now, signer,
		accounts.SessionSettings{Idle: cfg.SessionIdle, Max: cfg.SessionMax}, places.Ancestry)
	roleMap, err := app.ParseRoleMap(cfg.OIDCRoleMap)
	if err != nil {
		return nil, err
	}
	if err := accts.SetSignOn(app.SignOnConfig{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
		RedirectURL: cfg.OIDCRedirectURL, RoleClaim: cfg.OIDCRoleClaim, ScopeClaim: cfg.OIDCScopeClaim, RoleMap: roleMap}, store); err != nil {
		return nil, err
	}
	return &Service{rdb: rdb, store: store, outbox: outbox, log: log, app: a, api: api.New(a), accts: accts,
		imps: app.NewImports(a, store, log)}, nil
}

// Register adds the service to srv and teaches srv's resolver the registry's kinds.
func (s *Service) Register(srv *grpcserver.Server) {
	pb.RegisterGovernanceServiceServer(srv.GRPC, s.api)
	pb.RegisterAccountServiceServer(srv.GRPC, api.NewAccounts(s.accts))
	pb.RegisterImportServiceServer(srv.GRPC, api.NewImports(s.imps))
	if srv.Auth != nil {
		teach(srv.Auth.Resolver(), s.store)
		teachImports(srv.Auth.Resolver(), s.store)
		s.accts.SetAncestry(srv.Auth.Resolver().Ancestry)
	}
	s.srv = srv
}

// Start keeps the health status in step with Redis, relays the registry facts written
// with the changes (the outbox) and follows the compound events the survey and projects
// services publish (a compound's status follows its renovation) until ctx ends. The
// stream's consumer group remembers what was handled, so a restart resumes where the
// last run stopped.
func (s *Service) Start(ctx context.Context) {
	if s.srv != nil {
		s.srv.WatchReadiness(ctx, s.store.Ping, 2*time.Second, ServiceName)
	}
	s.watchOverdue(ctx)
	go s.outbox.Run(ctx)
	// One consumer per process (events.ConsumerName); what a dead replica left pending is
	// claimed by a live one, and an event that keeps failing is parked.
	go events.Follow(ctx, s.rdb, s.log, events.CompoundTopic, "governance", s.app.FollowCompoundEvent, events.Options{})
	// Compounds stored before the region statistics existed are counted once.
	go s.app.CountStoredCompounds(ctx)
}
