package api

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tongdu/proto/gen/go/tongdu/finance/v1"
)

// GetProjectDisclosure calls app.GetProjectDisclosure.
func (s *Server) GetProjectDisclosure(ctx context.Context, req *pb.GetProjectDisclosureRequest) (*pb.ProjectDisclosure, error) {
	d, err := s.app.GetProjectDisclosure(ctx, req.GetProjectId())
	if err != nil {
		return nil, err
	}
	out := &pb.ProjectDisclosure{
		ProjectId: d.ProjectID, CompoundId: d.CompoundID, BookId: d.BookID, BudgetFen: d.BudgetFen,
		CommittedTotalFen: d.CommittedTotalFen, ReceivedTotalFen: d.ReceivedTotalFen,
		HouseholdCount: int32(d.HouseholdCount), TargetFen: d.TargetFen, CollectedFen: d.CollectedFen,
		PaidHouseholds: int32(d.PaidHouseholds), PartiallyPaidHouseholds: int32(d.PartiallyPaidHouseholds), DueHouseholds: int32(d.DueHouseholds),
		FundBalanceFen: d.FundBalanceFen, DisbursedTotalFen: d.DisbursedTotalFen, GenerateTime: timestamppb.New(d.GenerateTime),
	}
	for _, p := range d.SourcesByParty {
		out.SourcesByParty = append(out.SourcesByParty, &pb.PartyFunds{Party: pb.FundingSource_Party(p.Party), CommittedFen: p.CommittedFen, ReceivedFen: p.ReceivedFen})
	}
	for _, i := range d.SpendingByItem {
		out.SpendingByItem = append(out.SpendingByItem, &pb.ItemSpending{ItemId: i.ItemID, AmountFen: i.AmountFen})
	}
	for _, p := range d.SpendingByPayee {
		out.SpendingByPayee = append(out.SpendingByPayee, &pb.PayeeSpending{ContractId: p.ContractID, Payee: p.Payee, ContractAmountFen: p.ContractFen, PaidFen: p.PaidFen, RetentionFen: p.RetentionFen, HeldFen: p.HeldFen})
	}
	return out, nil
}

// GetCompoundDisclosure calls app.GetCompoundDisclosure.
func (s *Server) GetCompoundDisclosure(ctx context.Context, req *pb.GetCompoundDisclosureRequest) (*pb.CompoundDisclosure, error) {
	d, err := s.app.GetCompoundDisclosure(ctx, req.GetCompoundId())
	if err != nil {
		return nil, err
	}
	out := &pb.CompoundDisclosure{
		CompoundId: d.CompoundID, BookId: d.BookID, FundBalanceFen: d.FundBalanceFen,
		IncomeTotalFen: d.IncomeTotalFen, ExpenseTotalFen: d.ExpenseTotalFen, GenerateTime: timestamppb.New(d.GenerateTime),
	}
	for _, i := range d.IncomeByStream {
		out.IncomeByStream = append(out.IncomeByStream, &pb.StreamIncome{Stream: pb.Income_Stream(i.Stream), AmountFen: i.AmountFen})
	}
	for _, e := range d.ExpensesByKind {
		out.ExpensesByKind = append(out.ExpensesByKind, &pb.KindExpense{Kind: pb.Expense_Kind(e.Kind), AmountFen: e.AmountFen})
	}
	for _, p := range d.ProjectBalances {
		out.ProjectBalances = append(out.ProjectBalances, &pb.ProjectBalance{ProjectId: p.ProjectID, BookId: p.BookID, FundBalanceFen: p.FundBalanceFen})
	}
	return out, nil
}
