// Command tongdu runs the whole of Tongdu on one machine: the four services, the REST
// gateway and, unless --redis-url is given, a private redis-server keeping its data under
// --data-dir. Ctrl-C stops it cleanly; a restart finds the data again.
//
// `tongdu token --role R [--scope S]` prints a token signed with the data dir's key, for
// local use.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/servicemain"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "token" {
		if err := token(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "tongdu token:", err)
			os.Exit(2)
		}
		return
	}
	servicemain.Main("tongdu", run)
}

func run(ctx context.Context, log *slog.Logger, args []string) error {
	var cfg allinone.Config
	set := config.New("tongdu")
	if err := cfg.Flags(set); err != nil {
		return err
	}
	if err := set.Parse(args); err != nil {
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
	if err := set.Parse(args); err != nil {
		return err
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return fmt.Errorf("--role: %w; one of %s", err, roleList())
	}
	if err := auth.CheckScope(scope); err != nil {
		return fmt.Errorf("--scope: %w", err)
	}
	if scope == "" && r != auth.DistrictAdmin && r != auth.Auditor {
		return fmt.Errorf("--scope: a %s acts within a scope", r)
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

func roleList() string {
	names := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
