package view

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestYuanAndCount(t *testing.T) {
	for fen, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 123456789: "¥1,234,567.89", -100000: "-¥1,000.00", 42700000: "¥427,000.00"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
	if got := Count(2749); got != "2,749" {
		t.Errorf("Count(2749) = %q", got)
	}
	if got := Percent(0.6667); got != "66.7%" {
		t.Errorf("Percent = %q", got)
	}
}

// A date is the district's (UTC+8): 20:00 UTC on 30 June is already 1 July there.
func TestDateIsTheDistricts(t *testing.T) {
	ts := timestamppb.New(time.Date(2021, 6, 30, 20, 0, 0, 0, time.UTC))
	if got := Date(ts); got != "2021-07-01" {
		t.Errorf("Date = %q", got)
	}
	if got := Date(nil); got != "" {
		t.Errorf("Date(nil) = %q", got)
	}
}
