package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/governance"
)

// projectsReady is a proposed project of an estate with its work items, its funding
// plan (covering the budget: government, an enterprise and the households' quotas of
// 1,084 yuan each) and the owners' renovation vote, open with every household agreeing.
type projectsReady struct {
	Estate     estate
	Project    *projectspb.Project
	Items      map[projectspb.WorkItem_Kind]*projectspb.WorkItem
	Plan       *financepb.FundingPlan
	Resolution *surveypb.Survey
}

// projectsQuotaFen is each household's quota in the fixture's plan (rule 8).
const projectsQuotaFen = 108_400

// projectsFixture sets up, by gRPC as the district, a project on e ready for approval
// once its vote closes (projectsCloseVote): the approval is refused until then (rule 6).
// Budget 60,000 yuan; items a drain pipe, the road over it and stairwell lighting.
func projectsFixture(s *site, e estate) projectsReady {
	s.t.Helper()
	ctx := s.district()
	pc, fc, sc := projectspb.NewProjectsServiceClient(s.conn), financepb.NewFinanceServiceClient(s.conn), surveypb.NewSurveyServiceClient(s.conn)
	r := projectsReady{Estate: e, Items: map[projectspb.WorkItem_Kind]*projectspb.WorkItem{}}

	mustSurvey := testkit.Must[*surveypb.Survey](s.t)
	r.Resolution = mustSurvey(sc.CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: e.Compound.Id, Title: e.Compound.Name + "老旧小区改造业主表决", Kind: surveypb.Survey_RESOLUTION, Matter: surveypb.Survey_RENOVATION,
		Questions: []*surveypb.Question{{Id: "vote", Text: "您是否同意本小区实施老旧小区改造？", Type: surveypb.Question_SINGLE_CHOICE,
			Options: []*surveypb.QuestionOption{{Id: "agree", Text: "同意"}, {Id: "disagree", Text: "不同意"}, {Id: "abstain", Text: "弃权"}}}}}}))
	mustSurvey(sc.OpenSurvey(ctx, &surveypb.OpenSurveyRequest{Id: r.Resolution.Id}))
	var votes []*surveypb.Response
	for _, h := range e.Households {
		votes = append(votes, &surveypb.Response{HouseholdId: h.Id, Channel: surveypb.Response_DOOR_TO_DOOR,
			Answers: []*surveypb.Answer{{QuestionId: "vote", OptionIds: []string{"agree"}}}})
	}
	if len(votes) > 0 {
		testkit.Must[*surveypb.BatchSubmitResponsesResponse](s.t)(sc.BatchSubmitResponses(ctx, &surveypb.BatchSubmitResponsesRequest{SurveyId: r.Resolution.Id, Responses: votes}))
	}

	r.Project = testkit.Must[*projectspb.Project](s.t)(pc.CreateProject(ctx, &projectspb.CreateProjectRequest{Project: &projectspb.Project{
		CompoundId: e.Compound.Id, Title: e.Compound.Name + "老旧小区微改造", Year: 2021, BudgetFen: 6_000_000,
		Description: "一小区一策：管网、道路、楼道照明", HeritageNotes: "保持砖墙颜色整体和谐，留住老东川记忆"}}))
	for _, it := range []*projectspb.WorkItem{
		{Category: projectspb.WorkItem_BASIC, Kind: projectspb.WorkItem_ROAD_REPAIR, Description: "修缮破损道路", Quantity: 300, Unit: "m2",
			Difficulty: projectspb.WorkItem_MEDIUM, EstimatedCostFen: 3_000_000, SafetyCritical: true},
		{Category: projectspb.WorkItem_BASIC, Kind: projectspb.WorkItem_DRAIN_PIPE, Description: "改造居民下水管道", Quantity: 40, Unit: "m",
			Difficulty: projectspb.WorkItem_MEDIUM, EstimatedCostFen: 2_000_000, SafetyCritical: true},
		{Category: projectspb.WorkItem_IMPROVEMENT, Kind: projectspb.WorkItem_STAIRWELL_LIGHTING, Description: "楼道灯", Quantity: 12, Unit: "pcs",
			Difficulty: projectspb.WorkItem_EASY, EstimatedCostFen: 500_000},
	} {
		r.Items[it.Kind] = testkit.Must[*projectspb.WorkItem](s.t)(pc.CreateWorkItem(ctx, &projectspb.CreateWorkItemRequest{ProjectId: r.Project.Id, Item: it}))
	}
	r.Plan = testkit.Must[*financepb.FundingPlan](s.t)(fc.CreateFundingPlan(ctx, &financepb.CreateFundingPlanRequest{FundingPlan: &financepb.FundingPlan{
		ProjectId: r.Project.Id, Quota: &financepb.Quota{Amount: &financepb.Quota_FlatFen{FlatFen: projectsQuotaFen}},
		Sources: []*financepb.FundingSource{
			{Party: financepb.FundingSource_GOVERNMENT, Funder: "区住建局", CommittedFen: 4_000_000},
			{Party: financepb.FundingSource_SOCIAL, Funder: "国网供电公司", CommittedFen: 2_000_000},
			{Party: financepb.FundingSource_RESIDENTS, Funder: "居民自筹"},
		}}}))
	r.Project = testkit.Must[*projectspb.Project](s.t)(pc.GetProject(ctx, &projectspb.GetProjectRequest{Id: r.Project.Id}))
	return r
}

// projectsCloseVote closes the fixture's renovation vote: the project may now be approved.
func projectsCloseVote(s *site, r projectsReady) {
	s.t.Helper()
	testkit.Must[*surveypb.Survey](s.t)(surveypb.NewSurveyServiceClient(s.conn).CloseSurvey(s.district(), &surveypb.CloseSurveyRequest{Id: r.Resolution.Id}))
}

// The project pages on screen (rules 5, 6, 8, 16): a sub-district officer finds the
// compound's projects, sees the order of works with its reasons, is refused approval
// while the owners' vote is open (the reason above the buttons), approves once it has
// closed (the history names the account), and signs off for the builder (the checklist
// shows it). Every page passes axe on a desktop and on a phone.
func TestProjectsPagesOnScreen(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1990, 62.5, 48.0, 75.2, 55.0)
	r := projectsFixture(s, e)
	pid := r.Project.Id

	for i, size := range [][2]int64{desktop, phone} {
		b := s.signedIn(size, fmt.Sprintf("projects.look%d", i), auth.SubdistrictStaff, "regions/"+e.Subdistrict, "李娟")
		b.visit("/compounds/" + e.Compound.Id + "/projects")
		if got := b.text("main table tbody"); !strings.Contains(got, "石羊路21号院老旧小区微改造") || !strings.Contains(got, "已申报") || !strings.Contains(got, "¥60,000.00") {
			t.Errorf("the compound's projects: %q", got)
		}
		b.accessible()
		b.follow(`main table tbody a`)
		if h := b.text("main h1"); h != "石羊路21号院老旧小区微改造" {
			t.Fatalf("project page heading %q at %s", h, b.location())
		}
		// Rule 5: the drain before the road over it (先地下后地上), lighting last.
		rows := eval[[]string](b, `[...document.querySelectorAll("#schedule tbody tr")].map(tr => tr.innerText)`)
		if len(rows) != 3 || !strings.Contains(rows[0], "下水管道") || !strings.Contains(rows[1], "道路修缮") || !strings.Contains(rows[1], "先地下后地上") || !strings.Contains(rows[2], "基础类先于完善类") {
			t.Errorf("schedule rows %q", rows)
		}
		b.accessible()
		b.visit("/projects/" + pid + "/money")
		if got := b.text("#plan"); !strings.Contains(got, "区住建局") || !strings.Contains(got, "国网供电公司") || !strings.Contains(got, "每户 ¥1,084.00") {
			t.Errorf("funding plan: %q", got)
		}
		b.accessible()
	}

	b := s.signedIn(desktop, "projects.approver", auth.SubdistrictStaff, "regions/"+e.Subdistrict, "王科长")
	// A new project: the budget in yuan, a third decimal told beside it.
	b.visit("/compounds/" + e.Compound.Id + "/projects")
	b.fill("project.title", "石羊路21号院雨污分流")
	b.fill("project.budgetFen", "120,000.555")
	b.follow(`#new form button[type=submit]`)
	if got := b.text("#f-project-budgetFen-error"); got != "金额最多两位小数（到分）" {
		t.Errorf("budget error beside the field: %q", got)
	}
	b.accessible()
	b.fill("project.budgetFen", "120,000.50")
	b.follow(`#new form button[type=submit]`)
	if h, st := b.text("main h1"), b.text("#project-status"); h != "石羊路21号院雨污分流" || st != "已申报" || !strings.Contains(b.text("main .projects-facts"), "¥120,000.50") {
		t.Errorf("new project: %q %q at %s", h, st, b.location())
	}

	b.visit("/projects/" + pid)
	b.follow(`#do-approve`)
	if got := b.text("#lifecycle .form-error"); !strings.Contains(got, "业主表决尚未通过") {
		t.Errorf("approval refused with %q", got)
	}
	if st := b.text("#project-status"); st != "已申报" {
		t.Errorf("refused, the project is %q", st)
	}
	b.accessible()
	projectsCloseVote(s, r)
	postPlanOnScreen(t, b, pid)
	b.follow(`#do-approve`)
	if st := b.text("#project-status"); st != "已批准" {
		t.Fatalf("approved, the project is %q (%s)", st, b.text("main"))
	}
	if got := b.text("#history tbody"); !strings.Contains(got, "已申报 → 已批准") || !strings.Contains(got, "accounts/") {
		t.Errorf("history after approval: %q", got)
	}

	// Built (by gRPC): construction starts, every item is reported done, acceptance is
	// requested; the parties sign off on screen.
	ctx, pc := s.district(), projectspb.NewProjectsServiceClient(s.conn)
	mustProject := testkit.Must[*projectspb.Project](t)
	mustProject(pc.StartConstruction(ctx, &projectspb.StartConstructionRequest{Id: pid, Actor: "铜都街道"}))
	for _, it := range r.Items {
		testkit.Must[*projectspb.ProgressReport](t)(pc.CreateProgressReport(ctx, &projectspb.CreateProgressReportRequest{ProjectId: pid,
			ProgressReport: &projectspb.ProgressReport{ItemId: it.Id, ProgressPercent: 100, Contractor: "东川建工", Remarks: "完工"}}))
	}
	mustProject(pc.RequestAcceptance(ctx, &projectspb.RequestAcceptanceRequest{Id: pid, Actor: "东川建工"}))

	// The builder's sign-off, with scripts off.
	n := s.openNoScript(phone)
	projectsAccount(s, "projects.builder", auth.SubdistrictStaff, "regions/"+e.Subdistrict, "赵工")
	n.signIn("projects.builder", testPassword)
	n.visit("/projects/" + pid)
	n.do(
		chromedp.SetAttributeValue(css(`#acceptance details`), "open", ""),
		chromedp.SetValue(css(`#f-signoff-role`), "BUILDER"),
		chromedp.SetValue(css(`#f-signoff-verdict`), "PASS"),
	)
	n.fill("signoff.signer", "铜都街道 赵工")
	n.follow(`#acceptance form button[type=submit]`)
	if loc := n.location(); !strings.Contains(loc, "done=projects.signoff") {
		t.Fatalf("signing off: at %s, %s", loc, eval[string](n, `document.querySelector("#acceptance").innerText`))
	}
	if got := n.text("#signoffs tbody"); !strings.Contains(got, "建设单位") || !strings.Contains(got, "合格") || !strings.Contains(got, "铜都街道 赵工") {
		t.Errorf("sign-offs after signing: %q", got)
	}
	if got := n.text("#acceptance .projects-checklist"); !strings.Contains(got, "✓ 已满足 建设单位签字合格") {
		t.Errorf("checklist after signing: %q", got)
	}
	// The page pending acceptance, with its sign-off form, on a phone (axe needs scripts).
	ph := s.signedIn(phone, "projects.community", auth.CommunityStaff, "regions/"+e.Community, "周社区")
	ph.visit("/projects/" + pid)
	if got := ph.text("#project-status"); got != "待验收" {
		t.Errorf("status pending acceptance: %q", got)
	}
	ph.do(chromedp.SetAttributeValue(css(`#acceptance details`), "open", ""))
	ph.accessible()
}

// The money page with scripts off (rules 7, 8): a grid worker records a household's
// contribution typed as "1,084.00" yuan; a third decimal is told beside the amount; the
// collection list and the book move; the same form sent twice books it once.
func TestProjectsMoneyWithoutScripts(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1990, 62.5, 48.0, 75.2)
	r := projectsFixture(s, e)
	money := "/projects/" + r.Project.Id + "/money"

	// On a phone with scripts on (htmx swaps the form sent back with its error).
	p := s.signedIn(phone, "projects.money.phone", auth.CommunityStaff, "regions/"+e.Community, "刘网格")
	p.visit(money)
	if got := p.text("#collection-paid"); got != "0 / 3 户" {
		t.Errorf("paid households before: %q", got)
	}
	p.accessible()
	p.do(chromedp.SetAttributeValue(css(`#contribution details`), "open", ""), chromedp.SetValue(css(`#f-contribution-householdId`), e.Households[0].Id))
	p.fill("contribution.amountFen", "1,084.005")
	p.follow(`#contribution form button[type=submit]`)
	if got := p.text("#f-contribution-amountFen-error"); got != "金额最多两位小数（到分）" {
		t.Errorf("error beside the amount: %q", got)
	}
	if d := eval[string](p, `document.querySelector("#f-contribution-amountFen").getAttribute("aria-describedby")`); d != "f-contribution-amountFen-error" {
		t.Errorf("the amount's error is not tied to it: %q", d)
	}
	p.accessible()

	// The same with scripts off: a plain POST, the page sent back (422), then a 303.
	b := s.openNoScript(phone)
	projectsAccount(s, "projects.grid", auth.CommunityStaff, "regions/"+e.Community, "刘网格")
	b.signIn("projects.grid", testPassword)
	b.visit(money)
	open := chromedp.SetAttributeValue(css(`#contribution details`), "open", "")
	b.do(open, chromedp.SetValue(css(`#f-contribution-householdId`), e.Households[1].Id), chromedp.SetValue(css(`#f-contribution-method`), "WECHAT"))
	b.fill("contribution.amountFen", "1,084.5.0")
	b.follow(`#contribution form button[type=submit]`)
	if got := b.text("#f-contribution-amountFen-error"); !strings.Contains(got, "金额格式不对") {
		t.Errorf("error beside the amount without scripts: %q", got)
	}
	requestID := eval[string](b, `document.querySelector("#contribution input[name=requestId]").value`)

	b.fill("contribution.amountFen", "1,084.00")
	b.follow(`#contribution form button[type=submit]`)
	if loc := b.location(); !strings.HasPrefix(loc, money+"?done=money.contribution") {
		t.Errorf("after booking: at %s", loc)
	}
	if got := b.text("#collection-paid"); got != "1 / 3 户" {
		t.Errorf("paid households after: %q", got)
	}
	if got := b.text("#fund-balance"); got != "¥1,084.00" {
		t.Errorf("fund balance after: %q", got)
	}
	if got := b.text("#entries tbody"); !strings.Contains(got, "居民出资") || !strings.Contains(got, "102") || !strings.Contains(got, "accounts/") {
		t.Errorf("book entries: %q", got)
	}
	if got := b.text("#collection tbody"); !strings.Contains(got, "已缴清") {
		t.Errorf("collection list: %q", got)
	}

	// The same form sent again (a double submit) is the same request (rule 7).
	fc := financepb.NewFinanceServiceClient(s.conn)
	again, err := fc.CreateContribution(s.district(), &financepb.CreateContributionRequest{ProjectId: r.Project.Id, Contribution: &financepb.Contribution{
		HouseholdId: e.Households[1].Id, AmountFen: projectsQuotaFen, Method: financepb.Contribution_WECHAT, RequestId: requestID}})
	if err != nil {
		t.Fatalf("the same contribution again: %v", err)
	}
	if got := testkit.Must[*financepb.Collection](t)(fc.GetCollection(s.district(), &financepb.GetCollectionRequest{ProjectId: r.Project.Id})).CollectedFen; got != projectsQuotaFen || again.AmountFen != projectsQuotaFen {
		t.Errorf("sent twice, collected %d fen; want %d once", got, projectsQuotaFen)
	}

	d := s.signedIn(desktop, "projects.money.desk", auth.SubdistrictStaff, "regions/"+e.Subdistrict, "李娟")
	d.visit(money)
	// A receipt from the government, amounts typed with separators.
	d.do(chromedp.SetAttributeValue(css(`#receipt details`), "open", ""), chromedp.SetValue(css(`#f-receipt-funder`), "GOVERNMENT|区住建局"))
	d.fill("receipt.amountFen", "20,000.50")
	d.fill("receipt.memo", "第一批市级补助")
	d.follow(`#receipt form button[type=submit]`)
	if got := d.text("#receipts tbody"); !strings.Contains(got, "区住建局") || !strings.Contains(got, "¥20,000.50") {
		t.Errorf("receipts: %q", got)
	}
	if got := d.text("#fund-balance"); got != "¥21,084.50" {
		t.Errorf("fund balance after the receipt: %q", got)
	}

	d.accessible()
}

// projectsAccount makes a staff account that a browser of the test's own signs in to
// (one with scripts off, say).
func projectsAccount(s *site, login string, role auth.Role, scope, name string) {
	s.t.Helper()
	s.addAccount(governance.NewAccount{Login: login, DisplayName: name, Role: role, Scope: scope, Password: testPassword})
}

// Contracts and payments on screen (rules 7, 9): on an approved project with money
// received, the officer enters a contract and pays under it; beyond 97% of the contract
// before acceptance the payment is refused with its reason, within it it is booked and
// the retention shows as held.
func TestProjectsContractsAndPayments(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1990, 62.5, 48.0)
	r := projectsFixture(s, e)
	pid := r.Project.Id
	projectsCloseVote(s, r)
	ctx := s.district()
	testkit.Must[*projectspb.Notice](t)(projectspb.NewProjectsServiceClient(s.conn).CreateNotice(ctx, &projectspb.CreateNoticeRequest{Notice: &projectspb.Notice{
		CompoundId: e.Compound.Id, Kind: projectspb.Notice_PLAN, SubjectId: pid, OpensAt: timestamppb.New(time.Now().AddDate(0, 0, -8))}}))
	testkit.Must[*projectspb.Project](t)(projectspb.NewProjectsServiceClient(s.conn).ApproveProject(ctx, &projectspb.ApproveProjectRequest{Id: pid, Actor: "东川区住房和城乡建设局"}))
	testkit.Must[*financepb.Receipt](t)(financepb.NewFinanceServiceClient(s.conn).CreateReceipt(ctx, &financepb.CreateReceiptRequest{ProjectId: pid,
		Receipt: &financepb.Receipt{Party: financepb.FundingSource_GOVERNMENT, Funder: "区住建局", AmountFen: 4_000_000, RequestId: "receipt-bureau"}}))

	b := s.signedIn(desktop, "projects.payer", auth.SubdistrictStaff, "regions/"+e.Subdistrict, "王科长")
	b.visit("/projects/" + pid)
	b.do(chromedp.SetAttributeValue(css(`#contracts details`), "open", ""))
	b.fill("contract.payee", "东川建工集团")
	b.fill("contract.amountFen", "10,000")
	b.do(chromedp.Click(css(`#f-contract-item-` + r.Items[projectspb.WorkItem_DRAIN_PIPE].Id)))
	b.follow(`#contracts form[action$="/contracts"] button[type=submit]`)
	if got := b.text("#contracts tbody"); !strings.Contains(got, "东川建工集团") || !strings.Contains(got, "¥10,000.00") || !strings.Contains(got, "下水管道") {
		t.Fatalf("contracts after entering one: %q", got)
	}

	pay := func(amount string) {
		b.do(chromedp.SetAttributeValue(css(`#contracts details:last-of-type`), "open", ""))
		b.do(chromedp.SetValue(css(`#f-disbursement-contractId`), eval[string](b, `document.querySelector("#f-disbursement-contractId option:nth-child(2)").value`)))
		b.fill("disbursement.amountFen", amount)
		b.fill("disbursement.purpose", "管网工程进度款")
		b.follow(`#contracts form[action$="/disbursements"] button[type=submit]`)
	}
	pay("9,800")
	if got := b.text("#contracts .form-error"); !strings.Contains(got, "97%") {
		t.Errorf("paying beyond 97%% before acceptance: %q", got)
	}
	b.accessible()
	pay("9,700")
	if got := b.text("#contracts tbody"); !strings.Contains(got, "¥9,700.00") || !strings.Contains(got, "¥300.00") {
		t.Errorf("contract after paying 97%%: %q", got)
	}
	b.visit("/projects/" + pid + "/money")
	if got := b.text("#fund-balance"); got != "¥30,300.00" {
		t.Errorf("fund after the payment: %q", got)
	}
	if got := b.text("#entries tbody"); !strings.Contains(got, "付款") || !strings.Contains(got, "东川建工集团") || !strings.Contains(got, "-¥9,700.00") {
		t.Errorf("book entries: %q", got)
	}
}
