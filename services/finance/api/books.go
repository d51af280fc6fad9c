package api

import (
	"context"
	"errors"
	"sort"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/ledger"
	"tongdu/services/finance/storage"
)

func bookToPB(b *ledger.Book, fund, seq int64) *pb.Book {
	return &pb.Book{
		Id: b.ID, Kind: pb.Book_Kind(b.Kind), ProjectId: b.ProjectID, CompoundId: b.CompoundID,
		FundBalanceFen: fund, TransactionCount: int32(seq), CreateTime: timestamppb.New(b.CreateTime),
	}
}

// GetBook returns a book with its fund balance.
func (s *Server) GetBook(ctx context.Context, req *pb.GetBookRequest) (*pb.Book, error) {
	st, err := s.store.BookHead(ctx, req.GetBookId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return bookToPB(&st.Book, st.Balances[ledger.FundAccount], st.Seq), nil
}

// ListBooks lists books, by kind, project and compound.
func (s *Server) ListBooks(ctx context.Context, req *pb.ListBooksRequest) (*pb.ListBooksResponse, error) {
	// A project's and a compound's books are named after them.
	var named []string
	if req.GetProjectId() != "" {
		named = append(named, ledger.RenovationBookID(req.GetProjectId()))
	}
	if req.GetCompoundId() != "" {
		named = append(named, ledger.UpkeepBookID(req.GetCompoundId()))
		more, err := s.store.CompoundBooks(ctx, req.GetCompoundId())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		named = append(named, more...)
	}
	out := &pb.ListBooksResponse{}
	ids, next := named, ""
	if named == nil {
		var err error
		if ids, next, err = s.store.ListBooks(ctx, ledger.BookKind(req.GetKind()), req.GetPageToken(), pageSize(req.GetPageSize())); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		st, err := s.store.BookHead(ctx, id)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if k := ledger.BookKind(req.GetKind()); k != ledger.BookUnspecified && st.Book.Kind != k {
			continue
		}
		if req.GetProjectId() != "" && st.Book.ProjectID != req.GetProjectId() && req.GetCompoundId() == "" {
			continue
		}
		out.Books = append(out.Books, bookToPB(&st.Book, st.Balances[ledger.FundAccount], st.Seq))
	}
	out.NextPageToken = next
	return out, nil
}

// ListAccounts lists a book's accounts with their balances (which sum to zero).
func (s *Server) ListAccounts(ctx context.Context, req *pb.ListAccountsRequest) (*pb.ListAccountsResponse, error) {
	st, err := s.store.GetBook(ctx, req.GetBookId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	accounts := make([]string, 0, len(st.Balances)+1)
	for a := range st.Balances {
		accounts = append(accounts, a)
	}
	if _, ok := st.Balances[ledger.FundAccount]; !ok {
		accounts = append(accounts, ledger.FundAccount)
	}
	sort.Strings(accounts)
	after, err := storage.DecodeToken(req.GetPageToken())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListAccountsResponse{}
	size, want := pageSize(req.GetPageSize()), ledger.AccountKind(req.GetKind())
	for _, a := range accounts {
		kind, name := ledger.KindOf(a)
		if a <= after || (want != ledger.AccountUnspecified && kind != want) {
			continue
		}
		if len(out.Accounts) == size {
			out.NextPageToken = storage.EncodeToken(out.Accounts[size-1].GetId())
			break
		}
		out.Accounts = append(out.Accounts, &pb.Account{Id: a, BookId: st.Book.ID, Kind: pb.Account_Kind(kind), Name: name, BalanceFen: st.Balances[a]})
	}
	return out, nil
}

func txToPB(t *ledger.Transaction) *pb.Transaction {
	out := &pb.Transaction{
		Id: t.ID, BookId: t.BookID, RequestId: t.RequestID, Kind: pb.Transaction_Kind(t.Kind), ReversesTransactionId: t.Reverses,
		ReversedByTransactionId: t.ReversedBy, Memo: t.Memo, Sequence: t.Sequence, CreateTime: timestamppb.New(t.CreateTime),
	}
	for _, p := range t.Postings {
		out.Postings = append(out.Postings, &pb.Posting{AccountId: p.Account, AmountFen: p.AmountFen})
	}
	return out
}

// ListTransactions lists a book's log in sequence order.
func (s *Server) ListTransactions(ctx context.Context, req *pb.ListTransactionsRequest) (*pb.ListTransactionsResponse, error) {
	if _, _, err := s.store.FundBalance(ctx, req.GetBookId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	want := ledger.TxKind(req.GetKind())
	txs, next, err := s.store.Transactions(ctx, req.GetBookId(), func(t *ledger.Transaction) bool {
		return want == ledger.TxUnspecified || t.Kind == want
	}, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListTransactionsResponse{NextPageToken: next}
	for i := range txs {
		out.Transactions = append(out.Transactions, txToPB(&txs[i]))
	}
	return out, nil
}

// ReverseTransaction undoes a transaction by appending its mirror image, once: the
// original stays in the log, marked as reversed. Reversing money already spent is refused
// as the fund would go negative.
func (s *Server) ReverseTransaction(ctx context.Context, req *pb.ReverseTransactionRequest) (*pb.Transaction, error) {
	book, err := s.store.TransactionBook(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	orig, err := s.store.Transaction(ctx, book, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r, err := ledger.Reverse(orig, req.GetReason())
	if err != nil && !errors.Is(err, ledger.ErrAlreadyReversed) {
		return nil, s.fail(ctx, err)
	}
	if err != nil {
		// Already reversed: a retry of the reversal replays it, anything else is refused
		// by the store, which knows which request did it.
		r = ledger.Transaction{Kind: ledger.TxReversal, Reverses: orig.ID, Memo: req.GetReason()}
		for _, p := range orig.Postings {
			r.Postings = append(r.Postings, ledger.Posting{Account: p.Account, AmountFen: -p.AmountFen})
		}
	}
	p, _, err := s.write(ctx, book, req.GetRequestId(), req, r, record{}, nil, nil)
	if err != nil {
		return nil, s.fail(ctx, explainBound(err, ""))
	}
	return txToPB(&p.Tx), nil
}

// VerifyBook recomputes every balance from the book's log and reports any difference,
// and any transaction whose postings do not sum to zero.
func (s *Server) VerifyBook(ctx context.Context, req *pb.VerifyBookRequest) (*pb.VerifyBookResponse, error) {
	st, err := s.store.GetBook(ctx, req.GetBookId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	recomputed, unbalanced, n, err := s.store.Recompute(ctx, st.Book.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.VerifyBookResponse{BookId: st.Book.ID, TransactionsChecked: int32(n), UnbalancedTransactionIds: unbalanced}
	accounts := map[string]bool{}
	for a := range st.Balances {
		accounts[a] = true
	}
	for a := range recomputed {
		accounts[a] = true
	}
	names := make([]string, 0, len(accounts))
	for a := range accounts {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if st.Balances[a] != recomputed[a] {
			out.Differences = append(out.Differences, &pb.BalanceDifference{AccountId: a, StoredFen: st.Balances[a], RecomputedFen: recomputed[a]})
		}
	}
	out.Ok = len(out.Differences) == 0 && len(unbalanced) == 0
	return out, nil
}
