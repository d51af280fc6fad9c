// Command finance runs the finance service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/servicemain"
	"tongdu/services/finance"
)

func main() {
	servicemain.Service("finance", ":9094", func(rdb redis.UniversalClient, log *slog.Logger) servicemain.Registrar {
		return finance.New(rdb, log)
	})
}
