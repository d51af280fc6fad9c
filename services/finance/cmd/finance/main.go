// Command finance runs the finance service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/servicemain"
	"tongdu/services/finance"
)

func main() {
	servicemain.Service(servicemain.Spec{
		Name:        "finance",
		DefaultAddr: ":9094",
		Build: func(_ context.Context, rdb redis.UniversalClient, log *slog.Logger) (servicemain.Registrar, func(), error) {
			return finance.New(rdb, log), nil, nil
		},
	})
}
