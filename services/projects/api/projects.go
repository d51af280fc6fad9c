package api

import (
	"context"

	"tongdu/platform/jsonname"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/works"
)

// CreateProject draws up a compound's plan for a round; one live plan per compound and
// year (PLAN_EXISTS otherwise).
func (s *Server) CreateProject(ctx context.Context, req *pb.CreateProjectRequest) (*pb.Project, error) {
	in := projectFromPB(req.GetProject())
	ok, err := s.owners.CompoundExists(ctx, in.CompoundID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if !ok {
		return nil, s.fail(ctx, &works.InvalidError{Violations: []works.Violation{{Field: "project.compoundId", Reason: "no compound " + in.CompoundID}}})
	}
	p, err := works.NewProject(in, actorOf(ctx, ""), s.now())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	id, _, err := s.claim(ctx, "CreateProject", req.GetRequestId(), req, 1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p.ID = id[0]
	if err := s.store.CreateProject(ctx, p); err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.GetProject(ctx, &pb.GetProjectRequest{Id: p.ID})
}

// GetProject returns a project with its history and item figures.
func (s *Server) GetProject(ctx context.Context, req *pb.GetProjectRequest) (*pb.Project, error) {
	p, err := s.store.GetProject(ctx, req.GetId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.view(ctx, p)
}

// ListProjects lists projects by compound, status and year.
func (s *Server) ListProjects(ctx context.Context, req *pb.ListProjectsRequest) (*pb.ListProjectsResponse, error) {
	st, year := works.Status(req.GetStatus()), int(req.GetYear())
	ps, next, err := s.store.ListProjects(ctx, req.GetCompoundId(), func(p *works.Project) bool {
		return (st == works.StatusUnspecified || p.Status == st) && (year == 0 || p.Year == year)
	}, req.GetPageToken(), pageSize(req.GetPageSize()))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &pb.ListProjectsResponse{NextPageToken: next}
	for i := range ps {
		v, err := s.view(ctx, &ps[i])
		if err != nil {
			return nil, err
		}
		out.Projects = append(out.Projects, v)
	}
	return out, nil
}

// UpdateProject replaces the fields named in update_mask; a stale etag is ABORTED.
func (s *Server) UpdateProject(ctx context.Context, req *pb.UpdateProjectRequest) (*pb.Project, error) {
	in := req.GetProject()
	mask := jsonname.MaskPaths(req.GetUpdateMask().GetPaths())
	if in.GetId() == "" || len(mask) == 0 {
		return nil, s.fail(ctx, &works.InvalidError{Violations: []works.Violation{{Field: "updateMask", Reason: "name the project (project.id) and the fields to update"}}})
	}
	patch := projectFromPB(in)
	for {
		cur, err := s.store.GetProject(ctx, in.GetId())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		if e := in.GetEtag(); e != "" && e != cur.Etag() {
			return nil, s.fail(ctx, works.ErrConflict)
		}
		next, err := works.ApplyUpdate(*cur, patch, mask, s.now())
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		_, err = s.store.UpdateProject(ctx, next)
		if isConflict(err) && in.GetEtag() == "" {
			if err := retryPause(ctx); err != nil {
				return nil, s.fail(ctx, err)
			}
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return s.GetProject(ctx, &pb.GetProjectRequest{Id: next.ID})
	}
}
