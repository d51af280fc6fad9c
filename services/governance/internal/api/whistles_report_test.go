package api_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// Reports from anyone (issue 19): a whistle is REPORTED, waits for the community's
// triage with no limit running, then runs rule 11's limits from the triage.
func TestWhistleReportedTriagedClosedAndRated(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	other := e.compound(t, "和平里", tr.communityB.Id)
	b := e.building(t, c.Id, "1栋", 2)
	hs, _ := dwellings(b.Id, 2)
	households := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs})).Households
	mine, neighbour := households[0].Id, households[1].Id
	e.department(t, "water", "水务局")

	report := &pb.ReportWhistleRequest{CompoundId: c.Id, Category: "ROAD", Description: "路面塌陷", Address: "3号楼东侧", HouseholdId: mine, RequestId: "r1"}
	w := testkit.Must[*pb.Whistle](t)(e.ReportWhistle(bg, report))
	if w.Status != pb.Whistle_REPORTED || len(w.DepartmentIds) != 0 || w.Priority != pb.Whistle_PRIORITY_UNSPECIFIED ||
		w.Reporter != "households/"+mine || w.Address != "3号楼东侧" || w.ResolveDeadline != nil || w.TriageTime != nil {
		t.Fatalf("reported %v", w)
	}
	if again := testkit.Must[*pb.Whistle](t)(e.ReportWhistle(bg, report)); again.Id != w.Id {
		t.Fatalf("a retried report filed another whistle: %s, %s", again.Id, w.Id)
	}

	t.Run("a REPORTED whistle runs no clock: never overdue, in no department's report", func(t *testing.T) {
		clock.Set(1000 * time.Hour)
		wantWhistle(t, e.getWhistle(t, w.Id), pb.Whistle_REPORTED, false, pb.Whistle_COMMUNITY)
		if ids := e.listWhistles(t, &pb.ListWhistlesRequest{Overdue: true}); len(ids) != 0 {
			t.Fatalf("overdue: %v", ids)
		}
		if p := e.performance(t, "water"); p.Whistles != 0 {
			t.Fatalf("counted before triage: %v", p)
		}
	})
	t.Run("lists by status REPORTED and by reporting household", func(t *testing.T) {
		if ids := e.listWhistles(t, &pb.ListWhistlesRequest{Status: pb.Whistle_REPORTED}); len(ids) != 1 || ids[0] != w.Id {
			t.Fatalf("REPORTED: %v", ids)
		}
		if ids := e.listWhistles(t, &pb.ListWhistlesRequest{HouseholdId: mine}); len(ids) != 1 || ids[0] != w.Id {
			t.Fatalf("mine: %v", ids)
		}
		if ids := e.listWhistles(t, &pb.ListWhistlesRequest{HouseholdId: neighbour}); len(ids) != 0 {
			t.Fatalf("the neighbour's: %v", ids)
		}
	})
	t.Run("refusals: a household of another compound, a rating before closing, a bad triage", func(t *testing.T) {
		_, err := e.ReportWhistle(bg, &pb.ReportWhistleRequest{CompoundId: other.Id, Category: "ROAD", Description: "x", HouseholdId: mine})
		testkit.WantStatus(t, err, codes.InvalidArgument)
		_, err = e.RateWhistle(bg, &pb.RateWhistleRequest{Id: w.Id, HouseholdId: mine, Rating: 5})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		_, err = e.TriageWhistle(bg, &pb.TriageWhistleRequest{Id: w.Id, DepartmentIds: []string{"police"}, Priority: pb.Whistle_NORMAL})
		testkit.WantStatus(t, err, codes.InvalidArgument)
	})

	clock.Set(1001 * time.Hour)
	triage := &pb.TriageWhistleRequest{Id: w.Id, DepartmentIds: []string{"water"}, Priority: pb.Whistle_URGENT, Remarks: "请水务局处理"}
	w = testkit.Must[*pb.Whistle](t)(e.TriageWhistle(bg, triage))
	triaged := whistleT0.Add(1001 * time.Hour)
	if w.Status != pb.Whistle_OPEN || !w.TriageTime.AsTime().Equal(triaged) || w.TriageRemarks != "请水务局处理" ||
		!w.ResolveDeadline.AsTime().Equal(triaged.Add(24*time.Hour)) || !w.AcknowledgeDeadline.AsTime().Equal(triaged.Add(2*time.Hour)) {
		t.Fatalf("triaged %v", w)
	}
	t.Run("the same triage again is a no-op; another is WRONG_STATE; a raised whistle is never triaged", func(t *testing.T) {
		testkit.Must[*pb.Whistle](t)(e.TriageWhistle(bg, triage))
		_, err := e.TriageWhistle(bg, &pb.TriageWhistleRequest{Id: w.Id, DepartmentIds: []string{"water"}, Priority: pb.Whistle_NORMAL})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		raised := e.whistle(t, c.Id, pb.Whistle_NORMAL, "water")
		_, err = e.TriageWhistle(bg, &pb.TriageWhistleRequest{Id: raised.Id, DepartmentIds: []string{"water"}, Priority: pb.Whistle_NORMAL})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("rule 11's limits run from the triage, and the department's index has it", func(t *testing.T) {
		clock.Set(1003*time.Hour + time.Second) // past the 2 h acknowledge limit
		wantWhistle(t, e.getWhistle(t, w.Id), pb.Whistle_OPEN, true, pb.Whistle_SUBDISTRICT)
		found := false
		for _, id := range e.listWhistles(t, &pb.ListWhistlesRequest{DepartmentId: "water"}) {
			found = found || id == w.Id
		}
		if !found {
			t.Fatal("the triaged whistle is not in the called department's list")
		}
	})

	clock.Set(1004 * time.Hour)
	e.ack(t, w.Id, "water")
	e.resolve(t, w.Id, "water")
	if p := e.performance(t, "water"); p.MeanAcknowledgeSeconds != 3*3600 {
		t.Fatalf("times are measured from the triage: %v", p)
	}
	w = testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 4}}}))

	t.Run("only the reporting household rates a closed whistle, once", func(t *testing.T) {
		_, err := e.RateWhistle(bg, &pb.RateWhistleRequest{Id: w.Id, HouseholdId: neighbour, Rating: 1})
		testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_ELIGIBLE")
		rated := testkit.Must[*pb.Whistle](t)(e.RateWhistle(bg, &pb.RateWhistleRequest{Id: w.Id, HouseholdId: mine, Rating: 5}))
		if rated.ReporterRating != 5 {
			t.Fatalf("rated %v", rated)
		}
		testkit.Must[*pb.Whistle](t)(e.RateWhistle(bg, &pb.RateWhistleRequest{Id: w.Id, HouseholdId: mine, Rating: 5}))
		_, err = e.RateWhistle(bg, &pb.RateWhistleRequest{Id: w.Id, HouseholdId: mine, Rating: 2})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
}
