package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"tongdu/gateway"
	"tongdu/platform/httpserver"
)

// TestASlowBodyFloodLeavesTheGatewayAnswering: hundreds of clients start a request and
// then trickle its body a byte now and then, as a careless or hostile client would. The
// gateway answers everyone else at once meanwhile, and lets go of each slow connection
// once the request's read timeout has passed, so they cannot pile up.
func TestASlowBodyFloodLeavesTheGatewayAnswering(t *testing.T) {
	log := testLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nowhere := "127.0.0.1:1" // the flood never reaches a service
	gw, err := gateway.New(ctx, gateway.Config{Governance: nowhere, Survey: nowhere, Projects: nowhere, Finance: nowhere, MaxBodyBytes: 1 << 20}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const readTimeout = 500 * time.Millisecond
	served := make(chan error, 1)
	go func() {
		served <- httpserver.ServeListenerWith(ctx, lis, gw.Handler(), log, httpserver.Timeouts{ReadHeader: readTimeout, Read: readTimeout, Idle: time.Second})
	}()
	addr := lis.Addr().String()

	const slow = 300
	conns := make([]net.Conn, 0, slow)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for i := 0; i < slow; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("slow client %d: %v", i, err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /v1/regions HTTP/1.1\r\nHost: tongdu\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"name\":")
	}
	stopTrickle := make(chan struct{})
	defer close(stopTrickle)
	go func() {
		for {
			select {
			case <-stopTrickle:
				return
			case <-time.After(100 * time.Millisecond):
			}
			for _, c := range conns {
				_, _ = c.Write([]byte(" "))
			}
		}
	}()

	// Everyone else is answered at once.
	client := &http.Client{Timeout: 5 * time.Second}
	start := time.Now()
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz during the flood: %v", err)
	}
	resp.Body.Close()
	if took := time.Since(start); resp.StatusCode != http.StatusOK || took > time.Second {
		t.Fatalf("GET /healthz during the flood: status %d after %v, want 200 within a second", resp.StatusCode, took)
	}

	// Each slow connection is let go soon after the read timeout: the server answers (or
	// not) and closes it, so reading it ends instead of waiting.
	held := 0
	deadline := time.Now().Add(readTimeout + 3*time.Second)
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		// EOF or a reset (the server closed with the body unread) is let go; only our
		// own deadline passing means the server still holds the connection.
		var ne net.Error
		if _, err := io.Copy(io.Discard, c); errors.As(err, &ne) && ne.Timeout() {
			held++
		}
	}
	if held > 0 {
		t.Fatalf("%d of %d slow connections were still held %v after the read timeout of %v", held, slow, 3*time.Second, readTimeout)
	}
	t.Logf("%d slow clients: /healthz answered in %v; every slow connection let go", slow, time.Since(start).Round(time.Millisecond))
}
