package jsonname

import (
	"reflect"
	"testing"
)

func TestFromProto(t *testing.T) {
	for in, want := range map[string]string{
		"compound.build_year":             "compound.buildYear",
		"households[3].exclusive_area_m2": "households[3].exclusiveAreaM2",
		"name":                            "name",
		"buildYear":                       "buildYear",
	} {
		if got := FromProto(in); got != want {
			t.Errorf("FromProto(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskPathsDropsVersionFields(t *testing.T) {
	got := MaskPaths([]string{"id", "build_year", "etag", "heritage_notes"})
	if want := []string{"buildYear", "heritageNotes"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
