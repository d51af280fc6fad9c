package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// The Shiyang Road No. 21 story's main steps on screen, each by the person who takes it
// in the article's telling (issue 18): a grid worker enters the last household's vote
// door to door on a phone while the community clerk watches the tally reach it and
// closes the vote (rule 3); the sub-district approves the project (rule 6); a household's
// contribution is recorded (rules 7, 8); after the works (set up by the services' own
// API) the parties sign off, the supervisor last, and the page shows the acceptance.
func TestShiyangRoadOnScreen(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1986, 62.5, 48.0, 75.2, 55.0)
	// The project, its plan and the owners' vote, with three of the four households'
	// votes in; the fourth is collected at the door below.
	voted := e
	voted.Households = e.Households[:3]
	r := projectsFixture(s, voted)
	last := e.Households[3]
	pid, sid := r.Project.Id, r.Resolution.Id

	clerk := s.signedIn(desktop, "story.clerk", auth.CommunityStaff, "regions/"+e.Community, "施继蓉")
	clerk.visit("/surveys/" + sid)
	if n := clerk.text("[data-surveys-responded]"); n != "3" {
		t.Fatalf("the tally before the door-to-door visit: %q responded", n)
	}

	grid := s.signedIn(phone, "story.grid", auth.GridWorker, "compounds/"+e.Compound.Id, "陆海娟")
	grid.visit("/surveys/" + sid + "/doors")
	grid.do(chromedp.SetValue(css(`#f-response-householdId`), last.Id), chromedp.Click(css(surveysAnswerAt(0, 0))))
	grid.follow(`form[data-surveys-doors] button[type=submit]`)
	if n := grid.text(".notice"); !strings.Contains(n, "答卷已提交") {
		t.Fatalf("the door-to-door vote: notice %q at %s", n, grid.location())
	}
	grid.accessible()

	// The clerk's tally moves by itself to all four households, then the vote is closed.
	surveysWait(clerk, `document.querySelector("[data-surveys-responded]").textContent.trim() === "4"`, 12*time.Second)
	clerk.accessible()
	clerk.follow(`form[action="/surveys/` + sid + `/close"] button`)
	sv := testkit.Must[*surveypb.Survey](t)(surveypb.NewSurveyServiceClient(s.conn).GetSurvey(s.district(), &surveypb.GetSurveyRequest{Id: sid}))
	if sv.GetState() != surveypb.Survey_CLOSED {
		t.Fatalf("after closing on screen the vote is %s", sv.GetState())
	}

	// The sub-district approves, and records a household's contribution.
	officer := s.signedIn(desktop, "story.officer", auth.SubdistrictStaff, "regions/"+e.Subdistrict, "李娟")
	postPlanOnScreen(t, officer, pid)
	officer.follow(`#do-approve`)
	if st := officer.text("#project-status"); st != "已批准" {
		t.Fatalf("approved on screen, the project is %q: %s", st, officer.text("#lifecycle"))
	}
	officer.visit("/projects/" + pid + "/money")
	officer.do(chromedp.SetAttributeValue(css(`#contribution details`), "open", ""), chromedp.SetValue(css(`#f-contribution-householdId`), last.Id))
	officer.fill("contribution.amountFen", "1,084.00")
	officer.follow(`#contribution form button[type=submit]`)
	if got := officer.text("#collection-paid"); got != "1 / 4 户" {
		t.Fatalf("after recording the payment: paid %q", got)
	}
	officer.accessible()

	// The works (by the services' API): construction, every item done, acceptance asked
	// for, the residents' acceptance survey answered and closed.
	ctx, pc, sc := s.district(), projectspb.NewProjectsServiceClient(s.conn), surveypb.NewSurveyServiceClient(s.conn)
	mustProject := testkit.Must[*projectspb.Project](t)
	mustProject(pc.StartConstruction(ctx, &projectspb.StartConstructionRequest{Id: pid}))
	for _, it := range r.Items {
		testkit.Must[*projectspb.ProgressReport](t)(pc.CreateProgressReport(ctx, &projectspb.CreateProgressReportRequest{ProjectId: pid,
			ProgressReport: &projectspb.ProgressReport{ItemId: it.Id, ProgressPercent: 100, Contractor: "东川建工", Remarks: "完工"}}))
	}
	mustProject(pc.RequestAcceptance(ctx, &projectspb.RequestAcceptanceRequest{Id: pid}))
	mustSurvey := testkit.Must[*surveypb.Survey](t)
	acc := mustSurvey(sc.CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: e.Compound.Id, ProjectId: pid, Title: "石羊路21号院改造民意验收", Kind: surveypb.Survey_ACCEPTANCE,
		Questions: []*surveypb.Question{{Id: "verdict", Text: "您对改造效果是否满意？", Type: surveypb.Question_SINGLE_CHOICE,
			Options: []*surveypb.QuestionOption{{Id: "satisfied", Text: "满意"}, {Id: "unsatisfied", Text: "不满意"}}}}}}))
	mustSurvey(sc.OpenSurvey(ctx, &surveypb.OpenSurveyRequest{Id: acc.Id}))
	var verdicts []*surveypb.Response
	for _, h := range e.Households {
		verdicts = append(verdicts, &surveypb.Response{HouseholdId: h.Id, Channel: surveypb.Response_DOOR_TO_DOOR,
			Answers: []*surveypb.Answer{{QuestionId: "verdict", OptionIds: []string{"satisfied"}}}})
	}
	testkit.Must[*surveypb.BatchSubmitResponsesResponse](t)(sc.BatchSubmitResponses(ctx, &surveypb.BatchSubmitResponsesRequest{SurveyId: acc.Id, Responses: verdicts}))
	mustSurvey(sc.CloseSurvey(ctx, &surveypb.CloseSurveyRequest{Id: acc.Id}))

	// The parties sign off on screen, each in their own browser; the supervisor last,
	// whose sign-off completes the conditions and accepts the works.
	sign := func(b *browser, role, signer string) {
		t.Helper()
		b.visit("/projects/" + pid)
		b.do(chromedp.SetAttributeValue(css(`#acceptance details`), "open", ""),
			chromedp.SetValue(css(`#f-signoff-role`), role), chromedp.SetValue(css(`#f-signoff-verdict`), "PASS"))
		b.fill("signoff.signer", signer)
		b.follow(`#acceptance form button[type=submit]`)
		if loc := b.location(); !strings.Contains(loc, "done=projects.signoff") {
			t.Fatalf("%s's sign-off: at %s: %s", role, loc, b.text("#acceptance"))
		}
	}
	sign(clerk, "COMMUNITY", "沙坝社区居委会")
	sign(officer, "BUILDER", "铜都街道办事处")
	sign(s.signedIn(phone, "story.contractor", auth.Contractor, "projects/"+pid, "东川建工"), "CONTRACTOR", "东川建工")
	supervisor := s.signedIn(desktop, "story.supervisor", auth.Supervisor, "projects/"+pid, "监理 王工")
	sign(supervisor, "SUPERVISOR", "云南监理公司")

	if st := supervisor.text("#project-status"); st != "已验收" {
		t.Fatalf("after the last sign-off the project is %q: %s", st, supervisor.text("#acceptance"))
	}
	if got := supervisor.text("#acceptance"); strings.Contains(got, "✗") || !strings.Contains(got, "监理单位签字合格") {
		t.Errorf("the acceptance checklist: %q", got)
	}
	supervisor.accessible()
}
