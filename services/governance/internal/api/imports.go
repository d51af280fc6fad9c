package api

import (
	"context"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"tongdu/platform/fault"
	"tongdu/platform/grpcserver"
	"tongdu/platform/sheet"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
)

// Imports implements tongdu.governance.v1.ImportService.
type Imports struct {
	pb.UnimplementedImportServiceServer
	imports *app.Imports
}

var _ pb.ImportServiceServer = (*Imports)(nil)

// NewImports returns the import server over the use cases.
func NewImports(m *app.Imports) *Imports { return &Imports{imports: m} }

// CreateImport reads the file and previews the import (app.Imports.Create).
func (s *Imports) CreateImport(ctx context.Context, req *pb.CreateImportRequest) (*pb.Import, error) {
	imp, err := s.imports.Create(ctx, registry.ImportKind(req.GetKind()), req.GetCompoundId(), req.GetCommunityId(), req.GetFileName(), req.GetContent())
	if err != nil {
		return nil, err
	}
	return importToPB(imp, 0, 0, false), nil
}

// GetImport returns an import with its rows (or a page of them).
func (s *Imports) GetImport(ctx context.Context, req *pb.GetImportRequest) (*pb.Import, error) {
	imp, err := s.imports.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return importToPB(imp, int(req.GetRowOffset()), int(req.GetRowLimit()), req.GetErrorsOnly()), nil
}

// ConfirmImport applies the previewed rows.
func (s *Imports) ConfirmImport(ctx context.Context, req *pb.ConfirmImportRequest) (*pb.Import, error) {
	imp, err := s.imports.Confirm(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return importToPB(imp, 0, 0, false), nil
}

// GetImportReport answers the file with its error column, as an .xlsx download.
func (s *Imports) GetImportReport(ctx context.Context, req *pb.GetImportReportRequest) (*httpbody.HttpBody, error) {
	data, _, err := s.imports.Report(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	name := "import-" + req.GetId() + "-report.xlsx"
	return grpcserver.Attachment(ctx, sheet.Disposition(name, name), sheet.XLSXType, data), nil
}

// GetImportTemplate answers the empty .xlsx of a kind ("HOUSEHOLDS.xlsx").
func (s *Imports) GetImportTemplate(ctx context.Context, req *pb.GetImportTemplateRequest) (*httpbody.HttpBody, error) {
	name := strings.TrimSuffix(req.GetName(), ".xlsx")
	kind := registry.ImportKind(pb.Import_Kind_value[strings.ToUpper(name)])
	if kind == registry.ImportUnspecified {
		return nil, fault.Field("name", "HOUSEHOLDS.xlsx or COMPOUNDS.xlsx")
	}
	data, err := s.imports.Template(kind)
	if err != nil {
		return nil, err
	}
	file := "tongdu-" + strings.ToLower(kind.String()) + "-template.xlsx"
	return grpcserver.Attachment(ctx, sheet.Disposition(file, file), sheet.XLSXType, data), nil
}

func importToPB(imp *app.Import, offset, limit int, errorsOnly bool) *pb.Import {
	out := &pb.Import{
		Id: imp.ID, Kind: pb.Import_Kind(imp.Kind), CompoundId: imp.CompoundID, CommunityId: imp.CommunityID,
		FileName: imp.FileName, State: pb.Import_State(pb.Import_State_value[imp.State]),
		Summary:  &pb.Import_Summary{New: int32(imp.Summary.New), Changed: int32(imp.Summary.Changed), Unchanged: int32(imp.Summary.Unchanged), Errors: int32(imp.Summary.Errors)},
		RowCount: int32(imp.RowCount), Total: int32(imp.Total), Applied: int32(imp.Applied),
		CreateAccount: imp.CreateAccount, ConfirmAccount: imp.ConfirmAccount,
		CreateTime: ts(imp.CreateTime), ConfirmTime: ts(imp.ConfirmTime), ExpireTime: ts(imp.ExpireTime),
		Sheet: imp.Sheet, Encoding: imp.Encoding,
	}
	rows := imp.Rows
	if errorsOnly {
		var bad []registry.PlannedRow
		for _, r := range rows {
			if r.Status == registry.RowInError {
				bad = append(bad, r)
			}
		}
		rows = bad
	}
	rows = rows[min(offset, len(rows)):]
	if limit > 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	out.Rows = make([]*pb.Import_Row, len(rows))
	for i, r := range rows {
		row := &pb.Import_Row{Row: int32(r.Row), Status: pb.Import_Row_Status(r.Status), Key: r.Key, ChangedColumns: r.Changed}
		for _, e := range r.Errors {
			row.Errors = append(row.Errors, &pb.Import_RowError{Column: e.Column, Reason: e.Reason})
		}
		out.Rows[i] = row
	}
	return out
}
