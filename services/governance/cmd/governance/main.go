// Command governance runs the governance service alone, as deploy/ does; cmd/tongdu runs
// all four in one process instead.
package main

import (
	"context"

	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	"tongdu/platform/servicemain"
	"tongdu/services/governance"
)

func main() {
	var cfg governance.Config
	var surveyAddr string
	servicemain.Service(servicemain.Spec{
		Name:        "governance",
		DefaultAddr: ":9091",
		Flags: func(s *config.Set) error {
			s.String(&surveyAddr, "survey-addr", "127.0.0.1:9092", "survey service gRPC address")
			return cfg.Flags(s)
		},
		Build: func(_ context.Context, env servicemain.Env) (servicemain.Registrar, func(), error) {
			survey, err := grpcclient.NewWithTimeout(surveyAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				return nil, nil, err
			}
			return governance.New(env.Redis, survey, env.Log, cfg), func() { survey.Close() }, nil
		},
	})
}
