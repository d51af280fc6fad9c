package works

import (
	"strings"
	"testing"
	"time"

	"tongdu/platform/fault"
)

// reasonOf is the ErrorInfo reason of a refusal ("" for none or another kind).
func reasonOf(err error) string {
	if e, ok := fault.As(err); ok && e.Kind == fault.Refused {
		return e.Reason
	}
	return ""
}

// Rule 14: a plan stays up at least the period; the period starts when it went up,
// which may be before it was recorded (rule 15).
func TestScheduleNotice(t *testing.T) {
	now := time.Date(2021, 3, 10, 9, 0, 0, 0, time.UTC)
	n, err := ScheduleNotice(Notice{Kind: NoticePlan}, now, DefaultNoticePeriod)
	if err != nil || !n.OpensAt.Equal(now) || !n.ClosesAt.Equal(now.Add(7*24*time.Hour)) || !n.RecordedTime.Equal(now) {
		t.Fatalf("a plan posted now: %+v, %v; want up a week from now", n, err)
	}
	paper := now.AddDate(0, 0, -8)
	if n, err := ScheduleNotice(Notice{Kind: NoticePlan, OpensAt: paper}, now, DefaultNoticePeriod); err != nil || n.State(now) != NoticeClosed || !n.RecordedTime.Equal(now) {
		t.Errorf("a plan put up on paper 8 days ago: %+v, %v; want closed, recorded now", n, err)
	}
	for _, c := range []struct {
		name  string
		in    Notice
		field string
	}{
		{"a plan up 3 days", Notice{Kind: NoticePlan, OpensAt: now, ClosesAt: now.AddDate(0, 0, 3)}, "notice.closesAt"},
		{"closing before opening", Notice{Kind: NoticeConvention, OpensAt: now, ClosesAt: now.Add(-time.Hour)}, "notice.closesAt"},
		{"no kind", Notice{}, "notice.kind"},
		{"two years ahead", Notice{Kind: NoticeConvention, OpensAt: now.AddDate(2, 0, 0)}, "notice.opensAt"},
	} {
		_, err := ScheduleNotice(c.in, now, DefaultNoticePeriod)
		found := false
		for _, v := range fault.ViolationsOf(err) {
			found = found || v.Field == c.field
		}
		if !found {
			t.Errorf("%s: %v, want a violation on %s", c.name, err, c.field)
		}
	}
	if _, err := ScheduleNotice(Notice{Kind: NoticeFundDisclosure, OpensAt: now, ClosesAt: now.AddDate(0, 0, 3)}, now, DefaultNoticePeriod); err != nil {
		t.Errorf("a fund disclosure may be up shorter than a plan: %v", err)
	}
}

// Rules 6 and 14: approval needs the plan as it stands posted, every objection
// answered, and the period over; unanswered objections are named first.
func TestCheckPlanNotice(t *testing.T) {
	opens := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	p := &Project{ID: "P", BudgetFen: 1_000_000}
	items := []Item{{ID: "I1", Kind: KindDrainPipe, Quantity: 120, Unit: "m", EstimatedCostFen: 300_000}}
	fp := PlanPrint(p, items)
	n := &Notice{ID: "N", Kind: NoticePlan, OpensAt: opens, ClosesAt: opens.Add(DefaultNoticePeriod), PlanPrint: fp}
	during, after := opens.Add(24*time.Hour), opens.Add(DefaultNoticePeriod+time.Minute)

	cases := []struct {
		name   string
		notice *Notice
		print  string
		at     time.Time
		want   string
	}{
		{"never posted", nil, fp, after, ReasonNoticeNotPublished},
		{"scheduled", n, fp, opens.Add(-time.Hour), ReasonNoticeNotPublished},
		{"plan changed since", n, PlanPrint(&Project{ID: "P", BudgetFen: 1_200_000}, items), after, ReasonNoticeNotPublished},
		{"period open", n, fp, during, ReasonNoticePeriodOpen},
		{"period over", n, fp, after, ""},
	}
	for _, c := range cases {
		if got := reasonOf(CheckPlanNotice(c.notice, c.print, c.at)); got != c.want {
			t.Errorf("%s: refused with %q, want %q", c.name, got, c.want)
		}
	}

	objected := *n
	if err := objected.Lodge(Objection{ID: "O1", HouseholdID: "H1", Text: "太贵"}, during); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{during, after} {
		if got := reasonOf(CheckPlanNotice(&objected, fp, at)); got != ReasonObjectionUnanswered {
			t.Errorf("an unanswered objection at %s: refused with %q, want OBJECTION_UNANSWERED", at, got)
		}
	}
	if _, err := objected.AnswerObjection("O1", "已核减", "accounts/A", "r1", during); err != nil {
		t.Fatal(err)
	}
	if _, err := objected.AnswerObjection("O1", "再答", "accounts/A", "r2", during); reasonOf(err) != ReasonObjectionAnswered {
		t.Errorf("answering twice: %v, want OBJECTION_ANSWERED", err)
	}
	if err := CheckPlanNotice(&objected, fp, after); err != nil {
		t.Errorf("answered and over: %v", err)
	}
	if err := objected.Lodge(Objection{ID: "O2", HouseholdID: "H2", Text: "晚了"}, after); reasonOf(err) != ReasonNoticeClosed {
		t.Errorf("objecting after the period: %v, want NOTICE_CLOSED", err)
	}
	if err := n.Lodge(Objection{ID: "O3", HouseholdID: "H2", Text: "早了"}, opens.Add(-time.Hour)); reasonOf(err) != ReasonNoticeNotPublished {
		t.Errorf("objecting before it went up: %v, want NOTICE_NOT_PUBLISHED", err)
	}
}

// Rule 13: what the board shows of an objection names no household and masks what looks
// like a phone or ID number.
func TestObjectionPublic(t *testing.T) {
	o := Objection{ID: "O", HouseholdID: "H1", LodgeAccount: "households/H1", Text: "电话13812345678，身份证11010519491231002X", Answer: "已回电13900001111"}
	pub := o.Public()
	if pub.HouseholdID != "" || pub.LodgeAccount != "" {
		t.Errorf("public objection names who lodged it: %+v", pub)
	}
	for _, leak := range []string{"13812345678", "11010519491231002X", "13900001111"} {
		if strings.Contains(pub.Text+pub.Answer, leak) {
			t.Errorf("public objection shows %s: %q / %q", leak, pub.Text, pub.Answer)
		}
	}
	if !strings.Contains(pub.Text, "138****5678") || !strings.Contains(pub.Answer, "139****1111") {
		t.Errorf("masked: %q / %q", pub.Text, pub.Answer)
	}
}

// Rule 14 with rule 8: the plan publishes its items in the order of works and each
// household's share by its door, ordered as doors are read, without names.
func TestPlanContent(t *testing.T) {
	p := &Project{ID: "P", Title: "改造", Year: 2021, BudgetFen: 500_000}
	items := []Item{{ID: "I1", Category: Basic, Kind: KindDrainPipe, Quantity: 1, Unit: "m", EstimatedCostFen: 100}}
	shares := PlanShares{HasPlan: true, FlatFen: 108_400, TargetFen: 216_800, Shares: map[string]int64{"H10": 108_400, "H2": 108_400}}
	places := map[string]Place{"H10": {Building: "1号楼", Unit: "1", Room: "1001", AreaM2: 60}, "H2": {Building: "1号楼", Unit: "1", Room: "201", AreaM2: 48.5}}
	figures, tables := PlanContent(p, items, shares, places)
	if len(tables) != 2 || tables[1].Key != "shares" || len(tables[1].Rows) != 2 {
		t.Fatalf("tables = %+v", tables)
	}
	if got := strings.Join(tables[1].Rows[0], "|"); got != "1号楼|1|201|48.50|108400" {
		t.Errorf("first share row %q, want room 201 before 1001", got)
	}
	want := map[string]string{"budgetFen": "500000", "quotaFlatFen": "108400", "households": "2", "targetFen": "216800"}
	for _, f := range figures {
		if w, ok := want[f.Key]; ok && w != f.Value {
			t.Errorf("figure %s = %s, want %s", f.Key, f.Value, w)
		}
		delete(want, f.Key)
	}
	if len(want) > 0 {
		t.Errorf("figures missing: %v", want)
	}
	if _, tables := PlanContent(p, items, PlanShares{}, nil); len(tables) != 1 {
		t.Errorf("without a funding plan the notice publishes %d tables, want the items only", len(tables))
	}
}
