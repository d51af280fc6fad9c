package api

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/opinion"
)

// CreateMeeting records a courtyard meeting (院坝会) of a compound.
func (s *Server) CreateMeeting(ctx context.Context, req *pb.CreateMeetingRequest) (*pb.Meeting, error) {
	in := req.GetMeeting()
	if _, err := s.compound(ctx, in.GetCompoundId(), "meeting.compoundId"); err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, err := s.householdsOf(ctx, in.GetCompoundId(), in.GetAttendeeHouseholdIds(), attendeeField("meeting.attendeeHouseholdIds")); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, _, err := s.claim(ctx, "CreateMeeting", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	m := opinion.Meeting{
		ID: id[0], CompoundID: in.GetCompoundId(), Title: in.GetTitle(), Place: in.GetPlace(), HeldAt: in.GetHeldAt().AsTime(),
		Attendees: in.GetAttendeeHouseholdIds(), Topics: in.GetTopics(), Minutes: in.GetMinutes(), Decisions: in.GetDecisions(),
		State: opinion.MeetingOpen, CreateTime: s.now(),
	}
	if err := s.store.CreateMeeting(ctx, m); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetMeeting(ctx, &pb.GetMeetingRequest{Id: m.ID})
}

func attendeeField(list string) func(int) string {
	return func(i int) string { return fmt.Sprintf("%s[%d]", list, i) }
}

// GetMeeting returns a meeting or NOT_FOUND.
func (s *Server) GetMeeting(ctx context.Context, req *pb.GetMeetingRequest) (*pb.Meeting, error) {
	m, err := s.store.GetMeeting(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return meetingToPB(m), nil
}

// ListMeetings lists meetings, by compound and state.
func (s *Server) ListMeetings(ctx context.Context, req *pb.ListMeetingsRequest) (*pb.ListMeetingsResponse, error) {
	st := opinion.MeetingState(req.GetState())
	ms, next, err := s.store.ListMeetings(ctx, req.GetCompoundId(), func(m *opinion.Meeting) bool {
		return st == opinion.MeetingUnspecified || m.State == st
	}, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListMeetingsResponse{NextPageToken: next}
	for i := range ms {
		out.Meetings = append(out.Meetings, meetingToPB(&ms[i]))
	}
	return out, nil
}

// CloseMeeting closes a meeting with its attendance, minutes and decisions.
func (s *Server) CloseMeeting(ctx context.Context, req *pb.CloseMeetingRequest) (*pb.Meeting, error) {
	m, err := s.store.GetMeeting(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, err := s.householdsOf(ctx, m.CompoundID, req.GetAttendeeHouseholdIds(), attendeeField("attendeeHouseholdIds")); err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, replayed, err := s.claim(ctx, "CloseMeeting", req.GetRequestId(), req, 0); err != nil {
		return nil, s.fail(ctx, err)
	} else if replayed && m.State == opinion.MeetingClosed {
		return meetingToPB(m), nil
	}
	closed, err := opinion.CloseMeeting(*m, req.GetAttendeeHouseholdIds(), req.GetMinutes(), req.GetDecisions(), s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.store.CloseMeeting(ctx, closed); err != nil {
		return nil, s.fail(ctx, err)
	}
	return meetingToPB(&closed), nil
}

// CreateIdea records a resident's golden idea (金点子).
func (s *Server) CreateIdea(ctx context.Context, req *pb.CreateIdeaRequest) (*pb.Idea, error) {
	in := req.GetIdea()
	if _, err := s.compound(ctx, in.GetCompoundId(), "idea.compoundId"); err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, err := s.householdsOf(ctx, in.GetCompoundId(), []string{in.GetHouseholdId()}, func(int) string { return "idea.householdId" }); err != nil {
		return nil, s.fail(ctx, err)
	}
	id, _, err := s.claim(ctx, "CreateIdea", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	i := opinion.Idea{
		ID: id[0], CompoundID: in.GetCompoundId(), HouseholdID: in.GetHouseholdId(), Text: in.GetText(),
		Category: in.GetCategory(), Status: opinion.Submitted, CreateTime: s.now(),
	}
	if err := s.store.CreateIdea(ctx, i); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetIdea(ctx, &pb.GetIdeaRequest{Id: i.ID})
}

// GetIdea returns an idea with its endorsements.
func (s *Server) GetIdea(ctx context.Context, req *pb.GetIdeaRequest) (*pb.Idea, error) {
	i, err := s.store.GetIdea(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return ideaToPB(i), nil
}

// ListIdeas lists a compound's ideas, oldest first or by endorsements (most first).
func (s *Server) ListIdeas(ctx context.Context, req *pb.ListIdeasRequest) (*pb.ListIdeasResponse, error) {
	if req.GetCompoundId() == "" {
		return nil, s.fail(ctx, &opinion.InvalidError{Violations: []opinion.Violation{{Field: "compoundId", Reason: "ideas are listed per compound"}}})
	}
	st := opinion.IdeaStatus(req.GetStatus())
	is, next, err := s.store.ListIdeas(ctx, req.GetCompoundId(), req.GetOrderBy() == "endorsements", func(i *opinion.Idea) bool {
		return st == opinion.IdeaUnspecified || i.Status == st
	}, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListIdeasResponse{NextPageToken: next}
	for i := range is {
		out.Ideas = append(out.Ideas, ideaToPB(&is[i]))
	}
	return out, nil
}

// EndorseIdea counts a household's endorsement once; endorsing again changes nothing.
func (s *Server) EndorseIdea(ctx context.Context, req *pb.EndorseIdeaRequest) (*pb.Idea, error) {
	i, err := s.store.GetIdea(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, err := s.householdsOf(ctx, i.CompoundID, []string{req.GetHouseholdId()}, func(int) string { return "householdId" }); err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, _, err := s.claim(ctx, "EndorseIdea", req.GetRequestId(), req, 0); err != nil {
		return nil, s.fail(ctx, err)
	}
	out, err := s.store.EndorseIdea(ctx, i, req.GetHouseholdId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return ideaToPB(out), nil
}

// AdoptIdea adopts a submitted idea into the compound's plan.
func (s *Server) AdoptIdea(ctx context.Context, req *pb.AdoptIdeaRequest) (*pb.Idea, error) {
	return s.decide(ctx, "AdoptIdea", req.GetId(), req.GetRequestId(), req, true, req.GetRemarks())
}

// DeclineIdea declines a submitted idea, with the reason the resident will read.
func (s *Server) DeclineIdea(ctx context.Context, req *pb.DeclineIdeaRequest) (*pb.Idea, error) {
	return s.decide(ctx, "DeclineIdea", req.GetId(), req.GetRequestId(), req, false, req.GetReason())
}

func (s *Server) decide(ctx context.Context, method, id, requestID string, req proto.Message, adopt bool, text string) (*pb.Idea, error) {
	i, err := s.store.GetIdea(ctx, id)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	want := opinion.Declined
	if adopt {
		want = opinion.Adopted
	}
	if _, replayed, err := s.claim(ctx, method, requestID, req, 0); err != nil {
		return nil, s.fail(ctx, err)
	} else if replayed && i.Status == want {
		return ideaToPB(i), nil
	}
	decided, err := opinion.Decide(*i, adopt, text, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.store.DecideIdea(ctx, decided); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetIdea(ctx, &pb.GetIdeaRequest{Id: id})
}
