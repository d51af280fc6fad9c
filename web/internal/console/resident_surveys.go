package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/view"
)

// A resident's surveys and votes: the compound's open surveys, each answered online for
// the household (rule 2: while the survey is OPEN a new answer replaces the old, and the
// tally moves with it). The answer form is the door-to-door form's questions, filled in
// with the household's current answer.
func init() {
	residentRoute("GET /r/surveys", (*Server).residentSurveys)
	residentRoute("GET /r/surveys/{id}", (*Server).residentSurvey)
	residentRoute("POST /r/surveys/{id}", (*Server).residentAnswer)
	addResidentCard(10, "surveys", "/r/surveys")
}

func (s *Server) residentSurveys(w http.ResponseWriter, r *http.Request) {
	ctx, own := call(r), residentOwn(r)
	h, err := s.residentHousehold(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	surveys, err := listAll(func(tok string) ([]*surveypb.Survey, string, error) {
		got, err := s.c.Survey.ListSurveys(ctx, &surveypb.ListSurveysRequest{CompoundId: h.GetCompoundId(), PageSize: 1000, PageToken: tok})
		return got.GetSurveys(), got.GetNextPageToken(), err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v view.ResidentSurveys
	for _, sv := range surveys {
		if sv.GetState() != surveypb.Survey_OPEN {
			continue
		}
		row := view.ResidentSurveyRow{ID: sv.GetId(), Title: sv.GetTitle(), Kind: sv.GetKind().String(), Opened: view.Date(sv.GetOpenTime())}
		x, err := s.residentResponse(r, sv.GetId(), own)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if x != nil {
			row.Answered, row.Answer = true, surveysFirstAnswer(sv, x)
		}
		v.Rows = append(v.Rows, row)
	}
	p := s.residentPage(r, "resident.surveys.title", "surveys")
	s.render(w, r, http.StatusOK, view.ResidentSurveysPage(p, v))
}

// residentResponse is the household's answer to a survey, or nil when it has none.
func (s *Server) residentResponse(r *http.Request, survey, household string) (*surveypb.Response, error) {
	x, err := s.c.Survey.GetResponse(call(r), &surveypb.GetResponseRequest{SurveyId: survey, HouseholdId: household})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	}
	return x, err
}

func (s *Server) residentSurvey(w http.ResponseWriter, r *http.Request) {
	s.renderResidentSurvey(w, r, http.StatusOK, nil, nil)
}

// renderResidentSurvey shows a survey's answer form: f as sent back with errs after a
// refusal, or (f nil) the household's current answer.
func (s *Server) renderResidentSurvey(w http.ResponseWriter, r *http.Request, code int, f *view.SurveysDoorForm, errs view.Errors) {
	ctx, own := call(r), residentOwn(r)
	sv, err := s.c.Survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	x, err := s.residentResponse(r, sv.GetId(), own)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.ResidentSurvey{ID: sv.GetId(), Title: sv.GetTitle(), Description: sv.GetDescription(), Kind: sv.GetKind().String(),
		State: sv.GetState().String(), Questions: residentQuestions(sv)}
	if sv.GetMatter() != surveypb.Survey_MATTER_UNSPECIFIED {
		v.Matter = sv.GetMatter().String()
	}
	if x != nil {
		v.Answered, v.Answer, v.AnsweredAt = true, surveysFirstAnswer(sv, x), view.DateTime(x.GetCollectedAt())
	}
	if f == nil {
		f = &view.SurveysDoorForm{Answers: residentAnswers(sv, x)}
	}
	f.RequestID = randomToken()
	v.Form = *f
	if code == http.StatusUnprocessableEntity {
		w.Header().Set("HX-Push-Url", "/r/surveys/"+url.PathEscape(sv.GetId()))
	}
	p := s.residentPage(r, "resident.surveys.title", "surveys")
	p.Title = sv.GetTitle()
	s.render(w, r, code, view.ResidentSurveyPage(p, v, errs))
}

// residentQuestions are the survey's questions as the answer form shows them.
func residentQuestions(sv *surveypb.Survey) []view.SurveysQuestion {
	var out []view.SurveysQuestion
	for _, q := range sv.GetQuestions() {
		vq := view.SurveysQuestion{ID: q.GetId(), Text: q.GetText(), Type: q.GetType().String()}
		for _, o := range q.GetOptions() {
			vq.Options = append(vq.Options, view.SurveysOption{ID: o.GetId(), Text: o.GetText()})
		}
		vq.ScaleMin, vq.ScaleMax = surveysScale(q)
		out = append(out, vq)
	}
	return out
}

// residentAnswers fills the answer form's fields (response.answers[i].…, by question
// index) with a response's answers: the household sees what it answered and changes it.
func residentAnswers(sv *surveypb.Survey, x *surveypb.Response) map[string][]string {
	out := map[string][]string{}
	if x == nil {
		return out
	}
	for i, q := range sv.GetQuestions() {
		k := fmt.Sprintf("response.answers[%d]", i)
		for _, a := range x.GetAnswers() {
			if a.GetQuestionId() != q.GetId() {
				continue
			}
			if len(a.GetOptionIds()) > 0 {
				out[k+".optionIds"] = append([]string(nil), a.GetOptionIds()...)
			}
			if a.GetScale() != 0 {
				out[k+".scale"] = []string{strconv.Itoa(int(a.GetScale()))}
			}
			if a.GetText() != "" {
				out[k+".text"] = []string{a.GetText()}
			}
		}
	}
	return out
}

// residentAnswer records the household's answer online; the household is the session's,
// never the form's.
func (s *Server) residentAnswer(w http.ResponseWriter, r *http.Request) {
	lang, ctx, own := visitOf(r).lang, call(r), residentOwn(r)
	sv, err := s.c.Survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := surveysDoorFormOf(r.PostForm, sv)
	f.Household, f.Channel, f.CollectedAt = own, surveypb.Response_ONLINE.String(), ""
	x, idx, errs := surveysResponseOf(lang, sv, f, "", s.now())
	if errs.Any() {
		s.renderResidentSurvey(w, r, http.StatusUnprocessableEntity, &f, errs)
		return
	}
	_, err = s.c.Survey.SubmitResponse(ctx, &surveypb.SubmitResponseRequest{SurveyId: sv.GetId(), Response: x, RequestId: f.RequestID})
	if err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderResidentSurvey(w, r, http.StatusUnprocessableEntity, &f, surveysAnswerErrors(errs, idx))
		return
	}
	http.Redirect(w, r, "/r/surveys/"+url.PathEscape(sv.GetId())+"?done=resident.answered", http.StatusSeeOther)
}
