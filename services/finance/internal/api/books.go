package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/ledger"
)

func bookToPB(b *app.Book) *pb.Book {
	return &pb.Book{
		Id: b.ID, Kind: pb.Book_Kind(b.Kind), ProjectId: b.ProjectID, CompoundId: b.CompoundID,
		FundBalanceFen: b.FundBalanceFen, TransactionCount: int32(b.TransactionCount), CreateTime: timestamppb.New(b.CreateTime),
	}
}

// GetBook calls app.GetBook.
func (s *Server) GetBook(ctx context.Context, req *pb.GetBookRequest) (*pb.Book, error) {
	b, err := s.app.GetBook(ctx, req.GetBookId())
	if err != nil {
		return nil, err
	}
	return bookToPB(b), nil
}

// ListBooks calls app.ListBooks.
func (s *Server) ListBooks(ctx context.Context, req *pb.ListBooksRequest) (*pb.ListBooksResponse, error) {
	f := app.BookFilter{Kind: ledger.BookKind(req.GetKind()), ProjectID: req.GetProjectId(), CompoundID: req.GetCompoundId()}
	books, next, err := s.app.ListBooks(ctx, f, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListBooksResponse{NextPageToken: next}
	for i := range books {
		out.Books = append(out.Books, bookToPB(&books[i]))
	}
	return out, nil
}

// ListAccounts calls app.ListAccounts.
func (s *Server) ListAccounts(ctx context.Context, req *pb.ListAccountsRequest) (*pb.ListAccountsResponse, error) {
	accounts, next, err := s.app.ListAccounts(ctx, req.GetBookId(), ledger.AccountKind(req.GetKind()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListAccountsResponse{NextPageToken: next}
	for _, a := range accounts {
		out.Accounts = append(out.Accounts, &pb.Account{Id: a.ID, BookId: a.BookID, Kind: pb.Account_Kind(a.Kind), Name: a.Name, BalanceFen: a.BalanceFen})
	}
	return out, nil
}

func txToPB(t *ledger.Transaction) *pb.Transaction {
	out := &pb.Transaction{
		Id: t.ID, BookId: t.BookID, RequestId: t.RequestID, Kind: pb.Transaction_Kind(t.Kind), ReversesTransactionId: t.Reverses,
		ReversedByTransactionId: t.ReversedBy, Memo: t.Memo, Sequence: t.Sequence, CreateTime: timestamppb.New(t.CreateTime), EffectiveTime: effectiveOf(t),
		Account: t.Account,
	}
	for _, p := range t.Postings {
		out.Postings = append(out.Postings, &pb.Posting{AccountId: p.Account, AmountFen: p.AmountFen})
	}
	return out
}

// ListTransactions calls app.ListTransactions.
func (s *Server) ListTransactions(ctx context.Context, req *pb.ListTransactionsRequest) (*pb.ListTransactionsResponse, error) {
	txs, next, err := s.app.ListTransactions(ctx, req.GetBookId(), ledger.TxKind(req.GetKind()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListTransactionsResponse{NextPageToken: next}
	for i := range txs {
		out.Transactions = append(out.Transactions, txToPB(&txs[i]))
	}
	return out, nil
}

// ReverseTransaction calls app.ReverseTransaction.
func (s *Server) ReverseTransaction(ctx context.Context, req *pb.ReverseTransactionRequest) (*pb.Transaction, error) {
	hash, err := bodyHash(req)
	if err != nil {
		return nil, err
	}
	t, err := s.app.ReverseTransaction(ctx, req.GetId(), req.GetReason(), req.GetRequestId(), hash)
	if err != nil {
		return nil, err
	}
	return txToPB(t), nil
}

// VerifyBook calls app.VerifyBook.
func (s *Server) VerifyBook(ctx context.Context, req *pb.VerifyBookRequest) (*pb.VerifyBookResponse, error) {
	v, err := s.app.VerifyBook(ctx, req.GetBookId())
	if err != nil {
		return nil, err
	}
	out := &pb.VerifyBookResponse{BookId: v.BookID, TransactionsChecked: int32(v.TransactionsChecked), UnbalancedTransactionIds: v.UnbalancedTransactions, Ok: v.OK}
	for _, d := range v.Differences {
		out.Differences = append(out.Differences, &pb.BalanceDifference{AccountId: d.Account, StoredFen: d.StoredFen, RecomputedFen: d.RecomputedFen})
	}
	return out, nil
}

// effectiveOf is when a transaction's money moved: its effective time, or for
// transactions written before it was kept, when they were entered.
func effectiveOf(t *ledger.Transaction) *timestamppb.Timestamp {
	if t.EffectiveTime.IsZero() {
		return timestamppb.New(t.CreateTime)
	}
	return timestamppb.New(t.EffectiveTime)
}

// timeOf is a request's time, zero when it gives none.
func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}
