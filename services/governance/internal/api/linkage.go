package api

import (
	"context"
	"slices"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// Five-party linkage meetings, conventions adopted by resolution, and leader contacts.

// CreateLinkageMeeting records a meeting of the five parties about a compound
// (app.CreateLinkageMeeting).
func (s *Server) CreateLinkageMeeting(ctx context.Context, req *pb.CreateLinkageMeetingRequest) (*pb.LinkageMeeting, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(linkageMeetingToPB)(s.app.CreateLinkageMeeting(ctx, r, linkageMeetingFromPB(req.GetLinkageMeeting())))
}

// ListLinkageMeetings lists meetings in the order they were recorded, of one compound
// (which must exist) or all.
func (s *Server) ListLinkageMeetings(ctx context.Context, req *pb.ListLinkageMeetingsRequest) (*pb.ListLinkageMeetingsResponse, error) {
	ms, next, err := s.app.ListLinkageMeetings(ctx, req.GetCompoundId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListLinkageMeetingsResponse{LinkageMeetings: encodeAll(ms, linkageMeetingToPB), NextPageToken: next}, nil
}

// CreateConvention writes a new text of a compound's convention of one kind
// (app.CreateConvention).
func (s *Server) CreateConvention(ctx context.Context, req *pb.CreateConventionRequest) (*pb.Convention, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(conventionToPB)(s.app.CreateConvention(ctx, r, req.GetCompoundId(), conventionFromPB(req.GetConvention())))
}

// ListConventions lists a compound's convention texts, of one kind or all, in the order
// they were written.
func (s *Server) ListConventions(ctx context.Context, req *pb.ListConventionsRequest) (*pb.ListConventionsResponse, error) {
	cs, next, err := s.app.ListConventions(ctx, req.GetCompoundId(), registry.ConventionKind(req.GetKind()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListConventionsResponse{Conventions: encodeAll(cs, conventionToPB), NextPageToken: next}, nil
}

// AdoptConvention records that the owners adopted a convention text by a passed
// resolution of its compound (app.AdoptConvention).
func (s *Server) AdoptConvention(ctx context.Context, req *pb.AdoptConventionRequest) (*pb.Convention, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(conventionToPB)(s.app.AdoptConvention(ctx, r, req.GetId(), req.GetResolutionSurveyId()))
}

// CreateLeaderContact ties a district leader to compounds and communities
// (app.CreateLeaderContact).
func (s *Server) CreateLeaderContact(ctx context.Context, req *pb.CreateLeaderContactRequest) (*pb.LeaderContact, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	return encoded(leaderContactToPB)(s.app.CreateLeaderContact(ctx, r, leaderContactFromPB(req.GetLeaderContact())))
}

// ListLeaderContacts lists leader contacts in the order they were recorded, tied to a
// compound and/or a community when those are named (each must exist).
func (s *Server) ListLeaderContacts(ctx context.Context, req *pb.ListLeaderContactsRequest) (*pb.ListLeaderContactsResponse, error) {
	ls, next, err := s.app.ListLeaderContacts(ctx, req.GetCompoundId(), req.GetCommunityId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListLeaderContactsResponse{LeaderContacts: encodeAll(ls, leaderContactToPB), NextPageToken: next}, nil
}

// Conversions. The registry's party and kind enums use the contract's numbers
// (whistles_convert_test.go checks), so conversion is a cast.

func linkageMeetingFromPB(m *pb.LinkageMeeting) registry.LinkageMeeting {
	out := registry.LinkageMeeting{
		CompoundID: m.GetCompoundId(), Agenda: slices.Clone(m.GetAgenda()), Decisions: slices.Clone(m.GetDecisions()),
		FollowUpWhistleIDs: slices.Clone(m.GetFollowUpWhistleIds()),
	}
	if m.GetHeldTime() != nil {
		out.HeldTime = m.GetHeldTime().AsTime()
	}
	for _, a := range m.GetAttendees() {
		out.Attendees = append(out.Attendees, registry.LinkageAttendee{Party: registry.LinkageParty(a.GetParty()), Attendee: a.GetAttendee()})
	}
	return out
}

func linkageMeetingToPB(m *registry.LinkageMeeting) *pb.LinkageMeeting {
	out := &pb.LinkageMeeting{
		Id: m.ID, CompoundId: m.CompoundID, HeldTime: ts(m.HeldTime), Agenda: m.Agenda, Decisions: m.Decisions,
		FollowUpWhistleIds: m.FollowUpWhistleIDs,
	}
	for _, a := range m.Attendees {
		out.Attendees = append(out.Attendees, &pb.LinkageAttendee{Party: pb.LinkageAttendee_Party(a.Party), Attendee: a.Attendee})
	}
	return out
}

func conventionFromPB(c *pb.Convention) registry.Convention {
	return registry.Convention{Kind: registry.ConventionKind(c.GetKind()), Title: c.GetTitle(), Text: c.GetText()}
}

func conventionToPB(c *registry.Convention) *pb.Convention {
	return &pb.Convention{
		Id: c.ID, CompoundId: c.CompoundID, Kind: pb.Convention_Kind(c.Kind), Title: c.Title, Text: c.Text,
		Version: int32(c.Version), Adopted: c.Adopted, ResolutionSurveyId: c.ResolutionSurveyID,
		AdoptTime: ts(c.AdoptTime), CreateTime: ts(c.CreateTime),
		CreateAccount: c.CreateAccount, AdoptAccount: c.AdoptAccount,
	}
}

func leaderContactFromPB(l *pb.LeaderContact) registry.LeaderContact {
	return registry.LeaderContact{
		LeaderName: l.GetLeaderName(), LeaderTitle: l.GetLeaderTitle(), CompoundIDs: slices.Clone(l.GetCompoundIds()),
		CommunityIDs: slices.Clone(l.GetCommunityIds()), Tasks: slices.Clone(l.GetTasks()),
	}
}

func leaderContactToPB(l *registry.LeaderContact) *pb.LeaderContact {
	return &pb.LeaderContact{
		Id: l.ID, LeaderName: l.LeaderName, LeaderTitle: l.LeaderTitle, CompoundIds: l.CompoundIDs,
		CommunityIds: l.CommunityIDs, Tasks: l.Tasks, CreateTime: ts(l.CreateTime),
	}
}
