// Command projects runs the projects service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/servicemain"
	"tongdu/services/projects"
)

func main() {
	servicemain.Service("projects", ":9093", func(rdb redis.UniversalClient, log *slog.Logger) servicemain.Registrar {
		return projects.New(rdb, log)
	})
}
