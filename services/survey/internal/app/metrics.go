package app

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"tongdu/services/survey/internal/opinion"
)

// responsesRecorded counts responses the store took (new or replacing a household's
// earlier one), not retries it replayed nor older collections it ignored: it follows the
// statistics. It is made from the global meter, which platform/telemetry sets up; the
// global meter forwards to the provider installed later, so a package variable is fine.
var responsesRecorded, _ = otel.Meter("tongdu/services/survey").Int64Counter("tongdu.responses.recorded",
	metric.WithDescription("survey responses recorded (new or replacing a household's earlier one)"))

// countRecorded adds the responses of one submission that changed the statistics.
func countRecorded(ctx context.Context, outcomes []opinion.Outcome) {
	var n int64
	for _, o := range outcomes {
		if o == opinion.Recorded || o == opinion.Replaced {
			n++
		}
	}
	if n > 0 {
		responsesRecorded.Add(ctx, n)
	}
}

// householdsLearned counts households a response's check had to ask governance about,
// because the survey's electorate did not hold them (electorate.go): near zero when the
// registry's events reach the survey service, as they should.
var householdsLearned, _ = otel.Meter("tongdu/services/survey").Int64Counter("tongdu.survey.households_learned",
	metric.WithDescription("households a response's check asked governance about, missing from the survey's own copy"))
