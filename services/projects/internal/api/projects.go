package api

import (
	"context"

	"tongdu/platform/idempotency"
	"tongdu/platform/jsonname"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/app"
	"tongdu/services/projects/internal/works"
)

// project encodes a use case's project.
func project(v app.ProjectView, err error) (*pb.Project, error) {
	if err != nil {
		return nil, err
	}
	return projectToPB(v.Project, v.Items), nil
}

// CreateProject draws up a compound's plan for a round (app.CreateProject).
func (s *Server) CreateProject(ctx context.Context, req *pb.CreateProjectRequest) (*pb.Project, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	return project(s.app.CreateProject(ctx, projectFromPB(req.GetProject()), actorOf(ctx, ""), timeOf(req.GetEffectiveTime()), rq))
}

// GetProject returns a project with its history and item figures.
func (s *Server) GetProject(ctx context.Context, req *pb.GetProjectRequest) (*pb.Project, error) {
	return project(s.app.GetProject(ctx, req.GetId()))
}

// ListProjects lists projects by compound, status and year.
func (s *Server) ListProjects(ctx context.Context, req *pb.ListProjectsRequest) (*pb.ListProjectsResponse, error) {
	vs, next, err := s.app.ListProjects(ctx, req.GetCompoundId(), works.Status(req.GetStatus()), int(req.GetYear()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListProjectsResponse{NextPageToken: next}
	for _, v := range vs {
		out.Projects = append(out.Projects, projectToPB(v.Project, v.Items))
	}
	return out, nil
}

// UpdateProject replaces the fields named in update_mask (app.UpdateProject).
func (s *Server) UpdateProject(ctx context.Context, req *pb.UpdateProjectRequest) (*pb.Project, error) {
	in := req.GetProject()
	return project(s.app.UpdateProject(ctx, projectFromPB(in), jsonname.MaskPaths(req.GetUpdateMask().GetPaths()), in.GetEtag()))
}
