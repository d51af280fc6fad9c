package api

import (
	"context"
	"fmt"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"tongdu/platform/grpcserver"
	"tongdu/platform/sheet"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// ExportDepartmentPerformance is the departments' performance (rule 11) as a workbook
// (issue 20), one row per department: whistles, acknowledged, resolved, overdue and the
// overdue rate, mean hours to acknowledge and to resolve, and the mean rating. Without
// a department it holds every department (the policy lets only callers without a scope
// ask so); with one, that one. Each row is read from the department's running counters,
// never from its whistles.
func (s *Server) ExportDepartmentPerformance(ctx context.Context, req *pb.ExportDepartmentPerformanceRequest) (*httpbody.HttpBody, error) {
	var depts []registry.Department
	for token := ""; ; {
		page, next, err := s.app.ListDepartments(ctx, token, 1000)
		if err != nil {
			return nil, err
		}
		for _, d := range page {
			if req.GetDepartmentId() == "" || d.ID == req.GetDepartmentId() {
				depts = append(depts, d)
			}
		}
		if token = next; token == "" {
			break
		}
	}
	if req.GetDepartmentId() != "" && len(depts) == 0 {
		// The use case says NOT_FOUND as the report does.
		if _, err := s.app.GetDepartmentPerformance(ctx, req.GetDepartmentId()); err != nil {
			return nil, err
		}
	}
	w, err := sheet.NewWorkbook("部门考评", []sheet.Column{
		{Header: "部门代码", Kind: sheet.Text}, {Header: "部门", Kind: sheet.Text, Width: 20},
		{Header: "受理事项", Kind: sheet.Integer}, {Header: "已报到", Kind: sheet.Integer}, {Header: "已办结", Kind: sheet.Integer},
		{Header: "超时", Kind: sheet.Integer}, {Header: "超时率", Kind: sheet.Percent},
		{Header: "平均报到用时（小时）", Kind: sheet.Decimal}, {Header: "平均办结用时（小时）", Kind: sheet.Decimal},
		{Header: "平均评价", Kind: sheet.Decimal},
	})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	for _, d := range depts {
		p, err := s.app.GetDepartmentPerformance(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		if err := w.Row(d.ID, d.Name, p.Whistles, p.Acknowledged, p.Resolved, p.Overdue, p.OverdueRate,
			p.MeanAcknowledgeSeconds/3600, p.MeanResolveSeconds/3600, p.MeanRating); err != nil {
			return nil, err
		}
	}
	data, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	name, ascii := "部门考评.xlsx", "department-performance.xlsx"
	if id := req.GetDepartmentId(); id != "" {
		name, ascii = fmt.Sprintf("部门考评-%s.xlsx", depts[0].Name), fmt.Sprintf("department-%s-performance.xlsx", id)
	}
	return grpcserver.Attachment(ctx, sheet.Disposition(name, ascii), sheet.XLSXType, data), nil
}
