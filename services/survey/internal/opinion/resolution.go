package opinion

import (
	"fmt"
	"math/big"
)

// Thresholds of rule 3 (Civil Code Art. 278: 2/3 turnout; 3/4 or more than 1/2 consent), as
// fractions compared exactly on integers.
type fraction struct{ num, den int64 }

var (
	quorum      = fraction{2, 3} // households voting, by number and by area: at least
	qualified   = fraction{3, 4} // consent for renovation, funds, common-part business: at least
	simpleMajor = fraction{1, 2} // consent for other matters: more than
)

func (f fraction) value() float64 { return float64(f.num) / float64(f.den) }

// atLeast reports n/d >= f without floating point.
func (f fraction) atLeast(n, d int64) bool { return d > 0 && cmpProducts(n, f.den, f.num, d) >= 0 }

// moreThan reports n/d > f without floating point.
func (f fraction) moreThan(n, d int64) bool { return d > 0 && cmpProducts(n, f.den, f.num, d) > 0 }

// cmpProducts compares a·b with c·d exactly: an int64 product of a huge area would
// overflow and decide the vote wrongly.
func cmpProducts(a, b, c, d int64) int {
	ab := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	return ab.Cmp(new(big.Int).Mul(big.NewInt(c), big.NewInt(d)))
}

// NeedsQualifiedMajority reports whether a matter needs 3/4 consent (rule 3): renovating
// buildings and common facilities, raising maintenance funds, using common parts for
// business. Other matters need more than half.
func NeedsQualifiedMajority(m Matter) bool {
	return m == Renovation || m == MaintenanceFund || m == CommonPartBusiness
}

// ResolutionResult states every figure behind a resolution (rule 3: a result shows every
// figure). Areas are in
// hundredths of m².
type ResolutionResult struct {
	Matter                                         Matter
	State                                          State
	Passed, Frozen                                 bool
	TotalHouseholds, TotalArea                     int64
	VotedHouseholds, VotedArea                     int64
	AgreeHouseholds, AgreeArea                     int64
	DisagreeHouseholds, DisagreeArea               int64
	AbstainHouseholds, AbstainArea                 int64
	ParticipationByHouseholds, ParticipationByArea float64
	ConsentByHouseholds, ConsentByArea             float64
	ParticipationThreshold, ConsentThreshold       float64
	ConsentStrict, ParticipationMet, ConsentMet    bool
	Reasons                                        []string
}

// Resolve decides a resolution from its tally and electorate. Households that answered
// the vote (abstaining included) have voted. A vote counts only if voters hold at least
// 2/3 of the area and are at least 2/3 of the households; it then passes with at least
// 3/4 (qualified matters) or more than 1/2 (others) of the voters' area and number. Only a
// CLOSED survey can have passed: while OPEN the figures are provisional.
func Resolve(s *Survey, t Tally, e Electorate) (ResolutionResult, error) {
	if s.Kind != Resolution {
		return ResolutionResult{}, fmt.Errorf("%w: survey %s is a %s survey", ErrNotAResolution, s.ID, kindName(s.Kind))
	}
	if len(s.Questions) == 0 {
		return ResolutionResult{}, invalid("survey.questions", "the resolution has no vote question yet")
	}
	vote := s.Questions[0].ID
	r := ResolutionResult{
		Matter: s.Matter, State: s.State, Frozen: s.Frozen,
		TotalHouseholds: int64(e.Households), TotalArea: e.Area,
		VotedHouseholds: t[counterAnswered(vote)], VotedArea: t[CounterVotedArea],
		AgreeHouseholds: t[counterOption(vote, "agree")], AgreeArea: t[counterOptionArea(vote, "agree")],
		DisagreeHouseholds: t[counterOption(vote, "disagree")], DisagreeArea: t[counterOptionArea(vote, "disagree")],
		AbstainHouseholds: t[counterOption(vote, "abstain")], AbstainArea: t[counterOptionArea(vote, "abstain")],
		ParticipationThreshold: quorum.value(),
	}
	r.ParticipationByHouseholds = ratio(r.VotedHouseholds, r.TotalHouseholds)
	r.ParticipationByArea = ratio(r.VotedArea, r.TotalArea)
	r.ConsentByHouseholds = ratio(r.AgreeHouseholds, r.VotedHouseholds)
	r.ConsentByArea = ratio(r.AgreeArea, r.VotedArea)

	byHH := quorum.atLeast(r.VotedHouseholds, r.TotalHouseholds)
	byArea := quorum.atLeast(r.VotedArea, r.TotalArea)
	r.ParticipationMet = byHH && byArea
	r.Reasons = append(r.Reasons,
		fmt.Sprintf("participation by households %d/%d = %.4f %s 2/3", r.VotedHouseholds, r.TotalHouseholds, r.ParticipationByHouseholds, cmp(byHH, "≥", "<")),
		fmt.Sprintf("participation by area %.2f/%.2f m² = %.4f %s 2/3", m2(r.VotedArea), m2(r.TotalArea), r.ParticipationByArea, cmp(byArea, "≥", "<")))

	var cHH, cArea bool
	if NeedsQualifiedMajority(s.Matter) {
		r.ConsentThreshold = qualified.value()
		cHH, cArea = qualified.atLeast(r.AgreeHouseholds, r.VotedHouseholds), qualified.atLeast(r.AgreeArea, r.VotedArea)
		r.Reasons = append(r.Reasons,
			fmt.Sprintf("consent by households %d/%d = %.4f %s 3/4", r.AgreeHouseholds, r.VotedHouseholds, r.ConsentByHouseholds, cmp(cHH, "≥", "<")),
			fmt.Sprintf("consent by area %.2f/%.2f m² = %.4f %s 3/4", m2(r.AgreeArea), m2(r.VotedArea), r.ConsentByArea, cmp(cArea, "≥", "<")))
	} else {
		r.ConsentThreshold, r.ConsentStrict = simpleMajor.value(), true
		cHH, cArea = simpleMajor.moreThan(r.AgreeHouseholds, r.VotedHouseholds), simpleMajor.moreThan(r.AgreeArea, r.VotedArea)
		r.Reasons = append(r.Reasons,
			fmt.Sprintf("consent by households %d/%d = %.4f %s 1/2", r.AgreeHouseholds, r.VotedHouseholds, r.ConsentByHouseholds, cmp(cHH, ">", "≤")),
			fmt.Sprintf("consent by area %.2f/%.2f m² = %.4f %s 1/2", m2(r.AgreeArea), m2(r.VotedArea), r.ConsentByArea, cmp(cArea, ">", "≤")))
	}
	r.ConsentMet = cHH && cArea
	r.Passed = r.ParticipationMet && r.ConsentMet && s.State == Closed
	if s.State != Closed {
		r.Reasons = append(r.Reasons, "the survey is "+s.State.String()+": the figures are provisional until it closes")
	}
	return r, nil
}

func cmp(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func m2(centi int64) float64 { return float64(centi) / 100 }

func kindName(k Kind) string {
	switch k {
	case Needs:
		return "NEEDS"
	case Resolution:
		return "RESOLUTION"
	case Acceptance:
		return "ACCEPTANCE"
	}
	return "UNSPECIFIED"
}
