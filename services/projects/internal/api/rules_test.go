package api_test

// Rules a district can audit (issue "Rules a district can audit"): rule 6's approval and
// acceptance guards and rule 5's order of works, through the gRPC API.

import (
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// Rule 6 (approval needs the compound's latest closed renovation resolution, passed): a
// pass that a later failed vote superseded approves nothing, whether cited or relied on.
func TestApproveRefusesAPassSupersededByALaterFailedVote(t *testing.T) {
	e := start(t)
	cid, hs := e.compound(t, 6)
	passed := e.resolution(t, cid, hs, "agree", "agree", "agree", "agree", "agree", "disagree")
	failed := e.resolution(t, cid, hs, "agree", "agree", "disagree", "disagree", "disagree", "abstain")
	p := e.project(t, cid, 2021)
	for _, cited := range []string{passed, ""} {
		_, err := e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: p.Id, Actor: "区住建局 李科长", ResolutionSurveyId: cited})
		meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_SUPERSEDED")
		if meta["supersededBy"] != failed {
			t.Fatalf("cited %q: metadata %v, want supersededBy %s", cited, meta, failed)
		}
		e.unchanged(t, p)
	}
	// The owners vote again and pass it: the latest closed resolution approves.
	again := e.resolution(t, cid, hs, "agree", "agree", "agree", "agree", "agree", "agree")
	_, err := e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: p.Id, Actor: "x", ResolutionSurveyId: passed})
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_SUPERSEDED")
	if meta["supersededBy"] != again {
		t.Fatalf("metadata %v, want supersededBy %s", meta, again)
	}
	got := testkit.Must[*pb.Project](t)(e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: p.Id, Actor: "x"}))
	if got.Status != pb.Project_APPROVED || got.ResolutionSurveyId != again {
		t.Fatalf("approved %s on %q, want APPROVED on %s", got.Status, got.ResolutionSurveyId, again)
	}
}

// Rule 6 (a resolution used by no other project): one resolution approves one project.
func TestOneResolutionApprovesOneProject(t *testing.T) {
	e := start(t)
	cid, hs := e.compound(t, 6)
	r := e.resolution(t, cid, hs, "agree", "agree", "agree", "agree", "agree", "agree")
	first, second := e.project(t, cid, 2021), e.project(t, cid, 2022)
	testkit.Must[*pb.Project](t)(e.act("approve", first.Id))
	for _, cited := range []string{r, ""} {
		_, err := e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: second.Id, Actor: "x", ResolutionSurveyId: cited})
		meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_ALREADY_USED")
		if meta["project"] != first.Id {
			t.Fatalf("metadata %v, want project %s", meta, first.Id)
		}
		e.unchanged(t, second)
	}
	// A retry of the first approval is not a second use.
	if got := e.get(t, first.Id); got.Status != pb.Project_APPROVED || got.ResolutionSurveyId != r {
		t.Fatalf("first project %s on %q", got.Status, got.ResolutionSurveyId)
	}
}

// Rule 6 (a resolution used by no other project), under a race: of projects approved at
// once on one resolution, exactly one wins; the others are refused.
func TestConcurrentApprovalsOnOneResolutionOneWins(t *testing.T) {
	e := start(t)
	cid, hs := e.compound(t, 6)
	e.resolution(t, cid, hs, "agree", "agree", "agree", "agree", "agree", "agree")
	var ps []*pb.Project
	for i := range 6 {
		ps = append(ps, e.project(t, cid, int32(2021+i)))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ps))
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.act("approve", p.Id)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_ALREADY_USED")
	}
	approved := 0
	for _, p := range ps {
		if e.get(t, p.Id).Status == pb.Project_APPROVED {
			approved++
		}
	}
	if won != 1 || approved != 1 {
		t.Fatalf("%d approvals answered OK and %d projects approved on one resolution, want 1 and 1", won, approved)
	}
}

// Rule 6 (acceptance needs a closed ACCEPTANCE survey): the survey a project names must be
// an ACCEPTANCE survey of its compound; anything else is bad input on the field.
func TestAcceptanceSurveyMustBeAnAcceptanceSurveyOfTheCompound(t *testing.T) {
	e := start(t)
	s := e.site(t)
	otherCID, otherHS := e.compound(t, 4)
	foreign := e.acceptanceSurvey(t, otherCID, otherHS, true, "satisfied")
	p := e.project(t, s.compound, 2021)
	for _, c := range []struct{ id, says string }{
		{s.passedResolution, "RESOLUTION"},
		{foreign, "another compound"},
		{"no-such-survey", "no survey"},
	} {
		_, err := e.UpdateProject(bg, &pb.UpdateProjectRequest{Project: &pb.Project{Id: p.Id, AcceptanceSurveyId: c.id}, UpdateMask: mask("acceptance_survey_id")})
		testkit.WantViolation(t, err, "project.acceptanceSurveyId")
		if !strings.Contains(err.Error(), c.says) {
			t.Fatalf("%s: %v does not say %q", c.id, err, c.says)
		}
		e.unchanged(t, p)
	}
	_, err := e.CreateProject(bg, &pb.CreateProjectRequest{Project: &pb.Project{CompoundId: s.compound, Title: "t", Year: 2030, AcceptanceSurveyId: s.passedResolution}})
	testkit.WantViolation(t, err, "project.acceptanceSurveyId")
	if got := e.setAcceptanceSurvey(t, p.Id, s.acceptance); got.AcceptanceSurveyId != s.acceptance {
		t.Fatalf("acceptance survey %q", got.AcceptanceSurveyId)
	}
}

// Rule 6 (acceptance needs a closed ACCEPTANCE survey): with none named, the compound's
// latest closed ACCEPTANCE survey opened after the project reached PENDING_ACCEPTANCE
// counts; one from before (the site's) does not.
func TestAcceptanceWithoutASurveyNamedTakesTheLatestAfterPending(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_PENDING_ACCEPTANCE)
	for _, r := range roles {
		if err := e.signoff(p.Id, r, pb.Signoff_PASS, signers[r], "合格"); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.get(t, p.Id); got.Status != pb.Project_PENDING_ACCEPTANCE {
		t.Fatalf("accepted on a survey older than the request for acceptance: %s", got.Status)
	}
	_, err := e.act("accept", p.Id)
	meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ACCEPTANCE_CONDITIONS_NOT_MET")
	if _, ok := meta["ACCEPTANCE_SURVEY_CLOSED"]; !ok {
		t.Fatalf("metadata %v", meta)
	}
	later := e.acceptanceSurvey(t, s.compound, s.households, true, "satisfied", "satisfied", "satisfied", "unsatisfied")
	a := testkit.Must[*pb.Acceptance](t)(e.GetAcceptance(bg, &pb.GetAcceptanceRequest{ProjectId: p.Id}))
	if !a.AllHold {
		t.Fatalf("acceptance on the later survey %s: %v", later, a)
	}
	got := testkit.Must[*pb.Project](t)(e.act("accept", p.Id))
	if got.Status != pb.Project_ACCEPTED {
		t.Fatalf("status %s", got.Status)
	}
}

func kindItem(kind pb.WorkItem_Kind, cat pb.WorkItem_Category, after ...string) *pb.WorkItem {
	return &pb.WorkItem{Category: cat, Kind: kind, Quantity: 10, Unit: "m", EstimatedCostFen: 100_000, Difficulty: pb.WorkItem_EASY, After: after}
}

func (e *env) schedule(t *testing.T, pid string) []*pb.ScheduleEntry {
	t.Helper()
	return testkit.Must[*pb.Schedule](t)(e.GetSchedule(bg, &pb.GetScheduleRequest{ProjectId: pid})).Entries
}

// Rule 5 (order of works: 先地下后地上, and items naming items they follow): precedence
// comes before the keys; every entry says why it stands where it does.
func TestScheduleUndergroundBeforeSurfaceAndAfterLinks(t *testing.T) {
	e := start(t)
	cid, _ := e.compound(t, 2)
	p := e.project(t, cid, 2021)
	road := e.item(t, p.Id, kindItem(pb.WorkItem_ROAD_REPAIR, pb.WorkItem_BASIC))
	drain := e.item(t, p.Id, kindItem(pb.WorkItem_DRAIN_PIPE, pb.WorkItem_IMPROVEMENT))
	shed := e.item(t, p.Id, kindItem(pb.WorkItem_BIKE_SHED, pb.WorkItem_UPGRADE))
	paint := e.item(t, p.Id, kindItem(pb.WorkItem_STAIRWELL_PAINTING, pb.WorkItem_BASIC, shed.Id))
	if len(paint.After) != 1 || paint.After[0] != shed.Id {
		t.Fatalf("after %v", paint.After)
	}
	got := e.schedule(t, p.Id)
	want := []struct {
		id, reason string
	}{
		{drain.Id, ""},
		{road.Id, "after DRAIN_PIPE " + drain.Id + ": underground works before the surface over them"},
		{shed.Id, ""},
		{paint.Id, "named after " + shed.Id},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries", len(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Item.Id != w.id || g.Reason == "" || (w.reason != "" && g.Reason != w.reason) {
			t.Fatalf("position %d: %s %s %q, want %s %q", i+1, g.Item.Kind, g.Item.Id, g.Reason, w.id, w.reason)
		}
	}
}

// Rule 5 (a cycle is refused): an after link that closes a cycle, alone or with the
// default precedence, is bad input on item.after naming the items; nothing changes.
// An unknown id or the item itself is bad input too.
func TestScheduleCycleRefused(t *testing.T) {
	e := start(t)
	cid, _ := e.compound(t, 2)
	p := e.project(t, cid, 2021)
	road := e.item(t, p.Id, kindItem(pb.WorkItem_ROAD_REPAIR, pb.WorkItem_BASIC))

	// Through the default precedence: the drain pipe would follow the road over it.
	_, err := e.CreateWorkItem(bg, &pb.CreateWorkItemRequest{ProjectId: p.Id, Item: kindItem(pb.WorkItem_DRAIN_PIPE, pb.WorkItem_BASIC, road.Id)})
	testkit.WantViolation(t, err, "item.after")
	if !strings.Contains(err.Error(), road.Id) || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("%v does not name the cycle", err)
	}
	_, err = e.CreateWorkItem(bg, &pb.CreateWorkItemRequest{ProjectId: p.Id, Item: kindItem(pb.WorkItem_GREENING, pb.WorkItem_BASIC, "no-such-item")})
	testkit.WantViolation(t, err, "item.after")
	if n := len(e.items(t, p.Id)); n != 1 {
		t.Fatalf("refused items were stored: %d items", n)
	}

	// Through after links alone, on update.
	a := e.item(t, p.Id, kindItem(pb.WorkItem_BIKE_SHED, pb.WorkItem_UPGRADE))
	b := e.item(t, p.Id, kindItem(pb.WorkItem_PAVILION, pb.WorkItem_UPGRADE, a.Id))
	c := e.item(t, p.Id, kindItem(pb.WorkItem_DRYING_AREA, pb.WorkItem_UPGRADE, b.Id))
	_, err = e.UpdateWorkItem(bg, &pb.UpdateWorkItemRequest{ProjectId: p.Id, Item: &pb.WorkItem{Id: a.Id, After: []string{c.Id}}, UpdateMask: mask("after")})
	testkit.WantViolation(t, err, "item.after")
	for _, id := range []string{a.Id, b.Id, c.Id} {
		if !strings.Contains(err.Error(), id) {
			t.Fatalf("%v does not name %s of the cycle", err, id)
		}
	}
	_, err = e.UpdateWorkItem(bg, &pb.UpdateWorkItemRequest{ProjectId: p.Id, Item: &pb.WorkItem{Id: a.Id, After: []string{a.Id}}, UpdateMask: mask("after")})
	testkit.WantViolation(t, err, "item.after")
	if got := testkit.Must[*pb.WorkItem](t)(e.GetWorkItem(bg, &pb.GetWorkItemRequest{ProjectId: p.Id, Id: a.Id})); len(got.After) != 0 || got.Etag != a.Etag {
		t.Fatalf("a refused update changed the item: %v", got)
	}
	// A link that closes no cycle is taken.
	got := testkit.Must[*pb.WorkItem](t)(e.UpdateWorkItem(bg, &pb.UpdateWorkItemRequest{ProjectId: p.Id, Item: &pb.WorkItem{Id: a.Id, After: []string{road.Id}}, UpdateMask: mask("after")}))
	if len(got.After) != 1 || got.After[0] != road.Id {
		t.Fatalf("after %v", got.After)
	}
	for _, en := range e.schedule(t, p.Id) {
		if en.Reason == "" {
			t.Fatalf("entry %d gives no reason", en.Position)
		}
	}
}

var _ = surveypb.Survey_RESOLUTION
