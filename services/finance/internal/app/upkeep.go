package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"tongdu/platform/fault"
	"tongdu/services/finance/internal/ledger"
)

// upkeepBook returns a compound's maintenance book id and whether the book is open; an
// unknown compound is bad input on compoundId.
func (a *App) upkeepBook(ctx context.Context, compoundID string) (string, bool, error) {
	id := ledger.UpkeepBookID(compoundID)
	if _, _, err := a.store.FundBalance(ctx, id); err == nil {
		return id, true, nil
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return "", false, err
	}
	ok, err := a.peers.CompoundExists(ctx, compoundID)
	if err != nil {
		return "", false, err
	}
	if !ok {
		return "", false, fault.Field("compoundId", "no compound "+compoundID)
	}
	return id, false, nil
}

// openUpkeepBook opens a compound's maintenance book, once its first income passed its
// checks: a refused write leaves no book behind.
func (a *App) openUpkeepBook(ctx context.Context, compoundID, id string) error {
	b := ledger.Book{ID: id, Kind: ledger.Upkeep, CompoundID: compoundID, CreateTime: a.now()}
	if err := a.store.CreateBook(ctx, b, nil, ledger.UpkeepBounds(), "", ""); err != nil && !errors.Is(err, ledger.ErrAlreadyExists) {
		return err
	}
	return nil
}

// IncomeRequest is upkeep income of a compound.
type IncomeRequest struct {
	Stream             ledger.Stream
	AmountFen          int64
	ResolutionSurveyID string
	Period, Notes      string
	RequestID          string
	// At is when the money moved, for what is entered after the fact (rule 15); zero: now.
	At time.Time
}

// RecordIncome credits the compound's maintenance fund (rule 10: income from common
// parts needs a passed business-use resolution that names that use). The first income of
// each stream from common parts (parking let to outsiders, shop rent, any other use) needs
// a passed COMMON_PART_BUSINESS resolution of the compound, asked of the survey service
// (RESOLUTION_NOT_PASSED), naming the stream's use among its business uses
// (RESOLUTION_NOT_FOR_USE); owners' own parking rent needs none. Once a stream is
// allowed, its later income needs no resolution again. An unknown compound is bad input
// on compoundId.
func (a *App) RecordIncome(ctx context.Context, compoundID string, in IncomeRequest, bodyHash string) (*Entry, error) {
	bookID, open, err := a.upkeepBook(ctx, compoundID)
	if err != nil {
		return nil, err
	}
	if in.Stream.FromCommonParts() {
		approved, err := a.store.ApprovedStream(ctx, bookID, in.Stream.String())
		if err != nil {
			return nil, err
		}
		if approved == "" {
			f, err := a.peers.BusinessResolution(ctx, compoundID, in.ResolutionSurveyID)
			if in.ResolutionSurveyID != "" && err != nil {
				return nil, err
			}
			if err := ledger.CheckBusinessResolution(in.ResolutionSurveyID, in.Stream, f); err != nil {
				return nil, err
			}
			if err := a.store.ApproveStream(ctx, bookID, in.Stream.String(), in.ResolutionSurveyID); err != nil {
				return nil, err
			}
		}
	}
	t, err := ledger.Income(in.Stream, in.AmountFen)
	if err != nil {
		return nil, err
	}
	if !open {
		if err := a.openUpkeepBook(ctx, compoundID, bookID); err != nil {
			return nil, err
		}
	}
	t.Memo = in.Notes
	rec := Record{CompoundID: compoundID, Stream: int(in.Stream), Period: in.Period, ResolutionSurveyID: in.ResolutionSurveyID, AmountFen: in.AmountFen}
	t.EffectiveTime = in.At
	e, err := a.write(ctx, bookID, in.RequestID, bodyHash, t, rec, nil, "")
	if err != nil {
		return nil, explainBound(err, "")
	}
	return e, nil
}

// ExpenseRequest is an upkeep expense of a compound.
type ExpenseRequest struct {
	Kind          ledger.Expense
	Payee         string
	AmountFen     int64
	Period, Notes string
	RequestID     string
	// At is when the money moved, for what is entered after the fact (rule 15); zero: now.
	At time.Time
}

// RecordExpense pays an upkeep expense from the compound's maintenance fund, never beyond
// its balance (INSUFFICIENT_FUNDS, with the shortfall); an unknown compound is bad input
// on compoundId.
func (a *App) RecordExpense(ctx context.Context, compoundID string, in ExpenseRequest, bodyHash string) (*Entry, error) {
	bookID, open, err := a.upkeepBook(ctx, compoundID)
	if err != nil {
		return nil, err
	}
	t, err := ledger.Spend(in.Kind, in.Payee, in.AmountFen)
	if err != nil {
		return nil, err
	}
	if !open {
		// No book, no money: the expense is refused without opening one.
		return nil, fault.Refuse("INSUFFICIENT_FUNDS", fmt.Sprintf("the compound's maintenance fund holds nothing: short by %s yuan", ledger.Yuan(in.AmountFen)), map[string]string{"shortFen": strconv.FormatInt(in.AmountFen, 10)})
	}
	if in.Notes != "" {
		t.Memo = in.Payee + ": " + in.Notes
	}
	rec := Record{CompoundID: compoundID, ExpenseKind: int(in.Kind), Payee: in.Payee, Period: in.Period, AmountFen: in.AmountFen}
	t.EffectiveTime = in.At
	e, err := a.write(ctx, bookID, in.RequestID, bodyHash, t, rec, nil, "")
	if err != nil {
		return nil, explainBound(err, "")
	}
	return e, nil
}
