package api_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	prjpb "tongdu/proto/gen/go/tongdu/projects/v1"
)

func TestFundingPlanWithFlatQuota(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, hs := e.households(t, 6)
	pid := e.approved(t, cid, budget)
	p := e.plan(t, pid, flat(108400), gov(40_000_000), social(5_000_000), residents())

	if p.ProjectId != pid || p.CompoundId != cid || p.BookId != "renovation-"+pid || p.GetQuota().GetFlatFen() != 108400 {
		t.Fatalf("%v", p)
	}
	if p.HouseholdCount != 6 || p.TargetFen != 6*108400 {
		t.Fatalf("households %d, target %d", p.HouseholdCount, p.TargetFen)
	}
	if p.Sources[2].Party != pb.FundingSource_RESIDENTS || p.Sources[2].CommittedFen != 6*108400 {
		t.Fatalf("the residents commit what the quotas add up to: %v", p.Sources[2])
	}
	committed := int64(40_000_000 + 5_000_000 + 6*108400)
	if p.CommittedTotalFen != committed || p.BudgetFen != budget || p.CoversBudget || p.ShortfallFen != budget-committed {
		t.Fatalf("committed %d of %d: covers %v, shortfall %d", p.CommittedTotalFen, p.BudgetFen, p.CoversBudget, p.ShortfallFen)
	}
	if p.ReceivedTotalFen != 0 || p.CreateTime == nil {
		t.Fatalf("%v", p)
	}

	// The projects service owns the budget (changed there before construction):
	// GetFundingPlan follows it.
	e.setBudget(t, pid, committed)
	got := testkit.Must[*pb.FundingPlan](t)(e.GetFundingPlan(bg, &pb.GetFundingPlanRequest{ProjectId: pid}))
	if !got.CoversBudget || got.ShortfallFen != 0 || got.BudgetFen != committed {
		t.Fatalf("exactly covered: %v", got)
	}
	e.setBudget(t, pid, committed+1)
	got = testkit.Must[*pb.FundingPlan](t)(e.GetFundingPlan(bg, &pb.GetFundingPlanRequest{ProjectId: pid}))
	if got.CoversBudget || got.ShortfallFen != 1 {
		t.Fatalf("one fen short: %v", got)
	}

	c := e.collection(t, pid)
	if c.HouseholdCount != 6 || c.DueHouseholds != 6 || c.PaidHouseholds != 0 || c.TargetFen != 6*108400 || c.CollectedFen != 0 || len(c.Households) != 6 {
		t.Fatalf("%v", c)
	}
	for _, h := range c.Households {
		if h.QuotaFen != 108400 || h.Status != pb.HouseholdQuota_DUE || !contains(hs, h.HouseholdId) {
			t.Fatalf("%v", h)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestFundingPlanWithQuotaPerSquareMetre(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, hs := e.compound(t, 60, 75.5, 48.25, 0.01)
	pid := e.approved(t, cid, 1_000_000)
	p := e.plan(t, pid, perM2(1807), gov(400_000), residents())
	want := map[string]int64{
		hs[0]: 108420, // 1807 × 60
		hs[1]: 136429, // 1807 × 75.5 = 136428.5, half up
		hs[2]: 87188,  // 1807 × 48.25 = 87187.75
		hs[3]: 18,     // 1807 × 0.01 = 18.07
	}
	var target int64
	for _, v := range want {
		target += v
	}
	if p.GetQuota().GetPerM2Fen() != 1807 || p.TargetFen != target || p.Sources[1].CommittedFen != target || p.CommittedTotalFen != 400_000+target {
		t.Fatalf("%v", p)
	}
	if p.CoversBudget || p.ShortfallFen != 1_000_000-400_000-target {
		t.Fatalf("covers %v, shortfall %d", p.CoversBudget, p.ShortfallFen)
	}
	for _, h := range e.collection(t, pid).Households {
		if h.QuotaFen != want[h.HouseholdId] {
			t.Errorf("household %s owes %d, want %d", h.HouseholdId, h.QuotaFen, want[h.HouseholdId])
		}
	}
	// Paying the quota to the fen makes the household PAID.
	c := testkit.Must[*pb.Contribution](t)(e.pay(pid, hs[1], 136429, rid("c")))
	if c.HouseholdQuota.Status != pb.HouseholdQuota_PAID || c.HouseholdQuota.PaidFen != 136429 || c.HouseholdQuota.QuotaFen != 136429 {
		t.Fatalf("%v", c.HouseholdQuota)
	}
}

func TestFundingPlanRefusals(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, _ := e.households(t, 3)
	pid := e.approved(t, cid, budget)

	_, err := e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: "prj-none", Sources: []*pb.FundingSource{gov(1)}}})
	testkit.WantViolation(t, err, "fundingPlan.projectId")
	_, err = e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(0)}}})
	testkit.WantStatus(t, err, codes.InvalidArgument)
	_, err = e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(1), residents()}}})
	testkit.WantStatus(t, err, codes.InvalidArgument) // residents without a quota
	_, err = e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(1), gov(2)}}})
	testkit.WantStatus(t, err, codes.InvalidArgument) // one funder twice
	_, err = e.GetFundingPlan(bg, &pb.GetFundingPlanRequest{ProjectId: pid})
	testkit.WantStatus(t, err, codes.NotFound)

	// A compound with no households cannot owe quotas. (Nor can its owners resolve on a
	// renovation, so its project stays PROPOSED; a plan is drawn up before approval.)
	empty := e.proposed(t, e.compoundWithoutHouseholds(t), budget)
	_, err = e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: empty, Sources: []*pb.FundingSource{residents()}, Quota: flat(100)}})
	testkit.WantViolation(t, err, "fundingPlan.quota")

	// One plan per project; a retry with the same request id answers with it.
	req := &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(budget)}}, RequestId: "plan-1"}
	first := testkit.Must[*pb.FundingPlan](t)(e.CreateFundingPlan(bg, req))
	again := testkit.Must[*pb.FundingPlan](t)(e.CreateFundingPlan(bg, req))
	if again.BookId != first.BookId || again.CommittedTotalFen != budget || !again.CoversBudget {
		t.Fatalf("%v", again)
	}
	_, err = e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(budget + 1)}}, RequestId: "plan-1"})
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	_, err = e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(budget + 1)}}})
	testkit.WantReason(t, err, codes.AlreadyExists, "PLAN_EXISTS")
	if p := testkit.Must[*pb.FundingPlan](t)(e.GetFundingPlan(bg, &pb.GetFundingPlanRequest{ProjectId: pid})); p.CommittedTotalFen != budget {
		t.Fatalf("the plan changed: %v", p)
	}
}

func (e *env) compoundWithoutHouseholds(t *testing.T) string {
	t.Helper()
	c := testkit.Must[*govpb.Compound](t)(e.gov.CreateCompound(bg, &govpb.CreateCompoundRequest{Compound: &govpb.Compound{
		Name: "空院", CommunityId: e.community, BuildYear: 1985}}))
	return c.Id
}

func TestReceipts(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 3)

	r := testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 30_000_000, "gov-1"))
	if r.AmountFen != 30_000_000 || r.BookId != s.book || r.TransactionId == "" || !strings.HasPrefix(r.ReceiptNumber, "TD") || r.RequestId != "gov-1" {
		t.Fatalf("%v", r)
	}
	again := testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 30_000_000, "gov-1"))
	if again.Id != r.Id || again.ReceiptNumber != r.ReceiptNumber {
		t.Fatalf("a retry made another receipt: %v", again)
	}
	before := e.state(t, s.book)

	_, err := e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 5, "gov-1")
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	// Beyond the commitment: refused with the excess.
	_, err = e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 10_000_001, "gov-2")
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "OVER_COMMITMENT")
	if meta["overFen"] != "1" {
		t.Fatalf("metadata %v", meta)
	}
	_, err = e.receipt(s.project, pb.FundingSource_GOVERNMENT, "市财政局", 100, "gov-3")
	testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_IN_PLAN")
	_, err = e.receipt(s.project, pb.FundingSource_RESIDENTS, "居民自筹", 100, "res-1")
	testkit.WantViolation(t, err, "receipt.party")
	for _, fen := range []int64{0, -100} {
		_, err = e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", fen, "gov-4")
		testkit.WantViolation(t, err, "receipt.amountFen")
	}
	_, err = e.receipt("prj-none", pb.FundingSource_GOVERNMENT, "区住建局", 100, "gov-5")
	testkit.WantStatus(t, err, codes.NotFound)
	e.unchanged(t, s.book, before)

	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 10_000_000, "gov-2"))
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_SOCIAL, "国网供电公司", 2_000_000, "soc-1"))
	p := testkit.Must[*pb.FundingPlan](t)(e.GetFundingPlan(bg, &pb.GetFundingPlanRequest{ProjectId: s.project}))
	if p.Sources[0].ReceivedFen != 40_000_000 || p.Sources[1].ReceivedFen != 2_000_000 || p.ReceivedTotalFen != 42_000_000 {
		t.Fatalf("%v", p)
	}
	if b := e.book(t, s.book); b.FundBalanceFen != 42_000_000 || b.TransactionCount != 3 {
		t.Fatalf("%v", b)
	}
	e.verified(t, s.book)
}

func TestContributions(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 3)
	_, others := e.households(t, 1)
	h := s.households[0]

	c := testkit.Must[*pb.Contribution](t)(e.pay(s.project, h, 50_000, "c-1"))
	if c.HouseholdQuota.Status != pb.HouseholdQuota_PARTIALLY_PAID || c.HouseholdQuota.PaidFen != 50_000 || c.HouseholdId != h || c.Method != pb.Contribution_WECHAT {
		t.Fatalf("%v", c)
	}
	before := e.state(t, s.book)

	// Over the quota: refused with the excess.
	_, err := e.pay(s.project, h, 58_401, "c-2")
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "OVERPAYMENT")
	if meta["overFen"] != "1" {
		t.Fatalf("metadata %v", meta)
	}
	// A household of another compound.
	_, err = e.pay(s.project, others[0], 100, "c-3")
	testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
	// A household nobody knows.
	_, err = e.pay(s.project, "01j0000000000000000000none", 100, "c-4")
	testkit.WantViolation(t, err, "contribution.householdId")
	// Zero and negative amounts.
	for _, fen := range []int64{0, -1, -108400} {
		_, err = e.pay(s.project, h, fen, "c-5")
		testkit.WantViolation(t, err, "contribution.amountFen")
	}
	// No such project (no book).
	_, err = e.pay("prj-none", h, 100, "c-6")
	testkit.WantStatus(t, err, codes.NotFound)
	// The same request id for another payment.
	_, err = e.pay(s.project, h, 1, "c-1")
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	// No request id.
	_, err = e.pay(s.project, h, 1, "")
	testkit.WantViolation(t, err, "contribution.requestId")
	e.unchanged(t, s.book, before)

	// A retry answers with the first standing, even after later payments.
	c2 := testkit.Must[*pb.Contribution](t)(e.pay(s.project, h, 58_400, "c-2"))
	if c2.HouseholdQuota.Status != pb.HouseholdQuota_PAID {
		t.Fatalf("%v", c2.HouseholdQuota)
	}
	again := testkit.Must[*pb.Contribution](t)(e.pay(s.project, h, 50_000, "c-1"))
	if again.Id != c.Id || again.HouseholdQuota.PaidFen != 50_000 || again.HouseholdQuota.Status != pb.HouseholdQuota_PARTIALLY_PAID {
		t.Fatalf("%v", again)
	}
	col := e.collection(t, s.project)
	if col.PaidHouseholds != 1 || col.DueHouseholds != 2 || col.CollectedFen != 108400 || col.TargetFen != 3*108400 {
		t.Fatalf("%v", col)
	}
	if p := testkit.Must[*pb.FundingPlan](t)(e.GetFundingPlan(bg, &pb.GetFundingPlanRequest{ProjectId: s.project})); p.Sources[2].ReceivedFen != 108400 {
		t.Fatalf("%v", p.Sources[2])
	}
	e.verified(t, s.book)
}

func TestCollectionPagesAndFilters(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 5)
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, s.households[1], 108400, rid("c")))
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, s.households[3], 100, rid("c")))

	paid := testkit.Must[*pb.Collection](t)(e.GetCollection(bg, &pb.GetCollectionRequest{ProjectId: s.project, Status: pb.HouseholdQuota_PAID}))
	if len(paid.Households) != 1 || paid.Households[0].HouseholdId != s.households[1] || paid.PaidHouseholds != 1 || paid.DueHouseholds != 4 || paid.PartiallyPaidHouseholds != 1 {
		t.Fatalf("%v", paid)
	}
	var seen []string
	token := ""
	for {
		page := testkit.Must[*pb.Collection](t)(e.GetCollection(bg, &pb.GetCollectionRequest{ProjectId: s.project, PageSize: 2, PageToken: token}))
		if len(page.Households) > 2 {
			t.Fatalf("page of %d", len(page.Households))
		}
		for _, h := range page.Households {
			seen = append(seen, h.HouseholdId)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("not by id: %v", seen)
		}
	}
}

func TestDisbursements(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 3)
	const contract = 10_000_000 // 100,000 yuan; 97% is 9,700,000
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 5_000_000, rid("r")))

	// Beyond the fund: refused with the shortfall.
	before := e.state(t, s.book)
	_, err := e.disburse(s.project, "川建三公司", contract, 5_000_001, s.road, "d-1")
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "INSUFFICIENT_FUNDS")
	if meta["shortFen"] != "1" {
		t.Fatalf("metadata %v", meta)
	}
	e.unchanged(t, s.book, before)

	d := testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", contract, 5_000_000, s.road, "d-1"))
	if d.PaidToPayeeFen != 5_000_000 || d.RetentionFen != 300_000 || d.FundBalanceFen != 0 || d.ContractAmountFen != contract || d.ItemId != s.road {
		t.Fatalf("%v", d)
	}
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 35_000_000, rid("r")))

	// Beyond 97% while the project is not accepted: the retention is held.
	before = e.state(t, s.book)
	_, err = e.disburse(s.project, "川建三公司", contract, 4_700_001, s.road, "d-2")
	meta = testkit.WantReason(t, err, codes.FailedPrecondition, "RETENTION_HELD")
	if meta["overFen"] != "1" || meta["limitFen"] != "9700000" {
		t.Fatalf("metadata %v", meta)
	}
	// Another contract for the same payee (rule 9: one contract per payee).
	_, err = e.disburse(s.project, "川建三公司", contract+1, 100, s.road, "d-3")
	testkit.WantReason(t, err, codes.AlreadyExists, "CONTRACT_EXISTS")
	// Bad input.
	for _, fen := range []int64{0, -1} {
		_, err = e.disburse(s.project, "川建三公司", contract, fen, s.road, "d-4")
		testkit.WantViolation(t, err, "disbursement.amountFen")
	}
	_, err = e.disburse(s.project, "川建三公司", contract, contract+1, s.road, "d-5")
	testkit.WantStatus(t, err, codes.InvalidArgument)
	_, err = e.disburse("prj-none", "川建三公司", contract, 1, s.road, "d-6")
	testkit.WantStatus(t, err, codes.NotFound)
	e.unchanged(t, s.book, before)

	d = testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", contract, 4_700_000, s.road, "d-2"))
	if d.PaidToPayeeFen != 9_700_000 {
		t.Fatalf("%v", d)
	}
	// The works handed over (PENDING_ACCEPTANCE), then halted (SUSPENDED): not accepted
	// yet, the retention is held.
	e.finishWorks(t, s.project)
	_, err = e.disburse(s.project, "川建三公司", contract, 1, "", rid("d"))
	testkit.WantReason(t, err, codes.FailedPrecondition, "RETENTION_HELD")
	e.suspend(t, s.project)
	_, err = e.disburse(s.project, "川建三公司", contract, 1, "", rid("d"))
	testkit.WantReason(t, err, codes.FailedPrecondition, "RETENTION_HELD")
	e.resume(t, s.project, prjpb.Project_PENDING_ACCEPTANCE)
	// Once ACCEPTED the retention may be paid, up to the contract and no further.
	e.accept(t, s.project)
	d = testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", contract, 299_999, "", "d-7"))
	if d.PaidToPayeeFen != contract-1 {
		t.Fatalf("%v", d)
	}
	e.startMaintenance(t, s.project)
	_, err = e.disburse(s.project, "川建三公司", contract, 2, "", "d-8")
	meta = testkit.WantReason(t, err, codes.FailedPrecondition, "OVER_CONTRACT")
	if meta["overFen"] != "1" {
		t.Fatalf("metadata %v", meta)
	}
	testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", contract, 1, "", "d-8"))

	// A retry answers as the first time.
	again := testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", contract, 5_000_000, s.road, "d-1"))
	if again.Id == "" || again.PaidToPayeeFen != 5_000_000 || again.FundBalanceFen != 0 {
		t.Fatalf("%v", again)
	}
	if b := e.book(t, s.book); b.FundBalanceFen != 40_000_000-contract {
		t.Fatalf("%v", b)
	}
	e.verified(t, s.book)
}

func TestReversals(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 3)
	h := s.households[0]
	c := testkit.Must[*pb.Contribution](t)(e.pay(s.project, h, 108400, rid("c")))

	rev := testkit.Must[*pb.Transaction](t)(e.reverse(c.TransactionId, "收错了户", "rev-1"))
	if rev.Kind != pb.Transaction_REVERSAL || rev.ReversesTransactionId != c.TransactionId || rev.Memo != "收错了户" || rev.Sequence != 2 {
		t.Fatalf("%v", rev)
	}
	col := e.collection(t, s.project)
	var standing *pb.HouseholdQuota
	for _, x := range col.Households {
		if x.HouseholdId == h {
			standing = x
		}
	}
	if standing.Status != pb.HouseholdQuota_REFUNDED || standing.PaidFen != 0 || col.RefundedHouseholds != 1 || col.CollectedFen != 0 || col.DueHouseholds != 3 {
		t.Fatalf("%v / %v", standing, col)
	}
	before := e.state(t, s.book)

	// The same reverse request again: the same reversal.
	again := testkit.Must[*pb.Transaction](t)(e.reverse(c.TransactionId, "收错了户", "rev-1"))
	if again.Id != rev.Id || again.Sequence != 2 {
		t.Fatalf("%v", again)
	}
	// Another request to reverse it.
	_, err := e.reverse(c.TransactionId, "again", "rev-2")
	testkit.WantReason(t, err, codes.FailedPrecondition, "ALREADY_REVERSED")
	// The same request id with another reason.
	_, err = e.reverse(c.TransactionId, "another reason", "rev-1")
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	// A reversal is not reversed.
	_, err = e.reverse(rev.Id, "undo the undo", "rev-3")
	testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_REVERSIBLE")
	_, err = e.reverse("01j00000000000000000000000", "no such", "rev-4")
	testkit.WantStatus(t, err, codes.NotFound)
	e.unchanged(t, s.book, before)

	txs := e.transactions(t, s.book)
	if len(txs) != 2 || txs[0].ReversedByTransactionId != rev.Id || txs[1].ReversesTransactionId != c.TransactionId {
		t.Fatalf("%v", txs)
	}

	// Money already spent cannot be given back: the fund would go negative.
	r := testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 1_000_000, rid("r")))
	testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", 2_000_000, 600_000, "", rid("d")))
	before = e.state(t, s.book)
	_, err = e.reverse(r.TransactionId, "wrong account", "rev-5")
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "INSUFFICIENT_FUNDS")
	if meta["shortFen"] != "600000" {
		t.Fatalf("metadata %v", meta)
	}
	e.unchanged(t, s.book, before)

	// The household pays again after its refund: PAID.
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, h, 108400, rid("c")))
	col = e.collection(t, s.project)
	if col.PaidHouseholds != 1 || col.RefundedHouseholds != 0 || col.CollectedFen != 108400 {
		t.Fatalf("%v", col)
	}
	e.verified(t, s.book)
}

// Bad input is refused and changes nothing; unknown books and transactions are NOT_FOUND.
func TestUnknownBooks(t *testing.T) {
	t.Parallel()
	e := start(t)
	_, err := e.GetBook(bg, &pb.GetBookRequest{BookId: "renovation-none"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.ListTransactions(bg, &pb.ListTransactionsRequest{BookId: "renovation-none"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.ListAccounts(bg, &pb.ListAccountsRequest{BookId: "renovation-none"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.VerifyBook(bg, &pb.VerifyBookRequest{BookId: "renovation-none"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.GetCollection(bg, &pb.GetCollectionRequest{ProjectId: "none"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.GetProjectDisclosure(bg, &pb.GetProjectDisclosureRequest{ProjectId: "none"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.GetBook(bg, &pb.GetBookRequest{})
	testkit.WantViolation(t, err, "bookId")
	_, err = e.income("no-such-compound", pb.Income_PARKING_OWNERS, 100, "", rid("i"))
	testkit.WantViolation(t, err, "compoundId")
	books := testkit.Must[*pb.ListBooksResponse](t)(e.ListBooks(bg, &pb.ListBooksRequest{}))
	if len(books.Books) != 0 {
		t.Fatalf("refused writes opened books: %v", books.Books)
	}
}

// Money in JSON is an integer number of fen: the gateway's protojson refuses fractions.
func TestFractionsOfAFenAreNotMoney(t *testing.T) {
	for _, body := range []string{
		`{"householdId":"h1","amountFen":"1084.5","method":"CASH","requestId":"r1"}`,
		`{"householdId":"h1","amountFen":1084.5,"method":"CASH","requestId":"r1"}`,
		`{"householdId":"h1","amountFen":"108400.01","method":"CASH","requestId":"r1"}`,
	} {
		var c pb.Contribution
		if err := protojson.Unmarshal([]byte(body), &c); err == nil {
			t.Errorf("%s parsed as %d fen", body, c.AmountFen)
		}
	}
	var c pb.Contribution
	if err := protojson.Unmarshal([]byte(`{"householdId":"h1","amountFen":"108400","method":"CASH","requestId":"r1"}`), &c); err != nil || c.AmountFen != 108400 {
		t.Fatalf("%v %d", err, c.AmountFen)
	}
}

// Rule 7 for plans: the same request id with the same body gets the first result. A plan
// request refused with PLAN_EXISTS is refused again on retry; it must not come back as a
// success carrying another request's plan.
func TestPlanRetryOfARefusedRequestIsRefusedAgain(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, _ := e.households(t, 2)
	pid := e.approved(t, cid, budget)
	testkit.Must[*pb.FundingPlan](t)(e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{RequestId: "plan-a",
		FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(budget)}}}))

	other := &pb.CreateFundingPlanRequest{RequestId: "plan-b",
		FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(1_000), social(2_000)}}}
	_, err := e.CreateFundingPlan(bg, other)
	testkit.WantReason(t, err, codes.AlreadyExists, "PLAN_EXISTS")
	got, err := e.CreateFundingPlan(bg, other)
	if err == nil {
		t.Fatalf("the retry of a refused plan request succeeded with another request's plan (committed %d, asked for 3000)", got.CommittedTotalFen)
	}
	testkit.WantReason(t, err, codes.AlreadyExists, "PLAN_EXISTS")
}

// A peer this version does not build is UNAVAILABLE, naming the call, with no reason:
// the answer the service gave before its errors became faults.
func TestPeerNotBuiltIsUnavailable(t *testing.T) {
	t.Parallel()
	e := startWith(t, options{noProjects: true})
	_, err := e.CreateFundingPlan(bg, &pb.CreateFundingPlanRequest{FundingPlan: &pb.FundingPlan{ProjectId: "p1", Sources: []*pb.FundingSource{gov(1)}}})
	st := testkit.WantStatus(t, err, codes.Unavailable)
	if want := "peer service not built: projects GetProject is not built in this version"; st.Message() != want || len(st.Details()) != 0 {
		t.Fatalf("%q %v, want %q and no details", st.Message(), st.Details(), want)
	}
}

// Rule 16 (who acts): a funding plan and a contract record the signed-in account that
// made them, from the call and never from the request; a retry by someone else answers
// with the account that made the record.
func TestFundingPlanAndContractRecordWhoActs(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, _ := e.households(t, 2)
	pid := e.approved(t, cid, budget)
	officer := auth.WithPrincipal(bg, auth.Principal{Subject: "accounts/acct-officer", Role: auth.SubdistrictStaff, Scope: "regions/" + e.community})
	other := auth.WithPrincipal(bg, auth.Principal{Subject: "accounts/acct-other", Role: auth.DistrictAdmin})

	planReq := &pb.CreateFundingPlanRequest{RequestId: "plan-who", FundingPlan: &pb.FundingPlan{ProjectId: pid, Sources: []*pb.FundingSource{gov(budget)}, Account: "accounts/forged"}}
	p := testkit.Must[*pb.FundingPlan](t)(e.srv.CreateFundingPlan(officer, planReq))
	if p.Account != "accounts/acct-officer" {
		t.Fatalf("plan made by %q, want the caller's subject", p.Account)
	}
	if again := testkit.Must[*pb.FundingPlan](t)(e.srv.CreateFundingPlan(other, planReq)); again.Account != "accounts/acct-officer" {
		t.Fatalf("a retry answers with the plan as made: account %q", again.Account)
	}
	if got := testkit.Must[*pb.FundingPlan](t)(e.GetFundingPlan(bg, &pb.GetFundingPlanRequest{ProjectId: pid})); got.Account != "accounts/acct-officer" {
		t.Fatalf("plan read back with account %q", got.Account)
	}

	contractReq := &pb.CreateContractRequest{ProjectId: pid, Contract: &pb.Contract{Payee: "川建三公司", AmountFen: 1_000_000, RequestId: "contract-who", Account: "accounts/forged"}}
	c := testkit.Must[*pb.Contract](t)(e.srv.CreateContract(officer, contractReq))
	if c.Account != "accounts/acct-officer" {
		t.Fatalf("contract entered by %q, want the caller's subject", c.Account)
	}
	if again := testkit.Must[*pb.Contract](t)(e.srv.CreateContract(other, contractReq)); again.Id != c.Id || again.Account != "accounts/acct-officer" {
		t.Fatalf("a retry answers with the contract as entered: %v", again)
	}
	list := testkit.Must[*pb.ListContractsResponse](t)(e.ListContracts(bg, &pb.ListContractsRequest{ProjectId: pid}))
	if len(list.Contracts) != 1 || list.Contracts[0].Account != "accounts/acct-officer" {
		t.Fatalf("contracts read back: %v", list.Contracts)
	}
}

// GetHouseholdQuota is one household's line of the collection list; a household that
// owes nothing under the plan is NOT_FOUND.
func TestHouseholdQuotaIsItsLineOfTheCollection(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 3)
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, s.households[1], 50000, rid("c")))

	got := testkit.Must[*pb.HouseholdQuota](t)(e.GetHouseholdQuota(bg, &pb.GetHouseholdQuotaRequest{ProjectId: s.project, HouseholdId: s.households[1]}))
	if got.HouseholdId != s.households[1] || got.QuotaFen != 108400 || got.PaidFen != 50000 || got.Status != pb.HouseholdQuota_PARTIALLY_PAID {
		t.Fatalf("quota %v", got)
	}
	_, err := e.GetHouseholdQuota(bg, &pb.GetHouseholdQuotaRequest{ProjectId: s.project, HouseholdId: "no-such-household"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.GetHouseholdQuota(bg, &pb.GetHouseholdQuotaRequest{ProjectId: "none", HouseholdId: s.households[0]})
	testkit.WantStatus(t, err, codes.NotFound)
}
