package registry_test

import (
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"

	"tongdu/services/governance/internal/registry"
)

// raised is when the test whistles are raised; ruleLimits are rule 11's.
var (
	raised     = time.Date(2025, 6, 3, 8, 0, 0, 0, time.UTC)
	ruleLimits = registry.WhistleLimits{
		UrgentAcknowledge: 2 * time.Hour, UrgentResolve: 24 * time.Hour,
		NormalAcknowledge: 24 * time.Hour, NormalResolve: 72 * time.Hour,
	}
	knownDepartments = map[string]bool{"water": true, "housing": true, "power": true}
)

func sinceRaise(d time.Duration) time.Time { return raised.Add(d) }

// failer is what the helpers need of a *testing.T or a *rapid.T.
type failer interface {
	Helper()
	Fatal(args ...any)
}

// raiseWhistle raises a whistle calling departments with priority p at raised.
func raiseWhistle(t failer, p registry.Priority, departments ...string) registry.Whistle {
	t.Helper()
	w, err := registry.NewWhistle(registry.Whistle{
		ID: "w1", CompoundID: "c1", Category: "DRAINAGE", Description: "化粪池满溢", DepartmentIDs: departments, Priority: p,
	}, knownDepartments, nil, ruleLimits, raised)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// act is one department's acknowledgement or resolution, some time after the raise.
type act struct {
	resolve    bool
	department string
	when       time.Duration
}

// applyActs applies the acts in turn and fails the test on an error. A resolve act
// acknowledges first when the department has not (at the same instant), since rule 11
// lets a department resolve only what it has acknowledged.
func applyActs(t failer, w registry.Whistle, as ...act) registry.Whistle {
	t.Helper()
	for _, a := range as {
		var err error
		if a.resolve {
			w, _, err = registry.AcknowledgeWhistle(w, a.department, "", sinceRaise(a.when))
			if err == nil {
				w, _, err = registry.ResolveWhistle(w, a.department, "", sinceRaise(a.when))
			}
		} else {
			w, _, err = registry.AcknowledgeWhistle(w, a.department, "", sinceRaise(a.when))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func ackBy(d string, when time.Duration) act { return act{department: d, when: when} }
func resolveBy(d string, when time.Duration) act {
	return act{resolve: true, department: d, when: when}
}

func TestNewDepartment(t *testing.T) {
	tests := []struct {
		name  string
		d     registry.Department
		want  error
		field string
	}{
		{"a caller's id of lower-case letters", registry.Department{ID: "water", Name: "水务局"}, nil, ""},
		{"no id: the server assigns one", registry.Department{Name: "住建局"}, nil, ""},
		{"an id with digits and dashes", registry.Department{ID: "district-2-police", Name: "派出所"}, nil, ""},
		{"capitals are refused", registry.Department{ID: "Water", Name: "水务局"}, errInvalid, "department.id"},
		{"a colon would break the store's keys", registry.Department{ID: "a:b", Name: "x"}, errInvalid, "department.id"},
		{"a name is required", registry.Department{ID: "water"}, errInvalid, "department.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := registry.NewDepartment(tt.d, raised)
			if tt.field != "" {
				wantErr(t, err, tt.want, tt.field)
				return
			}
			wantErr(t, err, nil)
			if !d.CreateTime.Equal(raised) {
				t.Fatalf("create time %v", d.CreateTime)
			}
		})
	}
}

func TestNewWhistleChecksEveryField(t *testing.T) {
	good := registry.Whistle{CompoundID: "c1", Category: "DRAINAGE", Description: "x", DepartmentIDs: []string{"water", "housing"}, Priority: registry.Urgent}
	meetingHere := &registry.LinkageMeeting{ID: "m1", CompoundID: "c1"}
	meetingThere := &registry.LinkageMeeting{ID: "m2", CompoundID: "c2"}
	tests := []struct {
		name    string
		edit    func(w *registry.Whistle)
		meeting *registry.LinkageMeeting
		fields  []string
	}{
		{"a good whistle", func(w *registry.Whistle) {}, nil, nil},
		{"a follow-up of a meeting of its compound", func(w *registry.Whistle) { w.LinkageMeetingID = "m1" }, meetingHere, nil},
		{"an unregistered department names its index", func(w *registry.Whistle) { w.DepartmentIDs = []string{"water", "fire"} }, nil, []string{"whistle.departmentIds[1]"}},
		{"a department called twice", func(w *registry.Whistle) { w.DepartmentIDs = []string{"water", "water"} }, nil, []string{"whistle.departmentIds[1]"}},
		{"no department", func(w *registry.Whistle) { w.DepartmentIDs = nil }, nil, []string{"whistle.departmentIds"}},
		{"no priority", func(w *registry.Whistle) { w.Priority = registry.PriorityUnspecified }, nil, []string{"whistle.priority"}},
		{"an unknown priority", func(w *registry.Whistle) { w.Priority = 7 }, nil, []string{"whistle.priority"}},
		{"no category", func(w *registry.Whistle) { w.Category = "" }, nil, []string{"whistle.category"}},
		{"no description", func(w *registry.Whistle) { w.Description = "" }, nil, []string{"whistle.description"}},
		{"an unknown meeting", func(w *registry.Whistle) { w.LinkageMeetingID = "m9" }, nil, []string{"whistle.linkageMeetingId"}},
		{"a meeting of another compound", func(w *registry.Whistle) { w.LinkageMeetingID = "m2" }, meetingThere, []string{"whistle.linkageMeetingId"}},
		{"every violation at once", func(w *registry.Whistle) {
			w.Category, w.DepartmentIDs, w.Priority = "", []string{"fire"}, 0
		}, nil, []string{"whistle.category", "whistle.departmentIds[0]", "whistle.priority"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			in.DepartmentIDs = append([]string(nil), good.DepartmentIDs...)
			tt.edit(&in)
			w, err := registry.NewWhistle(in, knownDepartments, tt.meeting, ruleLimits, raised.Add(123*time.Nanosecond))
			if tt.fields != nil {
				wantErr(t, err, errInvalid, tt.fields...)
				return
			}
			wantErr(t, err, nil)
			if w.Status != registry.WhistleOpen || len(w.Responses) != len(in.DepartmentIDs) {
				t.Fatalf("raised %+v", w)
			}
			// Whistle times are whole microseconds, so the store's indexes hold them exactly.
			if !w.RaiseTime.Equal(raised) {
				t.Fatalf("raise time %v, want %v (truncated to µs)", w.RaiseTime, raised)
			}
			if !w.AcknowledgeDeadline.Equal(sinceRaise(2*time.Hour)) || !w.ResolveDeadline.Equal(sinceRaise(24*time.Hour)) {
				t.Fatalf("URGENT deadlines %v, %v", w.AcknowledgeDeadline, w.ResolveDeadline)
			}
		})
	}
	t.Run("NORMAL takes the normal limits", func(t *testing.T) {
		w := raiseWhistle(t, registry.Normal, "water")
		if !w.AcknowledgeDeadline.Equal(sinceRaise(24*time.Hour)) || !w.ResolveDeadline.Equal(sinceRaise(72*time.Hour)) {
			t.Fatalf("NORMAL deadlines %v, %v", w.AcknowledgeDeadline, w.ResolveDeadline)
		}
	})
}

func TestWhistleStatusFollowsEveryCalledDepartment(t *testing.T) {
	w := raiseWhistle(t, registry.Urgent, "water", "housing")
	steps := []struct {
		act  act
		want registry.WhistleStatus
	}{
		{ackBy("water", time.Hour), registry.WhistleOpen},
		{ackBy("housing", 90*time.Minute), registry.WhistleAcknowledged},
		{resolveBy("water", 5*time.Hour), registry.WhistleAcknowledged},
		{resolveBy("housing", 6*time.Hour), registry.WhistleResolved},
	}
	for _, st := range steps {
		w = applyActs(t, w, st.act)
		if w.Status != st.want {
			t.Fatalf("after %+v: %s, want %s", st.act, w.Status, st.want)
		}
	}
	closed, changed, err := registry.CloseWhistle(w, []registry.DepartmentRating{{"housing", 4}, {"water", 5}}, sinceRaise(7*time.Hour))
	wantErr(t, err, nil)
	if !changed || closed.Status != registry.WhistleClosed || !closed.CloseTime.Equal(sinceRaise(7*time.Hour)) {
		t.Fatalf("closed %+v", closed)
	}
	if closed.Responses[0].Rating != 5 || closed.Responses[1].Rating != 4 {
		t.Fatalf("ratings %+v", closed.Responses)
	}
	if w.Responses[0].Rating != 0 {
		t.Fatal("CloseWhistle changed the whistle it was given")
	}
}

func TestAcknowledgeAndResolveRules(t *testing.T) {
	w := raiseWhistle(t, registry.Urgent, "water", "housing")

	t.Run("a department not called is NOT_ELIGIBLE", func(t *testing.T) {
		_, _, err := registry.AcknowledgeWhistle(w, "power", "", sinceRaise(time.Hour))
		wantErr(t, err, registry.ErrNotEligible)
		_, _, err = registry.ResolveWhistle(w, "power", "", sinceRaise(time.Hour))
		wantErr(t, err, registry.ErrNotEligible)
	})
	t.Run("acknowledging twice keeps the first time and remarks and changes nothing", func(t *testing.T) {
		once, changed, err := registry.AcknowledgeWhistle(w, "water", "on our way", sinceRaise(time.Hour))
		if err != nil || !changed {
			t.Fatalf("first: %v %v", changed, err)
		}
		twice, changed, err := registry.AcknowledgeWhistle(once, "water", "again", sinceRaise(3*time.Hour))
		if err != nil || changed {
			t.Fatalf("second: changed=%v err=%v", changed, err)
		}
		if r := twice.Responses[0]; !r.AcknowledgeTime.Equal(sinceRaise(time.Hour)) || r.AcknowledgeRemarks != "on our way" {
			t.Fatalf("after a second acknowledgement: %+v", r)
		}
	})
	t.Run("rule 11: resolving before acknowledging is ErrNotAcknowledged and changes nothing", func(t *testing.T) {
		_, changed, err := registry.ResolveWhistle(w, "housing", "fixed", sinceRaise(time.Hour))
		if !errors.Is(err, registry.ErrNotAcknowledged) || changed {
			t.Fatalf("resolving unacknowledged: changed=%v err=%v", changed, err)
		}
		if r := w.Responses[1]; !r.AcknowledgeTime.IsZero() || !r.ResolveTime.IsZero() {
			t.Fatalf("the refused resolve touched the whistle: %+v", r)
		}
	})
	t.Run("resolving after acknowledging records both times", func(t *testing.T) {
		acked, _, err := registry.AcknowledgeWhistle(w, "housing", "", sinceRaise(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		got, changed, err := registry.ResolveWhistle(acked, "housing", "fixed", sinceRaise(time.Hour))
		if err != nil || !changed {
			t.Fatalf("resolve: %v %v", changed, err)
		}
		if r := got.Responses[1]; !r.AcknowledgeTime.Equal(sinceRaise(time.Hour)) || !r.ResolveTime.Equal(sinceRaise(time.Hour)) || r.ResolveRemarks != "fixed" {
			t.Fatalf("response %+v", r)
		}
		if got.Status != registry.WhistleOpen {
			t.Fatalf("status %s; water has not acknowledged", got.Status)
		}
		again, changed, err := registry.ResolveWhistle(got, "housing", "", sinceRaise(2*time.Hour))
		if err != nil || changed || !again.Responses[1].ResolveTime.Equal(sinceRaise(time.Hour)) {
			t.Fatalf("resolving again: changed=%v err=%v %+v", changed, err, again.Responses[1])
		}
	})
	t.Run("the act's time is kept to the microsecond", func(t *testing.T) {
		got, _, _ := registry.AcknowledgeWhistle(w, "water", "", sinceRaise(time.Hour+999*time.Nanosecond))
		if !got.Responses[0].AcknowledgeTime.Equal(sinceRaise(time.Hour)) {
			t.Fatalf("acknowledge time %v", got.Responses[0].AcknowledgeTime)
		}
	})
}

func TestCloseWhistle(t *testing.T) {
	open := raiseWhistle(t, registry.Normal, "water", "housing")
	acked := applyActs(t, open, ackBy("water", time.Hour), ackBy("housing", time.Hour))
	resolved := applyActs(t, acked, resolveBy("water", 2*time.Hour), resolveBy("housing", 3*time.Hour))
	both := []registry.DepartmentRating{{"water", 5}, {"housing", 3}}
	closed, _, err := registry.CloseWhistle(resolved, both, sinceRaise(4*time.Hour))
	wantErr(t, err, nil)

	tests := []struct {
		name    string
		w       registry.Whistle
		ratings []registry.DepartmentRating
		want    error
		fields  []string
		changed bool
	}{
		{"a RESOLVED whistle closes", resolved, both, nil, nil, true},
		{"an OPEN whistle is WRONG_STATE", open, both, registry.ErrWrongState, nil, false},
		{"an ACKNOWLEDGED whistle is WRONG_STATE", acked, both, registry.ErrWrongState, nil, false},
		{"closing again with the same ratings changes nothing", closed, []registry.DepartmentRating{{"housing", 3}, {"water", 5}}, nil, nil, false},
		{"closing again with other ratings is WRONG_STATE", closed, []registry.DepartmentRating{{"water", 1}, {"housing", 3}}, registry.ErrWrongState, nil, false},
		{"a rating of a department not called", resolved, []registry.DepartmentRating{{"water", 5}, {"housing", 3}, {"power", 4}}, errInvalid, []string{"ratings[2].departmentId"}, false},
		{"a department rated twice", resolved, []registry.DepartmentRating{{"water", 5}, {"housing", 3}, {"water", 4}}, errInvalid, []string{"ratings[2].departmentId"}, false},
		{"a department not rated", resolved, []registry.DepartmentRating{{"water", 5}}, errInvalid, []string{"ratings"}, false},
		{"a score of 0", resolved, []registry.DepartmentRating{{"water", 0}, {"housing", 3}}, errInvalid, []string{"ratings[0].score"}, false},
		{"a score of 6", resolved, []registry.DepartmentRating{{"water", 5}, {"housing", 6}}, errInvalid, []string{"ratings[1].score"}, false},
		{"bad ratings are refused before the state is looked at", open, nil, errInvalid, []string{"ratings", "ratings"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := registry.CloseWhistle(tt.w, tt.ratings, sinceRaise(5*time.Hour))
			wantErr(t, err, tt.want, tt.fields...)
			if err == nil && changed != tt.changed {
				t.Fatalf("changed = %v, want %v", changed, tt.changed)
			}
			if err == nil && got.Status != registry.WhistleClosed {
				t.Fatalf("status %s", got.Status)
			}
		})
	}
}

// Rule 11 at the instants that matter, for both priorities and both kinds of limit.
func TestAssessOverdueAndEscalation(t *testing.T) {
	const µs = time.Microsecond
	h := time.Hour
	tests := []struct {
		name     string
		priority registry.Priority
		acts     []act
		now      time.Duration
		overdue  bool
		level    registry.Escalation
		late     []string // departments overdue
	}{
		{"URGENT, nothing done, within 2 h", registry.Urgent, nil, h, false, registry.AtCommunity, nil},
		{"URGENT, nothing done, at 2 h exactly is still in time", registry.Urgent, nil, 2 * h, false, registry.AtCommunity, nil},
		{"URGENT, nothing done, just past 2 h: overdue, sub-district", registry.Urgent, nil, 2*h + µs, true, registry.AtSubdistrict, []string{"water", "housing"}},
		{"URGENT, acknowledged in time, at 24 h", registry.Urgent, []act{ackBy("water", h), ackBy("housing", h)}, 24 * h, false, registry.AtCommunity, nil},
		{"URGENT, acknowledged in time, past 24 h: one limit, sub-district", registry.Urgent, []act{ackBy("water", h), ackBy("housing", h)}, 24*h + µs, true, registry.AtSubdistrict, []string{"water", "housing"}},
		{"URGENT, acknowledged late by one department", registry.Urgent, []act{ackBy("water", h), ackBy("housing", 3*h)}, 4 * h, true, registry.AtSubdistrict, []string{"housing"}},
		{"URGENT, acknowledged at 2 h exactly is in time", registry.Urgent, []act{ackBy("water", 2*h), ackBy("housing", 2*h)}, 4 * h, false, registry.AtCommunity, nil},
		{"URGENT, nothing done past 24 h: both rungs, district", registry.Urgent, nil, 25 * h, true, registry.AtDistrict, []string{"water", "housing"}},
		{"URGENT, resolved in time: never overdue", registry.Urgent, []act{resolveBy("water", h), ackBy("housing", h), resolveBy("housing", 20*h)}, 100 * h, false, registry.AtCommunity, nil},
		{"URGENT, resolved late stays overdue after the resolve", registry.Urgent, []act{resolveBy("water", h), ackBy("housing", h), resolveBy("housing", 30*h)}, 100 * h, true, registry.AtSubdistrict, []string{"housing"}},
		{"URGENT, acknowledged and resolved at 3 h: the acknowledgement was late", registry.Urgent, []act{resolveBy("water", 3*h), resolveBy("housing", h)}, 10 * h, true, registry.AtSubdistrict, []string{"water"}},
		{"NORMAL, nothing done at 24 h", registry.Normal, nil, 24 * h, false, registry.AtCommunity, nil},
		{"NORMAL, nothing done past 24 h", registry.Normal, nil, 24*h + µs, true, registry.AtSubdistrict, []string{"water", "housing"}},
		{"NORMAL, acknowledged in time, at 72 h", registry.Normal, []act{ackBy("water", 10*h), ackBy("housing", 23*h)}, 72 * h, false, registry.AtCommunity, nil},
		{"NORMAL, acknowledged in time, past 72 h: one limit", registry.Normal, []act{ackBy("water", 10*h), ackBy("housing", 23*h)}, 72*h + µs, true, registry.AtSubdistrict, []string{"water", "housing"}},
		{"NORMAL, one resolved in time, the other not by 72 h", registry.Normal, []act{ackBy("water", 10*h), resolveBy("water", 30*h), ackBy("housing", 23*h)}, 73 * h, true, registry.AtSubdistrict, []string{"housing"}},
		{"URGENT, one late to acknowledge, the other late to resolve: two limits, district", registry.Urgent, []act{resolveBy("water", 3*h), ackBy("housing", h)}, 25 * h, true, registry.AtDistrict, []string{"water", "housing"}},
		{"NORMAL, both late to acknowledge: one limit however many departments", registry.Normal, []act{resolveBy("water", 25*h), resolveBy("housing", 30*h)}, 100 * h, true, registry.AtSubdistrict, []string{"water", "housing"}},
		{"NORMAL, acknowledged late and resolved in time: sub-district", registry.Normal, []act{resolveBy("water", 30*h), resolveBy("housing", 40*h)}, 100 * h, true, registry.AtSubdistrict, []string{"water", "housing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := applyActs(t, raiseWhistle(t, tt.priority, "water", "housing"), tt.acts...)
			a := w.Assess(sinceRaise(tt.now))
			if a.Overdue != tt.overdue || a.Escalation != tt.level {
				t.Fatalf("overdue=%v level=%s, want overdue=%v level=%s", a.Overdue, a.Escalation, tt.overdue, tt.level)
			}
			if len(a.DepartmentOverdue) != len(tt.late) {
				t.Fatalf("departments overdue %v, want %v", a.DepartmentOverdue, tt.late)
			}
			for _, d := range tt.late {
				if !a.DepartmentOverdue[d] {
					t.Fatalf("departments overdue %v, want %v", a.DepartmentOverdue, tt.late)
				}
			}
			// The index instant agrees with the assessment (see the property test).
			if oa := w.OverdueAt(); a.Overdue != (!oa.IsZero() && raised.Add(tt.now).After(oa)) {
				t.Fatalf("OverdueAt %v disagrees with overdue=%v", oa, a.Overdue)
			}
		})
	}
}

// One whistle watched through its life climbs every rung: COMMUNITY, then SUBDISTRICT at
// the acknowledge limit, then DISTRICT at the resolve limit, and stays there once closed.
func TestEscalationClimbsThroughEveryLevel(t *testing.T) {
	w := raiseWhistle(t, registry.Urgent, "water")
	watch := []struct {
		now   time.Duration
		acts  []act
		level registry.Escalation
	}{
		{time.Hour, nil, registry.AtCommunity},
		{3 * time.Hour, []act{ackBy("water", 3*time.Hour)}, registry.AtSubdistrict},
		{20 * time.Hour, nil, registry.AtSubdistrict},
		{25 * time.Hour, nil, registry.AtDistrict},
		{30 * time.Hour, []act{resolveBy("water", 30*time.Hour)}, registry.AtDistrict},
	}
	for _, step := range watch {
		w = applyActs(t, w, step.acts...)
		if got := w.Assess(sinceRaise(step.now)).Escalation; got != step.level {
			t.Fatalf("at %v: %s, want %s", step.now, got, step.level)
		}
	}
	closed, _, err := registry.CloseWhistle(w, []registry.DepartmentRating{{"water", 2}}, sinceRaise(31*time.Hour))
	wantErr(t, err, nil)
	if a := closed.Assess(sinceRaise(1000 * time.Hour)); a.Escalation != registry.AtDistrict || !a.Overdue {
		t.Fatalf("closed: %+v", a)
	}
}

func TestTalliesAndChanges(t *testing.T) {
	w := raiseWhistle(t, registry.Urgent, "water", "housing")
	t.Run("a new whistle counts once for each department, pending at its acknowledge limit", func(t *testing.T) {
		c := registry.WhistleChangeOf(nil, &w)
		if !c.OverdueAt.Equal(sinceRaise(2 * time.Hour)) {
			t.Fatalf("overdue at %v", c.OverdueAt)
		}
		for i, d := range []string{"water", "housing"} {
			got := c.Departments[i]
			want := registry.DepartmentTally{DepartmentID: d, Whistles: 1, Pending: sinceRaise(2 * time.Hour)}
			if got != want {
				t.Fatalf("%s: %+v, want %+v", d, got, want)
			}
		}
	})
	acked := applyActs(t, w, ackBy("water", 30*time.Minute), ackBy("housing", 3*time.Hour))
	t.Run("acknowledging moves the counters by the difference", func(t *testing.T) {
		c := registry.WhistleChangeOf(&w, &acked)
		water := registry.DepartmentTally{DepartmentID: "water", Acknowledged: 1, AcknowledgeMicros: (30 * time.Minute).Microseconds(), Pending: sinceRaise(24 * time.Hour)}
		housing := registry.DepartmentTally{DepartmentID: "housing", Acknowledged: 1, AcknowledgeMicros: (3 * time.Hour).Microseconds(), Breached: 1}
		if c.Departments[0] != water || c.Departments[1] != housing {
			t.Fatalf("changes %+v\nwant %+v\n     %+v", c.Departments, water, housing)
		}
		if !c.OverdueAt.Equal(sinceRaise(2 * time.Hour)) {
			t.Fatalf("a late acknowledgement keeps the whistle overdue since 2 h: %v", c.OverdueAt)
		}
	})
	done := applyActs(t, acked, resolveBy("water", 5*time.Hour), resolveBy("housing", 6*time.Hour))
	closed, _, _ := registry.CloseWhistle(done, []registry.DepartmentRating{{"water", 5}, {"housing", 2}}, sinceRaise(7*time.Hour))
	t.Run("the changes of a whole life add up to the final tallies", func(t *testing.T) {
		sum := map[string]registry.DepartmentTally{}
		history := []registry.Whistle{w, acked, done, closed}
		for i := range history {
			var prev *registry.Whistle
			if i > 0 {
				prev = &history[i-1]
			}
			for _, d := range registry.WhistleChangeOf(prev, &history[i]).Departments {
				s := sum[d.DepartmentID].Minus(registry.DepartmentTally{}.Minus(d))
				s.DepartmentID, s.Pending = d.DepartmentID, d.Pending
				sum[d.DepartmentID] = s
			}
		}
		for _, want := range closed.Tallies() {
			if got := sum[want.DepartmentID]; got != want {
				t.Fatalf("%s: summed %+v, final %+v", want.DepartmentID, got, want)
			}
		}
		if got := closed.Tallies()[1]; got.Breached != 1 || got.Rated != 1 || got.RatingSum != 2 || !got.Pending.IsZero() {
			t.Fatalf("housing's final tally %+v", got)
		}
		if !registry.WhistleChangeOf(&done, &closed).OverdueAt.Equal(sinceRaise(2 * time.Hour)) {
			t.Fatal("a closed whistle that was late leaves the overdue index")
		}
	})
	t.Run("a whistle done in time leaves the overdue index", func(t *testing.T) {
		inTime := applyActs(t, w, resolveBy("water", time.Hour), resolveBy("housing", time.Hour))
		if c := registry.WhistleChangeOf(&w, &inTime); !c.OverdueAt.IsZero() || !c.Departments[0].Pending.IsZero() {
			t.Fatalf("change %+v", c)
		}
	})
}

func TestPerformance(t *testing.T) {
	tests := []struct {
		name        string
		tally       registry.DepartmentTally
		pendingPast int64
		want        registry.DepartmentPerformance
	}{
		{"no whistles: zeros, no division by zero", registry.DepartmentTally{DepartmentID: "water"}, 0, registry.DepartmentPerformance{DepartmentID: "water"}},
		{"exact means", registry.DepartmentTally{
			DepartmentID: "water", Whistles: 4, Acknowledged: 3, Resolved: 2, Rated: 2, Breached: 1,
			AcknowledgeMicros: (time.Hour + 2*time.Hour + 3*time.Hour).Microseconds(), ResolveMicros: (10*time.Hour + 20*time.Hour).Microseconds(), RatingSum: 9,
		}, 1, registry.DepartmentPerformance{
			DepartmentID: "water", Whistles: 4, Acknowledged: 3, Resolved: 2, Overdue: 2, OverdueRate: 0.5,
			MeanAcknowledgeSeconds: 7200, MeanResolveSeconds: 54000, MeanRating: 4.5,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.Performance(tt.tally, tt.pendingPast); got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestWhistleEnumNames(t *testing.T) {
	for s, want := range map[registry.WhistleStatus]string{registry.WhistleOpen: "OPEN", registry.WhistleClosed: "CLOSED", registry.WhistleStatus(9): "WhistleStatus(9)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %s, want %s", int(s), got, want)
		}
	}
	if registry.Urgent.String() != "URGENT" || registry.AtDistrict.String() != "DISTRICT" || registry.Escalation(0).String() != "UNSPECIFIED" {
		t.Error("enum names")
	}
}

// The store answers "overdue now" from one sorted set of OverdueAt instants, and a
// department's overdue count from its Breached counter and its passed Pending deadlines.
// Both must agree with Assess for every history and every instant after it.
func TestPropertyIndexesAgreeWithAssess(t *testing.T) {
	departments := []string{"water", "housing", "power"}
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom([]registry.Priority{registry.Urgent, registry.Normal}).Draw(t, "priority")
		n := rapid.IntRange(1, 3).Draw(t, "departments")
		w := raiseWhistle(t, p, departments[:n]...)
		var last time.Duration
		for i := rapid.IntRange(0, 6).Draw(t, "acts"); i > 0; i-- {
			last += time.Duration(rapid.Int64Range(0, int64(40*time.Hour)).Draw(t, "gap")).Truncate(time.Microsecond)
			d := departments[rapid.IntRange(0, n-1).Draw(t, "who")]
			var err error
			if rapid.Bool().Draw(t, "resolve") {
				// Rule 11: only what was acknowledged is resolved; refused, nothing changes.
				next, changed, rerr := registry.ResolveWhistle(w, d, "", sinceRaise(last))
				switch {
				case errors.Is(rerr, registry.ErrNotAcknowledged):
					if changed {
						t.Fatal("a refused resolve reports a change")
					}
				case rerr != nil:
					err = rerr
				default:
					w = next
				}
			} else {
				w, _, err = registry.AcknowledgeWhistle(w, d, "", sinceRaise(last))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		now := sinceRaise(last + time.Duration(rapid.Int64Range(0, int64(100*time.Hour)).Draw(t, "wait")))
		a := w.Assess(now)
		if oa := w.OverdueAt(); a.Overdue != (!oa.IsZero() && now.After(oa)) {
			t.Fatalf("overdue %v at %v, OverdueAt %v", a.Overdue, now, oa)
		}
		for _, tl := range w.Tallies() {
			byIndex := tl.Breached == 1 || (!tl.Pending.IsZero() && now.After(tl.Pending))
			if a.DepartmentOverdue[tl.DepartmentID] != byIndex {
				t.Fatalf("%s: assessed overdue %v, by the tally %v (%+v)", tl.DepartmentID, a.DepartmentOverdue[tl.DepartmentID], byIndex, tl)
			}
			if tl.Breached == 1 && !tl.Pending.IsZero() {
				t.Fatalf("%s is counted twice: %+v", tl.DepartmentID, tl)
			}
		}
		if a.Escalation < registry.AtCommunity || a.Escalation > registry.AtDistrict || (a.Escalation > registry.AtCommunity) != a.Overdue {
			t.Fatalf("escalation %s with overdue %v", a.Escalation, a.Overdue)
		}
	})
}

func TestErrorsOfWhistlesAreTheRegistrySentinels(t *testing.T) {
	w := raiseWhistle(t, registry.Urgent, "water")
	_, _, err := registry.CloseWhistle(w, []registry.DepartmentRating{{"water", 3}}, sinceRaise(time.Hour))
	if !errors.Is(err, registry.ErrWrongState) {
		t.Fatalf("closing an OPEN whistle: %v", err)
	}
}

// Reports from anyone (issue 19): a REPORTED whistle calls nobody and runs no clock; the
// triage starts rule 11's limits, and its change counts the departments once.
func TestReportedWhistleRunsNoClockUntilTriage(t *testing.T) {
	w, err := registry.NewReportedWhistle(registry.Whistle{CompoundID: "c1", Category: "ROAD", Description: "路面塌陷"}, "households/h1", raised)
	if err != nil {
		t.Fatal(err)
	}
	w.ID = "w1"
	if w.Status != registry.WhistleReported || w.ReporterHousehold() != "h1" {
		t.Fatalf("reported %+v", w)
	}
	later := sinceRaise(1000 * time.Hour)
	if a := w.Assess(later); a.Overdue || a.Escalation != registry.AtCommunity || !w.OverdueAt().IsZero() {
		t.Fatalf("a REPORTED whistle is assessed %+v, overdue at %v", a, w.OverdueAt())
	}
	if c := registry.WhistleChangeOf(nil, &w); len(c.Departments) != 0 || !c.OverdueAt.IsZero() {
		t.Fatalf("a report changes %+v", c)
	}

	next, changed, err := registry.TriageWhistle(w, []string{"water", "housing"}, registry.Urgent, "先查", knownDepartments, ruleLimits, later)
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	if next.Status != registry.WhistleOpen || !next.ClockStart().Equal(later) || !next.AcknowledgeDeadline.Equal(later.Add(2*time.Hour)) {
		t.Fatalf("triaged %+v", next)
	}
	c := registry.WhistleChangeOf(&w, &next)
	if len(c.Departments) != 2 || c.Departments[0].Whistles != 1 || !c.OverdueAt.Equal(later.Add(2*time.Hour)) {
		t.Fatalf("the triage changes %+v", c)
	}
	if _, changed, err := registry.TriageWhistle(next, []string{"water", "housing"}, registry.Urgent, "先查", knownDepartments, ruleLimits, later); err != nil || changed {
		t.Fatalf("the same triage again: changed %v, %v", changed, err)
	}

	tests := []struct {
		name string
		w    registry.Whistle
		want error
	}{
		{"triaged otherwise", next, registry.ErrWrongState},
		{"raised with its departments", raiseWhistle(t, registry.Normal, "water"), registry.ErrWrongState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := registry.TriageWhistle(tt.w, []string{"power"}, registry.Normal, "", knownDepartments, ruleLimits, later); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestOnlyTheReportingHouseholdRatesAClosedWhistleOnce(t *testing.T) {
	w, _ := registry.NewReportedWhistle(registry.Whistle{CompoundID: "c1", Category: "ROAD", Description: "x"}, "households/h1", raised)
	closed := w
	closed.Status = registry.WhistleClosed
	rated := closed
	rated.ReporterRating = 4
	tests := []struct {
		name      string
		w         registry.Whistle
		household string
		rating    int
		changed   bool
		want      error
	}{
		{"the reporter, closed", closed, "h1", 4, true, nil},
		{"another household", closed, "h2", 4, false, registry.ErrNotEligible},
		{"not yet closed", w, "h1", 4, false, registry.ErrWrongState},
		{"the same rating again", rated, "h1", 4, false, nil},
		{"another rating after one", rated, "h1", 1, false, registry.ErrWrongState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, changed, err := registry.RateWhistle(tt.w, tt.household, tt.rating)
			if changed != tt.changed || !errors.Is(err, tt.want) {
				t.Fatalf("changed %v, %v; want %v, %v", changed, err, tt.changed, tt.want)
			}
		})
	}
}
