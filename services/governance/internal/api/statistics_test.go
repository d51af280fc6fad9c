package api_test

import (
	"maps"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// statsOf reads a region's statistics as maps, for comparing.
func (e env) statsOf(t *testing.T, region string) (totals [3]int64, status map[pb.Compound_Status]int64, mgmt map[pb.Compound_ManagementType]int64, entered map[[2]int32]int64) {
	t.Helper()
	st := testkit.Must[*pb.RegionStatistics](t)(e.GetRegionStatistics(bg, &pb.GetRegionStatisticsRequest{Id: region}))
	if len(st.ByStatus) != 6 || len(st.ByManagementType) != 6 {
		t.Fatalf("every status and management type is listed: %v", st)
	}
	status, mgmt, entered = map[pb.Compound_Status]int64{}, map[pb.Compound_ManagementType]int64{}, map[[2]int32]int64{}
	for _, s := range st.ByStatus {
		if s.Compounds != 0 {
			status[s.Status] = s.Compounds
		}
	}
	for _, m := range st.ByManagementType {
		if m.Compounds != 0 {
			mgmt[m.ManagementType] = m.Compounds
		}
	}
	for _, y := range st.EnteredByYear {
		entered[[2]int32{y.Year, int32(y.Status)}] = y.Compounds
	}
	return [3]int64{st.Compounds, st.Households, st.Buildings}, status, mgmt, entered
}

// directCount counts the compounds under a region by listing them all, as the counters
// must agree with.
func (e env) directCount(t *testing.T, region string) (totals [3]int64, status map[pb.Compound_Status]int64, mgmt map[pb.Compound_ManagementType]int64) {
	t.Helper()
	status, mgmt = map[pb.Compound_Status]int64{}, map[pb.Compound_ManagementType]int64{}
	token := ""
	for {
		got := testkit.Must[*pb.ListCompoundsResponse](t)(e.ListCompounds(bg, &pb.ListCompoundsRequest{RegionId: region, PageToken: token, PageSize: 2}))
		for _, c := range got.Compounds {
			totals[0]++
			totals[1] += int64(c.HouseholdCount)
			totals[2] += int64(c.BuildingCount)
			status[c.Status]++
			mgmt[c.ManagementType]++
		}
		if token = got.NextPageToken; token == "" {
			return totals, status, mgmt
		}
	}
}

func TestRegionStatisticsFollowTheCompounds(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	year := int32(time.Now().In(time.FixedZone("CST", 8*3600)).Year())

	a1 := e.compound(t, "幸福里", tr.communityA.Id)
	a2 := e.compound(t, "红星院坝", tr.communityA.Id)
	b1 := e.compound(t, "石羊路21号", tr.communityB.Id)
	c1 := e.compound(t, "光明巷", tr.comC.Id)

	// Buildings and households registered count in every region above.
	bld := e.building(t, b1.Id, "1栋", 6)
	hs, _ := dwellings(bld.Id, 7)
	testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: b1.Id, Households: hs, RequestId: "stats-h1"}))
	// A replay of the same set counts nothing twice.
	testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: b1.Id, Households: hs, RequestId: "stats-h1"}))
	e.building(t, c1.Id, "A座", 2)

	// Classification (rule 1) moves the management type counts.
	testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: a1.Id, GovernanceMode: pb.Compound_SELF_GOVERNANCE, DecidedBy: "社区党委"}))
	testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: b1.Id, GovernanceMode: pb.Compound_SELF_GOVERNANCE, DecidedBy: "社区党委"}))
	// Status moves follow the other services' facts; a fact delivered twice counts once.
	for range 2 {
		for _, c := range []*pb.Compound{a2, b1} {
			if err := e.app.FollowCompoundEvent(bg, "1-0", map[string]string{"compound": c.Id, "fact": "NEEDS_SURVEY_OPENED"}); err != nil {
				t.Fatal(err)
			}
		}
	}

	check := func(t *testing.T, region string, wantTotals [3]int64, wantStatus map[pb.Compound_Status]int64, wantMgmt map[pb.Compound_ManagementType]int64) {
		t.Helper()
		totals, status, mgmt, entered := e.statsOf(t, region)
		if totals != wantTotals {
			t.Errorf("%s: compounds, households, buildings = %v, want %v", region, totals, wantTotals)
		}
		if !maps.Equal(status, wantStatus) {
			t.Errorf("%s: by status %v, want %v", region, status, wantStatus)
		}
		if !maps.Equal(mgmt, wantMgmt) {
			t.Errorf("%s: by management type %v, want %v", region, mgmt, wantMgmt)
		}
		// Every compound entered INVENTORIED when registered this year; SURVEYING entries
		// are the compounds now surveying.
		if entered[[2]int32{year, int32(pb.Compound_INVENTORIED)}] != wantTotals[0] || entered[[2]int32{year, int32(pb.Compound_SURVEYING)}] != wantStatus[pb.Compound_SURVEYING] {
			t.Errorf("%s: entered by year %v", region, entered)
		}
		// The counters agree with a direct count of the compounds.
		dTotals, dStatus, dMgmt := e.directCount(t, region)
		if dTotals != totals || !maps.Equal(dStatus, status) || !maps.Equal(dMgmt, mgmt) {
			t.Errorf("%s: counters %v %v %v, a direct count %v %v %v", region, totals, status, mgmt, dTotals, dStatus, dMgmt)
		}
	}
	t.Run("a community", func(t *testing.T) {
		check(t, tr.communityA.Id, [3]int64{2, 0, 0},
			map[pb.Compound_Status]int64{pb.Compound_INVENTORIED: 1, pb.Compound_SURVEYING: 1},
			map[pb.Compound_ManagementType]int64{pb.Compound_THREE_NONE: 1, pb.Compound_MANAGEMENT_TYPE_UNSPECIFIED: 1})
	})
	t.Run("a sub-district adds its communities", func(t *testing.T) {
		check(t, tr.subA.Id, [3]int64{3, 7, 1},
			map[pb.Compound_Status]int64{pb.Compound_INVENTORIED: 1, pb.Compound_SURVEYING: 2},
			map[pb.Compound_ManagementType]int64{pb.Compound_THREE_NONE: 2, pb.Compound_MANAGEMENT_TYPE_UNSPECIFIED: 1})
	})
	t.Run("the district adds everything", func(t *testing.T) {
		check(t, tr.district.Id, [3]int64{4, 7, 2},
			map[pb.Compound_Status]int64{pb.Compound_INVENTORIED: 2, pb.Compound_SURVEYING: 2},
			map[pb.Compound_ManagementType]int64{pb.Compound_THREE_NONE: 2, pb.Compound_MANAGEMENT_TYPE_UNSPECIFIED: 2})
	})
	t.Run("an empty community has zeros", func(t *testing.T) {
		empty := e.region(t, "空社区", pb.Region_COMMUNITY, tr.subB.Id)
		check(t, empty.Id, [3]int64{}, map[pb.Compound_Status]int64{}, map[pb.Compound_ManagementType]int64{})
	})
	t.Run("an unknown region is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetRegionStatistics(bg, &pb.GetRegionStatisticsRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}
