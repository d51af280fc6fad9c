package opinion

import (
	"math/big"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

// near draws a value around target (a threshold's edge) most of the time and anywhere in
// [lo, hi] otherwise, so the exact edges of rule 3 (the 2/3,
// 3/4 and 1/2 thresholds) are hit often.
func near(t *rapid.T, label string, target, lo, hi int64) int64 {
	if rapid.Bool().Draw(t, label+"-near") {
		v := target + rapid.Int64Range(-2, 2).Draw(t, label+"-delta")
		return max(lo, min(hi, v))
	}
	return rapid.Int64Range(lo, hi).Draw(t, label)
}

func atLeast(n, d int64, num, den int64) bool {
	if d == 0 {
		return false
	}
	return big.NewRat(n, d).Cmp(big.NewRat(num, den)) >= 0
}

func moreThan(n, d int64, num, den int64) bool {
	if d == 0 {
		return false
	}
	return big.NewRat(n, d).Cmp(big.NewRat(num, den)) > 0
}

// TestPropertyResolveDecidesAsExactRationals checks rule 3's decision against the same
// comparisons made on exact rationals (math/big), for counts and areas drawn around the
// thresholds.
func TestPropertyResolveDecidesAsExactRationals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		matter := rapid.SampledFrom([]Matter{Renovation, MaintenanceFund, CommonPartBusiness, OtherMatter}).Draw(t, "matter")
		state := rapid.SampledFrom([]State{Open, Closed}).Draw(t, "state")
		s := resolutionSurvey(matter, state)

		households := rapid.Int64Range(0, 2000).Draw(t, "households")
		voted := near(t, "voted", (2*households+2)/3, 0, households)
		consentNum, consentDen := int64(3), int64(4)
		if matter == OtherMatter {
			consentNum, consentDen = 1, 2
		}
		agree := near(t, "agree", (consentNum*voted+consentDen-1)/consentDen, 0, voted)
		abstain := rapid.Int64Range(0, voted-agree).Draw(t, "abstain")
		disagree := voted - agree - abstain

		// Areas in hundredths of m²: a compound of up to 10 million m².
		agreeArea := rapid.Int64Range(0, 1e9).Draw(t, "agreeArea")
		// Others' area around agree·(den−num)/num puts consent by area near its threshold.
		otherArea := near(t, "otherArea", agreeArea*(consentDen-consentNum)/consentNum, 0, 1e9)
		abstainArea := rapid.Int64Range(0, otherArea).Draw(t, "abstainArea")
		disagreeArea := otherArea - abstainArea
		votedArea := agreeArea + otherArea
		totalArea := near(t, "totalArea", (3*votedArea)/2, votedArea, 2e9)

		tally := Tally{
			"q:vote:answered": voted, CounterVotedArea: votedArea,
			"q:vote:o:agree": agree, "q:vote:area:agree": agreeArea,
			"q:vote:o:disagree": disagree, "q:vote:area:disagree": disagreeArea,
			"q:vote:o:abstain": abstain, "q:vote:area:abstain": abstainArea,
		}
		r, err := Resolve(s, tally, Electorate{Households: int(households), Area: totalArea})
		if err != nil {
			t.Fatal(err)
		}
		participation := atLeast(voted, households, 2, 3) && atLeast(votedArea, totalArea, 2, 3)
		var consent bool
		if matter == OtherMatter {
			consent = moreThan(agree, voted, 1, 2) && moreThan(agreeArea, votedArea, 1, 2)
		} else {
			consent = atLeast(agree, voted, 3, 4) && atLeast(agreeArea, votedArea, 3, 4)
		}
		if r.ParticipationMet != participation || r.ConsentMet != consent || r.Passed != (participation && consent && state == Closed) {
			t.Fatalf("participation %v consent %v passed %v; exact: %v %v %v\n%v",
				r.ParticipationMet, r.ConsentMet, r.Passed, participation, consent, participation && consent && state == Closed, r.Reasons)
		}
		if r.VotedHouseholds != voted || r.AgreeHouseholds != agree || r.DisagreeHouseholds != disagree || r.AbstainHouseholds != abstain ||
			r.VotedArea != votedArea || r.AgreeArea != agreeArea || r.DisagreeArea != disagreeArea || r.AbstainArea != abstainArea ||
			r.TotalHouseholds != households || r.TotalArea != totalArea {
			t.Fatalf("figures %+v do not restate the tally", r)
		}
	})
}

// responseOf draws a response the survey accepts: the first question always answered,
// the others sometimes, each in its own way.
func responseOf(s *Survey) *rapid.Generator[Response] {
	return rapid.Custom(func(t *rapid.T) Response {
		r := Response{Area: rapid.Int64Range(1, 20000).Draw(t, "area")}
		for i, q := range s.Questions {
			if i > 0 && !rapid.Bool().Draw(t, "answers-"+q.ID) {
				continue
			}
			a := Answer{QuestionID: q.ID}
			switch q.Type {
			case SingleChoice:
				a.OptionIDs = []string{rapid.SampledFrom(q.Options).Draw(t, q.ID).ID}
			case MultiChoice:
				picked := rapid.SliceOfNDistinct(rapid.SampledFrom(q.Options), 1, len(q.Options), func(o Option) string { return o.ID }).Draw(t, q.ID)
				for _, o := range picked {
					a.OptionIDs = append(a.OptionIDs, o.ID)
				}
			case Scale:
				lo, hi := q.ScaleRange()
				a.Scale = rapid.IntRange(lo, hi).Draw(t, q.ID)
			case Text:
				a.Text = rapid.StringMatching(`[a-z]{1,8}`).Draw(t, q.ID)
			}
			r.Answers = append(r.Answers, a)
		}
		return r
	})
}

func add(t Tally, ds []Delta, sign int64) {
	for _, d := range ds {
		t[d.Counter] += sign * d.Amount
		if t[d.Counter] == 0 {
			delete(t, d.Counter)
		}
	}
}

// TestPropertyReplacingAResponseKeepsTheTallyEqualToItsResponses plays the store's rule 2
// (one response per household, the later collection wins) step (an older collection is ignored; otherwise the old contribution is subtracted and
// the new one added) over random submissions, and checks the tally always equals the sum
// of the contributions of the responses that stand.
func TestPropertyReplacingAResponseKeepsTheTallyEqualToItsResponses(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.SampledFrom([]*Survey{needsSurvey(), resolutionSurvey(Renovation, Open),
			{ID: "a1", Kind: Acceptance, Questions: []Question{verdictQ, ratingQ, itemsQ}}}).Draw(t, "survey")
		type stored struct {
			r  Response
			at int64
		}
		current := map[int]stored{}
		tally := Tally{}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			h := rapid.IntRange(0, 7).Draw(t, "household")
			r := responseOf(s).Draw(t, "response")
			if err := CheckResponse(s, &r, "response"); err != nil {
				t.Fatalf("a drawn response is refused: %v", err)
			}
			at := rapid.Int64Range(0, 5).Draw(t, "collectedAt")
			old, had := current[h]
			if had && old.at > at {
				continue // the newer collection stands
			}
			if had {
				add(tally, Contribution(s, &old.r), -1)
			}
			add(tally, Contribution(s, &r), +1)
			current[h] = stored{r, at}
		}
		want := Tally{}
		for _, st := range current {
			add(want, Contribution(s, &st.r), +1)
		}
		if !reflect.DeepEqual(tally, want) {
			t.Fatalf("tally %v\nwant  %v", tally, want)
		}
		if tally[CounterResponded] != int64(len(current)) {
			t.Fatalf("responded %d, households %d", tally[CounterResponded], len(current))
		}
		for c, v := range tally {
			if v < 0 {
				t.Fatalf("counter %s went negative: %d", c, v)
			}
		}
		// Single-choice counts add up to those who answered; willing ≤ responded.
		st := ComputeStats(s, tally, Electorate{Households: 8})
		for _, q := range st.Questions {
			if q.Type != SingleChoice {
				continue
			}
			var sum int64
			for _, o := range q.Options {
				sum += o.Count
			}
			if sum != q.Answered {
				t.Fatalf("question %s: options add up to %d, answered %d", q.QuestionID, sum, q.Answered)
			}
		}
		if st.Willing > st.Responded || st.Questions[0].Answered != st.Responded {
			t.Fatalf("willing %d, first question answered %d, responded %d", st.Willing, st.Questions[0].Answered, st.Responded)
		}
	})
}

// TestPropertyEncodedContributionsParseBack checks that what the store's script reads
// ("counter=amount" pairs split on ',' and '=') gives back the contribution, for ids the
// contract allows (^[A-Za-z0-9_-]+$).
func TestPropertyEncodedContributionsParseBack(t *testing.T) {
	id := rapid.StringMatching(`[A-Za-z0-9_-]{1,12}`)
	rapid.Check(t, func(t *rapid.T) {
		qid := id.Draw(t, "question")
		oids := rapid.SliceOfNDistinct(id, 2, 5, rapid.ID[string]).Draw(t, "options")
		s := &Survey{Kind: Resolution, Matter: Renovation, Questions: []Question{{ID: qid, Type: MultiChoice, Options: opts(oids...)}}}
		r := Response{Area: rapid.Int64Range(0, 1e12).Draw(t, "area"), Answers: []Answer{{QuestionID: qid, OptionIDs: oids}}}
		ds := Contribution(s, &r)
		got := parseLikeTheScript(EncodeContribution(ds))
		if !reflect.DeepEqual(got, deltas(ds)) {
			t.Fatalf("parsed %v, want %v", got, deltas(ds))
		}
	})
}

// parseLikeTheScript mirrors the Lua pattern '([^,=]+)=(-?%d+)'.
func parseLikeTheScript(enc string) map[string]int64 {
	out := map[string]int64{}
	for len(enc) > 0 {
		i := 0
		for i < len(enc) && enc[i] != ',' && enc[i] != '=' {
			i++
		}
		counter := enc[:i]
		enc = enc[i+1:]
		j := 0
		for j < len(enc) && (enc[j] == '-' || ('0' <= enc[j] && enc[j] <= '9')) {
			j++
		}
		n, _ := new(big.Int).SetString(enc[:j], 10)
		out[counter] += n.Int64()
		enc = enc[j:]
		if len(enc) > 0 && enc[0] == ',' {
			enc = enc[1:]
		}
	}
	return out
}
