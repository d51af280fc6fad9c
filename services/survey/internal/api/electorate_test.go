package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"tongdu/platform/testkit"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// eventDelay bounds how long the registry's events take from governance's write to the
// survey's electorate here (outbox relay, stream, consumer): well under a second.
const eventDelay = 5 * time.Second

// electorateHolds waits until the survey's own copy of its compound's households holds
// the household with the area (hundredths of m²), as the registry's events bring it.
func (e *env) electorateHolds(t *testing.T, sid, hid string, area int64) {
	t.Helper()
	want := fmt.Sprint(area)
	deadline := time.Now().Add(eventDelay)
	for {
		got, _ := e.rdb.HGet(bg, "svy:{s:"+sid+"}:electorate", hid).Result()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("household %s in the electorate of %s: %q after %s, want %s", hid, sid, got, eventDelay, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Rules 2 and 3 checked in the response's own step: a survey keeps its compound's
// households (loaded when it opens, then kept by the registry's events), so a response
// asks governance nothing; a household added, or its area changed by an import, is seen
// by the next response once its event arrived; a household the survey never heard of
// is asked of governance once and works; one of another compound is still refused.
func TestResponsesCheckTheSurveysOwnCopyOfTheHouseholds(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "石羊路21号", tr.comA.Id, 1985)
	other := e.compound(t, "东门小区", tr.comA.Id, 1990)
	hs := e.households(t, c.Id, 7500, 6000)
	stranger := e.households(t, other.Id, 8000)[0]
	sv := e.open(t, c.Id, pb.Survey_RESOLUTION, pb.Survey_RENOVATION)

	// Loaded when it opened: the responses ask governance about no household.
	e.vote(t, sv.Id, hs[0], "agree")
	e.vote(t, sv.Id, hs[1], "disagree")
	if n := e.registry.householdReads.Load(); n != 0 {
		t.Fatalf("responses asked governance about %d households, want 0", n)
	}
	if st := e.stats(t, sv.Id); st.RespondedHouseholds != 2 {
		t.Fatalf("responded %d, want 2", st.RespondedHouseholds)
	}

	// Added after the survey opened: the event brings it.
	added := e.households(t, c.Id, 9000)[0]
	e.electorateHolds(t, sv.Id, added, 9000)
	e.vote(t, sv.Id, added, "agree")
	if n := e.registry.householdReads.Load(); n != 0 {
		t.Fatalf("a household added since the survey opened was asked of governance (%d)", n)
	}
	if r := e.result(t, sv.Id); r.AgreeAreaM2 != 165 || r.DisagreeAreaM2 != 60 {
		t.Fatalf("agree %.2f m², disagree %.2f m²; want 165 and 60 (75 + 90 agree, 60 against)", r.AgreeAreaM2, r.DisagreeAreaM2)
	}

	// Its area corrected by an import of the register: the next response weighs the new
	// area (rule 3: a replaced response moves the tally by its new weight).
	e.importAreas(t, c.Id, map[string]float64{hs[1]: 62.5})
	e.electorateHolds(t, sv.Id, hs[1], 6250)
	e.vote(t, sv.Id, hs[1], "agree")
	if r := e.result(t, sv.Id); r.AgreeAreaM2 != 227.5 || r.DisagreeAreaM2 != 0 {
		t.Fatalf("after the import: agree %.2f m², disagree %.2f m²; want 227.5 and 0", r.AgreeAreaM2, r.DisagreeAreaM2)
	}

	// Never heard of here (as for a survey opened before its copy was kept, or an event
	// still on its way): asked of governance once, then known.
	late := e.households(t, c.Id, 5000)[0]
	e.electorateHolds(t, sv.Id, late, 5000)
	if err := e.rdb.HDel(bg, "svy:{s:"+sv.Id+"}:electorate", late).Err(); err != nil {
		t.Fatal(err)
	}
	e.vote(t, sv.Id, late, "abstain")
	e.vote(t, sv.Id, late, "agree")
	if n := e.registry.householdReads.Load(); n != 1 {
		t.Fatalf("governance asked about %d households, want 1 (the unknown one, once)", n)
	}
	if st := e.stats(t, sv.Id); st.RespondedHouseholds != 4 {
		t.Fatalf("responded %d, want 4", st.RespondedHouseholds)
	}

	// Of another compound: refused on its field, nothing recorded, and not remembered.
	_, err := e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: response(stranger, answer("vote", "agree"))})
	testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
	if !strings.Contains(err.Error(), "response.householdId") {
		t.Fatalf("a household of another compound: %v, want it named on response.householdId", err)
	}
	if n, _ := e.rdb.HExists(bg, "svy:{s:"+sv.Id+"}:electorate", stranger).Result(); n {
		t.Fatal("a household of another compound was added to the electorate")
	}
	// In a batch, the bad one is named by its index and none is recorded.
	_, err = e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: []*pb.Response{
		response(hs[0], answer("vote", "disagree")), response(stranger, answer("vote", "agree"))}})
	testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
	if !strings.Contains(err.Error(), "responses[1].householdId") {
		t.Fatalf("batch with a household of another compound: %v, want it named on responses[1].householdId", err)
	}
	if st := e.stats(t, sv.Id); st.RespondedHouseholds != 4 {
		t.Fatalf("responded %d after refusals, want 4", st.RespondedHouseholds)
	}

	// Closed: its copy is dropped, its result stays.
	e.close(t, sv.Id)
	if n, _ := e.rdb.Exists(bg, "svy:{s:"+sv.Id+"}:electorate").Result(); n != 0 {
		t.Fatal("a closed survey keeps its copy of the households")
	}
	_, err = e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: response(hs[0], answer("vote", "agree"))})
	testkit.WantStatus(t, err, codes.FailedPrecondition)
}

// importAreas changes households' exclusive areas (m²) the way a community clerk does:
// an import of the register (CSV) previewed and confirmed, rows matched by dwelling.
func (e *env) importAreas(t *testing.T, cid string, areas map[string]float64) {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("楼栋,单元,房号,专有面积\n")
	for id, m2 := range areas {
		h := testkit.Must[*govpb.Household](t)(e.gov.GetHousehold(bg, &govpb.GetHouseholdRequest{Id: id}))
		b := testkit.Must[*govpb.Building](t)(e.gov.GetBuilding(bg, &govpb.GetBuildingRequest{Id: h.BuildingId}))
		fmt.Fprintf(&csv, "%s,%s,%s,%.2f\n", b.Name, h.Unit, h.Room, m2)
	}
	imports := e.imports
	imp := testkit.Must[*govpb.Import](t)(imports.CreateImport(bg, &govpb.CreateImportRequest{
		Kind: govpb.Import_HOUSEHOLDS, CompoundId: cid, FileName: "register.csv", Content: []byte(csv.String())}))
	testkit.Must[*govpb.Import](t)(imports.ConfirmImport(bg, &govpb.ConfirmImportRequest{Id: imp.Id}))
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := testkit.Must[*govpb.Import](t)(imports.GetImport(bg, &govpb.GetImportRequest{Id: imp.Id}))
		if got.State == govpb.Import_APPLIED {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still %s", imp.Id, got.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
