// Command tongdu runs the whole of Tongdu on one machine: the four services, the REST
// gateway and, unless --redis-url is given, a private redis-server keeping its data under
// --data-dir. Ctrl-C stops it cleanly; a restart finds the data again.
package main

import (
	"context"
	"log/slog"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/config"
	"tongdu/platform/servicemain"
)

func main() {
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
