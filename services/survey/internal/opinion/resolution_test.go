package opinion

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"tongdu/platform/fault"
)

// ballot is one household's vote and its exclusive area in hundredths of m².
type ballot struct {
	choice string
	area   int64
}

// tallyOf counts ballots the way the store does: by the responses' contributions.
func tallyOf(s *Survey, ballots ...ballot) Tally {
	t := Tally{}
	for _, b := range ballots {
		r := Response{Area: b.area, Answers: []Answer{choose("vote", b.choice)}}
		for _, d := range Contribution(s, &r) {
			t[d.Counter] += d.Amount
		}
	}
	return t
}

func repeat(n int, b ballot) []ballot {
	out := make([]ballot, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func concat(bs ...[]ballot) []ballot {
	var out []ballot
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

var qualifiedMatters = []Matter{Renovation, MaintenanceFund, CommonPartBusiness}

func TestResolveAtTheEdgesOfRule3(t *testing.T) {
	agree100, disagree100, abstain100 := ballot{"agree", 10000}, ballot{"disagree", 10000}, ballot{"abstain", 10000}
	type edge struct {
		name          string
		electorate    Electorate
		ballots       []ballot
		participation bool
		consent       bool
	}
	qualified := []edge{
		{"exactly 2/3 of households and area voting meets the quorum", Electorate{3, 30000}, repeat(2, agree100), true, true},
		{"one household fewer than 2/3 misses the quorum, though the area is exactly 2/3", Electorate{9, 90000}, repeat(5, ballot{"agree", 12000}), false, true},
		{"exactly 6 of 9 households meets the quorum", Electorate{9, 90000}, repeat(6, agree100), true, true},
		{"2/3 of households but one hundredth of a m² under 2/3 of the area misses the quorum", Electorate{3, 30000}, []ballot{{"agree", 10000}, {"agree", 9999}}, false, true},
		{"2/3 of the area but under 2/3 of households misses the quorum", Electorate{4, 40000}, []ballot{{"agree", 30000}, {"agree", 1000}}, false, true},
		{"exactly 3/4 consent by households and by area passes", Electorate{4, 40000}, concat(repeat(3, agree100), repeat(1, disagree100)), true, true},
		{"exactly 3/4 consent by households but under 3/4 by area fails", Electorate{4, 40000}, []ballot{{"agree", 9000}, {"agree", 9000}, {"agree", 9000}, {"disagree", 10000}}, true, false},
		{"exactly 3/4 consent by area but under 3/4 by households fails", Electorate{8, 80000}, []ballot{{"agree", 40000}, {"agree", 10000}, {"agree", 10000}, {"disagree", 6666}, {"disagree", 6667}, {"disagree", 6667}}, true, false},
		{"exactly 3/4 by households and one hundredth of a m² under 3/4 by area fails", Electorate{4, 40000}, []ballot{{"agree", 10000}, {"agree", 10000}, {"agree", 9999}, {"disagree", 10001}}, true, false},
		{"abstentions count as voting, not as consent", Electorate{4, 40000}, concat(repeat(3, agree100), repeat(1, abstain100)), true, true},
		{"two abstentions of four pull consent under 3/4", Electorate{4, 40000}, concat(repeat(2, agree100), repeat(2, abstain100)), true, false},
		{"nobody voting meets nothing", Electorate{4, 40000}, nil, false, false},
		{"an empty compound meets nothing", Electorate{}, nil, false, false},
	}
	other := []edge{
		{"more than half by households and by area passes", Electorate{4, 40000}, concat(repeat(3, agree100), repeat(1, disagree100)), true, true},
		{"exactly half by households fails: more than half is needed", Electorate{4, 40000}, []ballot{{"agree", 15000}, {"agree", 15000}, {"disagree", 5000}, {"disagree", 5000}}, true, false},
		{"exactly half by area fails", Electorate{3, 30000}, []ballot{{"agree", 5000}, {"agree", 5000}, {"disagree", 10000}}, true, false},
		{"one hundredth of a m² over half by area passes", Electorate{3, 30000}, []ballot{{"agree", 5001}, {"agree", 5000}, {"disagree", 10000}}, true, true},
		{"abstentions count against a simple majority", Electorate{3, 30000}, []ballot{{"agree", 10000}, {"abstain", 10000}, {"disagree", 10000}}, true, false},
	}
	run := func(t *testing.T, m Matter, cases []edge) {
		for _, c := range cases {
			t.Run(m.String()+"/"+c.name, func(t *testing.T) {
				closed := resolutionSurvey(m, Closed)
				r, err := Resolve(closed, tallyOf(closed, c.ballots...), c.electorate)
				if err != nil {
					t.Fatal(err)
				}
				if r.ParticipationMet != c.participation || r.ConsentMet != c.consent || r.Passed != (c.participation && c.consent) {
					t.Fatalf("participation %v consent %v passed %v, want %v %v %v\n%s",
						r.ParticipationMet, r.ConsentMet, r.Passed, c.participation, c.consent, c.participation && c.consent, strings.Join(r.Reasons, "\n"))
				}
				// The same figures on an OPEN survey are provisional: never passed.
				open := resolutionSurvey(m, Open)
				ro, err := Resolve(open, tallyOf(open, c.ballots...), c.electorate)
				if err != nil {
					t.Fatal(err)
				}
				if ro.Passed || ro.ParticipationMet != c.participation || ro.ConsentMet != c.consent {
					t.Fatalf("OPEN survey: passed %v participation %v consent %v", ro.Passed, ro.ParticipationMet, ro.ConsentMet)
				}
			})
		}
	}
	for _, m := range qualifiedMatters {
		run(t, m, qualified)
	}
	run(t, OtherMatter, other)
}

func TestResolveStatesEveryFigure(t *testing.T) {
	s := resolutionSurvey(Renovation, Closed)
	s.Frozen = true
	ballots := []ballot{{"agree", 8523}, {"agree", 6012}, {"agree", 9050}, {"disagree", 4599}, {"abstain", 7001}}
	r, err := Resolve(s, tallyOf(s, ballots...), Electorate{Households: 6, Area: 43185})
	if err != nil {
		t.Fatal(err)
	}
	want := ResolutionResult{
		Matter: Renovation, State: Closed, Frozen: true,
		TotalHouseholds: 6, TotalArea: 43185,
		VotedHouseholds: 5, VotedArea: 35185,
		AgreeHouseholds: 3, AgreeArea: 23585,
		DisagreeHouseholds: 1, DisagreeArea: 4599,
		AbstainHouseholds: 1, AbstainArea: 7001,
		ParticipationByHouseholds: 5.0 / 6, ParticipationByArea: 35185.0 / 43185,
		ConsentByHouseholds: 3.0 / 5, ConsentByArea: 23585.0 / 35185,
		ParticipationThreshold: 2.0 / 3, ConsentThreshold: 0.75,
		ParticipationMet: true, ConsentMet: false, Passed: false,
	}
	got := r
	got.Reasons = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("result\n got %+v\nwant %+v", got, want)
	}
	if len(r.Reasons) != 4 {
		t.Fatalf("reasons %q, want one per condition", r.Reasons)
	}
	for i, frag := range []string{"participation by households 5/6", "participation by area 351.85/431.85 m²", "consent by households 3/5 = 0.6000 < 3/4", "consent by area 235.85/351.85 m²"} {
		if !strings.Contains(r.Reasons[i], frag) {
			t.Errorf("reason %d %q does not state %q", i, r.Reasons[i], frag)
		}
	}
}

func TestResolveThresholdsByMatter(t *testing.T) {
	for _, m := range qualifiedMatters {
		if !NeedsQualifiedMajority(m) {
			t.Errorf("%s does not need 3/4", m)
		}
		r, _ := Resolve(resolutionSurvey(m, Open), Tally{}, Electorate{Households: 1, Area: 1})
		if r.ConsentThreshold != 0.75 || r.ConsentStrict {
			t.Errorf("%s: threshold %v strict %v, want at least 3/4", m, r.ConsentThreshold, r.ConsentStrict)
		}
	}
	if NeedsQualifiedMajority(OtherMatter) {
		t.Error("OTHER needs 3/4")
	}
	r, _ := Resolve(resolutionSurvey(OtherMatter, Open), Tally{}, Electorate{Households: 1, Area: 1})
	if r.ConsentThreshold != 0.5 || !r.ConsentStrict {
		t.Errorf("OTHER: threshold %v strict %v, want more than 1/2", r.ConsentThreshold, r.ConsentStrict)
	}
}

func TestResolveOnlyPassesWhenClosed(t *testing.T) {
	for _, st := range []State{Draft, Open, Closed} {
		s := resolutionSurvey(Renovation, st)
		r, err := Resolve(s, tallyOf(s, repeat(4, ballot{"agree", 100})...), Electorate{Households: 4, Area: 400})
		if err != nil {
			t.Fatal(err)
		}
		if r.Passed != (st == Closed) {
			t.Errorf("%s: passed %v", st, r.Passed)
		}
		provisional := strings.Contains(strings.Join(r.Reasons, "\n"), "provisional")
		if provisional != (st != Closed) {
			t.Errorf("%s: reasons %q", st, r.Reasons)
		}
	}
}

func TestResolveRefusesWhatIsNoResolution(t *testing.T) {
	if _, err := Resolve(needsSurvey(), Tally{}, Electorate{Households: 1}); !errors.Is(err, ErrNotAResolution) {
		t.Fatalf("NEEDS survey: got %v, want ErrNotAResolution", err)
	}
	empty := &Survey{Kind: Resolution, Matter: Renovation}
	if _, err := Resolve(empty, Tally{}, Electorate{Households: 1}); !fault.IsKind(err, fault.Invalid) {
		t.Fatalf("resolution without a vote: got %v, want bad input", err)
	}
}
