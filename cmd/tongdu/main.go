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
	"tongdu/cmd/tongdu/demo"
	"tongdu/platform/auth"
	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
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
	if len(os.Args) > 1 && os.Args[1] == "demo" {
		if err := loadDemo(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "tongdu demo:", err)
			os.Exit(1)
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

// loadDemo fills a running Tongdu with the demo district, as its administrator.
func loadDemo(args []string) error {
	var dataDir, grpcAddr string
	set := config.New("tongdu demo")
	set.String(&dataDir, "data-dir", "./data", "data dir of the running Tongdu (its key signs the loader's token)")
	set.String(&grpcAddr, "grpc-addr", "127.0.0.1:9090", "gRPC address of the running Tongdu")
	if err := set.Parse(args); err != nil {
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
	conn, err := grpcclient.New(grpcAddr)
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
