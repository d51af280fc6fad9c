package api

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/idempotency"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/ledger"
	"tongdu/services/finance/storage"
)

// CreateFundingPlan sets who pays what for a project and fixes each household's quota,
// flat or per m² of exclusive area (households and areas from governance), opening the
// project's renovation book. One plan per project: a second is PLAN_EXISTS.
func (s *Server) CreateFundingPlan(ctx context.Context, req *pb.CreateFundingPlanRequest) (*pb.FundingPlan, error) {
	in := req.GetFundingPlan()
	proj, err := s.peers.Project(ctx, in.GetProjectId())
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, s.fail(ctx, &ledger.InvalidError{Violations: []ledger.Violation{{Field: "fundingPlan.projectId", Reason: "no project " + in.GetProjectId()}}})
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	plan := ledger.Plan{ProjectID: proj.ID, CompoundID: proj.CompoundID, BudgetFen: proj.BudgetFen,
		Quota: ledger.Quota{FlatFen: in.GetQuota().GetFlatFen(), PerM2Fen: in.GetQuota().GetPerM2Fen()}}
	for _, src := range in.GetSources() {
		plan.Sources = append(plan.Sources, ledger.Source{Party: ledger.Party(src.GetParty()), Funder: src.GetFunder(), CommittedFen: src.GetCommittedFen()})
	}
	var households []ledger.Household
	if plan.Quota.FlatFen > 0 || plan.Quota.PerM2Fen > 0 {
		if households, err = s.peers.Households(ctx, proj.CompoundID); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	plan, err = ledger.NewPlan(plan, households, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	// A retry of the request that made the plan answers with it; any other request for a
	// project with a plan is PLAN_EXISTS. The store decides both in the creating step.
	hash := ""
	if req.GetRequestId() != "" {
		if hash, err = idempotency.BodyHash(req); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	book := ledger.Book{ID: ledger.RenovationBookID(proj.ID), Kind: ledger.Renovation, ProjectID: proj.ID, CompoundID: proj.CompoundID, CreateTime: s.now()}
	if err := s.store.CreateBook(ctx, book, &plan, plan.Bounds(), req.GetRequestId(), hash); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetFundingPlan(ctx, &pb.GetFundingPlanRequest{ProjectId: proj.ID})
}

// planFor reads a project's plan with the quotas of the households named (for writes).
func (s *Server) planFor(ctx context.Context, projectID string, households ...string) (*storage.BookState, error) {
	st, err := s.store.PlanFor(ctx, ledger.RenovationBookID(projectID), households...)
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

// plan reads a project's renovation book with its plan.
func (s *Server) plan(ctx context.Context, projectID string) (*storage.BookState, error) {
	st, err := s.store.GetBook(ctx, ledger.RenovationBookID(projectID))
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
// guard of IN_CONSTRUCTION), with what each source has paid so far.
func (s *Server) GetFundingPlan(ctx context.Context, req *pb.GetFundingPlanRequest) (*pb.FundingPlan, error) {
	st, err := s.plan(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p := st.Plan
	budget := p.BudgetFen
	// The projects service owns the budget; it may have changed since the plan was made.
	// A public reader (the disclosure) may not ask it, and reads the plan's own figure:
	// the budget is fixed once construction starts.
	if proj, err := s.peers.Project(ctx, p.ProjectID); err == nil {
		budget = proj.BudgetFen
	} else if !errors.Is(err, ledger.ErrNotFound) && !refusedToCaller(err) {
		return nil, s.fail(ctx, err)
	}
	out := &pb.FundingPlan{
		ProjectId: p.ProjectID, CompoundId: p.CompoundID, BudgetFen: budget, BookId: st.Book.ID,
		CommittedTotalFen: p.Committed(), HouseholdCount: int32(len(p.Quotas)), TargetFen: p.Target(),
		CreateTime: timestamppb.New(p.CreateTime), UpdateTime: timestamppb.New(p.CreateTime),
	}
	if p.Quota.FlatFen > 0 {
		out.Quota = &pb.Quota{Amount: &pb.Quota_FlatFen{FlatFen: p.Quota.FlatFen}}
	} else if p.Quota.PerM2Fen > 0 {
		out.Quota = &pb.Quota{Amount: &pb.Quota_PerM2Fen{PerM2Fen: p.Quota.PerM2Fen}}
	}
	residentsPaid := collected(st)
	for _, src := range p.Sources {
		received := -st.Balances[ledger.SourceAccount(src.Party, src.Funder)]
		if src.Party == ledger.Residents {
			received = residentsPaid
		}
		out.ReceivedTotalFen += received
		out.Sources = append(out.Sources, &pb.FundingSource{Party: pb.FundingSource_Party(src.Party), Funder: src.Funder, CommittedFen: src.CommittedFen, ReceivedFen: received})
	}
	out.CoversBudget = out.CommittedTotalFen >= budget
	if !out.CoversBudget {
		out.ShortfallFen = budget - out.CommittedTotalFen
	}
	return out, nil
}

// collected is what the households have paid, net of refunds.
func collected(st *storage.BookState) int64 {
	var sum int64
	for hid := range st.Plan.Quotas {
		sum += -st.Balances[ledger.HouseholdAccount(hid)]
	}
	return sum
}

// CreateReceipt records money received from a government or social funder of the plan.
func (s *Server) CreateReceipt(ctx context.Context, req *pb.CreateReceiptRequest) (*pb.Receipt, error) {
	in := req.GetReceipt()
	st, err := s.planFor(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	party := ledger.Party(in.GetParty())
	t, err := ledger.Receipt(st.Plan, party, in.GetFunder(), in.GetAmountFen())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	t.Memo = in.GetMemo()
	p, rec, err := s.write(ctx, st.Book.ID, in.GetRequestId(), req, t, record{ProjectID: st.Plan.ProjectID, Party: int(party), Funder: in.GetFunder(), AmountFen: in.GetAmountFen()}, nil, nil)
	if err != nil {
		return nil, s.fail(ctx, explainBound(err, "OVER_COMMITMENT"))
	}
	return &pb.Receipt{
		Id: p.Tx.ID, ProjectId: rec.ProjectID, Party: pb.FundingSource_Party(rec.Party), Funder: rec.Funder, AmountFen: rec.AmountFen,
		RequestId: p.Tx.RequestID, Memo: p.Tx.Memo, BookId: p.Tx.BookID, TransactionId: p.Tx.ID, ReceiptNumber: receiptNumber(p.Tx.ID),
		CreateTime: timestamppb.New(p.Tx.CreateTime),
	}, nil
}

// CreateContribution records a household paying towards its quota (rule 8). The
// household must belong to the project's compound; paying beyond the quota is refused
// with the excess.
func (s *Server) CreateContribution(ctx context.Context, req *pb.CreateContributionRequest) (*pb.Contribution, error) {
	in := req.GetContribution()
	st, err := s.planFor(ctx, req.GetProjectId(), in.GetHouseholdId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	hid := in.GetHouseholdId()
	if _, owes := st.Plan.Quotas[hid]; !owes {
		cid, err := s.peers.HouseholdCompound(ctx, hid)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			return nil, s.fail(ctx, &ledger.InvalidError{Violations: []ledger.Violation{{Field: "contribution.householdId", Reason: "no household " + hid}}})
		case err != nil:
			return nil, s.fail(ctx, err)
		case cid != st.Plan.CompoundID:
			return nil, s.fail(ctx, fmt.Errorf("%w: household %s is not a household of compound %s", ledger.ErrNotInCompound, hid, st.Plan.CompoundID))
		}
	}
	t, err := ledger.Contribution(st.Plan, hid, in.GetAmountFen())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	t.Memo = in.GetMemo()
	p, rec, err := s.write(ctx, st.Book.ID, in.GetRequestId(), req, t, record{ProjectID: st.Plan.ProjectID, HouseholdID: hid, Method: int(in.GetMethod()), AmountFen: in.GetAmountFen()}, nil, nil)
	if err != nil {
		return nil, s.fail(ctx, explainBound(err, ""))
	}
	if !p.Replayed {
		contributionsPosted.Add(ctx, 1)
	}
	quota := st.Plan.Quotas[rec.HouseholdID]
	standing := ledger.StandingOf(rec.HouseholdID, quota, -p.After[ledger.HouseholdAccount(rec.HouseholdID)], 0)
	return &pb.Contribution{
		Id: p.Tx.ID, ProjectId: rec.ProjectID, HouseholdId: rec.HouseholdID, AmountFen: rec.AmountFen,
		Method: pb.Contribution_Method(rec.Method), RequestId: p.Tx.RequestID, Memo: p.Tx.Memo, BookId: p.Tx.BookID,
		TransactionId: p.Tx.ID, ReceiptNumber: receiptNumber(p.Tx.ID), HouseholdQuota: standingToPB(standing),
		CreateTime: timestamppb.New(p.Tx.CreateTime),
	}, nil
}

func standingToPB(s ledger.Standing) *pb.HouseholdQuota {
	return &pb.HouseholdQuota{HouseholdId: s.HouseholdID, QuotaFen: s.QuotaFen, PaidFen: s.PaidFen, Status: pb.HouseholdQuota_Status(s.Status)}
}

// standings lists every household of the plan with its status, by household id.
func standings(st *storage.BookState, tallies map[string]int64) []ledger.Standing {
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

// GetCollection reports households paid / due and collected / target (rule 8), with one
// page of households (by id) in the status asked for.
func (s *Server) GetCollection(ctx context.Context, req *pb.GetCollectionRequest) (*pb.Collection, error) {
	st, err := s.plan(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	tallies, err := s.store.Tallies(ctx, st.Book.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	after, err := storage.DecodeToken(req.GetPageToken())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.Collection{ProjectId: st.Plan.ProjectID, HouseholdCount: int32(len(st.Plan.Quotas)), TargetFen: st.Plan.Target()}
	want, size := ledger.QuotaStatus(req.GetStatus()), pageSize(req.GetPageSize())
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
				out.NextPageToken = storage.EncodeToken(out.Households[size-1].GetHouseholdId())
			}
			continue
		}
		out.Households = append(out.Households, standingToPB(h))
	}
	return out, nil
}

// CreateDisbursement pays a payee from the project's fund (rule 7: never beyond the
// fund's balance) within its contract; beyond 97% of the contract only once the project
// is ACCEPTED (rule 9, asked of the projects service). Refusals say by how much.
func (s *Server) CreateDisbursement(ctx context.Context, req *pb.CreateDisbursementRequest) (*pb.Disbursement, error) {
	in := req.GetDisbursement()
	st, err := s.planFor(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	proj, err := s.peers.Project(ctx, st.Plan.ProjectID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	t, cap, err := ledger.Disbursement(in.GetPayee(), in.GetContractAmountFen(), in.GetAmountFen(), in.GetItemId(), proj.Accepted)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	t.Memo = in.GetPurpose()
	rec := record{ProjectID: proj.ID, Payee: in.GetPayee(), ContractFen: in.GetContractAmountFen(), ItemID: in.GetItemId(), Purpose: in.GetPurpose(), AmountFen: in.GetAmountFen()}
	p, stored, err := s.write(ctx, st.Book.ID, in.GetRequestId(), req, t, rec, []ledger.Bound{cap}, &storage.Contract{Payee: in.GetPayee(), AmountFen: in.GetContractAmountFen()})
	if err != nil {
		reason := "OVER_CONTRACT"
		if !proj.Accepted {
			reason = "RETENTION_HELD"
		}
		return nil, s.fail(ctx, explainBound(err, reason))
	}
	return &pb.Disbursement{
		Id: p.Tx.ID, ProjectId: stored.ProjectID, Payee: stored.Payee, ContractAmountFen: stored.ContractFen, AmountFen: stored.AmountFen,
		Purpose: stored.Purpose, ItemId: stored.ItemID, RequestId: p.Tx.RequestID, BookId: p.Tx.BookID, TransactionId: p.Tx.ID,
		PaidToPayeeFen: p.After[ledger.PayeeAccount(stored.Payee)], RetentionFen: ledger.RetentionFen(stored.ContractFen),
		FundBalanceFen: p.After[ledger.FundAccount], CreateTime: timestamppb.New(p.Tx.CreateTime),
	}, nil
}
