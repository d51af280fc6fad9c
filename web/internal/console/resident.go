package console

import (
	"net/http"
	"sort"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// The resident pages (/r/): a person signed in with their household's access code sees
// their own household's door, answers their compound's surveys and votes, reads their
// quota and payments, proposes and endorses golden ideas, follows the works and reports
// what they see. They are phone pages first, every form a plain POST with the session's
// CSRF token; the services decide what a household may read and do (their policies' Own
// rules), these pages only ask for the household's own.
//
// The pages share the console's sessions, CSRF check, frame, catalog and error pages.
// A group of resident pages adds its routes with residentRoute and its card on the home
// page (and entry in the residents' navigation) with addResidentCard, in its init.

// residentPages are the routes under /r/, each for residents only.
var residentPages []page

// residentRoute adds a resident page; handle is a method expression.
func residentRoute(pattern string, handle func(s *Server, w http.ResponseWriter, r *http.Request)) {
	residentPages = append(residentPages, page{pattern, handle})
}

// residentCard is a section of the resident's home page: its card there and its entry in
// the residents' navigation, labelled by the catalog's "resident.card.<key>" and
// described by "resident.card.<key>.text".
type residentCard struct {
	order     int
	key, href string
}

var residentCards []residentCard

// addResidentCard puts a section on the home page at order (smaller first).
func addResidentCard(order int, key, href string) {
	residentCards = append(residentCards, residentCard{order, key, href})
	sort.SliceStable(residentCards, func(i, j int) bool { return residentCards[i].order < residentCards[j].order })
}

func init() {
	residentRoute("GET /r/{$}", (*Server).residentHome)
	residentRoute("GET /r", func(_ *Server, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/r/", http.StatusMovedPermanently)
	})
}

// isResident reports whether the visitor signed in with a household's access code.
func isResident(v *visit) bool {
	return v.session != nil && v.session.GetAccount().GetRole() == "RESIDENT"
}

// forStaff keeps the staff console to staff: a resident asking for one of its pages is
// sent to their own (a form they could not have been shown is refused).
func (s *Server) forStaff(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if isResident(visitOf(r)) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/r/", http.StatusSeeOther)
				return
			}
			p := s.page(r, "error.denied.title", "")
			s.render(w, r, http.StatusForbidden, view.Message(p, p.Title, p.T("error.denied.text")))
			return
		}
		h(w, r)
	}
}

// forResidents keeps /r/ to residents: staff go to their own home page.
func (s *Server) forResidents(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isResident(visitOf(r)) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/", http.StatusSeeOther)
				return
			}
			p := s.page(r, "error.denied.title", "")
			s.render(w, r, http.StatusForbidden, view.Message(p, p.Title, p.T("error.denied.text")))
			return
		}
		h(w, r)
	}
}

// residentMenu is the residents' navigation: their home and each section.
func residentMenu(lang i18n.Lang) []view.NavItem {
	items := []view.NavItem{{Key: "r-home", Href: "/r/", Label: lang.T("resident.nav.home")}}
	for _, c := range residentCards {
		items = append(items, view.NavItem{Key: "r-" + c.key, Href: c.href, Label: lang.T("resident.card." + c.key)})
	}
	return items
}

// residentOwn is the visitor's household id (their session's scope, households/ID).
func residentOwn(r *http.Request) string {
	scope := visitOf(r).session.GetAccount().GetScope()
	const prefix = "households/"
	if len(scope) > len(prefix) && scope[:len(prefix)] == prefix {
		return scope[len(prefix):]
	}
	return ""
}

// residentHousehold is the visitor's household as the registry has it (its compound,
// building, unit and room).
func (s *Server) residentHousehold(r *http.Request) (*governancepb.Household, error) {
	own := residentOwn(r)
	if own == "" {
		return nil, status.Error(codes.PermissionDenied, "the session names no household")
	}
	return s.c.Governance.GetHousehold(call(r), &governancepb.GetHouseholdRequest{Id: own})
}

// residentPage is the frame of a resident page titled by key, in navigation entry nav.
func (s *Server) residentPage(r *http.Request, titleKey, nav string) view.Page {
	return s.page(r, titleKey, "r-"+nav)
}

// residentHome greets the household with its door and lists the sections.
func (s *Server) residentHome(w http.ResponseWriter, r *http.Request) {
	ctx := call(r)
	h, err := s.residentHousehold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.ResidentHome{Unit: h.GetUnit(), Room: h.GetRoom()}
	if b, err := s.c.Governance.GetBuilding(ctx, &governancepb.GetBuildingRequest{Id: h.GetBuildingId()}); err == nil {
		v.Building = b.GetName()
	} else if !projectsOptional(err) {
		s.fail(w, r, err)
		return
	}
	c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: h.GetCompoundId()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Compound, v.Address = c.GetName(), c.GetAddress()
	p := s.residentPage(r, "resident.home.title", "home")
	for _, c := range residentCards {
		v.Cards = append(v.Cards, view.ResidentCard{Key: c.key, Href: c.href, Title: p.T("resident.card." + c.key), Text: p.T("resident.card." + c.key + ".text")})
	}
	s.render(w, r, http.StatusOK, view.ResidentHomePage(p, v))
}
