package browser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/governance"
)

// compoundsEstate is the Shiyang Road No. 21 compound as the article tells it: a 1980s
// courtyard with poor drains and roads, a needs survey, a project, a whistle and a party
// branch, set up by gRPC as the district.
func compoundsEstate(s *site) estate {
	s.t.Helper()
	e := s.newEstate("石羊路21号院", 1985, 58.6, 62.3, 71.0, 49.8)
	ctx, gov := s.district(), s.gov()
	c := testkit.Must[*governancepb.Compound](s.t)(gov.UpdateCompound(ctx, &governancepb.UpdateCompoundRequest{
		Compound: &governancepb.Compound{Id: e.Compound.Id, Etag: e.Compound.Etag, HeritageNotes: "保留瓷砖拼贴外墙，不刷白",
			Facilities: []*governancepb.Facility{
				{Kind: governancepb.Facility_DRAINS, Condition: governancepb.Facility_POOR, Notes: "雨污混流，雨天返水"},
				{Kind: governancepb.Facility_ROADS, Condition: governancepb.Facility_POOR, Notes: "路面破损"},
				{Kind: governancepb.Facility_LIGHTING, Condition: governancepb.Facility_FAIR},
			}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"heritage_notes", "facilities"}}}))
	e.Compound = c
	testkit.Must[*surveypb.Survey](s.t)(surveypb.NewSurveyServiceClient(s.conn).CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: &surveypb.Survey{
		CompoundId: c.Id, Title: "石羊路21号院改造需求与意愿调查", Kind: surveypb.Survey_NEEDS,
		Questions: []*surveypb.Question{{Id: "want", Text: "您是否希望小区改造？", Type: surveypb.Question_SINGLE_CHOICE,
			Options: []*surveypb.QuestionOption{{Id: "yes", Text: "希望"}, {Id: "no", Text: "不希望"}}}}}}))
	testkit.Must[*projectspb.Project](s.t)(projectspb.NewProjectsServiceClient(s.conn).CreateProject(ctx, &projectspb.CreateProjectRequest{Project: &projectspb.Project{
		CompoundId: c.Id, Title: "石羊路21号院老旧小区微改造", Year: 2021, BudgetFen: 6_000_000}}))
	testkit.Must[*governancepb.PartyBranch](s.t)(gov.CreatePartyBranch(ctx, &governancepb.CreatePartyBranchRequest{PartyBranch: &governancepb.PartyBranch{
		Name: "石羊路21号院党支部", Kind: governancepb.PartyBranch_COMPOUND, CompoundId: c.Id, CommunityId: e.Community, Secretary: "王书记", MemberCount: 12}}))
	return e
}

// The inventory and a compound's page, on a desktop and a phone, for community staff:
// the compound is listed with its community, build year and households; its page shows
// the facts, the facilities with their condition, buildings, households, the survey,
// the project with its money link and the party branch; filters narrow the list.
func TestCompoundsListAndPage(t *testing.T) {
	s := startSite(t)
	e := compoundsEstate(s)
	for i, size := range [][2]int64{desktop, phone} {
		b := s.signedIn(size, fmt.Sprintf("li.community%d", i), auth.CommunityStaff, "regions/"+e.Community, "李社区")
		b.visit("/compounds")
		if h := b.text("main h1"); h != "小区" {
			t.Fatalf("list heading %q", h)
		}
		row := b.text("table.cmp-table tbody tr")
		for _, want := range []string{"石羊路21号院", "石羊社区", "1985", "4", "已摸底登记"} {
			if !strings.Contains(row, want) {
				t.Errorf("list row %q lacks %q", row, want)
			}
		}
		b.accessible()

		b.follow(`table.cmp-table a`)
		if h := b.text("main h1"); h != "石羊路21号院" {
			t.Fatalf("compound page heading %q at %s", h, b.location())
		}
		main := b.text("main")
		for _, want := range []string{"石羊路21号院1号", "东川区 › 铜都街道 › 石羊社区", "雨污管网", "差", "雨污混流", "1号楼", "101", "58.6",
			"石羊路21号院改造需求与意愿调查", "石羊路21号院老旧小区微改造", "¥60,000.00", "资金账目", "石羊路21号院党支部", "保留瓷砖拼贴外墙"} {
			if !strings.Contains(main, want) {
				t.Errorf("compound page lacks %q", want)
			}
		}
		b.accessible()

		b.visit("/compounds/" + e.Compound.Id + "/households")
		if n := eval[int](b, `document.querySelectorAll("table.cmp-households tbody tr").length`); n != 4 {
			t.Errorf("households page lists %d households, want 4", n)
		}
		b.accessible()

		b.visit("/compounds/new")
		if n := eval[int](b, `document.querySelectorAll("#f-compound-communityId option").length`); n != 2 {
			t.Errorf("the new compound's community offers %d options, want the blank and 石羊社区", n)
		}
		b.accessible()
		b.visit("/compounds/" + e.Compound.Id + "/edit")
		if v := eval[string](b, `document.getElementById("f-compound-facilities[1]-condition").value`); v != "POOR" {
			t.Errorf("the edit form shows the drains as %q", v)
		}
		b.accessible()

		b.visit("/compounds?status=SURVEYING")
		if got := b.text("main"); !strings.Contains(got, "没有符合条件的小区") {
			t.Errorf("status filter SURVEYING still lists the inventoried compound: %s", got)
		}
	}
}

// A compound is registered with scripts off: an empty name and a build year of 1800
// come back beside their fields in Chinese; corrected, it is registered and its page
// says so. An edit made on a stale copy is refused with a clear message.
func TestCompoundsCreateWithoutScripts(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1985, 58.6)
	s.addAccount(governance.NewAccount{Login: "zhao.community", DisplayName: "赵社区", Role: auth.CommunityStaff, Scope: "regions/" + e.Subdistrict, Password: testPassword})
	b := s.openNoScript(phone)
	b.signIn("zhao.community", testPassword)
	b.visit("/compounds/new")
	b.do(chromedp.SetValue(css("#f-compound-communityId"), e.Community))
	b.fill("compound.buildYear", "1800")
	b.follow(`form.cmp-edit button[type=submit]`)
	if e := b.text("#f-compound-name-error"); e != "请填写小区名称（不超过100字）" {
		t.Errorf("empty name: error beside the field %q", e)
	}
	if e := b.text("#f-compound-buildYear-error"); e != "建成年份应为1900至2100之间的四位数" {
		t.Errorf("build year 1800: error beside the field %q", e)
	}
	b.fill("compound.name", "铜都路8号院")
	b.fill("compound.buildYear", "1992")
	b.fill("compound.address", "铜都路8号")
	b.follow(`form.cmp-edit button[type=submit]`)
	if h := b.text("main h1"); h != "铜都路8号院" {
		t.Fatalf("after registering: heading %q at %s", h, b.location())
	}
	if n := b.text("p.notice"); n != "小区已登记" {
		t.Errorf("notice %q", n)
	}
	id := strings.TrimPrefix(strings.SplitN(b.location(), "?", 2)[0], "/compounds/")

	// A lost update: someone else saves while this clerk edits.
	b.visit("/compounds/" + id + "/edit")
	c := testkit.Must[*governancepb.Compound](t)(s.gov().GetCompound(s.district(), &governancepb.GetCompoundRequest{Id: id}))
	testkit.Must[*governancepb.Compound](t)(s.gov().UpdateCompound(s.district(), &governancepb.UpdateCompoundRequest{
		Compound: &governancepb.Compound{Id: id, Etag: c.Etag, Address: "铜都路8号（东门）"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address"}}}))
	b.fill("compound.name", "铜都路八号院")
	b.follow(`form.cmp-edit button[type=submit]`)
	if e := b.text("#form-error"); !strings.Contains(e, "其他人已修改了该小区") {
		t.Fatalf("stale edit: form error %q", e)
	}
	got := testkit.Must[*governancepb.Compound](t)(s.gov().GetCompound(s.district(), &governancepb.GetCompoundRequest{Id: id}))
	if got.Name != "铜都路8号院" || got.Address != "铜都路8号（东门）" {
		t.Fatalf("the stale edit overwrote the other one: %q, %q", got.Name, got.Address)
	}
	// On the current version it saves.
	b.fill("compound.name", "铜都路八号院")
	b.follow(`form.cmp-edit button[type=submit]`)
	if h := b.text("main h1"); h != "铜都路八号院" {
		t.Fatalf("after saving: heading %q at %s", h, b.location())
	}
}

// Rule 13 on screen: community staff register a household with the resident's name and
// phone (a missing area is told beside its field) and see them; the owners' committee
// sees the same household masked; a contractor's compound page leaves the households
// out without an error.
func TestCompoundsHouseholdsMasked(t *testing.T) {
	s := startSite(t)
	e := compoundsEstate(s)
	staff := s.signedIn(desktop, "li.community", auth.CommunityStaff, "regions/"+e.Community, "李社区")
	staff.visit("/compounds/" + e.Compound.Id + "/households")
	staff.do(chromedp.SetValue(css("#f-household-buildingId"), e.Building))
	staff.fill("household.unit", "2")
	staff.fill("household.room", "301")
	staff.fill("household.residentName", "张三")
	staff.fill("household.phone", "13812345678")
	staff.follow(`form[action$="/households"] button[type=submit]`)
	if got := staff.text("#f-household-exclusiveAreaM2-error"); got != "请填写大于0的面积（平方米，如 58.6）" {
		t.Fatalf("missing area: error beside the field %q", got)
	}
	staff.accessible()
	staff.fill("household.exclusiveAreaM2", "66.5")
	staff.follow(`form[action$="/households"] button[type=submit]`)
	if n := staff.text("p.notice"); n != "住户已登记" {
		t.Fatalf("notice %q at %s", n, staff.location())
	}
	table := staff.text("table.cmp-households")
	if !strings.Contains(table, "张三") || !strings.Contains(table, "13812345678") {
		t.Fatalf("community staff do not see the resident: %s", table)
	}

	owners := s.signedIn(phone, "owners", auth.OwnersCommittee, "compounds/"+e.Compound.Id, "业委会")
	owners.visit("/compounds/" + e.Compound.Id + "/households")
	table = owners.text("table.cmp-households")
	if strings.Contains(table, "张三") || strings.Contains(table, "13812345678") {
		t.Fatalf("the owners' committee sees personal data: %s", table)
	}
	if !strings.Contains(table, "张*") || !strings.Contains(table, "138****5678") {
		t.Fatalf("the owners' committee does not see the masked resident: %s", table)
	}
	if eval[bool](owners, `!!document.getElementById("f-household-residentName")`) {
		t.Fatal("the owners' committee is offered the personal data fields")
	}
	owners.accessible()
	owners.visit("/compounds")
	if loc := owners.location(); loc != "/compounds/"+e.Compound.Id {
		t.Errorf("one compound's people: /compounds went to %s", loc)
	}

	contractor := s.signedIn(phone, "builder", auth.Contractor, "regions/"+e.Community, "施工方")
	contractor.visit("/compounds/" + e.Compound.Id)
	if h := contractor.text("main h1"); h != "石羊路21号院" {
		t.Fatalf("contractor: heading %q", h)
	}
	if eval[bool](contractor, `!!document.getElementById("households")`) {
		t.Fatal("the contractor's page shows the households section")
	}
	if main := contractor.text("main"); !strings.Contains(main, "雨污管网") || strings.Contains(main, "张") {
		t.Fatalf("contractor's page: %s", main)
	}
	contractor.accessible()
}

// The door-code sheet: a grid worker issues the codes (warned that the old ones stop
// working), the sheet lists one slip per door, the codes are nowhere in the address, and
// a code from it signs a resident in.
func TestCompoundsCodesSheet(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1985, 58.6, 62.3, 71.0)
	b := s.signedIn(desktop, "wang.grid", auth.GridWorker, "regions/"+e.Community, "王网格")
	b.visit("/compounds/" + e.Compound.Id + "/codes")
	if w := b.text(`main p[role="note"]`); !strings.Contains(w, "之前发放的全部住户码立即作废") {
		t.Fatalf("no warning that issuing revokes the old codes: %q", w)
	}
	b.accessible()
	b.follow(`form[action$="/codes"] button[type=submit]`)
	if n := eval[int](b, `document.querySelectorAll(".cmp-slip").length`); n != 3 {
		t.Fatalf("%d slips, want 3", n)
	}
	if door := b.text(".cmp-slip .cmp-door"); door != "1号楼 1单元 101室" {
		t.Errorf("first slip's door %q", door)
	}
	if u := b.text(".cmp-slip .cmp-url"); !strings.HasSuffix(u, "/signin?as=resident") {
		t.Errorf("sign-in address %q", u)
	}
	code := b.text(".cmp-slip .cmp-code")
	if len(code) < 12 {
		t.Fatalf("code %q", code)
	}
	if loc := b.location(); strings.Contains(loc, code) || strings.Contains(loc, "?") {
		t.Fatalf("the sheet's address %s carries the code", loc)
	}
	b.accessible()

	r := s.open(phone)
	r.visit("/signin?as=resident")
	r.do(chromedp.SendKeys(css("#f-accessCode"), code))
	r.follow(`form:has(#f-accessCode) button[type=submit]`)
	if loc := r.location(); loc != "/r/" {
		t.Fatalf("the resident signed in and is at %s", loc)
	}
	if v := r.text(".viewer small"); v != "居民" {
		t.Fatalf("signed in as %q", v)
	}
}

// Classifying (rule 1) and registering a building from the compound's page on a phone:
// a professional property manager without one named is refused with the rule's words,
// a building of 0 units is told beside its field; both then go through.
func TestCompoundsClassifyAndBuilding(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1985, 58.6, 62.3)
	b := s.signedIn(phone, "li.community", auth.CommunityStaff, "regions/"+e.Community, "李社区")
	b.visit("/compounds/" + e.Compound.Id)
	// Opened by its attribute: a click on the summary can land on the page while a phone's
	// layout still settles, and then nothing opens.
	b.do(chromedp.SetAttributeValue(css(`#classification-section details`), "open", ""))
	b.do(chromedp.SetValue(css("#f-managementType"), "PROFESSIONAL_PM"), chromedp.SetValue(css("#f-governanceMode"), "INTRODUCE_PM"))
	b.fill("decidedBy", "石羊社区五方联席会")
	b.follow(`form[action$="/classify"] button[type=submit]`)
	if got := b.text("#form-error"); !strings.Contains(got, "规则1") {
		t.Fatalf("inconsistent classification: %q", got)
	}
	b.accessible()
	b.fill("propertyManager", "铜都物业")
	b.follow(`form[action$="/classify"] button[type=submit]`)
	if n := b.text("p.notice"); n != "分类已记录" {
		t.Fatalf("notice %q at %s", n, b.location())
	}
	if got := b.text("#classification-section dl"); !strings.Contains(got, "专业物业管理") || !strings.Contains(got, "引入物业") || !strings.Contains(got, "石羊社区五方联席会") {
		t.Fatalf("classification shown: %s", got)
	}

	// Opened by its attribute: a click on the summary can land on the page while a phone's
	// layout still settles, and then nothing opens.
	b.do(chromedp.SetAttributeValue(css(`#buildings-section details`), "open", ""))
	b.fill("building.name", "2号楼")
	b.fill("building.unitCount", "0")
	b.follow(`form[action$="/buildings"] button[type=submit]`)
	if got := b.text("#f-building-unitCount-error"); got != "单元数应为1至100" {
		t.Fatalf("0 units: error beside the field %q", got)
	}
	b.fill("building.unitCount", "3")
	b.fill("building.floorCount", "7")
	b.follow(`form[action$="/buildings"] button[type=submit]`)
	if n := b.text("p.notice"); n != "楼栋已登记" {
		t.Fatalf("notice %q at %s", n, b.location())
	}
	if got := b.text("#buildings-section table"); !strings.Contains(got, "2号楼") {
		t.Fatalf("buildings: %s", got)
	}
	b.accessible()
}

// The demo district's 322 compounds page by 50 for the district; the story compound's
// page, with its surveys, project, whistles and organisation as the demo has them,
// passes axe on a desktop and a phone.
func TestCompoundsDemo(t *testing.T) {
	s := startSite(t)
	sum := s.loadDemo()
	for i, size := range [][2]int64{desktop, phone} {
		b := s.signedIn(size, fmt.Sprintf("chen.district%d", i), auth.DistrictAdmin, "", "陈主任")
		b.visit("/compounds")
		if n := eval[int](b, `document.querySelectorAll("table.cmp-table tbody tr").length`); n != 50 {
			t.Fatalf("first page lists %d compounds, want 50 of %d", n, sum.Compounds)
		}
		b.accessible()
		b.follow(`nav.pager a[rel=next]`)
		if n := eval[int](b, `document.querySelectorAll("table.cmp-table tbody tr").length`); n == 0 {
			t.Fatalf("the second page is empty at %s", b.location())
		}
		b.visit("/compounds/" + sum.StoryCompoundID)
		main := b.text("main")
		for _, want := range []string{"民意调查", "改造项目", "组织体系"} {
			if !strings.Contains(main, want) {
				t.Errorf("the story compound's page lacks %q", want)
			}
		}
		b.accessible()
	}
}
