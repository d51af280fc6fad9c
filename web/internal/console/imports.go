package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/web/internal/view"
)

// importsMaxBytes caps an uploaded spreadsheet, as the gateway's POST /v1/imports does.
const importsMaxBytes = 4_000_000

// importsWait is how long a confirm is waited for before the page shows its progress
// instead (and refreshes itself until it is done).
const importsWait = 3 * time.Second

func init() {
	route("GET /compounds/{id}/import", (*Server).importsHouseholdsForm)
	route("GET /imports/compounds", (*Server).importsCompoundsForm)
	route("POST /imports", (*Server).importsUpload)
	route("GET /imports/{id}", (*Server).importsShow)
	route("POST /imports/{id}/confirm", (*Server).importsConfirm)
	route("GET /imports/{id}/report.xlsx", (*Server).importsReport)
	route("GET /import-templates/{name}", (*Server).importsTemplate)
}

func (s *Server) importsHouseholdsForm(w http.ResponseWriter, r *http.Request) {
	s.renderImportsForm(w, r, http.StatusOK, view.ImportsForm{Kind: "HOUSEHOLDS", CompoundID: r.PathValue("id")})
}

func (s *Server) importsCompoundsForm(w http.ResponseWriter, r *http.Request) {
	s.renderImportsForm(w, r, http.StatusOK, view.ImportsForm{Kind: "COMPOUNDS", Community: r.URL.Query().Get("community")})
}

func (s *Server) renderImportsForm(w http.ResponseWriter, r *http.Request, code int, f view.ImportsForm) {
	p := s.page(r, "imports.new."+f.Kind, "compounds")
	ctx := call(r)
	if f.Kind == "HOUSEHOLDS" {
		c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: f.CompoundID})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.CompoundName = c.GetName()
	} else {
		regions, err := s.compoundsRegions(ctx, p.Viewer.Scope)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, rg := range regions {
			if rg.Level == governancepb.Region_COMMUNITY {
				f.Communities = append(f.Communities, rg)
			}
		}
	}
	s.render(w, r, code, view.ImportsNew(p, f))
}

// importsUpload reads the form's file and previews it (ImportService.CreateImport); a
// file refused is shown on the form again with why.
func (s *Server) importsUpload(w http.ResponseWriter, r *http.Request) {
	kind := r.PostFormValue("kind")
	f := view.ImportsForm{Kind: kind, CompoundID: r.PostFormValue("compoundId"), Community: r.PostFormValue("communityId")}
	k, ok := governancepb.Import_Kind_value[kind]
	if !ok || k == 0 {
		s.notFound(w, r)
		return
	}
	lang := visitOf(r).lang
	file, header, err := r.FormFile("file")
	if err != nil {
		f.Error = lang.T("imports.file") + ": " + lang.T("imports.file.hint")
		s.renderImportsForm(w, r, http.StatusBadRequest, f)
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, importsMaxBytes+1))
	if err != nil || len(data) > importsMaxBytes {
		f.Error = "the file is over 4 MB: split it"
		s.renderImportsForm(w, r, http.StatusRequestEntityTooLarge, f)
		return
	}
	imp, err := s.c.Imports.CreateImport(call(r), &governancepb.CreateImportRequest{Kind: governancepb.Import_Kind(k),
		CompoundId: f.CompoundID, CommunityId: f.Community, FileName: header.Filename, Content: data})
	if status.Code(err) == codes.InvalidArgument {
		f.Error = importsRefusal(err)
		s.renderImportsForm(w, r, http.StatusBadRequest, f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/imports/"+url.PathEscape(imp.GetId()), http.StatusSeeOther)
}

// importsRefusal is why a file was refused: its violation's description (which never
// quotes a cell).
func importsRefusal(err error) string {
	st := status.Convert(err)
	for _, d := range st.Details() {
		if br, ok := d.(interface {
			GetFieldViolations() []interface{ GetDescription() string }
		}); ok && len(br.GetFieldViolations()) > 0 {
			return br.GetFieldViolations()[0].GetDescription()
		}
	}
	msg := st.Message()
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "invalid ") {
		return msg[i+2:]
	}
	return msg
}

// importsShow is the preview (a page of rows), or the progress of the confirm, which
// refreshes the page until it is applied.
func (s *Server) importsShow(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 0)
	errorsOnly := r.URL.Query().Get("errors") == "1"
	imp, err := s.c.Imports.GetImport(call(r), &governancepb.GetImportRequest{Id: r.PathValue("id"),
		RowOffset: int32(page * view.ImportsPageSize), RowLimit: view.ImportsPageSize + 1, ErrorsOnly: errorsOnly})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.ImportsPreview{Import: imp, Page: page, ErrorsOnly: errorsOnly, Error: r.URL.Query().Get("failed")}
	if len(imp.GetRows()) > view.ImportsPageSize {
		v.More, imp.Rows = true, imp.Rows[:view.ImportsPageSize]
	}
	if imp.GetState() == governancepb.Import_APPLYING {
		// No script needed: the browser asks again until the import is applied.
		w.Header().Set("Refresh", "2")
	}
	s.render(w, r, http.StatusOK, view.ImportsShow(s.page(r, "imports.show.title", "compounds"), v))
}

// importsConfirm applies the preview. A large one keeps running after the answer: the
// page then shows its progress (GetImport's applied of total) until it is done.
func (s *Server) importsConfirm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(call(r)), 5*time.Minute)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		_, err := s.c.Imports.ConfirmImport(ctx, &governancepb.ConfirmImportRequest{Id: id})
		if err != nil {
			s.log.WarnContext(ctx, "import confirm failed", "import", id, "code", status.Code(err).String())
		}
		done <- err
	}()
	back := "/imports/" + url.PathEscape(id)
	select {
	case err := <-done:
		switch status.Code(err) {
		case codes.OK:
			http.Redirect(w, r, back+"?done=imports.applied", http.StatusSeeOther)
		case codes.Aborted, codes.FailedPrecondition:
			http.Redirect(w, r, back+"?failed="+url.QueryEscape(status.Convert(err).Message()), http.StatusSeeOther)
		default:
			s.fail(w, r, err)
		}
	case <-time.After(importsWait):
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

func (s *Server) importsReport(w http.ResponseWriter, r *http.Request) {
	body, err := s.c.Imports.GetImportReport(call(r), &governancepb.GetImportReportRequest{Id: r.PathValue("id")})
	s.download(w, r, body.GetContentType(), "import-"+r.PathValue("id")+"-report.xlsx", body.GetData(), err)
}

func (s *Server) importsTemplate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body, err := s.c.Imports.GetImportTemplate(call(r), &governancepb.GetImportTemplateRequest{Name: name})
	s.download(w, r, body.GetContentType(), "tongdu-"+strings.ToLower(strings.TrimSuffix(name, ".xlsx"))+"-template.xlsx", body.GetData(), err)
}

// download answers a file, or the failure as a page.
func (s *Server) download(w http.ResponseWriter, r *http.Request, contentType, name string, data []byte, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if contentType == "" {
		s.fail(w, r, errors.New("empty download"))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}
