package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/web/internal/view"
)

// A household's whistles (吹哨, rule 11) and its compound's notice board (公示, rule 14)
// on the resident pages: a resident reports what is wrong (it waits for the community to
// call the departments), follows it, and rates it 1–5 once it is closed; the board is the
// public one, where the resident may object while a notice is up.

func init() {
	residentRoute("GET /r/whistles", (*Server).residentWhistles)
	residentRoute("POST /r/whistles", (*Server).residentReport)
	residentRoute("POST /r/whistles/{id}/rate", (*Server).residentRate)
	residentRoute("GET /r/notices", (*Server).residentNotices)
	addResidentCard(60, "whistles", "/r/whistles")
	addResidentCard(70, "notices", "/r/notices")
}

func (s *Server) residentWhistles(w http.ResponseWriter, r *http.Request) {
	s.renderResidentWhistles(w, r, http.StatusOK, view.ResidentReport{}, nil)
}

func (s *Server) renderResidentWhistles(w http.ResponseWriter, r *http.Request, code int, f view.ResidentReport, errs view.Errors) {
	got, err := s.c.Governance.ListWhistles(call(r), &governancepb.ListWhistlesRequest{HouseholdId: residentOwn(r), PageSize: 100})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if code == http.StatusUnprocessableEntity {
		w.Header().Set("HX-Push-Url", "/r/whistles")
	}
	p := s.residentPage(r, "resident.whistles.title", "whistles")
	ws := got.GetWhistles()
	// The latest first: a resident looks for what they reported last.
	for i, j := 0, len(ws)-1; i < j; i, j = i+1, j-1 {
		ws[i], ws[j] = ws[j], ws[i]
	}
	s.render(w, r, code, view.ResidentWhistlesPage(p, view.ResidentWhistles{Whistles: ws, Form: f, Errors: errs, RequestID: view.NewRequestID()}))
}

// residentReport files a report for the household; it waits REPORTED until the
// community triages it.
func (s *Server) residentReport(w http.ResponseWriter, r *http.Request) {
	f := view.ResidentReport{Category: r.PostFormValue("category"), Description: strings.TrimSpace(r.PostFormValue("description")), Address: strings.TrimSpace(r.PostFormValue("address"))}
	lang := visitOf(r).lang
	errs := view.Errors{}
	if f.Category == "" {
		errs["category"] = lang.T("resident.whistles.error.category")
	}
	if f.Description == "" {
		errs["description"] = lang.T("resident.whistles.error.description")
	}
	if errs.Any() {
		s.renderResidentWhistles(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	h, err := s.residentHousehold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = s.c.Governance.ReportWhistle(call(r), &governancepb.ReportWhistleRequest{CompoundId: h.GetCompoundId(), HouseholdId: h.GetId(),
		Category: f.Category, Description: f.Description, Address: f.Address, RequestId: r.PostFormValue("requestId")})
	if err != nil {
		if errs, ok := formErrors(lang, err); ok {
			s.renderResidentWhistles(w, r, http.StatusUnprocessableEntity, f, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/r/whistles?done=whistleReported", http.StatusSeeOther)
}

// residentRate rates a closed whistle of the household, once.
func (s *Server) residentRate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	lang := visitOf(r).lang
	rating, err := strconv.Atoi(r.PostFormValue("rating"))
	if err != nil || rating < 1 || rating > 5 {
		s.renderResidentWhistles(w, r, http.StatusUnprocessableEntity, view.ResidentReport{RateID: id}, view.Errors{"rating": lang.T("resident.whistles.error.rating")})
		return
	}
	_, err = s.c.Governance.RateWhistle(call(r), &governancepb.RateWhistleRequest{Id: id, HouseholdId: residentOwn(r), Rating: int32(rating), RequestId: r.PostFormValue("requestId")})
	if err != nil {
		if errs, ok := formErrors(lang, err); ok {
			s.renderResidentWhistles(w, r, http.StatusUnprocessableEntity, view.ResidentReport{RateID: id}, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/r/whistles?done=whistleRated#w-"+url.PathEscape(id), http.StatusSeeOther)
}

// residentNotices is the household's compound's board, in the residents' frame.
func (s *Server) residentNotices(w http.ResponseWriter, r *http.Request) {
	h, err := s.residentHousehold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderBoard(w, r, h.GetCompoundId(), s.residentPage(r, "notices.board.title", "notices"))
}
