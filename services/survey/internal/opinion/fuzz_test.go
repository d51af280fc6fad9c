package opinion

import (
	"math/big"
	"testing"
)

// FuzzResolve fuzzes rule 3 (2/3 turnout; 3/4 or more than 1/2 consent) over tallies and electorates, up to areas far beyond any
// compound's. Tallies are built the way the store keeps them: voters are those who
// answered the vote (agree, disagree or abstain), and the voted area is their areas' sum.
// Invariants:
//   - no panic; the result restates the tally and electorate it was given;
//   - passed ⇔ the survey is CLOSED and, by exact integer arithmetic, voters are at least
//     2/3 of the households and of the area, and agree votes are at least 3/4
//     (RENOVATION, MAINTENANCE_FUND, COMMON_PART_BUSINESS) or more than 1/2 (OTHER) of
//     the voters, by number and by area;
//   - monotonic: one more household voting agree, or a disagree vote turned agree, never
//     turns a pass into a fail.
func FuzzResolve(f *testing.F) {
	// matter, closed, households, area, agree, agreeArea, disagree, disagreeArea, abstain, abstainArea
	f.Add(uint8(Renovation), true, uint32(4), uint64(40000), uint32(3), uint64(30000), uint32(1), uint64(10000), uint32(0), uint64(0))
	f.Add(uint8(Renovation), true, uint32(4), uint64(40000), uint32(3), uint64(29999), uint32(1), uint64(10001), uint32(0), uint64(0))
	f.Add(uint8(OtherMatter), true, uint32(3), uint64(30000), uint32(2), uint64(10000), uint32(1), uint64(10000), uint32(0), uint64(0))
	f.Add(uint8(MaintenanceFund), true, uint32(9), uint64(90000), uint32(5), uint64(60000), uint32(0), uint64(0), uint32(0), uint64(0))
	f.Add(uint8(CommonPartBusiness), false, uint32(3), uint64(30000), uint32(3), uint64(30000), uint32(0), uint64(0), uint32(0), uint64(0))
	f.Add(uint8(Renovation), true, uint32(0), uint64(0), uint32(0), uint64(0), uint32(0), uint64(0), uint32(0), uint64(0))
	f.Add(uint8(Renovation), true, uint32(1<<31), uint64(1)<<63, uint32(1<<31), uint64(1)<<62, uint32(0), uint64(0), uint32(0), uint64(0))
	f.Fuzz(func(t *testing.T, matter uint8, closed bool, households uint32, area uint64,
		agree uint32, agreeArea uint64, disagree uint32, disagreeArea uint64, abstain uint32, abstainArea uint64) {
		// Every area below 2^61, so that their sum stays an int64 like the store's counter.
		v := votes{
			agree: int64(agree), agreeArea: int64(agreeArea >> 3),
			disagree: int64(disagree), disagreeArea: int64(disagreeArea >> 3),
			abstain: int64(abstain), abstainArea: int64(abstainArea >> 3),
		}
		m := Matter(1 + int(matter)%4)
		st := Open
		if closed {
			st = Closed
		}
		s := resolutionSurvey(m, st)
		e := Electorate{Households: int(households), Area: int64(area >> 1)}
		r := resolve(t, s, v, e)
		if r.TotalHouseholds != int64(e.Households) || r.TotalArea != e.Area ||
			r.VotedHouseholds != v.voted() || r.VotedArea != v.votedArea() ||
			r.AgreeHouseholds != v.agree || r.AgreeArea != v.agreeArea {
			t.Fatalf("result restates other figures: %+v for %+v, %+v", r, v, e)
		}
		want := closed && wantPassed(m, v, e)
		if r.Passed != want {
			t.Fatalf("%s, closed %v, %+v, %+v: passed %v, exact arithmetic says %v\n%v", m, closed, v, e, r.Passed, want, r.Reasons)
		}
		if !r.Passed {
			return
		}
		// One more household (of the electorate) votes agree, with an area the electorate's
		// other households could hold.
		more := v
		extra := (e.Area - v.votedArea()) / max(1, int64(e.Households)-v.voted())
		more.agree++
		more.agreeArea += max(0, extra)
		if r2 := resolve(t, s, more, e); !r2.Passed {
			t.Fatalf("an agree vote turned a pass into a fail: %+v → %+v, %+v\n%v", v, more, e, r2.Reasons)
		}
		if v.disagree > 0 {
			flip := v
			moved := flip.disagreeArea / flip.disagree // one disagreeing household's area
			flip.disagree, flip.disagreeArea = flip.disagree-1, flip.disagreeArea-moved
			flip.agree, flip.agreeArea = flip.agree+1, flip.agreeArea+moved
			if r2 := resolve(t, s, flip, e); !r2.Passed {
				t.Fatalf("a disagree vote turned agree turned a pass into a fail: %+v → %+v, %+v\n%v", v, flip, e, r2.Reasons)
			}
		}
	})
}

type votes struct {
	agree, agreeArea, disagree, disagreeArea, abstain, abstainArea int64
}

func (v votes) voted() int64     { return v.agree + v.disagree + v.abstain }
func (v votes) votedArea() int64 { return v.agreeArea + v.disagreeArea + v.abstainArea }

// tally writes the counters the store keeps for these votes on s's vote question.
func (v votes) tally(s *Survey) Tally {
	q := s.Questions[0].ID
	return Tally{
		CounterResponded: v.voted(), counterAnswered(q): v.voted(), CounterVotedArea: v.votedArea(),
		counterOption(q, "agree"): v.agree, counterOptionArea(q, "agree"): v.agreeArea,
		counterOption(q, "disagree"): v.disagree, counterOptionArea(q, "disagree"): v.disagreeArea,
		counterOption(q, "abstain"): v.abstain, counterOptionArea(q, "abstain"): v.abstainArea,
	}
}

func resolve(t *testing.T, s *Survey, v votes, e Electorate) ResolutionResult {
	t.Helper()
	r, err := Resolve(s, v.tally(s), e)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantPassed is rule 3 (turnout and consent thresholds) in big integers, apart from the survey's state.
func wantPassed(m Matter, v votes, e Electorate) bool {
	b := func(x int64) *big.Int { return big.NewInt(x) }
	mul := func(x, y int64) *big.Int { return new(big.Int).Mul(b(x), b(y)) }
	// n/d ≥ p/q, i.e. n·q ≥ p·d, with d > 0.
	atLeast := func(n, d, p, q int64) bool { return d > 0 && mul(n, q).Cmp(mul(p, d)) >= 0 }
	moreThan := func(n, d, p, q int64) bool { return d > 0 && mul(n, q).Cmp(mul(p, d)) > 0 }
	quorum := atLeast(v.voted(), int64(e.Households), 2, 3) && atLeast(v.votedArea(), e.Area, 2, 3)
	var consent bool
	if m == OtherMatter {
		consent = moreThan(v.agree, v.voted(), 1, 2) && moreThan(v.agreeArea, v.votedArea(), 1, 2)
	} else {
		consent = atLeast(v.agree, v.voted(), 3, 4) && atLeast(v.agreeArea, v.votedArea(), 3, 4)
	}
	return quorum && consent
}
