package console

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/view"
)

// Golden ideas (金点子) of the compound: a household reads them, most endorsed first,
// proposes its own and endorses others' (once each; the survey service keeps the count).
// Who proposed an idea is not shown, only whether it was this household.
func init() {
	residentRoute("GET /r/ideas", (*Server).residentIdeas)
	residentRoute("POST /r/ideas", (*Server).residentPropose)
	residentRoute("POST /r/ideas/{id}/endorse", (*Server).residentEndorse)
	addResidentCard(30, "ideas", "/r/ideas")
}

func (s *Server) residentIdeas(w http.ResponseWriter, r *http.Request) {
	s.renderResidentIdeas(w, r, http.StatusOK, view.ResidentIdeaForm{}, nil)
}

// renderResidentIdeas shows the ideas and the proposal form (as typed, with errs, after
// a refusal; an endorsement's refusal is keyed "endorse.<idea id>").
func (s *Server) renderResidentIdeas(w http.ResponseWriter, r *http.Request, code int, f view.ResidentIdeaForm, errs view.Errors) {
	ctx, own := call(r), residentOwn(r)
	h, err := s.residentHousehold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ideas, err := listAll(func(tok string) ([]*surveypb.Idea, string, error) {
		got, err := s.c.Survey.ListIdeas(ctx, &surveypb.ListIdeasRequest{CompoundId: h.GetCompoundId(), OrderBy: "endorsements", PageSize: 1000, PageToken: tok})
		return got.GetIdeas(), got.GetNextPageToken(), err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.ResidentIdeas{Form: f}
	for _, i := range ideas {
		v.Rows = append(v.Rows, residentIdeaRow(i, own))
	}
	v.Form.RequestID = randomToken()
	if code == http.StatusUnprocessableEntity {
		w.Header().Set("HX-Push-Url", "/r/ideas")
	}
	p := s.residentPage(r, "resident.ideas.title", "ideas")
	s.render(w, r, code, view.ResidentIdeasPage(p, v, errs))
}

// residentIdeaRow is an idea as a household sees it: whether it is its own, never whose.
func residentIdeaRow(i *surveypb.Idea, own string) view.ResidentIdea {
	row := view.ResidentIdea{ID: i.GetId(), Text: i.GetText(), Category: i.GetCategory(), Endorsements: i.GetEndorsements(),
		Status: i.GetStatus().String(), Mine: own != "" && i.GetHouseholdId() == own, Created: view.Date(i.GetCreateTime())}
	switch i.GetStatus() {
	case surveypb.Idea_ADOPTED:
		row.Remarks = i.GetAdoptRemarks()
	case surveypb.Idea_DECLINED:
		row.Remarks = i.GetDeclineReason()
	}
	row.CanEndorse = !row.Mine && i.GetStatus() == surveypb.Idea_SUBMITTED
	return row
}

func (s *Server) residentPropose(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	f := view.ResidentIdeaForm{Text: strings.TrimSpace(r.PostFormValue("idea.text")), Category: strings.TrimSpace(r.PostFormValue("idea.category")),
		RequestID: r.PostFormValue("requestId")}
	if f.Text == "" {
		s.renderResidentIdeas(w, r, http.StatusUnprocessableEntity, f, view.Errors{"idea.text": lang.T("resident.ideas.err.text")})
		return
	}
	h, err := s.residentHousehold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = s.c.Survey.CreateIdea(call(r), &surveypb.CreateIdeaRequest{RequestId: f.RequestID, Idea: &surveypb.Idea{
		CompoundId: h.GetCompoundId(), HouseholdId: h.GetId(), Text: f.Text, Category: f.Category}})
	if err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderResidentIdeas(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	http.Redirect(w, r, "/r/ideas?done=resident.proposed", http.StatusSeeOther)
}

func (s *Server) residentEndorse(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	_, err := s.c.Survey.EndorseIdea(call(r), &surveypb.EndorseIdeaRequest{Id: id, HouseholdId: residentOwn(r), RequestId: r.PostFormValue("requestId")})
	if err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderResidentIdeas(w, r, http.StatusUnprocessableEntity, view.ResidentIdeaForm{}, view.Errors{"endorse." + id: residentFirst(errs)})
		return
	}
	http.Redirect(w, r, "/r/ideas?done=resident.endorsed#idea-"+url.PathEscape(id), http.StatusSeeOther)
}

// residentFirst is one of a refusal's errors: a button has no field to put them beside.
func residentFirst(errs view.Errors) string {
	if e := errs.Of(""); e != "" {
		return e
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return errs[keys[0]]
}
