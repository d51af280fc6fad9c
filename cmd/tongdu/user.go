package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/datadir"
	"tongdu/platform/fault"
	"tongdu/platform/logging"
	"tongdu/platform/redisconn"
	"tongdu/platform/redisproc"
	"tongdu/services/governance"
)

// stdin and stdout are the process's (a buffer in tests).
var (
	stdin  io.Reader = os.Stdin
	stdout io.Writer = os.Stdout
)

// userCommands are the subcommands of tongdu user.
var userCommands = []command{
	{"add", "make a staff account (the first administrator of a new install), the password read from standard input", userAdd},
}

// userCmd runs tongdu user <subcommand>: staff accounts, made at the machine without a
// token (the operator there is trusted).
func userCmd(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		userUsage(helpOut)
		if len(args) == 0 {
			return usageError{errors.New("a subcommand is needed")}
		}
		return flag.ErrHelp
	}
	for _, c := range userCommands {
		if c.name == args[0] {
			return c.run(args[1:])
		}
	}
	userUsage(helpOut)
	return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
}

func userUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: tongdu user <subcommand> [flags]   (tongdu user <subcommand> --help for its flags)")
	fmt.Fprintln(w, "\nsubcommands:")
	for _, c := range userCommands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

// userAdd makes a staff account in the data dir's Redis (or --redis-url's) through the
// governance service's own rules, as the operator at the machine.
func userAdd(args []string) error {
	var dataDir, redisURL, login, displayName, role, scope string
	var fromStdin bool
	set := config.New("tongdu user add")
	set.String(&dataDir, "data-dir", "./data", "data dir of the Tongdu the account is for (its private Redis)")
	set.String(&redisURL, "redis-url", "", "Redis URL of a Tongdu on an external Redis (empty: the data dir's private redis-server)")
	set.String(&login, "login", "", "the account's login: 3 to 64 of letters, digits, '.', '_', '@' and '-'")
	set.String(&displayName, "display-name", "", "the account's display name (default: the login)")
	set.String(&role, "role", "", "role: "+roleList()+" (not RESIDENT)")
	set.String(&scope, "scope", "", "resource the role acts within: regions/ID, compounds/ID, ... (empty: the whole district, DISTRICT_ADMIN and AUDITOR only)")
	if err := set.Bool(&fromStdin, "password-stdin", false, "read the password from standard input, one line (required: never from a flag or the environment)"); err != nil {
		return err
	}
	if err := parse(set, args); err != nil {
		return err
	}
	if login == "" {
		return usageError{errors.New("--login is required")}
	}
	if role == "" {
		return usageError{fmt.Errorf("--role is required: one of %s", roleList())}
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return usageError{fmt.Errorf("--role: %w; one of %s", err, roleList())}
	}
	if !fromStdin {
		return usageError{errors.New("--password-stdin is required: the password is read from standard input (e.g. echo 'a long passphrase' | tongdu user add ...), never from a flag")}
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	if displayName == "" {
		displayName = login
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := logging.New(os.Stderr, "tongdu-user", slog.LevelWarn)
	rdb, done, err := openStore(ctx, dataDir, redisURL, log)
	if err != nil {
		return err
	}
	defer done()
	id, stored, err := governance.AddAccount(ctx, rdb, log, governance.NewAccount{
		Login: login, DisplayName: displayName, Role: r, Scope: scope, Password: password, CreatedBy: "cli:" + osUser(),
	})
	if err != nil {
		return explain(err, login)
	}
	where := scope
	if where == "" {
		where = "the whole district"
	}
	fmt.Fprintf(stdout, "created account %s: login %s, role %s, scope %s\n", id, stored, r, where)
	return nil
}

// readPassword reads one line: the line end is not part of it, any other character is.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input (one line expected)")
	}
	return line, nil
}

// openStore connects to where the data lives: --redis-url; else the data dir's private
// redis-server, started here for the write when no Tongdu runs on the dir, or the running
// Tongdu's, through its unix socket. done closes what was opened and started.
func openStore(ctx context.Context, dataDir, redisURL string, log *slog.Logger) (redis.UniversalClient, func(), error) {
	if redisURL != "" {
		rdb, err := redisconn.Open(ctx, redisURL, log)
		if err != nil {
			return nil, nil, err
		}
		return rdb, func() { _ = rdb.Close() }, nil
	}
	// The same folder as the all-in-one's private Redis (allinone.App.store).
	dir := filepath.Join(dataDir, "redis")
	release, err := datadir.Lock(dataDir)
	if errors.Is(err, datadir.ErrInUse) {
		// A Tongdu runs on the dir: its redis-server is the one to write to.
		socket, err := filepath.Abs(filepath.Join(dir, "redis.sock"))
		if err != nil {
			return nil, nil, err
		}
		if _, err := os.Stat(socket); err != nil {
			return nil, nil, fmt.Errorf("a Tongdu is running on %s but its Redis is not at %s (started with --redis-url? give the same --redis-url)", dataDir, socket)
		}
		rdb, err := redisconn.Open(ctx, "unix://"+socket, log)
		if err != nil {
			return nil, nil, err
		}
		return rdb, func() { _ = rdb.Close() }, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !redisproc.Available() {
		release()
		return nil, nil, fmt.Errorf("%w: install redis-server (apt-get install -y redis-server) or give --redis-url", redisproc.ErrNotInstalled)
	}
	// Persistent like the all-in-one's; every write on disk before it is acknowledged,
	// as this server lives only for the one write.
	srv, err := redisproc.Start(ctx, redisproc.Options{Dir: dir, Persistent: true, Fsync: "always"})
	if err != nil {
		release()
		return nil, nil, err
	}
	rdb, err := redisconn.Open(ctx, srv.URL(), log)
	if err != nil {
		srv.Stop()
		release()
		return nil, nil, err
	}
	return rdb, func() { _ = rdb.Close(); srv.Stop(); release() }, nil
}

// explain says what was wrong in the operator's words: every rule the account broke, or
// that the login is taken.
func explain(err error, login string) error {
	f, ok := fault.As(err)
	if !ok {
		return err
	}
	if f.Kind == fault.Exists {
		return fmt.Errorf("an account with login %q already exists (%s)", strings.ToLower(strings.TrimSpace(login)), f.Reason)
	}
	if vs := fault.ViolationsOf(err); len(vs) > 0 {
		var b strings.Builder
		b.WriteString("refused:")
		for _, v := range vs {
			field := v.Field
			if field == "displayName" {
				field = "display name"
			}
			fmt.Fprintf(&b, "\n  %s %s", field, v.Description)
		}
		return errors.New(b.String())
	}
	return err
}

// osUser names the operator at the machine.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}
