package ledger

import (
	"fmt"
	"time"

	"tongdu/platform/fault"
)

// Party is who funds a project: the government, society (enterprises) or the residents.
type Party int

const (
	PartyUnspecified Party = iota
	Government
	Social
	Residents
)

var partyNames = [...]string{"UNSPECIFIED", "GOVERNMENT", "SOCIAL", "RESIDENTS"}

func (p Party) String() string {
	if p < 0 || int(p) >= len(partyNames) {
		return fmt.Sprintf("Party(%d)", int(p))
	}
	return partyNames[p]
}

// Source is one funder's commitment to a project.
type Source struct {
	Party        Party  `json:"party"`
	Funder       string `json:"funder"`
	CommittedFen int64  `json:"committedFen"`
}

// Quota is what each benefiting household pays: a flat amount or an amount per m² of its
// exclusive area. Both zero: households pay nothing.
type Quota struct {
	FlatFen  int64 `json:"flatFen,omitempty"`
	PerM2Fen int64 `json:"perM2Fen,omitempty"`
}

// For computes a household's quota from its exclusive area (hundredths of m²), rounding a
// per-m² amount to the nearest fen (half up).
func (q Quota) For(areaCenti int64) int64 {
	if q.FlatFen > 0 {
		return q.FlatFen
	}
	return (q.PerM2Fen*areaCenti + 50) / 100
}

// Plan is a project's funding plan (one per project).
type Plan struct {
	ProjectID  string           `json:"projectId"`
	CompoundID string           `json:"compoundId"`
	BudgetFen  int64            `json:"budgetFen"` // at creation; the projects service owns the current one
	Sources    []Source         `json:"sources"`
	Quota      Quota            `json:"quota"`
	Quotas     map[string]int64 `json:"-"` // household id → quota, kept beside the plan
	CreateTime time.Time        `json:"createTime"`
	// Account is the signed-in account that made the plan: its token's subject (rule 16:
	// who acts), never taken from the request.
	Account string `json:"account,omitempty"`
}

// Household is what the plan needs of a household.
type Household struct {
	ID        string
	AreaCenti int64
}

// NewPlan checks a plan and fixes each household's quota (rule 8: flat or per m²
// of exclusive area). The residents' source
// commits what the quotas add up to when it states no amount of its own.
func NewPlan(p Plan, households []Household, now time.Time) (Plan, error) {
	var bad fault.Collect
	seen := map[string]bool{}
	hasResidents := false
	for i, s := range p.Sources {
		key := s.Party.String() + ":" + s.Funder
		if seen[key] {
			bad.Violation(fmt.Sprintf("fundingPlan.sources[%d]", i), "each party and funder appears once")
		}
		seen[key] = true
		if s.Party < Government || s.Party > Residents {
			bad.Violation(fmt.Sprintf("fundingPlan.sources[%d].party", i), "is GOVERNMENT, SOCIAL or RESIDENTS")
		}
		if s.CommittedFen < 0 || (s.CommittedFen == 0 && s.Party != Residents) {
			bad.Violation(fmt.Sprintf("fundingPlan.sources[%d].committedFen", i), "must be greater than 0 (only a RESIDENTS source may leave it to the quotas)")
		}
		hasResidents = hasResidents || s.Party == Residents
	}
	quotaSet := p.Quota.FlatFen > 0 || p.Quota.PerM2Fen > 0
	if hasResidents && !quotaSet {
		bad.Violation("fundingPlan.quota", "a RESIDENTS source needs a quota")
	}
	if quotaSet && len(households) == 0 {
		bad.Violation("fundingPlan.quota", "the compound has no households registered to pay a quota")
	}
	if err := bad.Err(); err != nil {
		return Plan{}, err
	}
	p.Quotas = map[string]int64{}
	if quotaSet {
		for _, h := range households {
			p.Quotas[h.ID] = p.Quota.For(h.AreaCenti)
		}
	}
	for i := range p.Sources {
		if p.Sources[i].Party == Residents && p.Sources[i].CommittedFen == 0 {
			p.Sources[i].CommittedFen = p.Target()
		}
	}
	p.CreateTime = now
	return p, nil
}

// Committed sums the sources' commitments.
func (p *Plan) Committed() int64 {
	var sum int64
	for _, s := range p.Sources {
		sum += s.CommittedFen
	}
	return sum
}

// Target sums the households' quotas.
func (p *Plan) Target() int64 {
	var sum int64
	for _, q := range p.Quotas {
		sum += q
	}
	return sum
}

// Source finds a funder of the plan.
func (p *Plan) Source(party Party, funder string) (Source, bool) {
	for _, s := range p.Sources {
		if s.Party == party && s.Funder == funder {
			return s, true
		}
	}
	return Source{}, false
}

// Bounds are the limits the plan sets on its book: the fund never negative, no funder
// paying beyond its commitment, no household beyond its quota.
func (p *Plan) Bounds() []Bound {
	bs := []Bound{MinBound(FundAccount, 0)}
	for _, s := range p.Sources {
		if s.Party != Residents {
			bs = append(bs, Between(SourceAccount(s.Party, s.Funder), -s.CommittedFen, 0))
		}
	}
	for hid, q := range p.Quotas {
		bs = append(bs, Between(HouseholdAccount(hid), -q, 0))
	}
	return bs
}

// Receipt records money received from a government or social funder of the plan.
func Receipt(p *Plan, party Party, funder string, amount int64) (Transaction, error) {
	if err := positive(amount, "receipt.amountFen"); err != nil {
		return Transaction{}, err
	}
	if party == Residents {
		return Transaction{}, fault.Field("receipt.party", "residents pay through contributions, one household at a time")
	}
	if _, ok := p.Source(party, funder); !ok {
		return Transaction{}, fmt.Errorf("%w: %s %q is not a source of the plan", ErrNotInPlan, party, funder)
	}
	return Transaction{Kind: TxReceipt, Postings: []Posting{{FundAccount, amount}, {SourceAccount(party, funder), -amount}}}, nil
}

// Contribution records a household paying towards its quota.
func Contribution(p *Plan, householdID string, amount int64) (Transaction, error) {
	if err := positive(amount, "contribution.amountFen"); err != nil {
		return Transaction{}, err
	}
	if _, ok := p.Quotas[householdID]; !ok {
		return Transaction{}, fmt.Errorf("%w: household %s owes no quota in this plan", ErrNotInPlan, householdID)
	}
	return ContributionOf(householdID, amount)
}

// ContributionOf is Contribution without the plan at hand: the transaction of a
// household paying towards its quota, for a store that checks in its one step what the
// plan says of the household, as it stands then: that it owes a quota (else
// ErrNotInPlan), and that it pays within it (the plan's Bounds: its account never below
// minus its quota). A household's quota never changes once the plan is made, but the
// store holds it, so a write need not read the plan first.
func ContributionOf(householdID string, amount int64) (Transaction, error) {
	if err := positive(amount, "contribution.amountFen"); err != nil {
		return Transaction{}, err
	}
	return Transaction{Kind: TxContribution, Postings: []Posting{{FundAccount, amount}, {HouseholdAccount(householdID), -amount}}}, nil
}

// RetentionFen is rule 9's retention: 3% of a contract, held back until acceptance.
// It is contractFen - ⌊97·contractFen/100⌋, computed per hundred fen so that no product
// overflows.
func RetentionFen(contractFen int64) int64 {
	hundreds, rest := contractFen/100, contractFen%100
	return 3*hundreds + rest - rest*97/100
}

// Disbursement pays under a contract from the fund. Before the project is accepted a
// contract may be paid at most 97% of its amount (rule 9: 3% retention until
// acceptance); after, its whole amount. The cap is a bound on the contract's own account,
// which the store checks in the same step as the payment: however its payee is spelt, a
// contract has one allowance.
func Disbursement(c Contract, amount int64, itemID string, accepted bool) (Transaction, Bound, error) {
	if err := positive(amount, "disbursement.amountFen"); err != nil {
		return Transaction{}, Bound{}, err
	}
	if amount > c.AmountFen {
		return Transaction{}, Bound{}, fault.Field("disbursement.amountFen", "may not exceed the contract's amount")
	}
	limit := c.AmountFen
	if !accepted {
		limit = c.AmountFen - RetentionFen(c.AmountFen)
	}
	t := Transaction{Kind: TxDisbursement, Postings: []Posting{{FundAccount, -amount}, {PayeeAccount(c.ID), amount}}}
	if itemID != "" {
		t.Tallies = []Posting{{"item:" + itemID, amount}}
	}
	return t, Between(PayeeAccount(c.ID), 0, limit), nil
}

// Reverse undoes a transaction by its mirror image: every posting and tally negated. A
// reversed contribution counts as a refund to its household.
func Reverse(t *Transaction, reason string) (Transaction, error) {
	if t.Kind == TxReversal {
		return Transaction{}, fmt.Errorf("%w: %s is itself a reversal; record the money again instead", ErrNotReversible, t.ID)
	}
	if t.ReversedBy != "" {
		return Transaction{}, fmt.Errorf("%w: %s was reversed by %s", ErrAlreadyReversed, t.ID, t.ReversedBy)
	}
	r := Transaction{Kind: TxReversal, Reverses: t.ID, Memo: reason}
	for _, p := range t.Postings {
		r.Postings = append(r.Postings, Posting{p.Account, -p.AmountFen})
		if kind, hid := KindOf(p.Account); kind == AccountHousehold {
			r.Tallies = append(r.Tallies, Posting{"refunded:" + hid, -p.AmountFen})
		}
	}
	for _, p := range t.Tallies {
		r.Tallies = append(r.Tallies, Posting{p.Account, -p.AmountFen})
	}
	return r, nil
}

func positive(amount int64, field string) error {
	if amount <= 0 {
		return fault.Field(field, "must be greater than 0 fen")
	}
	return nil
}

// QuotaStatus is where a household stands against its quota (rule 8: DUE,
// PARTIALLY_PAID, PAID or REFUNDED).
type QuotaStatus int

const (
	StatusUnspecified QuotaStatus = iota
	Due
	PartiallyPaid
	Paid
	Refunded
)

// Standing is one household's quota, what it has paid (net of reversals) and its status.
type Standing struct {
	HouseholdID string
	QuotaFen    int64
	PaidFen     int64
	Status      QuotaStatus
}

// StandingOf tells a household's status from its quota, what it paid net, and what was
// refunded to it.
func StandingOf(hid string, quota, paid, refunded int64) Standing {
	s := Standing{HouseholdID: hid, QuotaFen: quota, PaidFen: paid}
	switch {
	case paid >= quota:
		// A quota of 0 (a per-m² amount that rounds to nothing) is owed in full.
		s.Status = Paid
	case paid > 0:
		s.Status = PartiallyPaid
	case refunded > 0:
		s.Status = Refunded
	default:
		s.Status = Due
	}
	return s
}
