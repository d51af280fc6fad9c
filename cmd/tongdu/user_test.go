package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/redisproc"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// userAddRun runs tongdu user add with args and password on standard input.
func userAddRun(t *testing.T, password string, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	stdin, stdout = strings.NewReader(password), &o
	defer func(i io.Reader, o io.Writer) { stdin, stdout = i, o }(stdin, stdout)
	code = dispatch(append([]string{"user", "add"}, args...), &e)
	return code, o.String(), e.String()
}

// A new install gets its first administrator at the machine, without a token: user add on
// a fresh data dir makes the account, which then signs in on the Tongdu started there;
// a weak password and a taken login are refused, saying why, and write nothing; with the
// Tongdu running, user add writes into its Redis through the data dir's socket.
func TestUserAddMakesTheFirstAdministrator(t *testing.T) {
	if !redisproc.Available() {
		t.Skip("no redis-server on PATH")
	}
	dir := t.TempDir()
	const pass = "a long passphrase"
	admin := []string{"--data-dir", dir, "--login", "Admin", "--role", "DISTRICT_ADMIN", "--password-stdin"}

	code, out, errOut := userAddRun(t, pass+"\n", admin...)
	if code != 0 || !strings.Contains(out, "login admin") || !strings.Contains(out, "created account ") {
		t.Fatalf("user add: exit %d, out %q, err %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, pass) {
		t.Fatalf("user add printed the password: %q %q", out, errOut)
	}
	code, _, errOut = userAddRun(t, "short\n", "--data-dir", dir, "--login", "weak", "--role", "DISTRICT_ADMIN", "--password-stdin")
	if code != 1 || !strings.Contains(errOut, "password must be at least 12 characters") {
		t.Fatalf("short password: exit %d, err %q", code, errOut)
	}
	code, _, errOut = userAddRun(t, "another long passphrase\n", admin...)
	if code != 1 || !strings.Contains(errOut, `an account with login "admin" already exists`) {
		t.Fatalf("second user add of the login: exit %d, err %q", code, errOut)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: dir},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	defer app.Close()
	conn, err := grpc.NewClient(app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	accts := pb.NewAccountServiceClient(conn)
	s, err := accts.CreateSession(ctx, &pb.CreateSessionRequest{Login: "admin", Password: pass})
	if err != nil {
		t.Fatalf("sign in as the administrator user add made: %v", err)
	}
	if s.GetToken() == "" || s.GetAccount().GetRole() != "DISTRICT_ADMIN" || s.GetAccount().GetScope() != "" {
		t.Fatalf("session: token %q, account %+v", s.GetToken(), s.GetAccount())
	}
	if _, err := accts.CreateSession(ctx, &pb.CreateSessionRequest{Login: "weak", Password: "short"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("sign in as the refused account: %v, want Unauthenticated", err)
	}

	// With Tongdu running on the dir, user add goes to its Redis.
	code, out, errOut = userAddRun(t, "staff passphrase here\r\n", "--data-dir", dir, "--login", "li.wei", "--display-name", "Li Wei",
		"--role", "SUBDISTRICT_STAFF", "--scope", "regions/r1", "--password-stdin")
	if code != 0 || !strings.Contains(out, "login li.wei") {
		t.Fatalf("user add beside a running Tongdu: exit %d, out %q, err %q", code, out, errOut)
	}
	s, err = accts.CreateSession(ctx, &pb.CreateSessionRequest{Login: "li.wei", Password: "staff passphrase here"})
	if err != nil || s.GetAccount().GetRole() != "SUBDISTRICT_STAFF" || s.GetAccount().GetScope() != "regions/r1" {
		t.Fatalf("sign in as the account added beside the running Tongdu: %v %+v", err, s.GetAccount())
	}
}

// user add's command line: the password only from standard input, a role that is one,
// never RESIDENT, an unknown subcommand a usage error.
func TestUserAddCommandLine(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args  []string
		stdin string
		code  int
		out   string
	}{
		{[]string{"user", "--help"}, "", 0, "add"},
		{[]string{"user", "add", "--help"}, "", 0, "-password-stdin"},
		{[]string{"help", "user"}, "", 0, "add"},
		{[]string{"--help"}, "", 0, "user"},
		{[]string{"user"}, "", 2, "subcommands:"},
		{[]string{"user", "frobnicate"}, "", 2, `unknown subcommand "frobnicate"`},
		{[]string{"user", "add", "--data-dir", dir, "--login", "admin", "--role", "DISTRICT_ADMIN"}, "a long passphrase\n", 2, "--password-stdin is required"},
		{[]string{"user", "add", "--data-dir", dir, "--role", "DISTRICT_ADMIN", "--password-stdin"}, "a long passphrase\n", 2, "--login is required"},
		{[]string{"user", "add", "--data-dir", dir, "--login", "admin", "--role", "KING", "--password-stdin"}, "a long passphrase\n", 2, "unknown role"},
		{[]string{"user", "add", "--data-dir", dir, "--login", "admin", "--role", "DISTRICT_ADMIN", "--password-stdin"}, "", 1, "no password on standard input"},
	} {
		var out bytes.Buffer
		keepIn, keepOut := stdin, stdout
		stdin, stdout = strings.NewReader(c.stdin), io.Discard
		code := dispatch(c.args, &out)
		stdin, stdout = keepIn, keepOut
		if code != c.code || !strings.Contains(out.String(), c.out) {
			t.Errorf("tongdu %s: exit %d, output %q; want exit %d and %q", strings.Join(c.args, " "), code, out.String(), c.code, c.out)
		}
	}
	if !redisproc.Available() {
		return
	}
	code, _, errOut := userAddRun(t, "a long passphrase\n", "--data-dir", dir, "--login", "resident", "--role", "RESIDENT", "--password-stdin")
	if code != 1 || !strings.Contains(errOut, "role residents sign in with their household's access code") {
		t.Errorf("user add of a RESIDENT: exit %d, err %q", code, errOut)
	}
}
