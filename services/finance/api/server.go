// Package api is the finance service's gRPC layer: it builds transactions by the ledger's
// rules, asks projects, governance and survey for the facts behind them, writes through
// storage's one atomic step, and maps domain errors to statuses in one place (errors.go).
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/ledger"
	"tongdu/services/finance/peers"
	"tongdu/services/finance/storage"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// Peers is what the finance service asks the other services.
type Peers interface {
	Project(ctx context.Context, id string) (*peers.Project, error)
	Households(ctx context.Context, compoundID string) ([]ledger.Household, error)
	HouseholdCompound(ctx context.Context, id string) (string, error)
	CompoundExists(ctx context.Context, id string) (bool, error)
	BusinessResolution(ctx context.Context, compoundID, surveyID string) (ledger.ResolutionFacts, error)
}

// Server implements tongdu.finance.v1.FinanceService.
type Server struct {
	pb.UnimplementedFinanceServiceServer
	store *storage.Store
	peers Peers
	log   *slog.Logger
	now   func() time.Time
}

var _ pb.FinanceServiceServer = (*Server)(nil)

// New returns the server.
func New(store *storage.Store, p Peers, log *slog.Logger, now func() time.Time) *Server {
	return &Server{store: store, peers: p, log: log, now: now}
}

func (s *Server) fail(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

func pageSize(n int32) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return int(n)
}

// record is what a write said, kept in its transaction (Detail) so a replay answers with
// the same record.
type record struct {
	ProjectID          string `json:"projectId,omitempty"`
	CompoundID         string `json:"compoundId,omitempty"`
	Party              int    `json:"party,omitempty"`
	Funder             string `json:"funder,omitempty"`
	HouseholdID        string `json:"householdId,omitempty"`
	Method             int    `json:"method,omitempty"`
	Payee              string `json:"payee,omitempty"`
	ContractFen        int64  `json:"contractFen,omitempty"`
	ItemID             string `json:"itemId,omitempty"`
	Purpose            string `json:"purpose,omitempty"`
	Stream             int    `json:"stream,omitempty"`
	ExpenseKind        int    `json:"expenseKind,omitempty"`
	Period             string `json:"period,omitempty"`
	ResolutionSurveyID string `json:"resolutionSurveyId,omitempty"`
	AmountFen          int64  `json:"amountFen"`
}

// write posts a transaction built by a ledger rule for one request: it fills what the
// service owns, fingerprints the request body (so a retry replays and another body under
// the same request id is refused), and writes in one atomic step.
func (s *Server) write(ctx context.Context, bookID, requestID string, req proto.Message, t ledger.Transaction, rec record, extra []ledger.Bound, contract *storage.Contract) (*storage.Posted, *record, error) {
	hash, err := idempotency.BodyHash(req)
	if err != nil {
		return nil, nil, err
	}
	detail, err := json.Marshal(rec)
	if err != nil {
		return nil, nil, err
	}
	t.ID, t.BookID, t.RequestID, t.CreateTime, t.Detail = ids.New(), bookID, requestID, s.now(), string(detail)
	p, err := s.store.Post(ctx, t, hash, extra, contract)
	if err != nil {
		return nil, nil, err
	}
	var stored record
	if err := json.Unmarshal([]byte(p.Tx.Detail), &stored); err != nil {
		return nil, nil, fmt.Errorf("corrupt record of %s: %w", p.Tx.ID, err)
	}
	return p, &stored, nil
}

// receiptNumber is what a payer's receipt shows; it comes from the transaction id, so it
// is unique and the same on every replay.
func receiptNumber(txID string) string {
	return "TD" + strings.ToUpper(txID[len(txID)-12:])
}

// explainBound turns a bound the store refused into the money rule it keeps, with the
// figure a client shows: how much is missing, or over.
func explainBound(err error, payeeCap string) error {
	var b *storage.BoundError
	if !errors.As(err, &b) {
		return err
	}
	by := strconv.FormatInt(b.By(), 10)
	kind, name := ledger.KindOf(b.Account)
	switch {
	case kind == ledger.AccountFund:
		return &refusal{"INSUFFICIENT_FUNDS", fmt.Sprintf("the fund holds too little: short by %s yuan", ledger.Yuan(b.By())), map[string]string{"shortFen": by}}
	case kind == ledger.AccountHousehold && b.TooLow:
		return &refusal{"OVERPAYMENT", fmt.Sprintf("household %s would pay more than its quota: over by %s yuan", name, ledger.Yuan(b.By())), map[string]string{"overFen": by}}
	case kind == ledger.AccountSource && b.TooLow:
		return &refusal{"OVER_COMMITMENT", fmt.Sprintf("funder %s would pay more than it committed: over by %s yuan", name, ledger.Yuan(b.By())), map[string]string{"overFen": by}}
	case kind == ledger.AccountPayee && !b.TooLow:
		return &refusal{payeeCap, fmt.Sprintf("payee %s would be paid %s yuan, beyond its limit of %s yuan by %s yuan", name, ledger.Yuan(b.Balance), ledger.Yuan(b.Limit), ledger.Yuan(b.By())), map[string]string{"overFen": by, "limitFen": strconv.FormatInt(b.Limit, 10)}}
	}
	return err
}

// refusedToCaller reports a peer's refusal of the caller (no token, or not allowed): a
// public reader's request cannot ask peers on its behalf.
func refusedToCaller(err error) bool {
	c := status.Code(err)
	return err != nil && (c == codes.Unauthenticated || c == codes.PermissionDenied)
}
