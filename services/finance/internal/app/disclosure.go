package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"tongdu/services/finance/internal/ledger"
)

// ProjectDisclosure is the public report (公示) of a project's money. It names no
// household and no resident (rule 13: personal data never in disclosure reports).
type ProjectDisclosure struct {
	ProjectID, CompoundID, BookID                  string
	BudgetFen, CommittedTotalFen, ReceivedTotalFen int64
	HouseholdCount                                 int
	TargetFen, CollectedFen, FundBalanceFen        int64
	PaidHouseholds, PartiallyPaidHouseholds        int
	DueHouseholds                                  int
	SourcesByParty                                 []PartyFunds
	SpendingByItem                                 []ItemSpending
	SpendingByPayee                                []PayeeSpending
	DisbursedTotalFen                              int64
	GenerateTime                                   time.Time
}

// PartyFunds is what one party committed and paid.
type PartyFunds struct {
	Party                     ledger.Party
	CommittedFen, ReceivedFen int64
}

// ItemSpending is what was paid for one item of works ("" for payments naming none).
type ItemSpending struct {
	ItemID    string
	AmountFen int64
}

// PayeeSpending is one contract: what is paid and what is still held back (rule 9: 3% of
// a contract retained until acceptance; held is never more than what is unpaid).
type PayeeSpending struct {
	ContractID, Payee                           string
	ContractFen, PaidFen, RetentionFen, HeldFen int64
}

// GetProjectDisclosure is the public report (公示) of a project's money: sources by party,
// collected against target, households paid and due as counts, spending by item and by
// payee, the fund's balance. No plan is ledger.ErrNotFound.
func (a *App) GetProjectDisclosure(ctx context.Context, projectID string) (*ProjectDisclosure, error) {
	st, err := a.plan(ctx, projectID)
	if err != nil {
		return nil, err
	}
	plan, err := a.GetFundingPlan(ctx, projectID)
	if err != nil {
		return nil, err
	}
	tallies, err := a.store.Tallies(ctx, st.Book.ID)
	if err != nil {
		return nil, err
	}
	contracts, err := a.store.Contracts(ctx, st.Book.ID)
	if err != nil {
		return nil, err
	}
	out := &ProjectDisclosure{
		ProjectID: st.Plan.ProjectID, CompoundID: st.Plan.CompoundID, BookID: st.Book.ID, BudgetFen: plan.BudgetFen,
		CommittedTotalFen: plan.Plan.Committed(), ReceivedTotalFen: plan.ReceivedFen,
		HouseholdCount: len(st.Plan.Quotas), TargetFen: st.Plan.Target(),
		FundBalanceFen: st.Balances[ledger.FundAccount], GenerateTime: a.now(),
	}
	byParty := map[ledger.Party]int{}
	for i, src := range plan.Plan.Sources {
		at, ok := byParty[src.Party]
		if !ok {
			at = len(out.SourcesByParty)
			byParty[src.Party] = at
			out.SourcesByParty = append(out.SourcesByParty, PartyFunds{Party: src.Party})
		}
		out.SourcesByParty[at].CommittedFen += src.CommittedFen
		out.SourcesByParty[at].ReceivedFen += plan.Received[i]
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
			out.SpendingByItem = append(out.SpendingByItem, ItemSpending{ItemID: strings.TrimPrefix(k, "item:"), AmountFen: v})
			itemized += v
		}
	}
	// Rule 9: per contract, what is paid and what is still held (never a held amount that
	// was in fact paid), by payee.
	sort.Slice(contracts, func(i, j int) bool { return contracts[i].Payee < contracts[j].Payee })
	for _, c := range contracts {
		paid := st.Balances[ledger.PayeeAccount(c.ID)]
		out.DisbursedTotalFen += paid
		out.SpendingByPayee = append(out.SpendingByPayee, PayeeSpending{ContractID: c.ID, Payee: c.Payee, ContractFen: c.AmountFen, PaidFen: paid,
			RetentionFen: ledger.RetentionFen(c.AmountFen), HeldFen: ledger.HeldFen(c.AmountFen, paid)})
	}
	if rest := out.DisbursedTotalFen - itemized; rest != 0 {
		out.SpendingByItem = append(out.SpendingByItem, ItemSpending{ItemID: "", AmountFen: rest})
	}
	return out, nil
}

// CompoundDisclosure is the public report of a compound's upkeep money.
type CompoundDisclosure struct {
	CompoundID, BookID string
	FundBalanceFen     int64
	IncomeByStream     []StreamIncome
	IncomeTotalFen     int64
	ExpensesByKind     []KindExpense
	ExpenseTotalFen    int64
	ProjectBalances    []ProjectBalance
	GenerateTime       time.Time
}

// StreamIncome is the income of one stream.
type StreamIncome struct {
	Stream    ledger.Stream
	AmountFen int64
}

// KindExpense is the expenses of one kind.
type KindExpense struct {
	Kind      ledger.Expense
	AmountFen int64
}

// ProjectBalance is the fund balance of one of the compound's renovation books.
type ProjectBalance struct {
	ProjectID, BookID string
	FundBalanceFen    int64
}

// GetCompoundDisclosure is the public report of a compound's upkeep money: income by
// stream, expenses by kind, the maintenance fund's balance, and the balances of its
// renovation funds. A compound unknown to the registry, or (for a public reader, who may
// not ask the registry) with no money recorded, is ledger.ErrNotFound.
func (a *App) GetCompoundDisclosure(ctx context.Context, compoundID string) (*CompoundDisclosure, error) {
	out := &CompoundDisclosure{CompoundID: compoundID, GenerateTime: a.now()}
	public := false
	st, err := a.store.GetBook(ctx, ledger.UpkeepBookID(compoundID))
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		// No upkeep money yet. A public reader may not ask the registry whether the
		// compound exists: then a compound with no book of any kind is simply not found.
		ok, err := a.peers.CompoundExists(ctx, compoundID)
		switch {
		case errors.Is(err, ErrCallerRefused):
			public = true
		case err != nil:
			return nil, err
		case !ok:
			return nil, ledger.ErrNotFound
		}
	case err != nil:
		return nil, err
	default:
		out.BookID = st.Book.ID
		out.FundBalanceFen = st.Balances[ledger.FundAccount]
		for stream := ledger.ParkingOwners; stream <= ledger.OtherIncome; stream++ {
			if v := -st.Balances[ledger.IncomeAccount(stream)]; v != 0 {
				out.IncomeByStream = append(out.IncomeByStream, StreamIncome{Stream: stream, AmountFen: v})
				out.IncomeTotalFen += v
			}
		}
		for kind := ledger.Cleaning; kind <= ledger.OtherExpense; kind++ {
			if v := st.Balances[ledger.ExpenseAccount(kind)]; v != 0 {
				out.ExpensesByKind = append(out.ExpensesByKind, KindExpense{Kind: kind, AmountFen: v})
				out.ExpenseTotalFen += v
			}
		}
	}
	books, err := a.store.CompoundBooks(ctx, compoundID)
	if err != nil {
		return nil, err
	}
	if public && len(books) == 0 {
		return nil, fmt.Errorf("%w: no money is recorded for compound %s", ledger.ErrNotFound, compoundID)
	}
	for _, b := range books {
		fund, _, err := a.store.FundBalance(ctx, b)
		if err != nil {
			return nil, err
		}
		out.ProjectBalances = append(out.ProjectBalances, ProjectBalance{ProjectID: strings.TrimPrefix(b, "renovation-"), BookID: b, FundBalanceFen: fund})
	}
	return out, nil
}
