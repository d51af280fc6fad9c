package events

import (
	"fmt"
	"strconv"
	"strings"
)

// HouseholdsField is the field of a registry topic event (fact HOUSEHOLDS_CHANGED) that
// carries the households written, so that a service keeping its own copy of who belongs
// to a compound (the survey service checks a response against it in the same step as the
// write) needs no call to governance to learn them. Only what is no personal data goes
// in: the household's id and its exclusive area.
const HouseholdsField = "households"

// HouseholdArea is one household of an event's compound and its exclusive area in
// hundredths of m².
type HouseholdArea struct {
	ID   string
	Area int64
}

// EncodeHouseholds writes households as "id:area,id:area" (ids are the registry's own,
// made of letters and digits, so neither separator can occur in them).
func EncodeHouseholds(hs []HouseholdArea) string {
	var b strings.Builder
	b.Grow(24 * len(hs))
	for i, h := range hs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(h.ID)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(h.Area, 10))
	}
	return b.String()
}

// DecodeHouseholds reads what EncodeHouseholds wrote; an empty field is no households.
func DecodeHouseholds(s string) ([]HouseholdArea, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]HouseholdArea, len(parts))
	for i, p := range parts {
		id, area, ok := strings.Cut(p, ":")
		n, err := strconv.ParseInt(area, 10, 64)
		if !ok || id == "" || err != nil {
			return nil, fmt.Errorf("households field: bad entry %d %q", i, p)
		}
		out[i] = HouseholdArea{ID: id, Area: n}
	}
	return out, nil
}
