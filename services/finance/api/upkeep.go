package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/ledger"
)

// upkeepBook returns a compound's maintenance book id and whether the book is open; an
// unknown compound is bad input.
func (s *Server) upkeepBook(ctx context.Context, compoundID string) (string, bool, error) {
	id := ledger.UpkeepBookID(compoundID)
	if _, _, err := s.store.FundBalance(ctx, id); err == nil {
		return id, true, nil
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return "", false, err
	}
	ok, err := s.peers.CompoundExists(ctx, compoundID)
	if err != nil {
		return "", false, err
	}
	if !ok {
		return "", false, &ledger.InvalidError{Violations: []ledger.Violation{{Field: "compoundId", Reason: "no compound " + compoundID}}}
	}
	return id, false, nil
}

// openUpkeepBook opens a compound's maintenance book, once its first income passed its
// checks: a refused write leaves no book behind.
func (s *Server) openUpkeepBook(ctx context.Context, compoundID, id string) error {
	b := ledger.Book{ID: id, Kind: ledger.Upkeep, CompoundID: compoundID, CreateTime: s.now()}
	if err := s.store.CreateBook(ctx, b, nil, ledger.UpkeepBounds(), "", ""); err != nil && !errors.Is(err, ledger.ErrAlreadyExists) {
		return err
	}
	return nil
}

// RecordIncome credits the compound's maintenance fund (rule 10). The first income of a
// stream from common parts (parking let to outsiders, shop rent) needs a passed
// COMMON_PART_BUSINESS resolution of the compound, asked of the survey service.
func (s *Server) RecordIncome(ctx context.Context, req *pb.RecordIncomeRequest) (*pb.Income, error) {
	in := req.GetIncome()
	cid := req.GetCompoundId()
	bookID, open, err := s.upkeepBook(ctx, cid)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	stream := ledger.Stream(in.GetStream())
	if stream.FromCommonParts() {
		approved, err := s.store.ApprovedStream(ctx, bookID, stream.String())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if approved == "" {
			f, err := s.peers.BusinessResolution(ctx, cid, in.GetResolutionSurveyId())
			if in.GetResolutionSurveyId() != "" && err != nil {
				return nil, s.fail(ctx, err)
			}
			if err := ledger.CheckBusinessResolution(in.GetResolutionSurveyId(), f); err != nil {
				return nil, s.fail(ctx, err)
			}
			if err := s.store.ApproveStream(ctx, bookID, stream.String(), in.GetResolutionSurveyId()); err != nil {
				return nil, s.fail(ctx, err)
			}
		}
	}
	t, err := ledger.Income(stream, in.GetAmountFen())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if !open {
		if err := s.openUpkeepBook(ctx, cid, bookID); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	t.Memo = in.GetNotes()
	rec := record{CompoundID: cid, Stream: int(stream), Period: in.GetPeriod(), ResolutionSurveyID: in.GetResolutionSurveyId(), AmountFen: in.GetAmountFen()}
	p, stored, err := s.write(ctx, bookID, in.GetRequestId(), req, t, rec, nil, nil)
	if err != nil {
		return nil, s.fail(ctx, explainBound(err, ""))
	}
	return &pb.Income{
		Id: p.Tx.ID, CompoundId: stored.CompoundID, Stream: pb.Income_Stream(stored.Stream), AmountFen: stored.AmountFen,
		RequestId: p.Tx.RequestID, ResolutionSurveyId: stored.ResolutionSurveyID, Period: stored.Period, Notes: p.Tx.Memo,
		BookId: p.Tx.BookID, TransactionId: p.Tx.ID, FundBalanceFen: p.After[ledger.FundAccount], CreateTime: timestamppb.New(p.Tx.CreateTime),
	}, nil
}

// RecordExpense pays an upkeep expense from the compound's maintenance fund, never beyond
// its balance (INSUFFICIENT_FUNDS, with the shortfall).
func (s *Server) RecordExpense(ctx context.Context, req *pb.RecordExpenseRequest) (*pb.Expense, error) {
	in := req.GetExpense()
	cid := req.GetCompoundId()
	bookID, open, err := s.upkeepBook(ctx, cid)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	kind := ledger.Expense(in.GetKind())
	t, err := ledger.Spend(kind, in.GetPayee(), in.GetAmountFen())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if !open {
		// No book, no money: the expense is refused without opening one.
		return nil, s.fail(ctx, &refusal{"INSUFFICIENT_FUNDS", fmt.Sprintf("the compound's maintenance fund holds nothing: short by %s yuan", ledger.Yuan(in.GetAmountFen())), map[string]string{"shortFen": strconv.FormatInt(in.GetAmountFen(), 10)}})
	}
	if in.GetNotes() != "" {
		t.Memo = in.GetPayee() + ": " + in.GetNotes()
	}
	rec := record{CompoundID: cid, ExpenseKind: int(kind), Payee: in.GetPayee(), Period: in.GetPeriod(), AmountFen: in.GetAmountFen()}
	p, stored, err := s.write(ctx, bookID, in.GetRequestId(), req, t, rec, nil, nil)
	if err != nil {
		return nil, s.fail(ctx, explainBound(err, ""))
	}
	return &pb.Expense{
		Id: p.Tx.ID, CompoundId: stored.CompoundID, Kind: pb.Expense_Kind(stored.ExpenseKind), Payee: stored.Payee, AmountFen: stored.AmountFen,
		RequestId: p.Tx.RequestID, Period: stored.Period, Notes: in.GetNotes(), BookId: p.Tx.BookID, TransactionId: p.Tx.ID,
		FundBalanceFen: p.After[ledger.FundAccount], CreateTime: timestamppb.New(p.Tx.CreateTime),
	}, nil
}
