// Package app holds the finance service's use cases, one exported method per command or
// query, named like its RPC: it builds transactions by the ledger's rules, asks projects,
// governance and survey for the facts behind them (Peers), writes through the store's
// one atomic step (Store), replays retries of a request id, explains a refused bound as
// the money rule it keeps, and counts contributions. It takes and returns ledger types
// and plain values; its errors are faults the gRPC layer answers as they are.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"tongdu/platform/auth"
	"tongdu/platform/dated"
	"tongdu/platform/fault"
	"tongdu/platform/ids"
	"tongdu/services/finance/internal/ledger"
)

// Store is what the finance service keeps in Redis (internal/storage implements it).
// Reads of a book that is not there are ledger.ErrNotFound.
type Store interface {
	CreateBook(ctx context.Context, b ledger.Book, plan *ledger.Plan, bounds []ledger.Bound, requestID, bodyHash string) error
	GetBook(ctx context.Context, id string) (*ledger.BookState, error)
	BookHead(ctx context.Context, id string) (*ledger.BookState, error)
	PlanFor(ctx context.Context, id string, households ...string) (*ledger.BookState, error)
	FundBalance(ctx context.Context, id string) (balance, seq int64, err error)
	Tallies(ctx context.Context, id string) (map[string]int64, error)
	CreateContract(ctx context.Context, book string, c ledger.Contract, requestID, bodyHash string) (*ledger.Contract, bool, error)
	Contract(ctx context.Context, book, id string) (*ledger.Contract, error)
	Contracts(ctx context.Context, book string) ([]ledger.Contract, error)
	Balances(ctx context.Context, book string) (map[string]int64, error)
	ListBooks(ctx context.Context, kind ledger.BookKind, token string, size int) ([]string, string, error)
	CompoundBooks(ctx context.Context, compoundID string) ([]string, error)
	ApprovedStream(ctx context.Context, bookID, stream string) (string, error)
	ApproveStream(ctx context.Context, bookID, stream, surveyID string) error
	Post(ctx context.Context, t ledger.Transaction, bodyHash string, extra []ledger.Bound, contractID string) (*ledger.Posted, error)
	// PostContribution is Post for a household's contribution (ledger.ContributionOf):
	// in the same step it checks that the household owes a quota under the book's plan
	// (ledger.ErrNotInPlan if not) and answers that quota, so a contribution needs no
	// read of the plan.
	PostContribution(ctx context.Context, t ledger.Transaction, bodyHash, householdID string) (*ledger.Posted, int64, error)
	Transaction(ctx context.Context, book, txID string) (*ledger.Transaction, error)
	TransactionBook(ctx context.Context, txID string) (string, error)
	Transactions(ctx context.Context, book string, match func(*ledger.Transaction) bool, token string, size int) ([]ledger.Transaction, string, error)
	Recompute(ctx context.Context, book string) (balances map[string]int64, unbalanced []string, n int, err error)
}

// Peers is what the finance service asks the other services. A missing resource is
// ledger.ErrNotFound; a peer that refuses the caller answers an error that
// errors.Is ErrCallerRefused.
type Peers interface {
	Project(ctx context.Context, id string) (*Project, error)
	// WorkItemExists reports whether a work item is an item of the project.
	WorkItemExists(ctx context.Context, projectID, itemID string) (bool, error)
	Households(ctx context.Context, compoundID string) ([]ledger.Household, error)
	HouseholdCompound(ctx context.Context, id string) (string, error)
	CompoundExists(ctx context.Context, id string) (bool, error)
	BusinessResolution(ctx context.Context, compoundID, surveyID string) (ledger.ResolutionFacts, error)
}

// Project is what finance needs of a project.
type Project struct {
	ID, CompoundID string
	BudgetFen      int64
	Accepted       bool // ACCEPTED or in MAINTENANCE: the retention may be paid (rule 9: 3% held until acceptance)
	Status         string
}

// ErrCallerRefused marks a peer's refusal of the caller (no token, or not allowed): a
// public reader's request cannot ask peers on its behalf. The error keeps the peer's own
// status for the client.
var ErrCallerRefused = errors.New("the peer refused the caller")

// App is the finance service's use cases.
type App struct {
	store Store
	peers Peers
	now   func() time.Time
}

// New returns the use cases over store and peers, with now as the clock.
func New(store Store, p Peers, now func() time.Time) *App {
	return &App{store: store, peers: p, now: now}
}

// contributionsPosted counts households' contributions posted to a ledger, not retries
// replayed from their request id: one per payment received. Made from the global meter,
// which forwards to the provider platform/telemetry installs.
var contributionsPosted, _ = otel.Meter("tongdu/services/finance").Int64Counter("tongdu.contributions",
	metric.WithDescription("households' contributions posted (replays of a request id not counted)"))

// Record is what a write said, kept in its transaction (Detail) so a replay answers with
// the same record.
type Record struct {
	ProjectID          string `json:"projectId,omitempty"`
	CompoundID         string `json:"compoundId,omitempty"`
	Party              int    `json:"party,omitempty"`
	Funder             string `json:"funder,omitempty"`
	HouseholdID        string `json:"householdId,omitempty"`
	Method             int    `json:"method,omitempty"`
	Payee              string `json:"payee,omitempty"`
	ContractID         string `json:"contractId,omitempty"`
	ContractFen        int64  `json:"contractFen,omitempty"`
	ItemID             string `json:"itemId,omitempty"`
	Purpose            string `json:"purpose,omitempty"`
	Stream             int    `json:"stream,omitempty"`
	ExpenseKind        int    `json:"expenseKind,omitempty"`
	Period             string `json:"period,omitempty"`
	ResolutionSurveyID string `json:"resolutionSurveyId,omitempty"`
	AmountFen          int64  `json:"amountFen"`
}

// Entry is the outcome of a money write: the transaction as stored, the record of the
// request that made it (the first one, on a replay), and the balances of its accounts
// just after it.
type Entry struct {
	Tx       ledger.Transaction
	Record   Record
	After    map[string]int64
	Replayed bool
}

// FundBalanceFen is the fund's balance just after the entry.
func (e *Entry) FundBalanceFen() int64 { return e.After[ledger.FundAccount] }

// ReceiptNumber is what a payer's receipt shows; it comes from the transaction id, so it
// is unique and the same on every replay.
func (e *Entry) ReceiptNumber() string {
	id := e.Tx.ID
	return "TD" + strings.ToUpper(id[len(id)-12:])
}

// write posts a transaction built by a ledger rule for one request: it fills what the
// service owns and writes in one atomic step. bodyHash fingerprints the request, so a
// retry replays and another body under the same request id is refused (rule 7: the same
// id with the same body returns the first result).
func (a *App) write(ctx context.Context, bookID, requestID, bodyHash string, t ledger.Transaction, rec Record, extra []ledger.Bound, contractID string) (*Entry, error) {
	t, err := a.stamp(ctx, bookID, requestID, t, rec)
	if err != nil {
		return nil, err
	}
	p, err := a.store.Post(ctx, t, bodyHash, extra, contractID)
	if err != nil {
		return nil, err
	}
	return entryOf(p)
}

// stamp fills what the service owns of a transaction about to be posted: its id, book,
// request id, times, the record of the request (Detail) and who acts (rule 16), and
// checks when the money moved (rule 15). The only error is a bad effective time.
func (a *App) stamp(ctx context.Context, bookID, requestID string, t ledger.Transaction, rec Record) (ledger.Transaction, error) {
	detail, err := json.Marshal(rec)
	if err != nil {
		return t, err
	}
	t.ID, t.BookID, t.RequestID, t.CreateTime, t.Detail = ids.New(), bookID, requestID, a.now(), string(detail)
	// Rule 15: when the money moved, for what is entered after the fact.
	if t.EffectiveTime, err = dated.At(t.EffectiveTime, t.CreateTime, time.Time{}, "effectiveTime", ""); err != nil {
		return t, err
	}
	t.Account = auth.Acting(ctx)
	return t, nil
}

// entryOf is the entry of a posted transaction, with the record of the request that made
// it (the first one, on a replay).
func entryOf(p *ledger.Posted) (*Entry, error) {
	e := &Entry{Tx: p.Tx, After: p.After, Replayed: p.Replayed}
	if err := json.Unmarshal([]byte(p.Tx.Detail), &e.Record); err != nil {
		return nil, fmt.Errorf("corrupt record of %s: %w", p.Tx.ID, err)
	}
	return e, nil
}

// explainBound turns a bound the store refused into the money rule it keeps, with the
// figure a client shows: how much is missing, or over. A bound no rule explains stays
// LIMIT_EXCEEDED.
func explainBound(err error, payeeCap string) error {
	var b *ledger.BoundError
	if !errors.As(err, &b) {
		return err
	}
	by := strconv.FormatInt(b.By(), 10)
	kind, name := ledger.KindOf(b.Account)
	switch {
	case kind == ledger.AccountFund:
		return fault.Refuse("INSUFFICIENT_FUNDS", fmt.Sprintf("the fund holds too little: short by %s yuan", ledger.Yuan(b.By())), map[string]string{"shortFen": by})
	case kind == ledger.AccountHousehold && b.TooLow:
		return fault.Refuse("OVERPAYMENT", fmt.Sprintf("household %s would pay more than its quota: over by %s yuan", name, ledger.Yuan(b.By())), map[string]string{"overFen": by})
	case kind == ledger.AccountSource && b.TooLow:
		return fault.Refuse("OVER_COMMITMENT", fmt.Sprintf("funder %s would pay more than it committed: over by %s yuan", name, ledger.Yuan(b.By())), map[string]string{"overFen": by})
	case kind == ledger.AccountPayee && !b.TooLow:
		return fault.Refuse(payeeCap, fmt.Sprintf("contract %s would be paid %s yuan, beyond its limit of %s yuan by %s yuan", name, ledger.Yuan(b.Balance), ledger.Yuan(b.Limit), ledger.Yuan(b.By())), map[string]string{"overFen": by, "limitFen": strconv.FormatInt(b.Limit, 10)})
	}
	return err
}
