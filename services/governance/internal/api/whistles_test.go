package api_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// whistleT0 is when the whistle tests' clock starts.
var whistleT0 = time.Date(2025, 6, 3, 8, 0, 0, 0, time.UTC)

// startWith runs the governance API like start does, on a clock the test controls
// (starting at whistleT0), with no survey peer (startWithSurvey has the real one).
func startWith(t *testing.T) (env, *testkit.Clock) {
	t.Helper()
	clock := &testkit.Clock{Start: whistleT0}
	return serve(t, clock.Now), clock
}

func (e env) department(t *testing.T, id, name string) *pb.Department {
	t.Helper()
	return testkit.Must[*pb.Department](t)(e.CreateDepartment(bg, &pb.CreateDepartmentRequest{Department: &pb.Department{Id: id, Name: name}}))
}

func (e env) whistle(t *testing.T, cid string, p pb.Whistle_Priority, departments ...string) *pb.Whistle {
	t.Helper()
	return testkit.Must[*pb.Whistle](t)(e.CreateWhistle(bg, &pb.CreateWhistleRequest{Whistle: &pb.Whistle{
		CompoundId: cid, Category: "DRAINAGE", Description: "化粪池满溢", DepartmentIds: departments, Priority: p,
	}}))
}

func (e env) ack(t *testing.T, id, department string) *pb.Whistle {
	t.Helper()
	return testkit.Must[*pb.Whistle](t)(e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: id, DepartmentId: department}))
}

func (e env) resolve(t *testing.T, id, department string) *pb.Whistle {
	t.Helper()
	return testkit.Must[*pb.Whistle](t)(e.ResolveWhistle(bg, &pb.ResolveWhistleRequest{Id: id, DepartmentId: department}))
}

func (e env) getWhistle(t *testing.T, id string) *pb.Whistle {
	t.Helper()
	return testkit.Must[*pb.Whistle](t)(e.GetWhistle(bg, &pb.GetWhistleRequest{Id: id}))
}

func (e env) performance(t *testing.T, department string) *pb.DepartmentPerformance {
	t.Helper()
	return testkit.Must[*pb.DepartmentPerformance](t)(e.GetDepartmentPerformance(bg, &pb.GetDepartmentPerformanceRequest{DepartmentId: department}))
}

// listWhistles pages through a listing and returns the ids in order.
func (e env) listWhistles(t *testing.T, req *pb.ListWhistlesRequest) []string {
	t.Helper()
	var out []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		resp := testkit.Must[*pb.ListWhistlesResponse](t)(e.ListWhistles(bg, req))
		for _, w := range resp.Whistles {
			out = append(out, w.Id)
		}
		if resp.NextPageToken == "" {
			return out
		}
		req = proto.Clone(req).(*pb.ListWhistlesRequest)
		req.PageToken = resp.NextPageToken
	}
}

func idsOf(ws ...*pb.Whistle) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Id
	}
	return out
}

// wantWhistle checks a whistle's status, overdue mark and escalation level.
func wantWhistle(t *testing.T, w *pb.Whistle, st pb.Whistle_Status, overdue bool, level pb.Whistle_EscalationLevel) {
	t.Helper()
	if w.Status != st || w.Overdue != overdue || w.EscalationLevel != level {
		t.Fatalf("whistle is %s overdue=%v %s, want %s overdue=%v %s", w.Status, w.Overdue, w.EscalationLevel, st, overdue, level)
	}
}

func TestDepartments(t *testing.T) {
	e, _ := startWith(t)
	water := e.department(t, "water", "水务局")
	if water.Id != "water" || water.Name != "水务局" || !water.CreateTime.AsTime().Equal(whistleT0) {
		t.Fatalf("created %v", water)
	}
	t.Run("without an id the server assigns one", func(t *testing.T) {
		d := e.department(t, "", "住建局")
		if len(d.Id) != 26 {
			t.Fatalf("assigned id %q", d.Id)
		}
	})
	t.Run("a taken id is ALREADY_EXISTS", func(t *testing.T) {
		_, err := e.CreateDepartment(bg, &pb.CreateDepartmentRequest{Department: &pb.Department{Id: "water", Name: "自来水公司"}})
		testkit.WantReason(t, err, codes.AlreadyExists, "ALREADY_EXISTS")
	})
	t.Run("the same request id creates one department, with or without a chosen id", func(t *testing.T) {
		for _, id := range []string{"power", ""} {
			req := &pb.CreateDepartmentRequest{Department: &pb.Department{Id: id, Name: "供电局"}, RequestId: "dept-" + id}
			a := testkit.Must[*pb.Department](t)(e.CreateDepartment(bg, req))
			b := testkit.Must[*pb.Department](t)(e.CreateDepartment(bg, req))
			if !proto.Equal(a, b) {
				t.Fatalf("a replay answered %v, first %v", b, a)
			}
		}
		other := &pb.CreateDepartmentRequest{Department: &pb.Department{Id: "power", Name: "别的"}, RequestId: "dept-power"}
		_, err := e.CreateDepartment(bg, other)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	})
	t.Run("departments list in order of id", func(t *testing.T) {
		resp := testkit.Must[*pb.ListDepartmentsResponse](t)(e.ListDepartments(bg, &pb.ListDepartmentsRequest{PageSize: 3}))
		if len(resp.Departments) != 3 || resp.NextPageToken == "" {
			t.Fatalf("first page %v", resp)
		}
		rest := testkit.Must[*pb.ListDepartmentsResponse](t)(e.ListDepartments(bg, &pb.ListDepartmentsRequest{PageSize: 3, PageToken: resp.NextPageToken}))
		all := append(resp.Departments, rest.Departments...)
		if len(all) != 4 || rest.NextPageToken != "" || all[3].Id != "water" || all[2].Id != "power" {
			t.Fatalf("departments %v", all)
		}
	})
}

func TestWhistleAcknowledgedAndResolvedInTime(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	e.department(t, "water", "水务局")
	e.department(t, "housing", "住建局")

	w := e.whistle(t, c.Id, pb.Whistle_URGENT, "water", "housing")
	wantWhistle(t, w, pb.Whistle_OPEN, false, pb.Whistle_COMMUNITY)
	if !w.RaiseTime.AsTime().Equal(whistleT0) || len(w.Responses) != 2 || w.Responses[1].DepartmentId != "housing" || w.CloseTime != nil {
		t.Fatalf("raised %v", w)
	}

	clock.Set(30 * time.Minute)
	w = e.ack(t, w.Id, "water")
	wantWhistle(t, w, pb.Whistle_OPEN, false, pb.Whistle_COMMUNITY)
	clock.Set(2 * time.Hour) // the acknowledge limit itself is still in time
	w = testkit.Must[*pb.Whistle](t)(e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: w.Id, DepartmentId: "housing", Remarks: "已派人"}))
	wantWhistle(t, w, pb.Whistle_ACKNOWLEDGED, false, pb.Whistle_COMMUNITY)
	if r := w.Responses[1]; r.AcknowledgeRemarks != "已派人" || !r.AcknowledgeTime.AsTime().Equal(whistleT0.Add(2*time.Hour)) {
		t.Fatalf("housing's response %v", r)
	}

	clock.Set(10 * time.Hour)
	w = e.resolve(t, w.Id, "water")
	wantWhistle(t, w, pb.Whistle_ACKNOWLEDGED, false, pb.Whistle_COMMUNITY)
	clock.Set(24 * time.Hour)
	w = e.resolve(t, w.Id, "housing")
	wantWhistle(t, w, pb.Whistle_RESOLVED, false, pb.Whistle_COMMUNITY)

	clock.Set(30 * time.Hour)
	w = testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 5}, {DepartmentId: "housing", Score: 4}}}))
	wantWhistle(t, w, pb.Whistle_CLOSED, false, pb.Whistle_COMMUNITY)
	if !w.CloseTime.AsTime().Equal(whistleT0.Add(30*time.Hour)) || w.Responses[0].Rating != 5 || w.Responses[1].Rating != 4 {
		t.Fatalf("closed %v", w)
	}
	clock.Set(1000 * time.Hour)
	wantWhistle(t, e.getWhistle(t, w.Id), pb.Whistle_CLOSED, false, pb.Whistle_COMMUNITY)
}

// Rule 11: each limit of each priority, one instant before and one after.
func TestWhistleOverdueOnEachLimit(t *testing.T) {
	tests := []struct {
		name     string
		priority pb.Whistle_Priority
		ackAt    time.Duration // 0: never acknowledged
		limit    time.Duration
		level    pb.Whistle_EscalationLevel
	}{
		{"URGENT acknowledge limit, 2 h", pb.Whistle_URGENT, 0, 2 * time.Hour, pb.Whistle_SUBDISTRICT},
		{"NORMAL acknowledge limit, 24 h", pb.Whistle_NORMAL, 0, 24 * time.Hour, pb.Whistle_SUBDISTRICT},
		// Acknowledged in time: the resolve limit is the one limit breached, one level up.
		{"URGENT resolve limit, 24 h", pb.Whistle_URGENT, time.Hour, 24 * time.Hour, pb.Whistle_SUBDISTRICT},
		{"NORMAL resolve limit, 72 h", pb.Whistle_NORMAL, 23 * time.Hour, 72 * time.Hour, pb.Whistle_SUBDISTRICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := startWith(t)
			tr := e.tree(t)
			c := e.compound(t, "幸福里", tr.communityA.Id)
			e.department(t, "water", "水务局")
			w := e.whistle(t, c.Id, tt.priority, "water")
			want := pb.Whistle_OPEN
			if tt.ackAt > 0 {
				clock.Set(tt.ackAt)
				e.ack(t, w.Id, "water")
				want = pb.Whistle_ACKNOWLEDGED
			}

			clock.Set(tt.limit)
			wantWhistle(t, e.getWhistle(t, w.Id), want, false, pb.Whistle_COMMUNITY)
			if got := e.listWhistles(t, &pb.ListWhistlesRequest{Overdue: true}); len(got) != 0 {
				t.Fatalf("overdue at the limit itself: %v", got)
			}

			clock.Set(tt.limit + time.Second)
			got := e.getWhistle(t, w.Id)
			wantWhistle(t, got, want, true, tt.level)
			if !got.Responses[0].Overdue {
				t.Fatal("the department that broke the limit is not marked overdue")
			}
			if ids := e.listWhistles(t, &pb.ListWhistlesRequest{Overdue: true}); fmt.Sprint(ids) != fmt.Sprint([]string{w.Id}) {
				t.Fatalf("overdue list %v, want [%s]", ids, w.Id)
			}
			if p := e.performance(t, "water"); p.Overdue != 1 || p.OverdueRate != 1 {
				t.Fatalf("performance %v", p)
			}

			// Acting late does not clear the mark: the limit was broken. (Resolving, still
			// within its own limit, after a late acknowledgement breaches nothing more.)
			clock.Set(tt.limit + time.Hour)
			if tt.ackAt == 0 {
				e.ack(t, w.Id, "water")
			}
			got = e.resolve(t, w.Id, "water")
			wantWhistle(t, got, pb.Whistle_RESOLVED, true, tt.level)
			if ids := e.listWhistles(t, &pb.ListWhistlesRequest{Overdue: true}); len(ids) != 1 {
				t.Fatalf("a whistle resolved late left the overdue list: %v", ids)
			}
			if p := e.performance(t, "water"); p.Overdue != 1 || p.Resolved != 1 {
				t.Fatalf("performance after the late resolve %v", p)
			}
		})
	}
}

// One whistle watched through its life climbs every rung of the linkage.
func TestWhistleEscalatesThroughEveryLevel(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	e.department(t, "water", "水务局")
	w := e.whistle(t, c.Id, pb.Whistle_URGENT, "water")
	steps := []struct {
		at      time.Duration
		act     func()
		st      pb.Whistle_Status
		overdue bool
		level   pb.Whistle_EscalationLevel
	}{
		{time.Hour, nil, pb.Whistle_OPEN, false, pb.Whistle_COMMUNITY},
		{2*time.Hour + time.Second, nil, pb.Whistle_OPEN, true, pb.Whistle_SUBDISTRICT},
		{3 * time.Hour, func() { e.ack(t, w.Id, "water") }, pb.Whistle_ACKNOWLEDGED, true, pb.Whistle_SUBDISTRICT},
		{24 * time.Hour, nil, pb.Whistle_ACKNOWLEDGED, true, pb.Whistle_SUBDISTRICT},
		{24*time.Hour + time.Second, nil, pb.Whistle_ACKNOWLEDGED, true, pb.Whistle_DISTRICT},
		{30 * time.Hour, func() { e.resolve(t, w.Id, "water") }, pb.Whistle_RESOLVED, true, pb.Whistle_DISTRICT},
		{31 * time.Hour, func() {
			testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 1}}}))
		}, pb.Whistle_CLOSED, true, pb.Whistle_DISTRICT},
	}
	for _, st := range steps {
		clock.Set(st.at)
		if st.act != nil {
			st.act()
		}
		got := e.getWhistle(t, w.Id)
		if got.Status != st.st || got.Overdue != st.overdue || got.EscalationLevel != st.level {
			t.Fatalf("at %v: %s overdue=%v %s, want %s overdue=%v %s", st.at, got.Status, got.Overdue, got.EscalationLevel, st.st, st.overdue, st.level)
		}
	}
}

func TestWhistleRefusalsAndRetries(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	e.department(t, "water", "水务局")
	e.department(t, "housing", "住建局")
	e.department(t, "power", "供电局")
	w := e.whistle(t, c.Id, pb.Whistle_NORMAL, "water", "housing")

	t.Run("a department not called is NOT_ELIGIBLE", func(t *testing.T) {
		_, err := e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: w.Id, DepartmentId: "power"})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ELIGIBLE")
		_, err = e.ResolveWhistle(bg, &pb.ResolveWhistleRequest{Id: w.Id, DepartmentId: "power"})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ELIGIBLE")
	})
	t.Run("closing before every department resolved is WRONG_STATE", func(t *testing.T) {
		_, err := e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 5}, {DepartmentId: "housing", Score: 5}}})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("acknowledging twice is a no-op that keeps the first acknowledgement", func(t *testing.T) {
		clock.Set(time.Hour)
		first := testkit.Must[*pb.Whistle](t)(e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: w.Id, DepartmentId: "water", Remarks: "收到"}))
		clock.Set(2 * time.Hour)
		again := testkit.Must[*pb.Whistle](t)(e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: w.Id, DepartmentId: "water", Remarks: "又收到"}))
		if !proto.Equal(first, again) {
			t.Fatalf("a second acknowledgement changed the whistle:\n%v\n%v", first, again)
		}
		if p := e.performance(t, "water"); p.Acknowledged != 1 || p.MeanAcknowledgeSeconds != 3600 {
			t.Fatalf("counted twice: %v", p)
		}
	})
	t.Run("rule 11: resolving before acknowledging is NOT_ACKNOWLEDGED; acknowledged, it resolves", func(t *testing.T) {
		clock.Set(5 * time.Hour)
		_, err := e.ResolveWhistle(bg, &pb.ResolveWhistleRequest{Id: w.Id, DepartmentId: "housing"})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ACKNOWLEDGED")
		e.ack(t, w.Id, "housing")
		got := e.resolve(t, w.Id, "housing")
		r := got.Responses[1]
		if !r.AcknowledgeTime.AsTime().Equal(whistleT0.Add(5*time.Hour)) || !r.ResolveTime.AsTime().Equal(whistleT0.Add(5*time.Hour)) {
			t.Fatalf("housing's response %v", r)
		}
		if got.Status != pb.Whistle_ACKNOWLEDGED {
			t.Fatalf("status %s", got.Status)
		}
		if p := e.performance(t, "housing"); p.Acknowledged != 1 || p.Resolved != 1 || p.MeanAcknowledgeSeconds != 5*3600 {
			t.Fatalf("housing %v", p)
		}
	})
	t.Run("a request id reused with another body is REQUEST_ID_REUSED", func(t *testing.T) {
		req := &pb.ResolveWhistleRequest{Id: w.Id, DepartmentId: "water", RequestId: "resolve-1"}
		testkit.Must[*pb.Whistle](t)(e.ResolveWhistle(bg, req))
		testkit.Must[*pb.Whistle](t)(e.ResolveWhistle(bg, req))
		_, err := e.ResolveWhistle(bg, &pb.ResolveWhistleRequest{Id: w.Id, DepartmentId: "housing", RequestId: "resolve-1"})
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	})
	t.Run("closing again with the same ratings answers the closed whistle; other ratings are WRONG_STATE", func(t *testing.T) {
		// A refused request does not use up its request id: the corrected one may reuse it.
		_, err := e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 5}}, RequestId: "close-1"})
		testkit.WantViolation(t, err, "ratings")
		req := &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 5}, {DepartmentId: "housing", Score: 2}}, RequestId: "close-1"}
		first := testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, req))
		again := testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, req))
		if !proto.Equal(first, again) || first.Status != pb.Whistle_CLOSED {
			t.Fatalf("close replay %v\n%v", first, again)
		}
		_, err = e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 1}, {DepartmentId: "housing", Score: 2}}})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		if p := e.performance(t, "water"); p.MeanRating != 5 {
			t.Fatalf("ratings rewritten: %v", p)
		}
	})
	t.Run("an unknown whistle is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetWhistle(bg, &pb.GetWhistleRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
		_, err = e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: "nope", DepartmentId: "water"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("the same request id raises one whistle", func(t *testing.T) {
		req := &pb.CreateWhistleRequest{RequestId: "whistle-1", Whistle: &pb.Whistle{CompoundId: c.Id, Category: "ROADS", Description: "路面塌陷", DepartmentIds: []string{"power"}, Priority: pb.Whistle_URGENT}}
		a := testkit.Must[*pb.Whistle](t)(e.CreateWhistle(bg, req))
		b := testkit.Must[*pb.Whistle](t)(e.CreateWhistle(bg, req))
		if !proto.Equal(a, b) {
			t.Fatalf("replay %v\nfirst %v", b, a)
		}
		if p := e.performance(t, "power"); p.Whistles != 1 {
			t.Fatalf("a replay counted twice: %v", p)
		}
	})
}

// Departments acknowledging at the same moment each land once: the loser of the
// revision check reads again and re-applies, and the counters move exactly once each.
func TestConcurrentAcknowledgementsAllLand(t *testing.T) {
	e, _ := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	var ids []string
	for i := range 8 {
		ids = append(ids, e.department(t, fmt.Sprintf("d%d", i), fmt.Sprintf("部门%d", i)).Id)
	}
	w := e.whistle(t, c.Id, pb.Whistle_URGENT, ids...)
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, d := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: w.Id, DepartmentId: d})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.getWhistle(t, w.Id); got.Status != pb.Whistle_ACKNOWLEDGED {
		t.Fatalf("status %s after every department acknowledged", got.Status)
	}
	for _, d := range ids {
		if p := e.performance(t, d); p.Whistles != 1 || p.Acknowledged != 1 {
			t.Fatalf("%s: %v", d, p)
		}
	}
}

func TestListWhistlesFilters(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c1 := e.compound(t, "幸福里", tr.communityA.Id)
	c2 := e.compound(t, "锦苑", tr.communityB.Id)
	e.department(t, "water", "水务局")
	e.department(t, "housing", "住建局")

	a := e.whistle(t, c1.Id, pb.Whistle_URGENT, "water")             // raised at 0, acknowledged late at 3 h
	b := e.whistle(t, c1.Id, pb.Whistle_NORMAL, "housing")           // untouched: overdue after 24 h
	cc := e.whistle(t, c2.Id, pb.Whistle_URGENT, "water", "housing") // done in time, then closed
	clock.Set(time.Hour)
	d := e.whistle(t, c2.Id, pb.Whistle_NORMAL, "water") // acknowledged in time
	e.ack(t, d.Id, "water")
	e.ack(t, cc.Id, "water")
	e.ack(t, cc.Id, "housing")
	e.resolve(t, cc.Id, "water")
	e.resolve(t, cc.Id, "housing")
	testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: cc.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 4}, {DepartmentId: "housing", Score: 3}}}))
	clock.Set(3 * time.Hour)
	e.ack(t, a.Id, "water")

	tests := []struct {
		name string
		at   time.Duration
		req  *pb.ListWhistlesRequest
		want []*pb.Whistle
	}{
		{"no filter lists all in creation order", 4 * time.Hour, &pb.ListWhistlesRequest{PageSize: 3}, []*pb.Whistle{a, b, cc, d}},
		{"status OPEN", 4 * time.Hour, &pb.ListWhistlesRequest{Status: pb.Whistle_OPEN}, []*pb.Whistle{b}},
		{"status ACKNOWLEDGED", 4 * time.Hour, &pb.ListWhistlesRequest{Status: pb.Whistle_ACKNOWLEDGED, PageSize: 1}, []*pb.Whistle{a, d}},
		{"status CLOSED", 4 * time.Hour, &pb.ListWhistlesRequest{Status: pb.Whistle_CLOSED}, []*pb.Whistle{cc}},
		{"overdue at 4 h: the late acknowledgement", 4 * time.Hour, &pb.ListWhistlesRequest{Overdue: true}, []*pb.Whistle{a}},
		{"overdue at 25 h: then the untouched NORMAL one", 25 * time.Hour, &pb.ListWhistlesRequest{Overdue: true, PageSize: 1}, []*pb.Whistle{a, b}},
		{"overdue at 100 h: longest overdue first", 100 * time.Hour, &pb.ListWhistlesRequest{Overdue: true, PageSize: 1}, []*pb.Whistle{a, b, d}},
		{"overdue and OPEN", 100 * time.Hour, &pb.ListWhistlesRequest{Overdue: true, Status: pb.Whistle_OPEN}, []*pb.Whistle{b}},
		{"overdue in a compound", 100 * time.Hour, &pb.ListWhistlesRequest{Overdue: true, CompoundId: c2.Id}, []*pb.Whistle{d}},
		{"a compound's whistles", 4 * time.Hour, &pb.ListWhistlesRequest{CompoundId: c1.Id, PageSize: 1}, []*pb.Whistle{a, b}},
		{"a department's whistles", 4 * time.Hour, &pb.ListWhistlesRequest{DepartmentId: "housing"}, []*pb.Whistle{b, cc}},
		{"a department's overdue whistles", 25 * time.Hour, &pb.ListWhistlesRequest{DepartmentId: "water", Overdue: true}, []*pb.Whistle{a}},
		{"a department's whistles in a compound and status", 4 * time.Hour, &pb.ListWhistlesRequest{DepartmentId: "water", CompoundId: c2.Id, Status: pb.Whistle_ACKNOWLEDGED}, []*pb.Whistle{d}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Set(tt.at)
			if got, want := e.listWhistles(t, tt.req), idsOf(tt.want...); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
		})
	}
	t.Run("the listing shows each whistle as it stands", func(t *testing.T) {
		clock.Set(25 * time.Hour)
		resp := testkit.Must[*pb.ListWhistlesResponse](t)(e.ListWhistles(bg, &pb.ListWhistlesRequest{Overdue: true}))
		for _, w := range resp.Whistles {
			if !w.Overdue || w.EscalationLevel == pb.Whistle_COMMUNITY {
				t.Fatalf("listed %v", w)
			}
		}
	})
	t.Run("an unknown compound or department is NOT_FOUND", func(t *testing.T) {
		_, err := e.ListWhistles(bg, &pb.ListWhistlesRequest{CompoundId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
		_, err = e.ListWhistles(bg, &pb.ListWhistlesRequest{DepartmentId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

// The department report on a history whose figures are known to the second.
func TestDepartmentPerformanceOnAKnownHistory(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	e.department(t, "water", "水务局")
	e.department(t, "housing", "住建局")
	e.department(t, "power", "供电局")
	closeWith := func(id string, ratings ...*pb.DepartmentRating) {
		t.Helper()
		testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: id, Ratings: ratings}))
	}
	h := time.Hour

	// W1 URGENT at 0: water acknowledges at 0:30 and resolves at 10 h; housing at 1 h and
	// 12 h; closed with water 5, housing 4. All in time.
	w1 := e.whistle(t, c.Id, pb.Whistle_URGENT, "water", "housing")
	clock.Set(30 * time.Minute)
	e.ack(t, w1.Id, "water")
	// W2 NORMAL at 1 h: water acknowledges 30 h after the raise (late: 24 h) and resolves
	// 40 h after it (in time: 72 h); closed with 3. Overdue for good.
	clock.Set(h)
	e.ack(t, w1.Id, "housing")
	w2 := e.whistle(t, c.Id, pb.Whistle_NORMAL, "water")
	// W3 URGENT at 2 h: water acknowledges 1 h after the raise and never resolves; past
	// 26 h it is overdue by the clock.
	clock.Set(2 * h)
	w3 := e.whistle(t, c.Id, pb.Whistle_URGENT, "water")
	clock.Set(3 * h)
	e.ack(t, w3.Id, "water")
	clock.Set(10 * h)
	e.resolve(t, w1.Id, "water")
	clock.Set(12 * h)
	e.resolve(t, w1.Id, "housing")
	clock.Set(13 * h)
	closeWith(w1.Id, &pb.DepartmentRating{DepartmentId: "water", Score: 5}, &pb.DepartmentRating{DepartmentId: "housing", Score: 4})
	clock.Set(31 * h)
	e.ack(t, w2.Id, "water")
	clock.Set(41 * h)
	e.resolve(t, w2.Id, "water")
	closeWith(w2.Id, &pb.DepartmentRating{DepartmentId: "water", Score: 3})
	// W4 NORMAL at 49 h: untouched; overdue only after 73 h.
	clock.Set(49 * h)
	w4 := e.whistle(t, c.Id, pb.Whistle_NORMAL, "water")

	tests := []struct {
		name string
		at   time.Duration
		dept string
		want *pb.DepartmentPerformance
	}{
		{"water at 50 h", 50 * h, "water", &pb.DepartmentPerformance{
			DepartmentId: "water", Whistles: 4, Acknowledged: 3, Resolved: 2,
			Overdue: 2, OverdueRate: 0.5, // W2 late for good, W3 past its resolve limit
			MeanAcknowledgeSeconds: (0.5 + 30 + 1) * 3600 / 3, // 10.5 h
			MeanResolveSeconds:     (10 + 40) * 3600 / 2,      // 25 h
			MeanRating:             4,                         // (5 + 3) / 2
		}},
		{"water at 73 h: W4 is still in time at its limit", 73 * h, "water", &pb.DepartmentPerformance{
			DepartmentId: "water", Whistles: 4, Acknowledged: 3, Resolved: 2, Overdue: 2, OverdueRate: 0.5,
			MeanAcknowledgeSeconds: 37800, MeanResolveSeconds: 90000, MeanRating: 4,
		}},
		{"water past 73 h: W4 is overdue too", 73*h + time.Second, "water", &pb.DepartmentPerformance{
			DepartmentId: "water", Whistles: 4, Acknowledged: 3, Resolved: 2, Overdue: 3, OverdueRate: 0.75,
			MeanAcknowledgeSeconds: 37800, MeanResolveSeconds: 90000, MeanRating: 4,
		}},
		{"housing: one whistle in time", 50 * h, "housing", &pb.DepartmentPerformance{
			DepartmentId: "housing", Whistles: 1, Acknowledged: 1, Resolved: 1,
			MeanAcknowledgeSeconds: 3600, MeanResolveSeconds: 12 * 3600, MeanRating: 4,
		}},
		{"a department never called reports zeros", 50 * h, "power", &pb.DepartmentPerformance{DepartmentId: "power"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Set(tt.at)
			if got := e.performance(t, tt.dept); !proto.Equal(got, tt.want) {
				t.Fatalf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	t.Run("the whistles agree with the report", func(t *testing.T) {
		clock.Set(50 * h)
		for w, overdue := range map[string]bool{w1.Id: false, w2.Id: true, w3.Id: true, w4.Id: false} {
			if got := e.getWhistle(t, w); got.Overdue != overdue {
				t.Fatalf("whistle %s overdue=%v, want %v", w, got.Overdue, overdue)
			}
		}
	})
	t.Run("an unknown department is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetDepartmentPerformance(bg, &pb.GetDepartmentPerformanceRequest{DepartmentId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}
