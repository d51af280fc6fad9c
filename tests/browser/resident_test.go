package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// residentNeeds opens a needs survey (rule 4) on e's compound: whether the household
// wants the renovation, and what it wants most.
func residentNeeds(s *site, e estate) *surveypb.Survey {
	s.t.Helper()
	ctx, sc := s.district(), surveypb.NewSurveyServiceClient(s.conn)
	must := testkit.Must[*surveypb.Survey](s.t)
	sv := must(sc.CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: e.Compound.Id, Title: e.Compound.Name + "改造需求调查", Kind: surveypb.Survey_NEEDS,
		Questions: []*surveypb.Question{
			{Id: "wants", Text: "您是否愿意本小区实施改造？", Type: surveypb.Question_SINGLE_CHOICE, Options: []*surveypb.QuestionOption{
				{Id: "yes", Text: "愿意"}, {Id: "no", Text: "不愿意"}}},
			{Id: "items", Text: "您最希望改造的内容", Type: surveypb.Question_MULTI_CHOICE, Options: []*surveypb.QuestionOption{
				{Id: "pipes", Text: "下水管道"}, {Id: "roads", Text: "道路"}, {Id: "lights", Text: "楼道照明"}}},
		}}}))
	return must(sc.OpenSurvey(ctx, &surveypb.OpenSurveyRequest{Id: sv.Id}))
}

// residentSignIn signs a household in on a new browser of size with a code issued for
// it by gRPC (the printed sheet's way is TestResidentAnswersAndVotes's).
func residentSignIn(s *site, size [2]int64, household string) *browser {
	s.t.Helper()
	code := testkit.Must[*governancepb.AccessCode](s.t)(governancepb.NewAccountServiceClient(s.conn).IssueAccessCode(s.district(),
		&governancepb.IssueAccessCodeRequest{HouseholdId: household})).Code
	return residentWithCode(s, size, code)
}

func residentWithCode(s *site, size [2]int64, code string) *browser {
	s.t.Helper()
	b := s.open(size)
	b.visit("/signin?as=resident")
	b.do(chromedp.SendKeys(css("#f-accessCode"), code))
	b.follow(`form:has(#f-accessCode) button[type=submit]`)
	if loc := b.location(); loc != "/r/" {
		s.t.Fatalf("the resident signed in and is at %s", loc)
	}
	return b
}

// residentApproved closes the fixture's vote, posts the plan's notice (its period over)
// and approves the project: residents supervise the works from approval on.
func residentApproved(s *site, r projectsReady) {
	s.t.Helper()
	projectsCloseVote(s, r)
	ctx, pc := s.district(), projectspb.NewProjectsServiceClient(s.conn)
	testkit.Must[*projectspb.Notice](s.t)(pc.CreateNotice(ctx, &projectspb.CreateNoticeRequest{Notice: &projectspb.Notice{
		CompoundId: r.Estate.Compound.Id, Kind: projectspb.Notice_PLAN, SubjectId: r.Project.Id, OpensAt: timestamppb.New(time.Now().AddDate(0, 0, -8))}}))
	testkit.Must[*projectspb.Project](s.t)(pc.ApproveProject(ctx, &projectspb.ApproveProjectRequest{Id: r.Project.Id, Actor: "东川区住房和城乡建设局"}))
}

// The issue's "done when": a community clerk prints the compound's door-code sheet; the
// household of room 104 signs in on a phone with its slip's code and lands on its own
// page; it votes on the renovation resolution and answers the needs survey, and the
// clerk's tally pages move with each (rule 2); it changes its vote while the vote is
// open, and the tally follows the new answer, not both. Every resident page passes axe
// at phone width.
func TestResidentAnswersAndVotes(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1986, 62.5, 48.0, 75.2, 55.0)
	voted := e
	voted.Households = e.Households[:3]
	r := projectsFixture(s, voted)
	needs := residentNeeds(s, e)
	vote := r.Resolution.Id

	clerk := s.signedIn(desktop, "resident.clerk", auth.CommunityStaff, "regions/"+e.Community, "施继蓉")
	clerk.visit("/compounds/" + e.Compound.Id + "/codes")
	clerk.follow(`form[action$="/codes"] button[type=submit]`)
	if door := clerk.text(".cmp-slip:nth-child(4) .cmp-door"); door != "1号楼 1单元 104室" {
		t.Fatalf("the fourth slip is for %q", door)
	}
	code := clerk.text(".cmp-slip:nth-child(4) .cmp-code")

	clerk.visit("/surveys/" + vote)
	if n := clerk.text("[data-surveys-responded]"); n != "3" {
		t.Fatalf("the vote's tally before the resident: %q responded", n)
	}

	start := time.Now()
	b := residentWithCode(s, phone, code)
	if got := b.text("#res-door"); !strings.Contains(got, "石羊路21号院") || !strings.Contains(got, "1号楼 1单元 104室") {
		t.Fatalf("the household's door: %q", got)
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("#res-cards h2")].map(h => h.textContent.trim())`); strings.Join(got, ",") != "调查与表决,我家出资,金点子,改造进度,吹哨反映,小区公示" {
		t.Errorf("home cards %q", got)
	}
	b.accessible()
	b.screenshot("home")

	b.follow(`#res-cards a[href="/r/surveys"]`)
	if got := b.text(`#res-surveys [data-survey="` + vote + `"]`); !strings.Contains(got, "业主表决") || !strings.Contains(got, "未作答") {
		t.Errorf("the vote's card before voting: %q", got)
	}
	b.accessible()

	// The vote: agree.
	b.follow(`#res-surveys [data-survey="` + vote + `"] a`)
	if got := b.text("main button[type=submit]"); got != "投票" {
		t.Errorf("the vote's button says %q", got)
	}
	b.accessible()
	b.do(chromedp.Click(css(`[id="f-response-answers[0]-0"]`)))
	b.follow(`#res-answer button[type=submit]`)
	if n := b.text(".notice"); !strings.Contains(n, "您的答案已提交") {
		t.Fatalf("after voting: notice %q at %s", n, b.location())
	}
	if got := b.text("#res-current"); !strings.Contains(got, "同意") {
		t.Fatalf("the household's vote shown: %q", got)
	}
	if !eval[bool](b, `document.querySelector('[id="f-response-answers[0]-0"]').checked`) || b.text("main button[type=submit]") != "修改投票" {
		t.Errorf("the form does not hold the vote given")
	}
	b.accessible()

	clerk.visit("/surveys/" + vote)
	if n, agree := clerk.text("[data-surveys-responded]"), clerk.text("[data-surveys-agree]"); n != "4" || agree != "4" {
		t.Fatalf("the clerk's tally after the resident's vote: %s responded, %s agree", n, agree)
	}

	// A change of mind while the vote is open replaces the vote (rule 2).
	b.do(chromedp.Click(css(`[id="f-response-answers[0]-1"]`)))
	b.follow(`#res-answer button[type=submit]`)
	if got := b.text("#res-current"); !strings.Contains(got, "不同意") {
		t.Fatalf("the changed vote shown: %q", got)
	}
	clerk.visit("/surveys/" + vote)
	if n, agree := clerk.text("[data-surveys-responded]"), clerk.text("[data-surveys-agree]"); n != "4" || agree != "3" {
		t.Fatalf("the clerk's tally after the change: %s responded, %s agree", n, agree)
	}
	res := testkit.Must[*surveypb.ResolutionResult](t)(surveypb.NewSurveyServiceClient(s.conn).GetResolutionResult(s.district(), &surveypb.GetResolutionResultRequest{SurveyId: vote}))
	if res.AgreeHouseholds != 3 || res.DisagreeHouseholds != 1 || res.VotedHouseholds != 4 {
		t.Fatalf("the service's result: %v", res)
	}

	// The needs survey: the first and a multiple choice.
	clerk.visit("/surveys/" + needs.Id)
	if n := clerk.text("[data-surveys-responded]"); n != "0" {
		t.Fatalf("the needs survey before the resident: %q responded", n)
	}
	b.visit("/r/surveys/" + needs.Id)
	if got := b.text("main button[type=submit]"); got != "提交答卷" {
		t.Errorf("the survey's button says %q", got)
	}
	b.do(chromedp.Click(css(`[id="f-response-answers[0]-0"]`)), chromedp.Click(css(`[id="f-response-answers[1]-0"]`)), chromedp.Click(css(`[id="f-response-answers[1]-2"]`)))
	b.follow(`#res-answer button[type=submit]`)
	if got := b.text("#res-current"); !strings.Contains(got, "愿意") {
		t.Fatalf("the household's answer shown: %q", got)
	}
	clerk.visit("/surveys/" + needs.Id)
	if n := clerk.text("[data-surveys-responded]"); n != "1" {
		t.Fatalf("the needs survey's tally after the resident: %q responded", n)
	}
	st := surveysStats(s, needs.Id)
	if st.RespondedHouseholds != 1 || st.WillingHouseholds != 1 || st.Questions[1].Answered != 1 {
		t.Fatalf("the needs survey's statistics: %v", st)
	}
	x := testkit.Must[*surveypb.Response](t)(surveypb.NewSurveyServiceClient(s.conn).GetResponse(s.district(), &surveypb.GetResponseRequest{SurveyId: needs.Id, HouseholdId: e.Households[3].Id}))
	if x.Channel != surveypb.Response_ONLINE || x.Account != "households/"+e.Households[3].Id {
		t.Errorf("the resident's response: channel %s, account %q", x.Channel, x.Account)
	}

	b.visit("/r/surveys")
	for _, id := range []string{vote, needs.Id} {
		if got := b.text(`#res-surveys [data-survey="` + id + `"] .res-answered`); !strings.Contains(got, "已作答") {
			t.Errorf("survey %s's card after answering: %q", id, got)
		}
	}
	t.Logf("the resident signed in, voted twice and answered in %s", time.Since(start).Round(time.Millisecond))
}

// The other resident pages on a phone: the household's quota and payment (rule 8), the
// golden ideas (propose; endorse a neighbour's, counted once), the works with their
// order and a supervision report; the staff console sends a resident back to their own
// pages, and no page shows another household's people. Every page passes axe.
func TestResidentPagesOnPhone(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1986, 62.5, 48.0, 75.2)
	ctx := s.district()
	// A neighbour with a name and a telephone number on record (personal data, rule 13).
	neighbour := testkit.Must[*governancepb.Household](t)(s.gov().CreateHousehold(ctx, &governancepb.CreateHouseholdRequest{CompoundId: e.Compound.Id,
		Household: &governancepb.Household{BuildingId: e.Building, Unit: "2", Room: "201", ExclusiveAreaM2: 66, ResidentName: "张秀英", Phone: "13987654321"}}))
	e.Households = append(e.Households, neighbour)
	r := projectsFixture(s, e)
	residentApproved(s, r)
	own := e.Households[2]
	testkit.Must[*financepb.Contribution](t)(financepb.NewFinanceServiceClient(s.conn).CreateContribution(ctx, &financepb.CreateContributionRequest{ProjectId: r.Project.Id,
		Contribution: &financepb.Contribution{HouseholdId: own.Id, AmountFen: 50_000, Method: financepb.Contribution_WECHAT, RequestId: "resident-pay-1"}}))
	idea := testkit.Must[*surveypb.Idea](t)(surveypb.NewSurveyServiceClient(s.conn).CreateIdea(ctx, &surveypb.CreateIdeaRequest{Idea: &surveypb.Idea{
		CompoundId: e.Compound.Id, HouseholdId: neighbour.Id, Text: "在院坝里装几盏太阳能路灯", Category: "照明"}}))

	b := residentSignIn(s, phone, own.Id)
	b.accessible()

	// Rule 8: the household's own line.
	b.visit("/r/money")
	card := `#res-quotas [data-project="` + r.Project.Id + `"]`
	if q, p, d := b.text(card+" .res-quota"), b.text(card+" .res-paid"), b.text(card+" .res-due"); q != "¥1,084.00" || p != "¥500.00" || d != "¥584.00" {
		t.Errorf("quota %s, paid %s, due %s", q, p, d)
	}
	if got := b.text(card); !strings.Contains(got, "部分缴纳") {
		t.Errorf("the quota's card: %q", got)
	}
	b.accessible()

	// Golden ideas: endorse the neighbour's, then propose one.
	b.visit("/r/ideas")
	if got := b.text("#idea-" + idea.Id + " .res-endorsements"); got != "0 户附议" {
		t.Errorf("before endorsing: %q", got)
	}
	b.accessible()
	b.follow("#idea-" + idea.Id + " form button")
	if got := b.text("#idea-" + idea.Id + " .res-endorsements"); got != "1 户附议" {
		t.Errorf("after endorsing: %q", got)
	}
	b.do(chromedp.SendKeys(css("#f-idea-text"), "把3号楼旁的空地改成儿童游乐场"))
	b.fill("idea.category", "公共空间")
	b.follow(`form[action="/r/ideas"] button[type=submit]`)
	if n := b.text(".notice"); !strings.Contains(n, "金点子已提交") {
		t.Fatalf("after proposing: %q at %s", n, b.location())
	}
	if got := b.text("#res-ideas"); !strings.Contains(got, "儿童游乐场") || !strings.Contains(got, "我家提出") {
		t.Errorf("the ideas after proposing: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("#res-ideas .res-endorse").length`); n != 1 {
		t.Errorf("%d endorse buttons; the household's own idea has none", n)
	}
	b.accessible()

	// The works: order (rule 5) and a supervision report.
	b.visit("/r/projects")
	b.accessible()
	b.follow(`#res-projects a`)
	if got := b.text("#res-schedule ol"); !strings.Contains(got, "下水管道") || strings.Index(got, "下水管道") > strings.Index(got, "道路修缮") {
		t.Errorf("order of works: %q", got)
	}
	b.accessible()
	b.do(chromedp.SetValue(css(`#f-supervisionReport-itemId`), r.Items[projectspb.WorkItem_DRAIN_PIPE].Id))
	b.do(chromedp.SendKeys(css("#f-supervisionReport-text"), "3号楼下水管道施工后路面没有恢复"))
	b.follow(`#res-supervise button[type=submit]`)
	if got := b.text("#res-supervision"); !strings.Contains(got, "路面没有恢复") || !strings.Contains(got, "我家提交") || !strings.Contains(got, "下水管道") {
		t.Errorf("the supervision reports: %q", got)
	}
	reps := testkit.Must[*projectspb.ListSupervisionReportsResponse](t)(projectspb.NewProjectsServiceClient(s.conn).ListSupervisionReports(ctx,
		&projectspb.ListSupervisionReportsRequest{ProjectId: r.Project.Id}))
	if len(reps.SupervisionReports) != 1 || reps.SupervisionReports[0].HouseholdId != own.Id {
		t.Errorf("the service's supervision reports: %v", reps.SupervisionReports)
	}
	b.accessible()

	// No page named the neighbour's people.
	for _, path := range []string{"/r/", "/r/surveys", "/r/money", "/r/ideas", "/r/projects", "/r/projects/" + r.Project.Id} {
		b.visit(path)
		if body := b.text("body"); strings.Contains(body, "张秀英") || strings.Contains(body, "13987654321") || strings.Contains(body, neighbour.Id) {
			t.Errorf("%s shows the neighbour: %q", path, body)
		}
	}

	// The staff console is not the resident's: its pages send them home.
	for _, path := range []string{"/", "/compounds/" + e.Compound.Id, "/surveys/" + r.Resolution.Id} {
		b.visit(path)
		if loc := b.location(); loc != "/r/" {
			t.Errorf("a resident asking for %s is at %s", path, loc)
		}
	}
	if got := eval[[]string](b, `[...document.querySelectorAll(".top nav a")].map(a => a.getAttribute("href"))`); strings.Join(got, " ") != "/r/ /r/surveys /r/money /r/ideas /r/projects /r/whistles /r/notices" {
		t.Errorf("the resident's navigation: %q", got)
	}
}

// The resident's forms with scripts off: an empty supervision report is refused with the
// error beside its field, and an answer to a vote goes through as a plain POST.
func TestResidentFormsWithoutScripts(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1986, 62.5, 48.0, 75.2, 55.0)
	voted := e
	voted.Households = e.Households[:3]
	r := projectsFixture(s, voted)
	residentApproved(s, r)
	vote := surveysResolution(s, e, "石羊路21号院加装电梯业主表决")
	code := testkit.Must[*governancepb.AccessCode](t)(governancepb.NewAccountServiceClient(s.conn).IssueAccessCode(s.district(),
		&governancepb.IssueAccessCodeRequest{HouseholdId: e.Households[3].Id})).Code

	b := s.openNoScript(phone)
	b.visit("/signin?as=resident")
	b.do(chromedp.SendKeys(css("#f-accessCode"), code))
	b.follow(`form:has(#f-accessCode) button[type=submit]`)
	if loc := b.location(); loc != "/r/" {
		t.Fatalf("signed in without scripts, at %s", loc)
	}

	b.visit("/r/projects/" + r.Project.Id)
	b.follow(`#res-supervise button[type=submit]`)
	if got := b.text(`#f-supervisionReport-text-error`); got != "请写下您看到的情况" {
		t.Fatalf("the empty report's error: %q at %s", got, b.location())
	}
	if inv := eval[string](b, `document.querySelector("#f-supervisionReport-text").getAttribute("aria-invalid")`); inv != "true" {
		t.Errorf("the field is not marked invalid: %q", inv)
	}
	b.do(chromedp.SendKeys(css("#f-supervisionReport-text"), "夜间施工噪音较大"))
	b.follow(`#res-supervise button[type=submit]`)
	if got := b.text("#res-supervision"); !strings.Contains(got, "夜间施工噪音较大") {
		t.Fatalf("the report after sending: %q", got)
	}

	b.visit("/r/surveys/" + vote.Id)
	b.follow(`#res-answer button[type=submit]`)
	if got := b.text(`[id="f-response-answers[0]-error"]`); got == "" {
		t.Fatalf("a vote sent without a choice has no error beside it (at %s)", b.location())
	}
	b.do(chromedp.Click(css(`[id="f-response-answers[0]-2"]`)))
	b.follow(`#res-answer button[type=submit]`)
	if got := b.text("#res-current"); !strings.Contains(got, "弃权") {
		t.Fatalf("the abstention shown: %q", got)
	}
	if st := surveysStats(s, vote.Id); st.RespondedHouseholds != 1 {
		t.Fatalf("the vote's statistics: %v", st)
	}
}
