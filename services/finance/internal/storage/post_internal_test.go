package storage

import (
	"context"
	"testing"

	"tongdu/platform/testkit"
	"tongdu/services/finance/internal/ledger"
)

// Post checks the sum in Go before it calls the script; the script checks it again, so
// no caller can write an unbalanced transaction by going round Post.
func TestScriptRefusesUnbalancedPostings(t *testing.T) {
	ctx := context.Background()
	s := New(testkit.Redis(t))
	b := ledger.Book{ID: "b1", Kind: ledger.Upkeep, CompoundID: "c1"}
	if err := s.CreateBook(ctx, b, nil, ledger.UpkeepBounds(), "", ""); err != nil {
		t.Fatal(err)
	}
	keys := []string{bookKey("b1"), balancesKey("b1"), boundsKey("b1"), logKey("b1"), orderKey("b1"), requestsKey("b1"), reversedKey("b1"), talliesKey("b1"), contractsKey("b1"), afterKey("b1"), quotasKey("b1")}
	args := []any{"req-1", "hash", "tx-1", "{}", "", "", "b1", "", 2, "fund", "100", "income:OTHER", "-99", 0, 0}
	res, err := post.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		t.Fatal(err)
	}
	if res[0] != "UNBALANCED" {
		t.Fatalf("got %v, want UNBALANCED", res)
	}
	if n, _ := s.rdb.HLen(ctx, logKey("b1")).Result(); n != 0 {
		t.Fatalf("%d transactions written", n)
	}
	if n, _ := s.rdb.HLen(ctx, requestsKey("b1")).Result(); n != 0 {
		t.Fatalf("%d request ids kept", n)
	}
	if n, _ := s.rdb.HLen(ctx, balancesKey("b1")).Result(); n != 0 {
		t.Fatalf("%d balances moved", n)
	}
	// And a book that is not there (its keys share their slot, as a cluster requires).
	keys = []string{bookKey("nope"), balancesKey("nope"), boundsKey("nope"), logKey("nope"), orderKey("nope"), requestsKey("nope"), reversedKey("nope"), talliesKey("nope"), contractsKey("nope"), afterKey("nope"), quotasKey("nope")}
	if res, err := post.Run(ctx, s.rdb, keys, args...).Slice(); err != nil || res[0] != "NO_BOOK" {
		t.Fatalf("%v %v", res, err)
	}
}
