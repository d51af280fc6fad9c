// Command survey runs the survey service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	"tongdu/platform/servicemain"
	"tongdu/services/survey"
)

func main() {
	var cfg survey.Config
	servicemain.Service(servicemain.Spec{
		Name:        "survey",
		DefaultAddr: ":9092",
		Flags:       func(s *config.Set) error { return cfg.Flags(s, "127.0.0.1:9091") },
		Build: func(_ context.Context, rdb redis.UniversalClient, log *slog.Logger) (servicemain.Registrar, func(), error) {
			opt, err := cfg.Options()
			if err != nil {
				return nil, nil, err
			}
			conn, err := grpcclient.New(cfg.GovernanceAddr)
			if err != nil {
				return nil, nil, err
			}
			return survey.New(rdb, conn, log, opt), func() { conn.Close() }, nil
		},
	})
}
