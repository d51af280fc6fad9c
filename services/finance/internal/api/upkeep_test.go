package api_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	prjpb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// Rule 10: parking let to outsiders and shop rent come from common parts; the first
// income of such a stream needs a passed COMMON_PART_BUSINESS resolution of the compound.
func TestUpkeepIncomeFromCommonPartsNeedsAResolution(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, hs := e.households(t, 6)
	otherCID, otherHS := e.households(t, 6)
	book := "maintenance-" + cid

	// No resolution named.
	_, err := e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, "", "in-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	// No such survey.
	_, err = e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, "01j00000000000000000000000", "in-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	// A vote that failed: 4 of 6 consent, short of 3/4.
	failed := e.resolution(t, cid, surveypb.Survey_COMMON_PART_BUSINESS, hs, "agree", "agree", "agree", "agree", "disagree", "disagree")
	_, err = e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, failed, "in-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	// A passed vote on another matter.
	renovation := e.resolution(t, cid, surveypb.Survey_RENOVATION, hs, "agree", "agree", "agree", "agree", "agree", "disagree")
	_, err = e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, renovation, "in-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	// Another compound's passed business-use vote.
	elsewhere := e.resolution(t, otherCID, surveypb.Survey_COMMON_PART_BUSINESS, otherHS, "agree", "agree", "agree", "agree", "agree", "agree")
	_, err = e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, elsewhere, "in-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")

	// A vote still open: its figures are provisional, it has not passed.
	open := e.vote(t, cid, surveypb.Survey_COMMON_PART_BUSINESS, false, hs, "agree", "agree", "agree", "agree", "agree", "agree")
	_, err = e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, open, "in-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")

	// Owners' parking rent is not a business use of common parts.
	in := testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_PARKING_OWNERS, 12_000, "", "in-0"))
	if in.BookId != book || in.FundBalanceFen != 12_000 {
		t.Fatalf("%v", in)
	}

	// 5 of 6 consent: passed.
	passed := e.resolution(t, cid, surveypb.Survey_COMMON_PART_BUSINESS, hs, "agree", "agree", "agree", "agree", "agree", "disagree")
	in = testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, passed, "in-1"))
	if in.Stream != pb.Income_PARKING_PUBLIC || in.ResolutionSurveyId != passed || in.FundBalanceFen != 42_000 || in.AmountFen != 30_000 || in.Period != "2024-07" {
		t.Fatalf("%v", in)
	}
	again := testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, passed, "in-1"))
	if again.Id != in.Id || again.FundBalanceFen != 42_000 {
		t.Fatalf("a retry: %v", again)
	}
	_, err = e.income(cid, pb.Income_PARKING_PUBLIC, 30_001, passed, "in-1")
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")

	// Later incomes of the stream need none.
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_PARKING_PUBLIC, 30_000, "", "in-2"))
	// Another stream from common parts needs its own.
	_, err = e.income(cid, pb.Income_SHOP_RENT, 80_000, "", "in-3")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_SHOP_RENT, 80_000, passed, "in-3"))
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_SHOP_RENT, 80_000, "", "in-4"))
	if b := e.book(t, book); b.FundBalanceFen != 12_000+30_000+30_000+160_000 || b.Kind != pb.Book_MAINTENANCE || b.CompoundId != cid {
		t.Fatalf("%v", b)
	}
	e.verified(t, book)
}

func TestUpkeepExpenses(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, _ := e.households(t, 2)
	book := "maintenance-" + cid
	testkit.Must[*pb.Income](t)(e.income(cid, pb.Income_PARKING_OWNERS, 50_000, "", "in-1"))
	before := e.state(t, book)

	_, err := e.expense(cid, pb.Expense_CLEANING, 50_001, "ex-1")
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "INSUFFICIENT_FUNDS")
	if meta["shortFen"] != "1" {
		t.Fatalf("metadata %v", meta)
	}
	for _, fen := range []int64{0, -1} {
		_, err = e.expense(cid, pb.Expense_CLEANING, fen, "ex-2")
		testkit.WantViolation(t, err, "expense.amountFen")
	}
	_, err = e.expense("no-such-compound", pb.Expense_CLEANING, 1, "ex-3")
	testkit.WantViolation(t, err, "compoundId")
	e.unchanged(t, book, before)

	ex := testkit.Must[*pb.Expense](t)(e.expense(cid, pb.Expense_CLEANING, 20_000, "ex-1"))
	if ex.FundBalanceFen != 30_000 || ex.Kind != pb.Expense_CLEANING || ex.Payee != "石羊物业保洁队" || ex.BookId != book {
		t.Fatalf("%v", ex)
	}
	again := testkit.Must[*pb.Expense](t)(e.expense(cid, pb.Expense_CLEANING, 20_000, "ex-1"))
	if again.Id != ex.Id || again.FundBalanceFen != 30_000 {
		t.Fatalf("%v", again)
	}
	testkit.Must[*pb.Expense](t)(e.expense(cid, pb.Expense_REPAIRS, 30_000, "ex-4"))
	_, err = e.expense(cid, pb.Expense_GREENING, 1, "ex-5")
	testkit.WantReason(t, err, codes.FailedPrecondition, "INSUFFICIENT_FUNDS")
	if b := e.book(t, book); b.FundBalanceFen != 0 {
		t.Fatalf("%v", b)
	}
	// Undoing an expense gives the money back to the fund.
	testkit.Must[*pb.Transaction](t)(e.reverse(ex.TransactionId, "重复报销", "rev-1"))
	if b := e.book(t, book); b.FundBalanceFen != 20_000 {
		t.Fatalf("%v", b)
	}
	e.verified(t, book)
}

// A refused upkeep write changes nothing, not even by opening the compound's
// maintenance book.
func TestRefusedUpkeepWriteOpensNoBook(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, _ := e.households(t, 2)
	_, err := e.expense(cid, pb.Expense_CLEANING, 100, "ex-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "INSUFFICIENT_FUNDS")
	_, err = e.income(cid, pb.Income_SHOP_RENT, 100, "", "in-1")
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")

	books := testkit.Must[*pb.ListBooksResponse](t)(e.ListBooks(bg, &pb.ListBooksRequest{}))
	d := testkit.Must[*pb.CompoundDisclosure](t)(e.GetCompoundDisclosure(bg, &pb.GetCompoundDisclosureRequest{CompoundId: cid}))
	if len(books.Books) != 0 || d.BookId != "" {
		t.Fatalf("refused writes opened the maintenance book: books %v, disclosure names book %q", books.Books, d.BookId)
	}
}

// Disclosures are public: the right totals, and no household id, name, phone or ID
// number anywhere in them (rule 13: personal data never in disclosure reports).
func TestDisclosures(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 4)
	h := s.households

	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 20_000_000, rid("r")))
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_SOCIAL, "国网供电公司", 1_000_000, rid("r")))
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, h[0], 108400, rid("c")))
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, h[1], 108400, rid("c")))
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, h[2], 40_000, rid("c")))
	refund := testkit.Must[*pb.Contribution](t)(e.pay(s.project, h[3], 108400, rid("c")))
	testkit.Must[*pb.Transaction](t)(e.reverse(refund.TransactionId, "重复缴费", rid("rev")))
	testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", 15_000_000, 6_000_000, s.road, rid("d")))
	testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", 15_000_000, 2_000_000, s.drain, rid("d")))
	testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "监理公司", 1_000_000, 500_000, "", rid("d")))
	wrong := testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "监理公司", 1_000_000, 100_000, s.road, rid("d")))
	testkit.Must[*pb.Transaction](t)(e.reverse(wrong.TransactionId, "付错了", rid("rev")))

	d := testkit.Must[*pb.ProjectDisclosure](t)(e.GetProjectDisclosure(bg, &pb.GetProjectDisclosureRequest{ProjectId: s.project}))
	collected := int64(108400 + 108400 + 40_000)
	disbursed := int64(6_000_000 + 2_000_000 + 500_000)
	// Spending by item, by item id, then what no item names.
	byItem := []*pb.ItemSpending{{ItemId: s.drain, AmountFen: 2_000_000}, {ItemId: s.road, AmountFen: 6_000_000}}
	if s.road < s.drain {
		byItem[0], byItem[1] = byItem[1], byItem[0]
	}
	want := &pb.ProjectDisclosure{
		ProjectId: s.project, CompoundId: s.compound, BookId: s.book, BudgetFen: s.budget,
		SourcesByParty: []*pb.PartyFunds{
			{Party: pb.FundingSource_GOVERNMENT, CommittedFen: 40_000_000, ReceivedFen: 20_000_000},
			{Party: pb.FundingSource_SOCIAL, CommittedFen: 5_000_000, ReceivedFen: 1_000_000},
			{Party: pb.FundingSource_RESIDENTS, CommittedFen: 4 * 108400, ReceivedFen: collected},
		},
		CommittedTotalFen: 45_000_000 + 4*108400, ReceivedTotalFen: 21_000_000 + collected,
		HouseholdCount: 4, PaidHouseholds: 2, DueHouseholds: 2, PartiallyPaidHouseholds: 1,
		CollectedFen: collected, TargetFen: 4 * 108400,
		SpendingByItem: append(byItem, &pb.ItemSpending{ItemId: "", AmountFen: 500_000}),
		SpendingByPayee: []*pb.PayeeSpending{
			{ContractId: contractOf(t, e, s.project, "川建三公司"), Payee: "川建三公司", ContractAmountFen: 15_000_000, PaidFen: 8_000_000, RetentionFen: 450_000, HeldFen: 450_000},
			{ContractId: contractOf(t, e, s.project, "监理公司"), Payee: "监理公司", ContractAmountFen: 1_000_000, PaidFen: 500_000, RetentionFen: 30_000, HeldFen: 30_000},
		},
		DisbursedTotalFen: disbursed,
		FundBalanceFen:    21_000_000 + collected - disbursed,
	}
	d.GenerateTime = nil
	if !proto.Equal(d, want) {
		t.Fatalf("project disclosure\n got %v\nwant %v", d, want)
	}

	// The maintenance book and the compound's report.
	passed := e.resolutionFor(t, s.compound, []surveypb.Survey_BusinessUse{surveypb.Survey_PARKING_PUBLIC, surveypb.Survey_OTHER_USE}, h, "agree", "agree", "agree", "agree")
	testkit.Must[*pb.Income](t)(e.income(s.compound, pb.Income_PARKING_PUBLIC, 90_000, passed, rid("in")))
	testkit.Must[*pb.Income](t)(e.income(s.compound, pb.Income_PARKING_OWNERS, 10_000, "", rid("in")))
	mistake := testkit.Must[*pb.Income](t)(e.income(s.compound, pb.Income_OTHER, 5_000, passed, rid("in")))
	testkit.Must[*pb.Transaction](t)(e.reverse(mistake.TransactionId, "记错了", rid("rev")))
	testkit.Must[*pb.Expense](t)(e.expense(s.compound, pb.Expense_CLEANING, 25_000, rid("ex")))
	testkit.Must[*pb.Expense](t)(e.expense(s.compound, pb.Expense_REPAIRS, 15_000, rid("ex")))
	cd := testkit.Must[*pb.CompoundDisclosure](t)(e.GetCompoundDisclosure(bg, &pb.GetCompoundDisclosureRequest{CompoundId: s.compound}))
	cd.GenerateTime = nil
	wantCD := &pb.CompoundDisclosure{
		CompoundId: s.compound, BookId: "maintenance-" + s.compound,
		IncomeByStream:  []*pb.StreamIncome{{Stream: pb.Income_PARKING_OWNERS, AmountFen: 10_000}, {Stream: pb.Income_PARKING_PUBLIC, AmountFen: 90_000}},
		IncomeTotalFen:  100_000,
		ExpensesByKind:  []*pb.KindExpense{{Kind: pb.Expense_CLEANING, AmountFen: 25_000}, {Kind: pb.Expense_REPAIRS, AmountFen: 15_000}},
		ExpenseTotalFen: 40_000,
		FundBalanceFen:  60_000,
		ProjectBalances: []*pb.ProjectBalance{{ProjectId: s.project, BookId: s.book, FundBalanceFen: want.FundBalanceFen}},
	}
	if !proto.Equal(cd, wantCD) {
		t.Fatalf("compound disclosure\n got %v\nwant %v", cd, wantCD)
	}

	// Nothing personal in either report.
	for _, m := range []proto.Message{d, cd} {
		js, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range append([]string{residentName, phone, idNumber}, h...) {
			if strings.Contains(string(js), secret) {
				t.Fatalf("a disclosure shows %q: %s", secret, js)
			}
		}
	}
	e.verified(t, s.book)
	e.verified(t, "maintenance-"+s.compound)

	// A compound with no maintenance book yet has a report too; an unknown one has not.
	quiet, _ := e.households(t, 1)
	qd := testkit.Must[*pb.CompoundDisclosure](t)(e.GetCompoundDisclosure(bg, &pb.GetCompoundDisclosureRequest{CompoundId: quiet}))
	if qd.BookId != "" || qd.FundBalanceFen != 0 || len(qd.ProjectBalances) != 0 {
		t.Fatalf("%v", qd)
	}
	_, err := e.GetCompoundDisclosure(bg, &pb.GetCompoundDisclosureRequest{CompoundId: "no-such-compound"})
	testkit.WantStatus(t, err, codes.NotFound)
}

func TestLedgerViews(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 2)
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 1_000_000, rid("r")))
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, s.households[0], 108400, rid("c")))
	testkit.Must[*pb.Disbursement](t)(e.disburse(s.project, "川建三公司", 2_000_000, 300_000, "", rid("d")))
	testkit.Must[*pb.Income](t)(e.income(s.compound, pb.Income_PARKING_OWNERS, 10_000, "", rid("in")))

	accounts := testkit.Must[*pb.ListAccountsResponse](t)(e.ListAccounts(bg, &pb.ListAccountsRequest{BookId: s.book}))
	var total int64
	kinds := map[pb.Account_Kind]int{}
	for _, a := range accounts.Accounts {
		total += a.BalanceFen
		kinds[a.Kind]++
		if a.BookId != s.book {
			t.Fatalf("%v", a)
		}
	}
	if total != 0 || kinds[pb.Account_FUND] != 1 || kinds[pb.Account_SOURCE] != 1 || kinds[pb.Account_HOUSEHOLD_QUOTA] != 1 || kinds[pb.Account_PAYEE] != 1 {
		t.Fatalf("balances sum to %d; kinds %v", total, kinds)
	}
	payees := testkit.Must[*pb.ListAccountsResponse](t)(e.ListAccounts(bg, &pb.ListAccountsRequest{BookId: s.book, Kind: pb.Account_PAYEE}))
	if len(payees.Accounts) != 1 || payees.Accounts[0].Name != "川建三公司" || payees.Accounts[0].BalanceFen != 300_000 {
		t.Fatalf("%v", payees)
	}
	page := testkit.Must[*pb.ListAccountsResponse](t)(e.ListAccounts(bg, &pb.ListAccountsRequest{BookId: s.book, PageSize: 2}))
	rest := testkit.Must[*pb.ListAccountsResponse](t)(e.ListAccounts(bg, &pb.ListAccountsRequest{BookId: s.book, PageSize: 2, PageToken: page.NextPageToken}))
	if len(page.Accounts) != 2 || len(rest.Accounts) != 2 || rest.Accounts[0].Id <= page.Accounts[1].Id {
		t.Fatalf("%v / %v", page, rest)
	}

	txs := testkit.Must[*pb.ListTransactionsResponse](t)(e.ListTransactions(bg, &pb.ListTransactionsRequest{BookId: s.book, Kind: pb.Transaction_CONTRIBUTION}))
	if len(txs.Transactions) != 1 || txs.Transactions[0].Sequence != 2 {
		t.Fatalf("%v", txs)
	}

	ren := testkit.Must[*pb.ListBooksResponse](t)(e.ListBooks(bg, &pb.ListBooksRequest{Kind: pb.Book_RENOVATION}))
	if len(ren.Books) != 1 || ren.Books[0].Id != s.book || ren.Books[0].FundBalanceFen != 1_000_000+108400-300_000 || ren.Books[0].TransactionCount != 3 {
		t.Fatalf("%v", ren)
	}
	byCompound := testkit.Must[*pb.ListBooksResponse](t)(e.ListBooks(bg, &pb.ListBooksRequest{CompoundId: s.compound}))
	if len(byCompound.Books) != 2 {
		t.Fatalf("%v", byCompound)
	}
	byProject := testkit.Must[*pb.ListBooksResponse](t)(e.ListBooks(bg, &pb.ListBooksRequest{ProjectId: s.project}))
	if len(byProject.Books) != 1 || byProject.Books[0].ProjectId != s.project {
		t.Fatalf("%v", byProject)
	}
	v := testkit.Must[*pb.VerifyBookResponse](t)(e.VerifyBook(bg, &pb.VerifyBookRequest{BookId: s.book}))
	if !v.Ok || v.TransactionsChecked != 3 {
		t.Fatalf("%v", v)
	}

	// A stored balance that drifted from the log: :verify names it.
	if err := e.rdb.HIncrBy(bg, "fin:{b:"+s.book+"}:balances", "fund", 1).Err(); err != nil {
		t.Fatal(err)
	}
	v = testkit.Must[*pb.VerifyBookResponse](t)(e.VerifyBook(bg, &pb.VerifyBookRequest{BookId: s.book}))
	if v.Ok || len(v.Differences) != 1 || v.Differences[0].AccountId != "fund" || v.Differences[0].StoredFen != v.Differences[0].RecomputedFen+1 {
		t.Fatalf("%v", v)
	}
}

// The projects service asks finance whether the plan covers the budget before
// construction starts (rule 6: IN_CONSTRUCTION needs a funding plan that covers the
// budget): finance's answer is the guard.
func TestProjectsStartConstructionOnFinancesPlan(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid, _ := e.households(t, 6)
	short, covered := e.approved(t, cid, budget), e.approved(t, cid, budget)

	p := e.plan(t, short, flat(108400), gov(50_000_000), residents())
	if p.CoversBudget || p.ShortfallFen != budget-50_000_000-6*108400 || p.BudgetFen != budget {
		t.Fatalf("%v", p)
	}
	_, err := e.prj.StartConstruction(bg, &prjpb.StartConstructionRequest{Id: short, Actor: actor, Reason: "资金落实"})
	testkit.WantReason(t, err, codes.FailedPrecondition, "FUNDING_NOT_COVERED")

	p = e.plan(t, covered, flat(108400), gov(budget-6*108400), residents())
	if !p.CoversBudget || p.ShortfallFen != 0 {
		t.Fatalf("%v", p)
	}
	e.startConstruction(t, covered)
	// Before acceptance the 3% retention is held.
	testkit.Must[*pb.Receipt](t)(e.receipt(covered, pb.FundingSource_GOVERNMENT, "区住建局", 10_000_000, rid("r")))
	_, err = e.disburse(covered, "川建三公司", 1_000_000, 980_000, "", rid("d"))
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RETENTION_HELD")
	if meta["overFen"] != "10000" {
		t.Fatalf("%v", meta)
	}
	testkit.Must[*pb.Disbursement](t)(e.disburse(covered, "川建三公司", 1_000_000, 970_000, "", rid("d")))
}
