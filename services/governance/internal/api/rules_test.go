package api_test

// Tests of the rules a district can audit (issue "Rules a district can audit"): whistles
// escalate one level per breached limit and are resolved only once acknowledged (rule 11),
// a compound's status only follows its renovation, one leader election per building or
// unit is open at a time (rule 12), and every change of the facts behind the priority
// ranking is published for the survey service (rule 4).

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"tongdu/platform/events"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// Rule 11: a breached limit escalates the whistle one level: the acknowledge limit one,
// the resolve limit one more. A whistle whose departments acknowledged in time and only
// broke the resolve limit has broken one limit: it is at the SUB-DISTRICT, not the
// DISTRICT. Levels count limits, not departments or elapsed time.
func TestRule11WhistleEscalatesOneLevelPerBreachedLimit(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name  string
		acts  func(e env, clock *testkit.Clock, id string)
		at    time.Duration
		level pb.Whistle_EscalationLevel
	}{
		{"acknowledged in time, resolve limit breached: one limit, SUBDISTRICT", func(e env, c *testkit.Clock, id string) {
			c.Set(h)
			e.ack(t, id, "water")
			e.ack(t, id, "housing")
		}, 24*h + time.Second, pb.Whistle_SUBDISTRICT},
		{"acknowledged in time, resolved late: still one limit, SUBDISTRICT", func(e env, c *testkit.Clock, id string) {
			c.Set(h)
			e.ack(t, id, "water")
			e.ack(t, id, "housing")
			c.Set(30 * h)
			e.resolve(t, id, "water")
			e.resolve(t, id, "housing")
		}, 100 * h, pb.Whistle_SUBDISTRICT},
		{"both departments late to acknowledge: one limit, however many departments, SUBDISTRICT", func(e env, c *testkit.Clock, id string) {
			c.Set(3 * h)
			e.ack(t, id, "water")
			e.ack(t, id, "housing")
			c.Set(4 * h)
			e.resolve(t, id, "water")
			e.resolve(t, id, "housing")
		}, 100 * h, pb.Whistle_SUBDISTRICT},
		{"nothing done past the acknowledge limit: SUBDISTRICT", nil, 2*h + time.Second, pb.Whistle_SUBDISTRICT},
		{"nothing done past both limits: two limits, DISTRICT", nil, 24*h + time.Second, pb.Whistle_DISTRICT},
		{"one late to acknowledge, the other late to resolve: two limits, DISTRICT", func(e env, c *testkit.Clock, id string) {
			c.Set(h)
			e.ack(t, id, "water")
			c.Set(3 * h)
			e.ack(t, id, "housing")
			e.resolve(t, id, "housing")
		}, 24*h + time.Second, pb.Whistle_DISTRICT},
		{"everything in time: COMMUNITY", func(e env, c *testkit.Clock, id string) {
			c.Set(h)
			e.ack(t, id, "water")
			e.ack(t, id, "housing")
			e.resolve(t, id, "water")
			e.resolve(t, id, "housing")
		}, 100 * h, pb.Whistle_COMMUNITY},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := startWith(t)
			tr := e.tree(t)
			c := e.compound(t, "幸福里", tr.communityA.Id)
			e.department(t, "water", "水务局")
			e.department(t, "housing", "住建局")
			w := e.whistle(t, c.Id, pb.Whistle_URGENT, "water", "housing")
			if tt.acts != nil {
				tt.acts(e, clock, w.Id)
			}
			clock.Set(tt.at)
			got := e.getWhistle(t, w.Id)
			if got.EscalationLevel != tt.level || got.Overdue != (tt.level != pb.Whistle_COMMUNITY) {
				t.Fatalf("overdue=%v level=%s, want level %s", got.Overdue, got.EscalationLevel, tt.level)
			}
		})
	}
}

// Rule 11: a department resolves only what it has acknowledged. Resolving first is
// FAILED_PRECONDITION NOT_ACKNOWLEDGED and changes nothing (not the whistle, not the
// department's report, not the request id, which the corrected sequence may reuse).
func TestRule11ResolvingUnacknowledgedIsRefused(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	e.department(t, "water", "水务局")
	w := e.whistle(t, c.Id, pb.Whistle_NORMAL, "water")
	before := e.performance(t, "water")

	clock.Set(time.Hour)
	_, err := e.ResolveWhistle(bg, &pb.ResolveWhistleRequest{Id: w.Id, DepartmentId: "water", RequestId: "resolve-1"})
	testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ACKNOWLEDGED")
	if got := e.getWhistle(t, w.Id); !proto.Equal(got, w) {
		t.Fatalf("a refused resolve changed the whistle:\n%v\nwas\n%v", got, w)
	}
	if p := e.performance(t, "water"); !proto.Equal(p, before) {
		t.Fatalf("a refused resolve moved the report: %v, was %v", p, before)
	}

	e.ack(t, w.Id, "water")
	clock.Set(2 * time.Hour)
	got := testkit.Must[*pb.Whistle](t)(e.ResolveWhistle(bg, &pb.ResolveWhistleRequest{Id: w.Id, DepartmentId: "water", RequestId: "resolve-1"}))
	r := got.Responses[0]
	if got.Status != pb.Whistle_RESOLVED || !r.AcknowledgeTime.AsTime().Equal(whistleT0.Add(time.Hour)) || !r.ResolveTime.AsTime().Equal(whistleT0.Add(2*time.Hour)) {
		t.Fatalf("resolved after acknowledging: %v", got)
	}
}

// A compound's status is derived only: it follows the renovation through the events of
// the survey and projects services. An update naming it (or, without a mask, setting
// another one) is INVALID_ARGUMENT on compound.status and changes nothing.
func TestCompoundStatusIsDerivedOnly(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	unchanged := func(t *testing.T) {
		t.Helper()
		got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id}))
		if !proto.Equal(got, c) {
			t.Fatalf("a refused update changed the compound:\n%v\nwas\n%v", got, c)
		}
	}
	for _, tt := range []struct {
		name string
		req  *pb.UpdateCompoundRequest
	}{
		{"the mask names status", &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Status: pb.Compound_PLANNED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}},
		{"the mask names status beside another field", &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Name: "新名字", Status: pb.Compound_PLANNED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "status"}}}},
		{"the mask names status with the stored value", &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Status: pb.Compound_INVENTORIED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}}},
		{"no mask, the body sets another status", &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Name: "新名字", Status: pb.Compound_MAINTAINING}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.UpdateCompound(bg, tt.req)
			testkit.WantViolation(t, err, "compound.status")
			unchanged(t)
		})
	}
	t.Run("the status follows the renovation's events", func(t *testing.T) {
		if err := e.app.FollowCompoundEvent(bg, "1-0", map[string]string{"compound": c.Id, "fact": "PROJECT_STATUS", "status": "APPROVED"}); err != nil {
			t.Fatal(err)
		}
		got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id}))
		if got.Status != pb.Compound_PLANNED {
			t.Fatalf("status %s after an approved project", got.Status)
		}
	})
}

// Rule 12: one election per building (or unit) is open at a time. A second OPEN
// election for the same building and unit is FAILED_PRECONDITION ELECTION_OPEN; a unit's
// election and the whole building's are different ones; once closed, a new one opens.
func TestRule12OneOpenElectionPerBuildingOrUnit(t *testing.T) {
	e := start(t)
	w := e.electionWorld(t)
	h := w.h
	first := e.openElection(t, w.b.Id, "", h[0], h[1])

	t.Run("a second for the whole building is ELECTION_OPEN", func(t *testing.T) {
		_, err := e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: w.b.Id, CandidateHouseholdIds: []string{h[2]}}})
		testkit.WantReason(t, err, codes.FailedPrecondition, "ELECTION_OPEN")
	})
	unit1 := e.openElection(t, w.b.Id, "1", h[0])
	t.Run("a unit's election is its own; a second for the unit (however written) is ELECTION_OPEN", func(t *testing.T) {
		for _, u := range []string{"1", "01"} {
			_, err := e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: w.b.Id, Unit: u, CandidateHouseholdIds: []string{h[1]}}})
			testkit.WantReason(t, err, codes.FailedPrecondition, "ELECTION_OPEN")
		}
	})
	t.Run("a retry of the request that opened it answers it", func(t *testing.T) {
		req := &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: w.b.Id, Unit: "2", CandidateHouseholdIds: []string{h[4]}}, RequestId: "open-unit-2"}
		a := testkit.Must[*pb.LeaderElection](t)(e.CreateLeaderElection(bg, req))
		b := testkit.Must[*pb.LeaderElection](t)(e.CreateLeaderElection(bg, req))
		if !proto.Equal(a, b) {
			t.Fatalf("replay %v\nfirst %v", b, a)
		}
	})
	t.Run("once closed, a new one opens", func(t *testing.T) {
		for _, el := range []*pb.LeaderElection{first, unit1} {
			testkit.Must[*pb.LeaderElection](t)(e.CloseLeaderElection(bg, &pb.CloseLeaderElectionRequest{Id: el.Id}))
		}
		e.openElection(t, w.b.Id, "", h[2])
		e.openElection(t, w.b.Id, "1", h[3])
	})
	t.Run("two at once: one wins, the other is ELECTION_OPEN", func(t *testing.T) {
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.CreateLeaderElection(bg, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{BuildingId: w.other.Id, CandidateHouseholdIds: []string{w.x}}})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			testkit.WantReason(t, err, codes.FailedPrecondition, "ELECTION_OPEN")
		}
		if won != 1 {
			t.Fatalf("%d concurrent creates won, want 1", won)
		}
	})
}

// registryEvents reads the registry topic after the stream id from, once the relay has
// moved compound cid's outbox to it, returning each event as "compound fact" and the
// last id read.
func (e env) registryEvents(t *testing.T, cid, from string) ([]string, string) {
	t.Helper()
	outbox := events.OutboxKey("gov:{c:" + cid + "}:compound") // the storage's compound key
	for deadline := time.Now().Add(5 * time.Second); e.rdb.LLen(bg, outbox).Val() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("compound %s's outbox not relayed within 5 s", cid)
		}
	}
	msgs, err := e.rdb.XRange(bg, events.RegistryTopic, "("+from, "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		ev := fmt.Sprint(m.Values["compound"], " ", m.Values["fact"])
		switch {
		case m.Values["fact"] == "HOUSEHOLDS_CHANGED" && len(m.Values) == 3:
			// The households written, with their areas, for the surveys' own copies.
			hs, err := events.DecodeHouseholds(fmt.Sprint(m.Values[events.HouseholdsField]))
			if err != nil || len(hs) == 0 {
				t.Fatalf("event %s carries households %v (%v)", m.ID, m.Values[events.HouseholdsField], err)
			}
			ev += fmt.Sprintf(" %d, the first of %d hundredths of m²", len(hs), hs[0].Area)
		case len(m.Values) != 2:
			t.Fatalf("event %s has fields %v, want compound and fact", m.ID, m.Values)
		}
		out = append(out, ev)
		from = m.ID
	}
	return out, from
}

// Rule 4: any change of the facts behind the priority ranking reaches it within the same
// short delay, whichever service it happened in. Governance publishes each change of its
// registry facts on the registry topic, once stored: a compound created, its facilities
// set or changed, households added (one or a batch), it classified, its status moved.
// A change that moves none of these facts, or is refused, publishes nothing.
func TestRule4RegistryFactsArePublishedForTheRanking(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := testkit.Must[*pb.Compound](t)(e.CreateCompound(bg, &pb.CreateCompoundRequest{Compound: &pb.Compound{
		Name: "幸福里", CommunityId: tr.communityA.Id, BuildYear: 1988,
		Facilities: []*pb.Facility{{Kind: pb.Facility_ROADS, Condition: pb.Facility_POOR}},
	}}))
	last := "0-0"
	want := func(t *testing.T, expected ...string) {
		t.Helper()
		var got []string
		got, last = e.registryEvents(t, c.Id, last)
		if fmt.Sprint(got) != fmt.Sprint(expected) {
			t.Fatalf("published %v, want %v", got, expected)
		}
	}
	t.Run("created", func(t *testing.T) { want(t, c.Id+" CREATED") })
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	t.Run("facilities changed", func(t *testing.T) {
		testkit.Must[*pb.Compound](t)(e.UpdateCompound(bg, &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Facilities: []*pb.Facility{{Kind: pb.Facility_ROADS, Condition: pb.Facility_FAIR}, {Kind: pb.Facility_DRAINS, Condition: pb.Facility_POOR}}}, UpdateMask: mask("facilities")}))
		want(t, c.Id+" FACILITIES_ASSESSED")
	})
	t.Run("facilities set to what they are, or another field edited: nothing", func(t *testing.T) {
		testkit.Must[*pb.Compound](t)(e.UpdateCompound(bg, &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Facilities: []*pb.Facility{{Kind: pb.Facility_ROADS, Condition: pb.Facility_FAIR}, {Kind: pb.Facility_DRAINS, Condition: pb.Facility_POOR}}}, UpdateMask: mask("facilities")}))
		testkit.Must[*pb.Compound](t)(e.UpdateCompound(bg, &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, HeritageNotes: "青砖"}, UpdateMask: mask("heritage_notes")}))
		want(t)
	})
	t.Run("a refused update: nothing", func(t *testing.T) {
		_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Status: pb.Compound_PLANNED, Facilities: []*pb.Facility{{Kind: pb.Facility_GAS, Condition: pb.Facility_POOR}}}, UpdateMask: mask("facilities", "status")})
		testkit.WantViolation(t, err, "compound.status")
		want(t)
	})
	b := e.building(t, c.Id, "1栋", 6)
	t.Run("a household added", func(t *testing.T) {
		want(t) // a building alone moves no term of the ranking
		testkit.Must[*pb.Household](t)(e.CreateHousehold(bg, &pb.CreateHouseholdRequest{CompoundId: c.Id, Household: &pb.Household{BuildingId: b.Id, Unit: "1", Room: "101", ExclusiveAreaM2: 70}}))
		want(t, c.Id+" HOUSEHOLDS_CHANGED 1, the first of 7000 hundredths of m²")
	})
	t.Run("a batch of households added: one event", func(t *testing.T) {
		in, _ := dwellings(b.Id, 20)
		testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: in}))
		want(t, fmt.Sprintf("%s HOUSEHOLDS_CHANGED 20, the first of %d hundredths of m²", c.Id, int64(in[0].ExclusiveAreaM2*100+0.5)))
	})
	t.Run("classified", func(t *testing.T) {
		testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_SELF_GOVERNANCE, DecidedBy: "社区党委"}))
		want(t, c.Id+" CLASSIFIED")
	})
	t.Run("status moved by the renovation's events; a fact that moves nothing publishes nothing", func(t *testing.T) {
		ev := map[string]string{"compound": c.Id, "fact": "NEEDS_SURVEY_OPENED", "survey": "s1"}
		if err := e.app.FollowCompoundEvent(bg, "1-0", ev); err != nil {
			t.Fatal(err)
		}
		want(t, c.Id+" STATUS_CHANGED")
		if err := e.app.FollowCompoundEvent(bg, "1-0", ev); err != nil { // handled twice
			t.Fatal(err)
		}
		want(t)
	})
}
