package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/platform/paging"
	"tongdu/services/finance/internal/ledger"
)

// PlanRequest is what a client asks of a funding plan: who pays what, and the
// households' quota.
type PlanRequest struct {
	ProjectID string
	Sources   []ledger.Source
	Quota     ledger.Quota
}

// FundingPlan is a project's plan as it stands: its commitments against the budget the
// projects service holds now, and what each source has received.
type FundingPlan struct {
	Plan         ledger.Plan
	BookID       string
	BudgetFen    int64
	Received     []int64 // per source of Plan.Sources, in order
	ReceivedFen  int64
	CoversBudget bool
	ShortfallFen int64
}

// CreateFundingPlan sets who pays what for a project and fixes each household's quota,
// flat or per m² of exclusive area (households and areas from governance), opening the
// project's renovation book. One plan per project: a second is PLAN_EXISTS (ledger.
// ErrAlreadyExists); a retry of the request that made it (same requestID and bodyHash)
// answers with the plan, another body under that id is REQUEST_ID_REUSED.
func (a *App) CreateFundingPlan(ctx context.Context, in PlanRequest, requestID, bodyHash string) (*FundingPlan, error) {
	proj, err := a.peers.Project(ctx, in.ProjectID)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, fault.Field("fundingPlan.projectId", "no project "+in.ProjectID)
	}
	if err != nil {
		return nil, err
	}
	plan := ledger.Plan{ProjectID: proj.ID, CompoundID: proj.CompoundID, BudgetFen: proj.BudgetFen, Quota: in.Quota, Sources: in.Sources}
	var households []ledger.Household
	if plan.Quota.FlatFen > 0 || plan.Quota.PerM2Fen > 0 {
		if households, err = a.peers.Households(ctx, proj.CompoundID); err != nil {
			return nil, err
		}
	}
	plan, err = ledger.NewPlan(plan, households, a.now())
	if err != nil {
		return nil, err
	}
	plan.Account = auth.Acting(ctx)
	// The store decides replay and PLAN_EXISTS in the creating step.
	book := ledger.Book{ID: ledger.RenovationBookID(proj.ID), Kind: ledger.Renovation, ProjectID: proj.ID, CompoundID: proj.CompoundID, CreateTime: a.now()}
	if err := a.store.CreateBook(ctx, book, &plan, plan.Bounds(), requestID, bodyHash); err != nil {
		return nil, err
	}
	return a.GetFundingPlan(ctx, proj.ID)
}

// planFor reads a project's plan with the quotas of the households named (for writes).
func (a *App) planFor(ctx context.Context, projectID string, households ...string) (*ledger.BookState, error) {
	st, err := a.store.PlanFor(ctx, ledger.RenovationBookID(projectID), households...)
	return withPlan(st, err, projectID)
}

// plan reads a project's renovation book with its plan.
func (a *App) plan(ctx context.Context, projectID string) (*ledger.BookState, error) {
	st, err := a.store.GetBook(ctx, ledger.RenovationBookID(projectID))
	return withPlan(st, err, projectID)
}

func withPlan(st *ledger.BookState, err error, projectID string) (*ledger.BookState, error) {
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, fmt.Errorf("%w: no funding plan for project %s", ledger.ErrNotFound, projectID)
	}
	if err != nil {
		return nil, err
	}
	if st.Plan == nil {
		return nil, fmt.Errorf("book %s has no plan", st.Book.ID)
	}
	return st, nil
}

// GetFundingPlan tells whether the committed sources cover the project's budget (the
// guard of IN_CONSTRUCTION), with what each source has paid so far. No plan is
// ledger.ErrNotFound.
func (a *App) GetFundingPlan(ctx context.Context, projectID string) (*FundingPlan, error) {
	st, err := a.plan(ctx, projectID)
	if err != nil {
		return nil, err
	}
	p := st.Plan
	out := &FundingPlan{Plan: *p, BookID: st.Book.ID, BudgetFen: p.BudgetFen}
	// The projects service owns the budget; it may have changed since the plan was made.
	// A public reader (the disclosure) may not ask it, and reads the plan's own figure:
	// the budget is fixed once construction starts.
	if proj, err := a.peers.Project(ctx, p.ProjectID); err == nil {
		out.BudgetFen = proj.BudgetFen
	} else if !errors.Is(err, ledger.ErrNotFound) && !errors.Is(err, ErrCallerRefused) {
		return nil, err
	}
	residentsPaid := collected(st)
	for _, src := range p.Sources {
		received := -st.Balances[ledger.SourceAccount(src.Party, src.Funder)]
		if src.Party == ledger.Residents {
			received = residentsPaid
		}
		out.ReceivedFen += received
		out.Received = append(out.Received, received)
	}
	out.CoversBudget = p.Committed() >= out.BudgetFen
	if !out.CoversBudget {
		out.ShortfallFen = out.BudgetFen - p.Committed()
	}
	return out, nil
}

// collected is what the households have paid, net of refunds.
func collected(st *ledger.BookState) int64 {
	var sum int64
	for hid := range st.Plan.Quotas {
		sum += -st.Balances[ledger.HouseholdAccount(hid)]
	}
	return sum
}

// ReceiptRequest is money received from a government or social funder.
type ReceiptRequest struct {
	Party     ledger.Party
	Funder    string
	AmountFen int64
	Memo      string
	RequestID string
	// At is when the money moved, for what is entered after the fact (rule 15); zero: now.
	At time.Time
}

// CreateReceipt records money received from a government or social funder of the plan;
// beyond its commitment is OVER_COMMITMENT, with the excess.
func (a *App) CreateReceipt(ctx context.Context, projectID string, in ReceiptRequest, bodyHash string) (*Entry, error) {
	st, err := a.planFor(ctx, projectID)
	if err != nil {
		return nil, err
	}
	t, err := ledger.Receipt(st.Plan, in.Party, in.Funder, in.AmountFen)
	if err != nil {
		return nil, err
	}
	t.Memo = in.Memo
	t.EffectiveTime = in.At
	e, err := a.write(ctx, st.Book.ID, in.RequestID, bodyHash, t, Record{ProjectID: st.Plan.ProjectID, Party: int(in.Party), Funder: in.Funder, AmountFen: in.AmountFen}, nil, "")
	if err != nil {
		return nil, explainBound(err, "OVER_COMMITMENT")
	}
	return e, nil
}

// ContributionRequest is a household paying towards its quota.
type ContributionRequest struct {
	HouseholdID string
	AmountFen   int64
	Method      int // the API's payment method, kept as the request said it
	Memo        string
	RequestID   string
	// At is when the money moved, for what is entered after the fact (rule 15); zero: now.
	At time.Time
}

// Contribution is a contribution written, with the household's standing after it.
type Contribution struct {
	Entry
	Standing ledger.Standing
}

// CreateContribution records a household paying towards its quota (rule 8: each
// household owes its quota, DUE until PAID). The household must belong to the
// project's compound (HOUSEHOLD_NOT_IN_COMPOUND); paying beyond the quota is OVERPAYMENT,
// with the excess.
//
// A household that owes a quota and pays within it, the common case, costs one round
// trip to Redis and no peer call: the plan's quotas and bounds never change once it is
// made and lie in the book's own keys, so the store checks in its posting step that the
// household owes a quota and pays within it, and answers the quota for the standing.
// Only a household that owes none, or a request with bad input, is looked into further
// (whyNoContribution), to refuse it the way it always was.
func (a *App) CreateContribution(ctx context.Context, projectID string, in ContributionRequest, bodyHash string) (*Contribution, error) {
	hid := in.HouseholdID
	t, err := ledger.ContributionOf(hid, in.AmountFen)
	if err == nil {
		t.Memo = in.Memo
		t.EffectiveTime = in.At
		t, err = a.stamp(ctx, ledger.RenovationBookID(projectID), in.RequestID, t, Record{ProjectID: projectID, HouseholdID: hid, Method: in.Method, AmountFen: in.AmountFen})
	}
	if err != nil {
		return nil, a.whyNoContribution(ctx, projectID, in, err)
	}
	p, quota, err := a.store.PostContribution(ctx, t, bodyHash, hid)
	switch {
	case errors.Is(err, ledger.ErrNotInPlan):
		return nil, a.whyNoContribution(ctx, projectID, in, err)
	case errors.Is(err, ledger.ErrNotFound):
		_, err = withPlan(nil, err, projectID) // no book: no plan for the project
		return nil, err
	case err != nil:
		return nil, explainBound(err, "")
	}
	e, err := entryOf(p)
	if err != nil {
		return nil, err
	}
	if !e.Replayed {
		contributionsPosted.Add(ctx, 1)
	}
	// The first request's household, on a replay: the same, as the body is the same.
	h := e.Record.HouseholdID
	return &Contribution{Entry: *e, Standing: ledger.StandingOf(h, quota, -e.After[ledger.HouseholdAccount(h)], 0)}, nil
}

// whyNoContribution says why a contribution cannot be posted, checking in the order the
// service always has: that the project has a plan; that a household owing no quota is a
// household of the project's compound at all (asked of governance: only the registry
// tells an unknown household from one of another compound); the amount; that the
// household owes a quota; and last cause, what stopped the write (a bad effective time,
// or the store's refusal).
func (a *App) whyNoContribution(ctx context.Context, projectID string, in ContributionRequest, cause error) error {
	hid := in.HouseholdID
	st, err := a.planFor(ctx, projectID, hid)
	if err != nil {
		return err
	}
	if _, owes := st.Plan.Quotas[hid]; !owes {
		cid, err := a.peers.HouseholdCompound(ctx, hid)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			return fault.Field("contribution.householdId", "no household "+hid)
		case err != nil:
			return err
		case cid != st.Plan.CompoundID:
			return fmt.Errorf("%w: household %s is not a household of compound %s", ledger.ErrNotInCompound, hid, st.Plan.CompoundID)
		}
	}
	if _, err := ledger.Contribution(st.Plan, hid, in.AmountFen); err != nil {
		return err
	}
	return cause
}

// standings lists every household of the plan with its status, by household id.
func standings(st *ledger.BookState, tallies map[string]int64) []ledger.Standing {
	hids := make([]string, 0, len(st.Plan.Quotas))
	for h := range st.Plan.Quotas {
		hids = append(hids, h)
	}
	sort.Strings(hids)
	out := make([]ledger.Standing, len(hids))
	for i, h := range hids {
		out[i] = ledger.StandingOf(h, st.Plan.Quotas[h], -st.Balances[ledger.HouseholdAccount(h)], tallies["refunded:"+h])
	}
	return out
}

// GetHouseholdQuota is one household's standing for a project: its quota and what it has
// paid, net of reversals. No plan, or a household that owes no quota under it, is
// ledger.ErrNotFound.
func (a *App) GetHouseholdQuota(ctx context.Context, projectID, householdID string) (ledger.Standing, error) {
	st, err := a.plan(ctx, projectID)
	if err != nil {
		return ledger.Standing{}, err
	}
	quota, ok := st.Plan.Quotas[householdID]
	if !ok {
		return ledger.Standing{}, fmt.Errorf("%w: household %s owes no quota for project %s", ledger.ErrNotFound, householdID, projectID)
	}
	tallies, err := a.store.Tallies(ctx, st.Book.ID)
	if err != nil {
		return ledger.Standing{}, err
	}
	return ledger.StandingOf(householdID, quota, -st.Balances[ledger.HouseholdAccount(householdID)], tallies["refunded:"+householdID]), nil
}

// Collection is rule 8's report: households paid / due, collected / target, and one page
// of households.
type Collection struct {
	ProjectID                                                                  string
	HouseholdCount                                                             int
	TargetFen, CollectedFen                                                    int64
	PaidHouseholds, PartiallyPaidHouseholds, DueHouseholds, RefundedHouseholds int
	Households                                                                 []ledger.Standing
	NextPageToken                                                              string
}

// GetCollection reports households paid / due and collected / target (rule 8), with one
// page of households (by id) in the status asked for (StatusUnspecified: any). No plan is
// ledger.ErrNotFound; a token not issued here is bad input on pageToken.
func (a *App) GetCollection(ctx context.Context, projectID string, want ledger.QuotaStatus, token string, size int) (*Collection, error) {
	st, err := a.plan(ctx, projectID)
	if err != nil {
		return nil, err
	}
	tallies, err := a.store.Tallies(ctx, st.Book.ID)
	if err != nil {
		return nil, err
	}
	after, err := paging.DecodeToken(token)
	if err != nil {
		return nil, err
	}
	out := &Collection{ProjectID: st.Plan.ProjectID, HouseholdCount: len(st.Plan.Quotas), TargetFen: st.Plan.Target()}
	for _, h := range standings(st, tallies) {
		out.CollectedFen += h.PaidFen
		switch h.Status {
		case ledger.Paid:
			out.PaidHouseholds++
		case ledger.PartiallyPaid:
			out.PartiallyPaidHouseholds++
			out.DueHouseholds++
		case ledger.Due:
			out.DueHouseholds++
		case ledger.Refunded:
			out.RefundedHouseholds++
			out.DueHouseholds++
		}
		if h.HouseholdID <= after || (want != ledger.StatusUnspecified && h.Status != want) {
			continue
		}
		if len(out.Households) == size {
			if out.NextPageToken == "" {
				out.NextPageToken = paging.EncodeToken(out.Households[size-1].HouseholdID)
			}
			continue
		}
		out.Households = append(out.Households, h)
	}
	return out, nil
}

// DisbursementRequest pays under a contract of the project.
type DisbursementRequest struct {
	ContractID      string
	AmountFen       int64
	ItemID, Purpose string
	RequestID       string
	// At is when the money moved, for what is entered after the fact (rule 15); zero: now.
	At time.Time
}

// Disbursement is a payment written, with what the contract has been paid and what is
// held back of it.
type Disbursement struct {
	Entry
	PaidToPayeeFen, RetentionFen int64
}

// CreateDisbursement pays under one of the project's contracts from its fund (rule 7:
// never beyond the fund's balance, INSUFFICIENT_FUNDS); beyond 97% of the contract only
// once the project is ACCEPTED (rule 9: 3% retention until acceptance, asked of the
// projects service; RETENTION_HELD, then OVER_CONTRACT), counted per contract in the
// store's one step. The payee and the contract's amount come from the contract. A project
// only PROPOSED or CANCELLED pays nothing (PROJECT_NOT_ACTIVE); an unknown contract is bad
// input on disbursement.contractId, an item not of the project on disbursement.itemId.
// Refusals say by how much.
func (a *App) CreateDisbursement(ctx context.Context, projectID string, in DisbursementRequest, bodyHash string) (*Disbursement, error) {
	st, err := a.planFor(ctx, projectID)
	if err != nil {
		return nil, err
	}
	proj, err := a.peers.Project(ctx, st.Plan.ProjectID)
	if err != nil {
		return nil, err
	}
	if err := ledger.ContractOpen(proj.Status); err != nil {
		return nil, err
	}
	c, err := a.store.Contract(ctx, st.Book.ID, in.ContractID)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, fault.Field("disbursement.contractId", "no contract "+in.ContractID+" of project "+proj.ID)
	}
	if err != nil {
		return nil, err
	}
	if in.ItemID != "" {
		if err := a.itemsOf(ctx, proj.ID, func(int) string { return "disbursement.itemId" }, in.ItemID); err != nil {
			return nil, err
		}
	}
	t, cap, err := ledger.Disbursement(*c, in.AmountFen, in.ItemID, proj.Accepted)
	if err != nil {
		return nil, err
	}
	t.Memo = in.Purpose
	rec := Record{ProjectID: proj.ID, ContractID: c.ID, Payee: c.Payee, ContractFen: c.AmountFen, ItemID: in.ItemID, Purpose: in.Purpose, AmountFen: in.AmountFen}
	t.EffectiveTime = in.At
	e, err := a.write(ctx, st.Book.ID, in.RequestID, bodyHash, t, rec, []ledger.Bound{cap}, c.ID)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, fault.Field("disbursement.contractId", "no contract "+in.ContractID+" of project "+proj.ID)
	}
	if err != nil {
		reason := "OVER_CONTRACT"
		if !proj.Accepted {
			reason = "RETENTION_HELD"
		}
		return nil, explainBound(err, reason)
	}
	return &Disbursement{Entry: *e, PaidToPayeeFen: e.After[ledger.PayeeAccount(e.Record.ContractID)], RetentionFen: ledger.RetentionFen(e.Record.ContractFen)}, nil
}
