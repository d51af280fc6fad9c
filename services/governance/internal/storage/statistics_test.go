package storage

import (
	"testing"
)

// The counters of one compound's count step live in one hash slot, so the step's script
// runs on Redis Cluster.
func TestRegionCountersShareTheRegionsSlot(t *testing.T) {
	keys := []string{countedKey("01JCOMPOUND"), regionStatsKey(""), regionStatsKey("01JDISTRICT"), regionStatsKey("01JSUB"), regionStatsKey("01JCOMMUNITY"), regionKey("x")}
	for _, k := range keys {
		if tag(k) != "regions" {
			t.Errorf("%s is outside the regions' slot", k)
		}
	}
}

// tag is a key's hash tag, which decides its cluster slot.
func tag(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					return key[i+1 : j]
				}
			}
		}
	}
	return key
}
