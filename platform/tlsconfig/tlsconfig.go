// Package tlsconfig reads the certificate files of TLS, and mutual TLS, between
// Tongdu's services and the gateway.
package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Files names the PEM files of one side. A server needs Cert and Key, and with CA asks
// clients for certificates signed by it (mutual TLS). A client needs CA to trust the
// server, and Cert and Key when the server asks for a client certificate.
type Files struct {
	Cert, Key, CA string
}

// Enabled reports whether any file is named.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

func pool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no certificate found", path)
	}
	var ders [][]byte
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			ders = append(ders, b.Bytes)
		}
	}
	loaded(path, ders)
	return p, nil
}

// keyPair loads a certificate and its key, and reports the certificate's expiry.
func keyPair(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err == nil {
		loaded(certFile, cert.Certificate)
	}
	return cert, err
}

// Server returns the server credentials for f, or nil when f names no file.
func Server(f Files) (credentials.TransportCredentials, error) {
	if !f.Enabled() {
		return nil, nil
	}
	cert, err := keyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		if cfg.ClientCAs, err = pool(f.CA); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return credentials.NewTLS(cfg), nil
}

// Client returns the dial option for f, or none when f names no file.
func Client(f Files) ([]grpc.DialOption, error) {
	if !f.Enabled() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var err error
	if f.CA != "" {
		if cfg.RootCAs, err = pool(f.CA); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
	}
	if f.Cert != "" {
		cert, err := keyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}, nil
}
