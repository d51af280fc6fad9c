package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// The organisation of a community (党建引领): its party branches, grid cells, the leader
// elections of its buildings (rule 12) and the double report (双报到): linked units, the
// in-service party members who registered where they live, and their service.

// The roles of the policy's organisation methods: organisationReaders read the grid
// cells (ListGridCells), organisationStaff make branches, grid cells and linked units,
// organisationMembers register members and their service, organisationElectors open,
// record and close elections (CompoundPeople).
var (
	organisationReaders  = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER", "AUDITOR"}
	organisationStaff    = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF"}
	organisationMembers  = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "BRANCH_SECRETARY"}
	organisationElectors = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER"}
)

// organisationPeriod is the form of a report-back period the service takes.
var organisationPeriod = regexp.MustCompile(`^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$`)

func init() {
	route("GET /organisation", (*Server).organisationPage)
	route("POST /organisation/branches", (*Server).organisationCreateBranch)
	route("POST /organisation/grid-cells", (*Server).organisationCreateGrid)
	route("POST /organisation/linked-units", (*Server).organisationCreateUnit)
	route("POST /organisation/party-members", (*Server).organisationCreateMember)
	route("POST /organisation/service-records", (*Server).organisationCreateRecord)
	route("POST /organisation/elections", (*Server).organisationCreateElection)
	route("GET /organisation/elections", (*Server).organisationFindElection)
	route("GET /organisation/elections/{id}", (*Server).organisationElectionPage)
	route("POST /organisation/elections/{id}/vote", (*Server).organisationVote)
	route("POST /organisation/elections/{id}/close", (*Server).organisationCloseElection)
	addMenu(60, "organisation", "/organisation", organisationReaders...)
}

// organisationCommunities are the communities within the viewer's scope, labelled
// "sub-district · community", in the registry's order. A compound's people get their
// compound's community.
func (s *Server) organisationCommunities(ctx context.Context, scope string) ([][2]string, error) {
	gov := s.c.Governance
	children := func(parent string) ([]*governancepb.Region, error) {
		var out []*governancepb.Region
		token := ""
		for {
			got, err := gov.ListRegions(ctx, &governancepb.ListRegionsRequest{Parent: parent, PageSize: 1000, PageToken: token})
			if err != nil {
				return nil, err
			}
			out = append(out, got.GetRegions()...)
			if token = got.GetNextPageToken(); token == "" {
				return out, nil
			}
		}
	}
	var below func(r *governancepb.Region, label string) ([][2]string, error)
	below = func(r *governancepb.Region, label string) ([][2]string, error) {
		if r.GetLevel() == governancepb.Region_COMMUNITY {
			return [][2]string{{r.GetId(), label + r.GetName()}}, nil
		}
		kids, err := children(r.GetId())
		if err != nil {
			return nil, err
		}
		if r.GetLevel() == governancepb.Region_SUBDISTRICT {
			label = r.GetName() + " · "
		}
		var out [][2]string
		for _, k := range kids {
			got, err := below(k, label)
			if err != nil {
				return nil, err
			}
			out = append(out, got...)
		}
		return out, nil
	}
	switch {
	case scope == "":
		districts, err := children("")
		if err != nil {
			return nil, err
		}
		var out [][2]string
		for _, d := range districts {
			got, err := below(d, "")
			if err != nil {
				return nil, err
			}
			out = append(out, got...)
		}
		return out, nil
	case strings.HasPrefix(scope, "regions/"):
		r, err := gov.GetRegion(ctx, &governancepb.GetRegionRequest{Id: strings.TrimPrefix(scope, "regions/")})
		if err != nil {
			return nil, err
		}
		label := ""
		if r.GetLevel() == governancepb.Region_COMMUNITY && r.GetParent() != "" {
			if p, err := gov.GetRegion(ctx, &governancepb.GetRegionRequest{Id: r.GetParent()}); err == nil {
				label = p.GetName() + " · "
			}
		}
		return below(r, label)
	case strings.HasPrefix(scope, "compounds/"):
		c, err := gov.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: strings.TrimPrefix(scope, "compounds/")})
		if err != nil {
			return nil, err
		}
		r, err := gov.GetRegion(ctx, &governancepb.GetRegionRequest{Id: c.GetCommunityId()})
		if err != nil {
			return nil, err
		}
		return [][2]string{{r.GetId(), r.GetName()}}, nil
	}
	return nil, nil
}

// organisationDenied: a section the viewer's role may not read is left out of the page,
// not an error of the whole page.
func organisationDenied(err error) bool { return status.Code(err) == codes.PermissionDenied }

// organisationPage is the organisation of one community of the viewer's scope
// (?community=, the first when none is chosen), with the report-back over ?period=.
func (s *Server) organisationPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.organisationRender(w, r, http.StatusOK, q.Get("community"), q.Get("period"), view.OrganisationForm{})
}

// organisationRender loads the community's organisation and renders it with a form's
// state (after a refusal: what was typed and the errors beside the fields).
func (s *Server) organisationRender(w http.ResponseWriter, r *http.Request, code int, community, period string, form view.OrganisationForm) {
	ctx, gov := call(r), s.c.Governance
	p := s.page(r, "organisation.title", "organisation")
	v := view.OrganisationView{Form: form, RequestID: randomToken(), Today: organisationToday(s.now()),
		CanStaff: p.Viewer.Can(organisationStaff...), CanMembers: p.Viewer.Can(organisationMembers...), CanElect: p.Viewer.Can(organisationElectors...)}
	communities, err := s.organisationCommunities(ctx, p.Viewer.Scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Communities = communities
	for _, c := range communities {
		if c[0] == community {
			v.Community, v.CommunityName = c[0], c[1]
		}
	}
	if v.Community == "" && len(communities) > 0 {
		v.Community, v.CommunityName = communities[0][0], communities[0][1]
	}
	if !organisationPeriod.MatchString(period) {
		period = strconv.Itoa(s.now().In(view.China).Year())
	}
	v.Period = period
	if v.Community == "" {
		s.render(w, r, code, view.OrganisationPage(p, v))
		return
	}
	c := v.Community

	// The compounds and buildings name the grid cells' buildings and offer themselves in
	// the forms; a role that may not list them gets the page without them.
	v.CompoundNames, v.BuildingNames = map[string]string{}, map[string]string{}
	compounds, err := gov.ListCompounds(ctx, &governancepb.ListCompoundsRequest{RegionId: c, PageSize: 1000})
	if organisationDenied(err) && strings.HasPrefix(p.Viewer.Scope, "compounds/") {
		// A compound's people (a building leader, an owners' committee) list no region's
		// compounds; their own compound is theirs to see.
		var own *governancepb.Compound
		if own, err = gov.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: strings.TrimPrefix(p.Viewer.Scope, "compounds/")}); err == nil {
			compounds = &governancepb.ListCompoundsResponse{Compounds: []*governancepb.Compound{own}}
		}
	}
	switch {
	case err == nil:
		for _, cp := range compounds.GetCompounds() {
			v.Compounds = append(v.Compounds, [2]string{cp.GetId(), cp.GetName()})
			v.CompoundNames[cp.GetId()] = cp.GetName()
			bs, err := gov.ListBuildings(ctx, &governancepb.ListBuildingsRequest{CompoundId: cp.GetId(), PageSize: 1000})
			if err != nil {
				if organisationDenied(err) {
					continue
				}
				s.fail(w, r, err)
				return
			}
			for _, b := range bs.GetBuildings() {
				name := cp.GetName() + " " + b.GetName()
				v.Buildings = append(v.Buildings, view.OrganisationBuilding{ID: b.GetId(), Name: name,
					Leader: b.GetLeaderHouseholdId() != "", UnitLeaders: len(b.GetUnitLeaders()), Units: int(b.GetUnitCount()), Households: int(b.GetHouseholdCount())})
				v.BuildingNames[b.GetId()] = name
			}
		}
	case !organisationDenied(err):
		s.fail(w, r, err)
		return
	}

	if got, err := gov.ListPartyBranches(ctx, &governancepb.ListPartyBranchesRequest{CommunityId: c, PageSize: 1000}); err == nil {
		v.Branches, v.ShowBranches = got.GetPartyBranches(), true
	} else if !organisationDenied(err) {
		s.fail(w, r, err)
		return
	}
	if got, err := gov.ListGridCells(ctx, &governancepb.ListGridCellsRequest{CommunityId: c, PageSize: 1000}); err == nil {
		v.Grids, v.ShowGrids = got.GetGridCells(), true
	} else if !organisationDenied(err) {
		s.fail(w, r, err)
		return
	}
	if got, err := gov.ListLinkedUnits(ctx, &governancepb.ListLinkedUnitsRequest{CommunityId: c, PageSize: 1000}); err == nil {
		v.ShowUnits = true
		v.UnitNames = map[string]string{}
		for _, u := range got.GetLinkedUnits() {
			ou := view.OrganisationUnit{Unit: u}
			rb, err := gov.GetReportBack(ctx, &governancepb.GetReportBackRequest{LinkedUnitId: u.GetId(), Period: period})
			switch {
			case err == nil:
				ou.Report = rb
			case !organisationDenied(err):
				s.fail(w, r, err)
				return
			}
			v.Units = append(v.Units, ou)
			v.UnitNames[u.GetId()] = u.GetName()
		}
	} else if !organisationDenied(err) {
		s.fail(w, r, err)
		return
	}
	if got, err := gov.ListPartyMembers(ctx, &governancepb.ListPartyMembersRequest{ResidenceCommunityId: c, PageSize: 1000}); err == nil {
		v.Members, v.ShowMembers = got.GetPartyMembers(), true
	} else if !organisationDenied(err) {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, code, view.OrganisationPage(p, v))
}

// organisationBack is the community's page after a change.
func organisationBack(community, done string) string {
	return "/organisation?community=" + url.QueryEscape(community) + "&done=" + done + "#" + done
}

// organisationRefused re-renders the page with a refused form's values and errors, or
// shows the refusal as a page when it is not about the form.
func (s *Server) organisationRefused(w http.ResponseWriter, r *http.Request, which string, values map[string]string, err error) {
	errs, ok := organisationErrors(visitOf(r).lang, err)
	if !ok {
		s.fail(w, r, err)
		return
	}
	s.organisationRender(w, r, http.StatusUnprocessableEntity, r.PostFormValue("community"), "", view.OrganisationForm{Which: which, Values: values, Errs: errs})
}

// organisationErrors are formErrors with this group's words for the rules' reasons
// (WRONG_STATE and NOT_ELIGIBLE are shared by several rules; their meaning here is the
// election's) and a permission refusal above the form rather than as a page.
func organisationErrors(lang i18n.Lang, err error) (view.Errors, bool) {
	st := status.Convert(err)
	if st.Code() == codes.PermissionDenied {
		return view.Errors{"": lang.T("error.denied.text")}, true
	}
	errs, ok := formErrors(lang, err)
	if !ok {
		return nil, false
	}
	for _, d := range st.Details() {
		if ei, isInfo := d.(*errdetails.ErrorInfo); isInfo && lang.Has("organisation.reason."+ei.GetReason()) {
			errs[""] = lang.T("organisation.reason." + ei.GetReason())
		}
	}
	return errs, true
}

// organisationValues are the posted fields named, trimmed.
func organisationValues(r *http.Request, names ...string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		out[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return out
}

func (s *Server) organisationCreateBranch(w http.ResponseWriter, r *http.Request) {
	f := organisationValues(r, "partyBranch.name", "partyBranch.kind", "partyBranch.compoundId", "partyBranch.secretary", "partyBranch.memberCount")
	lang := visitOf(r).lang
	b := &governancepb.PartyBranch{Name: f["partyBranch.name"], CommunityId: r.PostFormValue("community"),
		Kind: governancepb.PartyBranch_Kind(governancepb.PartyBranch_Kind_value[f["partyBranch.kind"]]), CompoundId: f["partyBranch.compoundId"], Secretary: f["partyBranch.secretary"]}
	if n := f["partyBranch.memberCount"]; n != "" {
		count, err := strconv.Atoi(n)
		if err != nil || count < 0 {
			s.organisationRender(w, r, http.StatusUnprocessableEntity, b.CommunityId, "", view.OrganisationForm{Which: "branch", Values: f, Errs: view.Errors{"partyBranch.memberCount": lang.T("organisation.count.invalid")}})
			return
		}
		b.MemberCount = int32(count)
	}
	if _, err := s.c.Governance.CreatePartyBranch(call(r), &governancepb.CreatePartyBranchRequest{PartyBranch: b, RequestId: r.PostFormValue("requestId")}); err != nil {
		s.organisationRefused(w, r, "branch", f, err)
		return
	}
	http.Redirect(w, r, organisationBack(b.CommunityId, "organisation.branch"), http.StatusSeeOther)
}

func (s *Server) organisationCreateGrid(w http.ResponseWriter, r *http.Request) {
	f := organisationValues(r, "gridCell.name", "gridCell.gridWorker")
	_ = r.ParseForm()
	ids := r.PostForm["gridCell.buildingIds"]
	f["gridCell.buildingIds"] = strings.Join(ids, " ")
	g := &governancepb.GridCell{Name: f["gridCell.name"], CommunityId: r.PostFormValue("community"), GridWorker: f["gridCell.gridWorker"], BuildingIds: ids}
	if _, err := s.c.Governance.CreateGridCell(call(r), &governancepb.CreateGridCellRequest{GridCell: g, RequestId: r.PostFormValue("requestId")}); err != nil {
		s.organisationRefused(w, r, "grid", f, err)
		return
	}
	http.Redirect(w, r, organisationBack(g.CommunityId, "organisation.grid"), http.StatusSeeOther)
}

func (s *Server) organisationCreateUnit(w http.ResponseWriter, r *http.Request) {
	f := organisationValues(r, "linkedUnit.name", "linkedUnit.contact")
	u := &governancepb.LinkedUnit{Name: f["linkedUnit.name"], CommunityId: r.PostFormValue("community"), Contact: f["linkedUnit.contact"]}
	if _, err := s.c.Governance.CreateLinkedUnit(call(r), &governancepb.CreateLinkedUnitRequest{LinkedUnit: u, RequestId: r.PostFormValue("requestId")}); err != nil {
		s.organisationRefused(w, r, "unit", f, err)
		return
	}
	http.Redirect(w, r, organisationBack(u.CommunityId, "organisation.unit"), http.StatusSeeOther)
}

func (s *Server) organisationCreateMember(w http.ResponseWriter, r *http.Request) {
	// The member's name is personal data (rule 13): it goes to the service only, never
	// into a URL or the log, and is not typed back into the form after a success.
	f := organisationValues(r, "partyMember.name", "partyMember.linkedUnitId")
	m := &governancepb.PartyMember{Name: f["partyMember.name"], ResidenceCommunityId: r.PostFormValue("community"), LinkedUnitId: f["partyMember.linkedUnitId"]}
	if _, err := s.c.Governance.CreatePartyMember(call(r), &governancepb.CreatePartyMemberRequest{PartyMember: m, RequestId: r.PostFormValue("requestId")}); err != nil {
		s.organisationRefused(w, r, "member", f, err)
		return
	}
	http.Redirect(w, r, organisationBack(m.ResidenceCommunityId, "organisation.member"), http.StatusSeeOther)
}

func (s *Server) organisationCreateRecord(w http.ResponseWriter, r *http.Request) {
	f := organisationValues(r, "partyMemberId", "serviceRecord.date", "serviceRecord.hours", "serviceRecord.activity", "serviceRecord.compoundId")
	lang := visitOf(r).lang
	rec := &governancepb.ServiceRecord{Date: f["serviceRecord.date"], Activity: f["serviceRecord.activity"], CompoundId: f["serviceRecord.compoundId"]}
	hours, err := strconv.ParseFloat(f["serviceRecord.hours"], 64)
	if err != nil || hours <= 0 {
		s.organisationRender(w, r, http.StatusUnprocessableEntity, r.PostFormValue("community"), "", view.OrganisationForm{Which: "record", Values: f, Errs: view.Errors{"serviceRecord.hours": lang.T("organisation.hours.invalid")}})
		return
	}
	rec.Hours = hours
	if _, err := s.c.Governance.CreateServiceRecord(call(r), &governancepb.CreateServiceRecordRequest{PartyMemberId: f["partyMemberId"], ServiceRecord: rec, RequestId: r.PostFormValue("requestId")}); err != nil {
		if status.Code(err) == codes.NotFound {
			s.organisationRender(w, r, http.StatusUnprocessableEntity, r.PostFormValue("community"), "", view.OrganisationForm{Which: "record", Values: f, Errs: view.Errors{"partyMemberId": lang.T("organisation.member.choose")}})
			return
		}
		s.organisationRefused(w, r, "record", f, err)
		return
	}
	http.Redirect(w, r, organisationBack(r.PostFormValue("community"), "organisation.record"), http.StatusSeeOther)
}

// organisationHouseholds are a building's households (of one unit when unit is set), in
// unit and room order, as the viewer may read them.
func (s *Server) organisationHouseholds(ctx context.Context, compound, building, unit string) ([]*governancepb.Household, error) {
	var out []*governancepb.Household
	token := ""
	for {
		got, err := s.c.Governance.ListHouseholds(ctx, &governancepb.ListHouseholdsRequest{CompoundId: compound, BuildingId: building, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, err
		}
		for _, h := range got.GetHouseholds() {
			if unit == "" || h.GetUnit() == unit {
				out = append(out, h)
			}
		}
		if token = got.GetNextPageToken(); token == "" {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].GetUnit() != out[j].GetUnit() {
			return naturalLess(out[i].GetUnit(), out[j].GetUnit())
		}
		return naturalLess(out[i].GetRoom(), out[j].GetRoom())
	})
	return out, nil
}

// organisationCreateElection opens the election of a building's (or unit's) leader.
// The candidates are typed as the clerk knows them, by room ("101", or "2-301" for
// unit 2, room 301), and found among the building's households here.
func (s *Server) organisationCreateElection(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	f := organisationValues(r, "leaderElection.buildingId", "leaderElection.unit", "leaderElection.candidateHouseholdIds")
	community := r.PostFormValue("community")
	refuse := func(errs view.Errors) {
		s.organisationRender(w, r, http.StatusUnprocessableEntity, community, "", view.OrganisationForm{Which: "election", Values: f, Errs: errs})
	}
	ctx := call(r)
	b, err := s.c.Governance.GetBuilding(ctx, &governancepb.GetBuildingRequest{Id: f["leaderElection.buildingId"]})
	if err != nil {
		if c := status.Code(err); c == codes.NotFound || c == codes.InvalidArgument {
			refuse(view.Errors{"leaderElection.buildingId": lang.T("organisation.building.choose")})
			return
		}
		s.organisationRefused(w, r, "election", f, err)
		return
	}
	households, err := s.organisationHouseholds(ctx, b.GetCompoundId(), b.GetId(), f["leaderElection.unit"])
	if err != nil {
		s.organisationRefused(w, r, "election", f, err)
		return
	}
	var ids []string
	for _, tok := range strings.FieldsFunc(f["leaderElection.candidateHouseholdIds"], func(c rune) bool { return c == ',' || c == '，' || c == '、' || c == ' ' || c == ';' }) {
		unit, room, hasUnit := strings.Cut(tok, "-")
		if !hasUnit {
			unit, room = "", tok
		}
		var found []string
		for _, h := range households {
			if h.GetRoom() == room && (unit == "" || h.GetUnit() == unit) {
				found = append(found, h.GetId())
			}
		}
		switch len(found) {
		case 0:
			refuse(view.Errors{"leaderElection.candidateHouseholdIds": lang.T("organisation.candidate.unknown", tok)})
			return
		case 1:
			ids = append(ids, found[0])
		default:
			refuse(view.Errors{"leaderElection.candidateHouseholdIds": lang.T("organisation.candidate.ambiguous", tok)})
			return
		}
	}
	if len(ids) == 0 {
		refuse(view.Errors{"leaderElection.candidateHouseholdIds": lang.T("organisation.candidate.missing")})
		return
	}
	e, err := s.c.Governance.CreateLeaderElection(ctx, &governancepb.CreateLeaderElectionRequest{RequestId: r.PostFormValue("requestId"),
		LeaderElection: &governancepb.LeaderElection{BuildingId: b.GetId(), Unit: f["leaderElection.unit"], CandidateHouseholdIds: ids}})
	if err != nil {
		s.organisationRefused(w, r, "election", f, err)
		return
	}
	http.Redirect(w, r, "/organisation/elections/"+url.PathEscape(e.GetId())+"?done=organisation.election", http.StatusSeeOther)
}

// organisationFindElection opens an election by its number (as printed on its notice).
func (s *Server) organisationFindElection(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" {
		http.Redirect(w, r, "/organisation", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/organisation/elections/"+url.PathEscape(id), http.StatusSeeOther)
}

func (s *Server) organisationElectionPage(w http.ResponseWriter, r *http.Request) {
	s.organisationElectionRender(w, r, http.StatusOK, nil, view.OrganisationForm{})
}

// organisationElectionRender shows an election (e, or read now when nil) with its
// tally, and for the compound's people the form that records a household's vote.
func (s *Server) organisationElectionRender(w http.ResponseWriter, r *http.Request, code int, e *governancepb.LeaderElection, form view.OrganisationForm) {
	ctx, gov := call(r), s.c.Governance
	if e == nil {
		var err error
		if e, err = gov.GetLeaderElection(ctx, &governancepb.GetLeaderElectionRequest{Id: r.PathValue("id")}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p := s.page(r, "organisation.election.title", "organisation")
	v := view.OrganisationElection{Election: e, Form: form, RequestID: randomToken(), CanElect: p.Viewer.Can(organisationElectors...), Rooms: map[string]string{}}
	b, err := gov.GetBuilding(ctx, &governancepb.GetBuildingRequest{Id: e.GetBuildingId()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Building = b.GetName()
	if c, err := gov.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: b.GetCompoundId()}); err == nil {
		v.CompoundID, v.Compound, v.CommunityID = c.GetId(), c.GetName(), c.GetCommunityId()
	}
	// The rooms name the households for those who may read them; for others the service
	// has masked the candidates already and there is nothing to look up.
	households, err := s.organisationHouseholds(ctx, b.GetCompoundId(), b.GetId(), e.GetUnit())
	switch {
	case err == nil:
		for _, h := range households {
			label := p.T("organisation.room", h.GetUnit(), h.GetRoom())
			v.Rooms[h.GetId()] = label
			v.Voters = append(v.Voters, [2]string{h.GetId(), label})
		}
	case !organisationDenied(err):
		s.fail(w, r, err)
		return
	}
	s.render(w, r, code, view.OrganisationElectionPage(p, v))
}

func (s *Server) organisationVote(w http.ResponseWriter, r *http.Request) {
	f := organisationValues(r, "householdId", "candidateHouseholdId")
	lang := visitOf(r).lang
	errs := view.Errors{}
	if f["householdId"] == "" {
		errs["householdId"] = lang.T("organisation.voter.choose")
	}
	if f["candidateHouseholdId"] == "" {
		errs["candidateHouseholdId"] = lang.T("organisation.candidate.choose")
	}
	if errs.Any() {
		s.organisationElectionRender(w, r, http.StatusUnprocessableEntity, nil, view.OrganisationForm{Which: "vote", Values: f, Errs: errs})
		return
	}
	_, err := s.c.Governance.CastLeaderVote(call(r), &governancepb.CastLeaderVoteRequest{Id: r.PathValue("id"), HouseholdId: f["householdId"],
		CandidateHouseholdId: f["candidateHouseholdId"], RequestId: r.PostFormValue("requestId")})
	if err != nil {
		errs, ok := organisationErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.organisationElectionRender(w, r, http.StatusUnprocessableEntity, nil, view.OrganisationForm{Which: "vote", Values: f, Errs: errs})
		return
	}
	http.Redirect(w, r, "/organisation/elections/"+url.PathEscape(r.PathValue("id"))+"?done=organisation.vote", http.StatusSeeOther)
}

func (s *Server) organisationCloseElection(w http.ResponseWriter, r *http.Request) {
	_, err := s.c.Governance.CloseLeaderElection(call(r), &governancepb.CloseLeaderElectionRequest{Id: r.PathValue("id"), RequestId: r.PostFormValue("requestId")})
	if err != nil {
		errs, ok := organisationErrors(visitOf(r).lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.organisationElectionRender(w, r, http.StatusUnprocessableEntity, nil, view.OrganisationForm{Which: "close", Errs: errs})
		return
	}
	http.Redirect(w, r, "/organisation/elections/"+url.PathEscape(r.PathValue("id"))+"?done=organisation.closed", http.StatusSeeOther)
}

// organisationToday is the district's date, the default day of a service record.
func organisationToday(now time.Time) string { return now.In(view.China).Format("2006-01-02") }
