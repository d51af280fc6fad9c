package opinion

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
)

func TestDeficitCountsPoorOneFairHalfGoodNothing(t *testing.T) {
	cases := []struct {
		name       string
		conditions []Condition
		want       float64
	}{
		{"no assessment: no known deficit", nil, 0},
		{"only unassessed facilities", []Condition{ConditionUnspecified}, 0},
		{"all poor", []Condition{Poor, Poor}, 1},
		{"all good", []Condition{Good, Good, Good}, 0},
		{"all fair", []Condition{Fair}, 0.5},
		{"one poor of two", []Condition{Poor, Good}, 0.5},
		{"poor, fair, good, good", []Condition{Poor, Fair, Good, Good}, 0.375},
		{"unassessed facilities are left out of the share", []Condition{Poor, ConditionUnspecified}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Deficit(c.conditions); got != c.want {
				t.Fatalf("deficit %v, want %v", got, c.want)
			}
		})
	}
}

func TestWeightsCheck(t *testing.T) {
	cases := []struct {
		name string
		w    Weights
		ok   bool
	}{
		{"rule 4's weights", DefaultWeights, true},
		{"other weights that sum to 1", Weights{0.5, 0.3, 0.2}, true},
		{"all on deficit", Weights{1, 0, 0}, true},
		{"a negative weight", Weights{0.6, 0.6, -0.2}, false},
		{"weights summing to less than 1", Weights{0.4, 0.35, 0.2}, false},
		{"weights summing to more than 1", Weights{0.5, 0.5, 0.25}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.w.Check(); (err == nil) != c.ok {
				t.Fatalf("Check() = %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestScoreWeighsTheThreeTermsOfRule4(t *testing.T) {
	cases := []struct {
		name                string
		deficit, will, part float64
		want                float64
	}{
		{"nothing", 0, 0, 0, 0},
		{"everything", 1, 1, 1, 1},
		{"deficit alone", 1, 0, 0, 0.40},
		{"willingness alone", 0, 1, 0, 0.35},
		{"participation alone", 0, 0, 1, 0.25},
		{"a mix", 0.25, 0.5, 0.5, 0.40},
		{"another mix", 0.5, 0.75, 0.8, 0.6625},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DefaultWeights.Score(c.deficit, c.will, c.part); got != c.want {
				t.Fatalf("score %v, want %v", got, c.want)
			}
		})
	}
}

func TestScoreOfEqualSumsIsEqualSoTheTieRulesDecide(t *testing.T) {
	// 0.40·1 and 0.40·0.25 + 0.35·0.5 + 0.25·0.5 are both 0.4, but not in binary floating
	// point without rounding.
	a := DefaultWeights.Score(1, 0, 0)
	b := DefaultWeights.Score(0.25, 0.5, 0.5)
	if a != b {
		t.Fatalf("scores %v and %v differ; the tie rules would never apply", a, b)
	}
}

func TestAheadOrdersByScoreThenOlderBuildYearThenNameThenID(t *testing.T) {
	want := []RankEntry{
		{CompoundID: "c9", Name: "Zeta", BuildYear: 2005, Score: 0.9},
		{CompoundID: "c5", Name: "Omega", BuildYear: 1978, Score: 0.6},
		{CompoundID: "c4", Name: "Alpha", BuildYear: 1985, Score: 0.6},
		{CompoundID: "c1", Name: "Beta", BuildYear: 1985, Score: 0.6}, // same name and year: by id
		{CompoundID: "c3", Name: "Beta", BuildYear: 1985, Score: 0.6},
		{CompoundID: "c7", Name: "Alpha", BuildYear: 0, Score: 0.6}, // unknown year last
		{CompoundID: "c8", Name: "幸福小区", BuildYear: 1990, Score: 0.2},
		{CompoundID: "c6", Name: "幸福小区二期", BuildYear: 1990, Score: 0.2},
	}
	for i := 0; i < 20; i++ {
		got := slices.Clone(want)
		rand.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		sort.Slice(got, func(i, j int) bool { return Ahead(got[i], got[j]) })
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("order\n got %v\nwant %v", ids(got), ids(want))
		}
	}
}

func ids(es []RankEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.CompoundID
	}
	return out
}

func TestTieKeyOrdersAsStrings(t *testing.T) {
	cases := []struct {
		name         string
		first, later RankEntry
	}{
		{"older build year first", RankEntry{Name: "Z", BuildYear: 1960}, RankEntry{Name: "A", BuildYear: 1961}},
		{"a known year before an unknown one", RankEntry{Name: "Z", BuildYear: 2020}, RankEntry{Name: "A", BuildYear: 0}},
		{"a known year before a nonsense one", RankEntry{Name: "Z", BuildYear: 2020}, RankEntry{Name: "A", BuildYear: -5}},
		{"then by name", RankEntry{Name: "A", BuildYear: 1990}, RankEntry{Name: "B", BuildYear: 1990}},
		{"a name before its extensions", RankEntry{Name: "A", BuildYear: 1990, CompoundID: "z"}, RankEntry{Name: "AA", BuildYear: 1990, CompoundID: "a"}},
		{"then by id", RankEntry{Name: "A", BuildYear: 1990, CompoundID: "a"}, RankEntry{Name: "A", BuildYear: 1990, CompoundID: "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !(TieKey(c.first) < TieKey(c.later)) || !Ahead(c.first, c.later) || Ahead(c.later, c.first) {
				t.Fatalf("%q does not rank before %q", TieKey(c.first), TieKey(c.later))
			}
		})
	}
}

func TestDecideIdea(t *testing.T) {
	submitted := Idea{ID: "i1", Status: Submitted, CreateTime: t0}
	t.Run("adopting keeps the remarks", func(t *testing.T) {
		got, err := Decide(submitted, true, "into the 2025 plan", t1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != Adopted || got.AdoptRemarks != "into the 2025 plan" || got.DecideTime != t1 {
			t.Fatalf("adopted %+v", got)
		}
	})
	t.Run("adopting needs no remarks", func(t *testing.T) {
		if _, err := Decide(submitted, true, "", t1); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("declining needs the reason", func(t *testing.T) {
		_, err := Decide(submitted, false, "", t1)
		wantField(t, err, "reason")
	})
	t.Run("declining keeps the reason", func(t *testing.T) {
		got, err := Decide(submitted, false, "the wall is a listed heritage wall", t1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != Declined || got.DeclineReason == "" || got.DecideTime != t1 {
			t.Fatalf("declined %+v", got)
		}
	})
	t.Run("a decided idea stays decided", func(t *testing.T) {
		for _, st := range []IdeaStatus{Adopted, Declined} {
			decided := submitted
			decided.Status = st
			if _, err := Decide(decided, true, "", t1); !errors.Is(err, ErrWrongState) {
				t.Fatalf("%v: got %v, want ErrWrongState", st, err)
			}
			if _, err := Decide(decided, false, "why", t1); !errors.Is(err, ErrWrongState) {
				t.Fatalf("%v: got %v, want ErrWrongState", st, err)
			}
		}
	})
}

func TestCloseMeeting(t *testing.T) {
	open := Meeting{ID: "m1", State: MeetingOpen, Attendees: []string{"h1"}, Minutes: "draft", Decisions: []string{"d0"}}
	t.Run("what the close states replaces what the meeting had", func(t *testing.T) {
		got, err := CloseMeeting(open, []string{"h1", "h2"}, "final minutes", []string{"paint the stairwells"}, t1)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != MeetingClosed || got.CloseTime != t1 || len(got.Attendees) != 2 || got.Minutes != "final minutes" || got.Decisions[0] != "paint the stairwells" {
			t.Fatalf("closed %+v", got)
		}
	})
	t.Run("what the close leaves empty stays", func(t *testing.T) {
		got, err := CloseMeeting(open, nil, "", nil, t1)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Attendees, open.Attendees) || got.Minutes != "draft" || !reflect.DeepEqual(got.Decisions, open.Decisions) {
			t.Fatalf("closed %+v", got)
		}
	})
	t.Run("a closed meeting does not close again", func(t *testing.T) {
		closed := open
		closed.State = MeetingClosed
		if _, err := CloseMeeting(closed, nil, "more", nil, t1); !errors.Is(err, ErrWrongState) {
			t.Fatalf("got %v, want ErrWrongState", err)
		}
	})
}
