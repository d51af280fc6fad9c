// Command web runs the console alone, in front of services that run elsewhere, behind
// the same ingress as the REST gateway (the ingress sends the API's paths to the
// gateway and the rest here: one origin, so one session cookie serves both).
package main

import (
	"context"
	"log/slog"
	"os"

	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	"tongdu/platform/httpserver"
	"tongdu/platform/servicemain"
	"tongdu/platform/tlsconfig"
	"tongdu/web"
)

func main() {
	servicemain.Main("web", os.Args[1:], run)
}

func run(ctx context.Context, log *slog.Logger, args []string) error {
	var wc web.Config
	var httpAddr string
	var peerTLS tlsconfig.Files
	cfg := config.New("web")
	cfg.String(&httpAddr, "http-addr", ":8081", "HTTP listen address")
	cfg.String(&wc.Governance, "governance-addr", "127.0.0.1:9091", "governance service gRPC address")
	cfg.String(&wc.Survey, "survey-addr", "127.0.0.1:9092", "survey service gRPC address")
	cfg.String(&wc.Projects, "projects-addr", "127.0.0.1:9093", "projects service gRPC address")
	cfg.String(&wc.Finance, "finance-addr", "127.0.0.1:9094", "finance service gRPC address")
	if err := cfg.Duration(&wc.CallTimeout, "call-timeout", grpcclient.DefaultTimeout, "longest wait for a service's answer"); err != nil {
		return err
	}
	cfg.String(&peerTLS.CA, "tls-ca", "", "CA that signs the services' certificates (TLS to the services)")
	cfg.String(&peerTLS.Cert, "tls-cert", "", "client certificate for mutual TLS (PEM)")
	cfg.String(&peerTLS.Key, "tls-key", "", "client key for mutual TLS (PEM)")
	if err := cfg.Parse(args); err != nil {
		return err
	}
	log.Info("configuration", "settings", cfg.Effective())
	var err error
	if wc.Dial, err = tlsconfig.Client(peerTLS); err != nil {
		return err
	}
	console, err := web.New(ctx, wc, log)
	if err != nil {
		return err
	}
	defer console.Close()
	return httpserver.Serve(ctx, httpAddr, console.Handler(), log)
}
