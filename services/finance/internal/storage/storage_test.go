package storage_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"pgregory.net/rapid"

	"tongdu/platform/fault"
	"tongdu/platform/idempotency"
	"tongdu/platform/ids"
	"tongdu/platform/testkit"
	"tongdu/services/finance/internal/ledger"
	"tongdu/services/finance/internal/storage"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var (
	bg  = context.Background()
	now = time.Date(2024, 7, 1, 9, 0, 0, 0, time.UTC)
)

const (
	quota     = 108400
	committed = 1_000_000
	gov       = "source:GOVERNMENT:区住建局"
)

// renovation opens project pid's book: a government source committing 10,000 yuan and
// three households owing the flat 1,084 yuan.
func renovation(t testing.TB, s *storage.Store, pid string) (*ledger.Plan, string) {
	t.Helper()
	p, err := ledger.NewPlan(ledger.Plan{ProjectID: pid, CompoundID: "c1", BudgetFen: 2_000_000,
		Sources: []ledger.Source{{Party: ledger.Government, Funder: "区住建局", CommittedFen: committed}, {Party: ledger.Residents, Funder: "居民"}},
		Quota:   ledger.Quota{FlatFen: quota}},
		[]ledger.Household{{ID: "h1", AreaCenti: 6000}, {ID: "h2", AreaCenti: 6000}, {ID: "h3", AreaCenti: 6000}}, now)
	if err != nil {
		t.Fatal(err)
	}
	b := ledger.Book{ID: ledger.RenovationBookID(pid), Kind: ledger.Renovation, ProjectID: pid, CompoundID: "c1", CreateTime: now}
	if err := s.CreateBook(bg, b, &p, p.Bounds(), "", ""); err != nil {
		t.Fatal(err)
	}
	return &p, b.ID
}

func open(t testing.TB) (*storage.Store, redis.UniversalClient) {
	rdb := testkit.Redis(t)
	return storage.New(rdb), rdb
}

// mk fills what the service fills in.
func mk(book, req string, tx ledger.Transaction, err error) ledger.Transaction {
	if err != nil {
		panic(err)
	}
	tx.ID, tx.BookID, tx.RequestID, tx.CreateTime = ids.New(), book, req, now
	return tx
}

func receipt(p *ledger.Plan, book, req string, amount int64) ledger.Transaction {
	tx, err := ledger.Receipt(p, ledger.Government, "区住建局", amount)
	return mk(book, req, tx, err)
}

func contribution(p *ledger.Plan, book, req, hid string, amount int64) ledger.Transaction {
	tx, err := ledger.Contribution(p, hid, amount)
	return mk(book, req, tx, err)
}

func post(t testing.TB, s *storage.Store, tx ledger.Transaction, hash string, extra []ledger.Bound, c string) *ledger.Posted {
	t.Helper()
	p, err := s.Post(bg, tx, hash, extra, c)
	if err != nil {
		t.Fatalf("post %s: %v", tx.RequestID, err)
	}
	return p
}

// tb is what the helpers need of a *testing.T or a *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// snapshot is everything a refused write must leave as it was.
type snapshot struct {
	seq      int64
	balances map[string]int64
	log      int
	tallies  map[string]int64
}

func snap(t tb, s *storage.Store, book string) snapshot {
	t.Helper()
	st, err := s.GetBook(bg, book)
	if err != nil {
		t.Fatal(err)
	}
	txs, _, err := s.Transactions(bg, book, func(*ledger.Transaction) bool { return true }, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	tallies, err := s.Tallies(bg, book)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{st.Seq, st.Balances, len(txs), tallies}
}

func unchanged(t tb, s *storage.Store, book string, before snapshot) {
	t.Helper()
	if after := snap(t, s, book); !reflect.DeepEqual(after, before) {
		t.Fatalf("a refused write changed the book:\nbefore %+v\n after %+v", before, after)
	}
}

func TestPostWritesOneTransactionWithItsBalances(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	tx := receipt(p, book, "r1", 300_000)
	got := post(t, s, tx, "hash-r1", nil, "")
	if got.Replayed || got.Tx.ID != tx.ID || got.Tx.Sequence != 1 || got.Tx.RequestID != "r1" || got.Tx.BookID != book {
		t.Fatalf("%+v", got)
	}
	if !reflect.DeepEqual(got.After, map[string]int64{"fund": 300_000, gov: -300_000}) {
		t.Fatalf("after %v", got.After)
	}
	got = post(t, s, contribution(p, book, "c1", "h1", 8400), "hash-c1", nil, "")
	if got.Tx.Sequence != 2 || !reflect.DeepEqual(got.After, map[string]int64{"fund": 308_400, "household:h1": -8400}) {
		t.Fatalf("%+v", got)
	}
	fund, seq, err := s.FundBalance(bg, book)
	if err != nil || fund != 308_400 || seq != 2 {
		t.Fatalf("fund %d seq %d %v", fund, seq, err)
	}
	if b, err := s.TransactionBook(bg, tx.ID); err != nil || b != book {
		t.Fatalf("book of %s: %q %v", tx.ID, b, err)
	}
	stored, err := s.Transaction(bg, book, tx.ID)
	if err != nil || stored.Sequence != 1 || stored.Kind != ledger.TxReceipt || !reflect.DeepEqual(stored.Postings, tx.Postings) || !stored.CreateTime.Equal(now) {
		t.Fatalf("%+v %v", stored, err)
	}
}

func TestPostReplaysTheSameRequestAndRefusesAnotherBody(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	first := post(t, s, receipt(p, book, "r1", 300_000), "h-a", nil, "")
	before := snap(t, s, book)

	// The same request again (a retry builds a fresh transaction id): the first answer.
	again := post(t, s, receipt(p, book, "r1", 300_000), "h-a", nil, "")
	if !again.Replayed || again.Tx.ID != first.Tx.ID || again.Tx.Sequence != 1 || !reflect.DeepEqual(again.After, first.After) {
		t.Fatalf("replay %+v, first %+v", again, first)
	}
	unchanged(t, s, book, before)

	// The same request id with another body: refused, naming the first transaction.
	_, err := s.Post(bg, receipt(p, book, "r1", 100), "h-b", nil, "")
	var reused *storage.ReusedError
	if !errors.As(err, &reused) || reused.TransactionID != first.Tx.ID || !errors.Is(err, ledger.ErrRequestReused) {
		t.Fatalf("%v, want a ReusedError naming %s", err, first.Tx.ID)
	}
	unchanged(t, s, book, before)

	// A replay wins over every later check: the commitment is now reached, so the same
	// receipt afresh would be refused, but its retry answers as the first time.
	post(t, s, receipt(p, book, "r2", committed-300_000), "h-r2", nil, "")
	if _, err := s.Post(bg, receipt(p, book, "r3", 300_000), "h-a", nil, ""); !errors.As(err, new(*ledger.BoundError)) {
		t.Fatalf("%v", err)
	}
	again = post(t, s, receipt(p, book, "r1", 300_000), "h-a", nil, "")
	if !again.Replayed || again.Tx.ID != first.Tx.ID {
		t.Fatalf("%+v", again)
	}
}

// A refused write leaves no request record: the same request may be tried again once the
// money is there.
func TestRefusedRequestMayBeRetried(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	spend, _, _ := disburse(s, book, "d1", "x", 1000, 500, false)
	if _, err := s.Post(bg, spend, "h-d", nil, ""); !errors.As(err, new(*ledger.BoundError)) {
		t.Fatalf("%v", err)
	}
	post(t, s, receipt(p, book, "r1", 1000), "h-r", nil, "")
	spend.ID = ids.New()
	if got := post(t, s, spend, "h-d", nil, ""); got.Replayed || got.After["fund"] != 500 {
		t.Fatalf("%+v", got)
	}
}

func TestReverseOnce(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	orig := post(t, s, contribution(p, book, "c1", "h1", quota), "h-c1", nil, "").Tx
	r, err := ledger.Reverse(&orig, "paid at the wrong desk")
	if err != nil {
		t.Fatal(err)
	}
	rev := post(t, s, mk(book, "rev1", r, nil), "h-rev1", nil, "")
	if rev.Tx.Reverses != orig.ID || rev.Tx.Kind != ledger.TxReversal || !reflect.DeepEqual(rev.After, map[string]int64{"fund": 0, "household:h1": 0}) {
		t.Fatalf("%+v", rev)
	}
	marked, _ := s.Transaction(bg, book, orig.ID)
	if marked.ReversedBy != rev.Tx.ID {
		t.Fatalf("the original is not marked reversed: %+v", marked)
	}
	tallies, _ := s.Tallies(bg, book)
	if tallies["refunded:h1"] != quota {
		t.Fatalf("tallies %v", tallies)
	}
	before := snap(t, s, book)

	// Retrying the reversal replays it.
	again := post(t, s, mk(book, "rev1", r, nil), "h-rev1", nil, "")
	if !again.Replayed || again.Tx.ID != rev.Tx.ID {
		t.Fatalf("%+v", again)
	}
	// Another request to reverse it: refused, naming the reversal.
	_, err = s.Post(bg, mk(book, "rev2", r, nil), "h-rev2", nil, "")
	if !errors.Is(err, ledger.ErrAlreadyReversed) || !strings.Contains(err.Error(), rev.Tx.ID) {
		t.Fatalf("%v, want ErrAlreadyReversed naming %s", err, rev.Tx.ID)
	}
	// Reversing what is not in the log.
	ghost := r
	ghost.Reverses = "no-such-transaction"
	if _, err := s.Post(bg, mk(book, "rev3", ghost, nil), "h-rev3", nil, ""); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v", err)
	}
	unchanged(t, s, book, before)
}

// disburse pays under the contract whose id is payee, recording that contract first (a
// second call for the payee finds it there).
func disburse(s *storage.Store, book, req, payee string, contract, amount int64, accepted bool) (ledger.Transaction, []ledger.Bound, string) {
	c := ledger.Contract{ID: payee, Payee: payee, AmountFen: contract}
	if _, _, err := s.CreateContract(bg, book, c, "", ""); err != nil && !errors.Is(err, ledger.ErrContractExists) {
		panic(err)
	}
	tx, b, err := ledger.Disbursement(c, amount, "road", accepted)
	return mk(book, req, tx, err), []ledger.Bound{b}, payee
}

// Rule 9: every disbursement names a contract of the project, checked in the same step
// as the payment; one payee (normalised) has one contract.
func TestDisbursementNamesAContractOfTheProject(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	post(t, s, receipt(p, book, "r1", committed), "h-r1", nil, "")
	before := snap(t, s, book)

	tx, b, _ := disburse(s, book, "d0", "川建三公司", 500_000, 100_000, false)
	if _, err := s.Post(bg, tx, "h-d0", b, "no-such-contract"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v, want ErrNotFound", err)
	}
	unchanged(t, s, book, before)
	tx, b, c := disburse(s, book, "d1", "川建三公司", 500_000, 100_000, false)
	post(t, s, tx, "h-d1", b, c)

	// A second contract for the same payee is refused, whatever its request id.
	if _, _, err := s.CreateContract(bg, book, ledger.Contract{ID: "other", Payee: "川建三公司", AmountFen: 1}, "c-2", "h"); !errors.Is(err, ledger.ErrContractExists) {
		t.Fatalf("%v, want ErrContractExists", err)
	}
	// A retry of a contract's request replays it; another body is refused.
	first, _, err := s.CreateContract(bg, book, ledger.Contract{ID: "k1", Payee: "监理公司", AmountFen: 600_000}, "c-3", "h3")
	if err != nil {
		t.Fatal(err)
	}
	again, replayed, err := s.CreateContract(bg, book, ledger.Contract{ID: "k2", Payee: "监理公司", AmountFen: 600_000}, "c-3", "h3")
	if err != nil || !replayed || again.ID != first.ID {
		t.Fatalf("%v %v %v", again, replayed, err)
	}
	if _, _, err := s.CreateContract(bg, book, ledger.Contract{ID: "k3", Payee: "另一公司", AmountFen: 600_000}, "c-3", "h4"); !errors.Is(err, ledger.ErrRequestReused) {
		t.Fatalf("%v, want ErrRequestReused", err)
	}
	contracts, _ := s.Contracts(bg, book)
	if len(contracts) != 2 || contracts[0].ID != "k1" || contracts[1].Payee != "川建三公司" {
		t.Fatalf("%v", contracts)
	}
	tallies, _ := s.Tallies(bg, book)
	if tallies["item:road"] != 100_000 {
		t.Fatalf("%v", tallies)
	}
}

func TestUnbalancedTransactionIsRefused(t *testing.T) {
	s, _ := open(t)
	_, book := renovation(t, s, "p1")
	before := snap(t, s, book)
	tx := mk(book, "x1", ledger.Transaction{Kind: ledger.TxReceipt, Postings: []ledger.Posting{{Account: "fund", AmountFen: 100}, {Account: gov, AmountFen: -99}}}, nil)
	if _, err := s.Post(bg, tx, "h", nil, ""); err == nil || !strings.Contains(err.Error(), "do not sum to zero") {
		t.Fatalf("%v", err)
	}
	unchanged(t, s, book, before)
}

func TestBoundsAreCheckedInTheSameStep(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	post(t, s, receipt(p, book, "r1", 100_000), "h-r1", nil, "")
	before := snap(t, s, book)

	for _, tc := range []struct {
		name    string
		tx      ledger.Transaction
		extra   []ledger.Bound
		contr   string
		account string
		balance int64
		limit   int64
		low     bool
		by      int64
	}{
		{name: "the fund below zero", account: "fund", balance: -20_000, limit: 0, low: true, by: 20_000,
			tx: func() ledger.Transaction {
				tx, _, _ := disburse(s, book, "d1", "x", 1_000_000, 120_000, true)
				return tx
			}()},
		{name: "a funder beyond its commitment", account: gov, balance: -1_000_001, limit: -committed, low: true, by: 1,
			tx: receipt(p, book, "r2", committed-100_000+1)},
		{name: "a household beyond its quota", account: "household:h2", balance: -quota - 16, limit: -quota, low: true, by: 16,
			tx: contribution(p, book, "c1", "h2", quota+16)},
		{name: "a payee beyond this request's cap", account: "payee:x", balance: 98, limit: 97, by: 1,
			tx:    func() ledger.Transaction { tx, _, _ := disburse(s, book, "d2", "x", 100, 98, false); return tx }(),
			extra: []ledger.Bound{ledger.Between("payee:x", 0, 97)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Post(bg, tc.tx, "h-"+tc.tx.RequestID, tc.extra, tc.contr)
			var be *ledger.BoundError
			if !errors.As(err, &be) {
				t.Fatalf("%v, want a BoundError", err)
			}
			if be.Account != tc.account || be.Balance != tc.balance || be.Limit != tc.limit || be.TooLow != tc.low || be.By() != tc.by {
				t.Fatalf("%+v (by %d), want %s at %d against %d, low %v, by %d", be, be.By(), tc.account, tc.balance, tc.limit, tc.low, tc.by)
			}
			if be.Error() == "" {
				t.Fatal("no message")
			}
			unchanged(t, s, book, before)
		})
	}
	// Exactly at a bound is within it.
	post(t, s, contribution(p, book, "c2", "h2", quota), "h-c2", nil, "")
	tx, b, c := disburse(s, book, "d3", "x", 100, 97, false)
	post(t, s, tx, "h-d3", b, c)
	post(t, s, receipt(p, book, "r3", committed-100_000), "h-r3", nil, "")
	fund, _, _ := s.FundBalance(bg, book)
	tx, _, _ = disburse(s, book, "d4", "y", fund, fund, true)
	post(t, s, tx, "h-d4", nil, "")
	if fund, _, _ := s.FundBalance(bg, book); fund != 0 {
		t.Fatalf("fund %d", fund)
	}
}

func TestPostToAMissingBook(t *testing.T) {
	s, _ := open(t)
	p, _ := renovation(t, s, "p1")
	if _, err := s.Post(bg, receipt(p, "renovation-nope", "r1", 1), "h", nil, ""); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v", err)
	}
}

func TestBooks(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	if err := s.CreateBook(bg, ledger.Book{ID: book, Kind: ledger.Renovation, ProjectID: "p1", CompoundID: "c1"}, p, p.Bounds(), "", ""); !errors.Is(err, ledger.ErrAlreadyExists) {
		t.Fatalf("a second book: %v", err)
	}
	up := ledger.Book{ID: ledger.UpkeepBookID("c1"), Kind: ledger.Upkeep, CompoundID: "c1", CreateTime: now}
	if err := s.CreateBook(bg, up, nil, ledger.UpkeepBounds(), "", ""); err != nil {
		t.Fatal(err)
	}
	renovation(t, s, "p2")

	st, err := s.GetBook(bg, book)
	if err != nil {
		t.Fatal(err)
	}
	if st.Book.ProjectID != "p1" || st.Plan == nil || !reflect.DeepEqual(st.Plan.Quotas, p.Quotas) || st.Plan.Committed() != p.Committed() || st.Seq != 0 {
		t.Fatalf("%+v %+v", st.Book, st.Plan)
	}
	st, err = s.GetBook(bg, up.ID)
	if err != nil || st.Plan != nil || st.Book.Kind != ledger.Upkeep {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := s.GetBook(bg, "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v", err)
	}
	if _, _, err := s.FundBalance(bg, "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v", err)
	}
	if _, err := s.TransactionBook(bg, "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v", err)
	}
	if _, err := s.Transaction(bg, book, "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("%v", err)
	}

	all, next, err := s.ListBooks(bg, ledger.BookUnspecified, "", 2)
	if err != nil || len(all) != 2 || next == "" {
		t.Fatalf("%v %q %v", all, next, err)
	}
	rest, next, err := s.ListBooks(bg, ledger.BookUnspecified, next, 2)
	if err != nil || len(rest) != 1 || next != "" {
		t.Fatalf("%v %q %v", rest, next, err)
	}
	if ren, _, _ := s.ListBooks(bg, ledger.Renovation, "", 10); !reflect.DeepEqual(ren, []string{"renovation-p1", "renovation-p2"}) {
		t.Fatalf("%v", ren)
	}
	if cb, _ := s.CompoundBooks(bg, "c1"); !reflect.DeepEqual(cb, []string{"renovation-p1", "renovation-p2"}) {
		t.Fatalf("%v", cb)
	}
	if _, _, err := s.ListBooks(bg, ledger.BookUnspecified, "%%%", 2); !fault.IsKind(err, fault.Invalid) {
		t.Fatalf("a bad token: %v", err)
	}

	if v, err := s.ApprovedStream(bg, up.ID, "PARKING_PUBLIC"); v != "" || err != nil {
		t.Fatalf("%q %v", v, err)
	}
	_ = s.ApproveStream(bg, up.ID, "PARKING_PUBLIC", "s1")
	_ = s.ApproveStream(bg, up.ID, "PARKING_PUBLIC", "s2")
	if v, _ := s.ApprovedStream(bg, up.ID, "PARKING_PUBLIC"); v != "s1" {
		t.Fatalf("the first resolution stands: %q", v)
	}

	c, isNew, err := s.ClaimRequest(bg, "CreateFundingPlan", "req-1", idempotency.Claim{Hash: "a"})
	if err != nil || !isNew || c.Hash != "a" {
		t.Fatalf("%+v %v %v", c, isNew, err)
	}
	c, isNew, _ = s.ClaimRequest(bg, "CreateFundingPlan", "req-1", idempotency.Claim{Hash: "b"})
	if isNew || c.Hash != "a" {
		t.Fatalf("%+v %v", c, isNew)
	}
}

func TestTransactionsPageInSequenceOrder(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	var want []string
	for i := range 25 {
		tx := receipt(p, book, fmt.Sprintf("r%d", i), int64(i+1))
		if i%3 == 0 {
			tx = contribution(p, book, fmt.Sprintf("c%d", i), "h1", 1)
		}
		post(t, s, tx, "h"+tx.RequestID, nil, "")
		if tx.Kind == ledger.TxReceipt {
			want = append(want, tx.ID)
		}
	}
	var got []string
	token, pages := "", 0
	for {
		txs, next, err := s.Transactions(bg, book, func(t *ledger.Transaction) bool { return t.Kind == ledger.TxReceipt }, token, 5)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for i, tx := range txs {
			got = append(got, tx.ID)
			if i > 0 && tx.Sequence <= txs[i-1].Sequence {
				t.Fatalf("out of order: %d after %d", tx.Sequence, txs[i-1].Sequence)
			}
		}
		if token = next; token == "" {
			break
		}
	}
	if !reflect.DeepEqual(got, want) || pages > 5 {
		t.Fatalf("%d pages\n got %v\nwant %v", pages, got, want)
	}
}

// Recompute replays the whole log; it must land on the balances the script kept, however
// the writes were interleaved.
func TestRecomputeEqualsStoredBalances(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	post(t, s, receipt(p, book, "r0", committed), "h-r0", nil, "")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				req := fmt.Sprintf("g%d-%d", g, i)
				var tx ledger.Transaction
				var extra []ledger.Bound
				var c string
				switch i % 4 {
				case 0:
					tx = contribution(p, book, req, fmt.Sprintf("h%d", 1+i%3), 1000)
				case 1:
					tx, extra, c = disburse(s, book, req, "川建三公司", 900_000, 3000, false)
				case 2:
					tx = receipt(p, book, req, 10)
				case 3:
					tx = receipt(p, book, fmt.Sprintf("g%d-%d", g, i-1), 10) // a retry
					req = tx.RequestID
				}
				if _, err := s.Post(bg, tx, "h-"+req, extra, c); err != nil && !errors.As(err, new(*ledger.BoundError)) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// Undo a few.
	txs, _, _ := s.Transactions(bg, book, func(t *ledger.Transaction) bool { return t.Kind == ledger.TxContribution }, "", 5)
	for _, tx := range txs {
		r, _ := ledger.Reverse(&tx, "undo")
		post(t, s, mk(book, "rev-"+tx.ID, r, nil), "h-rev-"+tx.ID, nil, "")
	}
	st, _ := s.GetBook(bg, book)
	balances, unbalanced, n, err := s.Recompute(bg, book)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(balances, st.Balances) || len(unbalanced) != 0 || int64(n) != st.Seq {
		t.Fatalf("recomputed %v (%d transactions, unbalanced %v)\nstored %v (%d)", balances, n, unbalanced, st.Balances, st.Seq)
	}
	var total int64
	for _, v := range st.Balances {
		total += v
	}
	if total != 0 || st.Balances["fund"] < 0 {
		t.Fatalf("balances sum to %d, fund %d", total, st.Balances["fund"])
	}
}

// Random writes against the script, with random bounds: whatever is accepted keeps every
// bound, the log recomputes to the stored balances, refusals change nothing.
func TestPostKeepsBoundsAndLog(t *testing.T) {
	s, _ := open(t)
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		book := fmt.Sprintf("b%d", n)
		lo := rapid.Int64Range(-1000, 0).Draw(rt, "lo")
		bounds := []ledger.Bound{ledger.MinBound("fund", 0), ledger.Between("a", lo, 0), ledger.MaxBound("b", 500)}
		if err := s.CreateBook(bg, ledger.Book{ID: book, Kind: ledger.Upkeep, CompoundID: "c"}, nil, bounds, "", ""); err != nil {
			rt.Fatal(err)
		}
		accounts := []string{"fund", "a", "b", "c"}
		var posted []ledger.Transaction
		for i := range rapid.IntRange(1, 30).Draw(rt, "steps") {
			before := snap(rt, s, book)
			var tx ledger.Transaction
			if len(posted) > 0 && rapid.IntRange(0, 4).Draw(rt, "reverse?") == 0 {
				orig := posted[rapid.IntRange(0, len(posted)-1).Draw(rt, "which")]
				r, err := ledger.Reverse(&orig, "undo")
				if err != nil { // a reversal is not reversed
					continue
				}
				tx = mk(book, fmt.Sprintf("q%d", i), r, nil)
			} else {
				from := rapid.SampledFrom(accounts).Draw(rt, "from")
				to := rapid.SampledFrom(accounts).Draw(rt, "to")
				amt := rapid.Int64Range(1, 400).Draw(rt, "amount")
				tx = mk(book, fmt.Sprintf("q%d", i), ledger.Transaction{Kind: ledger.TxIncome, Postings: []ledger.Posting{{Account: from, AmountFen: -amt}, {Account: to, AmountFen: amt}}}, nil)
			}
			p, err := s.Post(bg, tx, fmt.Sprintf("h%d", i), nil, "")
			if err != nil {
				if !errors.As(err, new(*ledger.BoundError)) && !errors.Is(err, ledger.ErrAlreadyReversed) {
					rt.Fatal(err)
				}
				unchanged(rt, s, book, before)
				continue
			}
			posted = append(posted, p.Tx)
			st, _ := s.GetBook(bg, book)
			if st.Balances["fund"] < 0 || st.Balances["a"] < lo || st.Balances["a"] > 0 || st.Balances["b"] > 500 {
				rt.Fatalf("a bound broke: %v", st.Balances)
			}
			balances, unbalanced, _, err := s.Recompute(bg, book)
			if err != nil || len(unbalanced) > 0 || !reflect.DeepEqual(balances, st.Balances) {
				rt.Fatalf("recomputed %v %v %v, stored %v", balances, unbalanced, err, st.Balances)
			}
		}
	})
}

// Many clients sending the same request at once: one transaction.
func TestConcurrentRetriesMakeOneTransaction(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	ids := make(chan string, 50)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.Post(bg, contribution(p, book, "same", "h1", quota), "same-hash", nil, "")
			if err != nil {
				t.Error(err)
				return
			}
			ids <- got.Tx.ID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if fund, seq, _ := s.FundBalance(bg, book); len(seen) != 1 || fund != quota || seq != 1 {
		t.Fatalf("%d transactions, fund %d, seq %d", len(seen), fund, seq)
	}
}

// Amounts far beyond int32, and balances far beyond a province's budget, are exact in
// the script and in the refusal's figures.
func TestLargeAmountsStayExact(t *testing.T) {
	s, _ := open(t)
	up := ledger.Book{ID: "big", Kind: ledger.Upkeep, CompoundID: "c1"}
	if err := s.CreateBook(bg, up, nil, ledger.UpkeepBounds(), "", ""); err != nil {
		t.Fatal(err)
	}
	const big = 100_000_000_000 // 1 billion yuan, the API's largest amount
	for i := range 30 {
		tx, err := ledger.Income(ledger.OtherIncome, big-int64(i))
		post(t, s, mk("big", fmt.Sprintf("in-%d", i), tx, err), fmt.Sprintf("h%d", i), nil, "")
	}
	want := int64(30*big - 29*30/2)
	tx, err := ledger.Spend(ledger.Repairs, "x", want+7)
	_, err = s.Post(bg, mk("big", "out", tx, err), "h-out", nil, "")
	var be *ledger.BoundError
	if !errors.As(err, &be) || be.Balance != -7 || be.By() != 7 {
		t.Fatalf("%v", err)
	}
	tx, err = ledger.Spend(ledger.Repairs, "x", want-1)
	got := post(t, s, mk("big", "out2", tx, err), "h-out2", nil, "")
	if got.After["fund"] != 1 || got.After["expense:REPAIRS"] != want-1 {
		t.Fatalf("%v", got.After)
	}
	balances, _, _, _ := s.Recompute(bg, "big")
	if balances["fund"] != 1 || balances["income:OTHER"] != -want {
		t.Fatalf("%v", balances)
	}
}

// A write that is refused, or replays an earlier one, leaves nothing behind in Redis:
// no record that points at a transaction that was never written.
func TestRefusedOrReplayedPostLeavesNoTrace(t *testing.T) {
	s, rdb := open(t)
	p, book := renovation(t, s, "p1")
	first := receipt(p, book, "r1", 1000)
	post(t, s, first, "h-r1", nil, "")
	keys := func() []string {
		var mu sync.Mutex
		var all []string
		collect := func(ctx context.Context, c *redis.Client) error {
			ks, err := c.Keys(ctx, "*").Result()
			mu.Lock()
			all = append(all, ks...)
			mu.Unlock()
			return err
		}
		var err error
		if cluster, ok := rdb.(*redis.ClusterClient); ok {
			err = cluster.ForEachMaster(bg, collect) // a cluster's keys are spread over its masters
		} else {
			err = collect(bg, rdb.(*redis.Client))
		}
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	before := len(keys())

	retry := receipt(p, book, "r1", 1000)
	post(t, s, retry, "h-r1", nil, "") // replayed
	over := contribution(p, book, "c1", "h1", quota+1)
	if _, err := s.Post(bg, over, "h-c1", nil, ""); err == nil {
		t.Fatal("an over-payment was taken")
	}
	if after := keys(); len(after) != before {
		t.Errorf("a replay and a refusal added %d keys: %v", len(after)-before, after)
	}
	for _, id := range []string{retry.ID, over.ID} {
		if b, err := s.TransactionBook(bg, id); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("transaction %s was never written, yet its book is %q (%v)", id, b, err)
		}
	}
}

// A book's head (what GET /v1/books/{id} shows) agrees with the whole book on the fund
// balance and the sequence, without reading household accounts or quotas.
func TestBookHeadAgreesWithTheBook(t *testing.T) {
	s, _ := open(t)
	p, book := renovation(t, s, "p1")
	head, err := s.BookHead(bg, book)
	if err != nil || head.Balances[ledger.FundAccount] != 0 {
		t.Fatalf("head of a book with no transactions = %+v, %v; want a fund balance of 0", head, err)
	}
	post(t, s, receipt(p, book, "r1", 5000), "h-r1", nil, "")
	post(t, s, contribution(p, book, "c1", "h1", 700), "h-c1", nil, "")
	whole, err := s.GetBook(bg, book)
	if err != nil {
		t.Fatal(err)
	}
	head, err = s.BookHead(bg, book)
	if err != nil {
		t.Fatal(err)
	}
	if head.Balances[ledger.FundAccount] != 5700 || head.Balances[ledger.FundAccount] != whole.Balances[ledger.FundAccount] || head.Seq != whole.Seq || head.Book.ID != whole.Book.ID {
		t.Fatalf("head = fund %d seq %d; whole book = fund %d seq %d; want both 5700 and equal", head.Balances[ledger.FundAccount], head.Seq, whole.Balances[ledger.FundAccount], whole.Seq)
	}
	if len(head.Balances) != 1 || head.Plan != nil {
		t.Fatalf("head read %d balances and plan %v, want the fund balance only", len(head.Balances), head.Plan)
	}
	if _, err := s.BookHead(bg, "nope"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("head of a missing book: %v, want not found", err)
	}
}
