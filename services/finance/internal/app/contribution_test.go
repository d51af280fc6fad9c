package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/fault"
	"tongdu/platform/testkit"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/ledger"
	"tongdu/services/finance/internal/storage"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var bg = context.Background()

const quota = 108400

// peers is a registry of two compounds: c1 with households h1, h2, h3 (60 m² each) and
// c2 with h9; project p1 lies in c1. It counts what it is asked of households.
type peers struct {
	mu    sync.Mutex
	asked []string
}

func (p *peers) Project(_ context.Context, id string) (*app.Project, error) {
	if id != "p1" {
		return nil, fmt.Errorf("%w: project %s", ledger.ErrNotFound, id)
	}
	return &app.Project{ID: id, CompoundID: "c1", BudgetFen: 2_000_000, Status: "APPROVED"}, nil
}

func (p *peers) WorkItemExists(context.Context, string, string) (bool, error) { return false, nil }

func (p *peers) Households(_ context.Context, cid string) ([]ledger.Household, error) {
	if cid != "c1" {
		return nil, nil
	}
	return []ledger.Household{{ID: "h1", AreaCenti: 6000}, {ID: "h2", AreaCenti: 6000}, {ID: "h3", AreaCenti: 6000}}, nil
}

func (p *peers) HouseholdCompound(_ context.Context, id string) (string, error) {
	p.mu.Lock()
	p.asked = append(p.asked, id)
	p.mu.Unlock()
	switch id {
	case "h1", "h2", "h3":
		return "c1", nil
	case "h9":
		return "c2", nil
	}
	return "", fmt.Errorf("%w: household %s", ledger.ErrNotFound, id)
}

func (p *peers) CompoundExists(_ context.Context, id string) (bool, error) {
	return id == "c1" || id == "c2", nil
}

func (p *peers) BusinessResolution(context.Context, string, string) (ledger.ResolutionFacts, error) {
	return ledger.ResolutionFacts{}, errors.New("not asked in these tests")
}

func (p *peers) householdsAsked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.asked)
}

// trips records what reaches Redis: each round trip as the names of its commands.
type trips struct {
	mu  sync.Mutex
	all [][]string
}

func (r *trips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *trips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.add(cmd)
		return next(ctx, cmd)
	}
}

func (r *trips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.add(cmds...)
		return next(ctx, cmds)
	}
}

func (r *trips) add(cmds ...redis.Cmder) {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.Name()
	}
	r.mu.Lock()
	r.all = append(r.all, names)
	r.mu.Unlock()
}

// take returns the round trips since the last take.
func (r *trips) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := r.all
	r.all = nil
	return all
}

// funded opens project p1's plan (households of c1 owe the flat 1,084 yuan) and returns
// the use cases, the registry and the round trips to Redis from then on.
func funded(t *testing.T) (*app.App, *peers, *trips, redis.UniversalClient) {
	t.Helper()
	rdb := testkit.Redis(t)
	reg := &peers{}
	a := app.New(storage.New(rdb), reg, time.Now)
	if _, err := a.CreateFundingPlan(bg, app.PlanRequest{ProjectID: "p1",
		Sources: []ledger.Source{{Party: ledger.Government, Funder: "区住建局", CommittedFen: 1_000_000}, {Party: ledger.Residents, Funder: "居民"}},
		Quota:   ledger.Quota{FlatFen: quota}}, "plan-1", "hash-plan-1"); err != nil {
		t.Fatal(err)
	}
	r := &trips{}
	rdb.AddHook(r)
	return a, reg, r, rdb
}

func pay(a *app.App, hid string, fen int64, req string) (*app.Contribution, error) {
	return a.CreateContribution(bg, "p1", app.ContributionRequest{HouseholdID: hid, AmountFen: fen, Method: 1, RequestID: req}, "hash-"+req+fmt.Sprint(fen))
}

// oneTrip fails unless what reached Redis since the last take was one script call: an
// EVALSHA (its first run in a server may fall back to EVAL, the script not yet loaded).
// On a cluster a transaction's location lies in another hash slot than its book: it is
// written by a SET just before, and deleted after a refusal or a replay.
func oneTrip(t *testing.T, r *trips, rdb redis.UniversalClient, what string) {
	t.Helper()
	got := r.take()
	if _, cluster := rdb.(*redis.ClusterClient); cluster {
		if len(got) > 0 && slices.Equal(got[0], []string{"set"}) {
			got = got[1:]
		}
		if len(got) > 0 && slices.Equal(got[len(got)-1], []string{"del"}) {
			got = got[:len(got)-1]
		}
	}
	if len(got) == 2 && slices.Equal(got[1], []string{"eval"}) {
		got = got[:1] // NOSCRIPT, then the script itself
	}
	if len(got) != 1 || !slices.Equal(got[0], []string{"evalsha"}) {
		t.Fatalf("%s: round trips to Redis %v, want one EVALSHA", what, got)
	}
}

// A household that owes a quota pays within it in one round trip to Redis (one script
// call), without asking governance; a replay, and an overpayment refused, are one round
// trip too. The standing answered is right each time.
func TestContributionIsOneRoundTrip(t *testing.T) {
	a, reg, r, rdb := funded(t)

	c, err := pay(a, "h1", 50_000, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	oneTrip(t, r, rdb, "a contribution")
	if c.Replayed || c.Standing != (ledger.Standing{HouseholdID: "h1", QuotaFen: quota, PaidFen: 50_000, Status: ledger.PartiallyPaid}) {
		t.Fatalf("contribution %+v, standing %+v", c.Entry, c.Standing)
	}
	if c.Record.ProjectID != "p1" || c.Record.HouseholdID != "h1" || c.Record.AmountFen != 50_000 || c.FundBalanceFen() != 50_000 || c.Tx.Sequence != 1 {
		t.Fatalf("record %+v, fund %d, sequence %d", c.Record, c.FundBalanceFen(), c.Tx.Sequence)
	}

	// The rest of the quota: PAID.
	paid, err := pay(a, "h1", quota-50_000, "c-2")
	if err != nil {
		t.Fatal(err)
	}
	oneTrip(t, r, rdb, "a second contribution")
	if paid.Standing.Status != ledger.Paid || paid.Standing.PaidFen != quota || paid.Tx.Sequence != 2 {
		t.Fatalf("standing %+v, sequence %d", paid.Standing, paid.Tx.Sequence)
	}

	// A retry of the first answers the first result, with its standing then.
	again, err := pay(a, "h1", 50_000, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	oneTrip(t, r, rdb, "a replay")
	if !again.Replayed || again.Tx.ID != c.Tx.ID || again.Tx.Sequence != 1 || again.ReceiptNumber() != c.ReceiptNumber() ||
		again.Standing != c.Standing || again.Record != c.Record || !again.Tx.CreateTime.Equal(c.Tx.CreateTime) {
		t.Fatalf("replay %+v %+v, want the first %+v %+v", again.Entry, again.Standing, c.Entry, c.Standing)
	}

	// Beyond the quota: OVERPAYMENT, with the excess.
	_, err = pay(a, "h2", quota+1, "c-3")
	oneTrip(t, r, rdb, "an overpayment")
	if f, ok := fault.As(err); !ok || f.Reason != "OVERPAYMENT" || f.Metadata["overFen"] != "1" {
		t.Fatalf("overpayment: %v, want OVERPAYMENT over by 1 fen", err)
	}

	if asked := reg.householdsAsked(); len(asked) != 0 {
		t.Fatalf("governance was asked about households %v", asked)
	}
}

// Only a household that owes no quota under the plan makes the service ask governance,
// to refuse it as it always did: one of another compound is HOUSEHOLD_NOT_IN_COMPOUND,
// one nobody knows is bad input on contribution.householdId. Neither writes anything.
func TestContributionOfAHouseholdOwingNoQuota(t *testing.T) {
	a, reg, _, rdb := funded(t)
	before := rdb.HLen(bg, "fin:{b:renovation-p1}:log").Val()

	_, err := pay(a, "h9", 100, "c-1")
	if !errors.Is(err, ledger.ErrNotInCompound) {
		t.Fatalf("household of another compound: %v, want HOUSEHOLD_NOT_IN_COMPOUND", err)
	}
	_, err = pay(a, "nobody", 100, "c-2")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "contribution.householdId" {
		t.Fatalf("unknown household: %v, want bad input on contribution.householdId", err)
	}
	// The household is asked about before the amount, as it always was.
	_, err = pay(a, "nobody", -1, "c-3")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "contribution.householdId" {
		t.Fatalf("unknown household paying -1: %v, want bad input on contribution.householdId", err)
	}
	if asked := reg.householdsAsked(); !slices.Equal(asked, []string{"h9", "nobody", "nobody"}) {
		t.Fatalf("governance was asked about %v", asked)
	}
	if after := rdb.HLen(bg, "fin:{b:renovation-p1}:log").Val(); after != before {
		t.Fatalf("%d transactions written", after-before)
	}

	// A household that owes a quota with a bad amount, or a time in the future (rule
	// 15): bad input on the field, governance not asked.
	_, err = pay(a, "h1", 0, "c-4")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "contribution.amountFen" {
		t.Fatalf("0 fen: %v, want bad input on contribution.amountFen", err)
	}
	_, err = a.CreateContribution(bg, "p1", app.ContributionRequest{HouseholdID: "h1", AmountFen: 100, RequestID: "c-5", At: time.Now().Add(time.Hour)}, "h-c-5")
	if vs := fault.ViolationsOf(err); len(vs) != 1 || vs[0].Field != "effectiveTime" {
		t.Fatalf("an hour ahead: %v, want bad input on effectiveTime", err)
	}
	if asked := reg.householdsAsked(); len(asked) != 3 {
		t.Fatalf("governance was asked about %v", asked)
	}

	// No plan for the project: not found, whoever pays.
	for _, hid := range []string{"h1", "nobody"} {
		_, err = a.CreateContribution(bg, "p2", app.ContributionRequest{HouseholdID: hid, AmountFen: 100, RequestID: "c-6"}, "h-c-6")
		if !errors.Is(err, ledger.ErrNotFound) || err.Error() != "not found: no funding plan for project p2" {
			t.Fatalf("no plan, household %s: %v", hid, err)
		}
	}
}
