package api_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
)

func ideaList(is []*pb.Idea) []string {
	var out []string
	for _, i := range is {
		out = append(out, fmt.Sprintf("%s:%d", i.Text, i.Endorsements))
	}
	return out
}

func TestIdeas(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 6000, 6000, 6000)
	stranger := e.households(t, e.compound(t, "光明里", tr.comB.Id, 1990).Id, 6000)[0]
	create := func(h, text string) *pb.Idea {
		t.Helper()
		return testkit.Must[*pb.Idea](t)(e.CreateIdea(bg, &pb.CreateIdeaRequest{Idea: &pb.Idea{CompoundId: c.Id, HouseholdId: h, Text: text, Category: "HERITAGE"}}))
	}
	endorse := func(id, h string) *pb.Idea {
		t.Helper()
		return testkit.Must[*pb.Idea](t)(e.EndorseIdea(bg, &pb.EndorseIdeaRequest{Id: id, HouseholdId: h}))
	}
	a, b, cc := create(hs[0], "保留花砖墙"), create(hs[1], "加装电梯"), create(hs[2], "建晾晒区")
	if a.Status != pb.Idea_SUBMITTED || a.Endorsements != 0 || a.Category != "HERITAGE" {
		t.Fatalf("created %v", a)
	}

	t.Run("a household endorses an idea once", func(t *testing.T) {
		for _, h := range hs[:3] {
			endorse(b.Id, h)
		}
		if got := endorse(b.Id, hs[0]); got.Endorsements != 3 {
			t.Fatalf("endorsing again counted: %d", got.Endorsements)
		}
		endorse(cc.Id, hs[3])
	})
	t.Run("a household of another compound does not endorse", func(t *testing.T) {
		_, err := e.EndorseIdea(bg, &pb.EndorseIdeaRequest{Id: a.Id, HouseholdId: stranger})
		testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
	})
	t.Run("ideas come from households of their compound", func(t *testing.T) {
		_, err := e.CreateIdea(bg, &pb.CreateIdeaRequest{Idea: &pb.Idea{CompoundId: c.Id, HouseholdId: stranger, Text: "x"}})
		testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
		_, err = e.CreateIdea(bg, &pb.CreateIdeaRequest{Idea: &pb.Idea{CompoundId: "nope", HouseholdId: hs[0], Text: "x"}})
		testkit.WantViolation(t, err, "idea.compoundId")
	})
	t.Run("by endorsements: most first, then oldest", func(t *testing.T) {
		resp := testkit.Must[*pb.ListIdeasResponse](t)(e.ListIdeas(bg, &pb.ListIdeasRequest{CompoundId: c.Id, OrderBy: "endorsements"}))
		if got := ideaList(resp.Ideas); !reflect.DeepEqual(got, []string{"加装电梯:3", "建晾晒区:1", "保留花砖墙:0"}) {
			t.Fatalf("by endorsements %v", got)
		}
		page := testkit.Must[*pb.ListIdeasResponse](t)(e.ListIdeas(bg, &pb.ListIdeasRequest{CompoundId: c.Id, OrderBy: "endorsements", PageSize: 2}))
		rest := testkit.Must[*pb.ListIdeasResponse](t)(e.ListIdeas(bg, &pb.ListIdeasRequest{CompoundId: c.Id, OrderBy: "endorsements", PageSize: 2, PageToken: page.NextPageToken}))
		if got := append(ideaList(page.Ideas), ideaList(rest.Ideas)...); !reflect.DeepEqual(got, []string{"加装电梯:3", "建晾晒区:1", "保留花砖墙:0"}) {
			t.Fatalf("paged by endorsements %v", got)
		}
	})
	t.Run("in order of submission by default", func(t *testing.T) {
		resp := testkit.Must[*pb.ListIdeasResponse](t)(e.ListIdeas(bg, &pb.ListIdeasRequest{CompoundId: c.Id}))
		if got := ideaList(resp.Ideas); !reflect.DeepEqual(got, []string{"保留花砖墙:0", "加装电梯:3", "建晾晒区:1"}) {
			t.Fatalf("in order %v", got)
		}
	})
	t.Run("ideas are listed per compound", func(t *testing.T) {
		_, err := e.ListIdeas(bg, &pb.ListIdeasRequest{})
		testkit.WantViolation(t, err, "compoundId")
	})
	t.Run("declining needs a reason", func(t *testing.T) {
		_, err := e.DeclineIdea(bg, &pb.DeclineIdeaRequest{Id: a.Id})
		testkit.WantViolation(t, err, "reason")
		got := testkit.Must[*pb.Idea](t)(e.DeclineIdea(bg, &pb.DeclineIdeaRequest{Id: a.Id, Reason: "外墙属于历史风貌保护范围，另行处理", RequestId: "decline-a"}))
		if got.Status != pb.Idea_DECLINED || got.DeclineReason == "" || got.DecideTime == nil {
			t.Fatalf("declined %v", got)
		}
		again := testkit.Must[*pb.Idea](t)(e.DeclineIdea(bg, &pb.DeclineIdeaRequest{Id: a.Id, Reason: "外墙属于历史风貌保护范围，另行处理", RequestId: "decline-a"}))
		if again.Status != pb.Idea_DECLINED {
			t.Fatalf("retried decline %v", again)
		}
	})
	t.Run("a decided idea stays decided and takes no endorsements", func(t *testing.T) {
		_, err := e.AdoptIdea(bg, &pb.AdoptIdeaRequest{Id: a.Id})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		adopted := testkit.Must[*pb.Idea](t)(e.AdoptIdea(bg, &pb.AdoptIdeaRequest{Id: b.Id, Remarks: "纳入2025年改造方案"}))
		if adopted.Status != pb.Idea_ADOPTED || adopted.AdoptRemarks != "纳入2025年改造方案" || adopted.Endorsements != 3 {
			t.Fatalf("adopted %v", adopted)
		}
		_, err = e.EndorseIdea(bg, &pb.EndorseIdeaRequest{Id: b.Id, HouseholdId: hs[3]})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		resp := testkit.Must[*pb.ListIdeasResponse](t)(e.ListIdeas(bg, &pb.ListIdeasRequest{CompoundId: c.Id, Status: pb.Idea_ADOPTED}))
		if len(resp.Ideas) != 1 || resp.Ideas[0].Id != b.Id {
			t.Fatalf("adopted ideas %v", resp.Ideas)
		}
	})
	t.Run("an unknown idea is not found", func(t *testing.T) {
		_, err := e.GetIdea(bg, &pb.GetIdeaRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

func TestMeetings(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 6000, 6000)
	stranger := e.households(t, e.compound(t, "光明里", tr.comB.Id, 1990).Id, 6000)[0]
	held := timestamppb.New(time.Date(2024, 5, 6, 19, 30, 0, 0, time.UTC))

	_, err := e.CreateMeeting(bg, &pb.CreateMeetingRequest{Meeting: &pb.Meeting{CompoundId: c.Id, Title: "院坝会", HeldAt: held, AttendeeHouseholdIds: []string{hs[0], stranger}}})
	testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")

	m := testkit.Must[*pb.Meeting](t)(e.CreateMeeting(bg, &pb.CreateMeetingRequest{Meeting: &pb.Meeting{
		CompoundId: c.Id, Title: "加装电梯院坝会", Place: "3号楼前", HeldAt: held,
		AttendeeHouseholdIds: []string{hs[0]}, Topics: []string{"加装电梯", "停车"}}}))
	if m.State != pb.Meeting_OPEN || m.Place != "3号楼前" || len(m.Topics) != 2 {
		t.Fatalf("created %v", m)
	}
	closeReq := &pb.CloseMeetingRequest{Id: m.Id, AttendeeHouseholdIds: hs, Minutes: "与会住户一致同意加装电梯", Decisions: []string{"启动加装电梯表决"}, RequestId: "close-1"}
	closed := testkit.Must[*pb.Meeting](t)(e.CloseMeeting(bg, closeReq))
	if closed.State != pb.Meeting_CLOSED || len(closed.AttendeeHouseholdIds) != 3 || closed.Decisions[0] != "启动加装电梯表决" || closed.CloseTime == nil || len(closed.Topics) != 2 {
		t.Fatalf("closed %v", closed)
	}
	if got := testkit.Must[*pb.Meeting](t)(e.GetMeeting(bg, &pb.GetMeetingRequest{Id: m.Id})); got.State != pb.Meeting_CLOSED || got.Minutes != closeReq.Minutes {
		t.Fatalf("stored %v", got)
	}
	t.Run("a retried close answers with the closed meeting", func(t *testing.T) {
		again := testkit.Must[*pb.Meeting](t)(e.CloseMeeting(bg, closeReq))
		if again.State != pb.Meeting_CLOSED || again.Minutes != closeReq.Minutes {
			t.Fatalf("retried close %v", again)
		}
	})
	t.Run("a closed meeting does not close again", func(t *testing.T) {
		_, err := e.CloseMeeting(bg, &pb.CloseMeetingRequest{Id: m.Id, Minutes: "改写"})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("listing by compound and state", func(t *testing.T) {
		testkit.Must[*pb.Meeting](t)(e.CreateMeeting(bg, &pb.CreateMeetingRequest{Meeting: &pb.Meeting{CompoundId: c.Id, Title: "第二次院坝会", HeldAt: held}}))
		all := testkit.Must[*pb.ListMeetingsResponse](t)(e.ListMeetings(bg, &pb.ListMeetingsRequest{CompoundId: c.Id}))
		open := testkit.Must[*pb.ListMeetingsResponse](t)(e.ListMeetings(bg, &pb.ListMeetingsRequest{CompoundId: c.Id, State: pb.Meeting_OPEN}))
		if len(all.Meetings) != 2 || len(open.Meetings) != 1 || open.Meetings[0].Title != "第二次院坝会" {
			t.Fatalf("all %d, open %v", len(all.Meetings), open.Meetings)
		}
	})
	t.Run("a meeting needs its time", func(t *testing.T) {
		_, err := e.CreateMeeting(bg, &pb.CreateMeetingRequest{Meeting: &pb.Meeting{CompoundId: c.Id, Title: "x"}})
		testkit.WantViolation(t, err, "meeting.heldAt")
	})
}

// Rule 16 (who acts): a meeting records the signed-in account that recorded it and the
// one that closed it, from the call and never from the request; a retried close by
// another account of the same community answers with the account that closed it.
func TestMeetingsRecordWhoActs(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 6000)
	community := "regions/" + tr.comA.Id
	recorder := auth.WithPrincipal(bg, auth.Principal{Subject: "accounts/acct-recorder", Role: auth.CommunityStaff, Scope: community})
	closer := auth.WithPrincipal(bg, auth.Principal{Subject: "accounts/acct-closer", Role: auth.CommunityStaff, Scope: community})
	colleague := auth.WithPrincipal(bg, auth.Principal{Subject: "accounts/acct-colleague", Role: auth.CommunityStaff, Scope: community})
	held := timestamppb.New(time.Date(2024, 5, 6, 19, 30, 0, 0, time.UTC))

	m := testkit.Must[*pb.Meeting](t)(e.handlers.CreateMeeting(recorder, &pb.CreateMeetingRequest{Meeting: &pb.Meeting{
		CompoundId: c.Id, Title: "加装电梯院坝会", HeldAt: held, AttendeeHouseholdIds: hs[:1],
		CreateAccount: "accounts/forged", CloseAccount: "accounts/forged"}}))
	if m.CreateAccount != "accounts/acct-recorder" || m.CloseAccount != "" {
		t.Fatalf("created by %q, closed by %q", m.CreateAccount, m.CloseAccount)
	}
	closeReq := &pb.CloseMeetingRequest{Id: m.Id, AttendeeHouseholdIds: hs, Minutes: "一致同意加装电梯", RequestId: "close-who"}
	closed := testkit.Must[*pb.Meeting](t)(e.handlers.CloseMeeting(closer, closeReq))
	if closed.CreateAccount != "accounts/acct-recorder" || closed.CloseAccount != "accounts/acct-closer" {
		t.Fatalf("closed meeting: created by %q, closed by %q", closed.CreateAccount, closed.CloseAccount)
	}
	if again := testkit.Must[*pb.Meeting](t)(e.handlers.CloseMeeting(colleague, closeReq)); again.CloseAccount != "accounts/acct-closer" {
		t.Fatalf("a retried close answers with the account that closed it, not %q", again.CloseAccount)
	}
	got := testkit.Must[*pb.Meeting](t)(e.GetMeeting(bg, &pb.GetMeetingRequest{Id: m.Id}))
	if got.CreateAccount != "accounts/acct-recorder" || got.CloseAccount != "accounts/acct-closer" {
		t.Fatalf("stored: created by %q, closed by %q", got.CreateAccount, got.CloseAccount)
	}
}
