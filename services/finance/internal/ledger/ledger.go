// Package ledger holds the rules of Tongdu's money: rule 7 (integer fen, double entry:
// postings sum to zero, a fund never negative, mistakes undone by reversal), rule 8
// (household quotas, flat or per m²), rule 9 (a contract paid beyond 97% only once the
// project is accepted) and rule 10 (income from common parts needs a passed business-use
// resolution). Plain Go: no protobuf, no Redis; errors are platform/fault values. The store applies a transaction atomically, checking
// the bounds this package states.
package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"tongdu/platform/fault"
)

// Errors of the money rules, as the API answers them: each a fault with its kind and
// reason, wrapped with fmt.Errorf("%w: …") where it occurs so that the message says what
// happened. Every domain package declares its own list in this shape (platform/fault's
// way); the reasons are the rules'.
var (
	ErrNotFound        = fault.New(fault.NotFound, "", "not found")
	ErrRequestReused   = fault.New(fault.Exists, "REQUEST_ID_REUSED", "request id reused with another request")
	ErrAlreadyExists   = fault.New(fault.Exists, "PLAN_EXISTS", "already exists")
	ErrAlreadyReversed = fault.New(fault.Refused, "ALREADY_REVERSED", "already reversed")
	ErrNotReversible   = fault.New(fault.Refused, "NOT_REVERSIBLE", "not reversible")
	ErrNotInPlan       = fault.New(fault.Refused, "NOT_IN_PLAN", "not in the funding plan")
	ErrResolution      = fault.New(fault.Refused, "RESOLUTION_NOT_PASSED", "business-use resolution needed")
	ErrNotInCompound   = fault.New(fault.Refused, "HOUSEHOLD_NOT_IN_COMPOUND", "household not in compound")
	// ErrLimitExceeded is a bound the store refused that no money rule explains (see
	// BoundError): still a refusal, with the figures in its message.
	ErrLimitExceeded = fault.New(fault.Refused, "LIMIT_EXCEEDED", "limit exceeded")
	// ErrPeerNotBuilt is a peer service this version does not build: UNAVAILABLE, the
	// message naming the call "… is not built in this version".
	ErrPeerNotBuilt = fault.New(fault.Unavailable, "", "peer service not built")
)

// BookKind says what a book keeps.
type BookKind int

const (
	BookUnspecified BookKind = iota
	Renovation               // one project's renovation fund
	Upkeep                   // one compound's maintenance fund
)

// Book is one fund with its accounts and its append-only log.
type Book struct {
	ID         string    `json:"id"`
	Kind       BookKind  `json:"kind"`
	ProjectID  string    `json:"projectId,omitempty"`
	CompoundID string    `json:"compoundId"`
	CreateTime time.Time `json:"createTime"`
}

// RenovationBookID and UpkeepBookID name books after what they keep, so every service
// finds a book without a lookup.
func RenovationBookID(projectID string) string { return "renovation-" + projectID }

// UpkeepBookID is the maintenance book of a compound.
func UpkeepBookID(compoundID string) string { return "maintenance-" + compoundID }

// AccountKind is what an account stands for.
type AccountKind int

const (
	AccountUnspecified AccountKind = iota
	AccountFund
	AccountSource
	AccountHousehold
	AccountPayee
	AccountIncome
	AccountExpense
)

// Account ids are "<kind>:<name>", e.g. "fund", "source:GOVERNMENT:区住建局",
// "household:<id>", "payee:<contract id>", "income:PARKING_PUBLIC", "expense:CLEANING".
const FundAccount = "fund"

// SourceAccount is a funder's account.
func SourceAccount(p Party, funder string) string { return "source:" + p.String() + ":" + funder }

// HouseholdAccount is a household's quota account.
func HouseholdAccount(householdID string) string { return "household:" + householdID }

// PayeeAccount is the account of one contract with a contractor or supplier, named by
// the contract's id (rule 9: the 97% cap is counted per contract).
func PayeeAccount(contractID string) string { return "payee:" + contractID }

// IncomeAccount is an upkeep income stream's account.
func IncomeAccount(s Stream) string { return "income:" + s.String() }

// ExpenseAccount is an upkeep expense kind's account.
func ExpenseAccount(k Expense) string { return "expense:" + k.String() }

// KindOf tells an account's kind and name from its id.
func KindOf(accountID string) (AccountKind, string) {
	kind, name, _ := strings.Cut(accountID, ":")
	switch kind {
	case "fund":
		return AccountFund, "fund"
	case "source":
		return AccountSource, name
	case "household":
		return AccountHousehold, name
	case "payee":
		return AccountPayee, name
	case "income":
		return AccountIncome, name
	case "expense":
		return AccountExpense, name
	}
	return AccountUnspecified, accountID
}

// Posting is one line of a transaction; positive adds to the account's balance.
type Posting struct {
	Account   string `json:"account"`
	AmountFen int64  `json:"amountFen"`
}

// TxKind is what a transaction records.
type TxKind int

const (
	TxUnspecified TxKind = iota
	TxReceipt
	TxContribution
	TxDisbursement
	TxIncome
	TxExpense
	TxReversal
)

// Transaction is an entry of a book's log: never edited, never deleted.
type Transaction struct {
	ID         string    `json:"id"`
	BookID     string    `json:"bookId"`
	RequestID  string    `json:"requestId"`
	Kind       TxKind    `json:"kind"`
	Postings   []Posting `json:"postings"`
	Tallies    []Posting `json:"tallies,omitempty"` // report counters moved with it (spending by item, refunds)
	Reverses   string    `json:"reverses,omitempty"`
	Memo       string    `json:"memo,omitempty"`
	Detail     string    `json:"detail,omitempty"` // the API record it made (receipt, contribution, ...), as JSON
	CreateTime time.Time `json:"createTime"`
	// EffectiveTime is when the money moved (rule 15): CreateTime, unless it was entered
	// after the fact.
	EffectiveTime time.Time `json:"effectiveTime,omitzero"`
	// Account is the signed-in account that made the write: its token's subject
	// (rule 16: who acts), never taken from the request.
	Account string `json:"account,omitempty"`

	Sequence   int64  `json:"-"` // kept beside the record
	ReversedBy string `json:"-"`
}

// Balanced reports whether the postings sum to zero (rule 7: double entry).
func (t *Transaction) Balanced() bool {
	var sum int64
	for _, p := range t.Postings {
		sum += p.AmountFen
	}
	return sum == 0
}

// Bound limits an account's balance after a transaction: Min ≤ balance ≤ Max, where set.
type Bound struct {
	Account  string
	Min, Max *int64
}

func ptr(v int64) *int64 { return &v }

// MinBound and MaxBound state one side of a bound.
func MinBound(account string, min int64) Bound { return Bound{Account: account, Min: ptr(min)} }

// MaxBound states an upper bound.
func MaxBound(account string, max int64) Bound { return Bound{Account: account, Max: ptr(max)} }

// Between states both sides.
func Between(account string, min, max int64) Bound {
	return Bound{Account: account, Min: ptr(min), Max: ptr(max)}
}

// Yuan shows fen as yuan with two decimals: 108400 → "1084.00".
func Yuan(fen int64) string {
	sign, abs := "", uint64(fen)
	if fen < 0 {
		sign, abs = "-", -abs // as uint64, so that the most negative int64 has a magnitude too
	}
	return sign + strconv.FormatUint(abs/100, 10) + "." + fmt.Sprintf("%02d", abs%100)
}
