package dated_test

import (
	"testing"
	"time"

	"tongdu/platform/dated"
	"tongdu/platform/fault"
)

func TestAt(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	before := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name      string
		at, after time.Time
		want      time.Time
		refused   bool
	}{
		{"none given: now", time.Time{}, before, now, false},
		{"after the fact", before.AddDate(0, 1, 0), before, before.AddDate(0, 1, 0), false},
		{"a little ahead: clocks differ", now.Add(30 * time.Second), time.Time{}, now.Add(30 * time.Second), false},
		{"in the future", now.Add(time.Hour), time.Time{}, time.Time{}, true},
		{"before what it follows", before.Add(-time.Hour), before, time.Time{}, true},
	} {
		got, err := dated.At(c.at, now, c.after, "effectiveTime", "the plan")
		if c.refused {
			if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "effectiveTime" {
				t.Errorf("%s: %v, want a violation on effectiveTime", c.name, err)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}
