package app

import (
	"context"
	"errors"
	"sort"

	"tongdu/platform/paging"
	"tongdu/services/finance/internal/ledger"
)

// Book is a book with its fund balance and transaction count.
type Book struct {
	ledger.Book
	FundBalanceFen   int64
	TransactionCount int64
}

func bookOf(st *ledger.BookState) Book {
	return Book{Book: st.Book, FundBalanceFen: st.Balances[ledger.FundAccount], TransactionCount: st.Seq}
}

// GetBook returns a book with its fund balance, or ledger.ErrNotFound.
func (a *App) GetBook(ctx context.Context, id string) (*Book, error) {
	st, err := a.store.BookHead(ctx, id)
	if err != nil {
		return nil, err
	}
	b := bookOf(st)
	return &b, nil
}

// BookFilter narrows ListBooks: a kind (BookUnspecified: any), a project's book, a
// compound's books.
type BookFilter struct {
	Kind                  ledger.BookKind
	ProjectID, CompoundID string
}

// ListBooks lists books, by kind, project and compound. A project's and a compound's
// books are named after them, so those are read at once, in one page; otherwise books
// are paged by id.
func (a *App) ListBooks(ctx context.Context, f BookFilter, token string, size int) ([]Book, string, error) {
	var named []string
	if f.ProjectID != "" {
		named = append(named, ledger.RenovationBookID(f.ProjectID))
	}
	if f.CompoundID != "" {
		named = append(named, ledger.UpkeepBookID(f.CompoundID))
		more, err := a.store.CompoundBooks(ctx, f.CompoundID)
		if err != nil {
			return nil, "", err
		}
		named = append(named, more...)
	}
	ids, next := named, ""
	if named == nil {
		var err error
		if ids, next, err = a.store.ListBooks(ctx, f.Kind, token, size); err != nil {
			return nil, "", err
		}
	}
	var out []Book
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		st, err := a.store.BookHead(ctx, id)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if f.Kind != ledger.BookUnspecified && st.Book.Kind != f.Kind {
			continue
		}
		if f.ProjectID != "" && st.Book.ProjectID != f.ProjectID && f.CompoundID == "" {
			continue
		}
		out = append(out, bookOf(st))
	}
	return out, next, nil
}

// Account is one account of a book with its balance.
type Account struct {
	ID, BookID string
	Kind       ledger.AccountKind
	Name       string
	BalanceFen int64
}

// ListAccounts lists a book's accounts of a kind (AccountUnspecified: any) with their
// balances (which sum to zero, rule 7: double entry), by id, one page at a time. An
// unknown book is ledger.ErrNotFound.
func (a *App) ListAccounts(ctx context.Context, bookID string, want ledger.AccountKind, token string, size int) ([]Account, string, error) {
	st, err := a.store.GetBook(ctx, bookID)
	if err != nil {
		return nil, "", err
	}
	accounts := make([]string, 0, len(st.Balances)+1)
	for acct := range st.Balances {
		accounts = append(accounts, acct)
	}
	if _, ok := st.Balances[ledger.FundAccount]; !ok {
		accounts = append(accounts, ledger.FundAccount)
	}
	sort.Strings(accounts)
	after, err := paging.DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	// A payee account is named by its contract (rule 9: the cap is per contract); the
	// listing names the payee, as an auditor reads it.
	payees := map[string]string{}
	if st.Book.Kind == ledger.Renovation {
		cs, err := a.store.Contracts(ctx, st.Book.ID)
		if err != nil {
			return nil, "", err
		}
		for _, c := range cs {
			payees[c.ID] = c.Payee
		}
	}
	var out []Account
	for _, acct := range accounts {
		kind, name := ledger.KindOf(acct)
		if acct <= after || (want != ledger.AccountUnspecified && kind != want) {
			continue
		}
		if p, ok := payees[name]; ok && kind == ledger.AccountPayee {
			name = p
		}
		if len(out) == size {
			return out, paging.EncodeToken(out[size-1].ID), nil
		}
		out = append(out, Account{ID: acct, BookID: st.Book.ID, Kind: kind, Name: name, BalanceFen: st.Balances[acct]})
	}
	return out, "", nil
}

// ListTransactions lists a book's log of a kind (TxUnspecified: any) in sequence order.
// An unknown book is ledger.ErrNotFound.
func (a *App) ListTransactions(ctx context.Context, bookID string, want ledger.TxKind, token string, size int) ([]ledger.Transaction, string, error) {
	if _, _, err := a.store.FundBalance(ctx, bookID); err != nil {
		return nil, "", err
	}
	return a.store.Transactions(ctx, bookID, func(t *ledger.Transaction) bool {
		return want == ledger.TxUnspecified || t.Kind == want
	}, token, size)
}

// ReverseTransaction undoes a transaction by appending its mirror image, once: the
// original stays in the log, marked as reversed (rule 7: never edited, undone by a
// reversing transaction). A second reversal is ALREADY_REVERSED, a reversal of a
// reversal NOT_REVERSIBLE; reversing money already spent is INSUFFICIENT_FUNDS as the
// fund would go negative.
func (a *App) ReverseTransaction(ctx context.Context, id, reason, requestID, bodyHash string) (*ledger.Transaction, error) {
	book, err := a.store.TransactionBook(ctx, id)
	if err != nil {
		return nil, err
	}
	orig, err := a.store.Transaction(ctx, book, id)
	if err != nil {
		return nil, err
	}
	r, err := ledger.Reverse(orig, reason)
	if err != nil && !errors.Is(err, ledger.ErrAlreadyReversed) {
		return nil, err
	}
	if err != nil {
		// Already reversed: a retry of the reversal replays it, anything else is refused
		// by the store, which knows which request did it.
		r = ledger.Transaction{Kind: ledger.TxReversal, Reverses: orig.ID, Memo: reason}
		for _, p := range orig.Postings {
			r.Postings = append(r.Postings, ledger.Posting{Account: p.Account, AmountFen: -p.AmountFen})
		}
	}
	e, err := a.write(ctx, book, requestID, bodyHash, r, Record{}, nil, "")
	if err != nil {
		return nil, explainBound(err, "")
	}
	return &e.Tx, nil
}

// Verification is what :verify found of a book.
type Verification struct {
	BookID                 string
	TransactionsChecked    int
	UnbalancedTransactions []string
	Differences            []Difference
	OK                     bool
}

// Difference is an account whose stored balance is not what its log adds up to.
type Difference struct {
	Account                  string
	StoredFen, RecomputedFen int64
}

// VerifyBook recomputes every balance from the book's log and reports any difference,
// and any transaction whose postings do not sum to zero (rule 7: balances can be
// recomputed from the log and must match). An unknown book is ledger.ErrNotFound.
func (a *App) VerifyBook(ctx context.Context, bookID string) (*Verification, error) {
	st, err := a.store.GetBook(ctx, bookID)
	if err != nil {
		return nil, err
	}
	recomputed, unbalanced, n, err := a.store.Recompute(ctx, st.Book.ID)
	if err != nil {
		return nil, err
	}
	out := &Verification{BookID: st.Book.ID, TransactionsChecked: n, UnbalancedTransactions: unbalanced}
	accounts := map[string]bool{}
	for acct := range st.Balances {
		accounts[acct] = true
	}
	for acct := range recomputed {
		accounts[acct] = true
	}
	names := make([]string, 0, len(accounts))
	for acct := range accounts {
		names = append(names, acct)
	}
	sort.Strings(names)
	for _, acct := range names {
		if st.Balances[acct] != recomputed[acct] {
			out.Differences = append(out.Differences, Difference{Account: acct, StoredFen: st.Balances[acct], RecomputedFen: recomputed[acct]})
		}
	}
	out.OK = len(out.Differences) == 0 && len(unbalanced) == 0
	return out, nil
}
