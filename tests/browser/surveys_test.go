package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/governance"
)

// surveysResolution drafts and opens a renovation resolution (rule 3) on e's compound by
// gRPC, as the builder would: the vote first, then a scale and a text question.
func surveysResolution(s *site, e estate, title string) *surveypb.Survey {
	s.t.Helper()
	ctx, sc := s.district(), surveypb.NewSurveyServiceClient(s.conn)
	must := testkit.Must[*surveypb.Survey](s.t)
	sv := must(sc.CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: e.Compound.Id, Title: title, Kind: surveypb.Survey_RESOLUTION, Matter: surveypb.Survey_RENOVATION,
		Questions: []*surveypb.Question{
			{Id: "q1", Text: "您是否同意本小区实施加装电梯与管网改造？", Type: surveypb.Question_SINGLE_CHOICE, Options: []*surveypb.QuestionOption{
				{Id: "agree", Text: "同意"}, {Id: "disagree", Text: "不同意"}, {Id: "abstain", Text: "弃权"}}},
			{Id: "q2", Text: "您对现有设施的满意程度", Type: surveypb.Question_SCALE},
			{Id: "q3", Text: "其他意见", Type: surveypb.Question_TEXT},
		}}}))
	return must(sc.OpenSurvey(ctx, &surveypb.OpenSurveyRequest{Id: sv.Id}))
}

// surveysStats are the survey's statistics as the service has them.
func surveysStats(s *site, id string) *surveypb.SurveyStats {
	s.t.Helper()
	return testkit.Must[*surveypb.SurveyStats](s.t)(surveypb.NewSurveyServiceClient(s.conn).GetSurveyStats(s.district(), &surveypb.GetSurveyStatsRequest{SurveyId: id}))
}

// surveysWait polls script in the page until it is true (the tally refreshes itself).
func surveysWait(b *browser, script string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for !eval[bool](b, script) {
		if time.Now().After(deadline) {
			b.t.Fatalf("waited %s at %s for %s", within, b.location(), script)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// surveysFill is fill for a field whose path has an index (its id has brackets, which a
// CSS id selector cannot take).
func surveysFill(b *browser, field, value string) {
	b.t.Helper()
	sel := `[id="` + fieldID(field) + `"]`
	b.do(chromedp.Clear(css(sel)), chromedp.SendKeys(css(sel), value))
}

// surveysAnswerAt chooses option j of question i on the door-to-door form.
func surveysAnswerAt(i, j int) string {
	return `[id="f-response-answers[` + string(rune('0'+i)) + `]-` + string(rune('0'+j)) + `"]`
}

// The builder with scripts off: a survey without a title is refused with the error
// beside the title field, and a question row without options beside its options; then a
// renovation resolution is saved as a draft (its vote's options filled in), opened from
// its page, and the survey list shows it. The pages pass axe on a desktop and on a phone
// (axe runs in browsers with scripts on).
func TestSurveysBuilderWithoutScripts(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1986, 62.5, 71.2, 58, 80.3)
	s.addAccount(governance.NewAccount{Login: "zhou.community", DisplayName: "周社区", Role: auth.CommunityStaff, Scope: "regions/" + e.Community, Password: testPassword})
	b := s.openNoScript(desktop)
	b.signIn("zhou.community", testPassword)

	b.visit("/compounds/" + e.Compound.Id + "/surveys")
	if h := b.text("main h1"); !strings.Contains(h, "石羊路21号院") {
		t.Fatalf("surveys of the compound: heading %q", h)
	}
	b.follow(`a[href$="/surveys/new"]`)
	if loc := b.location(); loc != "/compounds/"+e.Compound.Id+"/surveys/new" {
		t.Fatalf("the new survey link went to %s", loc)
	}
	if n := eval[int](b, `document.querySelectorAll("fieldset.surveys-row").length`); n != 5 {
		t.Fatalf("the builder offers %d question rows, want 5", n)
	}

	// No title, and a choice question with one option.
	b.do(chromedp.SetValue(css(`#f-survey-kind`), "NEEDS"))
	surveysFill(b, "survey.questions[0].text", "您是否同意本小区纳入改造？")
	b.do(chromedp.SendKeys(css(`[id="f-survey-questions[0]-options"]`), "同意"))
	b.follow(`form[action$="/surveys/new"] button[type=submit]:not([name])`)
	if e := b.text(`#f-survey-title-error`); e != "请填写标题" {
		t.Fatalf("no title: error beside the title %q", e)
	}
	if e := b.text(`[id="f-survey-questions[0]-options-error"]`); !strings.Contains(e, "两个选项") {
		t.Fatalf("one option: error beside the options %q", e)
	}
	if v := eval[string](b, `document.getElementById("f-survey-title").getAttribute("aria-describedby")`); v != "f-survey-title-error" {
		t.Fatalf("the title's error is not tied to it: %q", v)
	}

	// More rows without scripts.
	b.follow(`button[name=more]`)
	if n := eval[int](b, `document.querySelectorAll("fieldset.surveys-row").length`); n != 8 {
		t.Fatalf("after asking for more rows: %d rows, want 8", n)
	}

	// A resolution: the vote's options left empty are filled in (agree, disagree, abstain).
	b.fill("survey.title", "加装电梯与管网改造业主表决")
	b.do(chromedp.SetValue(css(`#f-survey-kind`), "RESOLUTION"), chromedp.SetValue(css(`#f-survey-matter`), "RENOVATION"),
		chromedp.Clear(css(`[id="f-survey-questions[0]-options"]`)))
	surveysFill(b, "survey.questions[2].text", "其他意见和建议")
	b.do(chromedp.SetValue(css(`[id="f-survey-questions[2]-type"]`), "TEXT"))
	b.follow(`form[action$="/surveys/new"] button[type=submit]:not([name])`)
	loc := b.location()
	if !strings.HasPrefix(loc, "/surveys/") || !strings.Contains(loc, "done=surveys.created") {
		t.Fatalf("after saving: at %s (%s)", loc, b.text("main"))
	}
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/surveys/")
	sv := testkit.Must[*surveypb.Survey](t)(surveypb.NewSurveyServiceClient(s.conn).GetSurvey(s.district(), &surveypb.GetSurveyRequest{Id: id}))
	if sv.GetKind() != surveypb.Survey_RESOLUTION || sv.GetMatter() != surveypb.Survey_RENOVATION || len(sv.GetQuestions()) != 2 ||
		len(sv.GetQuestions()[0].GetOptions()) != 3 || sv.GetQuestions()[0].GetOptions()[0].GetId() != "agree" ||
		sv.GetQuestions()[1].GetType() != surveypb.Question_TEXT || sv.GetState() != surveypb.Survey_DRAFT {
		t.Fatalf("the builder saved %v", sv)
	}
	if st := b.text(".surveys-facts .badge"); st != "草稿" {
		t.Fatalf("state shown %q", st)
	}

	// The draft is edited in the same builder: a question added, the title corrected.
	b.follow(`a[href$="/edit"]`)
	if v := eval[string](b, `document.querySelector('[id="f-survey-questions[1]-type"]').value`); v != "TEXT" {
		t.Fatalf("the draft's second question comes back as %q", v)
	}
	b.fill("survey.title", "加装电梯与管网改造工程业主表决")
	surveysFill(b, "survey.questions[2].text", "您家是否需要无障碍设施？")
	b.do(chromedp.SendKeys(css(`[id="f-survey-questions[2]-options"]`), "需要\n不需要"))
	b.follow(`form[action$="/edit"] button[type=submit]:not([name])`)
	if h := b.text("main h1"); h != "加装电梯与管网改造工程业主表决" {
		t.Fatalf("after editing: heading %q at %s", h, b.location())
	}
	if n := eval[int](b, `document.querySelectorAll(".surveys-questions > li").length`); n != 3 {
		t.Fatalf("after editing: %d questions", n)
	}

	b.follow(`form[action$="/open"] button`)
	if st := b.text(".surveys-facts .badge"); st != "进行中" {
		t.Fatalf("after opening: state %q", st)
	}
	if !strings.Contains(b.text("#surveys-tally"), "2/3") {
		t.Fatalf("the tally does not write out the thresholds: %s", b.text("#surveys-tally"))
	}

	b.visit("/compounds/" + e.Compound.Id + "/surveys")
	if row := b.text("main table tbody tr"); !strings.Contains(row, "加装电梯与管网改造工程业主表决") || !strings.Contains(row, "进行中") {
		t.Fatalf("the list shows %q", row)
	}

	// A courtyard meeting: refused without its title (beside the field), recorded, then
	// closed with its minutes and decisions.
	b.do(chromedp.Click(css(`details.surveys-meeting-form:not(:has(form[action$="/close"])) summary`)))
	b.follow(`form[action$="/surveys/meetings"] button[type=submit]`)
	if e := b.text(`#f-meeting-title-error`); e != "请填写院坝会主题" {
		t.Fatalf("a meeting without a title: error %q", e)
	}
	b.fill("meeting.title", "加装电梯院坝会")
	b.fill("meeting.place", "1号楼前院坝")
	b.do(chromedp.SendKeys(css(`#f-meeting-topics`), "加装电梯\n管网改造"))
	b.follow(`form[action$="/surveys/meetings"] button[type=submit]`)
	if n := b.text(".notice"); n != "院坝会已记录" {
		t.Fatalf("after recording the meeting: notice %q", n)
	}
	b.do(chromedp.Click(css(`details:has(form[action$="/close"]) summary`)))
	b.do(chromedp.SendKeys(css(`details:has(form[action$="/close"]) textarea[name=minutes]`), "到会住户一致同意先行实施管网改造。"),
		chromedp.SendKeys(css(`details:has(form[action$="/close"]) textarea[name=decisions]`), "本月开展业主表决"))
	b.follow(`form[action$="/close"] button[type=submit]`)
	if row := b.text("[aria-labelledby=surveys-meetings] tbody tr"); !strings.Contains(row, "已形成纪要") || !strings.Contains(row, "本月开展业主表决") {
		t.Fatalf("the closed meeting shows %q", row)
	}

	// axe needs scripts: the same pages, and the builder with its errors, in browsers
	// with scripts on, on a desktop and on a phone.
	for _, size := range [][2]int64{desktop, phone} {
		p := s.open(size)
		p.signIn("zhou.community", testPassword)
		for _, path := range []string{"/compounds/" + e.Compound.Id + "/surveys", "/compounds/" + e.Compound.Id + "/surveys/new", "/surveys/" + id} {
			p.visit(path)
			p.accessible()
		}
		p.visit("/compounds/" + e.Compound.Id + "/surveys/new")
		p.follow(`form[action$="/surveys/new"] button[type=submit]:not([name])`)
		if e := p.text(`#f-survey-title-error`); e != "请填写标题" {
			t.Fatalf("no title, with scripts: error beside the title %q", e)
		}
		p.accessible()
	}
}

// A grid worker answers at the door on a phone; the district clerk watching the survey
// page on a desktop sees the tally move by itself (rule 3's figures, every 5 s); the
// answer sheet with the first question left out is refused beside the question; the
// responses list names the household by building and room.
func TestSurveysDoorToDoorOnPhone(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1986, 62.5, 71.2, 58, 80.3)
	sv := surveysResolution(s, e, "加装电梯业主表决")
	clerk := s.signedIn(desktop, "chen.admin", auth.DistrictAdmin, "", "陈主任")
	clerk.visit("/surveys/" + sv.Id)
	if n := clerk.text("[data-surveys-responded]"); n != "0" {
		t.Fatalf("responded before any answer: %q", n)
	}
	clerk.accessible()

	grid := s.signedIn(phone, "li.grid", auth.GridWorker, "compounds/"+e.Compound.Id, "李网格")
	grid.visit("/surveys/" + sv.Id)
	grid.follow(`a[href$="/doors"]`)
	if h := grid.text("main h1"); h != "入户登记" {
		t.Fatalf("door-to-door heading %q", h)
	}
	grid.accessible()

	// The vote left out: refused beside the question.
	grid.do(chromedp.SetValue(css(`#f-response-householdId`), e.Households[0].Id))
	grid.follow(`form[data-surveys-doors] button[type=submit]`)
	if msg := grid.text(`[id="f-response-answers[0]-error"]`); msg != "请回答第1题" {
		t.Fatalf("the vote left out: error %q", msg)
	}
	grid.accessible()

	grid.do(chromedp.SetValue(css(`#f-response-householdId`), e.Households[0].Id), chromedp.Click(css(surveysAnswerAt(0, 0))),
		chromedp.Click(css(surveysAnswerAt(1, 3))))
	grid.follow(`form[data-surveys-doors] button[type=submit]`)
	if n := grid.text(".notice"); !strings.Contains(n, "答卷已提交") {
		t.Fatalf("after submitting: notice %q at %s", n, grid.location())
	}
	if st := surveysStats(s, sv.Id); st.GetRespondedHouseholds() != 1 || st.GetWillingHouseholds() != 1 {
		t.Fatalf("the service counts %d responded, %d agreeing", st.GetRespondedHouseholds(), st.GetWillingHouseholds())
	}

	// The clerk's page moves by itself.
	surveysWait(clerk, `document.querySelector("[data-surveys-responded]").textContent.trim() === "1"`, 12*time.Second)
	if agree := clerk.text("[data-surveys-agree]"); agree != "1" {
		t.Fatalf("agree on the clerk's tally %q", agree)
	}
	clerk.accessible()

	grid.visit("/surveys/" + sv.Id)
	if row := grid.text("#surveys-responses ~ .table-wrap tbody tr"); !strings.Contains(row, "1号楼") || !strings.Contains(row, "101") || !strings.Contains(row, "同意") {
		t.Fatalf("responses list row %q", row)
	}
	grid.accessible()
}

// surveysNetworkConditions are the parameters of Network.emulateNetworkConditions, which
// sets navigator.onLine and fails every request while offline (cdproto names the command
// deprecated and leaves it out; Chromium still has it).
type surveysNetworkConditions struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

var surveysEmulateNetwork = cdp.Command[surveysNetworkConditions, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

// surveysOffline turns the phone's network off or on.
func surveysOffline(b *browser, offline bool) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, surveysEmulateNetwork, surveysNetworkConditions{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// Offline at the door: two answer sheets are kept on the phone ("2 waiting"), and a
// third for the first household collected an hour earlier than its first; back online
// they go in ONE batch, the tally counts the two households, and the earlier collected
// sheet does not replace the later one (rule 2).
func TestSurveysDoorToDoorOffline(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1986, 62.5, 71.2, 58, 80.3)
	sv := surveysResolution(s, e, "加装电梯业主表决")
	grid := s.signedIn(phone, "li.grid", auth.GridWorker, "compounds/"+e.Compound.Id, "李网格")
	grid.visit("/surveys/" + sv.Id + "/doors")
	grid.do(chromedp.Evaluate[chromedp.Void](`window.surveysSent = []; document.addEventListener("tongdu:surveys-sent", e => window.surveysSent.push(e.detail.result.sent))`, chromedp.EvalAsValue))

	surveysOffline(grid, true)
	if eval[bool](grid, `navigator.onLine`) {
		t.Fatal("the phone still says it is online")
	}
	sheet := func(household string, option int, collectedAt string) {
		grid.do(chromedp.SetValue(css(`#f-response-householdId`), household), chromedp.Click(css(surveysAnswerAt(0, option))))
		if collectedAt != "" {
			grid.do(chromedp.SetValue(css(`#f-response-collectedAt`), collectedAt))
		}
		grid.do(chromedp.Click(css(`form[data-surveys-doors] button[type=submit]`)))
	}
	sheet(e.Households[0].Id, 0, "")
	sheet(e.Households[1].Id, 1, "")
	surveysWait(grid, `document.querySelector("[data-surveys-queue-status]").textContent.includes("2 份答卷待发送")`, 5*time.Second)
	earlier := time.Now().In(time.FixedZone("CST", 8*3600)).Add(-time.Hour).Format("2006-01-02T15:04")
	sheet(e.Households[0].Id, 1, earlier)
	surveysWait(grid, `document.querySelector("[data-surveys-queue-status]").textContent.includes("3 份答卷待发送")`, 5*time.Second)
	kept := eval[string](grid, `localStorage.getItem("tongdu.surveys.queue.`+sv.Id+`")`)
	if strings.Contains(kept, "csrf") || !strings.Contains(kept, e.Households[1].Id) {
		t.Fatalf("the phone keeps %s", kept)
	}
	grid.accessible()
	if st := surveysStats(s, sv.Id); st.GetRespondedHouseholds() != 0 {
		t.Fatalf("offline, the service already has %d responses", st.GetRespondedHouseholds())
	}

	surveysOffline(grid, false)
	surveysWait(grid, `localStorage.getItem("tongdu.surveys.queue.`+sv.Id+`") === null`, 10*time.Second)
	if sent := eval[[]int](grid, `window.surveysSent`); len(sent) != 1 || sent[0] != 3 {
		t.Fatalf("batches sent: %v, want one of 3", sent)
	}
	st := surveysStats(s, sv.Id)
	if st.GetRespondedHouseholds() != 2 || st.GetWillingHouseholds() != 1 {
		t.Fatalf("after the batch: %d responded, %d agreeing; want 2 and 1 (the later collected answer wins)", st.GetRespondedHouseholds(), st.GetWillingHouseholds())
	}
	grid.visit("/surveys/" + sv.Id)
	if n := grid.text("[data-surveys-responded]"); n != "2" {
		t.Fatalf("the tally counts %q households", n)
	}
	grid.accessible()

	// A sheet the service refuses (an option the question does not have) is set aside on
	// the phone and the others still go.
	grid.visit("/surveys/" + sv.Id + "/doors")
	grid.do(chromedp.Evaluate[chromedp.Void](`localStorage.setItem("tongdu.surveys.queue.`+sv.Id+`", JSON.stringify([
		[["requestId", "bad-1"], ["response.householdId", "`+e.Households[3].Id+`"], ["response.answers[0].optionIds", "no-such-option"], ["response.channel", "DOOR_TO_DOOR"]],
		[["requestId", "good-1"], ["response.householdId", "`+e.Households[2].Id+`"], ["response.answers[0].optionIds", "agree"], ["response.channel", "DOOR_TO_DOOR"]]]))`, chromedp.EvalAsValue))
	grid.visit("/surveys/" + sv.Id + "/doors")
	surveysWait(grid, `localStorage.getItem("tongdu.surveys.queue.`+sv.Id+`") === null`, 10*time.Second)
	if refused := eval[string](grid, `localStorage.getItem("tongdu.surveys.refused.`+sv.Id+`")`); !strings.Contains(refused, "no-such-option") || strings.Contains(refused, "good-1") {
		t.Fatalf("set aside: %s", refused)
	}
	if st := surveysStats(s, sv.Id); st.GetRespondedHouseholds() != 3 {
		t.Fatalf("after setting the refused sheet aside: %d responded, want 3", st.GetRespondedHouseholds())
	}
}
