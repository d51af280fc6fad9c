package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance"
)

// organisationFixture is a community's organisation made by gRPC: a compound branch, a
// grid cell over the building, a linked unit with one in-service member who served
// twice this year, and an open election of the building's leader with two votes.
type organisationFixture struct {
	estate
	Election string
}

// organisationAccessible runs axe on a page of a browser with scripts off: scripts go
// on for the check (axe is a script) and off again for the next form.
func organisationAccessible(b *browser) {
	b.t.Helper()
	scripts := func(off bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
			return err
		})
	}
	b.do(scripts(false))
	b.accessible()
	b.do(scripts(true))
}

func organisationSetUp(s *site) organisationFixture {
	s.t.Helper()
	ctx, gov := s.district(), s.gov()
	e := s.newEstate("石羊小区", 1995, 60, 70, 80, 90)
	testkit.Must[*governancepb.PartyBranch](s.t)(gov.CreatePartyBranch(ctx, &governancepb.CreatePartyBranchRequest{PartyBranch: &governancepb.PartyBranch{
		Name: "石羊小区党支部", Kind: governancepb.PartyBranch_COMPOUND, CompoundId: e.Compound.Id, CommunityId: e.Community, Secretary: "李书记", MemberCount: 23}}))
	testkit.Must[*governancepb.GridCell](s.t)(gov.CreateGridCell(ctx, &governancepb.CreateGridCellRequest{GridCell: &governancepb.GridCell{
		Name: "石羊第一网格", CommunityId: e.Community, GridWorker: "王网格", BuildingIds: []string{e.Building}}}))
	unit := testkit.Must[*governancepb.LinkedUnit](s.t)(gov.CreateLinkedUnit(ctx, &governancepb.CreateLinkedUnitRequest{LinkedUnit: &governancepb.LinkedUnit{
		Name: "区住建局机关党支部", CommunityId: e.Community, Contact: "赵科长"}}))
	member := testkit.Must[*governancepb.PartyMember](s.t)(gov.CreatePartyMember(ctx, &governancepb.CreatePartyMemberRequest{PartyMember: &governancepb.PartyMember{
		Name: "张三丰", ResidenceCommunityId: e.Community, LinkedUnitId: unit.Id}}))
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	for _, h := range []float64{2, 1.5} {
		testkit.Must[*governancepb.ServiceRecord](s.t)(gov.CreateServiceRecord(ctx, &governancepb.CreateServiceRecordRequest{PartyMemberId: member.Id,
			ServiceRecord: &governancepb.ServiceRecord{Date: today, Hours: h, Activity: "楼道清扫", CompoundId: e.Compound.Id}}))
	}
	hs := e.Households
	el := testkit.Must[*governancepb.LeaderElection](s.t)(gov.CreateLeaderElection(ctx, &governancepb.CreateLeaderElectionRequest{LeaderElection: &governancepb.LeaderElection{
		BuildingId: e.Building, CandidateHouseholdIds: []string{hs[0].Id, hs[1].Id}}}))
	for _, voter := range []string{hs[0].Id, hs[2].Id} {
		testkit.Must[*governancepb.LeaderElection](s.t)(gov.CastLeaderVote(ctx, &governancepb.CastLeaderVoteRequest{Id: el.Id, HouseholdId: voter, CandidateHouseholdId: hs[0].Id}))
	}
	return organisationFixture{estate: e, Election: el.Id}
}

// The organisation of a community on a desktop and a phone: branch, grid cell, linked
// unit with its report-back, the in-service member masked (rule 13) with their service,
// the buildings' leaders; the election's tally (rule 12), a vote recorded on screen and
// the election closed with its winner. A linked unit without a name is refused beside
// the field. Every page passes axe.
func TestOrganisationOnScreen(t *testing.T) {
	s := startSite(t)
	f := organisationSetUp(s)
	for i, size := range [][2]int64{desktop, phone} {
		b := s.signedIn(size, []string{"liu.district", "liu.phone"}[i], auth.DistrictAdmin, "", "刘科长")
		b.visit("/organisation")
		page := b.text("main")
		for _, want := range []string{"石羊社区", "石羊小区党支部", "小区党支部", "李书记", "石羊第一网格", "王网格", "石羊小区 1号楼", "区住建局机关党支部", "赵科长", "张**", "3.5"} {
			if !strings.Contains(page, want) {
				t.Errorf("%v: the organisation page lacks %q:\n%s", size, want, page)
			}
		}
		if strings.Contains(page, "三丰") {
			t.Errorf("the member's name is not masked: %s", page)
		}
		b.accessible()

		b.visit("/organisation/elections/" + f.Election)
		page = b.text("main")
		for _, want := range []string{"石羊小区 1号楼 楼栋长选举", "投票中", "50.0%", "已投 2 户 / 应投 4 户", "1单元 101室"} {
			if !strings.Contains(page, want) {
				t.Errorf("%v: the election page lacks %q:\n%s", size, want, page)
			}
		}
		b.accessible()
	}

	// An auditor reads the election with its candidates masked, and the organisation
	// without what auditors may not read (grid cells, the members).
	a := s.signedIn(desktop, "sun.audit", auth.Auditor, "", "孙审计")
	a.visit("/organisation/elections/" + f.Election)
	if page := a.text("main"); !strings.Contains(page, "（已隐去）") || strings.Contains(page, "101室") {
		t.Errorf("an auditor learns the candidates: %s", page)
	}
	a.accessible()
	a.visit("/organisation")
	if page := a.text("main"); !strings.Contains(page, "区住建局机关党支部") || strings.Contains(page, "石羊第一网格") || strings.Contains(page, "张**") {
		t.Errorf("an auditor's organisation page: %s", page)
	}
	a.accessible()

	// A building leader, of one compound, sees their compound's buildings and elections.
	l := s.signedIn(phone, "qian.leader", auth.BuildingLeader, "compounds/"+f.Compound.Id, "钱楼长")
	l.visit("/organisation")
	if page := l.text("main"); !strings.Contains(page, "石羊小区 1号楼") || strings.Contains(page, "区住建局机关党支部") {
		t.Errorf("a building leader's organisation page: %s", page)
	}
	l.accessible()
	l.visit("/organisation/elections/" + f.Election)
	if page := l.text("main"); !strings.Contains(page, "1单元 101室") {
		t.Errorf("a building leader's election page: %s", page)
	}

	// A clerk records a paper ballot and closes the election, scripts off.
	s.addAccount(governance.NewAccount{Login: "ma.community", DisplayName: "马干事", Role: auth.CommunityStaff, Scope: "regions/" + f.Community, Password: testPassword})
	b := s.openNoScript(phone)
	b.signIn("ma.community", testPassword)
	b.visit("/organisation/elections/" + f.Election)
	b.do(chromedp.SetValue(css("#f-householdId"), f.Households[3].Id), chromedp.SetValue(css("#f-candidateHouseholdId"), f.Households[1].Id))
	b.follow(`form[action$="/vote"] button[type=submit]`)
	if n := b.text(".notice"); n != "选票已登记" {
		t.Fatalf("after recording a vote: notice %q", n)
	}
	if page := b.text("main"); !strings.Contains(page, "已投 3 户 / 应投 4 户") {
		t.Fatalf("the vote is not counted: %s", page)
	}
	b.follow(`form[action$="/close"] button[type=submit]`)
	page := b.text("main")
	for _, want := range []string{"已结束", "当选", "1单元 101室", "75.0%"} {
		if !strings.Contains(page, want) {
			t.Errorf("the closed election lacks %q:\n%s", want, page)
		}
	}
	organisationAccessible(b)

	b.visit("/organisation")
	if page := b.text("main"); !strings.Contains(page, "已选出") {
		t.Errorf("the building's leader is not shown as elected: %s", page)
	}
	b.do(chromedp.Click(css(`#organisation\.unit summary`)))
	b.follow(`form[action="/organisation/linked-units"] button[type=submit]`)
	if e := b.text("#f-linkedUnit-name-error"); e == "" {
		t.Fatal("a linked unit without a name: no error beside the name")
	}
	organisationAccessible(b)
	b.fill("linkedUnit.name", "铜都供电所")
	b.follow(`form[action="/organisation/linked-units"] button[type=submit]`)
	if n := b.text(".notice"); n != "挂联单位已登记" {
		t.Fatalf("after linking a unit: notice %q", n)
	}
	if page := b.text("main"); !strings.Contains(page, "铜都供电所") {
		t.Fatalf("the new linked unit is not listed: %s", page)
	}

	// A service of the member (双服务): hours left out are asked for beside the field;
	// recorded, they count in the report-back.
	b.do(chromedp.Click(css(`#organisation\.record summary`)),
		chromedp.Evaluate[chromedp.Void](`{const s = document.querySelector("#f-partyMemberId"); s.value = s.options[1].value}`, chromedp.EvalAsValue))
	b.fill("serviceRecord.activity", "帮助行动不便的老人下楼")
	b.follow(`form[action="/organisation/service-records"] button[type=submit]`)
	if e := b.text("#f-serviceRecord-hours-error"); e == "" {
		t.Fatal("a service without hours: no error beside the hours")
	}
	b.fill("serviceRecord.hours", "2")
	b.follow(`form[action="/organisation/service-records"] button[type=submit]`)
	if n := b.text(".notice"); n != "服务已登记" {
		t.Fatalf("after recording a service: notice %q", n)
	}
	if page := b.text("#organisation\\.member"); !strings.Contains(page, "5.5") {
		t.Fatalf("the service is not counted: %s", page)
	}
}

// Rule 16 on screen, scripts off: a district administrator makes a community's staff
// account; two different passwords and a short one are each told beside the field and
// never typed back; the new account signs in elsewhere and sees only its community's
// accounts; the audit trail names the administrator as the one who made it; disabled,
// it can no longer sign in.
func TestAccountsOnScreen(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊小区", 1995, 60)
	s.addAccount(governance.NewAccount{Login: "lin.admin", DisplayName: "林主任", Role: auth.DistrictAdmin, Password: testPassword})
	s.addAccount(governance.NewAccount{Login: "he.subdistrict", DisplayName: "何街道", Role: auth.SubdistrictStaff, Scope: "regions/" + e.Subdistrict, Password: testPassword})

	b := s.openNoScript(desktop)
	b.signIn("lin.admin", testPassword)
	b.visit("/accounts")
	organisationAccessible(b)

	const password = "铜都-新账号-口令足够长了"
	create := func(pw, again string) {
		b.fill("login", "zhou.community")
		b.fill("displayName", "周干事")
		b.do(chromedp.SetValue(css("#f-role"), "COMMUNITY_STAFF"), chromedp.SetValue(css("#f-scope"), "regions/"+e.Community))
		b.fill("password", pw)
		b.fill("passwordAgain", again)
		b.follow(`form[action="/accounts"] button[type=submit]`)
	}
	create(password, password+"x")
	if e := b.text("#f-passwordAgain-error"); e != "两次输入的密码不一致" {
		t.Fatalf("different passwords: beside the second %q", e)
	}
	if v := eval[string](b, `document.querySelector("#f-password").value + document.querySelector("#f-passwordAgain").value`); v != "" {
		t.Fatalf("a password was typed back into the form: %q", v)
	}
	if v := eval[string](b, `document.querySelector("#f-login").value`); v != "zhou.community" {
		t.Fatalf("the login was not kept: %q", v)
	}
	organisationAccessible(b)
	create("短口令", "短口令")
	if e := b.text("#f-password-error"); !strings.Contains(e, "12") {
		t.Fatalf("a short password: beside the field %q", e)
	}
	create(password, password)
	if n := b.text(".notice"); n != "账号已创建" {
		t.Fatalf("after creating: notice %q at %s", n, b.location())
	}
	if page := b.text("main table"); !strings.Contains(page, "zhou.community") || !strings.Contains(page, "社区工作人员") || !strings.Contains(page, "社区 石羊社区") {
		t.Fatalf("the new account is not listed with its role and scope: %s", page)
	}

	c := s.open(phone)
	c.signIn("zhou.community", password)
	c.visit("/accounts")
	list := c.text("main table")
	if !strings.Contains(list, "zhou.community") || strings.Contains(list, "lin.admin") || strings.Contains(list, "he.subdistrict") {
		t.Fatalf("the community's staff see other accounts than their community's: %s", list)
	}
	if opts := eval[string](c, `[...document.querySelectorAll("#f-role option")].map(o => o.value).join(" ")`); strings.Contains(opts, "DISTRICT_ADMIN") || strings.Contains(opts, "SUBDISTRICT_STAFF") || strings.Contains(opts, "AUDITOR") {
		t.Fatalf("a community's staff are offered roles above their own: %s", opts)
	}
	c.accessible()

	b.visit("/audit")
	row := eval[string](b, `[...document.querySelectorAll("main tbody tr")].map(r => r.innerText).find(t => t.includes("CreateAccount")) || ""`)
	if !strings.Contains(row, "林主任（lin.admin）") || !strings.Contains(row, "成功") || !strings.Contains(row, "区住建局管理员") {
		t.Fatalf("the audit trail does not show the creation by the administrator: %q\n%s", row, b.text("main"))
	}
	organisationAccessible(b)
	// Only the new account's doings: its sign-in, none of the administrator's.
	b.do(chromedp.Evaluate[chromedp.Void](`{const s = document.querySelector("#f-actor"); s.value = [...s.options].find(o => o.text.includes("zhou.community")).value}`, chromedp.EvalAsValue))
	b.follow(`form[action="/audit"] button[type=submit]`)
	if page := b.text("main tbody"); !strings.Contains(page, "CreateSession") || strings.Contains(page, "lin.admin") {
		t.Fatalf("the audit trail filtered by the new account: %s", page)
	}

	b.visit("/accounts")
	b.follow(`button[aria-label="停用 zhou.community"]`)
	if n := b.text(".notice"); !strings.HasPrefix(n, "账号已停用") {
		t.Fatalf("after disabling: notice %q", n)
	}
	c.visit("/accounts")
	if loc := c.location(); !strings.HasPrefix(loc, "/signin") {
		t.Fatalf("the disabled account's session goes on at %s", loc)
	}
	d := s.open(desktop)
	d.signIn("zhou.community", password)
	if e := d.text("#f-password-error"); e != "登录名或密码不正确" {
		t.Fatalf("a disabled account signs in: %q at %s", e, d.location())
	}
}
