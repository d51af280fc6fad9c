// Command governance runs the governance service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/servicemain"
	"tongdu/services/governance"
)

func main() {
	servicemain.Service("governance", ":9091", func(rdb redis.UniversalClient, log *slog.Logger) servicemain.Registrar {
		return governance.New(rdb, log)
	})
}
