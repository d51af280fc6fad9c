package opsport

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestServeProfilesAndMetrics: each page is served where it was added and nowhere else,
// and stop closes the port.
func TestServeProfilesAndMetrics(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	profAddr, metricsAddr := free(), free()
	for _, p := range []struct {
		addr string
		add  func(*http.ServeMux)
	}{{profAddr, Profiles}, {metricsAddr, Metrics}} {
		mux := http.NewServeMux()
		p.add(mux)
		stop, err := Serve(context.Background(), p.addr, "test", mux, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + profAddr + "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("profiles index: %d %.200s", code, body)
	}
	if code, body := get("http://" + profAddr + "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile: %d %.200s", code, body)
	}
	if code, _ := get("http://" + profAddr + "/metrics"); code != 404 {
		t.Errorf("/metrics on the profiles port: %d, want 404", code)
	}
	if code, _ := get("http://" + metricsAddr + "/metrics"); code != 200 {
		t.Errorf("/metrics: %d", code)
	}
	if code, _ := get("http://" + metricsAddr + "/debug/pprof/"); code != 404 {
		t.Errorf("profiles on the metrics port: %d, want 404", code)
	}
}

// TestServeRefusesABusyAddress: a port already taken is an error at start, not a
// silent absence of the page.
func TestServeRefusesABusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Serve(context.Background(), l.Addr().String(), "test", http.NewServeMux(), slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("Serve on a taken address succeeded")
	}
}
