package api

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// contributionsPosted counts households' contributions posted to a ledger, not retries
// replayed from their request id: one per payment received. Made from the global meter,
// which forwards to the provider platform/telemetry installs.
var contributionsPosted, _ = otel.Meter("tongdu/services/finance").Int64Counter("tongdu.contributions",
	metric.WithDescription("households' contributions posted (replays of a request id not counted)"))
