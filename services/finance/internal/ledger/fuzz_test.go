package ledger

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

// API bounds of the finance contract (finance.proto): what a request can carry.
const (
	maxAmountFen = 100_000_000_000 // amounts, commitments, contracts
	maxFlatFen   = 100_000_000
	maxPerM2Fen  = 10_000_000
	maxAreaCenti = 1_000_000 // 10,000 m² a household (governance.proto)
)

// within folds v into 1..hi.
func within(v, hi int64) int64 {
	if v < 0 {
		v = -(v + 1)
	}
	return 1 + v%hi
}

// FuzzTransactions fuzzes the ledger's constructors (rules 7 to 9: double
// entry in integer fen, household quotas, 3% retention until acceptance). Invariants, for any
// int64 input: no panic; a constructor refuses a non-positive amount; every transaction
// it makes is balanced (postings sum to zero), moves the fund account in the direction of
// its kind, and its reversal is balanced and mirrors it; Yuan writes fen back exactly.
// For inputs within the contract's bounds: a plan's quotas are flat or the per-m² amount
// rounded half up, exactly, never negative, and add up to the target; a disbursement's
// cap before acceptance keeps back at least 3% of the contract and not one fen more than
// needed (rule 9: 97% of a contract until acceptance), and the cap is the whole contract after acceptance.
func FuzzTransactions(f *testing.F) {
	f.Add(int64(108400), int64(0), []byte{0x10, 0x27, 0x00, 0x00}, int64(5000000), int64(108400), int64(20000000), int64(19400000), false, int64(108400))
	f.Add(int64(0), int64(1200), []byte{0x35, 0x18, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}, int64(1), int64(1), int64(1), int64(1), true, int64(-1))
	f.Add(int64(-5), int64(7), []byte{}, int64(0), int64(-1), int64(33), int64(33), false, int64(math.MinInt64))
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64), []byte{0xff, 0xff, 0xff, 0xff}, int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), false, int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, flat, perM2 int64, areas []byte, receipt, contribution, contract, disburse int64, accepted bool, fen int64) {
		// Yuan: "-?digits.dd", and exactly fen.
		y := Yuan(fen)
		whole, cents, ok := strings.Cut(strings.TrimPrefix(y, "-"), ".")
		back, err := strconv.ParseInt(strings.TrimSuffix(y[:len(y)-3], ".")+y[len(y)-2:], 10, 64)
		if !ok || len(cents) != 2 || whole == "" || err != nil || back != fen {
			t.Fatalf("Yuan(%d) = %q", fen, y)
		}

		// A plan with one funder of each party and households of the given areas.
		var hs []Household
		for i := 0; i+4 <= len(areas) && len(hs) < 50; i += 4 {
			a := int64(areas[i]) | int64(areas[i+1])<<8 | int64(areas[i+2])<<16 | int64(areas[i+3])<<24
			hs = append(hs, Household{ID: "h" + strconv.Itoa(len(hs)), AreaCenti: within(a, maxAreaCenti)})
		}
		q := Quota{}
		if flat > 0 || perM2 <= 0 {
			q.FlatFen = within(flat, maxFlatFen)
		} else {
			q.PerM2Fen = within(perM2, maxPerM2Fen)
		}
		p, err := NewPlan(Plan{ProjectID: "p1", Sources: []Source{
			{Party: Government, Funder: "区住建局", CommittedFen: within(receipt, maxAmountFen)},
			{Party: Residents, Funder: "居民"},
		}, Quota: q}, hs, time.Unix(0, 0))
		if len(hs) == 0 {
			if err == nil {
				t.Fatal("a plan with a quota and no households was accepted")
			}
		} else {
			if err != nil {
				t.Fatalf("plan refused: %v", err)
			}
			var sum int64
			for _, h := range hs {
				got := p.Quotas[h.ID]
				want := q.FlatFen
				if q.FlatFen == 0 { // per m² of hundredths of m², half up: ⌊(perM2·area + 50) / 100⌋
					w := new(big.Int).Mul(big.NewInt(q.PerM2Fen), big.NewInt(h.AreaCenti))
					want = w.Add(w, big.NewInt(50)).Div(w, big.NewInt(100)).Int64()
				}
				if got != want || got < 0 {
					t.Fatalf("quota %+v for %d hundredths of m²: %d fen, want %d", q, h.AreaCenti, got, want)
				}
				sum += got
			}
			if p.Target() != sum {
				t.Fatalf("target %d, quotas add up to %d", p.Target(), sum)
			}
			if s, _ := p.Source(Residents, "居民"); s.CommittedFen != sum {
				t.Fatalf("residents commit %d, quotas add up to %d", s.CommittedFen, sum)
			}
			for _, b := range p.Bounds() {
				if b.Min != nil && b.Max != nil && *b.Min > *b.Max {
					t.Fatalf("bound %s: min %d above max %d", b.Account, *b.Min, *b.Max)
				}
			}
		}

		// Every constructor: amount > 0, balanced, the fund moved the right way.
		type made struct {
			name string
			tx   Transaction
			err  error
			sign int64 // of the fund posting
			amt  int64
		}
		rc, rcErr := Receipt(&p, Government, "区住建局", receipt)
		ct, ctErr := Contribution(&p, "h0", contribution)
		in, inErr := Income(ParkingPublic, receipt)
		sp, spErr := Spend(Cleaning, "保洁公司", contribution)
		ds, bound, dsErr := Disbursement(Contract{ID: "施工单位", AmountFen: contract}, disburse, "item-1", accepted)
		for _, m := range []made{
			{"receipt", rc, rcErr, 1, receipt},
			{"contribution", ct, ctErr, 1, contribution},
			{"income", in, inErr, 1, receipt},
			{"expense", sp, spErr, -1, contribution},
			{"disbursement", ds, dsErr, -1, disburse},
		} {
			if m.err != nil {
				continue
			}
			if m.amt <= 0 {
				t.Fatalf("%s of %d fen accepted", m.name, m.amt)
			}
			if !m.tx.Balanced() || len(m.tx.Postings) != 2 {
				t.Fatalf("%s unbalanced: %+v", m.name, m.tx.Postings)
			}
			var fund int64
			for _, ps := range m.tx.Postings {
				if ps.Account == FundAccount {
					fund += ps.AmountFen
				}
			}
			if fund != m.sign*m.amt {
				t.Fatalf("%s of %d moves the fund by %d", m.name, m.amt, fund)
			}
			r, err := Reverse(&m.tx, "mistake")
			if err != nil || !r.Balanced() || len(r.Postings) != len(m.tx.Postings) {
				t.Fatalf("reversal of a %s: %+v, %v", m.name, r, err)
			}
			for i, ps := range r.Postings {
				if ps.Account != m.tx.Postings[i].Account || ps.AmountFen != -m.tx.Postings[i].AmountFen {
					t.Fatalf("reversal of a %s does not mirror it: %+v", m.name, r.Postings)
				}
			}
			if _, err := Reverse(&r, "again"); err == nil {
				t.Fatal("a reversal was reversed")
			}
		}
		if ctErr == nil && len(hs) > 0 {
			r, _ := Reverse(&ct, "")
			if len(r.Tallies) != 1 || r.Tallies[0] != (Posting{"refunded:h0", contribution}) {
				t.Fatalf("a reversed contribution is no refund: %+v", r.Tallies)
			}
		}

		// Rule 9 on any positive contract: the retention is the least whole fen ≥ 3%.
		if contract > 0 {
			ret := RetentionFen(contract)
			c := big.NewInt(contract)
			hundredRet := new(big.Int).Mul(big.NewInt(ret), big.NewInt(100))
			threeC := new(big.Int).Mul(c, big.NewInt(3))
			less := new(big.Int).Sub(hundredRet, big.NewInt(100))
			if ret < 0 || ret > contract || hundredRet.Cmp(threeC) < 0 || less.Cmp(threeC) >= 0 {
				t.Fatalf("retention of a %d fen contract is %d fen", contract, ret)
			}
		}
		if dsErr == nil {
			if disburse > contract {
				t.Fatalf("%d disbursed on a %d contract", disburse, contract)
			}
			want := contract
			if !accepted {
				want = contract - RetentionFen(contract)
			}
			if bound.Account != PayeeAccount("施工单位") || *bound.Min != 0 || *bound.Max != want {
				t.Fatalf("disbursement bound %s [%d, %d], want [0, %d]", bound.Account, *bound.Min, *bound.Max, want)
			}
		}
	})
}
