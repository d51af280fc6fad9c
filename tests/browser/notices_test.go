package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
)

// postPlanOnScreen posts a project's plan on its compound's board from the project page
// (rule 14), as put up on paper eight days ago, so its week is over; the notice's page
// shows it public and printable, then the project page is shown again.
func postPlanOnScreen(t *testing.T, b *browser, pid string) {
	t.Helper()
	b.visit("/projects/" + pid)
	// A date input takes its value set, not typed (typing follows the browser's locale).
	b.do(chromedp.SetValue(css("#"+fieldID("notice.opensAt")), time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -8).Format(time.DateOnly)))
	b.follow(`#post-plan`)
	if !strings.Contains(b.location(), "/notices/") {
		t.Fatalf("posting the plan went to %s: %s", b.location(), b.text("main"))
	}
	if got := b.text("main"); !strings.Contains(got, "公示期满") || !strings.Contains(got, "改造方案公示") {
		t.Errorf("the posted plan's page: %q", got)
	}
	b.accessible()
	b.visit("/projects/" + pid)
}

// The notice board on screen (rule 14): the community posts the plan from the project
// page; a resident, signed in with the household's code on a phone, objects on the
// notice (an empty objection is told beside its field); the public page shows the
// objection without the household; staff answer it there; approval is refused while the
// period runs, saying so.
func TestNoticeObjectionOnScreen(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1990, 62.5, 48.0)
	r := projectsFixture(s, e)
	pid := r.Project.Id

	clerk := s.signedIn(desktop, "notices.clerk", auth.SubdistrictStaff, "regions/"+e.Subdistrict, "张敏")
	clerk.visit("/projects/" + pid)
	clerk.follow(`#post-plan`)
	nid, ok := strings.CutPrefix(strings.SplitN(clerk.location(), "?", 2)[0], "/notices/")
	if !ok {
		t.Fatalf("posting the plan went to %s", clerk.location())
	}
	if got := clerk.text("main"); !strings.Contains(got, "公示中") || !strings.Contains(got, "每户分摊") || !strings.Contains(got, "¥1,084.00") {
		t.Errorf("the plan just posted: %q", got)
	}
	clerk.accessible()

	resident := residentSignIn(s, phone, e.Households[0].Id)
	resident.visit("/r/notices")
	resident.follow(`a[href="/notices/` + nid + `"]`)
	resident.follow(`#object button[type=submit]`)
	if got := resident.text("#f-objection-text-error"); got == "" {
		t.Errorf("an empty objection is not told beside its field: %q", resident.text("main"))
	}
	resident.do(chromedp.SetValue(css("#"+fieldID("objection.text")), "充电桩离1单元太近，请再考虑"))
	resident.follow(`#object button[type=submit]`)
	if got := resident.text("#objections"); !strings.Contains(got, "充电桩离1单元太近") || !strings.Contains(got, "待社区答复") {
		t.Errorf("after objecting, the notice shows %q", got)
	}
	resident.accessible()

	public := s.open(desktop)
	public.visit("/notices/" + nid)
	if got := public.text("main"); !strings.Contains(got, "充电桩离1单元太近") || strings.Contains(got, e.Households[0].Id) {
		t.Errorf("the public notice: %q", got)
	}

	clerk.visit("/notices/" + nid)
	clerk.do(chromedp.SetValue(css("#"+fieldID("answer")), "已与施工单位核实，充电桩移至3单元北侧"))
	clerk.follow(`#objections form button[type=submit]`)
	if got := clerk.text("#objections"); !strings.Contains(got, "已与施工单位核实") || strings.Contains(got, "待社区答复") {
		t.Errorf("after answering, the notice shows %q", got)
	}

	projectsCloseVote(s, r)
	clerk.visit("/projects/" + pid)
	clerk.follow(`#do-approve`)
	if got := clerk.text("#lifecycle .form-error"); !strings.Contains(got, "公示期未满") {
		t.Errorf("approval during the period refused with %q", got)
	}
}

// A move entered after the fact on screen (rule 15): the day it happened is checked
// against the step before it — a day before the plan was drawn up is told beside the
// field, and the project does not move.
func TestProjectMoveDatedOnScreen(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1990, 62.5, 48.0)
	r := projectsFixture(s, e)
	pid := r.Project.Id
	projectsCloseVote(s, r)
	b := s.signedIn(desktop, "dated.approver", auth.SubdistrictStaff, "regions/"+e.Subdistrict, "王科长")
	postPlanOnScreen(t, b, pid)
	yesterday := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -2).Format(time.DateOnly)
	b.do(chromedp.SetAttributeValue(css(`form:has(#do-approve) details`), "open", ""), chromedp.SetValue(css("#"+fieldID("approve.effectiveTime")), yesterday))
	b.follow(`#do-approve`)
	if got := b.text("#" + fieldID("approve.effectiveTime") + "-error"); !strings.Contains(got, "before") {
		t.Errorf("a day before the plan was drawn up: error %q", got)
	}
	if st := b.text("#project-status"); st != "已申报" {
		t.Errorf("refused, the project is %q", st)
	}
	b.accessible()
}
