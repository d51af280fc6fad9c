package api_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"pgregory.net/rapid"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/ledger"
)

// fakePeers answers for projects, governance and survey in process: one compound "c1"
// with the households the test sets, "c2" with one stranger, and each project's status.
type fakePeers struct {
	mu         sync.Mutex
	households []ledger.Household
	accepted   map[string]bool
	budget     int64
}

func (f *fakePeers) Project(_ context.Context, id string) (*app.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "none" {
		return nil, fmt.Errorf("%w: project %s", ledger.ErrNotFound, id)
	}
	st := "IN_CONSTRUCTION"
	if f.accepted[id] {
		st = "ACCEPTED"
	}
	return &app.Project{ID: id, CompoundID: "c1", BudgetFen: f.budget, Accepted: f.accepted[id], Status: st}, nil
}

func (f *fakePeers) setAccepted(id string, v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepted[id] = v
}

func (f *fakePeers) Households(context.Context, string) ([]ledger.Household, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ledger.Household(nil), f.households...), nil
}

func (f *fakePeers) HouseholdCompound(_ context.Context, id string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, h := range f.households {
		if h.ID == id {
			return "c1", nil
		}
	}
	if id == "stranger" {
		return "c2", nil
	}
	return "", fmt.Errorf("%w: household %s", ledger.ErrNotFound, id)
}

func (f *fakePeers) WorkItemExists(context.Context, string, string) (bool, error) { return true, nil }

func (f *fakePeers) CompoundExists(_ context.Context, id string) (bool, error) {
	return id == "c1" || id == "c2", nil
}

func (f *fakePeers) BusinessResolution(context.Context, string, string) (ledger.ResolutionFacts, error) {
	return ledger.ResolutionFacts{}, nil
}

// ---------------------------------------------------------------------------------------
// The model: what the books should say after each request, from the rules alone.

type posting struct {
	account string
	fen     int64
}

type mtx struct {
	id, kind   string
	postings   []posting
	reversedBy string
	isReversal bool
}

// request is one write as the client sends it; two equal requests are the same body.
type request struct {
	kind     string // receipt, contribution, disbursement, reverse
	id       string // request id
	party    pb.FundingSource_Party
	funder   string
	hid      string
	payee    string
	contract int64
	unknown  bool // a contract id the project does not have
	amount   int64
	target   string // the transaction to reverse
	reason   string
}

type model struct {
	pid       string
	book      string
	quotas    map[string]int64
	commit    map[string]int64  // source account → commitment
	contracts map[string]int64  // payee → its contract's amount
	cid       map[string]string // payee → its contract's id
	accepted  bool
	bal       map[string]int64
	txs       []*mtx
	byID      map[string]*mtx
	done      map[string]request // request id → the request that wrote a transaction
	doneTx    map[string]string  // request id → its transaction
	sent      []request
}

// outcome is what the model expects of a request.
type outcome struct {
	replayOf string
	code     codes.Code
	reason   string
	meta     map[string]string
	postings []posting
}

func (m *model) postingsOf(r request) []posting {
	switch r.kind {
	case "receipt":
		return []posting{{"fund", r.amount}, {ledger.SourceAccount(ledger.Party(r.party), r.funder), -r.amount}}
	case "contribution":
		return []posting{{"fund", r.amount}, {ledger.HouseholdAccount(r.hid), -r.amount}}
	case "disbursement":
		return []posting{{"fund", -r.amount}, {ledger.PayeeAccount(m.cid[r.payee]), r.amount}}
	}
	orig := m.byID[r.target]
	out := make([]posting, len(orig.postings))
	for i, p := range orig.postings {
		out[i] = posting{p.account, -p.fen}
	}
	return out
}

func refused(code codes.Code, reason string, meta map[string]string) outcome {
	return outcome{code: code, reason: reason, meta: meta}
}

func (m *model) predict(r request) outcome {
	// What the API checks before the store.
	switch r.kind {
	case "contribution":
		if _, ok := m.quotas[r.hid]; !ok {
			if r.hid == "stranger" {
				return refused(codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND", nil)
			}
			return refused(codes.InvalidArgument, "", nil)
		}
	case "disbursement":
		if r.unknown {
			return refused(codes.InvalidArgument, "", nil)
		}
	case "reverse":
		if m.byID[r.target].isReversal {
			return refused(codes.FailedPrecondition, "NOT_REVERSIBLE", nil)
		}
	}
	// The store's one step, in its order.
	if prev, ok := m.done[r.id]; ok {
		if prev == r {
			return outcome{replayOf: m.doneTx[r.id]}
		}
		return refused(codes.AlreadyExists, "REQUEST_ID_REUSED", nil)
	}
	if r.kind == "reverse" && m.byID[r.target].reversedBy != "" {
		return refused(codes.FailedPrecondition, "ALREADY_REVERSED", nil)
	}
	ps := m.postingsOf(r)
	for _, p := range ps {
		after := m.bal[p.account] + p.fen
		kind, name := ledger.KindOf(p.account)
		switch {
		case kind == ledger.AccountFund && after < 0:
			return refused(codes.FailedPrecondition, "INSUFFICIENT_FUNDS", map[string]string{"shortFen": strconv.FormatInt(-after, 10)})
		case kind == ledger.AccountSource && after < -m.commit[p.account]:
			return refused(codes.FailedPrecondition, "OVER_COMMITMENT", map[string]string{"overFen": strconv.FormatInt(-m.commit[p.account]-after, 10)})
		case kind == ledger.AccountHousehold && after < -m.quotas[name]:
			return refused(codes.FailedPrecondition, "OVERPAYMENT", map[string]string{"overFen": strconv.FormatInt(-m.quotas[name]-after, 10)})
		case kind == ledger.AccountPayee && r.kind == "disbursement":
			limit, reason := r.contract, "OVER_CONTRACT"
			if !m.accepted {
				limit, reason = r.contract*97/100, "RETENTION_HELD"
			}
			if after > limit {
				return refused(codes.FailedPrecondition, reason, map[string]string{"overFen": strconv.FormatInt(after-limit, 10), "limitFen": strconv.FormatInt(limit, 10)})
			}
		}
	}
	return outcome{postings: ps}
}

func (m *model) apply(r request, txID string, ps []posting) {
	t := &mtx{id: txID, kind: r.kind, postings: ps, isReversal: r.kind == "reverse"}
	m.txs = append(m.txs, t)
	m.byID[txID] = t
	for _, p := range ps {
		m.bal[p.account] += p.fen
	}
	if r.kind == "reverse" {
		m.byID[r.target].reversedBy = txID
	}
	m.done[r.id], m.doneTx[r.id] = r, txID
}

// send makes the request through gRPC and returns the transaction it names.
func send(e *env, m *model, r request) (string, error) {
	switch r.kind {
	case "receipt":
		x, err := e.receipt(m.pid, r.party, r.funder, r.amount, r.id)
		return x.GetTransactionId(), err
	case "contribution":
		x, err := e.pay(m.pid, r.hid, r.amount, r.id)
		return x.GetTransactionId(), err
	case "disbursement":
		cid := m.cid[r.payee]
		if r.unknown {
			cid = "no-such-contract"
		}
		x, err := e.disburseTo(m.pid, cid, r.amount, "", r.id)
		return x.GetTransactionId(), err
	}
	x, err := e.reverse(r.target, r.reason, r.id)
	return x.GetId(), err
}

// outcomes counts what the random requests met, so -v shows the property reached every
// rule.
var (
	outcomesMu sync.Mutex
	outcomes   = map[string]int{}
)

func (m *model) exec(t *rapid.T, e *env, r request) {
	want := m.predict(r)
	key := r.kind + " " + want.reason
	if want.replayOf != "" {
		key = r.kind + " replayed"
	} else if want.code == codes.OK {
		key = r.kind + " ok"
	}
	outcomesMu.Lock()
	outcomes[key]++
	outcomesMu.Unlock()
	txID, err := send(e, m, r)
	m.sent = append(m.sent, r)
	switch {
	case want.code != codes.OK:
		st := status.Convert(err)
		if st.Code() != want.code {
			t.Fatalf("%+v: got %v (%s), want %s %s", r, st.Code(), st.Message(), want.code, want.reason)
		}
		if want.reason != "" {
			got := ""
			var meta map[string]string
			for _, d := range st.Details() {
				if info, ok := d.(interface {
					GetReason() string
					GetMetadata() map[string]string
				}); ok {
					got, meta = info.GetReason(), info.GetMetadata()
				}
			}
			if got != want.reason {
				t.Fatalf("%+v: reason %s (%s), want %s", r, got, st.Message(), want.reason)
			}
			for k, v := range want.meta {
				if meta[k] != v {
					t.Fatalf("%+v: %s: metadata %v, want %s=%s", r, want.reason, meta, k, v)
				}
			}
		}
	case err != nil:
		t.Fatalf("%+v: %v, want success (%+v)", r, err, want)
	case want.replayOf != "":
		if txID != want.replayOf {
			t.Fatalf("%+v: a retry answered %s, the first answer was %s", r, txID, want.replayOf)
		}
	default:
		m.apply(r, txID, want.postings)
	}
}

// rapidTB lets the testkit assertions fail a rapid run: they use only Helper, Fatal and
// Fatalf of a testing.TB, which *rapid.T has too (the embedded TB is nil: any other
// method would panic).
type rapidTB struct {
	testing.TB
	t *rapid.T
}

func tbOf(t *rapid.T) testing.TB { return rapidTB{t: t} }

func (r rapidTB) Helper()                        { r.t.Helper() }
func (r rapidTB) Fatal(args ...any)              { r.t.Fatal(args...) }
func (r rapidTB) Fatalf(format string, a ...any) { r.t.Fatalf(format, a...) }

// check is what must hold after every step. It reads through the finance handlers in
// process (the writes went through gRPC): the same code, without the network, so the
// property runs many more steps in its time. Only reads that must succeed go this way:
// errors are turned into statuses by the server's interceptor, which this skips.
func (m *model) check(t *rapid.T, e *env) {
	// The log: every transaction balances; as many as the model holds.
	srv := e.srv
	list := testkit.Must[*pb.ListTransactionsResponse](tbOf(t))(srv.ListTransactions(bg, &pb.ListTransactionsRequest{BookId: m.book, PageSize: 1000}))
	txs := list.Transactions
	if len(txs) != len(m.txs) {
		t.Fatalf("%d transactions in the log, the model has %d", len(txs), len(m.txs))
	}
	paid, refunded := map[string]int64{}, map[string]int64{}
	fromLog := map[string]int64{}
	for i, tx := range txs {
		var sum int64
		for _, p := range tx.Postings {
			sum += p.AmountFen
			fromLog[p.AccountId] += p.AmountFen
			if kind, hid := ledger.KindOf(p.AccountId); kind == ledger.AccountHousehold {
				paid[hid] -= p.AmountFen
				if tx.Kind == pb.Transaction_REVERSAL {
					refunded[hid] += p.AmountFen
				}
			}
		}
		if sum != 0 {
			t.Fatalf("transaction %s's postings sum to %d", tx.Id, sum)
		}
		if tx.Id != m.txs[i].id || tx.Sequence != int64(i+1) || tx.ReversedByTransactionId != m.txs[i].reversedBy {
			t.Fatalf("log entry %d: %v, model %+v", i, tx, m.txs[i])
		}
	}
	// No fund negative; the balances are the model's and the log's.
	b := testkit.Must[*pb.Book](tbOf(t))(srv.GetBook(bg, &pb.GetBookRequest{BookId: m.book}))
	if b.FundBalanceFen < 0 || b.FundBalanceFen != m.bal["fund"] || b.TransactionCount != int32(len(m.txs)) {
		t.Fatalf("book %v, model fund %d", b, m.bal["fund"])
	}
	got := map[string]int64{}
	for _, a := range testkit.Must[*pb.ListAccountsResponse](tbOf(t))(srv.ListAccounts(bg, &pb.ListAccountsRequest{BookId: m.book, PageSize: 1000})).Accounts {
		got[a.Id] = a.BalanceFen
	}
	for a, v := range m.bal {
		if got[a] != v || fromLog[a] != v {
			t.Fatalf("account %s: stored %d, log %d, model %d", a, got[a], fromLog[a], v)
		}
	}
	for a, v := range got {
		if v != m.bal[a] {
			t.Fatalf("account %s: stored %d, model %d", a, v, m.bal[a])
		}
	}
	// :verify finds no difference.
	v := testkit.Must[*pb.VerifyBookResponse](tbOf(t))(srv.VerifyBook(bg, &pb.VerifyBookRequest{BookId: m.book}))
	if !v.Ok || v.TransactionsChecked != int32(len(m.txs)) {
		t.Fatalf("verify: %v", v)
	}
	// The collection report agrees with the log.
	c := testkit.Must[*pb.Collection](tbOf(t))(srv.GetCollection(bg, &pb.GetCollectionRequest{ProjectId: m.pid, PageSize: 1000}))
	var collected, target int64
	var nPaid, nPartial, nRefunded int32
	for _, h := range c.Households {
		q := m.quotas[h.HouseholdId]
		want := pb.HouseholdQuota_DUE
		switch p := paid[h.HouseholdId]; {
		case p >= q && q > 0:
			want = pb.HouseholdQuota_PAID
			nPaid++
		case p > 0:
			want = pb.HouseholdQuota_PARTIALLY_PAID
			nPartial++
		case refunded[h.HouseholdId] > 0:
			want = pb.HouseholdQuota_REFUNDED
			nRefunded++
		}
		if h.PaidFen != paid[h.HouseholdId] || h.QuotaFen != q || h.Status != want {
			t.Fatalf("household %s: %v, the log says paid %d refunded %d of %d (%s)", h.HouseholdId, h, paid[h.HouseholdId], refunded[h.HouseholdId], q, want)
		}
		collected += paid[h.HouseholdId]
		target += q
	}
	n := int32(len(m.quotas))
	if len(c.Households) != len(m.quotas) || c.HouseholdCount != n || c.CollectedFen != collected || c.TargetFen != target ||
		c.PaidHouseholds != nPaid || c.PartiallyPaidHouseholds != nPartial || c.RefundedHouseholds != nRefunded || c.DueHouseholds != n-nPaid {
		t.Fatalf("collection %v; the log says paid %d, partly %d, refunded %d, collected %d of %d", c, nPaid, nPartial, nRefunded, collected, target)
	}
}

// TestMoneyInvariantsUnderRandomWrites runs random sequences of receipts, contributions,
// disbursements, reversals, retries with the same request id and the same id reused for
// another body, plus bad input, through gRPC against real Redis; after every step the
// postings sum to zero, no fund is negative, :verify finds no difference, the balances
// are the model's, and the collection report agrees with the log.
func TestMoneyInvariantsUnderRandomWrites(t *testing.T) {
	t.Parallel()
	fp := &fakePeers{accepted: map[string]bool{}, budget: 10_000_000}
	e := startWith(t, options{peers: fp})
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		m := &model{pid: fmt.Sprintf("p%d", run), quotas: map[string]int64{}, commit: map[string]int64{},
			cid: map[string]string{}, contracts: map[string]int64{}, bal: map[string]int64{},
			byID: map[string]*mtx{}, done: map[string]request{}, doneTx: map[string]string{}}
		m.book = ledger.RenovationBookID(m.pid)

		// The plan: 1 to 5 households, a flat or per-m² quota, two funders.
		n := rapid.IntRange(1, 5).Draw(rt, "households")
		var hs []ledger.Household
		for i := range n {
			hs = append(hs, ledger.Household{ID: fmt.Sprintf("h%d", i+1), AreaCenti: rapid.Int64Range(1000, 15000).Draw(rt, "area")})
		}
		fp.mu.Lock()
		fp.households = hs
		fp.mu.Unlock()
		var q *pb.Quota
		lq := ledger.Quota{}
		if rapid.Bool().Draw(rt, "flat") {
			lq.FlatFen = rapid.Int64Range(100, 5000).Draw(rt, "flatFen")
			q = flat(lq.FlatFen)
		} else {
			lq.PerM2Fen = rapid.Int64Range(10, 100).Draw(rt, "perM2Fen")
			q = perM2(lq.PerM2Fen)
		}
		for _, h := range hs {
			m.quotas[h.ID] = lq.For(h.AreaCenti)
		}
		g, s := rapid.Int64Range(1000, 20000).Draw(rt, "government"), rapid.Int64Range(1000, 20000).Draw(rt, "social")
		m.commit[ledger.SourceAccount(ledger.Government, "区住建局")] = g
		m.commit[ledger.SourceAccount(ledger.Social, "国网供电公司")] = s
		m.contracts["川建三公司"] = rapid.Int64Range(100, 30000).Draw(rt, "contract1")
		m.contracts["监理公司"] = rapid.Int64Range(100, 30000).Draw(rt, "contract2")
		m.accepted = rapid.Bool().Draw(rt, "accepted")
		fp.setAccepted(m.pid, m.accepted)
		testkit.Must[*pb.FundingPlan](tbOf(rt))(e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{
			ProjectId: m.pid, Sources: []*pb.FundingSource{gov(g), social(s), residents()}, Quota: q}}))

		for _, payee := range []string{"川建三公司", "监理公司"} {
			c := testkit.Must[*pb.Contract](tbOf(rt))(e.contract(m.pid, payee, m.contracts[payee], "contract-"+payee))
			m.cid[payee] = c.Id
		}

		households := make([]string, 0, n)
		for _, h := range hs {
			households = append(households, h.ID)
		}
		reqN := 0
		newID := func() string { reqN++; return fmt.Sprintf("r%d", reqN) }

		rt.Repeat(map[string]func(*rapid.T){
			"receipt": func(t *rapid.T) {
				r := request{kind: "receipt", id: newID(), party: pb.FundingSource_GOVERNMENT, funder: "区住建局"}
				if rapid.Bool().Draw(t, "social") {
					r.party, r.funder = pb.FundingSource_SOCIAL, "国网供电公司"
				}
				r.amount = rapid.Int64Range(1, 12000).Draw(t, "amount")
				m.exec(t, e, r)
			},
			"contribution": func(t *rapid.T) {
				hid := rapid.SampledFrom(households).Draw(t, "household")
				r := request{kind: "contribution", id: newID(), hid: hid, amount: rapid.Int64Range(1, m.quotas[hid]+10).Draw(t, "amount")}
				m.exec(t, e, r)
			},
			"disbursement": func(t *rapid.T) {
				payee := rapid.SampledFrom([]string{"川建三公司", "监理公司"}).Draw(t, "payee")
				contract := m.contracts[payee]
				r := request{kind: "disbursement", id: newID(), payee: payee, contract: contract, amount: rapid.Int64Range(1, contract).Draw(t, "amount"),
					unknown: rapid.IntRange(0, 9).Draw(t, "unknown") == 0}
				m.exec(t, e, r)
			},
			"reverse": func(t *rapid.T) {
				if len(m.txs) == 0 {
					t.Skip("nothing to reverse")
				}
				target := m.txs[rapid.IntRange(0, len(m.txs)-1).Draw(t, "which")].id
				m.exec(t, e, request{kind: "reverse", id: newID(), target: target, reason: "录入错误"})
			},
			"retry": func(t *rapid.T) {
				if len(m.sent) == 0 {
					t.Skip("nothing sent")
				}
				m.exec(t, e, m.sent[rapid.IntRange(0, len(m.sent)-1).Draw(t, "which")])
			},
			"reuse": func(t *rapid.T) {
				if len(m.sent) == 0 {
					t.Skip("nothing sent")
				}
				r := m.sent[rapid.IntRange(0, len(m.sent)-1).Draw(t, "which")]
				if r.kind == "reverse" {
					r.reason += "（补）"
				} else if r.kind == "disbursement" && r.amount == r.contract {
					r.amount--
					if r.amount == 0 {
						t.Skip("no other amount")
					}
				} else {
					r.amount++
				}
				m.exec(t, e, r)
			},
			"bad input": func(t *rapid.T) {
				hid := rapid.SampledFrom(households).Draw(t, "household")
				var err error
				var want codes.Code
				switch rapid.IntRange(0, 5).Draw(t, "what") {
				case 0:
					_, err = e.pay(m.pid, hid, -rapid.Int64Range(0, 1000).Draw(t, "amount"), newID())
					want = codes.InvalidArgument
				case 1:
					_, err = e.receipt(m.pid, pb.FundingSource_GOVERNMENT, "区住建局", -rapid.Int64Range(0, 1000).Draw(t, "amount"), newID())
					want = codes.InvalidArgument
				case 2:
					_, err = e.pay(m.pid, "ghost", 100, newID())
					want = codes.InvalidArgument
				case 3:
					_, err = e.pay(m.pid, "stranger", 100, newID())
					want = codes.FailedPrecondition
				case 4:
					_, err = e.pay("nothing", hid, 100, newID())
					want = codes.NotFound
				case 5:
					_, err = e.disburseTo(m.pid, m.cid["川建三公司"], 0, "", newID())
					want = codes.InvalidArgument
				}
				if status.Code(err) != want {
					t.Fatalf("bad input: %v, want %s", err, want)
				}
			},
			"": func(t *rapid.T) { m.check(t, e) },
		})
	})
	outcomesMu.Lock()
	defer outcomesMu.Unlock()
	t.Logf("outcomes: %v", outcomes)
}
