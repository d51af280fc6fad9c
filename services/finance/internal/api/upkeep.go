package api

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/ledger"
)

// RecordIncome calls app.RecordIncome.
func (s *Server) RecordIncome(ctx context.Context, req *pb.RecordIncomeRequest) (*pb.Income, error) {
	hash, err := bodyHash(req)
	if err != nil {
		return nil, err
	}
	in := req.GetIncome()
	e, err := s.app.RecordIncome(ctx, req.GetCompoundId(), app.IncomeRequest{
		Stream: ledger.Stream(in.GetStream()), AmountFen: in.GetAmountFen(), ResolutionSurveyID: in.GetResolutionSurveyId(),
		Period: in.GetPeriod(), Notes: in.GetNotes(), RequestID: in.GetRequestId(), At: timeOf(in.GetEffectiveTime())}, hash)
	if err != nil {
		return nil, err
	}
	rec := e.Record
	return &pb.Income{
		Id: e.Tx.ID, CompoundId: rec.CompoundID, Stream: pb.Income_Stream(rec.Stream), AmountFen: rec.AmountFen,
		RequestId: e.Tx.RequestID, ResolutionSurveyId: rec.ResolutionSurveyID, Period: rec.Period, Notes: e.Tx.Memo,
		BookId: e.Tx.BookID, TransactionId: e.Tx.ID, FundBalanceFen: e.FundBalanceFen(), CreateTime: timestamppb.New(e.Tx.CreateTime), EffectiveTime: timestamppb.New(e.Tx.EffectiveTime),
	}, nil
}

// RecordExpense calls app.RecordExpense.
func (s *Server) RecordExpense(ctx context.Context, req *pb.RecordExpenseRequest) (*pb.Expense, error) {
	hash, err := bodyHash(req)
	if err != nil {
		return nil, err
	}
	in := req.GetExpense()
	e, err := s.app.RecordExpense(ctx, req.GetCompoundId(), app.ExpenseRequest{
		Kind: ledger.Expense(in.GetKind()), Payee: in.GetPayee(), AmountFen: in.GetAmountFen(),
		Period: in.GetPeriod(), Notes: in.GetNotes(), RequestID: in.GetRequestId(), At: timeOf(in.GetEffectiveTime())}, hash)
	if err != nil {
		return nil, err
	}
	rec := e.Record
	// Notes are the request's: the stored memo joins them to the payee.
	return &pb.Expense{
		Id: e.Tx.ID, CompoundId: rec.CompoundID, Kind: pb.Expense_Kind(rec.ExpenseKind), Payee: rec.Payee, AmountFen: rec.AmountFen,
		RequestId: e.Tx.RequestID, Period: rec.Period, Notes: in.GetNotes(), BookId: e.Tx.BookID, TransactionId: e.Tx.ID,
		FundBalanceFen: e.FundBalanceFen(), CreateTime: timestamppb.New(e.Tx.CreateTime), EffectiveTime: timestamppb.New(e.Tx.EffectiveTime),
	}, nil
}
