// Command projects runs the projects service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/servicemain"
	"tongdu/services/projects"
)

func main() {
	servicemain.Service(servicemain.Spec{
		Name:        "projects",
		DefaultAddr: ":9093",
		Build: func(_ context.Context, rdb redis.UniversalClient, log *slog.Logger) (servicemain.Registrar, func(), error) {
			return projects.New(rdb, log), nil, nil
		},
	})
}
