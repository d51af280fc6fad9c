package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// The project pages (group "projects"): a compound's projects, and a project's page with
// its lifecycle (rule 6), schedule (rule 5), works, reports, contracts and acceptance.
func init() {
	route("GET /compounds/{id}/projects", (*Server).compoundProjects)
	route("POST /compounds/{id}/projects", (*Server).createProject)
	route("GET /projects/{id}", (*Server).projectPage)
	route("POST /projects/{id}/transitions", (*Server).projectTransition)
	route("POST /projects/{id}/items", (*Server).createWorkItem)
	route("POST /projects/{id}/progress-reports", (*Server).createProgressReport)
	route("POST /projects/{id}/contracts", (*Server).createContract)
	route("POST /projects/{id}/disbursements", (*Server).createDisbursement)
	route("POST /projects/{id}/signoffs", (*Server).createSignoff)
}

// ---------------------------------------------------------------------------------------
// A compound's projects

func (s *Server) compoundProjects(w http.ResponseWriter, r *http.Request) {
	s.renderCompoundProjects(w, r, http.StatusOK, view.ProjectsNew{Year: strconv.Itoa(s.now().In(view.China).Year())}, nil)
}

func (s *Server) renderCompoundProjects(w http.ResponseWriter, r *http.Request, code int, f view.ProjectsNew, errs view.Errors) {
	ctx, id := call(r), r.PathValue("id")
	c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var list []*projectspb.Project
	req := &projectspb.ListProjectsRequest{CompoundId: id, PageSize: 1000}
	for {
		got, err := s.c.Projects.ListProjects(ctx, req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		list = append(list, got.GetProjects()...)
		if req.PageToken = got.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	p := s.page(r, "projects.list.title", "compounds")
	p.Title = p.T("projects.list.heading", c.GetName())
	s.render(w, r, code, view.CompoundProjects(p, view.ProjectsList{CompoundID: id, CompoundName: c.GetName(), Projects: list}, f, errs))
}

// createProject proposes a project for the compound (staff); its money is typed in yuan.
func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	f := view.ProjectsNew{
		Title: strings.TrimSpace(r.PostFormValue("project.title")), Year: strings.TrimSpace(r.PostFormValue("project.year")),
		Budget: strings.TrimSpace(r.PostFormValue("project.budgetFen")), Description: strings.TrimSpace(r.PostFormValue("project.description")),
		HeritageNotes: strings.TrimSpace(r.PostFormValue("project.heritageNotes")), RequestID: r.PostFormValue("requestId"),
	}
	errs := view.Errors{}
	budget := moneyField(lang, errs, "project.budgetFen", f.Budget, true)
	year, err := strconv.Atoi(f.Year)
	if err != nil {
		errs["project.year"] = lang.T("projects.error.year")
	}
	if errs.Any() {
		s.renderCompoundProjects(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	got, err := s.c.Projects.CreateProject(call(r), &projectspb.CreateProjectRequest{RequestId: f.RequestID, Project: &projectspb.Project{
		CompoundId: r.PathValue("id"), Title: f.Title, Year: int32(year), BudgetFen: budget, Description: f.Description, HeritageNotes: f.HeritageNotes}})
	if err != nil {
		if errs, ok := formErrors(lang, err); ok {
			s.renderCompoundProjects(w, r, http.StatusUnprocessableEntity, f, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(got.GetId())+"?done=projects.created", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------------------
// A project's page

// projectForm is the form of the project page that was sent and refused: which one, what
// was typed, and the errors beside its fields.
type projectForm struct {
	name string
	vals url.Values
	errs view.Errors
}

func (s *Server) projectPage(w http.ResponseWriter, r *http.Request) {
	s.renderProject(w, r, http.StatusOK, projectForm{})
}

func (s *Server) renderProject(w http.ResponseWriter, r *http.Request, code int, form projectForm) {
	ctx, id := call(r), r.PathValue("id")
	pr, err := s.c.Projects.GetProject(ctx, &projectspb.GetProjectRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Each form's request id is made when the page is shown (its suffix names the form), so
	// a form sent twice is one request; a page shown again after a refusal has new ones.
	v := view.ProjectView{Project: pr, Form: form.name, Vals: form.vals, Errs: form.errs, RequestID: view.NewRequestID()}
	if c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: pr.GetCompoundId()}); err == nil {
		v.CompoundName = c.GetName()
	}
	// The parts of the page each come from their own call; a part the viewer may not
	// read (a contractor and the contracts, say) is left out rather than failing the page.
	if sc, err := s.c.Projects.GetSchedule(ctx, &projectspb.GetScheduleRequest{ProjectId: id}); err == nil {
		v.Schedule = sc.GetEntries()
	} else if !projectsOptional(err) {
		s.fail(w, r, err)
		return
	}
	if it, err := listAll(func(tok string) ([]*projectspb.WorkItem, string, error) {
		got, err := s.c.Projects.ListWorkItems(ctx, &projectspb.ListWorkItemsRequest{ProjectId: id, PageSize: 1000, PageToken: tok})
		return got.GetItems(), got.GetNextPageToken(), err
	}); err == nil {
		v.Items = it
	} else if !projectsOptional(err) {
		s.fail(w, r, err)
		return
	}
	if rs, err := s.c.Projects.ListProgressReports(ctx, &projectspb.ListProgressReportsRequest{ProjectId: id, PageSize: 1000}); err == nil {
		v.Progress = rs.GetProgressReports()
	}
	if rs, err := s.c.Projects.ListSupervisionReports(ctx, &projectspb.ListSupervisionReportsRequest{ProjectId: id, PageSize: 1000}); err == nil {
		v.Supervision = rs.GetSupervisionReports()
	}
	if cs, err := s.c.Finance.ListContracts(ctx, &financepb.ListContractsRequest{ProjectId: id, PageSize: 1000}); err == nil {
		v.Contracts, v.ContractsShown = cs.GetContracts(), true
	}
	if a, err := s.c.Projects.GetAcceptance(ctx, &projectspb.GetAcceptanceRequest{ProjectId: id}); err == nil {
		v.Acceptance = a
	}
	if ns, err := s.c.Projects.ListNotices(ctx, &projectspb.ListNoticesRequest{CompoundId: pr.GetCompoundId(), SubjectId: id, PageSize: 100}); err == nil {
		v.Notices = ns.GetNotices()
	}
	if code == http.StatusUnprocessableEntity {
		// htmx would show the POST's address; the page's own is the one to come back to.
		w.Header().Set("HX-Push-Url", "/projects/"+url.PathEscape(id))
	}
	p := s.page(r, "projects.project.title", "compounds")
	p.Title = pr.GetTitle()
	v.Actions = projectActions(p.Viewer, pr.GetStatus())
	v.SignRoles = signoffRoles(p.Viewer)
	s.render(w, r, code, view.ProjectPage(p, v))
}

// projectsOptional is whether a failed read leaves only its part of a page out: the
// viewer may not read it. Anything else (the service away) fails the page.
func projectsOptional(err error) bool {
	c := status.Code(err)
	return c == codes.PermissionDenied || c == codes.NotFound || c == codes.FailedPrecondition
}

func listAll[T any](page func(tok string) ([]T, string, error)) ([]T, error) {
	var all []T
	tok := ""
	for {
		got, next, err := page(tok)
		if err != nil {
			return nil, err
		}
		all = append(all, got...)
		if next == "" {
			return all, nil
		}
		tok = next
	}
}

// projectActions are the lifecycle transitions (rule 6) the viewer's role may ask for
// from status, as the projects service's policy allows them; its guards may still refuse.
func projectActions(v *view.Viewer, st projectspb.Project_Status) []string {
	leaders := v.Can("DISTRICT_ADMIN", "SUBDISTRICT_STAFF")
	staff := v.Can("DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF")
	var out []string
	add := func(ok bool, a string) {
		if ok {
			out = append(out, a)
		}
	}
	switch st {
	case projectspb.Project_PROPOSED:
		add(leaders, "approve")
	case projectspb.Project_APPROVED:
		add(leaders, "startConstruction")
	case projectspb.Project_IN_CONSTRUCTION:
		add(staff || v.Can("CONTRACTOR"), "requestAcceptance")
	case projectspb.Project_PENDING_ACCEPTANCE:
		add(staff, "accept")
	case projectspb.Project_ACCEPTED:
		add(staff, "startMaintenance")
	case projectspb.Project_SUSPENDED:
		add(staff, "resume")
	}
	switch st {
	case projectspb.Project_APPROVED, projectspb.Project_IN_CONSTRUCTION, projectspb.Project_PENDING_ACCEPTANCE:
		add(staff, "suspend")
	}
	switch st {
	case projectspb.Project_ACCEPTED, projectspb.Project_MAINTENANCE, projectspb.Project_CANCELLED:
	default:
		add(leaders, "cancel")
	}
	return out
}

// signoffRoles are the parties of the joint acceptance the viewer may sign for, as the
// projects service's policy lets each role sign.
func signoffRoles(v *view.Viewer) []projectspb.Signoff_Role {
	switch {
	case v.Can("DISTRICT_ADMIN"):
		return []projectspb.Signoff_Role{projectspb.Signoff_SUPERVISOR, projectspb.Signoff_CONTRACTOR, projectspb.Signoff_BUILDER, projectspb.Signoff_COMMUNITY}
	case v.Can("SUBDISTRICT_STAFF"):
		return []projectspb.Signoff_Role{projectspb.Signoff_BUILDER, projectspb.Signoff_COMMUNITY}
	case v.Can("COMMUNITY_STAFF"):
		return []projectspb.Signoff_Role{projectspb.Signoff_COMMUNITY}
	case v.Can("CONTRACTOR"):
		return []projectspb.Signoff_Role{projectspb.Signoff_CONTRACTOR}
	case v.Can("SUPERVISOR"):
		return []projectspb.Signoff_Role{projectspb.Signoff_SUPERVISOR}
	}
	return nil
}

// sent finishes a POST of the project page: back to the page with a notice, or the page
// again with the form's errors (422), or the error page.
func (s *Server) sent(w http.ResponseWriter, r *http.Request, form, done string, err error) {
	if err == nil {
		http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("id"))+"?done="+done+"#"+form, http.StatusSeeOther)
		return
	}
	if errs, ok := formErrors(visitOf(r).lang, err); ok {
		s.renderProject(w, r, http.StatusUnprocessableEntity, projectForm{name: form, vals: r.PostForm, errs: errs})
		return
	}
	s.fail(w, r, err)
}

// refuse shows a form's own errors (found before calling the services).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, form string, errs view.Errors) {
	s.renderProject(w, r, http.StatusUnprocessableEntity, projectForm{name: form, vals: r.PostForm, errs: errs})
}

func (s *Server) projectTransition(w http.ResponseWriter, r *http.Request) {
	ctx, id := call(r), r.PathValue("id")
	a := r.PostFormValue("action")
	// Suspending and cancelling each have their own reason field on the page.
	actor, reason, rid := strings.TrimSpace(r.PostFormValue("actor")), strings.TrimSpace(r.PostFormValue(a+".reason")), r.PostFormValue("requestId")
	// Rule 15: a move entered after the fact carries the day it happened.
	dayErrs := view.Errors{}
	at := dayField(visitOf(r).lang, dayErrs, a+".effectiveTime", r.PostFormValue(a+".effectiveTime"))
	if dayErrs.Any() {
		s.refuse(w, r, "lifecycle", dayErrs)
		return
	}
	var err error
	switch a {
	case "approve":
		_, err = s.c.Projects.ApproveProject(ctx, &projectspb.ApproveProjectRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
	case "startConstruction":
		_, err = s.c.Projects.StartConstruction(ctx, &projectspb.StartConstructionRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
	case "requestAcceptance":
		_, err = s.c.Projects.RequestAcceptance(ctx, &projectspb.RequestAcceptanceRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
	case "accept":
		_, err = s.c.Projects.AcceptProject(ctx, &projectspb.AcceptProjectRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
	case "startMaintenance":
		_, err = s.c.Projects.StartMaintenance(ctx, &projectspb.StartMaintenanceRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
	case "suspend", "cancel":
		if reason == "" {
			s.refuse(w, r, "lifecycle", view.Errors{a + ".reason": visitOf(r).lang.T("projects.error.reason")})
			return
		}
		if a == "suspend" {
			_, err = s.c.Projects.SuspendProject(ctx, &projectspb.SuspendProjectRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
		} else {
			_, err = s.c.Projects.CancelProject(ctx, &projectspb.CancelProjectRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
		}
	case "resume":
		_, err = s.c.Projects.ResumeProject(ctx, &projectspb.ResumeProjectRequest{Id: id, Actor: actor, Reason: reason, RequestId: rid, EffectiveTime: at})
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		// The transition forms share one place for a refusal: the lifecycle's.
		if errs, ok := formErrors(visitOf(r).lang, err); ok {
			for _, f := range []string{"reason", "effectiveTime"} {
				if e := errs.Of(f); e != "" {
					errs[a+"."+f] = e
				}
			}
			if g := projectsGuards(visitOf(r).lang, err); g != "" && errs[""] != "" {
				// Rule 6: a refusal says which guard failed and by how much.
				errs[""] += "（" + g + "）"
			}
			s.refuse(w, r, "lifecycle", errs)
			return
		}
	}
	s.sent(w, r, "lifecycle", "projects.moved", err)
}

func (s *Server) createWorkItem(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	errs := view.Errors{}
	f := r.PostFormValue
	it := &projectspb.WorkItem{
		Category:       projectspb.WorkItem_Category(projectspb.WorkItem_Category_value[f("item.category")]),
		Kind:           projectspb.WorkItem_Kind(projectspb.WorkItem_Kind_value[f("item.kind")]),
		Description:    strings.TrimSpace(f("item.description")),
		Unit:           f("item.unit"),
		Difficulty:     projectspb.WorkItem_Difficulty(projectspb.WorkItem_Difficulty_value[f("item.difficulty")]),
		SafetyCritical: f("item.safetyCritical") == "true",
	}
	if q := strings.TrimSpace(f("item.quantity")); q != "" {
		n, err := strconv.ParseFloat(q, 64)
		if err != nil || n <= 0 {
			errs["item.quantity"] = lang.T("projects.error.quantity")
		}
		it.Quantity = n
	}
	it.EstimatedCostFen = moneyField(lang, errs, "item.estimatedCostFen", f("item.estimatedCostFen"), false)
	if errs.Any() {
		s.refuse(w, r, "items", errs)
		return
	}
	_, err := s.c.Projects.CreateWorkItem(call(r), &projectspb.CreateWorkItemRequest{ProjectId: r.PathValue("id"), Item: it, RequestId: f("requestId")})
	s.sent(w, r, "items", "projects.item", err)
}

func (s *Server) createProgressReport(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	f := r.PostFormValue
	pct, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f("progressReport.progressPercent")), "%")))
	if err != nil || pct < 0 || pct > 100 {
		s.refuse(w, r, "progress", view.Errors{"progressReport.progressPercent": lang.T("projects.error.percent")})
		return
	}
	_, err = s.c.Projects.CreateProgressReport(call(r), &projectspb.CreateProgressReportRequest{ProjectId: r.PathValue("id"), RequestId: f("requestId"),
		ProgressReport: &projectspb.ProgressReport{ItemId: f("progressReport.itemId"), ProgressPercent: int32(pct),
			Remarks: strings.TrimSpace(f("progressReport.remarks")), Contractor: strings.TrimSpace(f("progressReport.contractor"))}})
	s.sent(w, r, "progress", "projects.progress", err)
}

func (s *Server) createContract(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	errs := view.Errors{}
	amount := moneyField(lang, errs, "contract.amountFen", r.PostFormValue("contract.amountFen"), true)
	if errs.Any() {
		s.refuse(w, r, "contracts", errs)
		return
	}
	_, err := s.c.Finance.CreateContract(call(r), &financepb.CreateContractRequest{ProjectId: r.PathValue("id"), Contract: &financepb.Contract{
		Payee: strings.TrimSpace(r.PostFormValue("contract.payee")), AmountFen: amount, ItemIds: r.PostForm["contract.itemIds"], RequestId: r.PostFormValue("requestId")}})
	s.sent(w, r, "contracts", "projects.contract", err)
}

func (s *Server) createDisbursement(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	errs := view.Errors{}
	amount := moneyField(lang, errs, "disbursement.amountFen", r.PostFormValue("disbursement.amountFen"), true)
	if errs.Any() {
		s.refuse(w, r, "contracts", errs)
		return
	}
	_, err := s.c.Finance.CreateDisbursement(call(r), &financepb.CreateDisbursementRequest{ProjectId: r.PathValue("id"), Disbursement: &financepb.Disbursement{
		ContractId: r.PostFormValue("disbursement.contractId"), AmountFen: amount, Purpose: strings.TrimSpace(r.PostFormValue("disbursement.purpose")),
		ItemId: r.PostFormValue("disbursement.itemId"), RequestId: r.PostFormValue("requestId")}})
	s.sent(w, r, "contracts", "projects.disbursement", err)
}

func (s *Server) createSignoff(w http.ResponseWriter, r *http.Request) {
	f := r.PostFormValue
	_, err := s.c.Projects.CreateSignoff(call(r), &projectspb.CreateSignoffRequest{ProjectId: r.PathValue("id"), RequestId: f("requestId"),
		Signoff: &projectspb.Signoff{
			Role:    projectspb.Signoff_Role(projectspb.Signoff_Role_value[f("signoff.role")]),
			Verdict: projectspb.Signoff_Verdict(projectspb.Signoff_Verdict_value[f("signoff.verdict")]),
			Signer:  strings.TrimSpace(f("signoff.signer")), Remarks: strings.TrimSpace(f("signoff.remarks"))}})
	s.sent(w, r, "acceptance", "projects.signoff", err)
}

// projectsGuards are the failed guards of a refused transition with their figures, as
// the projects service lists them (one precondition each).
func projectsGuards(lang i18n.Lang, err error) string {
	var parts []string
	for _, d := range status.Convert(err).Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			for _, v := range pf.GetViolations() {
				name := v.GetType()
				if lang.Has("projects.cond." + name) {
					name = lang.T("projects.cond." + name)
				}
				parts = append(parts, name+lang.T("projects.guard.sep")+v.GetDescription())
			}
		}
	}
	return strings.Join(parts, lang.T("projects.why.sep"))
}

// moneyField reads an amount typed in yuan into fen, putting its error beside field.
func moneyField(lang i18n.Lang, errs view.Errors, field, typed string, required bool) int64 {
	if strings.TrimSpace(typed) == "" {
		if required {
			errs[field] = lang.T("money.error.missing")
		}
		return 0
	}
	fen, err := parseYuan(typed)
	if err != nil {
		errs[field] = lang.T("money.error." + err.Error())
	}
	return fen
}

// households names a compound's households for the forms and lists that pick one: its
// building, unit and room, and the resident's name as the governance service returns it
// to the viewer (masked for a role that may not see it, rule 13).
func (s *Server) households(ctx context.Context, lang i18n.Lang, compound string) ([]view.ProjectsHousehold, error) {
	names := map[string]string{}
	bs, err := s.c.Governance.ListBuildings(ctx, &governancepb.ListBuildingsRequest{CompoundId: compound, PageSize: 1000})
	if err != nil {
		return nil, err
	}
	for _, b := range bs.GetBuildings() {
		names[b.GetId()] = b.GetName()
	}
	hs, err := listAll(func(tok string) ([]*governancepb.Household, string, error) {
		got, err := s.c.Governance.ListHouseholds(ctx, &governancepb.ListHouseholdsRequest{CompoundId: compound, PageSize: 1000, PageToken: tok})
		return got.GetHouseholds(), got.GetNextPageToken(), err
	})
	if err != nil {
		return nil, err
	}
	out := make([]view.ProjectsHousehold, 0, len(hs))
	for _, h := range hs {
		label := names[h.GetBuildingId()]
		if h.GetUnit() != "" {
			label += " " + lang.T("projects.household.unit", h.GetUnit())
		}
		label += " " + h.GetRoom()
		out = append(out, view.ProjectsHousehold{ID: h.GetId(), Label: strings.TrimSpace(label), Resident: h.GetResidentName()})
	}
	return out, nil
}
