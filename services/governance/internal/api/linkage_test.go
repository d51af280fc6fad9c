package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

func (e env) convention(t *testing.T, cid string, kind pb.Convention_Kind, title string) *pb.Convention {
	t.Helper()
	return testkit.Must[*pb.Convention](t)(e.CreateConvention(bg, &pb.CreateConventionRequest{CompoundId: cid, Convention: &pb.Convention{Kind: kind, Title: title, Text: title + "全文"}}))
}

func TestConventionsAreVersionedPerCompoundAndKind(t *testing.T) {
	e, _ := startWith(t)
	tr := e.tree(t)
	c1 := e.compound(t, "幸福里", tr.communityA.Id)
	c2 := e.compound(t, "锦苑", tr.communityA.Id)

	steps := []struct {
		cid     string
		kind    pb.Convention_Kind
		version int32
	}{
		{c1.Id, pb.Convention_RESIDENTS_CONVENTION, 1},
		{c1.Id, pb.Convention_CLEANING_RULES, 1},
		{c1.Id, pb.Convention_RESIDENTS_CONVENTION, 2},
		{c2.Id, pb.Convention_RESIDENTS_CONVENTION, 1},
		{c1.Id, pb.Convention_PARKING_FEE_RULES, 1},
		{c1.Id, pb.Convention_RESIDENTS_CONVENTION, 3},
	}
	for i, st := range steps {
		got := e.convention(t, st.cid, st.kind, fmt.Sprintf("第%d稿", i))
		if got.Version != st.version || got.CompoundId != st.cid || got.Adopted || got.CreateTime == nil {
			t.Fatalf("step %d: %v, want version %d", i, got, st.version)
		}
	}
	t.Run("a kind lists in version order", func(t *testing.T) {
		resp := testkit.Must[*pb.ListConventionsResponse](t)(e.ListConventions(bg, &pb.ListConventionsRequest{CompoundId: c1.Id, Kind: pb.Convention_RESIDENTS_CONVENTION, PageSize: 2}))
		rest := testkit.Must[*pb.ListConventionsResponse](t)(e.ListConventions(bg, &pb.ListConventionsRequest{CompoundId: c1.Id, Kind: pb.Convention_RESIDENTS_CONVENTION, PageToken: resp.NextPageToken}))
		all := append(resp.Conventions, rest.Conventions...)
		if len(all) != 3 || all[0].Version != 1 || all[2].Version != 3 || rest.NextPageToken != "" {
			t.Fatalf("residents' conventions %v", all)
		}
	})
	t.Run("all kinds of a compound", func(t *testing.T) {
		resp := testkit.Must[*pb.ListConventionsResponse](t)(e.ListConventions(bg, &pb.ListConventionsRequest{CompoundId: c1.Id}))
		if len(resp.Conventions) != 5 {
			t.Fatalf("%d conventions", len(resp.Conventions))
		}
	})
	t.Run("the same request id writes one text and one version", func(t *testing.T) {
		req := &pb.CreateConventionRequest{CompoundId: c2.Id, RequestId: "conv-1", Convention: &pb.Convention{Kind: pb.Convention_CLEANING_RULES, Title: "保洁制度", Text: "每周两次"}}
		a := testkit.Must[*pb.Convention](t)(e.CreateConvention(bg, req))
		b := testkit.Must[*pb.Convention](t)(e.CreateConvention(bg, req))
		if !proto.Equal(a, b) || a.Version != 1 {
			t.Fatalf("replay %v, first %v", b, a)
		}
		if next := e.convention(t, c2.Id, pb.Convention_CLEANING_RULES, "保洁制度二"); next.Version != 2 {
			t.Fatalf("the next text is version %d", next.Version)
		}
	})
	t.Run("conventions of an unknown compound are NOT_FOUND", func(t *testing.T) {
		_, err := e.CreateConvention(bg, &pb.CreateConventionRequest{CompoundId: "nope", Convention: &pb.Convention{Kind: pb.Convention_CLEANING_RULES, Title: "x", Text: "y"}})
		testkit.WantStatus(t, err, codes.NotFound)
		_, err = e.ListConventions(bg, &pb.ListConventionsRequest{CompoundId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

func TestAdoptConventionAsksTheSurveyService(t *testing.T) {
	e, clock, sv := startWithSurvey(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	other := e.compound(t, "锦苑", tr.communityA.Id)
	owners := ownersOf(t, bg, e, c.Id, 4)
	neighbours := ownersOf(t, bg, e, other.Id, 3)
	// The owners' votes (rule 3): a vote counts when at least 2/3 of the households and of
	// the area vote; an OTHER matter then passes with more than half of them agreeing, a
	// renovation with at least 3/4. Every household here has the same area.
	var (
		passed    = sv.resolution(t, bg, c.Id, surveypb.Survey_OTHER, owners, "agree", "agree", "agree", "disagree")
		passed2   = sv.resolution(t, bg, c.Id, surveypb.Survey_OTHER, owners, "agree", "agree", "abstain", "")
		renovated = sv.resolution(t, bg, c.Id, surveypb.Survey_RENOVATION, owners, "agree", "agree", "agree", "disagree")
		failed    = sv.resolution(t, bg, c.Id, surveypb.Survey_OTHER, owners, "agree", "disagree", "disagree", "")
		fewVoted  = sv.resolution(t, bg, c.Id, surveypb.Survey_OTHER, owners, "agree", "agree", "", "")
		stillOpen = sv.openVote(t, bg, c.Id, surveypb.Survey_OTHER, owners, "agree", "agree", "agree", "agree")
		elsewhere = sv.resolution(t, bg, other.Id, surveypb.Survey_OTHER, neighbours, "agree", "agree", "agree")
		needs     = sv.needsSurvey(t, bg, c.Id)
	)
	v := e.convention(t, c.Id, pb.Convention_RESIDENTS_CONVENTION, "居民公约")

	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name, survey string
			mention      string
		}{
			{"a resolution that did not pass, with its figures", failed, "consent by households 1/3 = 0.3333 ≤ 1/2"},
			{"a resolution too few voted on, with its figures", fewVoted, "participation by households 2/4 = 0.5000 < 2/3"},
			{"a resolution still open: its figures are provisional", stillOpen, "provisional"},
			{"a resolution of another compound", elsewhere, other.Id},
			{"a survey that is no resolution", needs, needs},
			{"a survey the survey service does not know", "unknown", "unknown"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v.Id, ResolutionSurveyId: tt.survey})
				testkit.WantReason(t, err, codes.FailedPrecondition, "RESOLUTION_NOT_PASSED")
				if msg := status.Convert(err).Message(); !strings.Contains(msg, tt.mention) {
					t.Fatalf("%q does not mention %q", msg, tt.mention)
				}
			})
		}
		if got := testkit.Must[*pb.ListConventionsResponse](t)(e.ListConventions(bg, &pb.ListConventionsRequest{CompoundId: c.Id})); got.Conventions[0].Adopted {
			t.Fatal("a refused adoption adopted the text")
		}
	})

	clock.Set(48 * time.Hour)
	asked := sv.questions()
	adopted := testkit.Must[*pb.Convention](t)(e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v.Id, ResolutionSurveyId: passed}))
	t.Run("a passed resolution of the compound adopts the text", func(t *testing.T) {
		if !adopted.Adopted || adopted.ResolutionSurveyId != passed || !adopted.AdoptTime.AsTime().Equal(whistleT0.Add(48*time.Hour)) || adopted.Version != 1 {
			t.Fatalf("adopted %v", adopted)
		}
		if sv.questions() == asked {
			t.Fatal("the adoption did not ask the survey service")
		}
	})
	t.Run("adopting again by the same resolution answers the same and asks no one", func(t *testing.T) {
		before := sv.questions()
		clock.Set(50 * time.Hour)
		again := testkit.Must[*pb.Convention](t)(e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v.Id, ResolutionSurveyId: passed}))
		if !proto.Equal(adopted, again) || sv.questions() != before {
			t.Fatalf("again %v (asked %d more)", again, sv.questions()-before)
		}
	})
	t.Run("adopting an adopted text by another resolution is WRONG_STATE", func(t *testing.T) {
		_, err := e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v.Id, ResolutionSurveyId: passed2})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("a new version is adopted on its own", func(t *testing.T) {
		v2 := e.convention(t, c.Id, pb.Convention_RESIDENTS_CONVENTION, "居民公约修订")
		got := testkit.Must[*pb.Convention](t)(e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v2.Id, ResolutionSurveyId: passed2}))
		if got.Version != 2 || !got.Adopted || got.ResolutionSurveyId != passed2 {
			t.Fatalf("v2 %v", got)
		}
	})
	t.Run("a renovation passed by exactly 3/4 adopts a text", func(t *testing.T) {
		v3 := e.convention(t, c.Id, pb.Convention_CLEANING_RULES, "保洁制度")
		got := testkit.Must[*pb.Convention](t)(e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v3.Id, ResolutionSurveyId: renovated}))
		if !got.Adopted || got.ResolutionSurveyId != renovated {
			t.Fatalf("v3 %v", got)
		}
	})
	// Last of the questions to the survey service: it stays down.
	t.Run("a survey service that is down is passed through", func(t *testing.T) {
		v4 := e.convention(t, c.Id, pb.Convention_PARKING_FEE_RULES, "停车收费")
		sv.stop()
		_, err := e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v4.Id, ResolutionSurveyId: passed2})
		testkit.WantStatus(t, err, codes.Unavailable)
	})
	t.Run("an unknown convention is NOT_FOUND", func(t *testing.T) {
		_, err := e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: "nope", ResolutionSurveyId: passed})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

func TestAdoptConventionWithoutASurveyServiceIsUnavailable(t *testing.T) {
	e, _ := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	v := e.convention(t, c.Id, pb.Convention_CLEANING_RULES, "保洁制度")
	_, err := e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v.Id, ResolutionSurveyId: "s1"})
	testkit.WantStatus(t, err, codes.Unavailable)
	got := testkit.Must[*pb.ListConventionsResponse](t)(e.ListConventions(bg, &pb.ListConventionsRequest{CompoundId: c.Id}))
	if got.Conventions[0].Adopted {
		t.Fatal("adopted without a survey service")
	}
}

func TestLinkageMeetings(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	other := e.compound(t, "锦苑", tr.communityA.Id)
	e.department(t, "water", "水务局")
	w := e.whistle(t, c.Id, pb.Whistle_NORMAL, "water")
	attendees := []*pb.LinkageAttendee{
		{Party: pb.LinkageAttendee_COMMUNITY_PARTY_COMMITTEE, Attendee: "社区党委书记"},
		{Party: pb.LinkageAttendee_RESIDENTS_COMMITTEE, Attendee: "居委会主任"},
		{Party: pb.LinkageAttendee_COMPOUND_BRANCH, Attendee: "小区党支部书记"},
		{Party: pb.LinkageAttendee_OWNERS_COMMITTEE, Attendee: "业委会主任"},
		{Party: pb.LinkageAttendee_BUILDING_LEADERS, Attendee: "楼栋长代表"},
	}
	clock.Set(time.Hour)
	m := testkit.Must[*pb.LinkageMeeting](t)(e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{
		CompoundId: c.Id, Attendees: attendees, Agenda: []string{"化粪池改造"}, Decisions: []string{"请水务局疏通"}, FollowUpWhistleIds: []string{w.Id},
	}}))
	if m.Id == "" || len(m.Attendees) != 5 || !m.HeldTime.AsTime().Equal(whistleT0.Add(time.Hour)) || m.FollowUpWhistleIds[0] != w.Id {
		t.Fatalf("meeting %v", m)
	}

	t.Run("a whistle may follow up a meeting of its compound", func(t *testing.T) {
		got := testkit.Must[*pb.Whistle](t)(e.CreateWhistle(bg, &pb.CreateWhistleRequest{Whistle: &pb.Whistle{
			CompoundId: c.Id, Category: "DRAINAGE", Description: "疏通", DepartmentIds: []string{"water"}, Priority: pb.Whistle_NORMAL, LinkageMeetingId: m.Id,
		}}))
		if got.LinkageMeetingId != m.Id {
			t.Fatalf("whistle %v", got)
		}
		_, err := e.CreateWhistle(bg, &pb.CreateWhistleRequest{Whistle: &pb.Whistle{
			CompoundId: other.Id, Category: "DRAINAGE", Description: "疏通", DepartmentIds: []string{"water"}, Priority: pb.Whistle_NORMAL, LinkageMeetingId: m.Id,
		}})
		testkit.WantViolation(t, err, "whistle.linkageMeetingId")
	})
	t.Run("meetings list by compound", func(t *testing.T) {
		testkit.Must[*pb.LinkageMeeting](t)(e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{CompoundId: other.Id, Attendees: attendees[:1]}}))
		m2 := testkit.Must[*pb.LinkageMeeting](t)(e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{CompoundId: c.Id, HeldTime: m.HeldTime}}))
		resp := testkit.Must[*pb.ListLinkageMeetingsResponse](t)(e.ListLinkageMeetings(bg, &pb.ListLinkageMeetingsRequest{CompoundId: c.Id, PageSize: 1}))
		rest := testkit.Must[*pb.ListLinkageMeetingsResponse](t)(e.ListLinkageMeetings(bg, &pb.ListLinkageMeetingsRequest{CompoundId: c.Id, PageSize: 1, PageToken: resp.NextPageToken}))
		if len(resp.LinkageMeetings) != 1 || !proto.Equal(resp.LinkageMeetings[0], m) || len(rest.LinkageMeetings) != 1 || rest.LinkageMeetings[0].Id != m2.Id || rest.NextPageToken != "" {
			t.Fatalf("pages %v / %v", resp, rest)
		}
		if all := testkit.Must[*pb.ListLinkageMeetingsResponse](t)(e.ListLinkageMeetings(bg, &pb.ListLinkageMeetingsRequest{})); len(all.LinkageMeetings) != 3 {
			t.Fatalf("%d meetings in all", len(all.LinkageMeetings))
		}
		_, err := e.ListLinkageMeetings(bg, &pb.ListLinkageMeetingsRequest{CompoundId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("the same request id records one meeting", func(t *testing.T) {
		req := &pb.CreateLinkageMeetingRequest{RequestId: "meeting-1", LinkageMeeting: &pb.LinkageMeeting{CompoundId: other.Id, Agenda: []string{"停车"}}}
		a := testkit.Must[*pb.LinkageMeeting](t)(e.CreateLinkageMeeting(bg, req))
		b := testkit.Must[*pb.LinkageMeeting](t)(e.CreateLinkageMeeting(bg, req))
		if !proto.Equal(a, b) {
			t.Fatalf("replay %v, first %v", b, a)
		}
	})
}

func TestLeaderContacts(t *testing.T) {
	e, _ := startWith(t)
	tr := e.tree(t)
	c1 := e.compound(t, "幸福里", tr.communityA.Id)
	c2 := e.compound(t, "锦苑", tr.communityB.Id)
	li := testkit.Must[*pb.LeaderContact](t)(e.CreateLeaderContact(bg, &pb.CreateLeaderContactRequest{LeaderContact: &pb.LeaderContact{
		LeaderName: "李明", LeaderTitle: "副区长", CompoundIds: []string{c1.Id}, CommunityIds: []string{tr.communityA.Id}, Tasks: []string{"示范点建设", "楼栋长选举"},
	}}))
	if li.Id == "" || li.CreateTime == nil || len(li.Tasks) != 2 || li.LeaderTitle != "副区长" {
		t.Fatalf("created %v", li)
	}
	wang := testkit.Must[*pb.LeaderContact](t)(e.CreateLeaderContact(bg, &pb.CreateLeaderContactRequest{LeaderContact: &pb.LeaderContact{LeaderName: "王芳", CompoundIds: []string{c1.Id, c2.Id}}}))
	zhao := testkit.Must[*pb.LeaderContact](t)(e.CreateLeaderContact(bg, &pb.CreateLeaderContactRequest{LeaderContact: &pb.LeaderContact{LeaderName: "赵强", CommunityIds: []string{tr.communityB.Id, tr.communityA.Id}}}))

	list := func(req *pb.ListLeaderContactsRequest) []string {
		t.Helper()
		var out []string
		for {
			resp := testkit.Must[*pb.ListLeaderContactsResponse](t)(e.ListLeaderContacts(bg, req))
			for _, l := range resp.LeaderContacts {
				out = append(out, l.Id)
			}
			if resp.NextPageToken == "" {
				return out
			}
			req = proto.Clone(req).(*pb.ListLeaderContactsRequest)
			req.PageToken = resp.NextPageToken
		}
	}
	tests := []struct {
		name string
		req  *pb.ListLeaderContactsRequest
		want []*pb.LeaderContact
	}{
		{"all", &pb.ListLeaderContactsRequest{PageSize: 2}, []*pb.LeaderContact{li, wang, zhao}},
		{"by compound", &pb.ListLeaderContactsRequest{CompoundId: c1.Id, PageSize: 1}, []*pb.LeaderContact{li, wang}},
		{"by another compound", &pb.ListLeaderContactsRequest{CompoundId: c2.Id}, []*pb.LeaderContact{wang}},
		{"by community", &pb.ListLeaderContactsRequest{CommunityId: tr.communityA.Id, PageSize: 1}, []*pb.LeaderContact{li, zhao}},
		{"by compound and community", &pb.ListLeaderContactsRequest{CompoundId: c1.Id, CommunityId: tr.communityA.Id}, []*pb.LeaderContact{li}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := make([]string, len(tt.want))
			for i, l := range tt.want {
				want[i] = l.Id
			}
			if got := list(tt.req); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
		})
	}
	t.Run("an unknown compound or community is NOT_FOUND", func(t *testing.T) {
		_, err := e.ListLeaderContacts(bg, &pb.ListLeaderContactsRequest{CompoundId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
		_, err = e.ListLeaderContacts(bg, &pb.ListLeaderContactsRequest{CommunityId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

// Every new method refuses bad input with INVALID_ARGUMENT naming the field, and a
// refused request changes nothing.
func TestBadInputOnEveryNewMethodIsRefusedAndChangesNothing(t *testing.T) {
	e, _, sv := startWithSurvey(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	other := e.compound(t, "锦苑", tr.communityA.Id)
	e.department(t, "water", "水务局")
	w := e.whistle(t, c.Id, pb.Whistle_URGENT, "water")
	wOther := e.whistle(t, other.Id, pb.Whistle_URGENT, "water")
	v := e.convention(t, c.Id, pb.Convention_RESIDENTS_CONVENTION, "居民公约")
	good := func() *pb.Whistle {
		return &pb.Whistle{CompoundId: c.Id, Category: "DRAINAGE", Description: "x", DepartmentIds: []string{"water"}, Priority: pb.Whistle_URGENT}
	}
	whistleWith := func(edit func(*pb.Whistle)) *pb.CreateWhistleRequest {
		in := good()
		edit(in)
		return &pb.CreateWhistleRequest{Whistle: in}
	}
	party := func(p pb.LinkageAttendee_Party) *pb.LinkageAttendee {
		return &pb.LinkageAttendee{Party: p, Attendee: "某人"}
	}
	before := snapshot(t, e, c.Id)

	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"CreateDepartment: an id with capitals", func() error {
			_, err := e.CreateDepartment(bg, &pb.CreateDepartmentRequest{Department: &pb.Department{Id: "Water", Name: "x"}})
			return err
		}, "department.id"},
		{"CreateDepartment: no name", func() error {
			_, err := e.CreateDepartment(bg, &pb.CreateDepartmentRequest{Department: &pb.Department{Id: "fire"}})
			return err
		}, "department.name"},
		{"CreateDepartment: no department", func() error {
			_, err := e.CreateDepartment(bg, &pb.CreateDepartmentRequest{})
			return err
		}, "department"},
		{"ListDepartments: a page size over 1,000", func() error {
			_, err := e.ListDepartments(bg, &pb.ListDepartmentsRequest{PageSize: 1001})
			return err
		}, "pageSize"},
		{"CreateWhistle: an unknown compound", func() error {
			_, err := e.CreateWhistle(bg, whistleWith(func(w *pb.Whistle) { w.CompoundId = "nope" }))
			return err
		}, "whistle.compoundId"},
		{"CreateWhistle: an unregistered department", func() error {
			_, err := e.CreateWhistle(bg, whistleWith(func(w *pb.Whistle) { w.DepartmentIds = []string{"water", "fire"} }))
			return err
		}, "whistle.departmentIds[1]"},
		{"CreateWhistle: a department called twice", func() error {
			_, err := e.CreateWhistle(bg, whistleWith(func(w *pb.Whistle) { w.DepartmentIds = []string{"water", "water"} }))
			return err
		}, "whistle.departmentIds"},
		{"CreateWhistle: no department", func() error {
			_, err := e.CreateWhistle(bg, whistleWith(func(w *pb.Whistle) { w.DepartmentIds = nil }))
			return err
		}, "whistle.departmentIds"},
		{"CreateWhistle: no priority", func() error {
			_, err := e.CreateWhistle(bg, whistleWith(func(w *pb.Whistle) { w.Priority = pb.Whistle_PRIORITY_UNSPECIFIED }))
			return err
		}, "whistle.priority"},
		{"CreateWhistle: no category", func() error {
			_, err := e.CreateWhistle(bg, whistleWith(func(w *pb.Whistle) { w.Category = "" }))
			return err
		}, "whistle.category"},
		{"CreateWhistle: an unknown linkage meeting", func() error {
			_, err := e.CreateWhistle(bg, whistleWith(func(w *pb.Whistle) { w.LinkageMeetingId = "nope" }))
			return err
		}, "whistle.linkageMeetingId"},
		{"GetWhistle: no id", func() error {
			_, err := e.GetWhistle(bg, &pb.GetWhistleRequest{})
			return err
		}, "id"},
		{"ListWhistles: a page size over 1,000", func() error {
			_, err := e.ListWhistles(bg, &pb.ListWhistlesRequest{PageSize: 1001})
			return err
		}, "pageSize"},
		{"ListWhistles: a forged page token", func() error {
			_, err := e.ListWhistles(bg, &pb.ListWhistlesRequest{PageToken: "!!"})
			return err
		}, "pageToken"},
		{"ListWhistles: a forged overdue page token", func() error {
			_, err := e.ListWhistles(bg, &pb.ListWhistlesRequest{Overdue: true, PageToken: "bm9zY29yZQ"})
			return err
		}, "pageToken"},
		{"ListWhistles: an undefined status", func() error {
			_, err := e.ListWhistles(bg, &pb.ListWhistlesRequest{Status: 9})
			return err
		}, "status"},
		{"AcknowledgeWhistle: no department", func() error {
			_, err := e.AcknowledgeWhistle(bg, &pb.AcknowledgeWhistleRequest{Id: w.Id})
			return err
		}, "departmentId"},
		{"ResolveWhistle: no id", func() error {
			_, err := e.ResolveWhistle(bg, &pb.ResolveWhistleRequest{DepartmentId: "water"})
			return err
		}, "id"},
		{"CloseWhistle: a score of 6", func() error {
			_, err := e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 6}}})
			return err
		}, "ratings[0].score"},
		{"CloseWhistle: a rating of a department not called", func() error {
			_, err := e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 5}, {DepartmentId: "fire", Score: 5}}})
			return err
		}, "ratings[1].departmentId"},
		{"CloseWhistle: a department not rated", func() error {
			_, err := e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w.Id})
			return err
		}, "ratings"},
		{"GetDepartmentPerformance: no department", func() error {
			_, err := e.GetDepartmentPerformance(bg, &pb.GetDepartmentPerformanceRequest{})
			return err
		}, "departmentId"},
		{"CreateLinkageMeeting: an unknown compound", func() error {
			_, err := e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{CompoundId: "nope"}})
			return err
		}, "linkageMeeting.compoundId"},
		{"CreateLinkageMeeting: a party twice", func() error {
			_, err := e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{CompoundId: c.Id, Attendees: []*pb.LinkageAttendee{
				party(pb.LinkageAttendee_OWNERS_COMMITTEE), party(pb.LinkageAttendee_BUILDING_LEADERS), party(pb.LinkageAttendee_OWNERS_COMMITTEE),
			}}})
			return err
		}, "linkageMeeting.attendees[2].party"},
		{"CreateLinkageMeeting: no party", func() error {
			_, err := e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{CompoundId: c.Id, Attendees: []*pb.LinkageAttendee{party(0)}}})
			return err
		}, "linkageMeeting.attendees[0].party"},
		{"CreateLinkageMeeting: a whistle of another compound", func() error {
			_, err := e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{CompoundId: c.Id, FollowUpWhistleIds: []string{w.Id, wOther.Id}}})
			return err
		}, "linkageMeeting.followUpWhistleIds[1]"},
		{"CreateLinkageMeeting: an unknown whistle", func() error {
			_, err := e.CreateLinkageMeeting(bg, &pb.CreateLinkageMeetingRequest{LinkageMeeting: &pb.LinkageMeeting{CompoundId: c.Id, FollowUpWhistleIds: []string{"nope"}}})
			return err
		}, "linkageMeeting.followUpWhistleIds[0]"},
		{"ListLinkageMeetings: a page size over 1,000", func() error {
			_, err := e.ListLinkageMeetings(bg, &pb.ListLinkageMeetingsRequest{PageSize: 1001})
			return err
		}, "pageSize"},
		{"CreateConvention: no kind", func() error {
			_, err := e.CreateConvention(bg, &pb.CreateConventionRequest{CompoundId: c.Id, Convention: &pb.Convention{Title: "x", Text: "y"}})
			return err
		}, "convention.kind"},
		{"CreateConvention: no text", func() error {
			_, err := e.CreateConvention(bg, &pb.CreateConventionRequest{CompoundId: c.Id, Convention: &pb.Convention{Kind: pb.Convention_CLEANING_RULES, Title: "x"}})
			return err
		}, "convention.text"},
		{"CreateConvention: a blank title", func() error {
			_, err := e.CreateConvention(bg, &pb.CreateConventionRequest{CompoundId: c.Id, Convention: &pb.Convention{Kind: pb.Convention_CLEANING_RULES, Title: "  ", Text: "y"}})
			return err
		}, "convention.title"},
		{"ListConventions: no compound", func() error {
			_, err := e.ListConventions(bg, &pb.ListConventionsRequest{})
			return err
		}, "compoundId"},
		{"AdoptConvention: no resolution", func() error {
			_, err := e.AdoptConvention(bg, &pb.AdoptConventionRequest{Id: v.Id})
			return err
		}, "resolutionSurveyId"},
		{"CreateLeaderContact: an unknown compound", func() error {
			_, err := e.CreateLeaderContact(bg, &pb.CreateLeaderContactRequest{LeaderContact: &pb.LeaderContact{LeaderName: "李明", CompoundIds: []string{"nope"}}})
			return err
		}, "leaderContact.compoundIds[0]"},
		{"CreateLeaderContact: a sub-district for a community", func() error {
			_, err := e.CreateLeaderContact(bg, &pb.CreateLeaderContactRequest{LeaderContact: &pb.LeaderContact{LeaderName: "李明", CommunityIds: []string{tr.communityA.Id, tr.subA.Id}}})
			return err
		}, "leaderContact.communityIds[1]"},
		{"CreateLeaderContact: tied to nothing", func() error {
			_, err := e.CreateLeaderContact(bg, &pb.CreateLeaderContactRequest{LeaderContact: &pb.LeaderContact{LeaderName: "李明"}})
			return err
		}, "leaderContact.compoundIds"},
		{"CreateLeaderContact: no name", func() error {
			_, err := e.CreateLeaderContact(bg, &pb.CreateLeaderContactRequest{LeaderContact: &pb.LeaderContact{CompoundIds: []string{c.Id}}})
			return err
		}, "leaderContact.leaderName"},
		{"ListLeaderContacts: a page size over 1,000", func() error {
			_, err := e.ListLeaderContacts(bg, &pb.ListLeaderContactsRequest{PageSize: 1001})
			return err
		}, "pageSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testkit.WantViolation(t, tt.call(), tt.field)
		})
	}
	if after := snapshot(t, e, c.Id); after != before {
		t.Fatalf("refused requests changed the store:\nbefore %s\nafter  %s", before, after)
	}
	if sv.questions() != 0 {
		t.Fatal("a refused adoption asked the survey service")
	}
}

// snapshot renders everything the new methods can change, to compare before and after.
func snapshot(t *testing.T, e env, cid string) string {
	t.Helper()
	var b strings.Builder
	ds := testkit.Must[*pb.ListDepartmentsResponse](t)(e.ListDepartments(bg, &pb.ListDepartmentsRequest{PageSize: 1000}))
	fmt.Fprintln(&b, len(ds.Departments), "departments")
	for _, d := range ds.Departments {
		fmt.Fprintln(&b, e.performance(t, d.Id))
	}
	ws := testkit.Must[*pb.ListWhistlesResponse](t)(e.ListWhistles(bg, &pb.ListWhistlesRequest{PageSize: 1000}))
	for _, w := range ws.Whistles {
		fmt.Fprintln(&b, w)
	}
	ms := testkit.Must[*pb.ListLinkageMeetingsResponse](t)(e.ListLinkageMeetings(bg, &pb.ListLinkageMeetingsRequest{PageSize: 1000}))
	fmt.Fprintln(&b, len(ms.LinkageMeetings), "meetings")
	cs := testkit.Must[*pb.ListConventionsResponse](t)(e.ListConventions(bg, &pb.ListConventionsRequest{CompoundId: cid, PageSize: 1000}))
	for _, c := range cs.Conventions {
		fmt.Fprintln(&b, c)
	}
	ls := testkit.Must[*pb.ListLeaderContactsResponse](t)(e.ListLeaderContacts(bg, &pb.ListLeaderContactsRequest{PageSize: 1000}))
	fmt.Fprintln(&b, len(ls.LeaderContacts), "leader contacts")
	return b.String()
}
