// Command finance runs the finance service alone, as deploy/ does; cmd/tongdu runs all
// four in one process instead.
package main

import (
	"context"

	"tongdu/platform/config"
	"tongdu/platform/grpcclient"
	"tongdu/platform/servicemain"
	"tongdu/services/finance"
)

func main() {
	var projectsAddr, governanceAddr, surveyAddr string
	servicemain.Service(servicemain.Spec{
		Name:        "finance",
		DefaultAddr: ":9094",
		Flags: func(s *config.Set) error {
			s.String(&projectsAddr, "projects-addr", "127.0.0.1:9093", "projects service gRPC address")
			s.String(&governanceAddr, "governance-addr", "127.0.0.1:9091", "governance service gRPC address")
			s.String(&surveyAddr, "survey-addr", "127.0.0.1:9092", "survey service gRPC address")
			return nil
		},
		Build: func(_ context.Context, env servicemain.Env) (servicemain.Registrar, func(), error) {
			projects, err := grpcclient.NewWithTimeout(projectsAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				return nil, nil, err
			}
			governance, err := grpcclient.NewWithTimeout(governanceAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				projects.Close()
				return nil, nil, err
			}
			survey, err := grpcclient.NewWithTimeout(surveyAddr, env.CallTimeout, env.Dial...)
			if err != nil {
				projects.Close()
				governance.Close()
				return nil, nil, err
			}
			closeAll := func() { projects.Close(); governance.Close(); survey.Close() }
			return finance.New(env.Redis, projects, governance, survey, env.Log), closeAll, nil
		},
	})
}
