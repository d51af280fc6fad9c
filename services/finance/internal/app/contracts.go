package app

import (
	"context"
	"errors"
	"fmt"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/platform/ids"
	"tongdu/platform/paging"
	"tongdu/services/finance/internal/ledger"
)

// ContractRequest is a contract a client records.
type ContractRequest struct {
	Payee     string
	AmountFen int64
	ItemIDs   []string
	RequestID string
}

// ContractState is a contract with what is paid under it (net of reversals) and what is
// still held back of it (rule 9).
type ContractState struct {
	ledger.Contract
	PaidFen, HeldFen int64
}

// CreateContract records a project's contract with a payee (rule 9: contracts are
// records). The project must be APPROVED or later, and not CANCELLED (PROJECT_NOT_ACTIVE):
// a contract is signed once the owners approved the project. Its items must be items of
// the project (bad input on contract.itemIds[i]); its payee, normalised, has no other
// contract on the project (CONTRACT_EXISTS). A retry of the request that made it (same
// requestID and bodyHash) answers with the contract.
func (a *App) CreateContract(ctx context.Context, projectID string, in ContractRequest, bodyHash string) (*ContractState, error) {
	c, err := ledger.NewContract(ledger.Contract{ProjectID: projectID, Payee: in.Payee, AmountFen: in.AmountFen, ItemIDs: in.ItemIDs}, a.now())
	if err != nil {
		return nil, err
	}
	proj, err := a.peers.Project(ctx, projectID)
	if err != nil {
		return nil, err
	}
	if err := ledger.ContractOpen(proj.Status); err != nil {
		return nil, err
	}
	if err := a.itemsOf(ctx, proj.ID, func(i int) string { return fmt.Sprintf("contract.itemIds[%d]", i) }, c.ItemIDs...); err != nil {
		return nil, err
	}
	c.ID, c.Account = ids.New(), auth.Acting(ctx)
	book := ledger.RenovationBookID(proj.ID)
	got, _, err := a.store.CreateContract(ctx, book, c, in.RequestID, bodyHash)
	if err != nil {
		return nil, err
	}
	return a.contractState(ctx, book, *got, nil)
}

// itemsOf checks that each item is an item of the project, naming the field of the first
// that is not.
func (a *App) itemsOf(ctx context.Context, projectID string, field func(int) string, items ...string) error {
	var bad fault.Collect
	for i, it := range items {
		ok, err := a.peers.WorkItemExists(ctx, projectID, it)
		if err != nil {
			return err
		}
		if !ok {
			bad.Violation(field(i), "no work item "+it+" of project "+projectID)
		}
	}
	return bad.Err()
}

func (a *App) contractState(ctx context.Context, book string, c ledger.Contract, balances map[string]int64) (*ContractState, error) {
	if balances == nil {
		var err error
		if balances, err = a.store.Balances(ctx, book); err != nil {
			return nil, err
		}
	}
	paid := balances[ledger.PayeeAccount(c.ID)]
	return &ContractState{Contract: c, PaidFen: paid, HeldFen: ledger.HeldFen(c.AmountFen, paid)}, nil
}

// ListContracts lists a project's contracts by id, one page at a time, each with what is
// paid and what is still held. A project the projects service does not know is
// ledger.ErrNotFound.
func (a *App) ListContracts(ctx context.Context, projectID, token string, size int) ([]ContractState, string, error) {
	after, err := paging.DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	book := ledger.RenovationBookID(projectID)
	all, err := a.store.Contracts(ctx, book)
	if err != nil {
		return nil, "", err
	}
	if len(all) == 0 {
		// No contract: say whether the project exists at all.
		if _, err := a.peers.Project(ctx, projectID); err != nil && !errors.Is(err, ErrCallerRefused) {
			return nil, "", err
		}
	}
	balances, err := a.store.Balances(ctx, book)
	if err != nil {
		return nil, "", err
	}
	var out []ContractState
	for _, c := range all {
		if c.ID <= after {
			continue
		}
		if len(out) == size {
			return out, paging.EncodeToken(out[size-1].ID), nil
		}
		st, err := a.contractState(ctx, book, c, balances)
		if err != nil {
			return nil, "", err
		}
		out = append(out, *st)
	}
	return out, "", nil
}
