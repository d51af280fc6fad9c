package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// The compound pages (group "compounds"): the inventory of the viewer's scope, a
// compound's page with everything the district knows of it, the registration forms
// (compound, building, household), classification (rule 1) and the door-code sheet
// residents sign in with.
func init() {
	route("GET /compounds", (*Server).compoundsList)
	route("GET /compounds/new", (*Server).compoundsNewForm)
	route("POST /compounds/new", (*Server).compoundsCreate)
	route("GET /compounds/{id}", (*Server).compoundPage)
	route("GET /compounds/{id}/edit", (*Server).compoundsEditForm)
	route("POST /compounds/{id}/edit", (*Server).compoundsUpdate)
	route("POST /compounds/{id}/classify", (*Server).compoundsClassify)
	route("POST /compounds/{id}/buildings", (*Server).compoundsAddBuilding)
	// A form sent back with its errors leaves the browser at the form's address; reloading
	// it later goes back to the compound's page.
	route("GET /compounds/{id}/classify", (*Server).compoundsBack)
	route("GET /compounds/{id}/buildings", (*Server).compoundsBack)
	route("GET /compounds/{id}/households", (*Server).compoundsHouseholds)
	route("POST /compounds/{id}/households", (*Server).compoundsAddHousehold)
	route("GET /compounds/{id}/codes", (*Server).compoundsCodesForm)
	route("POST /compounds/{id}/codes", (*Server).compoundsIssueCodes)
	// ListCompounds is for the compound's own people and auditors; the works' parties and
	// departments reach a compound from their project or whistle instead.
	addMenu(20, "compounds", "/compounds", "DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER",
		"BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER", "AUDITOR")
}

const (
	compoundsPageSize   = 50
	compoundsHouseholdN = 20 // households on the compound page; the rest on its households page
	compoundsSurveysN   = 5
)

// ---------------------------------------------------------------------------------------
// The list

func (s *Server) compoundsList(w http.ResponseWriter, r *http.Request) {
	ctx, q := call(r), r.URL.Query()
	p := s.page(r, "compounds.title", "compounds")
	kind, scopeID, _ := strings.Cut(p.Viewer.Scope, "/")
	if kind == "compounds" {
		// One compound's people have one compound: its page is their list.
		http.Redirect(w, r, "/compounds/"+url.PathEscape(scopeID), http.StatusSeeOther)
		return
	}
	v := view.CompoundsList{Region: q.Get("region"), Status: q.Get("status"), Management: q.Get("managementType"), PageToken: q.Get("pageToken")}
	regions, err := s.compoundsRegions(ctx, p.Viewer.Scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Regions = regions
	req := &governancepb.ListCompoundsRequest{RegionId: v.Region, PageSize: compoundsPageSize, PageToken: v.PageToken}
	errs := view.Errors{}
	if v.Region != "" && !compoundsHasRegion(regions, v.Region) {
		errs["region"] = p.T("compounds.error.region")
	}
	if req.RegionId == "" && kind == "regions" {
		req.RegionId = scopeID
	}
	if v.Status != "" {
		st, ok := governancepb.Compound_Status_value[v.Status]
		if !ok || st == 0 {
			errs["status"] = p.T("compounds.error.choose")
		}
		req.Status = governancepb.Compound_Status(st)
	}
	if v.Management != "" {
		mt, ok := governancepb.Compound_ManagementType_value[v.Management]
		if !ok || mt == 0 {
			errs["managementType"] = p.T("compounds.error.choose")
		}
		req.ManagementType = governancepb.Compound_ManagementType(mt)
	}
	if errs.Any() {
		s.render(w, r, http.StatusUnprocessableEntity, view.CompoundsListPage(p, v, errs))
		return
	}
	got, err := s.c.Governance.ListCompounds(ctx, req)
	if err != nil {
		if e, ok := compoundsFormErrors(p.Lang, err); ok && status.Code(err) == codes.InvalidArgument {
			s.render(w, r, http.StatusUnprocessableEntity, view.CompoundsListPage(p, v, e))
			return
		}
		s.fail(w, r, err)
		return
	}
	v.Compounds, v.Next = got.GetCompounds(), got.GetNextPageToken()
	s.render(w, r, http.StatusOK, view.CompoundsListPage(p, v, nil))
}

// compoundsRegions are the viewer's scope region and every region under it, in tree
// order, each labelled with its path ("铜都街道 › 石羊社区"): the choices of the list's
// filter and, the communities among them, of where a new compound sits. A district-wide
// viewer starts from the districts.
func (s *Server) compoundsRegions(ctx context.Context, scope string) ([]view.CompoundsRegion, error) {
	var out []view.CompoundsRegion
	var walk func(parent, prefix string, depth int) error
	walk = func(parent, prefix string, depth int) error {
		children, err := compoundsListAll(func(tok string) ([]*governancepb.Region, string, error) {
			got, err := s.c.Governance.ListRegions(ctx, &governancepb.ListRegionsRequest{Parent: parent, PageSize: 1000, PageToken: tok})
			return got.GetRegions(), got.GetNextPageToken(), err
		})
		if err != nil {
			return err
		}
		sort.SliceStable(children, func(i, j int) bool { return children[i].GetName() < children[j].GetName() })
		for _, c := range children {
			label := prefix + c.GetName()
			out = append(out, view.CompoundsRegion{ID: c.GetId(), Label: label, Level: c.GetLevel(), Depth: depth})
			if c.GetLevel() != governancepb.Region_COMMUNITY {
				if err := walk(c.GetId(), label+" › ", depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	kind, id, _ := strings.Cut(scope, "/")
	switch {
	case scope == "":
		return out, walk("", "", 0)
	case kind == "regions":
		top, err := s.c.Governance.GetRegion(ctx, &governancepb.GetRegionRequest{Id: id})
		if err != nil {
			return nil, err
		}
		out = append(out, view.CompoundsRegion{ID: top.GetId(), Label: top.GetName(), Level: top.GetLevel()})
		if top.GetLevel() == governancepb.Region_COMMUNITY {
			return out, nil
		}
		return out, walk(top.GetId(), top.GetName()+" › ", 1)
	}
	return nil, nil
}

func compoundsHasRegion(rs []view.CompoundsRegion, id string) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

func compoundsListAll[T any](page func(tok string) ([]T, string, error)) ([]T, error) {
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

// ---------------------------------------------------------------------------------------
// A compound's page

// compoundsForm is a form of the compound page sent back with its errors: which one,
// what was typed and the errors beside its fields.
type compoundsForm struct {
	name string
	vals url.Values
	errs view.Errors
}

func (s *Server) compoundPage(w http.ResponseWriter, r *http.Request) {
	s.renderCompound(w, r, http.StatusOK, compoundsForm{})
}

func (s *Server) compoundsBack(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/compounds/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

// compoundsOptional is whether a failed read only leaves its section out: the viewer's
// role may not read it (a contractor and the households, say). Anything else (a service
// away) fails the page, which then says to try again.
func compoundsOptional(err error) bool {
	c := status.Code(err)
	return c == codes.PermissionDenied || c == codes.NotFound
}

func (s *Server) renderCompound(w http.ResponseWriter, r *http.Request, code int, form compoundsForm) {
	ctx, id := call(r), r.PathValue("id")
	c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.CompoundsPage{Compound: c, Form: form.name, Vals: form.vals, Errs: form.errs, RequestID: compoundsRequestID()}
	v.RegionNames = s.compoundsRegionNames(ctx, c.GetRegionPath())
	// Each section comes from its own call; one the viewer may not read is left out.
	section := func(err error, shown *bool) bool {
		if err == nil {
			*shown = true
			return true
		}
		return compoundsOptional(err)
	}
	var failed error
	keep := func(err error, shown *bool) {
		if !section(err, shown) && failed == nil {
			failed = err
		}
	}
	bs, err := compoundsListAll(func(tok string) ([]*governancepb.Building, string, error) {
		got, err := s.c.Governance.ListBuildings(ctx, &governancepb.ListBuildingsRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		return got.GetBuildings(), got.GetNextPageToken(), err
	})
	v.Buildings = bs
	keep(err, &v.BuildingsShown)
	hs, err := s.c.Governance.ListHouseholds(ctx, &governancepb.ListHouseholdsRequest{CompoundId: id, PageSize: compoundsHouseholdN})
	v.Households, v.MoreHouseholds = hs.GetHouseholds(), hs.GetNextPageToken() != ""
	keep(err, &v.HouseholdsShown)
	ss, err := compoundsListAll(func(tok string) ([]*surveypb.Survey, string, error) {
		got, err := s.c.Survey.ListSurveys(ctx, &surveypb.ListSurveysRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		return got.GetSurveys(), got.GetNextPageToken(), err
	})
	// The latest first: what the community asked most recently.
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].GetCreateTime().AsTime().After(ss[j].GetCreateTime().AsTime()) })
	v.MoreSurveys = len(ss) > compoundsSurveysN
	v.Surveys = ss[:min(len(ss), compoundsSurveysN)]
	keep(err, &v.SurveysShown)
	ps, err := compoundsListAll(func(tok string) ([]*projectspb.Project, string, error) {
		got, err := s.c.Projects.ListProjects(ctx, &projectspb.ListProjectsRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		return got.GetProjects(), got.GetNextPageToken(), err
	})
	v.Projects = ps
	keep(err, &v.ProjectsShown)
	ws, err := compoundsListAll(func(tok string) ([]*governancepb.Whistle, string, error) {
		got, err := s.c.Governance.ListWhistles(ctx, &governancepb.ListWhistlesRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		return got.GetWhistles(), got.GetNextPageToken(), err
	})
	for _, wh := range ws {
		if wh.GetStatus() != governancepb.Whistle_CLOSED {
			v.Whistles = append(v.Whistles, wh)
		}
	}
	keep(err, &v.WhistlesShown)
	// The organisation: the compound's party branch (and its community's general branch),
	// the grid cells its buildings belong to, its conventions.
	br, err := compoundsListAll(func(tok string) ([]*governancepb.PartyBranch, string, error) {
		got, err := s.c.Governance.ListPartyBranches(ctx, &governancepb.ListPartyBranchesRequest{CommunityId: c.GetCommunityId(), PageSize: 1000, PageToken: tok})
		return got.GetPartyBranches(), got.GetNextPageToken(), err
	})
	for _, b := range br {
		if b.GetCompoundId() == id || b.GetKind() == governancepb.PartyBranch_COMMUNITY_GENERAL {
			v.Branches = append(v.Branches, b)
		}
	}
	keep(err, &v.BranchesShown)
	gs, err := compoundsListAll(func(tok string) ([]*governancepb.GridCell, string, error) {
		got, err := s.c.Governance.ListGridCells(ctx, &governancepb.ListGridCellsRequest{CommunityId: c.GetCommunityId(), PageSize: 1000, PageToken: tok})
		return got.GetGridCells(), got.GetNextPageToken(), err
	})
	mine := map[string]bool{}
	for _, b := range bs {
		mine[b.GetId()] = true
	}
	for _, g := range gs {
		for _, b := range g.GetBuildingIds() {
			if mine[b] {
				v.Grids = append(v.Grids, g)
				break
			}
		}
	}
	keep(err, &v.GridsShown)
	cv, err := compoundsListAll(func(tok string) ([]*governancepb.Convention, string, error) {
		got, err := s.c.Governance.ListConventions(ctx, &governancepb.ListConventionsRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		return got.GetConventions(), got.GetNextPageToken(), err
	})
	v.Conventions = cv
	keep(err, &v.ConventionsShown)
	if failed != nil {
		s.fail(w, r, failed)
		return
	}
	p := s.page(r, "compounds.page.title", "compounds")
	p.Title = c.GetName()
	s.render(w, r, code, view.CompoundPage(p, v))
}

// compoundsRegionNames are the names of the district, sub-district and community above a
// compound ("" for one that cannot be read).
func (s *Server) compoundsRegionNames(ctx context.Context, path []string) []string {
	var out []string
	for _, id := range path {
		if rg, err := s.c.Governance.GetRegion(ctx, &governancepb.GetRegionRequest{Id: id}); err == nil {
			out = append(out, rg.GetName())
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------
// Registering and editing a compound

func (s *Server) compoundsNewForm(w http.ResponseWriter, r *http.Request) {
	s.renderCompoundsNew(w, r, http.StatusOK, url.Values{"requestId": {compoundsRequestID()}}, nil)
}

func (s *Server) renderCompoundsNew(w http.ResponseWriter, r *http.Request, code int, vals url.Values, errs view.Errors) {
	p := s.page(r, "compounds.new.title", "compounds")
	regions, err := s.compoundsRegions(call(r), p.Viewer.Scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var communities []view.CompoundsRegion
	for _, rg := range regions {
		if rg.Level == governancepb.Region_COMMUNITY {
			communities = append(communities, rg)
		}
	}
	s.render(w, r, code, view.CompoundsNew(p, view.CompoundsEdit{Vals: vals, Communities: communities}, errs))
}

// compoundsFacts reads the compound fields the create and edit forms share; errs gets
// what cannot be read (a build year that is no number).
func compoundsFacts(lang i18n.Lang, f url.Values, errs view.Errors) *governancepb.Compound {
	c := &governancepb.Compound{
		Name:                    strings.TrimSpace(f.Get("compound.name")),
		Address:                 strings.TrimSpace(f.Get("compound.address")),
		HeritageNotes:           strings.TrimSpace(f.Get("compound.heritageNotes")),
		DemonstrationSite:       f.Get("compound.demonstrationSite") == "on",
		PropertyManager:         strings.TrimSpace(f.Get("compound.propertyManager")),
		OwningUnit:              strings.TrimSpace(f.Get("compound.owningUnit")),
		SelfManagementCommittee: f.Get("compound.selfManagementCommittee") == "on",
	}
	if y := strings.TrimSpace(f.Get("compound.buildYear")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil {
			errs["compound.buildYear"] = lang.T("compounds.error.compound.buildYear")
		}
		c.BuildYear = int32(n)
	}
	// One row per facility kind (row k is kind k+1); a row with no condition is not
	// assessed and is not sent.
	for k := int32(1); ; k++ {
		if _, ok := governancepb.Facility_Kind_name[k]; !ok {
			break
		}
		prefix := fmt.Sprintf("compound.facilities[%d].", k-1)
		cond := f.Get(prefix + "condition")
		if cond == "" {
			continue
		}
		cv, ok := governancepb.Facility_Condition_value[cond]
		if !ok || cv == 0 {
			errs[prefix+"condition"] = lang.T("compounds.error.choose")
			continue
		}
		c.Facilities = append(c.Facilities, &governancepb.Facility{Kind: governancepb.Facility_Kind(k), Condition: governancepb.Facility_Condition(cv), Notes: strings.TrimSpace(f.Get(prefix + "notes"))})
	}
	return c
}

// facilitiesIndex turns an error on the n-th facility sent back into the form's row of
// that facility's kind.
var facilitiesIndex = regexp.MustCompile(`^compound\.facilities\[(\d+)\]`)

func compoundsFacilityErrors(errs view.Errors, sent []*governancepb.Facility) view.Errors {
	out := view.Errors{}
	for k, e := range errs {
		if m := facilitiesIndex.FindStringSubmatch(k); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n < len(sent) {
				k = fmt.Sprintf("compound.facilities[%d]", int(sent[n].GetKind())-1) + k[len(m[0]):]
			}
		}
		out[k] = e
	}
	return out
}

func (s *Server) compoundsCreate(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	_ = r.ParseForm()
	f := r.PostForm
	errs := view.Errors{}
	c := compoundsFacts(lang, f, errs)
	c.CommunityId = f.Get("compound.communityId")
	if mt := f.Get("compound.managementType"); mt != "" {
		n, ok := governancepb.Compound_ManagementType_value[mt]
		if !ok {
			errs["compound.managementType"] = lang.T("compounds.error.choose")
		}
		c.ManagementType = governancepb.Compound_ManagementType(n)
	}
	if errs.Any() {
		s.renderCompoundsNew(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	got, err := s.c.Governance.CreateCompound(call(r), &governancepb.CreateCompoundRequest{Compound: c, RequestId: f.Get("requestId")})
	if err != nil {
		if errs, ok := compoundsFormErrors(lang, err); ok {
			s.renderCompoundsNew(w, r, http.StatusUnprocessableEntity, f, compoundsFacilityErrors(errs, c.Facilities))
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/compounds/"+url.PathEscape(got.GetId())+"?done=compounds.created", http.StatusSeeOther)
}

func (s *Server) compoundsEditForm(w http.ResponseWriter, r *http.Request) {
	c, err := s.c.Governance.GetCompound(call(r), &governancepb.GetCompoundRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderCompoundsEdit(w, r, http.StatusOK, c, compoundsValues(c), nil)
}

// compoundsValues are a compound as the edit form shows it.
func compoundsValues(c *governancepb.Compound) url.Values {
	v := url.Values{}
	v.Set("compound.name", c.GetName())
	v.Set("compound.address", c.GetAddress())
	if c.GetBuildYear() != 0 {
		v.Set("compound.buildYear", strconv.Itoa(int(c.GetBuildYear())))
	}
	v.Set("compound.heritageNotes", c.GetHeritageNotes())
	v.Set("compound.propertyManager", c.GetPropertyManager())
	v.Set("compound.owningUnit", c.GetOwningUnit())
	if c.GetDemonstrationSite() {
		v.Set("compound.demonstrationSite", "on")
	}
	if c.GetSelfManagementCommittee() {
		v.Set("compound.selfManagementCommittee", "on")
	}
	for _, f := range c.GetFacilities() {
		prefix := fmt.Sprintf("compound.facilities[%d].", int(f.GetKind())-1)
		v.Set(prefix+"condition", f.GetCondition().String())
		v.Set(prefix+"notes", f.GetNotes())
	}
	v.Set("compound.etag", c.GetEtag())
	return v
}

func (s *Server) renderCompoundsEdit(w http.ResponseWriter, r *http.Request, code int, c *governancepb.Compound, vals url.Values, errs view.Errors) {
	p := s.page(r, "compounds.edit.title", "compounds")
	p.Title = p.T("compounds.edit.heading", c.GetName())
	s.render(w, r, code, view.CompoundsEditPage(p, view.CompoundsEdit{Compound: c, Vals: vals}, errs))
}

// compoundsEditable are the fields the edit form replaces (the management type and
// governance mode are decided by classifying, which records who decided).
var compoundsEditable = []string{"name", "address", "build_year", "heritage_notes", "demonstration_site", "property_manager", "owning_unit", "self_management_committee", "facilities"}

// compoundsUpdate saves the edit with the etag the form was filled from: an edit made
// meanwhile by someone else is not overwritten, the clerk is told to look again.
func (s *Server) compoundsUpdate(w http.ResponseWriter, r *http.Request) {
	lang, ctx, id := visitOf(r).lang, call(r), r.PathValue("id")
	_ = r.ParseForm()
	f := r.PostForm
	cur, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := view.Errors{}
	c := compoundsFacts(lang, f, errs)
	c.Id, c.Etag = id, f.Get("compound.etag")
	if errs.Any() {
		s.renderCompoundsEdit(w, r, http.StatusUnprocessableEntity, cur, f, errs)
		return
	}
	_, err = s.c.Governance.UpdateCompound(ctx, &governancepb.UpdateCompoundRequest{Compound: c, UpdateMask: &fieldmaskpb.FieldMask{Paths: compoundsEditable}})
	if err != nil {
		if compoundsReason(err) == "ETAG_MISMATCH" {
			// Show what is stored now, and keep what was typed out of the form: the clerk
			// compares and edits again on the current version.
			s.renderCompoundsEdit(w, r, http.StatusConflict, cur, compoundsValues(cur), view.Errors{"": lang.T("compounds.edit.stale")})
			return
		}
		if errs, ok := compoundsFormErrors(lang, err); ok {
			s.renderCompoundsEdit(w, r, http.StatusUnprocessableEntity, cur, f, compoundsFacilityErrors(errs, c.Facilities))
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/compounds/"+url.PathEscape(id)+"?done=compounds.updated", http.StatusSeeOther)
}

// compoundsClassify records rule 1's classification: the management type (or left to
// rule 1 to derive from the facts), the governance mode chosen and who decided, with the
// facts as they stand after the decision (the form shows the current ones).
func (s *Server) compoundsClassify(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	_ = r.ParseForm()
	f := r.PostForm
	errs := view.Errors{}
	req := &governancepb.ClassifyCompoundRequest{Id: id, DecidedBy: strings.TrimSpace(f.Get("decidedBy")), RequestId: f.Get("requestId")}
	if mt := f.Get("managementType"); mt != "" {
		n, ok := governancepb.Compound_ManagementType_value[mt]
		if !ok {
			errs["managementType"] = lang.T("compounds.error.choose")
		}
		req.ManagementType = governancepb.Compound_ManagementType(n)
	}
	gm, ok := governancepb.Compound_GovernanceMode_value[f.Get("governanceMode")]
	if !ok || gm == 0 {
		errs["governanceMode"] = lang.T("compounds.error.governanceMode")
	}
	req.GovernanceMode = governancepb.Compound_GovernanceMode(gm)
	if req.DecidedBy == "" {
		errs["decidedBy"] = lang.T("compounds.error.decidedBy")
	}
	pm, ou, smc := strings.TrimSpace(f.Get("propertyManager")), strings.TrimSpace(f.Get("owningUnit")), f.Get("selfManagementCommittee") == "on"
	req.PropertyManager, req.OwningUnit, req.SelfManagementCommittee = &pm, &ou, &smc
	if !errs.Any() {
		_, err := s.c.Governance.ClassifyCompound(call(r), req)
		if err == nil {
			http.Redirect(w, r, "/compounds/"+url.PathEscape(id)+"?done=compounds.classified#classification", http.StatusSeeOther)
			return
		}
		var ok bool
		if errs, ok = compoundsFormErrors(lang, err); !ok {
			s.fail(w, r, err)
			return
		}
	}
	s.renderCompound(w, r, http.StatusUnprocessableEntity, compoundsForm{name: "classify", vals: f, errs: errs})
}

// ---------------------------------------------------------------------------------------
// Buildings and households

func (s *Server) compoundsAddBuilding(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	_ = r.ParseForm()
	f := r.PostForm
	errs := view.Errors{}
	b := &governancepb.Building{Name: strings.TrimSpace(f.Get("building.name"))}
	b.UnitCount = compoundsInt(lang, f, "building.unitCount", errs)
	b.FloorCount = compoundsInt(lang, f, "building.floorCount", errs)
	if !errs.Any() {
		_, err := s.c.Governance.CreateBuilding(call(r), &governancepb.CreateBuildingRequest{CompoundId: id, Building: b, RequestId: f.Get("requestId")})
		if err == nil {
			http.Redirect(w, r, "/compounds/"+url.PathEscape(id)+"?done=compounds.building.added#buildings", http.StatusSeeOther)
			return
		}
		var ok bool
		if errs, ok = compoundsFormErrors(lang, err); !ok {
			s.fail(w, r, err)
			return
		}
	}
	s.renderCompound(w, r, http.StatusUnprocessableEntity, compoundsForm{name: "building", vals: f, errs: errs})
}

// compoundsInt reads a whole number field ("" is 0, which the API judges).
func compoundsInt(lang i18n.Lang, f url.Values, name string, errs view.Errors) int32 {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		errs[name] = lang.T("compounds.error.number")
	}
	return int32(n)
}

func (s *Server) compoundsHouseholds(w http.ResponseWriter, r *http.Request) {
	s.renderHouseholds(w, r, http.StatusOK, url.Values{"requestId": {compoundsRequestID()}}, nil)
}

func (s *Server) renderHouseholds(w http.ResponseWriter, r *http.Request, code int, vals url.Values, errs view.Errors) {
	ctx, id := call(r), r.PathValue("id")
	c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.CompoundsHouseholds{Compound: c, PageToken: r.URL.Query().Get("pageToken"), Vals: vals}
	got, err := s.c.Governance.ListHouseholds(ctx, &governancepb.ListHouseholdsRequest{CompoundId: id, PageSize: compoundsPageSize, PageToken: v.PageToken})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Households, v.Next = got.GetHouseholds(), got.GetNextPageToken()
	v.Buildings, err = compoundsListAll(func(tok string) ([]*governancepb.Building, string, error) {
		got, err := s.c.Governance.ListBuildings(ctx, &governancepb.ListBuildingsRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		return got.GetBuildings(), got.GetNextPageToken(), err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "compounds.households.title", "compounds")
	p.Title = p.T("compounds.households.heading", c.GetName())
	s.render(w, r, code, view.CompoundsHouseholdsPage(p, v, errs))
}

// compoundsAddHousehold registers a dwelling; the resident's name and phone are typed
// only by those who may see them (rule 13), and never leave this request but to the
// governance service.
func (s *Server) compoundsAddHousehold(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	_ = r.ParseForm()
	f := r.PostForm
	errs := view.Errors{}
	h := &governancepb.Household{
		BuildingId:         f.Get("household.buildingId"),
		Unit:               strings.TrimSpace(f.Get("household.unit")),
		Room:               strings.TrimSpace(f.Get("household.room")),
		PartyMember:        f.Get("household.partyMember") == "on",
		NeedsAccessibility: f.Get("household.needsAccessibility") == "on",
	}
	if view.CompoundsSeesPersonal(s.page(r, "compounds.title", "").Viewer) {
		h.ResidentName, h.Phone = strings.TrimSpace(f.Get("household.residentName")), strings.TrimSpace(f.Get("household.phone"))
	}
	if a := strings.TrimSpace(f.Get("household.exclusiveAreaM2")); a != "" {
		n, err := strconv.ParseFloat(a, 64)
		if err != nil {
			errs["household.exclusiveAreaM2"] = lang.T("compounds.error.household.exclusiveAreaM2")
		}
		h.ExclusiveAreaM2 = n
	}
	if !errs.Any() {
		_, err := s.c.Governance.CreateHousehold(call(r), &governancepb.CreateHouseholdRequest{CompoundId: id, Household: h, RequestId: f.Get("requestId")})
		if err == nil {
			http.Redirect(w, r, "/compounds/"+url.PathEscape(id)+"/households?done=compounds.household.added", http.StatusSeeOther)
			return
		}
		var ok bool
		if errs, ok = compoundsFormErrors(lang, err); !ok {
			s.fail(w, r, err)
			return
		}
	}
	s.renderHouseholds(w, r, http.StatusUnprocessableEntity, f, errs)
}

// ---------------------------------------------------------------------------------------
// Door codes

func (s *Server) compoundsCodesForm(w http.ResponseWriter, r *http.Request) {
	c, err := s.c.Governance.GetCompound(call(r), &governancepb.GetCompoundRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "compounds.codes.title", "compounds")
	p.Title = p.T("compounds.codes.heading", c.GetName())
	s.render(w, r, http.StatusOK, view.CompoundsCodes(p, view.CompoundsCodeSheet{Compound: c}))
}

// compoundsIssueCodes issues a new code for every household of the compound (the old
// ones stop working) and shows them once, as a sheet to print and cut into door slips.
// The codes go only into this answer, which is not cached (s.render) and sits at the
// form's address: never into a URL or a log line.
func (s *Server) compoundsIssueCodes(w http.ResponseWriter, r *http.Request) {
	ctx, id := call(r), r.PathValue("id")
	c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sheet, err := s.c.Accounts.IssueCompoundAccessCodes(ctx, &governancepb.IssueCompoundAccessCodesRequest{CompoundId: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "compounds.codes.title", "compounds")
	p.Title = p.T("compounds.codes.heading", c.GetName())
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	doors := sheet.GetDoors()
	sort.SliceStable(doors, func(i, j int) bool {
		a, b := doors[i], doors[j]
		if a.GetBuilding() != b.GetBuilding() {
			return compoundsNatural(a.GetBuilding(), b.GetBuilding())
		}
		if a.GetUnit() != b.GetUnit() {
			return compoundsNatural(a.GetUnit(), b.GetUnit())
		}
		return compoundsNatural(a.GetRoom(), b.GetRoom())
	})
	s.render(w, r, http.StatusOK, view.CompoundsCodes(p, view.CompoundsCodeSheet{Compound: c, Sheet: sheet, Doors: doors, SignIn: scheme + "://" + r.Host + "/signin?as=resident"}))
}

// compoundsNatural orders "2" before "10" (rooms and units are numbers written as text).
func compoundsNatural(a, b string) bool {
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	if ea == nil && eb == nil {
		return na < nb
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// ---------------------------------------------------------------------------------------
// Errors

// compoundsFormErrors are formErrors in the clerk's words where the catalog has them: a
// field's violation as "compounds.error.<field>" (the API's own words are English), a
// refusal's reason as "compounds.reason.<REASON>".
func compoundsFormErrors(lang i18n.Lang, err error) (view.Errors, bool) {
	errs, ok := formErrors(lang, err)
	if !ok {
		return nil, false
	}
	for k := range errs {
		key := "compounds.error." + facilitiesIndex.ReplaceAllString(k, "compound.facilities[]")
		if k != "" && lang.Has(key) {
			errs[k] = lang.T(key)
		}
	}
	if r := compoundsReason(err); r != "" && lang.Has("compounds.reason."+r) {
		errs[""] = lang.T("compounds.reason." + r)
	}
	return errs, true
}

func compoundsReason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			return ei.GetReason()
		}
	}
	return ""
}

// compoundsRequestID makes a form one request however often it is sent: the id is made
// when the form is shown and sent back with it.
func compoundsRequestID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
