package allinone_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/tlsconfig"
)

// The all-in-one's gateway reaches the services in memory, through the same server and
// its interceptors: authentication (401), validation (400 naming the field) and the
// handler all answer as over the network, and no TCP connection to the gRPC port is made
// for it.
func TestGatewayReachesTheServicesInMemory(t *testing.T) {
	app := startApp(t, allinone.Config{})
	checkGateway(t, app)
	if n, ok := connectionsTo(t, app.GRPCAddr()); ok && n > 0 {
		t.Errorf("%d TCP connections to the gRPC port after REST calls; the gateway should call in memory", n)
	}
}

// With TLS on the gRPC port (mutual, here) the in-memory connection makes the same
// handshake with the same client certificate, and REST calls still go through.
func TestGatewayReachesTheServicesInMemoryOverTLS(t *testing.T) {
	app := startApp(t, allinone.Config{TLS: writeTLS(t)})
	checkGateway(t, app)
}

func startApp(t *testing.T, cfg allinone.Config) *allinone.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg.HTTPAddr, cfg.GRPCAddr, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	app, err := allinone.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	t.Cleanup(app.Close)
	return app
}

func checkGateway(t *testing.T, app *allinone.App) {
	t.Helper()
	tok, err := app.Signer().Sign(auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	post := func(token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, app.HTTPBase()+"/v1/regions", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("", `{"name":"锦江区","level":"DISTRICT"}`); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d %s, want 401", code, body)
	}
	// A region needs a name: the server's validation interceptor (the contract's
	// constraints) refuses it, naming the field.
	if code, body := post(tok, `{"name":"","level":"DISTRICT"}`); code != http.StatusBadRequest || !strings.Contains(body, `"field":"region.name"`) {
		t.Errorf("region without a name: %d %s, want 400 naming region.name", code, body)
	}
	if code, body := post(tok, `{"name":"锦江区","level":"DISTRICT"}`); code != http.StatusOK || !strings.Contains(body, `"id"`) {
		t.Errorf("create a district: %d %s, want 200 with its id", code, body)
	}
	resp, err := http.Get(app.HTTPBase() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d, want 200 (health checks go in memory too)", resp.StatusCode)
	}
}

// connectionsTo counts the TCP connections of this machine (this test's process among
// them) whose local end is addr's port, listening sockets left out; ok is false where
// /proc/net/tcp cannot be read.
func connectionsTo(t *testing.T, addr string) (n int, ok bool) {
	t.Helper()
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portText)
	local := fmt.Sprintf(":%04X", port)
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		ok = true
		s := bufio.NewScanner(f)
		for s.Scan() {
			// sl local_address rem_address st …; st 0A is LISTEN.
			fields := strings.Fields(s.Text())
			if len(fields) > 3 && strings.HasSuffix(fields[1], local) && fields[3] != "0A" {
				n++
			}
		}
		f.Close()
	}
	return n, ok
}

// writeTLS writes a CA and a certificate it signs for 127.0.0.1, good for a server and a
// client, and names them as the all-in-one's --tls-* (mutual TLS).
func writeTLS(t *testing.T) tlsconfig.Files {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, IsCA: true, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "tongdu"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := tlsconfig.Files{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	for path, block := range map[string]*pem.Block{
		f.CA: {Type: "CERTIFICATE", Bytes: caDER}, f.Cert: {Type: "CERTIFICATE", Bytes: leafDER}, f.Key: {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}
