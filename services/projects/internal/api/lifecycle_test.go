package api_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"tongdu/platform/events"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
)

var statuses = []pb.Project_Status{
	pb.Project_PROPOSED, pb.Project_APPROVED, pb.Project_IN_CONSTRUCTION, pb.Project_PENDING_ACCEPTANCE,
	pb.Project_ACCEPTED, pb.Project_MAINTENANCE, pb.Project_SUSPENDED, pb.Project_CANCELLED,
}

// allowed is rule 6: from → action → to; the SUSPENDED project was suspended while
// IN_CONSTRUCTION.
var allowed = map[pb.Project_Status]map[string]pb.Project_Status{
	pb.Project_PROPOSED:           {"approve": pb.Project_APPROVED, "cancel": pb.Project_CANCELLED},
	pb.Project_APPROVED:           {"startConstruction": pb.Project_IN_CONSTRUCTION, "suspend": pb.Project_SUSPENDED, "cancel": pb.Project_CANCELLED},
	pb.Project_IN_CONSTRUCTION:    {"requestAcceptance": pb.Project_PENDING_ACCEPTANCE, "suspend": pb.Project_SUSPENDED, "cancel": pb.Project_CANCELLED},
	pb.Project_PENDING_ACCEPTANCE: {"accept": pb.Project_ACCEPTED, "suspend": pb.Project_SUSPENDED, "cancel": pb.Project_CANCELLED},
	pb.Project_ACCEPTED:           {"startMaintenance": pb.Project_MAINTENANCE},
	pb.Project_MAINTENANCE:        {},
	pb.Project_SUSPENDED:          {"resume": pb.Project_IN_CONSTRUCTION, "cancel": pb.Project_CANCELLED},
	pb.Project_CANCELLED:          {},
}

// TestEveryTransitionThroughTheAPI walks all 8 statuses × 8 actions through gRPC. A
// forbidden action is FAILED_PRECONDITION / INVALID_TRANSITION and changes nothing. An
// allowed guarded action is first tried with its guard failing (refused naming the guard,
// nothing changed), then with it holding. Every success records who, when, from, to, why.
func TestEveryTransitionThroughTheAPI(t *testing.T) {
	e := start(t)
	s := e.site(t)
	for _, from := range statuses {
		for _, a := range actions {
			t.Run(from.String()+"/"+a, func(t *testing.T) {
				p := e.reach(t, s, from)
				if p.Status != from {
					t.Fatalf("reached %s, want %s", p.Status, from)
				}
				to, ok := allowed[from][a]
				if from == pb.Project_ACCEPTED && a == "accept" {
					// :accept is idempotent: an accepted project is answered unchanged.
					got, err := e.act(a, p.Id)
					if err != nil || got.Status != pb.Project_ACCEPTED || got.Etag != p.Etag || len(got.History) != len(p.History) {
						t.Fatalf(":accept of an ACCEPTED project: %v, %v", got, err)
					}
					e.unchanged(t, p)
					return
				}
				if !ok {
					_, err := e.act(a, p.Id)
					testkit.WantReason(t, err, codes.FailedPrecondition, "INVALID_TRANSITION")
					if msg := status.Convert(err).Message(); !strings.Contains(msg, from.String()) {
						t.Fatalf("refusal %q does not name the status %s", msg, from)
					}
					e.unchanged(t, p)
					return
				}

				// Make the guard fail first, then hold.
				switch a {
				case "approve":
					_, err := e.ApproveProject(bg, &pb.ApproveProjectRequest{Id: p.Id, Actor: "x", ResolutionSurveyId: s.failedResolution})
					meta := testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
					if !strings.Contains(meta["RESOLUTION_PASSED"], "did not pass") {
						t.Fatalf("metadata %v", meta)
					}
					e.unchanged(t, p)
				case "startConstruction":
					_, err := e.act(a, p.Id)
					meta := testkit.WantReason(t, err, codes.FailedPrecondition, "FUNDING_NOT_COVERED")
					if !strings.Contains(meta["FUNDING_COVERED"], "no funding plan") {
						t.Fatalf("metadata %v", meta)
					}
					e.unchanged(t, p)
					e.fund(t, p.Id, budget)
				case "requestAcceptance":
					_, err := e.act(a, p.Id)
					meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ITEMS_INCOMPLETE")
					if !strings.Contains(meta["ITEMS_COMPLETE"], "0 of 1 items complete") {
						t.Fatalf("metadata %v", meta)
					}
					e.unchanged(t, p)
					if err := e.progress(p.Id, e.items(t, p.Id)[0].Id, 100); err != nil {
						t.Fatal(err)
					}
				case "accept":
					_, err := e.act(a, p.Id)
					meta := testkit.WantReason(t, err, codes.FailedPrecondition, "ACCEPTANCE_CONDITIONS_NOT_MET")
					for _, c := range []string{"SUPERVISOR_PASS", "CONTRACTOR_PASS", "BUILDER_PASS", "COMMUNITY_PASS", "ACCEPTANCE_SURVEY_CLOSED", "RESIDENTS_SATISFIED", "RESIDENTS_RESPONDED"} {
						if meta[c] == "" {
							t.Fatalf("metadata %v does not name %s", meta, c)
						}
					}
					e.unchanged(t, p)
					// The professional parties pass first; without the residents' survey
					// the project waits.
					for _, r := range roles {
						if err := e.signoff(p.Id, r, pb.Signoff_PASS, signers[r], ""); err != nil {
							t.Fatal(err)
						}
					}
					if got := e.get(t, p.Id); got.Status != pb.Project_PENDING_ACCEPTANCE {
						t.Fatalf("accepted without the residents' survey: %s", got.Status)
					}
					_, err = e.act(a, p.Id)
					meta = testkit.WantReason(t, err, codes.FailedPrecondition, "ACCEPTANCE_CONDITIONS_NOT_MET")
					if meta["SUPERVISOR_PASS"] != "" || meta["ACCEPTANCE_SURVEY_CLOSED"] == "" {
						t.Fatalf("metadata %v", meta)
					}
					e.setAcceptanceSurvey(t, p.Id, s.acceptance)
				}
				p = e.get(t, p.Id)

				got, err := e.act(a, p.Id)
				if err != nil {
					t.Fatalf("%s from %s: %v", a, from, err)
				}
				if got.Status != to {
					t.Fatalf("%s from %s led to %s, want %s", a, from, got.Status, to)
				}
				if len(got.History) != len(p.History)+1 {
					t.Fatalf("history %v", got.History)
				}
				last := got.History[len(got.History)-1]
				if last.From != from || last.To != to || last.Actor != "区住建局 李科长" || last.Reason == "" || last.Time == nil ||
					last.Time.AsTime().Before(p.History[len(p.History)-1].Time.AsTime()) {
					t.Fatalf("history entry %v", last)
				}
				if again := e.get(t, p.Id); again.Status != to || len(again.History) != len(got.History) {
					t.Fatalf("GetProject %s, transition answered %s", again.Status, got.Status)
				}
				if a == "approve" && got.ResolutionSurveyId != s.passedResolution {
					t.Fatalf("approved on resolution %q, want the latest passed one %s", got.ResolutionSurveyId, s.passedResolution)
				}
			})
		}
	}
}

// TestConcurrentTransitionsCannotBothSucceed sends 20 transitions of one project at once
// through gRPC; each request is judged against the status the previous winner left.
func TestConcurrentTransitionsCannotBothSucceed(t *testing.T) {
	e := start(t)
	s := e.site(t)
	run := func(t *testing.T, p *pb.Project, as []string) map[string]int {
		t.Helper()
		errs := make([]error, len(as))
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i, a := range as {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				_, errs[i] = e.act(a, p.Id)
			}()
		}
		close(gate)
		wg.Wait()
		won := map[string]int{}
		for i, err := range errs {
			if err == nil {
				won[as[i]]++
				continue
			}
			if st := status.Convert(err); st.Code() != codes.FailedPrecondition {
				t.Fatalf("%s: %v", as[i], err)
			}
			testkit.WantReason(t, err, codes.FailedPrecondition, "INVALID_TRANSITION")
		}
		// The history is a chain with exactly one entry per success.
		got := e.get(t, p.Id)
		added := got.History[len(p.History):]
		wins := 0
		for _, n := range won {
			wins += n
		}
		if len(added) != wins {
			t.Fatalf("%d successes, %d new history entries: %v", wins, len(added), added)
		}
		for i := 1; i < len(got.History); i++ {
			if got.History[i].From != got.History[i-1].To {
				t.Fatalf("history broken at %d: %v", i, got.History)
			}
		}
		if last := got.History[len(got.History)-1]; last.To != got.Status {
			t.Fatalf("history ends at %s, status %s", last.To, got.Status)
		}
		e.publishedAsHistory(t, got)
		return won
	}
	repeat := func(a string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = a
		}
		return out
	}

	t.Run("20 approvals", func(t *testing.T) {
		p := e.reach(t, s, pb.Project_PROPOSED)
		if won := run(t, p, repeat("approve", 20)); won["approve"] != 1 {
			t.Fatalf("approvals won: %v", won)
		}
		if got := e.get(t, p.Id); got.Status != pb.Project_APPROVED || len(got.History) != 2 {
			t.Fatalf("after 20 approvals: %s %v", got.Status, got.History)
		}
	})
	t.Run("20 starts of construction", func(t *testing.T) {
		p := e.reach(t, s, pb.Project_APPROVED)
		e.fund(t, p.Id, budget)
		if won := run(t, p, repeat("startConstruction", 20)); won["startConstruction"] != 1 {
			t.Fatalf("starts won: %v", won)
		}
	})
	t.Run("20 cancellations", func(t *testing.T) {
		p := e.reach(t, s, pb.Project_PROPOSED)
		if won := run(t, p, repeat("cancel", 20)); won["cancel"] != 1 {
			t.Fatalf("cancellations won: %v", won)
		}
	})
	t.Run("10 suspensions and 10 cancellations", func(t *testing.T) {
		p := e.reach(t, s, pb.Project_APPROVED)
		var as []string
		for i := range 20 {
			as = append(as, []string{"suspend", "cancel"}[i%2])
		}
		won := run(t, p, as)
		// A cancelled project cannot be suspended; a suspended one can still be
		// cancelled, once.
		if won["cancel"] != 1 || won["suspend"] > 1 {
			t.Fatalf("won: %v", won)
		}
		got := e.get(t, p.Id)
		if got.Status != pb.Project_CANCELLED {
			t.Fatalf("status %s", got.Status)
		}
		if won["suspend"] == 1 && got.History[2].To != pb.Project_SUSPENDED {
			t.Fatalf("history %v", got.History)
		}
	})
	t.Run("10 approvals and 10 cancellations", func(t *testing.T) {
		p := e.reach(t, s, pb.Project_PROPOSED)
		var as []string
		for i := range 20 {
			as = append(as, []string{"approve", "cancel"}[i%2])
		}
		won := run(t, p, as)
		if won["cancel"] != 1 || won["approve"] > 1 {
			t.Fatalf("won: %v", won)
		}
	})
}

// publishedAsHistory checks that the compound events stream tells governance of every
// transition p made and nothing else (issue 16: a change and its event are one step,
// relayed from the outbox): one PROJECT_STATUS event per history entry after creation,
// in order, even where concurrent transitions were refused.
func (e *env) publishedAsHistory(t *testing.T, p *pb.Project) {
	t.Helper()
	var want []string
	for _, h := range p.History[1:] {
		want = append(want, h.To.String())
	}
	var got []string
	published := func() []string {
		msgs, err := e.rdb.XRange(bg, events.CompoundTopic, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			if m.Values["project"] == p.Id && m.Values["fact"] == "PROJECT_STATUS" && m.Values["compound"] == p.CompoundId {
				out = append(out, m.Values["status"].(string))
			}
		}
		return out
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got = published(); slices.Equal(got, want) || time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(50 * time.Millisecond) // nothing more follows
	if got = published(); !slices.Equal(got, want) {
		t.Fatalf("published statuses %v, history %v", got, want)
	}
}

func TestSuspendAndResumeReturnToTheStatusLeft(t *testing.T) {
	e := start(t)
	s := e.site(t)
	for _, left := range []pb.Project_Status{pb.Project_APPROVED, pb.Project_IN_CONSTRUCTION, pb.Project_PENDING_ACCEPTANCE} {
		t.Run(left.String(), func(t *testing.T) {
			p := e.reach(t, s, left)
			_, err := e.SuspendProject(bg, &pb.SuspendProjectRequest{Id: p.Id, Actor: "街道办", Reason: ""})
			testkit.WantViolation(t, err, "reason")
			e.unchanged(t, p)
			_, err = e.SuspendProject(bg, &pb.SuspendProjectRequest{Id: p.Id, Actor: "街道办", Reason: "   "})
			testkit.WantViolation(t, err, "reason")
			e.unchanged(t, p)

			sp := testkit.Must[*pb.Project](t)(e.SuspendProject(bg, &pb.SuspendProjectRequest{Id: p.Id, Actor: "街道办", Reason: "雨季停工"}))
			if sp.Status != pb.Project_SUSPENDED || sp.SuspendedFrom != left {
				t.Fatalf("suspended: %s from %s", sp.Status, sp.SuspendedFrom)
			}
			// Nothing but resume and cancel moves a suspended project.
			for _, a := range []string{"approve", "startConstruction", "requestAcceptance", "accept", "startMaintenance", "suspend"} {
				_, err := e.act(a, p.Id)
				testkit.WantReason(t, err, codes.FailedPrecondition, "INVALID_TRANSITION")
			}
			e.unchanged(t, e.get(t, p.Id))
			rp := testkit.Must[*pb.Project](t)(e.ResumeProject(bg, &pb.ResumeProjectRequest{Id: p.Id, Actor: "街道办"}))
			if rp.Status != left || rp.SuspendedFrom != pb.Project_STATUS_UNSPECIFIED {
				t.Fatalf("resumed to %s (suspended from %s), want %s", rp.Status, rp.SuspendedFrom, left)
			}
			h := rp.History[len(rp.History)-2:]
			if h[0].From != left || h[0].To != pb.Project_SUSPENDED || h[0].Reason != "雨季停工" || h[1].From != pb.Project_SUSPENDED || h[1].To != left {
				t.Fatalf("history %v", h)
			}
		})
	}
}

// TestCancelNeedsAReasonAndFreesTheRound: one plan per compound per round, so a second
// plan for the same compound and year is PLAN_EXISTS until the first is cancelled.
func TestCancelNeedsAReasonAndFreesTheRound(t *testing.T) {
	e := start(t)
	cid, _ := e.compound(t, 3)
	other, _ := e.compound(t, 3)
	a := e.project(t, cid, 2024)
	_, err := e.CreateProject(bg, &pb.CreateProjectRequest{Project: &pb.Project{CompoundId: cid, Title: "second plan", Year: 2024}})
	testkit.WantReason(t, err, codes.AlreadyExists, "PLAN_EXISTS")
	e.project(t, cid, 2025)
	e.project(t, other, 2024)

	_, err = e.CancelProject(bg, &pb.CancelProjectRequest{Id: a.Id, Actor: "街道办"})
	testkit.WantViolation(t, err, "reason")
	_, err = e.CancelProject(bg, &pb.CancelProjectRequest{Id: a.Id, Actor: "街道办", Reason: " \t"})
	testkit.WantViolation(t, err, "reason")
	// The actor is an optional note (rule 16: who acted is the signed-in account), but
	// bounded.
	_, err = e.CancelProject(bg, &pb.CancelProjectRequest{Id: a.Id, Actor: strings.Repeat("街", 101), Reason: "too long a note"})
	testkit.WantViolation(t, err, "actor")
	e.unchanged(t, a)

	c := testkit.Must[*pb.Project](t)(e.CancelProject(bg, &pb.CancelProjectRequest{Id: a.Id, Actor: "街道办", Reason: "规划调整，整体拆迁"}))
	last := c.History[len(c.History)-1]
	if c.Status != pb.Project_CANCELLED || last.From != pb.Project_PROPOSED || last.To != pb.Project_CANCELLED || last.Actor != "街道办" || last.Reason != "规划调整，整体拆迁" {
		t.Fatalf("cancelled %s, history %v", c.Status, last)
	}
	b := e.project(t, cid, 2024)
	if b.Id == a.Id || b.Status != pb.Project_PROPOSED {
		t.Fatalf("new plan %v", b)
	}
	// Both are listed; the cancelled one keeps its history.
	list := testkit.Must[*pb.ListProjectsResponse](t)(e.ListProjects(bg, &pb.ListProjectsRequest{CompoundId: cid, Year: 2024}))
	if len(list.Projects) != 2 {
		t.Fatalf("projects of 2024: %v", list.Projects)
	}
	cancelled := testkit.Must[*pb.ListProjectsResponse](t)(e.ListProjects(bg, &pb.ListProjectsRequest{CompoundId: cid, Status: pb.Project_CANCELLED}))
	if len(cancelled.Projects) != 1 || cancelled.Projects[0].Id != a.Id {
		t.Fatalf("cancelled projects: %v", cancelled.Projects)
	}
	// A cancelled project takes no more changes to its plan.
	_, err = e.CreateWorkItem(bg, &pb.CreateWorkItemRequest{ProjectId: a.Id, Item: road()})
	testkit.WantReason(t, err, codes.FailedPrecondition, "PROJECT_CLOSED")
}

// TestHistoryKeepsWhoWhenFromToWhy follows one project from plan to upkeep.
func TestHistoryKeepsWhoWhenFromToWhy(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_MAINTENANCE)
	want := []struct {
		from, to pb.Project_Status
		actor    string
	}{
		{pb.Project_STATUS_UNSPECIFIED, pb.Project_PROPOSED, ""},
		{pb.Project_PROPOSED, pb.Project_APPROVED, "区住建局 李科长"},
		{pb.Project_APPROVED, pb.Project_IN_CONSTRUCTION, "区住建局 李科长"},
		{pb.Project_IN_CONSTRUCTION, pb.Project_PENDING_ACCEPTANCE, "区住建局 李科长"},
		{pb.Project_PENDING_ACCEPTANCE, pb.Project_ACCEPTED, ""},
		{pb.Project_ACCEPTED, pb.Project_MAINTENANCE, "区住建局 李科长"},
	}
	if len(p.History) != len(want) {
		t.Fatalf("history %v", p.History)
	}
	for i, w := range want {
		h := p.History[i]
		if h.From != w.from || h.To != w.to || h.Actor == "" || h.Reason == "" || h.Time == nil {
			t.Fatalf("entry %d: %v, want %s → %s with actor, reason and time", i, h, w.from, w.to)
		}
		if w.actor != "" && h.Actor != w.actor {
			t.Fatalf("entry %d: actor %q, want %q", i, h.Actor, w.actor)
		}
		if i > 0 && h.Time.AsTime().Before(p.History[i-1].Time.AsTime()) {
			t.Fatalf("entry %d is older than the one before: %v", i, p.History)
		}
	}
	// The automatic acceptance names the sign-off that completed it.
	if a := p.History[4].Actor; !strings.Contains(a, signers[pb.Signoff_COMMUNITY]) {
		t.Fatalf("acceptance actor %q does not name the last signer", a)
	}
	if r := p.History[1].Reason; r != "owners resolved" {
		t.Fatalf("approval reason %q", r)
	}
}

// TestRequestIDsMakeTransitionsIdempotent: API.md: same request id + same body → same
// result; same id + other body → ALREADY_EXISTS.
func TestRequestIDsMakeTransitionsIdempotent(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_APPROVED)
	req := &pb.SuspendProjectRequest{Id: p.Id, Actor: "街道办", Reason: "雨季停工", RequestId: "req-suspend-1"}
	first := testkit.Must[*pb.Project](t)(e.SuspendProject(bg, req))
	again := testkit.Must[*pb.Project](t)(e.SuspendProject(bg, req))
	if again.Status != pb.Project_SUSPENDED || len(again.History) != len(first.History) || len(e.get(t, p.Id).History) != len(first.History) {
		t.Fatalf("a retried suspension moved the project again: %v", again.History)
	}
	_, err := e.SuspendProject(bg, &pb.SuspendProjectRequest{Id: p.Id, Actor: "街道办", Reason: "another reason", RequestId: "req-suspend-1"})
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")

	// A retry that arrives late, after the project moved on, must not act again.
	resumed := testkit.Must[*pb.Project](t)(e.ResumeProject(bg, &pb.ResumeProjectRequest{Id: p.Id, Actor: "街道办"}))
	late, err := e.SuspendProject(bg, req)
	if err != nil {
		t.Fatalf("late retry: %v", err)
	}
	if got := e.get(t, p.Id); got.Status != pb.Project_APPROVED || len(got.History) != len(resumed.History) {
		t.Errorf("BUG: a late retry of request %s suspended the project a second time: status %s, history %d → %d entries (answered %s)",
			req.RequestId, got.Status, len(resumed.History), len(got.History), late.GetStatus())
	}

	// Creating with a request id answers the first project.
	creq := &pb.CreateProjectRequest{Project: &pb.Project{CompoundId: s.compound, Title: "retried", Year: 2099, BudgetFen: 1}, RequestId: "req-create-1"}
	c1 := testkit.Must[*pb.Project](t)(e.CreateProject(bg, creq))
	c2 := testkit.Must[*pb.Project](t)(e.CreateProject(bg, creq))
	if c1.Id != c2.Id || c2.Etag != c1.Etag {
		t.Fatalf("retried create made %s and %s", c1.Id, c2.Id)
	}
	creq.Project.Title = "other body"
	_, err = e.CreateProject(bg, creq)
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
}

// A finance service that is not built (UNIMPLEMENTED) makes the funding guard
// unanswerable: UNAVAILABLE, the project unchanged. The project is approved and funded
// where finance runs; a second server over the same data has no finance service at all,
// as a version built without it. Where finance answers, the project starts.
func TestStartConstructionWhileFinanceIsNotBuiltIsUnavailable(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_APPROVED)
	e.fund(t, p.Id, budget)
	unbuilt := startWith(t, options{noFinance: true, rdb: e.rdb})
	_, err := unbuilt.act("startConstruction", p.Id)
	st := testkit.WantStatus(t, err, codes.Unavailable)
	if !strings.Contains(st.Message(), "finance") {
		t.Fatalf("message %q does not say what is missing", st.Message())
	}
	e.unchanged(t, p)
	if got := testkit.Must[*pb.Project](t)(e.act("startConstruction", p.Id)); got.Status != pb.Project_IN_CONSTRUCTION {
		t.Fatalf("status %s", got.Status)
	}
}

func TestTransitionsOfAMissingProject(t *testing.T) {
	e := start(t)
	for _, a := range actions {
		_, err := e.act(a, "no-such-project")
		testkit.WantStatus(t, err, codes.NotFound)
	}
}

// One plan per compound per round also holds when a plan's year is edited.
func TestEditingTheYearKeepsOnePlanPerRound(t *testing.T) {
	e := start(t)
	cid, _ := e.compound(t, 3)
	a := e.project(t, cid, 2030)
	// The year is the plan's round: it is fixed, so no round gains a second plan or
	// loses its only one by an edit.
	_, err := e.UpdateProject(bg, &pb.UpdateProjectRequest{
		Project: &pb.Project{Id: a.Id, Year: 2031}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"year"}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("moving the plan to 2031: %v", err)
	}
	if got := e.get(t, a.Id); got.Year != 2030 {
		t.Fatalf("year %d after a refused edit", got.Year)
	}
	_, err = e.CreateProject(bg, &pb.CreateProjectRequest{Project: &pb.Project{CompoundId: cid, Title: "second plan for 2030", Year: 2030}})
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("a second plan for 2030: %v", err)
	}
	if _, err = e.CreateProject(bg, &pb.CreateProjectRequest{Project: &pb.Project{CompoundId: cid, Title: "plan for 2031", Year: 2031}}); err != nil {
		t.Errorf("the next round's plan: %v", err)
	}
}

// The etag a transition answers with is the project's etag as stored, so it can be sent
// back on the next update.
func TestTransitionsAnswerTheCurrentEtag(t *testing.T) {
	e := start(t)
	s := e.site(t)
	p := e.reach(t, s, pb.Project_APPROVED)
	sp := testkit.Must[*pb.Project](t)(e.SuspendProject(bg, &pb.SuspendProjectRequest{Id: p.Id, Actor: "街道办", Reason: "雨季停工"}))
	if stored := e.get(t, p.Id); sp.Etag != stored.Etag {
		t.Errorf("BUG: :suspend answered etag %s, the stored project is at %s", sp.Etag, stored.Etag)
	}
	_, err := e.UpdateProject(bg, &pb.UpdateProjectRequest{Project: &pb.Project{Id: p.Id, Title: "改造（暂停中）", Etag: sp.Etag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	if err != nil {
		t.Errorf("BUG: an update with the etag :suspend answered is refused: %v", err)
	}
}
