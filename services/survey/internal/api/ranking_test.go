package api_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"tongdu/platform/testkit"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

const (
	good = govpb.Facility_GOOD
	fair = govpb.Facility_FAIR
	poor = govpb.Facility_POOR
)

type ranked struct {
	name                                       string
	deficit, willingness, participation, score float64
}

func (e *env) ranking(t *testing.T, region string, size int32, token string) *pb.Ranking {
	t.Helper()
	return testkit.Must[*pb.Ranking](t)(e.GetRanking(bg, &pb.GetRankingRequest{RegionId: region, PageSize: size, PageToken: token}))
}

func names(r *pb.Ranking) []string {
	var out []string
	for _, en := range r.Entries {
		out = append(out, en.CompoundName)
	}
	return out
}

// TestRankingOrdersCompoundsByRule4 ranks compounds with different deficits, willingness
// and participation; equal scores go to the older compound, then by name, an unknown
// build year last. Each term is shown.
func TestRankingOrdersCompoundsByRule4(t *testing.T) {
	e := start(t)
	tr := e.tree(t)

	// 乙小区: nothing broken, everyone wants it: 0.35 + 0.25 = 0.60.
	yi := e.compound(t, "乙小区", tr.comA.Id, 1990, good, good)
	yiHs := e.households(t, yi.Id, 6000, 6000, 6000, 6000)
	yiSv := e.open(t, yi.Id, pb.Survey_NEEDS, 0)
	for _, h := range yiHs {
		e.submit(t, yiSv.Id, response(h, answer("wants", "yes")))
	}
	// 丙小区: deficit 0.25, half responded, half of them willing:
	// 0.40·0.25 + 0.35·0.5 + 0.25·0.5 = 0.40, equal to 甲小区's, but older.
	bing := e.compound(t, "丙小区", tr.comB.Id, 1980, fair, good)
	bingHs := e.households(t, bing.Id, 6000, 6000, 6000, 6000)
	bingSv := e.open(t, bing.Id, pb.Survey_NEEDS, 0)
	e.submit(t, bingSv.Id, response(bingHs[0], answer("wants", "yes")))
	e.submit(t, bingSv.Id, response(bingHs[1], answer("wants", "no")))
	// 甲小区: everything poor, no survey: 0.40.
	e.compound(t, "甲小区", tr.comA.Id, 1985, poor, poor, poor)
	// Three compounds with nothing known: 0 each; by name, the unknown year last.
	e.compound(t, "B座小区", tr.comA.Id, 2000)
	e.compound(t, "A座小区", tr.comB.Id, 2000)
	e.compound(t, "AAA未知年代", tr.comA.Id, 0)

	want := []ranked{
		{"乙小区", 0, 1, 1, 0.60},
		{"丙小区", 0.25, 0.5, 0.5, 0.40},
		{"甲小区", 1, 0, 0, 0.40},
		{"A座小区", 0, 0, 0, 0},
		{"B座小区", 0, 0, 0, 0},
		{"AAA未知年代", 0, 0, 0, 0},
	}
	r := e.ranking(t, tr.district.Id, 0, "")
	if r.Weights.Deficit != 0.40 || r.Weights.Willingness != 0.35 || r.Weights.Participation != 0.25 {
		t.Fatalf("weights %v", r.Weights)
	}
	var got []ranked
	for i, en := range r.Entries {
		if en.Rank != int32(i+1) {
			t.Fatalf("entry %d has rank %d", i, en.Rank)
		}
		got = append(got, ranked{en.CompoundName, en.Deficit, en.Willingness, en.Participation, en.Score})
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ranking\n got %v\nwant %v", got, want)
	}
	if r.Entries[0].SurveyId != yiSv.Id || r.Entries[1].SurveyId != bingSv.Id || r.Entries[2].SurveyId != "" || r.Entries[0].BuildYear != 1990 {
		t.Fatalf("entries %v", r.Entries)
	}

	t.Run("a region's ranking holds the compounds under it", func(t *testing.T) {
		if got := names(e.ranking(t, tr.subA.Id, 0, "")); !reflect.DeepEqual(got, []string{"乙小区", "甲小区", "B座小区", "AAA未知年代"}) {
			t.Fatalf("sub-district A: %v", got)
		}
		if got := names(e.ranking(t, tr.comB.Id, 0, "")); !reflect.DeepEqual(got, []string{"丙小区", "A座小区"}) {
			t.Fatalf("community B: %v", got)
		}
	})
	t.Run("pages continue the ranks", func(t *testing.T) {
		first := e.ranking(t, tr.district.Id, 4, "")
		if len(first.Entries) != 4 || first.NextPageToken == "" {
			t.Fatalf("first page %v", first)
		}
		second := e.ranking(t, tr.district.Id, 4, first.NextPageToken)
		if got := names(second); !reflect.DeepEqual(got, []string{"B座小区", "AAA未知年代"}) || second.Entries[0].Rank != 5 || second.NextPageToken != "" {
			t.Fatalf("second page %v", second)
		}
	})
	t.Run("a read counts the responses answered before it", func(t *testing.T) {
		// 丙小区: all four respond, three willing: 0.10 + 0.2625 + 0.25 = 0.6125.
		e.submit(t, bingSv.Id, response(bingHs[2], answer("wants", "yes")))
		e.submit(t, bingSv.Id, response(bingHs[3], answer("wants", "yes")))
		r := e.ranking(t, tr.district.Id, 0, "")
		if got := names(r); got[0] != "丙小区" || got[1] != "乙小区" || r.Entries[0].Score != 0.6125 {
			t.Fatalf("after more responses: %v", r.Entries[:2])
		}
	})
	t.Run("an unknown region is refused", func(t *testing.T) {
		_, err := e.GetRanking(bg, &pb.GetRankingRequest{RegionId: "nowhere"})
		testkit.WantViolation(t, err, "regionId")
	})
}

// TestResponsesMoveTheRankingWithoutARead: responses only mark their compound; the
// ranking loop moves it within RankingDelay even when nobody reads the ranking (here the
// store is watched directly, as GetRanking would move it itself), from the compound's
// stored entry and the survey's tally, without asking the registry.
func TestResponsesMoveTheRankingWithoutARead(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 6000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	if r := e.ranking(t, tr.comA.Id, 0, ""); len(r.Entries) != 1 || r.Entries[0].Participation != 0 {
		t.Fatalf("before responses: %v", r.Entries)
	}
	e.submit(t, sv.Id, response(hs[0], answer("wants", "yes")))
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, _, err := e.store.RankPage(bg, tr.comA.Id, opinion.WaitingStatuses, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 1 && entries[0].Participation == 0.5 && entries[0].Willingness == 1 {
			// The loop acts for no caller: it must not have needed the registry.
			if logs := e.logs.String(); strings.Contains(logs, "ranking not moved") {
				t.Fatalf("the ranking loop failed on the way:\n%s", logs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after a response the stored ranking still says %v", entries)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConcurrentFirstReadsBuildTheRankingOnce: sixteen readers of a ranking nobody has
// built yet read the registry's compounds once between them, and all see the same page.
func TestConcurrentFirstReadsBuildTheRankingOnce(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	for i := range 5 {
		e.compound(t, fmt.Sprintf("院%d", i), tr.comA.Id, int32(1980+i), poor)
	}
	pages := make([][]string, 16)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.GetRanking(bg, &pb.GetRankingRequest{RegionId: tr.district.Id})
			if err != nil {
				t.Error(err)
				return
			}
			pages[i] = names(r)
		}()
	}
	wg.Wait()
	if n := e.registry.regionReads.Load(); n != 1 {
		t.Errorf("the registry's compounds were read %d times for one first build, want 1", n)
	}
	for i, p := range pages {
		if len(p) != 5 || !reflect.DeepEqual(p, pages[0]) {
			t.Errorf("reader %d saw %v, reader 0 %v", i, p, pages[0])
		}
	}
}

// TestRankingTiesOfEqualYearGoByName: ten compounds alike in all but name.
func TestRankingTiesOfEqualYearGoByName(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	var want []string
	for i := 9; i >= 0; i-- {
		e.compound(t, fmt.Sprintf("小区%02d", i), tr.comA.Id, 1995, fair)
	}
	for i := 0; i < 10; i++ {
		want = append(want, fmt.Sprintf("小区%02d", i))
	}
	r := e.ranking(t, tr.comA.Id, 0, "")
	if got := names(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("ranking %v, want %v", got, want)
	}
	for _, en := range r.Entries {
		if en.Score != 0.2 || en.Deficit != 0.5 {
			t.Fatalf("entry %v", en)
		}
	}

}

// TestRankingParticipationAgreesWithTheSurveyStats: rule 4's participation is responding
// households / all households, the same share GetSurveyStats reports. Households
// registered after the NEEDS survey opened count in both once the ranking is rebuilt
// from the registry (here: its first build).
func TestRankingParticipationAgreesWithTheSurveyStats(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 6000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	e.households(t, c.Id, 6000, 6000) // registered after the survey opened
	for _, h := range hs {
		e.submit(t, sv.Id, response(h, answer("wants", "yes")))
	}
	st := e.stats(t, sv.Id)
	r := e.ranking(t, tr.district.Id, 0, "")
	if st.Participation != 0.5 || len(r.Entries) != 1 || r.Entries[0].Participation != st.Participation {
		t.Errorf("stats say participation %v (%d of %d households); the ranking says %v",
			st.Participation, st.RespondedHouseholds, st.TotalHouseholds, r.Entries[0].Participation)
	}

	// The ranking is built now; more households are registered and one more answers. The
	// read re-ranks the compound with the registry's count, not the stored entry's.
	more := e.households(t, c.Id, 6000, 6000, 6000, 6000)
	e.submit(t, sv.Id, response(more[0], answer("wants", "yes")))
	time.Sleep(50 * time.Millisecond) // let the loop move it first, from the stored entry
	st = e.stats(t, sv.Id)
	r = e.ranking(t, tr.district.Id, 0, "")
	if st.Participation != 3.0/8 || len(r.Entries) != 1 || r.Entries[0].Participation != st.Participation {
		t.Errorf("after more households: stats say participation %v (%d of %d households); the ranking says %v",
			st.Participation, st.RespondedHouseholds, st.TotalHouseholds, r.Entries[0].Participation)
	}
}
