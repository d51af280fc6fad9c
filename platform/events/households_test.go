package events

import (
	"reflect"
	"testing"
)

func TestHouseholdsFieldRoundTrips(t *testing.T) {
	hs := []HouseholdArea{{ID: "01hx1", Area: 7500}, {ID: "01hx2", Area: 0}, {ID: "01hx3", Area: 123456}}
	s := EncodeHouseholds(hs)
	if s != "01hx1:7500,01hx2:0,01hx3:123456" {
		t.Fatalf("encoded %q", s)
	}
	got, err := DecodeHouseholds(s)
	if err != nil || !reflect.DeepEqual(got, hs) {
		t.Fatalf("decoded %v, %v", got, err)
	}
	if got, err := DecodeHouseholds(""); err != nil || got != nil {
		t.Fatalf("empty field: %v, %v", got, err)
	}
	for _, bad := range []string{"h1", "h1:", ":5", "h1:5,,h2:3", "h1:x"} {
		if _, err := DecodeHouseholds(bad); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
}
