// Command projects runs the projects service alone, as deploy/ does; cmd/tongdu runs all
// four in one process instead.
package main

import (
	"context"

	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	"tongdu/platform/servicemain"
	"tongdu/services/projects"
)

func main() {
	var cfg projects.Config
	servicemain.Service(servicemain.Spec{
		Name:        "projects",
		DefaultAddr: ":9093",
		Flags:       func(s *config.Set) error { cfg.Flags(s, true); return nil },
		Build: func(_ context.Context, env servicemain.Env) (servicemain.Registrar, func(), error) {
			th, err := cfg.Thresholds()
			if err != nil {
				return nil, nil, err
			}
			survey, err := grpcclient.NewWithTimeout(cfg.SurveyAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				return nil, nil, err
			}
			finance, err := grpcclient.NewWithTimeout(cfg.FinanceAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				survey.Close()
				return nil, nil, err
			}
			governance, err := grpcclient.NewWithTimeout(cfg.GovernanceAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				survey.Close()
				finance.Close()
				return nil, nil, err
			}
			closeAll := func() { survey.Close(); finance.Close(); governance.Close() }
			return projects.New(env.Redis, survey, finance, governance, env.Log, th), closeAll, nil
		},
	})
}
