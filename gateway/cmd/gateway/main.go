// Command gateway runs the REST gateway alone, in front of services that run elsewhere.
package main

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"tongdu/gateway"
	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	"tongdu/platform/httpserver"
	"tongdu/platform/servicemain"
	"tongdu/platform/telemetry"
	"tongdu/platform/tlsconfig"
)

func main() {
	servicemain.Main("gateway", os.Args[1:], run)
}

func run(ctx context.Context, log *slog.Logger, args []string) error {
	var gc gateway.Config
	var httpAddr, origins, jwks, audience, open311Keys, open311KeyDir string
	var maxBody int
	var peerTLS tlsconfig.Files
	cfg := config.New("gateway")
	cfg.String(&httpAddr, "http-addr", ":8080", "HTTP listen address")
	cfg.String(&gc.Governance, "governance-addr", "127.0.0.1:9091", "governance service gRPC address")
	cfg.String(&gc.Survey, "survey-addr", "127.0.0.1:9092", "survey service gRPC address")
	cfg.String(&gc.Projects, "projects-addr", "127.0.0.1:9093", "projects service gRPC address")
	cfg.String(&gc.Finance, "finance-addr", "127.0.0.1:9094", "finance service gRPC address")
	cfg.String(&origins, "cors-origins", "", "comma-separated browser origins allowed to call the API (* for any)")
	if err := cfg.Int(&maxBody, "max-body-bytes", gateway.DefaultMaxBodyBytes, "largest request body accepted"); err != nil {
		return err
	}
	cfg.String(&jwks, "jwks", "", "JWKS file or URL whose keys sign the callers' tokens (required)")
	cfg.String(&audience, "audience", auth.Audience, "audience tokens must carry")
	if err := cfg.Float(&gc.RateLimit, "rate-limit", 50, "requests per second per caller (0: no limit)"); err != nil {
		return err
	}
	if err := cfg.Duration(&gc.CallTimeout, "call-timeout", grpcclient.DefaultTimeout, "longest wait for a service's answer (then 504)"); err != nil {
		return err
	}
	cfg.String(&open311Keys, "open311-keys", "", "Open311 apps' keys as app=SHA-256 hex of the key, comma-separated")
	cfg.String(&open311KeyDir, "open311-signing-key-dir", "", "dir of the key that signs the Open311 facade's tokens (created on first use; the services must trust it); empty: no Open311 facade")
	cfg.String(&peerTLS.CA, "tls-ca", "", "CA that signs the services' certificates (TLS to the services)")
	cfg.String(&peerTLS.Cert, "tls-cert", "", "client certificate for mutual TLS (PEM)")
	cfg.String(&peerTLS.Key, "tls-key", "", "client key for mutual TLS (PEM)")
	if err := cfg.Parse(args); err != nil {
		return err
	}
	log.Info("configuration", "settings", cfg.Effective())
	gc.MaxBodyBytes = int64(maxBody)
	verifier, _, err := auth.Setup(ctx, auth.Keys{JWKS: jwks, Audience: audience})
	if err != nil {
		return err
	}
	gc.Verifier = verifier
	if gc.Open311.Keys, err = gateway.ParseOpen311Keys(open311Keys); err != nil {
		return err
	}
	if open311KeyDir != "" {
		if gc.Open311.Signer, _, err = auth.LocalKeys(open311KeyDir); err != nil {
			return err
		}
	}
	if gc.Dial, err = tlsconfig.Client(peerTLS); err != nil {
		return err
	}
	if origins != "" {
		gc.CORSOrigins = strings.Split(origins, ",")
	}
	gc.Metrics = telemetry.Handler()
	gw, err := gateway.New(ctx, gc, log)
	if err != nil {
		return err
	}
	defer gw.Close()
	return httpserver.Serve(ctx, httpAddr, gw.Handler(), log)
}
