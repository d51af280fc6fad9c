package api

import (
	"context"
	"fmt"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// GetSurveyStats returns a survey's statistics.
func (s *Server) GetSurveyStats(ctx context.Context, req *pb.GetSurveyStatsRequest) (*pb.SurveyStats, error) {
	sv, st, err := s.app.GetSurveyStats(ctx, req.GetSurveyId())
	if err != nil {
		return nil, err
	}
	return statsToPB(sv, st), nil
}

// ExportSurveyStats returns the statistics table as a CSV file, or with format=xlsx as
// a workbook (export.go).
func (s *Server) ExportSurveyStats(ctx context.Context, req *pb.ExportSurveyStatsRequest) (*httpbody.HttpBody, error) {
	if req.GetFormat() == "xlsx" {
		return s.exportStatsXLSX(ctx, req.GetSurveyId())
	}
	sv, data, err := s.app.ExportSurveyStats(ctx, req.GetSurveyId())
	if err != nil {
		return nil, err
	}
	// The gateway passes this header through, so a browser saves the file by name.
	_ = grpc.SetHeader(ctx, metadata.Pairs("content-disposition", fmt.Sprintf(`attachment; filename="survey-%s-stats.csv"`, sv.ID)))
	return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: data}, nil
}

// GetResolutionResult states a resolution's result with every figure behind it.
func (s *Server) GetResolutionResult(ctx context.Context, req *pb.GetResolutionResultRequest) (*pb.ResolutionResult, error) {
	sv, r, err := s.app.GetResolutionResult(ctx, req.GetSurveyId())
	if err != nil {
		return nil, err
	}
	return resolutionToPB(sv, r), nil
}

// GetRanking lists the compounds under a region by priority, with the terms behind each
// score.
func (s *Server) GetRanking(ctx context.Context, req *pb.GetRankingRequest) (*pb.Ranking, error) {
	statuses := make([]opinion.CompoundStatus, len(req.GetStatus()))
	for i, st := range req.GetStatus() {
		statuses[i] = opinion.CompoundStatus(st)
	}
	r, err := s.app.GetRanking(ctx, req.GetRegionId(), statuses, req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	w := r.Weights
	out := &pb.Ranking{RegionId: r.RegionID, Weights: &pb.RankingWeights{Deficit: w.Deficit, Willingness: w.Willingness, Participation: w.Participation}, NextPageToken: r.NextPageToken}
	for i := range r.Entries {
		out.Entries = append(out.Entries, rankEntryToPB(r.First+i, &r.Entries[i]))
	}
	return out, nil
}
