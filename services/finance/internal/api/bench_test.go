package api_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tongdu/platform/ids"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/finance/internal/ledger"
)

// benchEnv is finance with the real governance, survey and projects services on gRPC over
// a real Redis, with a plan for a project of a compound of n households of 60 m² (flat
// quota 1,000,000 yuan, so 1-fen payments never run out) and a government source
// committing 1 billion yuan. A contribution reads the household's quota from the book's
// own keys: the peers are asked when the plan is made, not on the path measured.
func benchEnv(b *testing.B, n int) (*env, string, []string) {
	b.Helper()
	e := start(b)
	cid, hids := e.bigCompound(b, n)
	pid := e.proposed(b, cid, budget)
	testkit.Must[*pb.FundingPlan](b)(e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{
		ProjectId: pid, Sources: []*pb.FundingSource{gov(100_000_000_000), residents()}, Quota: flat(100_000_000)}}))
	return e, pid, hids
}

// bigCompound registers a compound of n households of 60 m² with governance, a thousand
// at a time (the most one batch takes).
func (e *env) bigCompound(b *testing.B, n int) (string, []string) {
	b.Helper()
	c := testkit.Must[*govpb.Compound](b)(e.gov.CreateCompound(bg, &govpb.CreateCompoundRequest{Compound: &govpb.Compound{
		Name: fmt.Sprintf("石羊路%d号院", 20+e.seq.Add(1)), CommunityId: e.community, BuildYear: 1992}}))
	bld := testkit.Must[*govpb.Building](b)(e.gov.CreateBuilding(bg, &govpb.CreateBuildingRequest{CompoundId: c.Id, Building: &govpb.Building{Name: "1栋", UnitCount: 2}}))
	var hids []string
	for from := 0; from < n; from += 1000 {
		var hs []*govpb.Household
		for i := from; i < min(n, from+1000); i++ {
			hs = append(hs, &govpb.Household{BuildingId: bld.Id, Unit: fmt.Sprint(1 + i%2), Room: fmt.Sprint(101 + i), ExclusiveAreaM2: 60})
		}
		resp := testkit.Must[*govpb.BatchCreateHouseholdsResponse](b)(e.gov.BatchCreateHouseholds(bg, &govpb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs}))
		for _, h := range resp.Households {
			hids = append(hids, h.Id)
		}
	}
	return c.Id, hids
}

// BenchmarkContribution records 1-fen household contributions through gRPC against a
// real Redis: one client at a time, and as many as GOMAXPROCS×4 at once.
func BenchmarkContribution(b *testing.B) {
	for _, n := range []int{50, 2000} {
		b.Run(fmt.Sprintf("households=%d/serial", n), func(b *testing.B) {
			e, pid, hids := benchEnv(b, n)
			i := 0
			for b.Loop() {
				if _, err := e.pay(pid, hids[i%len(hids)], 1, fmt.Sprintf("bench-%d", i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transactions/s")
		})
		b.Run(fmt.Sprintf("households=%d/parallel", n), func(b *testing.B) {
			e, pid, hids := benchEnv(b, n)
			var seq atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					i := seq.Add(1)
					if _, err := e.pay(pid, hids[int(i)%len(hids)], 1, fmt.Sprintf("bench-%d", i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transactions/s")
		})
	}
}

// BenchmarkGetBook reads a renovation book's fund balance through gRPC when its log holds
// 1,000 and 100,000 transactions: the read must not grow with the log. The log is seeded
// straight through storage.Post (receipts, contributions and disbursements over a fixed
// set of accounts).
func BenchmarkGetBook(b *testing.B) {
	e, pid, hids := benchEnv(b, 50)
	book := ledger.RenovationBookID(pid)
	st, err := e.store.GetBook(bg, book)
	if err != nil {
		b.Fatal(err)
	}
	seeded := 0
	for _, n := range []int{1_000, 100_000} {
		start := time.Now()
		seed(b, e, st.Plan, book, hids, seeded, n)
		b.Logf("seeded %d transactions in %v", n-seeded, time.Since(start).Round(time.Millisecond))
		seeded = n
		b.Run(fmt.Sprintf("transactions=%d", n), func(b *testing.B) {
			var got *pb.Book
			for b.Loop() {
				got = testkit.Must[*pb.Book](b)(e.GetBook(bg, &pb.GetBookRequest{BookId: book}))
			}
			if got.TransactionCount != int32(n) {
				b.Fatalf("the book holds %d transactions, want %d", got.TransactionCount, n)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}

// seed posts transactions from..to-1 with 16 writers.
func seed(b *testing.B, e *env, plan *ledger.Plan, book string, hids []string, from, to int) {
	b.Helper()
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				var tx ledger.Transaction
				var err error
				switch k := i % 4; {
				case k < 2 || i < 100: // money in before any goes out

					tx, err = ledger.Receipt(plan, ledger.Government, "区住建局", 3)
				case k == 2:
					tx, err = ledger.Contribution(plan, hids[i%len(hids)], 1)
				default:
					tx, _, err = ledger.Disbursement(ledger.Contract{ID: "川建三公司", AmountFen: 1_000_000_000_000}, 1, "", true)
				}
				if err != nil {
					b.Error(err)
					return
				}
				tx.ID, tx.BookID, tx.RequestID, tx.CreateTime = ids.New(), book, fmt.Sprintf("seed-%d", i), time.Now()
				if _, err := e.store.Post(bg, tx, tx.RequestID, nil, ""); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
