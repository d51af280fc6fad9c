package storage

import (
	"context"
	"reflect"
	"testing"

	"tongdu/services/governance/internal/registry"
)

// The counters of one compound's count step live in one hash slot, so the step's script
// runs on Redis Cluster.
func TestRegionCountersShareTheRegionsSlot(t *testing.T) {
	keys := []string{countedKey("01JCOMPOUND"), regionStatsKey(""), regionStatsKey("01JDISTRICT"), regionStatsKey("01JSUB"), regionStatsKey("01JCOMMUNITY"), statsCountedKey, regionKey("x")}
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

// Compounds stored before the counters existed are counted once, by the pass at start;
// passes run again (another replica, a restart) count nothing twice, and counting a
// compound again, out of order or not, changes nothing either.
func TestCountStoredCompoundsCountsEachOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	a := compound(t, s, tr, tr.communityA, nil)
	b := compound(t, s, tr, tr.communityB, func(c *registry.Compound) {
		c.Status, c.ManagementType = registry.Renovating, registry.ThreeNone
	})
	bld := building(t, s, b.ID, "1栋", 2)
	if err := s.CreateHouseholds(ctx, b.ID, households(b.ID, bld, "r", 3)); err != nil {
		t.Fatal(err)
	}
	want := map[string]registry.RegionStatistics{}
	for _, r := range []string{"", tr.district.ID, tr.sub.ID, tr.communityA.ID, tr.communityB.ID} {
		st, err := s.RegionStatistics(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		want[r] = st
	}
	if st := want[tr.sub.ID]; st.Compounds != 2 || st.Households != 3 || st.Buildings != 1 ||
		st.ByStatus[registry.Renovating] != 1 || st.ByStatus[registry.Inventoried] != 1 || st.ByManagement[registry.ThreeNone] != 1 {
		t.Fatalf("sub-district counted as %+v", st)
	}

	// As stored by a version without counters: no counters, no record of what they hold.
	keys := []string{statsCountedKey, countedKey(a.ID), countedKey(b.ID)}
	for r := range want {
		keys = append(keys, regionStatsKey(r))
	}
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	for pass := range 3 {
		n, err := s.CountStoredCompounds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if wantN := map[int]int{0: 2}[pass]; n != wantN {
			t.Fatalf("pass %d counted %d compounds, want %d", pass, n, wantN)
		}
		if err := s.RecountCompound(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		for r, w := range want {
			got, err := s.RegionStatistics(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, w) {
				t.Fatalf("pass %d, region %q: %+v, want %+v", pass, r, got, w)
			}
		}
	}
}
