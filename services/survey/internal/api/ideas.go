package api

import (
	"context"

	"tongdu/platform/idempotency"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// CreateMeeting records a courtyard meeting of a compound.
func (s *Server) CreateMeeting(ctx context.Context, req *pb.CreateMeetingRequest) (*pb.Meeting, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return meetingOut(s.app.CreateMeeting(ctx, meetingFromPB(req.GetMeeting()), r))
}

// GetMeeting returns a meeting.
func (s *Server) GetMeeting(ctx context.Context, req *pb.GetMeetingRequest) (*pb.Meeting, error) {
	return meetingOut(s.app.GetMeeting(ctx, req.GetId()))
}

// ListMeetings lists meetings, by compound and state.
func (s *Server) ListMeetings(ctx context.Context, req *pb.ListMeetingsRequest) (*pb.ListMeetingsResponse, error) {
	ms, next, err := s.app.ListMeetings(ctx, req.GetCompoundId(), opinion.MeetingState(req.GetState()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListMeetingsResponse{NextPageToken: next}
	for i := range ms {
		out.Meetings = append(out.Meetings, meetingToPB(&ms[i]))
	}
	return out, nil
}

// CloseMeeting closes a meeting with its attendance, minutes and decisions.
func (s *Server) CloseMeeting(ctx context.Context, req *pb.CloseMeetingRequest) (*pb.Meeting, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return meetingOut(s.app.CloseMeeting(ctx, req.GetId(), req.GetAttendeeHouseholdIds(), req.GetMinutes(), req.GetDecisions(), timeOf(req.GetEffectiveTime()), r))
}

func meetingOut(m *opinion.Meeting, err error) (*pb.Meeting, error) {
	if err != nil {
		return nil, err
	}
	return meetingToPB(m), nil
}

// CreateIdea records a resident's golden idea.
func (s *Server) CreateIdea(ctx context.Context, req *pb.CreateIdeaRequest) (*pb.Idea, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return ideaOut(s.app.CreateIdea(ctx, ideaFromPB(req.GetIdea()), r))
}

// GetIdea returns an idea with its endorsements.
func (s *Server) GetIdea(ctx context.Context, req *pb.GetIdeaRequest) (*pb.Idea, error) {
	return ideaOut(s.app.GetIdea(ctx, req.GetId()))
}

// ListIdeas lists a compound's ideas, oldest first or by endorsements (most first).
func (s *Server) ListIdeas(ctx context.Context, req *pb.ListIdeasRequest) (*pb.ListIdeasResponse, error) {
	is, next, err := s.app.ListIdeas(ctx, req.GetCompoundId(), req.GetOrderBy() == "endorsements", opinion.IdeaStatus(req.GetStatus()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListIdeasResponse{NextPageToken: next}
	for i := range is {
		out.Ideas = append(out.Ideas, ideaToPB(&is[i]))
	}
	return out, nil
}

// EndorseIdea counts a household's endorsement once.
func (s *Server) EndorseIdea(ctx context.Context, req *pb.EndorseIdeaRequest) (*pb.Idea, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return ideaOut(s.app.EndorseIdea(ctx, req.GetId(), req.GetHouseholdId(), r))
}

// AdoptIdea adopts a submitted idea into the compound's plan.
func (s *Server) AdoptIdea(ctx context.Context, req *pb.AdoptIdeaRequest) (*pb.Idea, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return ideaOut(s.app.AdoptIdea(ctx, req.GetId(), req.GetRemarks(), r))
}

// DeclineIdea declines a submitted idea, with the reason the resident will read.
func (s *Server) DeclineIdea(ctx context.Context, req *pb.DeclineIdeaRequest) (*pb.Idea, error) {
	r, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return ideaOut(s.app.DeclineIdea(ctx, req.GetId(), req.GetReason(), r))
}

func ideaOut(i *opinion.Idea, err error) (*pb.Idea, error) {
	if err != nil {
		return nil, err
	}
	return ideaToPB(i), nil
}
