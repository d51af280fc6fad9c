// Command tongdu runs the whole of Tongdu on one machine and helps around it:
//
//	tongdu [serve] [flags]   the four services, the REST gateway and, unless --redis-url is
//	                         given, a private redis-server keeping its data under --data-dir
//	tongdu demo [flags]      loads the demo district into a running Tongdu
//	tongdu token [flags]     prints a token signed with the data dir's key
//	tongdu user add [flags]  makes a staff account, the password read from standard input
//	tongdu import [flags] FILE  previews a register (.xlsx or CSV) and with --confirm applies it
//
// Each command takes --help. Ctrl-C stops serve cleanly; a restart finds the data again.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/cmd/tongdu/demo"
	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	"tongdu/platform/servicemain"
)

// command is one subcommand of tongdu.
type command struct {
	name, summary string
	run           func(args []string) error
}

// commands are tongdu's subcommands, in the order the usage lists them.
var commands = []command{
	{"serve", "run Tongdu: the four services, the REST gateway and a private redis-server (the default)", serve},
	{"demo", "load the demo district (Shiyang Road No. 21 and a synthetic sub-district) into a running Tongdu", loadDemo},
	{"token", "print a bearer token signed with the data dir's key, for district systems and scripts", token},
	{"user", "staff accounts made at the machine: user add (the first administrator of a new install)", userCmd},
	{"import", "preview (and with --confirm apply) a household register or compound inventory from .xlsx or CSV", importFile},
}

func main() { os.Exit(dispatch(os.Args[1:], os.Stderr)) }

// helpOut is where usage and flag errors go (os.Stderr; a buffer in tests).
var helpOut io.Writer = os.Stderr

// dispatch runs the subcommand args name and returns the exit code: 0, 1 when the
// command failed, 2 when the command line was wrong.
func dispatch(args []string, stderr io.Writer) int {
	helpOut = stderr
	name, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	if name == "help" && len(rest) > 0 {
		return dispatch([]string{rest[0], "--help"}, stderr)
	}
	if name == "help" || len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		usage(stderr)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(rest)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "tongdu %s: %v\n", name, err)
			return 2
		}
		fmt.Fprintf(stderr, "tongdu %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stderr, "tongdu: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: tongdu <command> [flags]   (tongdu <command> --help for its flags)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

// usageError is a command line that makes no sense (exit code 2).
type usageError struct{ error }

// parse parses a subcommand's flags; words left over are a usage error.
func parse(set *config.Set, args []string) error {
	set.SetOutput(helpOut)
	if err := set.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if extra := set.Args(); len(extra) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", extra[0])}
	}
	return nil
}

// serve runs Tongdu until SIGINT or SIGTERM.
func serve(args []string) error {
	var err error
	servicemain.Main("tongdu", args, func(ctx context.Context, log *slog.Logger, args []string) error {
		err = run(ctx, log, args)
		return err
	})
	return err
}

func run(ctx context.Context, log *slog.Logger, args []string) error {
	var cfg allinone.Config
	set := config.New("tongdu serve")
	if err := cfg.Flags(set); err != nil {
		return err
	}
	if err := parse(set, args); err != nil {
		return err
	}
	log.Info("configuration", "settings", set.Effective())
	app, err := allinone.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- app.Wait() }()
	select {
	case <-ctx.Done():
		log.Info("stopping")
		app.Close()
		return nil
	case err := <-done:
		app.Close()
		return err
	}
}

// token prints a token signed with the data dir's key (created if missing).
func token(args []string) error {
	var dataDir, role, scope, subject, audience string
	var ttl time.Duration
	set := config.New("tongdu token")
	set.String(&dataDir, "data-dir", "./data", "data dir whose key signs the token")
	set.String(&role, "role", "", "role: "+roleList())
	set.String(&scope, "scope", "", "resource the role acts within: regions/ID, compounds/ID, households/ID, projects/ID or departments/ID")
	set.String(&subject, "subject", "", "who the token is for (default: the role, lower case)")
	set.String(&audience, "audience", auth.Audience, "audience the token carries")
	if err := set.Duration(&ttl, "ttl", 12*time.Hour, "how long the token is valid"); err != nil {
		return err
	}
	if err := parse(set, args); err != nil {
		return err
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return usageError{fmt.Errorf("--role: %w; one of %s", err, roleList())}
	}
	if err := auth.CheckScope(scope); err != nil {
		return usageError{fmt.Errorf("--scope: %w", err)}
	}
	if scope == "" && r != auth.DistrictAdmin && r != auth.Auditor {
		return usageError{fmt.Errorf("--scope: a %s acts within a scope", r)}
	}
	if subject == "" {
		subject = strings.ToLower(role)
	}
	_, signer, err := auth.Setup(context.Background(), auth.Keys{DataDir: dataDir, Audience: audience})
	if err != nil {
		return err
	}
	t, err := signer.Sign(auth.Principal{Subject: subject, Role: r, Scope: scope}, ttl)
	if err != nil {
		return err
	}
	fmt.Println(t)
	return nil
}

// loadDemo fills a running Tongdu with the demo district, as its administrator.
func loadDemo(args []string) error {
	var dataDir, grpcAddr string
	set := config.New("tongdu demo")
	set.String(&dataDir, "data-dir", "./data", "data dir of the running Tongdu (its key signs the loader's token)")
	set.String(&grpcAddr, "grpc-addr", "127.0.0.1:9090", "gRPC address of the running Tongdu")
	if err := parse(set, args); err != nil {
		return err
	}
	_, signer, err := auth.Setup(context.Background(), auth.Keys{DataDir: dataDir})
	if err != nil {
		return err
	}
	tok, err := signer.Sign(auth.Principal{Subject: "demo-loader", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		return err
	}
	conn, err := grpcclient.New(grpcAddr, grpcclient.PaceToLimits())
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sum, err := demo.Load(ctx, conn, tok, slog.Default())
	if err != nil {
		return err
	}
	if sum.AlreadyLoaded {
		fmt.Printf("the demo district is there already (district %s); nothing changed\n", sum.DistrictID)
		return nil
	}
	fmt.Printf("loaded in %s: %d regions, %d compounds, %d households, %d party branches, %d linked units, %d party members, %d surveys with %d responses, %d projects, %d whistles\n",
		sum.Elapsed.Round(time.Millisecond), sum.Regions, sum.Compounds, sum.Households, sum.Branches, sum.LinkedUnits, sum.PartyMembers, sum.Surveys, sum.Responses, sum.Projects, sum.Whistles)
	fmt.Printf("district %s; Shiyang Road No. 21: compound %s, project %s\n", sum.DistrictID, sum.StoryCompoundID, sum.StoryProjectID)
	return nil
}

func roleList() string {
	names := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
