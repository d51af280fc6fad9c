package console

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/web/internal/view"
)

// The compound's works as a household follows them: each project's status, its order of
// works (rule 5) with each item's progress, the contractors' progress reports and the
// residents' supervision reports (居民监督), and a form to report what the household
// saw. Supervision reports name no household; the household's own are marked.
func init() {
	residentRoute("GET /r/projects", (*Server).residentProjectList)
	residentRoute("GET /r/projects/{id}", (*Server).residentProject)
	residentRoute("POST /r/projects/{id}/supervision", (*Server).residentSupervise)
	addResidentCard(40, "projects", "/r/projects")
}

func (s *Server) residentProjectList(w http.ResponseWriter, r *http.Request) {
	projects, err := s.residentProjects(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v view.ResidentProjects
	for _, pr := range projects {
		v.Rows = append(v.Rows, view.ResidentProjectRow{ID: pr.GetId(), Title: pr.GetTitle(), Year: pr.GetYear(), Status: pr.GetStatus().String(),
			Items: pr.GetItemCount(), Done: pr.GetCompleteItemCount()})
	}
	p := s.residentPage(r, "resident.projects.title", "projects")
	s.render(w, r, http.StatusOK, view.ResidentProjectsPage(p, v))
}

// residentNewestFirst orders projects by year, newest first, then by title.
func residentNewestFirst(ps []*projectspb.Project) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].GetYear() != ps[j].GetYear() {
			return ps[i].GetYear() > ps[j].GetYear()
		}
		return ps[i].GetTitle() < ps[j].GetTitle()
	})
}

func (s *Server) residentProject(w http.ResponseWriter, r *http.Request) {
	s.renderResidentProject(w, r, http.StatusOK, view.ResidentSupervisionForm{}, nil)
}

func (s *Server) renderResidentProject(w http.ResponseWriter, r *http.Request, code int, f view.ResidentSupervisionForm, errs view.Errors) {
	ctx, id, own := call(r), r.PathValue("id"), residentOwn(r)
	pr, err := s.c.Projects.GetProject(ctx, &projectspb.GetProjectRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.ResidentProject{Project: pr, Form: f}
	sc, err := s.c.Projects.GetSchedule(ctx, &projectspb.GetScheduleRequest{ProjectId: id})
	if err != nil && !projectsOptional(err) {
		s.fail(w, r, err)
		return
	}
	v.Schedule = sc.GetEntries()
	items := map[string]*projectspb.WorkItem{}
	for _, e := range v.Schedule {
		items[e.GetItem().GetId()] = e.GetItem()
	}
	progress, err := listAll(func(tok string) ([]*projectspb.ProgressReport, string, error) {
		got, err := s.c.Projects.ListProgressReports(ctx, &projectspb.ListProgressReportsRequest{ProjectId: id, PageSize: 1000, PageToken: tok})
		return got.GetProgressReports(), got.GetNextPageToken(), err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sort.SliceStable(progress, func(i, j int) bool {
		return progress[i].GetReportTime().AsTime().After(progress[j].GetReportTime().AsTime())
	})
	for _, pg := range progress {
		v.Progress = append(v.Progress, view.ResidentProgress{Item: items[pg.GetItemId()], Percent: pg.GetProgressPercent(), Contractor: pg.GetContractor(),
			Remarks: pg.GetRemarks(), When: view.DateTime(pg.GetReportTime())})
	}
	reports, err := listAll(func(tok string) ([]*projectspb.SupervisionReport, string, error) {
		got, err := s.c.Projects.ListSupervisionReports(ctx, &projectspb.ListSupervisionReportsRequest{ProjectId: id, PageSize: 1000, PageToken: tok})
		return got.GetSupervisionReports(), got.GetNextPageToken(), err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sort.SliceStable(reports, func(i, j int) bool {
		return reports[i].GetReportTime().AsTime().After(reports[j].GetReportTime().AsTime())
	})
	for _, sr := range reports {
		v.Supervision = append(v.Supervision, view.ResidentSupervision{Item: items[sr.GetItemId()], Text: sr.GetText(),
			When: view.DateTime(sr.GetReportTime()), Mine: own != "" && sr.GetHouseholdId() == own})
	}
	v.Form.RequestID = randomToken()
	if code == http.StatusUnprocessableEntity {
		w.Header().Set("HX-Push-Url", "/r/projects/"+url.PathEscape(id))
	}
	p := s.residentPage(r, "resident.projects.title", "projects")
	p.Title = pr.GetTitle()
	s.render(w, r, code, view.ResidentProjectPage(p, v, errs))
}

// residentSupervise records what the household saw of the works, for the household of
// the session.
func (s *Server) residentSupervise(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	f := view.ResidentSupervisionForm{ItemID: r.PostFormValue("supervisionReport.itemId"), Text: strings.TrimSpace(r.PostFormValue("supervisionReport.text")),
		RequestID: r.PostFormValue("requestId")}
	if f.Text == "" {
		s.renderResidentProject(w, r, http.StatusUnprocessableEntity, f, view.Errors{"supervisionReport.text": lang.T("resident.supervision.err.text")})
		return
	}
	_, err := s.c.Projects.CreateSupervisionReport(call(r), &projectspb.CreateSupervisionReportRequest{ProjectId: id, RequestId: f.RequestID,
		SupervisionReport: &projectspb.SupervisionReport{HouseholdId: residentOwn(r), ItemId: f.ItemID, Text: f.Text}})
	if err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderResidentProject(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	http.Redirect(w, r, "/r/projects/"+url.PathEscape(id)+"?done=resident.supervised#supervision", http.StatusSeeOther)
}
