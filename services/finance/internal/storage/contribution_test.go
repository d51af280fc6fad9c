package storage_test

import (
	"errors"
	"reflect"
	"testing"

	"tongdu/services/finance/internal/ledger"
)

// payment is a household's contribution as the service builds it without reading the
// plan (ledger.ContributionOf).
func payment(book, req, hid string, amount int64) ledger.Transaction {
	tx, err := ledger.ContributionOf(hid, amount)
	return mk(book, req, tx, err)
}

// PostContribution reads the household's quota in the posting step: it answers it with
// the outcome (a replay's too), refuses a household that owes none with ErrNotInPlan
// before the request id is looked at, and keeps the quota as the household's bound.
func TestPostContributionChecksTheQuotaInTheStep(t *testing.T) {
	s, rdb := open(t)
	_, book := renovation(t, s, "p1")

	first := payment(book, "c1", "h1", 700)
	got, q, err := s.PostContribution(bg, first, "h-c1", "h1")
	if err != nil || q != quota || got.Replayed || got.Tx.ID != first.ID || got.Tx.Sequence != 1 ||
		!reflect.DeepEqual(got.After, map[string]int64{"fund": 700, "household:h1": -700}) {
		t.Fatalf("posted %+v, quota %d, %v", got, q, err)
	}
	if b, err := s.TransactionBook(bg, first.ID); err != nil || b != book {
		t.Fatalf("book of the contribution: %q, %v", b, err)
	}
	stored, err := s.Transaction(bg, book, first.ID)
	if err != nil || !reflect.DeepEqual(*stored, got.Tx) {
		t.Fatalf("answered %+v, stored %+v (%v)", got.Tx, stored, err)
	}

	// Reversed, then retried: the retry answers the first transaction as it stands now.
	r, err := ledger.Reverse(&got.Tx, "wrong household")
	if err != nil {
		t.Fatal(err)
	}
	rev := post(t, s, mk(book, "rev1", r, nil), "h-rev1", nil, "")
	again, q, err := s.PostContribution(bg, payment(book, "c1", "h1", 700), "h-c1", "h1")
	if err != nil || q != quota || !again.Replayed || again.Tx.ID != first.ID || again.Tx.Sequence != 1 || again.Tx.ReversedBy != rev.Tx.ID ||
		!reflect.DeepEqual(again.After, got.After) || again.Tx.Detail != first.Detail {
		t.Fatalf("replay %+v, quota %d, %v", again, q, err)
	}
	before := snap(t, s, book)
	keys := rdb.DBSize(bg).Val()

	// Another body under the request id.
	if _, _, err := s.PostContribution(bg, payment(book, "c1", "h1", 701), "h-other", "h1"); !errors.Is(err, ledger.ErrRequestReused) {
		t.Fatalf("%v, want REQUEST_ID_REUSED", err)
	}
	// Beyond the quota: the household's bound, with the figures.
	var b *ledger.BoundError
	if _, _, err := s.PostContribution(bg, payment(book, "c2", "h2", quota+5), "h-c2", "h2"); !errors.As(err, &b) || b.Account != "household:h2" || !b.TooLow || b.By() != 5 {
		t.Fatalf("%v, want household:h2 below its minimum by 5", err)
	}
	// A household that owes no quota, under a new request id or a used one.
	for _, req := range []string{"c3", "c1"} {
		if _, _, err := s.PostContribution(bg, payment(book, req, "h9", 100), "h-"+req, "h9"); !errors.Is(err, ledger.ErrNotInPlan) {
			t.Fatalf("%s: %v, want NOT_IN_PLAN", req, err)
		}
	}
	// No book.
	if _, _, err := s.PostContribution(bg, payment("renovation-none", "c4", "h1", 100), "h-c4", "h1"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v, want not found", err)
	}
	unchanged(t, s, book, before)
	if n := rdb.DBSize(bg).Val(); n != keys {
		t.Fatalf("refusals left %d keys behind", n-keys)
	}
}
