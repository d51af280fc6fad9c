// Command survey runs the survey service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/servicemain"
	"tongdu/services/survey"
)

func main() {
	servicemain.Service("survey", ":9092", func(rdb redis.UniversalClient, log *slog.Logger) servicemain.Registrar {
		return survey.New(rdb, log)
	})
}
