package main

import (
	"bytes"
	"strings"
	"testing"
)

// An unknown word is a usage error (exit 2), never a server start; help lists the
// commands; each command answers --help without running.
func TestDispatch(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help"}, 0, "token"},
		{[]string{"--help"}, 0, "serve"},
		{[]string{"help", "token"}, 0, "-role"},
		{[]string{"token", "--help"}, 0, "-scope"},
		{[]string{"demo", "--help"}, 0, "-grpc-addr"},
		{[]string{"serve", "--help"}, 0, "-data-dir"},
		{[]string{"--help"}, 0, "demo"},
		{[]string{"token", "--role", "NOBODY"}, 2, "unknown role"},
		{[]string{"token", "--data-dir", t.TempDir(), "--role", "DISTRICT_ADMIN", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"token", "--data-dir", t.TempDir(), "--role", "COMMUNITY_STAFF"}, 2, "acts within a scope"},
	} {
		var out bytes.Buffer
		code := dispatch(c.args, &out)
		if code != c.code || !strings.Contains(out.String(), c.out) {
			t.Errorf("tongdu %s: exit %d, output %q; want exit %d and %q", strings.Join(c.args, " "), code, out.String(), c.code, c.out)
		}
	}
}
