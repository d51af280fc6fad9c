// Command governance runs the governance service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/servicemain"
	"tongdu/services/governance"
)

func main() {
	servicemain.Service(servicemain.Spec{
		Name:        "governance",
		DefaultAddr: ":9091",
		Build: func(_ context.Context, rdb redis.UniversalClient, log *slog.Logger) (servicemain.Registrar, func(), error) {
			return governance.New(rdb, log), nil, nil
		},
	})
}
