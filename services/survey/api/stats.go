package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/opinion"
)

// GetSurveyStats returns a survey's statistics. They are read off counters kept with
// every response, so the cost does not grow with the number of responses.
func (s *Server) GetSurveyStats(ctx context.Context, req *pb.GetSurveyStatsRequest) (*pb.SurveyStats, error) {
	sv, st, err := s.stats(ctx, req.GetSurveyId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return statsToPB(sv, st), nil
}

func (s *Server) stats(ctx context.Context, id string) (*opinion.Survey, opinion.Stats, error) {
	sv, err := s.store.GetSurvey(ctx, id)
	if err != nil {
		return nil, opinion.Stats{}, err
	}
	t, err := s.store.Tally(ctx, id)
	if err != nil {
		return nil, opinion.Stats{}, err
	}
	e, err := s.electorate(ctx, sv)
	if err != nil {
		return nil, opinion.Stats{}, err
	}
	return sv, opinion.ComputeStats(sv, t, e), nil
}

// utf8BOM lets Excel open the CSV with its Chinese text intact.
const utf8BOM = "\ufeff"

// ExportSurveyStats returns the statistics table (民意调查统计表) as CSV: one row per
// option of each choice question, with counts and shares.
func (s *Server) ExportSurveyStats(ctx context.Context, req *pb.ExportSurveyStatsRequest) (*httpbody.HttpBody, error) {
	sv, st, err := s.stats(ctx, req.GetSurveyId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	rows := [][]string{{"问题编号 question", "问题 text", "选项编号 option", "选项 text", "户数 households", "占比 share", "作答户数 answered", "应答户数 responded", "总户数 total"}}
	for _, q := range st.Questions {
		for _, o := range q.Options {
			rows = append(rows, []string{q.QuestionID, q.Text, o.OptionID, o.Text, strconv.FormatInt(o.Count, 10),
				fmt.Sprintf("%.1f%%", o.Share*100), strconv.FormatInt(q.Answered, 10),
				strconv.FormatInt(st.Responded, 10), strconv.FormatInt(st.Total, 10)})
		}
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, s.fail(ctx, err)
	}
	// The gateway passes this header through, so a browser saves the file by name.
	_ = grpc.SetHeader(ctx, metadata.Pairs("content-disposition", fmt.Sprintf(`attachment; filename="survey-%s-stats.csv"`, sv.ID)))
	return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: buf.Bytes()}, nil
}

// GetResolutionResult states a resolution's result with every figure behind it (rule 3).
func (s *Server) GetResolutionResult(ctx context.Context, req *pb.GetResolutionResultRequest) (*pb.ResolutionResult, error) {
	sv, err := s.store.GetSurvey(ctx, req.GetSurveyId())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	t, err := s.store.Tally(ctx, sv.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	e, err := s.electorate(ctx, sv)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r, err := opinion.Resolve(sv, t, e)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return resolutionToPB(sv, r), nil
}
