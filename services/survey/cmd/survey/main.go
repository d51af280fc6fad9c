// Command survey runs the survey service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"context"

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
		Build: func(_ context.Context, env servicemain.Env) (servicemain.Registrar, func(), error) {
			opt, err := cfg.Options()
			if err != nil {
				return nil, nil, err
			}
			conn, err := grpcclient.NewWithTimeout(cfg.GovernanceAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				return nil, nil, err
			}
			return survey.New(env.Redis, conn, env.Log, opt), func() { conn.Close() }, nil
		},
	})
}
