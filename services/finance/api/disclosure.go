package api

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/ledger"
)

// GetProjectDisclosure is the public report (公示) of a project's money: sources by party,
// collected against target, households paid and due as counts, spending by item and by
// payee, the fund's balance. It names no household and no resident (rule 13).
func (s *Server) GetProjectDisclosure(ctx context.Context, req *pb.GetProjectDisclosureRequest) (*pb.ProjectDisclosure, error) {
	st, err := s.plan(ctx, req.GetProjectId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	plan, err := s.GetFundingPlan(ctx, &pb.GetFundingPlanRequest{ProjectId: req.GetProjectId()})
	if err != nil {
		return nil, err
	}
	tallies, err := s.store.Tallies(ctx, st.Book.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	contracts, err := s.store.Contracts(ctx, st.Book.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ProjectDisclosure{
		ProjectId: st.Plan.ProjectID, CompoundId: st.Plan.CompoundID, BookId: st.Book.ID, BudgetFen: plan.GetBudgetFen(),
		CommittedTotalFen: plan.GetCommittedTotalFen(), ReceivedTotalFen: plan.GetReceivedTotalFen(),
		HouseholdCount: int32(len(st.Plan.Quotas)), TargetFen: st.Plan.Target(),
		FundBalanceFen: st.Balances[ledger.FundAccount], GenerateTime: timestamppb.New(s.now()),
	}
	byParty := map[pb.FundingSource_Party]*pb.PartyFunds{}
	for _, src := range plan.GetSources() {
		pf := byParty[src.GetParty()]
		if pf == nil {
			pf = &pb.PartyFunds{Party: src.GetParty()}
			byParty[src.GetParty()] = pf
			out.SourcesByParty = append(out.SourcesByParty, pf)
		}
		pf.CommittedFen += src.GetCommittedFen()
		pf.ReceivedFen += src.GetReceivedFen()
	}
	sort.Slice(out.SourcesByParty, func(i, j int) bool { return out.SourcesByParty[i].Party < out.SourcesByParty[j].Party })
	for _, h := range standings(st, tallies) {
		out.CollectedFen += h.PaidFen
		switch h.Status {
		case ledger.Paid:
			out.PaidHouseholds++
		case ledger.PartiallyPaid:
			out.PartiallyPaidHouseholds++
			out.DueHouseholds++
		default:
			out.DueHouseholds++
		}
	}
	var items []string
	for k := range tallies {
		if strings.HasPrefix(k, "item:") {
			items = append(items, k)
		}
	}
	sort.Strings(items)
	var itemized int64
	for _, k := range items {
		if v := tallies[k]; v != 0 {
			out.SpendingByItem = append(out.SpendingByItem, &pb.ItemSpending{ItemId: strings.TrimPrefix(k, "item:"), AmountFen: v})
			itemized += v
		}
	}
	var payees []string
	for a := range st.Balances {
		if kind, _ := ledger.KindOf(a); kind == ledger.AccountPayee {
			payees = append(payees, a)
		}
	}
	sort.Strings(payees)
	for _, a := range payees {
		_, name := ledger.KindOf(a)
		paid := st.Balances[a]
		out.DisbursedTotalFen += paid
		contract := contracts[name]
		out.SpendingByPayee = append(out.SpendingByPayee, &pb.PayeeSpending{Payee: name, ContractAmountFen: contract, PaidFen: paid, RetentionFen: ledger.RetentionFen(contract)})
	}
	if rest := out.DisbursedTotalFen - itemized; rest != 0 {
		out.SpendingByItem = append(out.SpendingByItem, &pb.ItemSpending{ItemId: "", AmountFen: rest})
	}
	return out, nil
}

// GetCompoundDisclosure is the public report of a compound's upkeep money: income by
// stream, expenses by kind, the maintenance fund's balance, and the balances of its
// renovation funds.
func (s *Server) GetCompoundDisclosure(ctx context.Context, req *pb.GetCompoundDisclosureRequest) (*pb.CompoundDisclosure, error) {
	cid := req.GetCompoundId()
	out := &pb.CompoundDisclosure{CompoundId: cid, GenerateTime: timestamppb.New(s.now())}
	public := false
	st, err := s.store.GetBook(ctx, ledger.UpkeepBookID(cid))
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		// No upkeep money yet. A public reader may not ask the registry whether the
		// compound exists: then a compound with no book of any kind is simply not found.
		ok, err := s.peers.CompoundExists(ctx, cid)
		switch {
		case refusedToCaller(err):
			public = true
		case err != nil:
			return nil, s.fail(ctx, err)
		case !ok:
			return nil, s.fail(ctx, ledger.ErrNotFound)
		}
	case err != nil:
		return nil, s.fail(ctx, err)
	default:
		out.BookId = st.Book.ID
		out.FundBalanceFen = st.Balances[ledger.FundAccount]
		for stream := ledger.ParkingOwners; stream <= ledger.OtherIncome; stream++ {
			if v := -st.Balances[ledger.IncomeAccount(stream)]; v != 0 {
				out.IncomeByStream = append(out.IncomeByStream, &pb.StreamIncome{Stream: pb.Income_Stream(stream), AmountFen: v})
				out.IncomeTotalFen += v
			}
		}
		for kind := ledger.Cleaning; kind <= ledger.OtherExpense; kind++ {
			if v := st.Balances[ledger.ExpenseAccount(kind)]; v != 0 {
				out.ExpensesByKind = append(out.ExpensesByKind, &pb.KindExpense{Kind: pb.Expense_Kind(kind), AmountFen: v})
				out.ExpenseTotalFen += v
			}
		}
	}
	books, err := s.store.CompoundBooks(ctx, cid)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if public && len(books) == 0 {
		return nil, s.fail(ctx, fmt.Errorf("%w: no money is recorded for compound %s", ledger.ErrNotFound, cid))
	}
	for _, b := range books {
		fund, _, err := s.store.FundBalance(ctx, b)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		out.ProjectBalances = append(out.ProjectBalances, &pb.ProjectBalance{ProjectId: strings.TrimPrefix(b, "renovation-"), BookId: b, FundBalanceFen: fund})
	}
	return out, nil
}
