package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// Whistles (吹哨报到, rule 11): the board of the viewer's scope, one whistle with its
// departments' parts and the forms of each role, and the departments' performance.

// whistlesReaders may list whistles (the policy's ListWhistles roles); whistlesRaisers
// may raise one (CreateWhistle); whistlesClosers close one with ratings (CloseWhistle)
// and triage a reported one (TriageWhistle: the same staff).
var (
	whistlesReaders = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER", "DEPARTMENT", "AUDITOR"}
	whistlesRaisers = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER"}
	whistlesClosers = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF"}
)

// whistlesPageSize is the board's page; whistlesGatherCompounds bounds how many
// compounds of a region the board gathers when none is chosen.
const (
	whistlesPageSize        = 30
	whistlesGatherCompounds = 40
)

func init() {
	route("GET /whistles", (*Server).whistlesBoard)
	route("POST /whistles", (*Server).raiseWhistle)
	route("GET /whistles/{id}", (*Server).whistlePage)
	route("POST /whistles/{id}/acknowledge", (*Server).acknowledgeWhistle)
	route("POST /whistles/{id}/resolve", (*Server).resolveWhistle)
	route("POST /whistles/{id}/close", (*Server).closeWhistle)
	route("POST /whistles/{id}/triage", (*Server).triageWhistle)
	route("GET /departments", (*Server).departmentsPage)
	route("POST /departments", (*Server).createDepartment)
	addMenu(50, "whistles", "/whistles", whistlesReaders...)
	// Performance is read by the district's staff and auditors, and by each department of
	// itself (GetDepartmentPerformance's target is the department).
	addMenu(55, "departments", "/departments", "DISTRICT_ADMIN", "AUDITOR", "DEPARTMENT")
}

// whistlesScope is what the viewer's scope makes of the board: a department sees the
// whistles calling it, a compound's people their compound's, a region's staff the
// compounds of their region, the district everything.
type whistlesScope struct {
	department, compound, region string
	district                     bool
	role                         string
}

func whistlesScopeOf(r *http.Request) whistlesScope {
	account := visitOf(r).session.GetAccount()
	scope := account.GetScope()
	sc := whistlesScope{role: account.GetRole()}
	switch {
	case scope == "":
		sc.district = true
	case strings.HasPrefix(scope, "departments/"):
		sc.department = strings.TrimPrefix(scope, "departments/")
	case strings.HasPrefix(scope, "compounds/"):
		sc.compound = strings.TrimPrefix(scope, "compounds/")
	case strings.HasPrefix(scope, "regions/"):
		sc.region = strings.TrimPrefix(scope, "regions/")
	}
	return sc
}

// whistlesDepartments lists every department (id, name) and a map of names.
func (s *Server) whistlesDepartments(ctx context.Context) ([][2]string, map[string]string, error) {
	var out [][2]string
	names := map[string]string{}
	req := &governancepb.ListDepartmentsRequest{PageSize: 1000}
	for {
		got, err := s.c.Governance.ListDepartments(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range got.GetDepartments() {
			out = append(out, [2]string{d.GetId(), d.GetName()})
			names[d.GetId()] = d.GetName()
		}
		if req.PageToken = got.GetNextPageToken(); req.PageToken == "" {
			return out, names, nil
		}
	}
}

// whistlesCompounds are the compounds of the viewer's scope (id, name).
func (s *Server) whistlesCompounds(ctx context.Context, sc whistlesScope) ([][2]string, error) {
	if sc.department != "" {
		return nil, nil
	}
	if sc.compound != "" {
		c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: sc.compound})
		if err != nil {
			return nil, err
		}
		return [][2]string{{c.GetId(), c.GetName()}}, nil
	}
	return s.compoundNames.get(ctx, s, sc.role, sc.region)
}

func (s *Server) whistlesBoard(w http.ResponseWriter, r *http.Request) {
	s.renderWhistlesBoard(w, r, http.StatusOK, view.WhistlesRaise{}, nil)
}

// renderWhistlesBoard shows the board for the request's filter, with the raise form as
// typed and its errors.
func (s *Server) renderWhistlesBoard(w http.ResponseWriter, r *http.Request, code int, raise view.WhistlesRaise, errs view.Errors) {
	ctx, q, sc := call(r), r.URL.Query(), whistlesScopeOf(r)
	p := s.page(r, "whistles.title", "whistles")
	b := view.WhistlesBoard{
		Filter: view.WhistlesFilter{CompoundID: q.Get("compoundId"), DepartmentID: q.Get("departmentId"), Status: q.Get("status"),
			Overdue: q.Get("overdue") != "", Urgent: q.Get("urgent") != "", Token: q.Get("pageToken")},
		Now: s.now(), CanRaise: p.Viewer.Can(whistlesRaisers...), Raise: raise, Errs: errs,
		DepartmentFilter: sc.district, CanTriage: p.Viewer.Can(whistlesClosers...),
	}
	if b.Raise.RequestID == "" {
		b.Raise.RequestID = randomToken()
	}
	var err error
	var deptNames map[string]string
	if b.Departments, deptNames, err = s.whistlesDepartments(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if b.Compounds, err = s.whistlesCompounds(ctx, sc); err != nil {
		s.fail(w, r, err)
		return
	}
	b.CompoundFilter = sc.department == "" && sc.compound == ""
	compoundNames := map[string]string{}
	for _, c := range b.Compounds {
		compoundNames[c[0]] = c[1]
	}
	req := &governancepb.ListWhistlesRequest{CompoundId: b.Filter.CompoundID, Overdue: b.Filter.Overdue, PageToken: b.Filter.Token, PageSize: whistlesPageSize}
	if v, ok := governancepb.Whistle_Status_value[b.Filter.Status]; ok {
		req.Status = governancepb.Whistle_Status(v)
	} else {
		b.Filter.Status = ""
	}
	switch {
	case sc.department != "":
		req.DepartmentId, req.CompoundId, b.Filter.CompoundID = sc.department, "", ""
	case sc.compound != "":
		req.CompoundId, b.Filter.CompoundID = sc.compound, sc.compound
	case sc.district:
		req.DepartmentId = b.Filter.DepartmentID
	}
	if !sc.district {
		b.Filter.DepartmentID = ""
	}
	var ws []*governancepb.Whistle
	next := ""
	if sc.region != "" && req.CompoundId == "" {
		// The API lists by compound, not by region: gather the first page of each
		// compound of the region (the board says so; choosing a compound pages fully).
		b.Gathered = true
		for i, c := range b.Compounds {
			if i == whistlesGatherCompounds {
				break
			}
			one := &governancepb.ListWhistlesRequest{CompoundId: c[0], Status: req.Status, Overdue: req.Overdue, PageSize: whistlesPageSize}
			got, err := s.c.Governance.ListWhistles(ctx, one)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			ws = append(ws, got.GetWhistles()...)
		}
		sort.SliceStable(ws, func(i, j int) bool { return ws[i].GetRaiseTime().AsTime().After(ws[j].GetRaiseTime().AsTime()) })
	} else {
		got, err := s.c.Governance.ListWhistles(ctx, req)
		if status.Code(err) == codes.InvalidArgument && req.PageToken != "" {
			// A stale page token (the list changed a lot): start again from the top.
			http.Redirect(w, r, whistlesFirst(b.Filter), http.StatusSeeOther)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ws, next = got.GetWhistles(), got.GetNextPageToken()
	}
	for _, wh := range ws {
		// URGENT is the board's own filter: the API filters by status, overdue, compound
		// and department, not by priority, so a page may hold fewer rows than its size.
		if b.Filter.Urgent && wh.GetPriority() != governancepb.Whistle_URGENT {
			continue
		}
		row := view.WhistlesRow{W: wh, CompoundName: s.whistlesCompoundName(ctx, compoundNames, wh.GetCompoundId())}
		for _, d := range wh.GetDepartmentIds() {
			row.Departments = append(row.Departments, whistlesName(deptNames, d))
		}
		b.Rows = append(b.Rows, row)
	}
	// Reports awaiting triage (待分派) come first: nobody works on them until staff call
	// departments, and no limit runs for them yet.
	sort.SliceStable(b.Rows, func(i, j int) bool {
		return b.Rows[i].W.GetStatus() == governancepb.Whistle_REPORTED && b.Rows[j].W.GetStatus() != governancepb.Whistle_REPORTED
	})
	if next != "" {
		f := b.Filter
		f.Token = next
		b.NextHref = view.WhistlesQuery(f)
	}
	s.render(w, r, code, view.WhistlesBoardPage(p, b))
}

func whistlesFirst(f view.WhistlesFilter) string {
	f.Token = ""
	return view.WhistlesQuery(f)
}

func whistlesName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// whistlesCompoundName names a compound, asking the registry for one not among the
// viewer's listed compounds (every role may read registry facts) and remembering it.
func (s *Server) whistlesCompoundName(ctx context.Context, names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	names[id] = id
	if c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id}); err == nil {
		names[id] = c.GetName()
	}
	return names[id]
}

// raiseWhistle raises a whistle from the board's form (吹哨). The form's own checks
// come first, in the catalog's words; the service's refusals land beside their fields.
func (s *Server) raiseWhistle(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	f := view.WhistlesRaise{
		CompoundID:    strings.TrimSpace(r.PostFormValue("whistle.compoundId")),
		Category:      strings.TrimSpace(r.PostFormValue("whistle.category")),
		Description:   strings.TrimSpace(r.PostFormValue("whistle.description")),
		DepartmentIDs: r.PostForm["whistle.departmentIds"],
		Urgent:        r.PostFormValue("whistle.priority") == "URGENT",
		RequestID:     r.PostFormValue("requestId"),
	}
	errs := view.Errors{}
	if f.CompoundID == "" {
		errs["whistle.compoundId"] = lang.T("whistles.err.compound")
	}
	if f.Category == "" {
		errs["whistle.category"] = lang.T("whistles.err.category")
	}
	if f.Description == "" {
		errs["whistle.description"] = lang.T("whistles.err.description")
	}
	if len(f.DepartmentIDs) == 0 {
		errs["whistle.departmentIds"] = lang.T("whistles.err.departments")
	}
	if errs.Any() {
		s.renderWhistlesBoard(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	priority := governancepb.Whistle_NORMAL
	if f.Urgent {
		priority = governancepb.Whistle_URGENT
	}
	got, err := s.c.Governance.CreateWhistle(call(r), &governancepb.CreateWhistleRequest{RequestId: f.RequestID, Whistle: &governancepb.Whistle{
		CompoundId: f.CompoundID, Category: f.Category, Description: f.Description, DepartmentIds: f.DepartmentIDs, Priority: priority}})
	if err != nil {
		if errs, ok := whistlesErrors(lang, err); ok {
			s.renderWhistlesBoard(w, r, http.StatusUnprocessableEntity, f, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/whistles/"+url.PathEscape(got.GetId())+"?done=whistleRaised", http.StatusSeeOther)
}

func (s *Server) whistlePage(w http.ResponseWriter, r *http.Request) {
	s.renderWhistle(w, r, http.StatusOK, "", nil, nil)
}

// renderWhistle shows a whistle, with form sent back with its values and errors.
func (s *Server) renderWhistle(w http.ResponseWriter, r *http.Request, code int, form string, vals url.Values, errs view.Errors) {
	ctx := call(r)
	wh, err := s.c.Governance.GetWhistle(ctx, &governancepb.GetWhistleRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	depts, names, err := s.whistlesDepartments(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "whistles.title", "whistles")
	v := view.WhistleView{W: wh, DeptNames: names, Now: s.now(), Form: form, Vals: vals, Errs: errs, RequestID: randomToken(), Departments: depts}
	if form != "" && vals.Get("requestId") != "" {
		v.RequestID = vals.Get("requestId")
	}
	v.Accounts = s.whistlesAccounts(ctx, r, p.Viewer)
	v.CompoundName = s.whistlesCompoundName(ctx, map[string]string{}, wh.GetCompoundId())
	category := wh.GetCategory()
	if p.Lang.Has("whistles.cat." + category) {
		category = p.T("whistles.cat." + category)
	}
	p.Title = p.T("whistles.one", category, v.CompoundName)
	sc := whistlesScopeOf(r)
	for _, part := range wh.GetResponses() {
		// A department acts for itself; the district may act for any (the policy's
		// AcknowledgeWhistle and ResolveWhistle).
		mine := p.Viewer.Role == "DEPARTMENT" && sc.department == part.GetDepartmentId() || p.Viewer.Role == "DISTRICT_ADMIN"
		if !mine {
			continue
		}
		switch {
		case part.GetAcknowledgeTime() == nil:
			v.Acknowledge = append(v.Acknowledge, part.GetDepartmentId())
		case part.GetResolveTime() == nil:
			v.Resolve = append(v.Resolve, part.GetDepartmentId())
		}
	}
	v.CanClose = wh.GetStatus() == governancepb.Whistle_RESOLVED && p.Viewer.Can(whistlesClosers...)
	v.CanTriage = wh.GetStatus() == governancepb.Whistle_REPORTED && p.Viewer.Can(whistlesClosers...)
	s.render(w, r, code, view.WhistlePage(p, v))
}

// whistlesAccounts names the accounts that acted on whistles as far as the viewer may
// know them: their own, and for staff the accounts within their scope (ListAccounts
// keeps to it). A department's clerk sees the others by id.
func (s *Server) whistlesAccounts(ctx context.Context, r *http.Request, viewer *view.Viewer) map[string]string {
	own := visitOf(r).session.GetAccount()
	names := map[string]string{"accounts/" + own.GetId(): own.GetDisplayName()}
	if !viewer.Can(whistlesClosers...) {
		return names
	}
	got, err := s.c.Accounts.ListAccounts(ctx, &governancepb.ListAccountsRequest{PageSize: 1000})
	if err != nil {
		// Names are a courtesy: the page stands with ids.
		return names
	}
	for _, a := range got.GetAccounts() {
		names["accounts/"+a.GetId()] = a.GetDisplayName()
	}
	return names
}

func (s *Server) acknowledgeWhistle(w http.ResponseWriter, r *http.Request) {
	s.whistleAct(w, r, "acknowledge", func(ctx context.Context, id, dept, remarks, rid string) error {
		_, err := s.c.Governance.AcknowledgeWhistle(ctx, &governancepb.AcknowledgeWhistleRequest{Id: id, DepartmentId: dept, Remarks: remarks, RequestId: rid})
		return err
	})
}

func (s *Server) resolveWhistle(w http.ResponseWriter, r *http.Request) {
	s.whistleAct(w, r, "resolve", func(ctx context.Context, id, dept, remarks, rid string) error {
		_, err := s.c.Governance.ResolveWhistle(ctx, &governancepb.ResolveWhistleRequest{Id: id, DepartmentId: dept, Remarks: remarks, RequestId: rid})
		return err
	})
}

// whistleAct sends a department's acknowledgement or resolution (报到, then done).
func (s *Server) whistleAct(w http.ResponseWriter, r *http.Request, form string, act func(ctx context.Context, id, dept, remarks, rid string) error) {
	lang := visitOf(r).lang
	_ = r.ParseForm()
	id, dept := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("departmentId"))
	if dept == "" {
		s.renderWhistle(w, r, http.StatusUnprocessableEntity, form, r.PostForm, view.Errors{"departmentId": lang.T("whistles.err.department")})
		return
	}
	err := act(call(r), id, dept, strings.TrimSpace(r.PostFormValue("remarks")), r.PostFormValue("requestId"))
	if err != nil {
		if errs, ok := whistlesErrors(lang, err); ok {
			s.renderWhistle(w, r, http.StatusUnprocessableEntity, form, r.PostForm, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	done := "whistleAcknowledged"
	if form == "resolve" {
		done = "whistleResolved"
	}
	http.Redirect(w, r, "/whistles/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// closeWhistle closes a resolved whistle with the community's rating of every
// department it called (1–5 each).
func (s *Server) closeWhistle(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	_ = r.ParseForm()
	id := r.PathValue("id")
	req := &governancepb.CloseWhistleRequest{Id: id, RequestId: r.PostFormValue("requestId")}
	errs := view.Errors{}
	for i := 0; i < 20; i++ {
		field := "ratings[" + strconv.Itoa(i) + "]."
		dept := r.PostFormValue(field + "departmentId")
		if dept == "" {
			break
		}
		score, err := strconv.Atoi(r.PostFormValue(field + "score"))
		if err != nil || score < 1 || score > 5 {
			errs[field+"score"] = lang.T("whistles.err.rating")
			continue
		}
		req.Ratings = append(req.Ratings, &governancepb.DepartmentRating{DepartmentId: dept, Score: int32(score)})
	}
	if errs.Any() {
		s.renderWhistle(w, r, http.StatusUnprocessableEntity, "close", r.PostForm, errs)
		return
	}
	if _, err := s.c.Governance.CloseWhistle(call(r), req); err != nil {
		if errs, ok := whistlesErrors(lang, err); ok {
			s.renderWhistle(w, r, http.StatusUnprocessableEntity, "close", r.PostForm, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/whistles/"+url.PathEscape(id)+"?done=whistleClosed", http.StatusSeeOther)
}

// triageWhistle calls departments to a reported whistle with a priority (分派). The
// form's own checks come first; the service's refusals land beside their fields (or
// above the page when the whistle was triaged meanwhile).
func (s *Server) triageWhistle(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	_ = r.ParseForm()
	id := r.PathValue("id")
	errs := view.Errors{}
	depts := r.PostForm["departmentIds"]
	if len(depts) == 0 {
		errs["departmentIds"] = lang.T("whistles.err.departments")
	}
	priority, ok := governancepb.Whistle_Priority_value[r.PostFormValue("priority")]
	if !ok || priority == 0 {
		errs["priority"] = lang.T("whistles.err.priority")
	}
	if errs.Any() {
		s.renderWhistle(w, r, http.StatusUnprocessableEntity, "triage", r.PostForm, errs)
		return
	}
	_, err := s.c.Governance.TriageWhistle(call(r), &governancepb.TriageWhistleRequest{Id: id, DepartmentIds: depts,
		Priority: governancepb.Whistle_Priority(priority), Remarks: strings.TrimSpace(r.PostFormValue("remarks")), RequestId: r.PostFormValue("requestId")})
	if err != nil {
		if errs, ok := whistlesErrors(lang, err); ok {
			s.renderWhistle(w, r, http.StatusUnprocessableEntity, "triage", r.PostForm, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/whistles/"+url.PathEscape(id)+"?done=whistleTriaged", http.StatusSeeOther)
}

// whistlesErrors are formErrors, with the whistles' own words for the rules' reasons
// (WRONG_STATE and NOT_ELIGIBLE are shared by other records, so their general words,
// if any, would not say what they mean for a whistle).
func whistlesErrors(lang i18n.Lang, err error) (view.Errors, bool) {
	errs, ok := formErrors(lang, err)
	if !ok {
		return nil, false
	}
	for _, d := range status.Convert(err).Details() {
		if ei, isInfo := d.(*errdetails.ErrorInfo); isInfo && lang.Has("whistles.reason."+ei.GetReason()) {
			errs[""] = lang.T("whistles.reason." + ei.GetReason())
		}
	}
	return errs, true
}

func (s *Server) departmentsPage(w http.ResponseWriter, r *http.Request) {
	s.renderDepartments(w, r, http.StatusOK, "", "", "", nil)
}

// renderDepartments shows each department's report the viewer may read; the others
// are counted, not shown.
func (s *Server) renderDepartments(w http.ResponseWriter, r *http.Request, code int, newID, newName, rid string, errs view.Errors) {
	ctx := call(r)
	depts, _, err := s.whistlesDepartments(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "departments.title", "departments")
	v := view.DepartmentsView{CanCreate: p.Viewer.Can("DISTRICT_ADMIN"), NewID: newID, NewName: newName, Errs: errs, RequestID: rid}
	if v.RequestID == "" {
		v.RequestID = randomToken()
	}
	for _, d := range depts {
		perf, err := s.c.Governance.GetDepartmentPerformance(ctx, &governancepb.GetDepartmentPerformanceRequest{DepartmentId: d[0]})
		switch status.Code(err) {
		case codes.OK:
			v.Rows = append(v.Rows, view.DepartmentsRow{ID: d[0], Name: d[1], Perf: perf})
		case codes.PermissionDenied, codes.NotFound:
			v.Hidden++
		default:
			s.fail(w, r, err)
			return
		}
	}
	if len(v.Rows) == 0 && v.Hidden > 0 {
		s.fail(w, r, status.Error(codes.PermissionDenied, "no department's figures"))
		return
	}
	s.render(w, r, code, view.DepartmentsPage(p, v))
}

// createDepartment registers a department that whistles may call (the district's).
func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	id, name, rid := strings.TrimSpace(r.PostFormValue("department.id")), strings.TrimSpace(r.PostFormValue("department.name")), r.PostFormValue("requestId")
	if name == "" {
		s.renderDepartments(w, r, http.StatusUnprocessableEntity, id, name, rid, view.Errors{"department.name": lang.T("departments.err.name")})
		return
	}
	_, err := s.c.Governance.CreateDepartment(call(r), &governancepb.CreateDepartmentRequest{RequestId: rid, Department: &governancepb.Department{Id: id, Name: name}})
	if err != nil {
		if status.Code(err) == codes.AlreadyExists {
			s.renderDepartments(w, r, http.StatusUnprocessableEntity, id, name, rid, view.Errors{"department.id": lang.T("departments.err.taken")})
			return
		}
		if errs, ok := formErrors(lang, err); ok {
			s.renderDepartments(w, r, http.StatusUnprocessableEntity, id, name, rid, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/departments?done=departmentCreated", http.StatusSeeOther)
}
