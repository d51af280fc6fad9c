package servicemain

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/grpcserver"
)

// Service is a built service.
type Service interface {
	// Register adds the service's gRPC server to srv, teaches srv's resolver the kinds of
	// resource the service owns and keeps its health status in step with its store. It
	// starts no background work.
	Register(srv *grpcserver.Server)
	// Start runs the service's background work (loops, event consumers) until ctx ends.
	// It returns at once.
	Start(ctx context.Context)
}

// Module is what a service offers the binaries that run it: its own main (Run) and the
// all-in-one build every service from its Module, the same way.
type Module struct {
	// Name is the service's short name ("survey"): the binary's, and the peer name
	// others know it by.
	Name string
	// DefaultAddr is the gRPC listen address when the service runs alone.
	DefaultAddr string
	// Policy says who may call each of the service's methods.
	Policy auth.Policy
	// Peers are the services it calls. Run alone it dials each at --<name>-addr; the
	// all-in-one gives it its own gRPC port.
	Peers []Peer
	// Flags declares the service's own settings (nil: none). Names must not clash with
	// another service's: the all-in-one declares every service's on one set.
	Flags func(*config.Set) error
	// Build makes the service once the settings are parsed.
	Build func(Env) (Service, error)
}

// Peer is a service another one calls, and where it listens when run alone.
type Peer struct {
	Name        string
	DefaultAddr string
}

// Env is what a service is built with.
type Env struct {
	Redis redis.UniversalClient
	Log   *slog.Logger
	// Peers are the connections to the module's peers, by peer name.
	Peers map[string]grpc.ClientConnInterface
	// Signer signs Tongdu's own tokens (sign-in) when the process has a signing key
	// (the all-in-one's data dir, or --signing-key-dir); nil otherwise.
	Signer *auth.Signer
}

// Policies merges the policies of the modules (and the infrastructure's).
func Policies(ms ...*Module) auth.Policy {
	ps := make([]auth.Policy, len(ms))
	for i, m := range ms {
		ps[i] = m.Policy
	}
	return auth.Merge(ps...)
}
