package api_test

import (
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/internal/ledger"
)

// TestConcurrentPaymentsPayEachHouseholdOnce: 100 goroutines pay the quotas of the same
// 50 households (flat 1,084 yuan), two goroutines per household. For half of the
// households the second goroutine is a retry of the first payment (the same request id);
// for the other half it is a second payment of its own (another request id), which the
// quota must refuse. Funders' receipts land at the same time. Afterwards each household
// has paid exactly once.
func TestConcurrentPaymentsPayEachHouseholdOnce(t *testing.T) {
	t.Parallel()
	const quota, n = 108400, 50
	e := start(t)
	s := e.site(t, n)

	type result struct {
		household int
		txID      string
		err       error
	}
	results := make(chan result, 2*n)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for g := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := g / 2
			req := fmt.Sprintf("pay-%d", i)
			if g%2 == 1 && i%2 == 1 {
				req = fmt.Sprintf("pay-%d-again", i) // a second payment, not a retry
			}
			<-ready
			c, err := e.pay(s.project, s.households[i], quota, req)
			results <- result{i, c.GetTransactionId(), err}
		}()
	}
	const receipts = 10
	for i := range receipts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			if _, err := e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 1000, fmt.Sprintf("gov-%d", i)); err != nil {
				t.Error(err)
			}
			// And a retry of it.
			if _, err := e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 1000, fmt.Sprintf("gov-%d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	close(ready)
	wg.Wait()
	close(results)

	byHousehold := map[int][]result{}
	for r := range results {
		byHousehold[r.household] = append(byHousehold[r.household], r)
	}
	for i := range n {
		rs := byHousehold[i]
		if len(rs) != 2 {
			t.Fatalf("household %d: %d answers", i, len(rs))
		}
		if i%2 == 0 {
			// A payment and its retry: both answered with the one transaction.
			if rs[0].err != nil || rs[1].err != nil || rs[0].txID != rs[1].txID {
				t.Errorf("household %d, a payment and its retry: %v", i, rs)
			}
			continue
		}
		// Two payments: one is taken, the other is an over-payment.
		var ok, over int
		for _, r := range rs {
			switch {
			case r.err == nil:
				ok++
			case status.Code(r.err) == codes.FailedPrecondition:
				over++
				testkit.WantReason(t, r.err, codes.FailedPrecondition, "OVERPAYMENT")
			default:
				t.Errorf("household %d: %v", i, r.err)
			}
		}
		if ok != 1 || over != 1 {
			t.Errorf("household %d, two payments: %d taken, %d refused", i, ok, over)
		}
	}

	// Each household paid exactly once.
	col := e.collection(t, s.project)
	if col.PaidHouseholds != n || col.DueHouseholds != 0 || col.CollectedFen != n*quota || col.TargetFen != n*quota {
		t.Fatalf("%v", col)
	}
	for _, h := range col.Households {
		if h.PaidFen != quota || h.Status != pb.HouseholdQuota_PAID {
			t.Fatalf("%v", h)
		}
	}
	perHousehold := map[string]int{}
	var contributions, receiptTxs int
	for _, tx := range e.transactions(t, s.book) {
		switch tx.Kind {
		case pb.Transaction_CONTRIBUTION:
			contributions++
			for _, p := range tx.Postings {
				if kind, hid := ledger.KindOf(p.AccountId); kind == ledger.AccountHousehold {
					perHousehold[hid]++
				}
			}
		case pb.Transaction_RECEIPT:
			receiptTxs++
		}
	}
	if contributions != n || len(perHousehold) != n || receiptTxs != receipts {
		t.Fatalf("%d contributions for %d households, %d receipts", contributions, len(perHousehold), receiptTxs)
	}
	for hid, k := range perHousehold {
		if k != 1 {
			t.Fatalf("household %s: %d contributions in the log", hid, k)
		}
	}
	if b := e.book(t, s.book); b.FundBalanceFen != n*quota+receipts*1000 || b.TransactionCount != n+receipts {
		t.Fatalf("%v, want fund %d", b, n*quota+receipts*1000)
	}
	e.verified(t, s.book)
}
