package api

import (
	"context"
	"fmt"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"tongdu/platform/grpcserver"
	"tongdu/platform/sheet"
	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// Exports as workbooks (issue 20): the statistics table and the ranking, each as
// GET …:export?format=xlsx, saved by the browser under a Chinese name.

// exportPage is how many entries of the ranking an export reads at a time.
const exportPage = 1000

// exportStatsXLSX is the statistics table (民意调查统计表) as a workbook: the CSV's
// rows, counts as numbers and shares as percentages.
func (s *Server) exportStatsXLSX(ctx context.Context, id string) (*httpbody.HttpBody, error) {
	sv, st, err := s.app.GetSurveyStats(ctx, id)
	if err != nil {
		return nil, err
	}
	w, err := sheet.NewWorkbook("民意调查统计表", []sheet.Column{
		{Header: "问题编号", Kind: sheet.Text}, {Header: "问题", Kind: sheet.Text, Width: 40},
		{Header: "选项编号", Kind: sheet.Text}, {Header: "选项", Kind: sheet.Text, Width: 24},
		{Header: "户数", Kind: sheet.Integer}, {Header: "占比", Kind: sheet.Percent},
		{Header: "作答户数", Kind: sheet.Integer}, {Header: "应答户数", Kind: sheet.Integer}, {Header: "总户数", Kind: sheet.Integer},
	})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	for _, q := range st.Questions {
		for _, o := range q.Options {
			// Question and option texts are the survey writer's: kept from running as
			// formulas like the CSV's.
			if err := w.Row(q.QuestionID, q.Text, o.OptionID, o.Text, o.Count, o.Share, q.Answered, st.Responded, st.Total); err != nil {
				return nil, err
			}
		}
	}
	data, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	return grpcserver.Attachment(ctx, sheet.Disposition(fmt.Sprintf("民意调查统计表-%s.xlsx", sv.Title), fmt.Sprintf("survey-%s-stats.xlsx", sv.ID)), sheet.XLSXType, data), nil
}

// compoundStages are the stages' Chinese names, as the console shows them.
var compoundStages = map[govpb.Compound_Status]string{
	govpb.Compound_INVENTORIED: "已摸底登记",
	govpb.Compound_SURVEYING:   "征求意见中",
	govpb.Compound_PLANNED:     "已列入计划",
	govpb.Compound_RENOVATING:  "改造施工中",
	govpb.Compound_ACCEPTED:    "已竣工验收",
	govpb.Compound_MAINTAINING: "长效管护中",
}

// ExportRanking is the ranking (rule 4) as a workbook: every compound it holds, in its
// order, with each term of its score. It reads the ranking kept ready, page by page, as
// GetRanking does, never the registry.
func (s *Server) ExportRanking(ctx context.Context, req *pb.ExportRankingRequest) (*httpbody.HttpBody, error) {
	statuses := make([]opinion.CompoundStatus, len(req.GetStatus()))
	for i, st := range req.GetStatus() {
		statuses[i] = opinion.CompoundStatus(st)
	}
	var w *sheet.Workbook
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	token := ""
	for {
		r, err := s.app.GetRanking(ctx, req.GetRegionId(), statuses, token, exportPage)
		if err != nil {
			return nil, err
		}
		if w == nil {
			// The weights head their terms' columns, so the sheet reads as the formula.
			wt := r.Weights
			if w, err = sheet.NewWorkbook("改造优先级排名", []sheet.Column{
				{Header: "名次", Kind: sheet.Integer}, {Header: "小区编号", Kind: sheet.Text},
				{Header: "小区", Kind: sheet.Text, Width: 24}, {Header: "建成年份", Kind: sheet.Integer},
				{Header: "阶段", Kind: sheet.Text}, {Header: "得分", Kind: sheet.Decimal, Format: "0.000"},
				{Header: fmt.Sprintf("设施缺损（权重%.2f）", wt.Deficit), Kind: sheet.Decimal},
				{Header: fmt.Sprintf("改造意愿（权重%.2f）", wt.Willingness), Kind: sheet.Decimal},
				{Header: fmt.Sprintf("参与程度（权重%.2f）", wt.Participation), Kind: sheet.Decimal},
				{Header: "需求调查", Kind: sheet.Text},
			}); err != nil {
				return nil, err
			}
		}
		for i := range r.Entries {
			e := &r.Entries[i]
			var year any
			if e.BuildYear > 0 {
				year = e.BuildYear
			}
			if err := w.Row(r.First+i, e.CompoundID, e.Name, year, compoundStages[govpb.Compound_Status(e.Status)],
				e.Score, e.Deficit, e.Willingness, e.Participation, e.SurveyID); err != nil {
				return nil, err
			}
		}
		if token = r.NextPageToken; token == "" {
			break
		}
	}
	data, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	return grpcserver.Attachment(ctx, sheet.Disposition(fmt.Sprintf("改造优先级排名-%s.xlsx", req.GetRegionId()), fmt.Sprintf("ranking-%s.xlsx", req.GetRegionId())), sheet.XLSXType, data), nil
}
