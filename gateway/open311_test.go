package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// The facade keeps only the hashes of its apps' keys; a key names its app, anything
// else names none.
func TestOpen311KeysNameTheirApps(t *testing.T) {
	hash := func(key string) string { s := sha256.Sum256([]byte(key)); return hex.EncodeToString(s[:]) }
	keys, err := ParseOpen311Keys(" street-app=" + hash("k1") + ",bus-app=" + strings.ToUpper(hash("k2")) + ",")
	if err != nil {
		t.Fatal(err)
	}
	o := &open311{cfg: Open311{Keys: keys}}
	for key, want := range map[string]string{"k1": "street-app", "k2": "bus-app", "k3": "", "": "", hash("k1"): ""} {
		if got, ok := o.app(key); got != want || ok != (want != "") {
			t.Errorf("key %q names %q (%v), want %q", key, got, ok, want)
		}
	}
	for _, bad := range []string{"street-app", "Street=" + hash("k1"), "a/b=" + hash("k1"), "app=abc", "app=" + hash("k1") + "00"} {
		if _, err := ParseOpen311Keys(bad); err == nil {
			t.Errorf("%q was taken", bad)
		}
	}
}
