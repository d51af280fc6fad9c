package faults

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/datadir"
)

// A second Tongdu on a data dir in use refuses at once, saying why, and the first goes
// on serving with its data intact: the second never starts a redis-server on the first
// one's append-only files.
func TestASecondInstanceOnTheSameDataDirIsRefused(t *testing.T) {
	requireRedisServer(t)
	dir := t.TempDir()
	first := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: dir})
	admin := adminOf(t, first)
	var region struct{ ID string }
	admin.call(t, "POST", "/v1/regions", map[string]any{"name": "东川区", "level": "DISTRICT"}, &region)
	files, err := filepath.Glob(filepath.Join(dir, "redis", "*"))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	began := time.Now()
	second, err := allinone.Start(ctx, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: dir}, testLog(t))
	if err == nil {
		second.Close()
		t.Fatal("a second instance started on a data dir in use")
	}
	if !errors.Is(err, datadir.ErrInUse) {
		t.Fatalf("second instance: %v, want the data dir refused as in use", err)
	}
	t.Logf("refused in %s: %v", time.Since(began).Round(time.Millisecond), err)
	after, _ := filepath.Glob(filepath.Join(dir, "redis", "*"))
	if len(after) != len(files) {
		t.Errorf("the data dir's redis files went from %v to %v", files, after)
	}

	// The first still serves, its data there.
	var got struct{ ID, Name string }
	admin.call(t, "GET", "/v1/regions/"+region.ID, nil, &got)
	if got.Name != "东川区" {
		t.Fatalf("the first instance's region after the refusal: %+v", got)
	}
	if r, err := admin.try("GET", "/readyz", "", nil); err != nil || r.status != http.StatusOK {
		t.Fatalf("the first instance's readiness after the refusal: %v %v", r.status, err)
	}
	// What anyone may read without a token says nothing of where the data lies.
	for _, page := range []string{"/metrics", "/readyz"} {
		r, err := admin.try("GET", page, "", nil)
		if err != nil || r.status != http.StatusOK {
			t.Fatalf("GET %s: %v %v", page, r.status, err)
		}
		if strings.Contains(string(r.body), dir) || strings.Contains(string(r.body), ".sock") {
			t.Errorf("GET %s shows a file path of the data dir %s", page, dir)
		}
	}
}
