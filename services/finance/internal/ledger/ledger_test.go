package ledger_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"tongdu/platform/fault"
	"tongdu/services/finance/internal/ledger"
)

var now = time.Date(2024, 7, 1, 9, 0, 0, 0, time.UTC)

func fields(err error) []string {
	var out []string
	for _, v := range fault.ViolationsOf(err) {
		out = append(out, v.Field)
	}
	return out
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if !fault.IsKind(err, fault.Invalid) {
		t.Fatalf("got %v, want an invalid request naming %s", err, field)
	}
	for _, f := range fields(err) {
		if f == field {
			return
		}
	}
	t.Fatalf("violations %q do not name %s", fields(err), field)
}

func sum(ps []ledger.Posting) int64 {
	var s int64
	for _, p := range ps {
		s += p.AmountFen
	}
	return s
}

func TestQuotaForIsFlatOrPerSquareMetreRoundedHalfUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    ledger.Quota
		area int64 // hundredths of m²
		want int64
	}{
		{"flat 1,084 yuan whatever the area", ledger.Quota{FlatFen: 108400}, 6050, 108400},
		{"flat wins over per m²", ledger.Quota{FlatFen: 108400, PerM2Fen: 1000}, 6050, 108400},
		{"per m² on whole metres", ledger.Quota{PerM2Fen: 1500}, 6000, 90000},
		{"per m² on 60.50 m²", ledger.Quota{PerM2Fen: 1234}, 6050, 74657},                  // 74657.0
		{"per m² rounds down below half a fen", ledger.Quota{PerM2Fen: 1234}, 6051, 74669}, // 74669.34
		{"per m² rounds half a fen up", ledger.Quota{PerM2Fen: 1}, 50, 1},                  // 0.5 fen
		{"per m² rounds 0.49 fen down", ledger.Quota{PerM2Fen: 1}, 49, 0},
		{"per m² rounds 0.51 fen up", ledger.Quota{PerM2Fen: 1}, 51, 1},
		{"per m² 2.5 fen up to 3", ledger.Quota{PerM2Fen: 5}, 50, 3},
		{"per m² 1084.455 yuan", ledger.Quota{PerM2Fen: 1807}, 6001, 108438}, // 108438.07
		{"no quota", ledger.Quota{}, 6000, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.For(tc.area); got != tc.want {
				t.Fatalf("%+v.For(%d) = %d, want %d", tc.q, tc.area, got, tc.want)
			}
		})
	}
}

// The per-m² quota is the exact product rounded to the nearest fen, half up, for any
// price and area the API accepts.
func TestQuotaForPerSquareMetreIsNearestFen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		per := rapid.Int64Range(1, 10_000_000).Draw(t, "perM2Fen")
		area := rapid.Int64Range(1, 1_000_000).Draw(t, "areaCenti")
		got := ledger.Quota{PerM2Fen: per}.For(area)
		exact := per * area // hundredths of a fen
		if d := exact - got*100; d < -50 || d >= 50 {
			t.Fatalf("%d fen/m² × %d/100 m² = %d/100 fen, quota %d is off by %d/100", per, area, exact, got, d)
		}
	})
}

func TestRetentionIsThreePercentAndTheCapNinetySeven(t *testing.T) {
	for _, tc := range []struct{ contract, retention int64 }{
		{100, 3},
		{10_000, 300},
		{60_000_000, 1_800_000},
		{101, 4}, // 97% of 101 fen is 97.97: at most 97 may be paid before acceptance
		{199, 6}, // 97% of 199 is 193.03: 193 may be paid
		{1, 1},   // 0.97 fen: nothing before acceptance
		{33, 1},  // 32.01
		{100_000_000_000, 3_000_000_000},
	} {
		got := ledger.RetentionFen(tc.contract)
		if got != tc.retention {
			t.Errorf("RetentionFen(%d) = %d, want %d", tc.contract, got, tc.retention)
		}
		// What may be paid before acceptance is never beyond 97% of the contract.
		if paid := tc.contract - got; paid*100 > tc.contract*97 || (paid+1)*100 <= tc.contract*97 {
			t.Errorf("contract %d: %d payable before acceptance is not the largest amount within 97%%", tc.contract, paid)
		}
	}
}

func plan(t *testing.T) ledger.Plan {
	t.Helper()
	p, err := ledger.NewPlan(ledger.Plan{ProjectID: "p1", CompoundID: "c1", BudgetFen: 60_000_000,
		Sources: []ledger.Source{
			{Party: ledger.Government, Funder: "区住建局", CommittedFen: 40_000_000},
			{Party: ledger.Social, Funder: "国网供电公司", CommittedFen: 5_000_000},
			{Party: ledger.Residents, Funder: "居民自筹"},
		},
		Quota: ledger.Quota{FlatFen: 108400}},
		[]ledger.Household{{ID: "h1", AreaCenti: 6000}, {ID: "h2", AreaCenti: 7550}, {ID: "h3", AreaCenti: 4800}}, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewPlan(t *testing.T) {
	hs := []ledger.Household{{ID: "h1", AreaCenti: 6000}, {ID: "h2", AreaCenti: 7550}}
	gov := ledger.Source{Party: ledger.Government, Funder: "区住建局", CommittedFen: 40_000_000}
	res := ledger.Source{Party: ledger.Residents, Funder: "居民自筹"}

	t.Run("flat quota: every household owes it; the residents commit the sum", func(t *testing.T) {
		p, err := ledger.NewPlan(ledger.Plan{ProjectID: "p", Sources: []ledger.Source{gov, res}, Quota: ledger.Quota{FlatFen: 108400}}, hs, now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Quotas, map[string]int64{"h1": 108400, "h2": 108400}) {
			t.Fatalf("quotas %v", p.Quotas)
		}
		if p.Target() != 216800 || p.Sources[1].CommittedFen != 216800 || p.Committed() != 40_000_000+216800 {
			t.Fatalf("target %d, residents commit %d, committed %d", p.Target(), p.Sources[1].CommittedFen, p.Committed())
		}
		if !p.CreateTime.Equal(now) {
			t.Fatalf("create time %v", p.CreateTime)
		}
	})
	t.Run("per m² quota by each household's area", func(t *testing.T) {
		p, err := ledger.NewPlan(ledger.Plan{ProjectID: "p", Sources: []ledger.Source{gov, res}, Quota: ledger.Quota{PerM2Fen: 1807}}, hs, now)
		if err != nil {
			t.Fatal(err)
		}
		if p.Quotas["h1"] != 108420 || p.Quotas["h2"] != 136429 { // 1807×60 = 108420; 1807×75.5 = 136428.5 → 136429
			t.Fatalf("quotas %v", p.Quotas)
		}
		if p.Sources[1].CommittedFen != 108420+136429 {
			t.Fatalf("residents commit %d, want the sum of quotas", p.Sources[1].CommittedFen)
		}
	})
	t.Run("a residents source stating its own amount keeps it", func(t *testing.T) {
		own := res
		own.CommittedFen = 200000
		p, err := ledger.NewPlan(ledger.Plan{ProjectID: "p", Sources: []ledger.Source{gov, own}, Quota: ledger.Quota{FlatFen: 108400}}, hs, now)
		if err != nil || p.Sources[1].CommittedFen != 200000 {
			t.Fatalf("%v, %+v", err, p.Sources)
		}
	})
	t.Run("no quota: nobody owes anything", func(t *testing.T) {
		p, err := ledger.NewPlan(ledger.Plan{ProjectID: "p", Sources: []ledger.Source{gov}}, nil, now)
		if err != nil || len(p.Quotas) != 0 || p.Target() != 0 {
			t.Fatalf("%v, %v", err, p.Quotas)
		}
	})
	for _, tc := range []struct {
		name   string
		p      ledger.Plan
		hs     []ledger.Household
		fields []string
	}{
		{"the same party and funder twice", ledger.Plan{Sources: []ledger.Source{gov, gov}}, nil, []string{"fundingPlan.sources[1]"}},
		{"an unspecified party", ledger.Plan{Sources: []ledger.Source{{Funder: "x", CommittedFen: 1}}}, nil, []string{"fundingPlan.sources[0].party"}},
		{"a party out of range", ledger.Plan{Sources: []ledger.Source{{Party: 9, Funder: "x", CommittedFen: 1}}}, nil, []string{"fundingPlan.sources[0].party"}},
		{"a government source committing nothing", ledger.Plan{Sources: []ledger.Source{{Party: ledger.Government, Funder: "x"}}}, nil, []string{"fundingPlan.sources[0].committedFen"}},
		{"a negative commitment", ledger.Plan{Sources: []ledger.Source{{Party: ledger.Social, Funder: "x", CommittedFen: -1}}}, nil, []string{"fundingPlan.sources[0].committedFen"}},
		{"a negative residents commitment", ledger.Plan{Sources: []ledger.Source{{Party: ledger.Residents, Funder: "x", CommittedFen: -1}}, Quota: ledger.Quota{FlatFen: 1}}, hs, []string{"fundingPlan.sources[0].committedFen"}},
		{"residents without a quota", ledger.Plan{Sources: []ledger.Source{gov, res}}, hs, []string{"fundingPlan.quota"}},
		{"a quota but no households", ledger.Plan{Sources: []ledger.Source{gov, res}, Quota: ledger.Quota{FlatFen: 108400}}, nil, []string{"fundingPlan.quota"}},
		{"every fault at once", ledger.Plan{Sources: []ledger.Source{gov, gov, {Funder: "x"}}}, nil,
			[]string{"fundingPlan.sources[1]", "fundingPlan.sources[2].party", "fundingPlan.sources[2].committedFen"}},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := ledger.NewPlan(tc.p, tc.hs, now)
			for _, f := range tc.fields {
				wantInvalid(t, err, f)
			}
		})
	}
}

func TestPlanBounds(t *testing.T) {
	p := plan(t)
	got := map[string][2]string{}
	for _, b := range p.Bounds() {
		lo, hi := "", ""
		if b.Min != nil {
			lo = ledger.Yuan(*b.Min)
		}
		if b.Max != nil {
			hi = ledger.Yuan(*b.Max)
		}
		got[b.Account] = [2]string{lo, hi}
	}
	want := map[string][2]string{
		"fund":                        {"0.00", ""},
		"source:GOVERNMENT:区住建局":      {"-400000.00", "0.00"},
		"source:SOCIAL:国网供电公司":        {"-50000.00", "0.00"},
		ledger.HouseholdAccount("h1"): {"-1084.00", "0.00"},
		ledger.HouseholdAccount("h2"): {"-1084.00", "0.00"},
		ledger.HouseholdAccount("h3"): {"-1084.00", "0.00"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("bounds\n got %v\nwant %v", got, want)
	}
}

func TestReceipt(t *testing.T) {
	p := plan(t)
	tx, err := ledger.Receipt(&p, ledger.Government, "区住建局", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	want := []ledger.Posting{{Account: "fund", AmountFen: 1_000_000}, {Account: "source:GOVERNMENT:区住建局", AmountFen: -1_000_000}}
	if tx.Kind != ledger.TxReceipt || !reflect.DeepEqual(tx.Postings, want) || !tx.Balanced() {
		t.Fatalf("%+v", tx)
	}
	for _, amount := range []int64{0, -1, -108400} {
		_, err := ledger.Receipt(&p, ledger.Government, "区住建局", amount)
		wantInvalid(t, err, "receipt.amountFen")
	}
	_, err = ledger.Receipt(&p, ledger.Residents, "居民自筹", 100)
	wantInvalid(t, err, "receipt.party")
	for _, tc := range []struct {
		party  ledger.Party
		funder string
	}{{ledger.Government, "市财政局"}, {ledger.Social, "区住建局"}, {ledger.PartyUnspecified, "区住建局"}} {
		if _, err := ledger.Receipt(&p, tc.party, tc.funder, 100); !errors.Is(err, ledger.ErrNotInPlan) {
			t.Errorf("receipt from %s %s: %v, want ErrNotInPlan", tc.party, tc.funder, err)
		}
	}
}

func TestContribution(t *testing.T) {
	p := plan(t)
	tx, err := ledger.Contribution(&p, "h2", 50000)
	if err != nil {
		t.Fatal(err)
	}
	want := []ledger.Posting{{Account: "fund", AmountFen: 50000}, {Account: "household:h2", AmountFen: -50000}}
	if tx.Kind != ledger.TxContribution || !reflect.DeepEqual(tx.Postings, want) {
		t.Fatalf("%+v", tx)
	}
	for _, amount := range []int64{0, -5} {
		_, err := ledger.Contribution(&p, "h2", amount)
		wantInvalid(t, err, "contribution.amountFen")
	}
	if _, err := ledger.Contribution(&p, "h9", 100); !errors.Is(err, ledger.ErrNotInPlan) {
		t.Fatalf("a household outside the plan: %v", err)
	}
}

func TestDisbursement(t *testing.T) {
	for _, tc := range []struct {
		name     string
		contract int64
		accepted bool
		max      int64
	}{
		{"before acceptance: 97% of the contract", 10_000_000, false, 9_700_000},
		{"after acceptance: the whole contract", 10_000_000, true, 10_000_000},
		{"before acceptance, an odd contract: rounded down", 101, false, 97},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, b, err := ledger.Disbursement(ledger.Contract{ID: "川建三公司", AmountFen: tc.contract}, 50, "item-1", tc.accepted)
			if err != nil {
				t.Fatal(err)
			}
			want := []ledger.Posting{{Account: "fund", AmountFen: -50}, {Account: "payee:川建三公司", AmountFen: 50}}
			if tx.Kind != ledger.TxDisbursement || !reflect.DeepEqual(tx.Postings, want) || !tx.Balanced() {
				t.Fatalf("%+v", tx)
			}
			if !reflect.DeepEqual(tx.Tallies, []ledger.Posting{{Account: "item:item-1", AmountFen: 50}}) {
				t.Fatalf("tallies %+v", tx.Tallies)
			}
			if b.Account != "payee:川建三公司" || b.Min == nil || *b.Min != 0 || b.Max == nil || *b.Max != tc.max {
				t.Fatalf("bound %+v", b)
			}
		})
	}
	t.Run("no item: no tally", func(t *testing.T) {
		tx, _, err := ledger.Disbursement(ledger.Contract{ID: "x", AmountFen: 100}, 50, "", false)
		if err != nil || tx.Tallies != nil {
			t.Fatalf("%v %+v", err, tx.Tallies)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		for _, amount := range []int64{0, -1} {
			_, _, err := ledger.Disbursement(ledger.Contract{ID: "x", AmountFen: 100}, amount, "", true)
			wantInvalid(t, err, "disbursement.amountFen")
		}
		_, _, err := ledger.Disbursement(ledger.Contract{ID: "x", AmountFen: 100}, 101, "", true)
		wantInvalid(t, err, "disbursement.amountFen")
	})
}

func TestReverse(t *testing.T) {
	p := plan(t)
	contribution, _ := ledger.Contribution(&p, "h1", 108400)
	contribution.ID = "t1"
	disbursement, _, _ := ledger.Disbursement(ledger.Contract{ID: "川建三公司", AmountFen: 1000}, 500, "item-1", false)
	disbursement.ID = "t2"

	r, err := ledger.Reverse(&contribution, "paid twice by mistake")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != ledger.TxReversal || r.Reverses != "t1" || r.Memo != "paid twice by mistake" {
		t.Fatalf("%+v", r)
	}
	if !reflect.DeepEqual(r.Postings, []ledger.Posting{{Account: "fund", AmountFen: -108400}, {Account: "household:h1", AmountFen: 108400}}) {
		t.Fatalf("postings %+v", r.Postings)
	}
	if !reflect.DeepEqual(r.Tallies, []ledger.Posting{{Account: "refunded:h1", AmountFen: 108400}}) {
		t.Fatalf("a reversed contribution is a refund: tallies %+v", r.Tallies)
	}

	r, err = ledger.Reverse(&disbursement, "wrong payee")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Postings, []ledger.Posting{{Account: "fund", AmountFen: 500}, {Account: "payee:川建三公司", AmountFen: -500}}) ||
		!reflect.DeepEqual(r.Tallies, []ledger.Posting{{Account: "item:item-1", AmountFen: -500}}) {
		t.Fatalf("%+v", r)
	}

	r.ID = "t3"
	if _, err := ledger.Reverse(&r, "undo the undo"); !errors.Is(err, ledger.ErrNotReversible) {
		t.Fatalf("reversing a reversal: %v", err)
	}
	contribution.ReversedBy = "t3"
	if _, err := ledger.Reverse(&contribution, "again"); !errors.Is(err, ledger.ErrAlreadyReversed) {
		t.Fatalf("reversing twice: %v", err)
	}
}

func TestStandingOf(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		quota, paid, refunded int64
		want                  ledger.QuotaStatus
	}{
		{"nothing paid", 108400, 0, 0, ledger.Due},
		{"part paid", 108400, 50000, 0, ledger.PartiallyPaid},
		{"one fen short", 108400, 108399, 0, ledger.PartiallyPaid},
		{"paid in full", 108400, 108400, 0, ledger.Paid},
		{"paid back in full", 108400, 0, 108400, ledger.Refunded},
		{"paid back in part", 108400, 8400, 100000, ledger.PartiallyPaid},
		{"refunded and paid again", 108400, 108400, 108400, ledger.Paid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ledger.StandingOf("h1", tc.quota, tc.paid, tc.refunded)
			if s.Status != tc.want || s.HouseholdID != "h1" || s.QuotaFen != tc.quota || s.PaidFen != tc.paid {
				t.Fatalf("%+v, want status %d", s, tc.want)
			}
		})
	}
}

func TestCheckBusinessResolution(t *testing.T) {
	ok := ledger.ResolutionFacts{Found: true, OfCompound: true, BusinessUse: true, Passed: true, Uses: []string{"SHOP_RENT", "PARKING_PUBLIC"}}
	for _, tc := range []struct {
		name   string
		id     string
		f      ledger.ResolutionFacts
		passes bool
		says   string
	}{
		{"a passed business-use resolution of the compound", "s1", ok, true, ""},
		{"no resolution named", "", ok, false, "resolutionSurveyId"},
		{"no such survey", "s1", ledger.ResolutionFacts{}, false, "no survey s1"},
		{"another compound's", "s1", ledger.ResolutionFacts{Found: true, BusinessUse: true, Passed: true}, false, "not a COMMON_PART_BUSINESS resolution of this compound"},
		{"a renovation resolution", "s1", ledger.ResolutionFacts{Found: true, OfCompound: true, Passed: true}, false, "not a COMMON_PART_BUSINESS"},
		{"rule 10: a passed resolution for another use", "s1", ledger.ResolutionFacts{Found: true, OfCompound: true, BusinessUse: true, Passed: true, Uses: []string{"SHOP_RENT"}}, false, "not PARKING_PUBLIC"},
		{"did not pass", "s1", ledger.ResolutionFacts{Found: true, OfCompound: true, BusinessUse: true, Figures: []string{"consent 60% of households < 75%"}}, false, "consent 60%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ledger.CheckBusinessResolution(tc.id, ledger.ParkingPublic, tc.f)
			if tc.passes {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if st, ok := fault.As(err); !ok || (st.Reason != "RESOLUTION_NOT_PASSED" && st.Reason != "RESOLUTION_NOT_FOR_USE") || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("%v, want RESOLUTION_NOT_PASSED or _NOT_FOR_USE saying %q", err, tc.says)
			}
		})
	}
}

func TestUpkeep(t *testing.T) {
	in, err := ledger.Income(ledger.ParkingPublic, 30000)
	if err != nil || in.Kind != ledger.TxIncome || !reflect.DeepEqual(in.Postings, []ledger.Posting{{Account: "fund", AmountFen: 30000}, {Account: "income:PARKING_PUBLIC", AmountFen: -30000}}) {
		t.Fatalf("%v %+v", err, in)
	}
	out, err := ledger.Spend(ledger.Cleaning, "保洁公司", 12000)
	if err != nil || out.Kind != ledger.TxExpense || out.Memo != "保洁公司" || !reflect.DeepEqual(out.Postings, []ledger.Posting{{Account: "fund", AmountFen: -12000}, {Account: "expense:CLEANING", AmountFen: 12000}}) {
		t.Fatalf("%v %+v", err, out)
	}
	_, err = ledger.Income(ledger.ParkingOwners, 0)
	wantInvalid(t, err, "income.amountFen")
	_, err = ledger.Spend(ledger.Repairs, "x", -1)
	wantInvalid(t, err, "expense.amountFen")

	for s, want := range map[ledger.Stream]bool{ledger.ParkingOwners: false, ledger.ParkingPublic: true, ledger.ShopRent: true, ledger.OtherIncome: true} {
		if s.FromCommonParts() != want {
			t.Errorf("%s from common parts: %v", s, !want)
		}
	}
	if b := ledger.UpkeepBounds(); len(b) != 1 || b[0].Account != "fund" || *b[0].Min != 0 || b[0].Max != nil {
		t.Fatalf("upkeep bounds %+v", b)
	}
}

func TestAccountsAndNames(t *testing.T) {
	for id, want := range map[string]struct {
		kind ledger.AccountKind
		name string
	}{
		"fund": {ledger.AccountFund, "fund"},
		ledger.SourceAccount(ledger.Social, "国网:供电"): {ledger.AccountSource, "SOCIAL:国网:供电"},
		ledger.HouseholdAccount("01h"):               {ledger.AccountHousehold, "01h"},
		ledger.PayeeAccount("川建"):                    {ledger.AccountPayee, "川建"},
		ledger.IncomeAccount(ledger.ShopRent):        {ledger.AccountIncome, "SHOP_RENT"},
		ledger.ExpenseAccount(ledger.Greening):       {ledger.AccountExpense, "GREENING"},
		"mystery":                                    {ledger.AccountUnspecified, "mystery"},
	} {
		k, n := ledger.KindOf(id)
		if k != want.kind || n != want.name {
			t.Errorf("KindOf(%q) = %d %q, want %d %q", id, k, n, want.kind, want.name)
		}
	}
	for fen, want := range map[int64]string{108400: "1084.00", 5: "0.05", 0: "0.00", -12345: "-123.45", 100: "1.00"} {
		if got := ledger.Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %s, want %s", fen, got, want)
		}
	}
	if ledger.RenovationBookID("p1") == ledger.UpkeepBookID("p1") {
		t.Fatal("a project's and a compound's books share an id")
	}
	if ledger.Party(7).String() != "Party(7)" || ledger.Stream(-1).String() != "Stream(-1)" || ledger.Expense(99).String() != "Expense(99)" {
		t.Fatal("out-of-range names")
	}
}

// Every transaction the rules build balances, and its reversal is its mirror image: the
// two together leave every account where it was.
func TestEveryRuleBalancesAndReversalUndoes(t *testing.T) {
	p := plan(t)
	rapid.Check(t, func(t *rapid.T) {
		amount := rapid.Int64Range(1, 100_000_000_000).Draw(t, "amount")
		var tx ledger.Transaction
		var err error
		switch rapid.IntRange(0, 5).Draw(t, "kind") {
		case 0:
			tx, err = ledger.Receipt(&p, ledger.Social, "国网供电公司", amount)
		case 1:
			tx, err = ledger.Contribution(&p, rapid.SampledFrom([]string{"h1", "h2", "h3"}).Draw(t, "household"), amount)
		case 2:
			contract := rapid.Int64Range(amount, 200_000_000_000).Draw(t, "contract")
			tx, _, err = ledger.Disbursement(ledger.Contract{ID: "川建三公司", AmountFen: contract}, amount, rapid.SampledFrom([]string{"", "road"}).Draw(t, "item"), rapid.Bool().Draw(t, "accepted"))
		case 3:
			tx, err = ledger.Income(ledger.Stream(rapid.IntRange(1, 4).Draw(t, "stream")), amount)
		case 4:
			tx, err = ledger.Spend(ledger.Expense(rapid.IntRange(1, 6).Draw(t, "expense")), "x", amount)
		case 5:
			tx, err = ledger.Receipt(&p, ledger.Government, "区住建局", amount)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !tx.Balanced() {
			t.Fatalf("unbalanced %+v", tx)
		}
		tx.ID = "t"
		r, err := ledger.Reverse(&tx, "undo")
		if err != nil {
			t.Fatal(err)
		}
		if !r.Balanced() {
			t.Fatalf("unbalanced reversal %+v", r)
		}
		net := map[string]int64{}
		for _, q := range append(append([]ledger.Posting{}, tx.Postings...), r.Postings...) {
			net[q.Account] += q.AmountFen
		}
		for _, q := range append(append([]ledger.Posting{}, tx.Tallies...), r.Tallies...) {
			if !strings.HasPrefix(q.Account, "refunded:") {
				net[q.Account] += q.AmountFen
			}
		}
		for a, v := range net {
			if v != 0 {
				t.Fatalf("after the reversal %s stands at %d", a, v)
			}
		}
		if sum(r.Postings) != 0 {
			t.Fatal("unreachable")
		}
	})
}

// Bad input is a fault naming every offending field; its message names the first.
func TestInvalidErrorListsViolations(t *testing.T) {
	err := fault.Fields(fault.Violation{Field: "a", Description: "b"}, fault.Violation{Field: "c", Description: "d"})
	if !fault.IsKind(err, fault.Invalid) || err.Error() != "invalid a: b" {
		t.Fatal(err)
	}
	if fault.Fields().Error() != "invalid request" {
		t.Fatal("empty")
	}
	got := fields(err)
	sort.Strings(got)
	if !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatal(got)
	}
}

// A bound no money rule explains is LIMIT_EXCEEDED, its message the figures; a client
// reads err.Error() as the status message.
func TestUnexplainedBoundIsLimitExceeded(t *testing.T) {
	var err error = &ledger.BoundError{Account: "fund", Balance: -100, Limit: 0, TooLow: true}
	f, ok := fault.As(err)
	if !ok || f.Kind != fault.Refused || f.Reason != "LIMIT_EXCEEDED" {
		t.Fatalf("%#v", f)
	}
	if want := "account fund would stand at -1.00, below its minimum of 0.00"; err.Error() != want {
		t.Fatalf("%q, want %q", err.Error(), want)
	}
}
