package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance"
)

// whistlesUrgentAck is the acknowledge limit of an URGENT whistle on the test site:
// short, so that a whistle becomes overdue while the test waits (rule 11's limits are
// configuration; the all-in-one's clock cannot be moved).
const whistlesUrgentAck = 2 * time.Second

// whistlesStartSite is startSite with short limits for URGENT whistles (NORMAL ones keep
// the rule's 24 h / 72 h).
func whistlesStartSite(t *testing.T) *site {
	t.Helper()
	return startSite(t, governance.ModuleWith(governance.Config{UrgentAcknowledge: whistlesUrgentAck, UrgentResolve: 2 * whistlesUrgentAck}))
}

// whistlesDepartments registers the departments the tests call.
func whistlesDepartments(s *site) {
	s.t.Helper()
	for _, d := range [][2]string{{"water", "供水公司"}, {"power", "供电局"}, {"housing", "房管所"}} {
		testkit.Must[*governancepb.Department](s.t)(s.gov().CreateDepartment(s.district(), &governancepb.CreateDepartmentRequest{
			Department: &governancepb.Department{Id: d[0], Name: d[1]}}))
	}
}

// whistlesRaise raises a whistle by gRPC as the district.
func whistlesRaise(s *site, compound, category, description string, priority governancepb.Whistle_Priority, depts ...string) *governancepb.Whistle {
	s.t.Helper()
	return testkit.Must[*governancepb.Whistle](s.t)(s.gov().CreateWhistle(s.district(), &governancepb.CreateWhistleRequest{Whistle: &governancepb.Whistle{
		CompoundId: compound, Category: category, Description: description, Priority: priority, DepartmentIds: depts}}))
}

// The board, a whistle and the departments' report on a desktop and a phone (rule 11):
// an URGENT whistle nobody acknowledged in time is marked overdue on the board, with its
// clock; the overdue filter keeps it alone; the whistle's page shows each department's
// part (who acknowledged, when, with what remarks); the departments' page has the
// chart's figures in a table, the late department's overdue count among them.
func TestWhistlesBoardOnScreen(t *testing.T) {
	s := whistlesStartSite(t)
	e := s.newEstate("石羊小区", 1992, 60, 72)
	whistlesDepartments(s)
	late := whistlesRaise(s, e.Compound.Id, "DRAINAGE", "3号楼化粪池外溢，需疏通", governancepb.Whistle_URGENT, "water")
	normal := whistlesRaise(s, e.Compound.Id, "ROAD", "小区主路坑洼，雨天积水", governancepb.Whistle_NORMAL, "water", "power")
	testkit.Must[*governancepb.Whistle](t)(s.gov().AcknowledgeWhistle(s.district(), &governancepb.AcknowledgeWhistleRequest{
		Id: normal.Id, DepartmentId: "power", Remarks: "已派抢修班组"}))
	time.Sleep(whistlesUrgentAck + 500*time.Millisecond)

	for i, size := range [][2]int64{desktop, phone} {
		b := s.signedIn(size, []string{"whistles.desk", "whistles.phone"}[i], auth.CommunityStaff, "regions/"+e.Community, "刘社区")
		b.visit("/whistles")
		if h := b.text("main h1"); h != "吹哨报到" {
			t.Fatalf("board heading %q", h)
		}
		row := `#whistles-table tr[data-whistle="` + late.Id + `"]`
		if got := b.text(row + " .whistles-state .badge.bad"); got != "超时" {
			t.Fatalf("overdue whistle's badge %q", got)
		}
		// The clock counts by rule 11's limits (the API gives no deadlines); with the test's
		// shorter limits it says overdue as the service does, without a duration.
		if got := b.text(row + " .whistles-clock"); !strings.Contains(got, "超时") {
			t.Fatalf("overdue whistle's clock %q", got)
		}
		other := `#whistles-table tr[data-whistle="` + normal.Id + `"]`
		if got := b.text(other + " .whistles-clock"); !strings.Contains(got, "剩余") {
			t.Fatalf("normal whistle's clock %q", got)
		}
		if got := b.text(other); !strings.Contains(got, "供水公司、供电局") || !strings.Contains(got, "道路") {
			t.Fatalf("normal whistle's row %q", got)
		}
		b.accessible()
		if size == desktop {
			// In English too, every word from the catalog.
			b.do(chromedp.Click(css(`a.lang`)), chromedp.WaitReady(css(`html[lang="en"]`)))
			if got := b.text(row + " .whistles-state"); !strings.Contains(got, "Overdue") || !strings.Contains(got, "Urgent") {
				t.Fatalf("in English: %q", got)
			}
			b.accessible()
			b.do(chromedp.Click(css(`a.lang`)), chromedp.WaitReady(css(`html[lang="zh-CN"]`)))
		}

		b.visit("/whistles?overdue=1")
		if n := eval[int](b, `document.querySelectorAll("#whistles-table tbody tr").length`); n != 1 {
			t.Fatalf("overdue filter: %d rows", n)
		}
		b.visit("/whistles?urgent=1&compoundId=" + e.Compound.Id)
		if n := eval[int](b, `document.querySelectorAll("#whistles-table tbody tr").length`); n != 1 {
			t.Fatalf("urgent filter: %d rows", n)
		}

		b.visit("/whistles/" + normal.Id)
		power := b.text(`#whistle-parts-table tr[data-department="power"] .whistles-ack`)
		if !strings.Contains(power, "按时") || !strings.Contains(power, "已派抢修班组") || !strings.Contains(power, "账号 test-district") {
			t.Fatalf("power's acknowledgement %q", power)
		}
		if water := b.text(`#whistle-parts-table tr[data-department="water"] .whistles-ack`); !strings.Contains(water, "剩余") {
			t.Fatalf("water's clock %q", water)
		}
		if n := eval[int](b, `document.querySelectorAll(".whistles-timeline li").length`); n != 2 {
			t.Fatalf("timeline: %d entries", n)
		}
		// Community staff neither acknowledge (departments do) nor close an open whistle.
		if n := eval[int](b, `document.querySelectorAll("main form[method=post]").length`); n != 0 {
			t.Fatalf("community staff get %d forms on an open whistle", n)
		}
		b.accessible()
	}

	for i, size := range [][2]int64{desktop, phone} {
		d := s.signedIn(size, []string{"whistles.district.desk", "whistles.district.phone"}[i], auth.DistrictAdmin, "", "张局")
		d.visit("/departments")
		water := d.text(`#departments-table tr[data-department="water"]`)
		if !strings.Contains(water, "供水公司") || !strings.Contains(water, "50.0%") {
			t.Fatalf("water's figures %q", water)
		}
		if got := d.text(`#departments-table tr[data-department="water"] .badge.bad`); got != "1" {
			t.Fatalf("water's overdue count %q", got)
		}
		if got := d.text(`#departments-table tr[data-department="power"]`); !strings.Contains(got, "100.0%") {
			t.Fatalf("power's figures %q", got)
		}
		if eval[string](d, `document.querySelector("[data-chart]").dataset.chart`) == "" {
			t.Fatal("no chart")
		}
		d.accessible()
	}
}

// Raising a whistle on screen with scripts off (a plain POST and redirect): a missing
// description is told beside its field and what was chosen stays; the department
// called acknowledges it on its own account, and the board shows it in hand; it
// resolves, and the community closes it with a rating, which a missing score refuses
// beside the score's field first.
func TestWhistlesRaiseAcknowledgeClose(t *testing.T) {
	s := whistlesStartSite(t)
	e := s.newEstate("铜都小区", 1988, 55)
	whistlesDepartments(s)
	s.addAccount(governance.NewAccount{Login: "whistles.clerk", DisplayName: "刘社区", Role: auth.CommunityStaff, Scope: "regions/" + e.Community, Password: testPassword})
	b := s.openNoScript(phone)
	b.signIn("whistles.clerk", testPassword)
	b.visit("/whistles")
	b.do(
		chromedp.SetValue(css(`#f-whistle-compoundId`), e.Compound.Id),
		chromedp.SetValue(css(`#f-whistle-category`), "WATER"),
		chromedp.Click(css(`#f-dept-water`)),
	)
	b.follow(`form[action="/whistles"][method=post] button[type=submit]`)
	if got := b.text(`#f-whistle-description-error`); got != "请描述问题" {
		t.Fatalf("missing description: %q", got)
	}
	if eval[string](b, `document.querySelector("#f-whistle-category").value`) != "WATER" || !eval[bool](b, `document.querySelector("#f-dept-water").checked`) {
		t.Fatal("the form forgot what was chosen")
	}
	// (b.fill clears first, which chromedp cannot do to an empty textarea.)
	b.do(chromedp.SendKeys(css(`#f-whistle-description`), "5号楼供水管爆裂，整栋停水"))
	b.follow(`form[action="/whistles"][method=post] button[type=submit]`)
	loc := b.location()
	if !strings.HasPrefix(loc, "/whistles/") || !strings.HasSuffix(loc, "?done=whistleRaised") {
		t.Fatalf("after raising: at %s", loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/whistles/"), "?done=whistleRaised")
	if got := b.text(".notice"); !strings.Contains(got, "已吹哨") {
		t.Fatalf("notice %q", got)
	}
	if got := b.text("#whistle-state"); !strings.Contains(got, "待报到") {
		t.Fatalf("raised whistle's state %q", got)
	}

	// The water company's account acknowledges it, with scripts on.
	water := s.signedIn(desktop, "whistles.water", auth.Department, "departments/water", "供水公司值班员")
	water.visit("/whistles")
	if got := water.text(`#whistles-table tr[data-whistle="` + id + `"]`); !strings.Contains(got, "待报到") {
		t.Fatalf("the department's board %q", got)
	}
	water.accessible()
	water.follow(`#whistles-table tr[data-whistle="` + id + `"] a`)
	if n := eval[int](water, `document.querySelectorAll("form[action$='/resolve'], form[action$='/close']").length`); n != 0 {
		t.Fatalf("before acknowledging: %d resolve or close forms", n)
	}
	water.do(chromedp.SendKeys(css(`#f-remarks`), "抢修队30分钟内到场"))
	water.follow(`form[action$="/acknowledge"] button[type=submit]`)
	if got := water.text(".notice"); got != "已报到" {
		t.Fatalf("acknowledged: notice %q", got)
	}
	water.accessible()

	b.visit("/whistles")
	if got := b.text(`#whistles-table tr[data-whistle="` + id + `"] .whistles-state`); !strings.Contains(got, "办理中") {
		t.Fatalf("the board after acknowledging: %q", got)
	}
	// Who acknowledged: the clerk knows the department's account by its id only (not in
	// the community's scope); the department's own account by its name.
	water.visit("/whistles/" + id)
	if got := water.text(`#whistle-parts-table tr[data-department="water"] .whistles-ack`); !strings.Contains(got, "供水公司值班员") || !strings.Contains(got, "抢修队30分钟内到场") {
		t.Fatalf("the department's acknowledgement %q", got)
	}

	water.visit("/whistles/" + id)
	water.do(chromedp.SendKeys(css(`#f-remarks`), "已更换管段，恢复供水"))
	water.follow(`form[action$="/resolve"] button[type=submit]`)
	if got := water.text("#whistle-state"); !strings.Contains(got, "待评价") {
		t.Fatalf("resolved: state %q", got)
	}

	// The clerk opens the close form; meanwhile a colleague closes it (below).
	b.visit("/whistles/" + id)

	// The community closes it on a desktop with scripts on (axe needs them).
	c := s.signedIn(desktop, "whistles.closer", auth.CommunityStaff, "regions/"+e.Community, "王书记")
	c.visit("/whistles/" + id)
	c.follow(`form[action$="/close"] button[type=submit]`)
	if got := c.text(`[id="f-ratings[0]-score-error"]`); got != "请给出1至5分的评价" {
		t.Fatalf("missing score: %q", got)
	}
	c.accessible()
	c.do(chromedp.SetValue(css(`[id="f-ratings[0]-score"]`), "4"))
	c.follow(`form[action$="/close"] button[type=submit]`)
	if got := c.text("#whistle-state"); !strings.Contains(got, "已关闭") {
		t.Fatalf("closed: state %q", got)
	}
	if got := c.text(`#whistle-parts-table tr[data-department="water"]`); !strings.Contains(got, "4分") {
		t.Fatalf("water's rating %q", got)
	}
	c.accessible()
	// The clerk's stale form rates otherwise: the rule's refusal shows above the page
	// (ratings are not rewritten).
	b.do(chromedp.SetValue(css(`[id="f-ratings[0]-score"]`), "3"))
	b.follow(`form[action$="/close"] button[type=submit]`)
	if got := b.text("#form-error"); !strings.Contains(got, "已关闭的事项不能重新评价") {
		t.Fatalf("closing again with another rating: %q", got)
	}
	// A field error of the raise form, with scripts on, passes axe too.
	c.visit("/whistles")
	c.follow(`form[action="/whistles"][method=post] button[type=submit]`)
	if got := c.text(`#f-whistle-departmentIds-error`); got != "请至少召集一个部门" {
		t.Fatalf("no department called: %q", got)
	}
	c.accessible()
	// The department reads its own report only.
	water.visit("/departments")
	if got := water.text(`#departments-table tr[data-department="water"]`); !strings.Contains(got, "4.00") {
		t.Fatalf("water's own report %q", got)
	}
	if n := eval[int](water, `document.querySelectorAll("#departments-table tbody tr").length`); n != 1 {
		t.Fatalf("a department sees %d departments' reports", n)
	}
}

// A whistle reported by the public (Open311, a resident) waits on the board as 待分派,
// first, and staff triage it with the page's form without scripts: a missing department
// and priority are named beside their fields; triaged, its clocks run from then.
func TestWhistlesTriageOfAReport(t *testing.T) {
	s := whistlesStartSite(t)
	e := s.newEstate("铜都小区", 1988, 55)
	whistlesDepartments(s)
	whistlesRaise(s, e.Compound.Id, "WATER", "5号楼停水", governancepb.Whistle_NORMAL, "water")
	reported := testkit.Must[*governancepb.Whistle](t)(s.gov().ReportWhistle(s.district(), &governancepb.ReportWhistleRequest{
		CompoundId: e.Compound.Id, Category: "ROAD", Description: "路面塌陷", Address: "3号楼东侧"}))
	s.addAccount(governance.NewAccount{Login: "whistles.triage", DisplayName: "刘社区", Role: auth.CommunityStaff, Scope: "regions/" + e.Community, Password: testPassword})
	b := s.openNoScript(phone)
	b.signIn("whistles.triage", testPassword)
	b.visit("/whistles?compoundId=" + e.Compound.Id)
	if first := eval[string](b, `document.querySelector("#whistles-table tbody tr").dataset.whistle`); first != reported.Id {
		t.Fatalf("the first row is %s, want the report %s", first, reported.Id)
	}
	if got := b.text(`#whistles-table tr[data-whistle="` + reported.Id + `"] .whistles-state`); !strings.Contains(got, "待分派") {
		t.Fatalf("the report's state %q", got)
	}
	b.follow(`#whistles-table tr[data-whistle="` + reported.Id + `"] a.whistles-triage`)
	b.follow(`form[action$="/triage"] button[type=submit]`)
	if got := b.text(`#f-departmentIds-error`); got != "请至少召集一个部门" {
		t.Fatalf("no department: %q", got)
	}
	if got := b.text(`#f-priority-error`); got != "请选择紧急程度" {
		t.Fatalf("no priority: %q", got)
	}
	b.do(chromedp.Click(css(`#f-triage-dept-housing`)), chromedp.Click(css(`#f-triage-priority-URGENT`)))
	b.follow(`form[action$="/triage"] button[type=submit]`)
	if got := b.text(".notice"); !strings.Contains(got, "已分派") {
		t.Fatalf("triaged: notice %q", got)
	}
	if got := b.text("#whistle-state"); !strings.Contains(got, "待报到") {
		t.Fatalf("triaged: state %q", got)
	}
	if got := b.text(`#whistle-parts-table tr[data-department="housing"] .whistles-ack`); !strings.Contains(got, "剩余") {
		t.Fatalf("housing's clock %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("form[action$='/triage']").length`); n != 0 {
		t.Fatalf("a triaged whistle still offers %d triage forms", n)
	}
}
