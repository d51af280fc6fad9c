// Package dated checks the dates of record (rule 15): what is entered after the fact
// carries when it happened, which may not lie in the future nor before what it follows.
// Plain Go, for the domain packages of every service.
package dated

import (
	"fmt"
	"time"

	"tongdu/platform/fault"
)

// Zone is the district's clock, China Standard Time (UTC+8 all year, no daylight
// saving): the days people write, the years reports count and the times spreadsheets
// show are its, whatever zone a server runs in.
var Zone = time.FixedZone("CST", 8*3600)

// ClockSkew is how far ahead of the server's clock a time of record may lie: the
// office's machine and the server never agree to the second.
const ClockSkew = time.Minute

// At is when something entered at now happened: at, or now when at is zero. It may not
// lie in the future, nor before after, the time of what it follows (named by follows;
// zero after: nothing). A refusal is bad input on field.
func At(at, now, after time.Time, field, follows string) (time.Time, error) {
	if at.IsZero() {
		at = now
	}
	if at.After(now.Add(ClockSkew)) {
		return time.Time{}, fault.Field(field, fmt.Sprintf("%s lies in the future; give when it happened", at.Format(time.RFC3339)))
	}
	if !after.IsZero() && at.Before(after) {
		return time.Time{}, fault.Field(field, fmt.Sprintf("%s is before %s (%s); give a time after it", at.Format(time.RFC3339), follows, after.Format(time.RFC3339)))
	}
	return at, nil
}
