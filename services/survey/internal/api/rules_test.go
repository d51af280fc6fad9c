package api_test

// Rules a district can audit: the ranking of compounds still waiting for a plan (rule 4),
// registry changes reaching it as fast as responses do (rule 4), and the business uses a
// common-part resolution authorises (rule 10).

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"tongdu/platform/events"
	"tongdu/platform/testkit"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
)

func (e *env) rankingOf(t *testing.T, region string, size int32, token string, statuses ...govpb.Compound_Status) *pb.Ranking {
	t.Helper()
	return testkit.Must[*pb.Ranking](t)(e.GetRanking(bg, &pb.GetRankingRequest{RegionId: region, PageSize: size, PageToken: token, Status: statuses}))
}

// registryChanged tells the survey service, as governance does, that a fact behind the
// ranking changed (a duplicate of governance's own event is harmless: handling is
// idempotent).
func (e *env) registryChanged(t *testing.T, compoundID, fact string) {
	t.Helper()
	if !e.publish {
		return
	}
	if err := events.Publish(bg, e.rdb, events.RegistryTopic, map[string]string{"compound": compoundID, "fact": fact}); err != nil {
		t.Fatal(err)
	}
}

// moveCompound reports a project's status as the projects service does and waits for
// governance to move the compound's status.
func (e *env) moveCompound(t *testing.T, compoundID, projectStatus string, want govpb.Compound_Status) {
	t.Helper()
	if projectStatus != "" {
		if err := events.Publish(bg, e.rdb, events.CompoundTopic, map[string]string{"compound": compoundID, "fact": "PROJECT_STATUS", "status": projectStatus}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := testkit.Must[*govpb.Compound](t)(e.gov.GetCompound(bg, &govpb.GetCompoundRequest{Id: compoundID}))
		if c.Status == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("compound %s is %v, want %v", compoundID, c.Status, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.registryChanged(t, compoundID, "STATUS_CHANGED")
}

// eventually polls check (which reads the ranking) for up to 3 s: the ranking moves
// within the ranking delay, a few milliseconds here.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		ok, got := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type rankedStatus struct {
	name   string
	status govpb.Compound_Status
	score  float64
}

func withStatus(r *pb.Ranking) []rankedStatus {
	var out []rankedStatus
	for _, en := range r.Entries {
		out = append(out, rankedStatus{en.CompoundName, en.Status, en.Score})
	}
	return out
}

// TestRankingShowsCompoundsWaitingForAPlanByDefault: rule 4 ranks by default only the
// compounds still waiting for a plan (INVENTORIED, SURVEYING); a compound with score 0 is
// ranked too; asking for statuses shows exactly those, across pages; each entry shows
// its compound's status.
func TestRankingShowsCompoundsWaitingForAPlanByDefault(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	zero := e.compound(t, "零分小区", tr.comA.Id, 2001)
	surveyed := e.compound(t, "调查小区", tr.comA.Id, 1990, poor)
	hs := e.households(t, surveyed.Id, 6000, 6000)
	sv := e.open(t, surveyed.Id, pb.Survey_NEEDS, 0)
	e.submit(t, sv.Id, response(hs[0], answer("wants", "yes")))
	planned := e.compound(t, "规划小区", tr.comB.Id, 1980, poor, fair)
	renovating := e.compound(t, "施工小区", tr.comB.Id, 1970, poor, fair)
	// The first read builds the ranking; the moves below reach it by the registry's events.
	e.rankingOf(t, tr.district.Id, 0, "")
	e.moveCompound(t, surveyed.Id, "", govpb.Compound_SURVEYING)
	e.moveCompound(t, planned.Id, "APPROVED", govpb.Compound_PLANNED)
	e.moveCompound(t, renovating.Id, "IN_CONSTRUCTION", govpb.Compound_RENOVATING)

	// 调查小区: 0.40·1 + 0.35·1 + 0.25·0.5 = 0.875.
	wantDefault := []rankedStatus{{"调查小区", govpb.Compound_SURVEYING, 0.875}, {"零分小区", govpb.Compound_INVENTORIED, 0}}
	eventually(t, "default ranking", func() (bool, string) {
		got := withStatus(e.rankingOf(t, tr.district.Id, 0, ""))
		return reflect.DeepEqual(got, wantDefault), "got " + strings.TrimSpace(strings.ReplaceAll(fmtAny(got), "\n", " "))
	})
	if got := withStatus(e.rankingOf(t, tr.comA.Id, 0, "", govpb.Compound_INVENTORIED, govpb.Compound_SURVEYING)); !reflect.DeepEqual(got, wantDefault) {
		t.Fatalf("asking for the default statuses: %v", got)
	}

	t.Run("one status shows exactly its compounds", func(t *testing.T) {
		got := withStatus(e.rankingOf(t, tr.district.Id, 0, "", govpb.Compound_PLANNED))
		if want := []rankedStatus{{"规划小区", govpb.Compound_PLANNED, 0.3}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("PLANNED: %v", got)
		}
		if r := e.rankingOf(t, tr.district.Id, 0, "", govpb.Compound_ACCEPTED); len(r.Entries) != 0 || r.NextPageToken != "" {
			t.Fatalf("ACCEPTED: %v", r.Entries)
		}
	})
	t.Run("several statuses merge in rank order across pages", func(t *testing.T) {
		// Equal scores 0.30: the older 施工小区 first; then 零分小区 at 0.
		want := []rankedStatus{{"施工小区", govpb.Compound_RENOVATING, 0.3}, {"规划小区", govpb.Compound_PLANNED, 0.3}, {"零分小区", govpb.Compound_INVENTORIED, 0}}
		var got []rankedStatus
		token := ""
		for i := 0; i < 5; i++ {
			r := e.rankingOf(t, tr.district.Id, 1, token, govpb.Compound_INVENTORIED, govpb.Compound_RENOVATING, govpb.Compound_PLANNED)
			if len(r.Entries) == 1 && r.Entries[0].Rank != int32(len(got)+1) {
				t.Fatalf("page %d has rank %d", i, r.Entries[0].Rank)
			}
			got = append(got, withStatus(r)...)
			if token = r.NextPageToken; token == "" {
				break
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("INVENTORIED, RENOVATING, PLANNED: %v", got)
		}
	})
	t.Run("a compound moves between statuses", func(t *testing.T) {
		// The plan is cancelled: back to SURVEYING, and back in the default ranking.
		e.moveCompound(t, planned.Id, "CANCELLED", govpb.Compound_SURVEYING)
		eventually(t, "after the cancelled plan", func() (bool, string) {
			got := names(e.rankingOf(t, tr.district.Id, 0, ""))
			return reflect.DeepEqual(got, []string{"调查小区", "规划小区", "零分小区"}), fmtAny(got)
		})
		if r := e.rankingOf(t, tr.district.Id, 0, "", govpb.Compound_PLANNED); len(r.Entries) != 0 {
			t.Fatalf("PLANNED after the cancel: %v", r.Entries)
		}
	})
	t.Run("an unknown status is bad input", func(t *testing.T) {
		for _, s := range []govpb.Compound_Status{0, 99} {
			_, err := e.GetRanking(bg, &pb.GetRankingRequest{RegionId: tr.district.Id, Status: []govpb.Compound_Status{govpb.Compound_PLANNED, s}})
			st := testkit.WantStatus(t, err, codes.InvalidArgument)
			if vs := testkit.Violations(st); len(vs) == 0 || !strings.HasPrefix(vs[0], "status") {
				t.Fatalf("status %d: violations %v", s, vs)
			}
		}
	})
	_ = zero
}

// TestRegistryChangesReachTheRankingAsResponsesDo: rule 4's terms move in the ranking
// within the same short delay whichever service the change happened in: a response
// (survey), a facility assessment, a household added and a classification (governance,
// told by its registry events). After each, the ranking's participation is the survey
// statistics' participation.
func TestRegistryChangesReachTheRankingAsResponsesDo(t *testing.T) {
	// Governance publishes these events itself; the test also publishes them (as if from a
	// governance of its own), then relies on governance's alone.
	t.Run("events published by the test", func(t *testing.T) { registryChangesReachTheRanking(t, true) })
	t.Run("governance's own events", func(t *testing.T) { registryChangesReachTheRanking(t, false) })
}

func registryChangesReachTheRanking(t *testing.T, publish bool) {
	e := start(t)
	e.publish = publish
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985, good, good)
	hs := e.households(t, c.Id, 6000, 6000, 6000, 6000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	e.rankingOf(t, tr.comA.Id, 0, "") // built

	agrees := func(t *testing.T, what string, deficit float64) {
		t.Helper()
		eventually(t, what, func() (bool, string) {
			r := e.rankingOf(t, tr.comA.Id, 0, "")
			st := e.stats(t, sv.Id)
			var en *pb.RankingEntry
			for _, x := range r.Entries {
				if x.CompoundId == c.Id {
					en = x
				}
			}
			if en == nil {
				return false, fmtAny(r.Entries)
			}
			return en.Participation == st.Participation && en.Deficit == deficit,
				fmtAny(map[string]float64{"ranking participation": en.Participation, "stats participation": st.Participation, "deficit": en.Deficit, "want deficit": deficit})
		})
	}

	e.submit(t, sv.Id, response(hs[0], answer("wants", "yes")))
	agrees(t, "after a response", 0)

	testkit.Must[*govpb.Compound](t)(e.gov.UpdateCompound(bg, &govpb.UpdateCompoundRequest{
		Compound: &govpb.Compound{Id: c.Id, Facilities: []*govpb.Facility{
			{Kind: govpb.Facility_Kind(1), Condition: poor}, {Kind: govpb.Facility_Kind(2), Condition: poor}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"facilities"}},
	}))
	e.registryChanged(t, c.Id, "FACILITIES_ASSESSED")
	agrees(t, "after a facility assessment", 1)

	e.households(t, c.Id, 6000)
	e.registryChanged(t, c.Id, "HOUSEHOLDS_CHANGED")
	agrees(t, "after a household added", 1)
	if st := e.stats(t, sv.Id); st.TotalHouseholds != 5 {
		t.Fatalf("stats count %d households", st.TotalHouseholds)
	}

	testkit.Must[*govpb.Compound](t)(e.gov.ClassifyCompound(bg, &govpb.ClassifyCompoundRequest{
		Id: c.Id, GovernanceMode: govpb.Compound_SELF_GOVERNANCE, DecidedBy: "街道办"}))
	e.registryChanged(t, c.Id, "CLASSIFIED")
	e.households(t, c.Id, 6000)
	e.registryChanged(t, c.Id, "HOUSEHOLDS_CHANGED")
	agrees(t, "after a classification and another household", 1)

	t.Run("a new compound is ranked at once", func(t *testing.T) {
		n := e.compound(t, "新登记小区", tr.comA.Id, 1960, poor)
		e.registryChanged(t, n.Id, "CREATED")
		eventually(t, "new compound", func() (bool, string) {
			got := names(e.rankingOf(t, tr.comA.Id, 0, ""))
			return reflect.DeepEqual(got, []string{"幸福里", "新登记小区"}), fmtAny(got)
		})
	})
	t.Run("an event naming no compound is dropped", func(t *testing.T) {
		e.registryChanged(t, "", "CREATED")
		e.registryChanged(t, "no-such-compound", "CREATED")
		e.submit(t, sv.Id, response(hs[1], answer("wants", "yes")))
		agrees(t, "after odd events", 1)
	})
}

// TestBusinessUseResolutionNamesItsUses: rule 10 lets income from common parts in only
// under a passed business-use resolution that names that use; so a COMMON_PART_BUSINESS
// resolution names at least one use, no other survey names any, and the uses change only
// while it is a draft, like its questions.
func TestBusinessUseResolutionNamesItsUses(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 6000, 6000)
	create := func(kind pb.Survey_Kind, matter pb.Survey_Matter, uses ...pb.Survey_BusinessUse) (*pb.Survey, error) {
		qs := needsQuestions()
		if kind == pb.Survey_RESOLUTION {
			qs = voteQuestions()
		}
		return e.CreateSurvey(bg, &pb.CreateSurveyRequest{Survey: &pb.Survey{
			CompoundId: c.Id, Title: "共有部分经营表决", Kind: kind, Matter: matter, Questions: qs, BusinessUses: uses}})
	}
	_, err := create(pb.Survey_RESOLUTION, pb.Survey_COMMON_PART_BUSINESS)
	testkit.WantViolation(t, err, "survey.businessUses")
	_, err = create(pb.Survey_RESOLUTION, pb.Survey_RENOVATION, pb.Survey_SHOP_RENT)
	testkit.WantViolation(t, err, "survey.businessUses")
	_, err = create(pb.Survey_NEEDS, 0, pb.Survey_PARKING_PUBLIC)
	testkit.WantViolation(t, err, "survey.businessUses")
	_, err = create(pb.Survey_RESOLUTION, pb.Survey_COMMON_PART_BUSINESS, pb.Survey_BusinessUse(9))
	if st := testkit.WantStatus(t, err, codes.InvalidArgument); len(testkit.Violations(st)) == 0 || !strings.HasPrefix(testkit.Violations(st)[0], "survey.businessUses") {
		t.Fatalf("undefined use: %v", testkit.Violations(st))
	}
	if r, err := e.ListSurveys(bg, &pb.ListSurveysRequest{CompoundId: c.Id}); err != nil || len(r.Surveys) != 0 {
		t.Fatalf("refused drafts were kept: %v %v", r, err)
	}

	sv := testkit.Must[*pb.Survey](t)(create(pb.Survey_RESOLUTION, pb.Survey_COMMON_PART_BUSINESS, pb.Survey_PARKING_PUBLIC, pb.Survey_SHOP_RENT))
	want := []pb.Survey_BusinessUse{pb.Survey_PARKING_PUBLIC, pb.Survey_SHOP_RENT}
	if !reflect.DeepEqual(sv.BusinessUses, want) {
		t.Fatalf("created with %v", sv.BusinessUses)
	}
	if got := testkit.Must[*pb.Survey](t)(e.GetSurvey(bg, &pb.GetSurveyRequest{Id: sv.Id})); !reflect.DeepEqual(got.BusinessUses, want) {
		t.Fatalf("GetSurvey shows %v", got.BusinessUses)
	}
	if r := testkit.Must[*pb.ListSurveysResponse](t)(e.ListSurveys(bg, &pb.ListSurveysRequest{CompoundId: c.Id})); len(r.Surveys) != 1 || !reflect.DeepEqual(r.Surveys[0].BusinessUses, want) {
		t.Fatalf("ListSurveys shows %v", r.Surveys)
	}

	update := func(s *pb.Survey, paths ...string) (*pb.Survey, error) {
		return e.UpdateSurvey(bg, &pb.UpdateSurveyRequest{Survey: s, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
	}
	// Emptied, or kept under another matter: refused, and nothing changes.
	_, err = update(&pb.Survey{Id: sv.Id}, "business_uses")
	testkit.WantViolation(t, err, "survey.businessUses")
	_, err = update(&pb.Survey{Id: sv.Id, Matter: pb.Survey_RENOVATION}, "matter")
	testkit.WantViolation(t, err, "survey.businessUses")
	if got := testkit.Must[*pb.Survey](t)(e.GetSurvey(bg, &pb.GetSurveyRequest{Id: sv.Id})); !reflect.DeepEqual(got.BusinessUses, want) || got.Matter != pb.Survey_COMMON_PART_BUSINESS || got.Etag != sv.Etag {
		t.Fatalf("a refused update changed %v", got)
	}
	// Matter and uses together: fine both ways.
	other := testkit.Must[*pb.Survey](t)(update(&pb.Survey{Id: sv.Id, Matter: pb.Survey_RENOVATION}, "matter", "business_uses"))
	if len(other.BusinessUses) != 0 {
		t.Fatalf("renovation keeps %v", other.BusinessUses)
	}
	back := testkit.Must[*pb.Survey](t)(update(&pb.Survey{Id: sv.Id, Matter: pb.Survey_COMMON_PART_BUSINESS, BusinessUses: []pb.Survey_BusinessUse{pb.Survey_OTHER_USE}}, "matter", "businessUses"))
	if !reflect.DeepEqual(back.BusinessUses, []pb.Survey_BusinessUse{pb.Survey_OTHER_USE}) {
		t.Fatalf("updated to %v", back.BusinessUses)
	}

	// Once open, the uses are what the owners vote on.
	testkit.Must[*pb.Survey](t)(e.OpenSurvey(bg, &pb.OpenSurveyRequest{Id: sv.Id}))
	e.vote(t, sv.Id, hs[0], "agree")
	_, err = update(&pb.Survey{Id: sv.Id, BusinessUses: want}, "business_uses")
	testkit.WantReason(t, err, codes.FailedPrecondition, "SURVEY_NOT_DRAFT")
	if got := testkit.Must[*pb.Survey](t)(e.GetSurvey(bg, &pb.GetSurveyRequest{Id: sv.Id})); !reflect.DeepEqual(got.BusinessUses, []pb.Survey_BusinessUse{pb.Survey_OTHER_USE}) {
		t.Fatalf("open survey's uses became %v", got.BusinessUses)
	}
}

func fmtAny(v any) string { return fmt.Sprintf("%v", v) }
