package app

import (
	"sort"
	"testing"
)

func TestNaturalOrder(t *testing.T) {
	got := []string{"10栋", "2栋", "1栋", "A", "3-10", "3-2", ""}
	sort.Slice(got, func(i, j int) bool { return naturalLess(got[i], got[j]) })
	want := []string{"", "1栋", "2栋", "3-2", "3-10", "10栋", "A"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %q, want %q", got, want)
		}
	}
}
