package api

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// Five-party linkage meetings, conventions adopted by resolution, and leader contacts.

// CreateLinkageMeeting records a meeting of the five parties about a compound. Each
// party attends at most once; follow-up whistles must be whistles of that compound.
func (s *Server) CreateLinkageMeeting(ctx context.Context, req *pb.CreateLinkageMeetingRequest) (*pb.LinkageMeeting, error) {
	in := linkageMeetingFromPB(req.GetLinkageMeeting())
	if _, err := s.store.GetCompound(ctx, in.CompoundID); errors.Is(err, registry.ErrNotFound) {
		return nil, s.fail(ctx, &registry.InvalidError{Violations: []registry.Violation{{Field: "linkageMeeting.compoundId", Reason: "no compound " + in.CompoundID}}})
	} else if err != nil {
		return nil, s.fail(ctx, err)
	}
	ws, err := s.store.GetWhistles(ctx, in.FollowUpWhistleIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	whistleCompound := make(map[string]string, len(ws))
	for _, w := range ws {
		whistleCompound[w.ID] = w.CompoundID
	}
	m, err := registry.NewLinkageMeeting(in, whistleCompound, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateLinkageMeeting", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	m.ID = id[0]
	if err := s.store.CreateLinkageMeeting(ctx, m); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetLinkageMeeting(ctx, m.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return linkageMeetingToPB(stored), nil
}

// ListLinkageMeetings lists meetings in the order they were recorded, of one compound
// (which must exist) or all.
func (s *Server) ListLinkageMeetings(ctx context.Context, req *pb.ListLinkageMeetingsRequest) (*pb.ListLinkageMeetingsResponse, error) {
	if cid := req.GetCompoundId(); cid != "" {
		if _, err := s.store.GetCompound(ctx, cid); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	ms, next, err := s.store.ListLinkageMeetings(ctx, req.GetCompoundId(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListLinkageMeetingsResponse{NextPageToken: next}
	for i := range ms {
		out.LinkageMeetings = append(out.LinkageMeetings, linkageMeetingToPB(&ms[i]))
	}
	return out, nil
}

// CreateConvention writes a new text of a compound's convention of one kind. Its version
// is one more than the texts of that kind before it, assigned atomically by the store.
func (s *Server) CreateConvention(ctx context.Context, req *pb.CreateConventionRequest) (*pb.Convention, error) {
	cid := req.GetCompoundId()
	if _, err := s.store.GetCompound(ctx, cid); err != nil {
		return nil, s.fail(ctx, err)
	}
	c, err := registry.NewConvention(conventionFromPB(req.GetConvention()), cid, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateConvention", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	c.ID = id[0]
	if _, err := s.store.CreateConvention(ctx, c); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetConvention(ctx, c.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return conventionToPB(stored), nil
}

// ListConventions lists a compound's convention texts, of one kind or all, in the order
// they were written.
func (s *Server) ListConventions(ctx context.Context, req *pb.ListConventionsRequest) (*pb.ListConventionsResponse, error) {
	if _, err := s.store.GetCompound(ctx, req.GetCompoundId()); err != nil {
		return nil, s.fail(ctx, err)
	}
	cs, next, err := s.store.ListConventions(ctx, req.GetCompoundId(), registry.ConventionKind(req.GetKind()), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListConventionsResponse{NextPageToken: next}
	for i := range cs {
		out.Conventions = append(out.Conventions, conventionToPB(&cs[i]))
	}
	return out, nil
}

// AdoptConvention records that the owners adopted a convention text by a passed
// resolution of its compound, as the survey service states it. Without a survey service
// it is UNAVAILABLE; a resolution unknown, of another compound or not passed is
// RESOLUTION_NOT_PASSED with the figures. Adopting again by the same resolution changes
// nothing and asks no one.
func (s *Server) AdoptConvention(ctx context.Context, req *pb.AdoptConventionRequest) (*pb.Convention, error) {
	cur, err := s.store.GetConvention(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r := registry.Resolution{SurveyID: req.GetResolutionSurveyId()}
	if !cur.Adopted {
		// An adopted text needs no answer: the same resolution is a retry, another is
		// refused whatever the survey says.
		if r, err = s.resolution(ctx, req.GetResolutionSurveyId()); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	claimed := false
	for attempt := 0; ; attempt++ {
		next, changed, err := registry.AdoptConvention(*cur, r, s.now())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		// Claimed once the adoption is found valid, so a refusal does not use up the id.
		if !claimed {
			if _, err := s.idsFor(ctx, "AdoptConvention", req.GetRequestId(), req, 0); err != nil {
				return nil, s.fail(ctx, err)
			}
			claimed = true
		}
		if !changed {
			return conventionToPB(cur), nil
		}
		_, err = s.store.UpdateConvention(ctx, next)
		if errors.Is(err, registry.ErrConflict) {
			select {
			case <-ctx.Done():
				return nil, s.fail(ctx, ctx.Err())
			case <-time.After(time.Duration(1+rand.IntN(1<<min(attempt, 6))) * time.Millisecond):
			}
			if cur, err = s.store.GetConvention(ctx, req.GetId()); err != nil {
				return nil, s.fail(ctx, err)
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		stored, err := s.store.GetConvention(ctx, req.GetId())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return conventionToPB(stored), nil
	}
}

// resolution asks the survey service about a resolution.
func (s *Server) resolution(ctx context.Context, surveyID string) (registry.Resolution, error) {
	if s.resolutions == nil {
		return registry.Resolution{}, fmt.Errorf("%w: no survey service is wired to state resolution %s", registry.ErrPeerDown, surveyID)
	}
	f, err := s.resolutions.Resolution(ctx, surveyID)
	if err != nil {
		return registry.Resolution{}, err
	}
	return registry.Resolution{
		SurveyID: surveyID, Found: f.Found, Passed: f.Passed, CompoundID: f.CompoundID,
		Matter: f.Matter, Figures: f.Figures,
	}, nil
}

// CreateLeaderContact ties a district leader to compounds (which must exist) and
// communities (which must be COMMUNITY regions).
func (s *Server) CreateLeaderContact(ctx context.Context, req *pb.CreateLeaderContactRequest) (*pb.LeaderContact, error) {
	in := leaderContactFromPB(req.GetLeaderContact())
	cs, err := s.store.GetCompounds(ctx, in.CompoundIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	compoundExists := make(map[string]bool, len(cs))
	for _, c := range cs {
		compoundExists[c.ID] = true
	}
	regions := make(map[string]*registry.Region, len(in.CommunityIDs))
	for _, id := range in.CommunityIDs {
		r, err := s.store.GetRegion(ctx, id)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		regions[id] = r
	}
	l, err := registry.NewLeaderContact(in, compoundExists, regions, s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, err := s.idsFor(ctx, "CreateLeaderContact", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	l.ID = id[0]
	if err := s.store.CreateLeaderContact(ctx, l); err != nil {
		return nil, s.fail(ctx, err)
	}
	stored, err := s.store.GetLeaderContact(ctx, l.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return leaderContactToPB(stored), nil
}

// ListLeaderContacts lists leader contacts in the order they were recorded, tied to a
// compound and/or a community when those are named (each must exist).
func (s *Server) ListLeaderContacts(ctx context.Context, req *pb.ListLeaderContactsRequest) (*pb.ListLeaderContactsResponse, error) {
	if cid := req.GetCompoundId(); cid != "" {
		if _, err := s.store.GetCompound(ctx, cid); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	if rid := req.GetCommunityId(); rid != "" {
		if _, err := s.store.GetRegion(ctx, rid); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	ls, next, err := s.store.ListLeaderContacts(ctx, req.GetCompoundId(), req.GetCommunityId(), req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListLeaderContactsResponse{NextPageToken: next}
	for i := range ls {
		out.LeaderContacts = append(out.LeaderContacts, leaderContactToPB(&ls[i]))
	}
	return out, nil
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
