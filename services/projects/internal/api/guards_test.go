package api_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"tongdu/platform/testkit"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// TestApproveNeedsAPassedRenovationResolution: the owners of Shiyang Road No. 21 first
// vote the plan down (3 of 6 agree: consent 1/2 < 3/4), then pass it.
func TestApproveNeedsAPassedRenovationResolution(t *testing.T) {
	e := start(t)
	cid, hs := e.compound(t, 6)
	otherCID, otherHS := e.compound(t, 4)
	p := e.project(t, cid, 2021)
	approve := func(surveyID string) (*pb.Project, error) {
		return e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: p.Id, Actor: "区住建局 李科长", Reason: "业主表决通过", ResolutionSurveyId: surveyID})
	}

	// No resolution at all.
	_, err := approve("")
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	if !strings.Contains(meta["RESOLUTION_PASSED"], "no renovation resolution") {
		t.Fatalf("metadata %v", meta)
	}

	// A resolution still open.
	open := e.vote(t, cid, surveypb.Survey_RESOLUTION, surveypb.Survey_RENOVATION, hs, []string{"agree", "agree", "agree", "agree", "agree", "agree"}, false)
	_, err = approve(open)
	meta = testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	if !strings.Contains(meta["RESOLUTION_PASSED"], open+" is still open") {
		t.Fatalf("metadata %v", meta)
	}

	// Another compound's passed resolution does not approve this one.
	foreign := e.resolution(t, otherCID, otherHS, "agree", "agree", "agree", "agree")
	_, err = approve(foreign)
	meta = testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
	if !strings.Contains(meta["RESOLUTION_PASSED"], "not a renovation resolution of this compound") {
		t.Fatalf("metadata %v", meta)
	}

	// A passed resolution on another matter is no renovation resolution.
	fund := e.vote(t, cid, surveypb.Survey_RESOLUTION, surveypb.Survey_MAINTENANCE_FUND, hs, []string{"agree", "agree", "agree", "agree", "agree", "agree"}, true)
	_, err = approve(fund)
	testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")

	// The failed vote: refused with every figure behind it.
	failed := e.resolution(t, cid, hs, "agree", "agree", "agree", "disagree", "disagree", "abstain")
	for _, id := range []string{failed, ""} { // named, or found as the latest closed one
		_, err = approve(id)
		meta = testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
		d := meta["RESOLUTION_PASSED"]
		for _, figure := range []string{
			"resolution " + failed + " did not pass",
			"participation by households 6/6 = 1.0000 ≥ 2/3",
			"participation by area 360.00/360.00 m² = 1.0000 ≥ 2/3",
			"consent by households 3/6 = 0.5000 < 3/4",
			"consent by area 180.00/360.00 m² = 0.5000 < 3/4",
		} {
			if !strings.Contains(d, figure) {
				t.Fatalf("refusal %q lacks %q", d, figure)
			}
		}
		if pre := testkit.Preconditions(err); pre["RESOLUTION_PASSED"] != d {
			t.Fatalf("PreconditionFailure %v", pre)
		}
	}
	before := e.get(t, p.Id)
	if before.Status != pb.Project_PROPOSED || before.ResolutionSurveyId != "" || len(before.History) != 1 {
		t.Fatalf("refusals changed the project: %v", before)
	}

	// The owners vote again and pass it (5 of 6 agree).
	passed := e.resolution(t, cid, hs, "agree", "agree", "agree", "agree", "agree", "disagree")
	got := testkit.Must[*pb.Project](t)(approve(""))
	if got.Status != pb.Project_APPROVED || got.ResolutionSurveyId != passed {
		t.Fatalf("approved %s on %q, want %s", got.Status, got.ResolutionSurveyId, passed)
	}
	last := got.History[len(got.History)-1]
	if last.From != pb.Project_PROPOSED || last.To != pb.Project_APPROVED || last.Actor != "区住建局 李科长" || last.Reason != "业主表决通过" {
		t.Fatalf("history %v", last)
	}
	if e.get(t, p.Id).ResolutionSurveyId != passed {
		t.Fatal("resolutionSurveyId not stored")
	}

	// Naming the passed resolution works as well (a resolution of its own: rule 6, one
	// resolution approves one project); the latest closed one decides otherwise.
	q := e.project(t, cid, 2022)
	passedAgain := e.resolution(t, cid, hs, "agree", "agree", "agree", "agree", "agree", "disagree")
	if got := testkit.Must[*pb.Project](t)(e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: q.Id, Actor: "x", ResolutionSurveyId: passedAgain})); got.ResolutionSurveyId != passedAgain {
		t.Fatalf("approved on %q", got.ResolutionSurveyId)
	}
	downed := e.resolution(t, cid, hs, "disagree", "disagree", "disagree", "disagree", "disagree", "disagree")
	r := e.project(t, cid, 2023)
	_, err = e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: r.Id, Actor: "x"})
	if meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_SUPERSEDED"); meta["supersededBy"] != downed {
		t.Fatalf("metadata %v", meta)
	}
}

// TestStartConstructionNeedsTheBudgetCovered: the finance service's committed sources
// must cover the budget; the refusal says by how much they fall short. The plan is
// finance's own, made through its API: the district, a utility and the households (6
// quotas of 3,333.33 yuan) commit 450,000.50 yuan in all. A plan's sources are fixed
// once made, so the budget moves to them: one fen short, then exactly covered.
func TestStartConstructionNeedsTheBudgetCovered(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_APPROVED)

	_, err := e.act("startConstruction", p.Id)
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "FUNDING_NOT_COVERED")
	if meta["FUNDING_COVERED"] != "no funding plan for the project" {
		t.Fatalf("metadata %v", meta)
	}
	e.unchanged(t, p)

	plan := e.fundBy(t, p.Id, &financepb.Quota{Amount: &financepb.Quota_FlatFen{FlatFen: 333_333}},
		&financepb.FundingSource{Party: financepb.FundingSource_GOVERNMENT, Funder: "区住建局", CommittedFen: 40_000_000},
		&financepb.FundingSource{Party: financepb.FundingSource_SOCIAL, Funder: "国网供电公司", CommittedFen: 3_000_052},
		&financepb.FundingSource{Party: financepb.FundingSource_RESIDENTS, Funder: "石羊路21号院业主"})
	if plan.CommittedTotalFen != 45_000_050 || plan.CoversBudget || plan.ShortfallFen != budget-45_000_050 {
		t.Fatalf("finance's plan: committed %d, covers %t, short %d", plan.CommittedTotalFen, plan.CoversBudget, plan.ShortfallFen)
	}
	_, err = e.act("startConstruction", p.Id)
	meta = testkit.WantReason(t, err, codes.FailedPrecondition, "FUNDING_NOT_COVERED")
	if want := "committed 450000.50 < budget 600000.00 yuan, short by 149999.50"; meta["FUNDING_COVERED"] != want {
		t.Fatalf("metadata %v, want %q", meta, want)
	}
	if pre := testkit.Preconditions(err); pre["FUNDING_COVERED"] != meta["FUNDING_COVERED"] {
		t.Fatalf("PreconditionFailure %v", pre)
	}
	e.unchanged(t, p)

	const covered = 45_000_050
	budgetTo := func(fen int64) *pb.Project {
		t.Helper()
		return testkit.Must[*pb.Project](t)(e.UpdateProject(bg, &pb.UpdateProjectRequest{Project: &pb.Project{Id: p.Id, BudgetFen: fen}, UpdateMask: mask("budget_fen")}))
	}
	p = budgetTo(covered + 1)
	_, err = e.act("startConstruction", p.Id)
	meta = testkit.WantReason(t, err, codes.FailedPrecondition, "FUNDING_NOT_COVERED")
	if want := "committed 450000.50 < budget 450000.51 yuan, short by 0.01"; meta["FUNDING_COVERED"] != want {
		t.Fatalf("metadata %v, want %q", meta, want)
	}
	e.unchanged(t, p)

	budgetTo(covered)
	got := testkit.Must[*pb.Project](t)(e.act("startConstruction", p.Id))
	if got.Status != pb.Project_IN_CONSTRUCTION {
		t.Fatalf("status %s", got.Status)
	}
	// Once building, the budget the funding covered is fixed.
	_, err = e.UpdateProject(bg, &pb.UpdateProjectRequest{Project: &pb.Project{Id: p.Id, BudgetFen: budget * 2}, UpdateMask: mask("budget_fen")})
	testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_CLOSED")
	if e.get(t, p.Id).BudgetFen != covered {
		t.Fatal("budget changed")
	}
}

// TestRequestAcceptanceNeedsEveryItemComplete: progress reports set each item's progress;
// acceptance is requested only when all are at 100%.
func TestRequestAcceptanceNeedsEveryItemComplete(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_APPROVED)
	covers := e.item(t, p.Id, &pb.WorkItem{Category: pb.WorkItem_BASIC, Kind: pb.WorkItem_COVER_REPLACEMENT, Quantity: 7, Unit: "pcs", Difficulty: pb.WorkItem_EASY, SafetyCritical: true, EstimatedCostFen: 350_000})
	roadItem := e.items(t, p.Id)[0]

	// Progress is reported while building, not before.
	err := e.progress(p.Id, roadItem.Id, 50)
	testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_CLOSED")
	e.fund(t, p.Id, budget)
	p = testkit.Must[*pb.Project](t)(e.act("startConstruction", p.Id))

	if err := e.progress(p.Id, roadItem.Id, 60); err != nil {
		t.Fatal(err)
	}
	if err := e.progress(p.Id, covers.Id, 100); err != nil {
		t.Fatal(err)
	}
	if it := testkit.Must[*pb.WorkItem](t)(e.GetWorkItem(bg, &pb.GetWorkItemRequest{ProjectId: p.Id, Id: roadItem.Id})); it.ProgressPercent != 60 || it.Complete {
		t.Fatalf("road after a 60%% report: %v", it)
	}
	if it := testkit.Must[*pb.WorkItem](t)(e.GetWorkItem(bg, &pb.GetWorkItemRequest{ProjectId: p.Id, Id: covers.Id})); it.ProgressPercent != 100 || !it.Complete {
		t.Fatalf("covers after a 100%% report: %v", it)
	}
	if got := e.get(t, p.Id); got.ItemCount != 2 || got.CompleteItemCount != 1 || got.EstimatedCostFen != 19_360_000+350_000 {
		t.Fatalf("project figures: %d items, %d complete, %d fen", got.ItemCount, got.CompleteItemCount, got.EstimatedCostFen)
	}

	before := e.get(t, p.Id)
	_, err = e.act("requestAcceptance", p.Id)
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ITEMS_INCOMPLETE")
	if want := fmt.Sprintf("1 of 2 items complete; open: %s at 60%%", roadItem.Id); meta["ITEMS_COMPLETE"] != want {
		t.Fatalf("metadata %v, want %q", meta, want)
	}
	e.unchanged(t, before)

	// A report on an item the project does not have is bad input and changes nothing.
	err = e.progress(p.Id, "no-such-item", 100)
	testkit.WantViolation(t, err, "progressReport.itemId")

	if err := e.progress(p.Id, roadItem.Id, 100); err != nil {
		t.Fatal(err)
	}
	reports := testkit.Must[*pb.ListProgressReportsResponse](t)(e.ListProgressReports(bg, &pb.ListProgressReportsRequest{ProjectId: p.Id, ItemId: roadItem.Id}))
	if len(reports.ProgressReports) != 2 || reports.ProgressReports[0].ProgressPercent != 60 || reports.ProgressReports[1].ProgressPercent != 100 ||
		reports.ProgressReports[1].Contractor != "川建三公司" || reports.ProgressReports[1].ReportTime == nil {
		t.Fatalf("reports on the road: %v", reports.ProgressReports)
	}
	all := testkit.Must[*pb.ListProgressReportsResponse](t)(e.ListProgressReports(bg, &pb.ListProgressReportsRequest{ProjectId: p.Id}))
	if len(all.ProgressReports) != 3 {
		t.Fatalf("all reports: %v", all.ProgressReports)
	}
	got := testkit.Must[*pb.Project](t)(e.act("requestAcceptance", p.Id))
	if got.Status != pb.Project_PENDING_ACCEPTANCE || got.CompleteItemCount != 2 {
		t.Fatalf("status %s, %d complete", got.Status, got.CompleteItemCount)
	}
	// Progress is no longer reported once the works are done.
	testkit.WantReason(t, e.progress(p.Id, roadItem.Id, 100), codes.FailedPrecondition, "PROJECT_CLOSED")
}

func TestRequestAcceptanceOfAProjectWithoutItems(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.project(t, s.compound, 2050)
	testkit.Must[*pb.Project](t)(e.act("approve", p.Id))
	e.fund(t, p.Id, budget)
	testkit.Must[*pb.Project](t)(e.act("startConstruction", p.Id))
	_, err := e.act("requestAcceptance", p.Id)
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ITEMS_INCOMPLETE")
	if !strings.Contains(meta["ITEMS_COMPLETE"], "no work items") {
		t.Fatalf("metadata %v", meta)
	}
}

// TestSupervisionByResidentsOfTheCompoundOnly (居民监督).
func TestSupervisionByResidentsOfTheCompoundOnly(t *testing.T) {
	e := start(t)
	s := e.site(t)
	_, otherHS := e.compound(t, 2)
	proposed := e.reach(t, s, pb.Project_PROPOSED)
	report := func(pid, household, item string) (*pb.SupervisionReport, error) {
		return e.CreateSupervisionReport(bg, &pb.CreateSupervisionReportRequest{ProjectId: pid, SupervisionReport: &pb.SupervisionReport{
			HouseholdId: household, ItemId: item, Text: "路面沥青太薄，请监理复核"}})
	}
	_, err := report(proposed.Id, s.households[0], "")
	testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_CLOSED")

	p := e.reach(t, s, pb.Project_IN_CONSTRUCTION)
	roadItem := e.items(t, p.Id)[0]
	_, err = report(p.Id, otherHS[0], roadItem.Id)
	testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
	_, err = report(p.Id, "no-such-household", "")
	testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
	_, err = report(p.Id, s.households[0], "no-such-item")
	testkit.WantViolation(t, err, "supervisionReport.itemId")
	if got := testkit.Must[*pb.ListSupervisionReportsResponse](t)(e.ListSupervisionReports(bg, &pb.ListSupervisionReportsRequest{ProjectId: p.Id})); len(got.SupervisionReports) != 0 {
		t.Fatalf("refused reports were kept: %v", got.SupervisionReports)
	}

	r1 := testkit.Must[*pb.SupervisionReport](t)(report(p.Id, s.households[0], roadItem.Id))
	r2 := testkit.Must[*pb.SupervisionReport](t)(report(p.Id, s.households[1], ""))
	if r1.ProjectId != p.Id || r1.HouseholdId != s.households[0] || r1.ItemId != roadItem.Id || r1.ReportTime == nil || r1.Id == "" {
		t.Fatalf("report %v", r1)
	}
	got := testkit.Must[*pb.ListSupervisionReportsResponse](t)(e.ListSupervisionReports(bg, &pb.ListSupervisionReportsRequest{ProjectId: p.Id}))
	if len(got.SupervisionReports) != 2 || got.SupervisionReports[0].Id != r1.Id || got.SupervisionReports[1].Id != r2.Id {
		t.Fatalf("reports %v", got.SupervisionReports)
	}
	byHousehold := testkit.Must[*pb.ListSupervisionReportsResponse](t)(e.ListSupervisionReports(bg, &pb.ListSupervisionReportsRequest{ProjectId: p.Id, HouseholdId: s.households[1]}))
	if len(byHousehold.SupervisionReports) != 1 || byHousehold.SupervisionReports[0].Id != r2.Id {
		t.Fatalf("reports of household 2: %v", byHousehold.SupervisionReports)
	}
}

func conditionsOf(a *pb.Acceptance) map[string]*pb.AcceptanceCondition {
	out := map[string]*pb.AcceptanceCondition{}
	for _, c := range a.Conditions {
		out[c.Name] = c
	}
	return out
}

var conditionNames = []string{"SUPERVISOR_PASS", "CONTRACTOR_PASS", "BUILDER_PASS", "COMMUNITY_PASS", "ACCEPTANCE_SURVEY_CLOSED", "RESIDENTS_SATISFIED", "RESIDENTS_RESPONDED"}

// TestJointAcceptance: the supervisor first fails the works, later passes them; the
// residents' ACCEPTANCE survey closes with 3 of 4 respondents satisfied and 4 of 6
// households responding; the fourth PASS makes the project ACCEPTED by itself.
func TestJointAcceptance(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
	acceptance := func() *pb.Acceptance {
		t.Helper()
		return testkit.Must[*pb.Acceptance](t)(e.GetAcceptance(bg, &pb.GetAcceptanceRequest{ProjectId: p.Id}))
	}

	a := acceptance()
	if len(a.Conditions) != len(conditionNames) || a.AllHold || a.Status != pb.Project_PENDING_ACCEPTANCE || a.ProjectId != p.Id || len(a.Signoffs) != 0 {
		t.Fatalf("acceptance %v", a)
	}
	for i, c := range a.Conditions {
		if c.Name != conditionNames[i] || c.Holds || c.Detail == "" {
			t.Fatalf("condition %d: %v, want %s not holding, with a detail", i, c, conditionNames[i])
		}
	}
	if d := conditionsOf(a)["ACCEPTANCE_SURVEY_CLOSED"].Detail; !strings.Contains(d, "acceptanceSurveyId") {
		t.Fatalf("no survey: %q", d)
	}

	// The residents' survey, still open: 4 of 6 households answered, 3 satisfied.
	sid := e.acceptanceSurvey(t, s.compound, s.households, false, "satisfied", "unsatisfied", "satisfied", "satisfied")
	if got := e.setAcceptanceSurvey(t, p.Id, sid); got.AcceptanceSurveyId != sid {
		t.Fatalf("acceptance survey %q", got.AcceptanceSurveyId)
	}

	if err := e.signoff(p.Id, pb.Signoff_SUPERVISOR, pb.Signoff_FAIL, signers[pb.Signoff_SUPERVISOR], "无障碍坡道坡度1:8，应为1:12"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []pb.Signoff_Role{pb.Signoff_CONTRACTOR, pb.Signoff_BUILDER} {
		if err := e.signoff(p.Id, r, pb.Signoff_PASS, signers[r], "合格"); err != nil {
			t.Fatal(err)
		}
	}
	a = acceptance()
	cs := conditionsOf(a)
	if c := cs["SUPERVISOR_PASS"]; c.Holds || !strings.Contains(c.Detail, "FAIL") || !strings.Contains(c.Detail, "1:8") || !strings.Contains(c.Detail, signers[pb.Signoff_SUPERVISOR]) {
		t.Fatalf("after the FAIL: %v", c)
	}
	if !cs["CONTRACTOR_PASS"].Holds || !cs["BUILDER_PASS"].Holds || cs["COMMUNITY_PASS"].Holds || cs["COMMUNITY_PASS"].Detail != "no sign-off yet" {
		t.Fatalf("conditions %v", a.Conditions)
	}
	if c := cs["ACCEPTANCE_SURVEY_CLOSED"]; c.Holds || !strings.Contains(c.Detail, "still open") {
		t.Fatalf("open survey: %v", c)
	}
	if c := cs["RESIDENTS_SATISFIED"]; !c.Holds || c.Detail != "satisfied 3 of 4 respondents, 0.7500 ≥ 2/3 required" {
		t.Fatalf("satisfied: %v", c)
	}
	if c := cs["RESIDENTS_RESPONDED"]; !c.Holds || c.Detail != "responded 4 of 6 households, 0.6667 ≥ 1/2 required" {
		t.Fatalf("responded: %v", c)
	}
	if len(a.Signoffs) != 3 || a.Signoffs[0].Role != pb.Signoff_SUPERVISOR || a.Signoffs[0].Verdict != pb.Signoff_FAIL {
		t.Fatalf("sign-offs %v", a.Signoffs)
	}

	// The ramp is mended; the supervisor passes it. The survey is still open.
	if err := e.signoff(p.Id, pb.Signoff_SUPERVISOR, pb.Signoff_PASS, signers[pb.Signoff_SUPERVISOR], "已整改"); err != nil {
		t.Fatal(err)
	}
	testkit.Must[*surveypb.Survey](t)(e.sv.CloseSurvey(bg, &surveypb.CloseSurveyRequest{Id: sid}))
	if got := e.get(t, p.Id); got.Status != pb.Project_PENDING_ACCEPTANCE {
		t.Fatalf("accepted without the community's sign-off: %s", got.Status)
	}
	_, err := e.act("accept", p.Id)
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ACCEPTANCE_CONDITIONS_NOT_MET")
	if len(meta) != 1 || meta["COMMUNITY_PASS"] != "no sign-off yet" {
		t.Fatalf("metadata %v, want only COMMUNITY_PASS", meta)
	}

	// The fourth PASS.
	before := e.get(t, p.Id)
	if err := e.signoff(p.Id, pb.Signoff_COMMUNITY, pb.Signoff_PASS, signers[pb.Signoff_COMMUNITY], "居民满意"); err != nil {
		t.Fatal(err)
	}
	accepted := e.get(t, p.Id)
	if accepted.Status != pb.Project_ACCEPTED || len(accepted.History) != len(before.History)+1 {
		t.Fatalf("after the fourth PASS: %s, history %v", accepted.Status, accepted.History)
	}
	last := accepted.History[len(accepted.History)-1]
	if last.From != pb.Project_PENDING_ACCEPTANCE || last.To != pb.Project_ACCEPTED || !strings.Contains(last.Actor, signers[pb.Signoff_COMMUNITY]) || last.Reason == "" {
		t.Fatalf("history %v", last)
	}
	a = acceptance()
	if !a.AllHold || a.Status != pb.Project_ACCEPTED || a.AcceptanceSurveyId != sid || len(a.Signoffs) != 4 {
		t.Fatalf("acceptance %v", a)
	}
	for _, c := range a.Conditions {
		if !c.Holds {
			t.Fatalf("condition %v", c)
		}
	}
	for i, so := range a.Signoffs {
		if so.Role != roles[i] || so.Verdict != pb.Signoff_PASS || so.SignTime == nil || so.Id == "" {
			t.Fatalf("sign-off %d: %v", i, so)
		}
	}

	// :accept of an accepted project answers it unchanged.
	for range 3 {
		got := testkit.Must[*pb.Project](t)(e.act("accept", p.Id))
		if got.Status != pb.Project_ACCEPTED || got.Etag != accepted.Etag || len(got.History) != len(accepted.History) {
			t.Fatalf(":accept again: %s %s, %d entries", got.Status, got.Etag, len(got.History))
		}
	}
	e.unchanged(t, accepted)

	// Nothing more is signed, reported or added.
	testkit.WantReason(t, e.signoff(p.Id, pb.Signoff_SUPERVISOR, pb.Signoff_FAIL, "x", "too late"), codes.FailedPrecondition, "PROJECT_CLOSED")
	_, err = e.CreateWorkItem(bg, &pb.CreateWorkItemRequest{ProjectId: p.Id, Item: road()})
	testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_CLOSED")
	if got := acceptance(); !got.AllHold || got.Signoffs[0].Verdict != pb.Signoff_PASS {
		t.Fatalf("a refused sign-off was kept: %v", got.Signoffs)
	}
	e.unchanged(t, accepted)
}

// Too few residents satisfied: four PASS sign-offs do not accept the project, and :accept
// says by how much the survey falls short.
func TestAcceptanceRefusedWhenResidentsAreNotSatisfied(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
	// 3 of 6 answered (exactly half: enough), 1 of 3 satisfied (< 2/3).
	sid := e.acceptanceSurvey(t, s.compound, s.households, true, "satisfied", "unsatisfied", "unsatisfied")
	e.setAcceptanceSurvey(t, p.Id, sid)
	for _, r := range roles {
		if err := e.signoff(p.Id, r, pb.Signoff_PASS, signers[r], ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.get(t, p.Id); got.Status != pb.Project_PENDING_ACCEPTANCE {
		t.Fatalf("accepted with 1 of 3 satisfied: %s", got.Status)
	}
	_, err := e.act("accept", p.Id)
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ACCEPTANCE_CONDITIONS_NOT_MET")
	if len(meta) != 1 || meta["RESIDENTS_SATISFIED"] != "satisfied 1 of 3 respondents, 0.3333 < 2/3 required" {
		t.Fatalf("metadata %v", meta)
	}
	cs := conditionsOf(testkit.Must[*pb.Acceptance](t)(e.GetAcceptance(bg, &pb.GetAcceptanceRequest{ProjectId: p.Id})))
	if c := cs["RESIDENTS_RESPONDED"]; !c.Holds || c.Detail != "responded 3 of 6 households, 0.5000 ≥ 1/2 required" {
		t.Fatalf("responded: %v", c)
	}

	// A survey of another kind, or of another compound, is no residents' acceptance:
	// naming one is bad input (rule 6), and the project keeps its survey.
	otherCID, otherHS := e.compound(t, 2)
	foreign := e.acceptanceSurvey(t, otherCID, otherHS, true, "satisfied", "satisfied")
	for _, bad := range []string{foreign, s.passedResolution} {
		_, err = e.UpdateProject(bg, &pb.UpdateProjectRequest{Project: &pb.Project{Id: p.Id, AcceptanceSurveyId: bad}, UpdateMask: mask("acceptance_survey_id")})
		testkit.WantViolation(t, err, "project.acceptanceSurveyId")
		if got := e.get(t, p.Id).AcceptanceSurveyId; got != sid {
			t.Fatalf("acceptance survey %q after a refused update, want %s", got, sid)
		}
	}

	// With the site's good survey the project is accepted on request.
	e.setAcceptanceSurvey(t, p.Id, s.acceptance)
	if got := testkit.Must[*pb.Project](t)(e.act("accept", p.Id)); got.Status != pb.Project_ACCEPTED {
		t.Fatalf("status %s", got.Status)
	}
}

// PENDING_ACCEPTANCE means every item is complete (projects.proto); an accepted project
// must not have an unfinished item, whatever happened to the plan while it waited.
func TestAnAcceptedProjectHasNoIncompleteItem(t *testing.T) {
	e := start(t)
	s := e.site(t)
	t.Run("item added while pending acceptance", func(t *testing.T) {
		p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
		_, addErr := e.CreateWorkItem(bg, &pb.CreateWorkItemRequest{ProjectId: p.Id, Item: &pb.WorkItem{
			Category: pb.WorkItem_UPGRADE, Kind: pb.WorkItem_PAVILION, Quantity: 1, Unit: "pcs", Difficulty: pb.WorkItem_MEDIUM, EstimatedCostFen: 3_000_000}})
		e.acceptWithEverySignoff(t, s, p.Id)
		if got := e.get(t, p.Id); got.Status == pb.Project_ACCEPTED && got.CompleteItemCount != got.ItemCount {
			t.Errorf("BUG: project ACCEPTED with %d of %d items complete (the item was added while PENDING_ACCEPTANCE: %v)", got.CompleteItemCount, got.ItemCount, addErr)
		}
	})
	t.Run("item set back while pending acceptance", func(t *testing.T) {
		p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
		it := e.items(t, p.Id)[0]
		_, editErr := e.UpdateWorkItem(bg, &pb.UpdateWorkItemRequest{ProjectId: p.Id, Item: &pb.WorkItem{Id: it.Id, ProgressPercent: 40}, UpdateMask: mask("progress_percent")})
		e.acceptWithEverySignoff(t, s, p.Id)
		if got := e.get(t, p.Id); got.Status == pb.Project_ACCEPTED && got.CompleteItemCount != got.ItemCount {
			t.Errorf("BUG: project ACCEPTED with %d of %d items complete (progress was set back while PENDING_ACCEPTANCE: %v)", got.CompleteItemCount, got.ItemCount, editErr)
		}
	})
}

func (e *env) acceptWithEverySignoff(t *testing.T, s *site, pid string) {
	t.Helper()
	e.setAcceptanceSurvey(t, pid, s.acceptance)
	for _, r := range roles {
		if err := e.signoff(pid, r, pb.Signoff_PASS, signers[r], ""); err != nil {
			t.Fatal(err)
		}
	}
}

// Four PASS sign-offs at once: whichever lands last sees all four, and the project is
// accepted exactly once.
func TestConcurrentSignoffsAcceptOnce(t *testing.T) {
	e := start(t)
	s := e.site(t)
	for range 3 {
		p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
		e.setAcceptanceSurvey(t, p.Id, s.acceptance)
		errs := make(chan error, len(roles)*2)
		var wg sync.WaitGroup
		for _, r := range append(slices.Clone(roles), roles...) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- e.signoff(p.Id, r, pb.Signoff_PASS, signers[r], "")
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			// A sign-off that arrives after the acceptance is PROJECT_CLOSED.
			if err != nil {
				testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_CLOSED")
			}
		}
		got := e.get(t, p.Id)
		if got.Status != pb.Project_ACCEPTED {
			t.Fatalf("status %s after four PASS sign-offs at once", got.Status)
		}
		n := 0
		for _, h := range got.History {
			if h.To == pb.Project_ACCEPTED {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("accepted %d times: %v", n, got.History)
		}
	}
}

// Progress reports on one item at once: every report is kept, and the item shows one of
// them.
func TestConcurrentProgressReports(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_IN_CONSTRUCTION)
	it := e.items(t, p.Id)[0]
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.progress(p.Id, it.Id, int32(5*(i+1)))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	reports := testkit.Must[*pb.ListProgressReportsResponse](t)(e.ListProgressReports(bg, &pb.ListProgressReportsRequest{ProjectId: p.Id}))
	if len(reports.ProgressReports) != 20 {
		t.Fatalf("%d reports kept of 20", len(reports.ProgressReports))
	}
	got := testkit.Must[*pb.WorkItem](t)(e.GetWorkItem(bg, &pb.GetWorkItemRequest{ProjectId: p.Id, Id: it.Id}))
	if got.ProgressPercent%5 != 0 || got.ProgressPercent < 5 {
		t.Fatalf("progress %d is none of the reports'", got.ProgressPercent)
	}
}

// A sign-off retried with its request id must not undo a later sign-off of the same role.
func TestARetriedSignoffDoesNotReplaceALaterOne(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
	fail := &pb.CreateSignoffRequest{ProjectId: p.Id, RequestId: "signoff-1", Signoff: &pb.Signoff{Role: pb.Signoff_SUPERVISOR, Verdict: pb.Signoff_FAIL, Signer: signers[pb.Signoff_SUPERVISOR], Remarks: "坡道过陡"}}
	first := testkit.Must[*pb.Signoff](t)(e.CreateSignoff(bg, fail))
	pass := testkit.Must[*pb.Signoff](t)(e.CreateSignoff(bg, &pb.CreateSignoffRequest{ProjectId: p.Id, RequestId: "signoff-2", Signoff: &pb.Signoff{Role: pb.Signoff_SUPERVISOR, Verdict: pb.Signoff_PASS, Signer: signers[pb.Signoff_SUPERVISOR], Remarks: "已整改"}}))
	again := testkit.Must[*pb.Signoff](t)(e.CreateSignoff(bg, fail)) // the first request, retried late
	if again.Id != first.Id {
		t.Fatalf("the retry made sign-off %s, the first was %s", again.Id, first.Id)
	}
	a := testkit.Must[*pb.Acceptance](t)(e.GetAcceptance(bg, &pb.GetAcceptanceRequest{ProjectId: p.Id}))
	if len(a.Signoffs) != 1 || a.Signoffs[0].Id != pass.Id || a.Signoffs[0].Verdict != pb.Signoff_PASS {
		t.Errorf("BUG: a late retry of request %s replaced the supervisor's later PASS %s with %v", fail.RequestId, pass.Id, a.Signoffs)
	}
}

func TestAcceptanceOfAMissingProjectOrSurvey(t *testing.T) {
	e := start(t)
	s := e.site(t)
	_, err := e.GetAcceptance(bg, &pb.GetAcceptanceRequest{ProjectId: "no-such-project"})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.CreateSignoff(bg, &pb.CreateSignoffRequest{ProjectId: "no-such-project", Signoff: &pb.Signoff{Role: pb.Signoff_BUILDER, Verdict: pb.Signoff_PASS, Signer: "x"}})
	testkit.WantStatus(t, err, codes.NotFound)

	p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
	_, err = e.UpdateProject(bg, &pb.UpdateProjectRequest{Project: &pb.Project{Id: p.Id, AcceptanceSurveyId: "no-such-survey"}, UpdateMask: mask("acceptance_survey_id")})
	testkit.WantViolation(t, err, "project.acceptanceSurveyId")
	e.acceptWithEverySignoff(t, s, p.Id) // names the good survey
	if got := e.get(t, p.Id); got.Status != pb.Project_ACCEPTED {
		t.Fatalf("status %s", got.Status)
	}
	// None named: the site's survey, older than the request for acceptance, does not count.
	q := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
	for _, r := range roles {
		if err := e.signoff(q.Id, r, pb.Signoff_PASS, signers[r], ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.act("accept", q.Id)
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ACCEPTANCE_CONDITIONS_NOT_MET")
	if meta["ACCEPTANCE_SURVEY_CLOSED"] == "" || meta["RESIDENTS_SATISFIED"] == "" {
		t.Fatalf("metadata %v", meta)
	}
	// Sign-offs are taken only while acceptance is pending.
	r := e.reach(t, s, pb.Project_IN_CONSTRUCTION)
	testkit.WantReason(t, e.signoff(r.Id, pb.Signoff_BUILDER, pb.Signoff_PASS, "x", ""), codes.FailedPrecondition, "PROJECT_CLOSED")
}
