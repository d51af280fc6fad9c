package console

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// The survey pages: a compound's surveys and courtyard meetings, the survey builder, the
// survey page with its live tally (rule 3 written out for resolutions), and the
// door-to-door entry a grid worker uses on a phone, offline too (rule 2: the later
// collected answer wins, which the survey service decides by collected_at).
func init() {
	route("GET /compounds/{id}/surveys", (*Server).surveysOfCompound)
	route("POST /compounds/{id}/surveys/meetings", (*Server).surveysMeetingCreate)
	route("POST /compounds/{id}/surveys/meetings/{meeting}/close", (*Server).surveysMeetingClose)
	route("GET /compounds/{id}/surveys/new", (*Server).surveysNew)
	route("POST /compounds/{id}/surveys/new", (*Server).surveysCreate)
	route("GET /surveys/{id}", (*Server).surveyPage)
	route("GET /surveys/{id}/edit", (*Server).surveysEdit)
	route("POST /surveys/{id}/edit", (*Server).surveysUpdate)
	route("GET /surveys/{id}/tally", (*Server).surveyTally)
	route("POST /surveys/{id}/open", (*Server).surveyOpen)
	route("POST /surveys/{id}/close", (*Server).surveyClose)
	route("GET /surveys/{id}/doors", (*Server).surveyDoors)
	route("POST /surveys/{id}/doors", (*Server).surveyDoorsSubmit)
	route("POST /surveys/{id}/doors/batch", (*Server).surveyDoorsBatch)
}

// Who may do what, as the survey service's policy says (the service still decides; the
// console only leaves out buttons that would be refused).
var (
	surveysEditors   = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "OWNERS_COMMITTEE"}
	surveysCollector = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER"}
)

// surveysBuilderRows is how many question rows the builder offers at first; "more rows"
// adds surveysBuilderMore at a time (a plain submit, so it works without scripts).
const (
	surveysBuilderRows = 5
	surveysBuilderMore = 3
	surveysBuilderMax  = 100
)

func (s *Server) surveysOfCompound(w http.ResponseWriter, r *http.Request) {
	s.renderSurveysOfCompound(w, r, http.StatusOK, view.SurveysMeetingForm{HeldAt: s.now().In(view.China).Format(surveysLocalTime)}, nil)
}

// renderSurveysOfCompound shows the list page; mf is the meeting form (as typed, with its
// errors, when it was refused: mf.Closing names the meeting whose closing form it is).
func (s *Server) renderSurveysOfCompound(w http.ResponseWriter, r *http.Request, code int, mf view.SurveysMeetingForm, errs view.Errors) {
	ctx, id := call(r), r.PathValue("id")
	c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var surveys []*surveypb.Survey
	for tok := ""; ; {
		got, err := s.c.Survey.ListSurveys(ctx, &surveypb.ListSurveysRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		surveys = append(surveys, got.GetSurveys()...)
		if tok = got.GetNextPageToken(); tok == "" {
			break
		}
	}
	var meetings []*surveypb.Meeting
	for tok := ""; ; {
		got, err := s.c.Survey.ListMeetings(ctx, &surveypb.ListMeetingsRequest{CompoundId: id, PageSize: 1000, PageToken: tok})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		meetings = append(meetings, got.GetMeetings()...)
		if tok = got.GetNextPageToken(); tok == "" {
			break
		}
	}
	// Newest first: the survey being worked on is the one a clerk looks for.
	sort.SliceStable(surveys, func(i, j int) bool {
		return surveys[i].GetCreateTime().AsTime().After(surveys[j].GetCreateTime().AsTime())
	})
	sort.SliceStable(meetings, func(i, j int) bool {
		return meetings[i].GetHeldAt().AsTime().After(meetings[j].GetHeldAt().AsTime())
	})
	p := s.page(r, "surveys.title", "compounds")
	p.Title = p.T("surveys.of", c.GetName())
	list := view.SurveysList{CompoundID: id, CompoundName: c.GetName(), Households: c.GetHouseholdCount(),
		CanCreate: p.Viewer.Can(surveysEditors...), CanMeet: p.Viewer.Can(surveysCollector...), Form: mf, Errors: errs}
	if list.Form.RequestID == "" {
		list.Form.RequestID = randomToken()
	}
	for _, sv := range surveys {
		list.Surveys = append(list.Surveys, surveysRow(sv, c.GetHouseholdCount()))
	}
	for _, m := range meetings {
		list.Meetings = append(list.Meetings, view.SurveysMeeting{ID: m.GetId(), Minutes: m.GetMinutes(), Title: m.GetTitle(), Place: m.GetPlace(), HeldAt: view.DateTime(m.GetHeldAt()),
			State: m.GetState().String(), Attendees: len(m.GetAttendeeHouseholdIds()), Topics: m.GetTopics(), Decisions: m.GetDecisions()})
	}
	s.render(w, r, code, view.SurveysOfCompound(p, list))
}

// surveysMeetingCreate records a courtyard meeting (planned or held) of the compound.
func (s *Server) surveysMeetingCreate(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	m := view.SurveysMeetingForm{Title: strings.TrimSpace(r.PostFormValue("meeting.title")), Place: strings.TrimSpace(r.PostFormValue("meeting.place")),
		HeldAt: r.PostFormValue("meeting.heldAt"), Topics: r.PostFormValue("meeting.topics"), RequestID: r.PostFormValue("requestId")}
	errs := view.Errors{}
	req := &surveypb.Meeting{CompoundId: id, Title: m.Title, Place: m.Place, Topics: surveysLines(m.Topics)}
	if m.Title == "" {
		errs["meeting.title"] = lang.T("surveys.err.meeting.title")
	}
	if at, err := time.ParseInLocation(surveysLocalTime, m.HeldAt, view.China); err != nil {
		errs["meeting.heldAt"] = lang.T("surveys.err.collected")
	} else {
		req.HeldAt = timestamppb.New(at)
	}
	if errs.Any() {
		s.renderSurveysOfCompound(w, r, http.StatusUnprocessableEntity, m, errs)
		return
	}
	if _, err := s.c.Survey.CreateMeeting(call(r), &surveypb.CreateMeetingRequest{Meeting: req, RequestId: m.RequestID}); err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderSurveysOfCompound(w, r, http.StatusUnprocessableEntity, m, surveysMeetingErrors(errs))
		return
	}
	http.Redirect(w, r, "/compounds/"+url.PathEscape(id)+"/surveys?done=surveys.meeting.recorded#surveys-meetings", http.StatusSeeOther)
}

// surveysMeetingErrors puts a list's errors (meeting.topics[2]) beside its textarea.
func surveysMeetingErrors(errs view.Errors) view.Errors {
	out := view.Errors{}
	for k, v := range errs {
		if i := strings.IndexByte(k, '['); i > 0 {
			k = k[:i]
		}
		if strings.HasPrefix(k, "meeting.") && k != "meeting.title" && k != "meeting.place" && k != "meeting.heldAt" && k != "meeting.topics" {
			k = ""
		}
		if out[k] == "" {
			out[k] = v
		}
	}
	return out
}

// surveysMeetingClose records a meeting's minutes and decisions and closes it.
func (s *Server) surveysMeetingClose(w http.ResponseWriter, r *http.Request) {
	lang, id, mid := visitOf(r).lang, r.PathValue("id"), r.PathValue("meeting")
	m := view.SurveysMeetingForm{Closing: mid, Minutes: strings.TrimSpace(r.PostFormValue("minutes")), Decisions: r.PostFormValue("decisions"),
		HeldAt: s.now().In(view.China).Format(surveysLocalTime)}
	if m.Minutes == "" {
		s.renderSurveysOfCompound(w, r, http.StatusUnprocessableEntity, m, view.Errors{"minutes": lang.T("surveys.err.minutes")})
		return
	}
	_, err := s.c.Survey.CloseMeeting(call(r), &surveypb.CloseMeetingRequest{Id: mid, Minutes: m.Minutes, Decisions: surveysLines(m.Decisions),
		RequestId: r.PostFormValue("requestId")})
	if err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		out := view.Errors{}
		for k, v := range errs {
			if i := strings.IndexByte(k, '['); i > 0 {
				k = k[:i]
			}
			if k != "minutes" && k != "decisions" {
				k = ""
			}
			out[k] = v
		}
		s.renderSurveysOfCompound(w, r, http.StatusUnprocessableEntity, m, out)
		return
	}
	http.Redirect(w, r, "/compounds/"+url.PathEscape(id)+"/surveys?done=surveys.meeting.closed#surveys-meetings", http.StatusSeeOther)
}

func surveysRow(sv *surveypb.Survey, households int32) view.SurveysRow {
	row := view.SurveysRow{ID: sv.GetId(), Title: sv.GetTitle(), Kind: sv.GetKind().String(), State: sv.GetState().String(),
		Created: view.Date(sv.GetCreateTime()), Opened: view.Date(sv.GetOpenTime()), Closed: view.Date(sv.GetCloseTime()),
		Responded: sv.GetRespondedHouseholds()}
	if households > 0 {
		row.Turnout = view.Percent(float64(sv.GetRespondedHouseholds()) / float64(households))
	}
	return row
}

// ---------------------------------------------------------------------------------------
// The builder

func (s *Server) surveysNew(w http.ResponseWriter, r *http.Request) {
	ctx, id := call(r), r.PathValue("id")
	c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := view.SurveysForm{CompoundID: id, CompoundName: c.GetName(), RequestID: randomToken(),
		Questions: make([]view.SurveysQuestionRow, surveysBuilderRows)}
	s.renderBuilder(w, r, http.StatusOK, f, nil)
}

func (s *Server) renderBuilder(w http.ResponseWriter, r *http.Request, code int, f view.SurveysForm, errs view.Errors) {
	p := s.page(r, "surveys.new.title", "compounds")
	if f.SurveyID != "" {
		p.Title = p.T("surveys.edit.title")
	}
	s.render(w, r, code, view.SurveysBuilder(p, f, errs))
}

// surveysFormOf reads the builder's form back, as typed.
func surveysFormOf(r *http.Request, id string) view.SurveysForm {
	f := view.SurveysForm{CompoundID: id, CompoundName: r.PostFormValue("compoundName"), RequestID: r.PostFormValue("requestId"),
		Title: strings.TrimSpace(r.PostFormValue("survey.title")), Description: strings.TrimSpace(r.PostFormValue("survey.description")),
		Kind: r.PostFormValue("survey.kind"), Matter: r.PostFormValue("survey.matter"), BusinessUses: r.PostForm["survey.businessUses"]}
	if f.RequestID == "" {
		f.RequestID = randomToken()
	}
	rows, _ := strconv.Atoi(r.PostFormValue("rows"))
	rows = min(max(rows, surveysBuilderRows), surveysBuilderMax)
	for i := range rows {
		pre := fmt.Sprintf("survey.questions[%d].", i)
		f.Questions = append(f.Questions, view.SurveysQuestionRow{Text: strings.TrimSpace(r.PostFormValue(pre + "text")),
			Type: r.PostFormValue(pre + "type"), Options: strings.TrimSpace(r.PostFormValue(pre + "options"))})
	}
	return f
}

var surveysQuestionIndex = regexp.MustCompile(`^survey\.questions\[(\d+)\]`)

func (s *Server) surveysCreate(w http.ResponseWriter, r *http.Request) {
	s.surveysSave(w, r, surveysFormOf(r, r.PathValue("id")))
}

// surveysSave drafts a new survey, or replaces a draft's fields (f.SurveyID set).
func (s *Server) surveysSave(w http.ResponseWriter, r *http.Request, f view.SurveysForm) {
	lang := visitOf(r).lang
	if r.PostFormValue("more") != "" {
		// Only more rows asked for: the same form, longer.
		for range surveysBuilderMore {
			if len(f.Questions) < surveysBuilderMax {
				f.Questions = append(f.Questions, view.SurveysQuestionRow{})
			}
		}
		s.renderBuilder(w, r, http.StatusOK, f, nil)
		return
	}
	sv, rowOf, errs := surveysBuild(lang, f)
	if errs.Any() {
		s.renderBuilder(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	var got *surveypb.Survey
	var err error
	done := "created"
	if f.SurveyID == "" {
		got, err = s.c.Survey.CreateSurvey(call(r), &surveypb.CreateSurveyRequest{Survey: sv, RequestId: f.RequestID})
	} else {
		// The etag read with the form refuses to overwrite what someone else changed since.
		sv.Id, sv.Etag, sv.CompoundId, sv.Kind, done = f.SurveyID, f.Etag, "", surveypb.Survey_KIND_UNSPECIFIED, "updated"
		got, err = s.c.Survey.UpdateSurvey(call(r), &surveypb.UpdateSurveyRequest{Survey: sv,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title", "description", "questions", "matter", "business_uses"}}})
	}
	if err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		// The service numbers questions as sent (empty rows left out); the form by row.
		moved := view.Errors{}
		for k, v := range errs {
			if m := surveysQuestionIndex.FindStringSubmatch(k); m != nil {
				if n, _ := strconv.Atoi(m[1]); n < len(rowOf) {
					k = fmt.Sprintf("survey.questions[%d]", rowOf[n]) + k[len(m[0]):]
				}
			}
			moved[surveysBuilderField(k)] = v
		}
		if status.Code(err) == codes.Aborted {
			moved = view.Errors{"": lang.T("surveys.err.stale")}
		}
		s.renderBuilder(w, r, http.StatusUnprocessableEntity, f, moved)
		return
	}
	http.Redirect(w, r, "/surveys/"+url.PathEscape(got.GetId())+"?done=surveys."+done, http.StatusSeeOther)
}

// surveysEdit shows a draft in the builder; once open, its questions are fixed.
func (s *Server) surveysEdit(w http.ResponseWriter, r *http.Request) {
	ctx := call(r)
	sv, err := s.c.Survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sv.GetState() != surveypb.Survey_DRAFT {
		http.Redirect(w, r, "/surveys/"+url.PathEscape(sv.GetId())+"?done=surveys.refused", http.StatusSeeOther)
		return
	}
	f := view.SurveysForm{SurveyID: sv.GetId(), Etag: sv.GetEtag(), CompoundID: sv.GetCompoundId(), Title: sv.GetTitle(),
		Description: sv.GetDescription(), Kind: sv.GetKind().String()}
	if c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: sv.GetCompoundId()}); err == nil {
		f.CompoundName = c.GetName()
	}
	if sv.GetMatter() != surveypb.Survey_MATTER_UNSPECIFIED {
		f.Matter = sv.GetMatter().String()
	}
	for _, u := range sv.GetBusinessUses() {
		f.BusinessUses = append(f.BusinessUses, u.String())
	}
	for _, q := range sv.GetQuestions() {
		row := view.SurveysQuestionRow{Text: q.GetText(), Type: q.GetType().String()}
		var opts []string
		for _, o := range q.GetOptions() {
			opts = append(opts, o.GetText())
		}
		row.Options = strings.Join(opts, "\n")
		f.Questions = append(f.Questions, row)
	}
	for len(f.Questions) < surveysBuilderRows || len(f.Questions) < surveysBuilderMax && len(f.Questions) < len(sv.GetQuestions())+2 {
		f.Questions = append(f.Questions, view.SurveysQuestionRow{})
	}
	s.renderBuilder(w, r, http.StatusOK, f, nil)
}

func (s *Server) surveysUpdate(w http.ResponseWriter, r *http.Request) {
	f := surveysFormOf(r, r.PostFormValue("compoundId"))
	f.SurveyID, f.Etag = r.PathValue("id"), r.PostFormValue("etag")
	s.surveysSave(w, r, f)
}

// surveysBuilderField is the form field an API error belongs beside: the builder has no
// inputs for question and option ids (it names them itself), so their errors go to the
// row's text or options.
func surveysBuilderField(k string) string {
	if m := surveysQuestionIndex.FindStringSubmatch(k); m != nil {
		rest := k[len(m[0]):]
		switch {
		case rest == ".type" || rest == ".text":
			return k
		case strings.HasPrefix(rest, ".options") || rest == "" || strings.HasPrefix(rest, ".scale"):
			return m[0] + ".options"
		default:
			return m[0] + ".text"
		}
	}
	if strings.HasPrefix(k, "survey.businessUses") {
		return "survey.businessUses"
	}
	switch k {
	case "survey.title", "survey.kind", "survey.matter", "survey.description":
		return k
	case "survey.questions":
		return "survey.questions[0].text"
	}
	if k == "survey" || k == "survey.compoundId" || k == "requestId" {
		return ""
	}
	return k
}

// surveysBuild turns the form into a survey, checking what a clerk most often gets wrong
// in the clerk's words (the service checks everything again). Question ids are q1, q2, …
// by row; option ids are o1, o2, … except for the first question of a resolution (agree,
// disagree, abstain) and of an acceptance survey (satisfied, unsatisfied), whose ids the
// service reads as the vote. rowOf maps the survey's questions to the form's rows.
func surveysBuild(lang i18n.Lang, f view.SurveysForm) (*surveypb.Survey, []int, view.Errors) {
	errs := view.Errors{}
	sv := &surveypb.Survey{CompoundId: f.CompoundID, Title: f.Title, Description: f.Description}
	if f.Title == "" {
		errs["survey.title"] = lang.T("surveys.err.title")
	}
	kind := surveypb.Survey_Kind(surveypb.Survey_Kind_value[f.Kind])
	if kind == surveypb.Survey_KIND_UNSPECIFIED {
		errs["survey.kind"] = lang.T("surveys.err.kind")
	}
	sv.Kind = kind
	matter := surveypb.Survey_Matter(surveypb.Survey_Matter_value[f.Matter])
	switch {
	case kind == surveypb.Survey_RESOLUTION && matter == surveypb.Survey_MATTER_UNSPECIFIED:
		errs["survey.matter"] = lang.T("surveys.err.matter")
	case kind != surveypb.Survey_RESOLUTION && matter != surveypb.Survey_MATTER_UNSPECIFIED:
		errs["survey.matter"] = lang.T("surveys.err.matter.only")
	}
	sv.Matter = matter
	for _, u := range f.BusinessUses {
		if v := surveypb.Survey_BusinessUse(surveypb.Survey_BusinessUse_value[u]); v != surveypb.Survey_BUSINESS_USE_UNSPECIFIED {
			sv.BusinessUses = append(sv.BusinessUses, v)
		}
	}
	business := kind == surveypb.Survey_RESOLUTION && matter == surveypb.Survey_COMMON_PART_BUSINESS
	if business && len(sv.BusinessUses) == 0 {
		errs["survey.businessUses"] = lang.T("surveys.err.business")
	}
	if !business && len(sv.BusinessUses) > 0 {
		errs["survey.businessUses"] = lang.T("surveys.err.business.only")
	}
	var rowOf []int
	for i, q := range f.Questions {
		opts := surveysLines(q.Options)
		if q.Text == "" && len(opts) == 0 {
			continue
		}
		pre := fmt.Sprintf("survey.questions[%d].", i)
		first := len(rowOf) == 0
		typ := surveypb.Question_Type(surveypb.Question_Type_value[q.Type])
		if typ == surveypb.Question_TYPE_UNSPECIFIED {
			typ = surveypb.Question_SINGLE_CHOICE
		}
		// The vote of a resolution and the verdict of an acceptance have fixed answers:
		// left empty, they are filled in.
		if first && len(opts) == 0 && typ == surveypb.Question_SINGLE_CHOICE {
			switch kind {
			case surveypb.Survey_RESOLUTION:
				opts = []string{lang.T("surveys.vote.agree"), lang.T("surveys.vote.disagree"), lang.T("surveys.vote.abstain")}
			case surveypb.Survey_ACCEPTANCE:
				opts = []string{lang.T("surveys.verdict.satisfied"), lang.T("surveys.verdict.unsatisfied")}
			}
		}
		if q.Text == "" {
			errs[pre+"text"] = lang.T("surveys.err.qtext")
		}
		choice := typ == surveypb.Question_SINGLE_CHOICE || typ == surveypb.Question_MULTI_CHOICE
		if choice && len(opts) < 2 {
			errs[pre+"options"] = lang.T("surveys.err.options")
		}
		if !choice && len(opts) > 0 {
			errs[pre+"options"] = lang.T("surveys.err.options.none")
		}
		if first {
			switch kind {
			case surveypb.Survey_NEEDS:
				if typ != surveypb.Question_SINGLE_CHOICE {
					errs[pre+"type"] = lang.T("surveys.err.first.needs")
				}
			case surveypb.Survey_RESOLUTION:
				if typ != surveypb.Question_SINGLE_CHOICE || len(opts) < 2 || len(opts) > 3 {
					errs[pre+"options"] = lang.T("surveys.err.first.resolution")
				}
			case surveypb.Survey_ACCEPTANCE:
				if typ != surveypb.Question_SINGLE_CHOICE || len(opts) != 2 {
					errs[pre+"options"] = lang.T("surveys.err.first.acceptance")
				}
			}
		}
		pq := &surveypb.Question{Id: fmt.Sprintf("q%d", len(rowOf)+1), Text: q.Text, Type: typ}
		for j, o := range opts {
			pq.Options = append(pq.Options, &surveypb.QuestionOption{Id: surveysOptionID(kind, first, j), Text: o})
		}
		if !choice {
			pq.Options = nil
		}
		sv.Questions = append(sv.Questions, pq)
		rowOf = append(rowOf, i)
	}
	if len(rowOf) == 0 {
		errs["survey.questions[0].text"] = lang.T("surveys.err.noquestion")
	}
	return sv, rowOf, errs
}

func surveysOptionID(kind surveypb.Survey_Kind, first bool, j int) string {
	if first {
		switch kind {
		case surveypb.Survey_RESOLUTION:
			if j < 3 {
				return []string{"agree", "disagree", "abstain"}[j]
			}
		case surveypb.Survey_ACCEPTANCE:
			if j < 2 {
				return []string{"satisfied", "unsatisfied"}[j]
			}
		}
	}
	return fmt.Sprintf("o%d", j+1)
}

// surveysLines are the non-empty lines of a textarea.
func surveysLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------
// The survey page and its tally

func (s *Server) surveyPage(w http.ResponseWriter, r *http.Request) {
	ctx, id := call(r), r.PathValue("id")
	sv, err := s.c.Survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tally, err := s.surveysTally(r, sv)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "surveys.title", "compounds")
	p.Title = sv.GetTitle()
	sp := view.SurveysPage{ID: sv.GetId(), CompoundID: sv.GetCompoundId(), Title: sv.GetTitle(), Description: sv.GetDescription(),
		Kind: sv.GetKind().String(), State: sv.GetState().String(), Matter: sv.GetMatter().String(),
		Created: view.DateTime(sv.GetCreateTime()), Opened: view.DateTime(sv.GetOpenTime()), Closed: view.DateTime(sv.GetCloseTime()),
		Tally: tally, CanManage: p.Viewer.Can(surveysEditors...), CanCollect: p.Viewer.Can(surveysCollector...)}
	if sv.GetMatter() == surveypb.Survey_MATTER_UNSPECIFIED {
		sp.Matter = ""
	}
	for _, u := range sv.GetBusinessUses() {
		sp.BusinessUses = append(sp.BusinessUses, u.String())
	}
	if c, err := s.c.Governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: sv.GetCompoundId()}); err == nil {
		sp.CompoundName = c.GetName()
	}
	for _, q := range sv.GetQuestions() {
		vq := view.SurveysQuestion{ID: q.GetId(), Text: q.GetText(), Type: q.GetType().String()}
		for _, o := range q.GetOptions() {
			vq.Options = append(vq.Options, view.SurveysOption{ID: o.GetId(), Text: o.GetText()})
		}
		vq.ScaleMin, vq.ScaleMax = surveysScale(q)
		sp.Questions = append(sp.Questions, vq)
	}
	if sp.CanCollect && sv.GetState() != surveypb.Survey_DRAFT {
		rs, labels, err := s.surveysResponses(r, sv)
		switch status.Code(err) {
		case codes.OK:
			sp.ShowResponses = true
			for _, x := range rs {
				row := view.SurveysResponse{Household: labels[x.GetHouseholdId()], Channel: x.GetChannel().String(),
					Collected: view.DateTime(x.GetCollectedAt()), Submitted: view.DateTime(x.GetSubmitTime())}
				if row.Household == "" {
					row.Household = x.GetHouseholdId()
				}
				row.Answer = surveysFirstAnswer(sv, x)
				sp.Responses = append(sp.Responses, row)
			}
		case codes.PermissionDenied:
			// Not the viewer's to see; the tally is.
		default:
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, view.SurveyPage(p, sp))
}

func surveysScale(q *surveypb.Question) (int32, int32) {
	if q.GetType() != surveypb.Question_SCALE {
		return 0, 0
	}
	if q.GetScaleMin() == 0 && q.GetScaleMax() == 0 {
		return 1, 5
	}
	return q.GetScaleMin(), q.GetScaleMax()
}

// surveysFirstAnswer is the answer to the question that carries the survey's meaning.
func surveysFirstAnswer(sv *surveypb.Survey, x *surveypb.Response) string {
	if len(sv.GetQuestions()) == 0 {
		return ""
	}
	q := sv.GetQuestions()[0]
	for _, a := range x.GetAnswers() {
		if a.GetQuestionId() != q.GetId() {
			continue
		}
		var parts []string
		for _, o := range a.GetOptionIds() {
			for _, qo := range q.GetOptions() {
				if qo.GetId() == o {
					parts = append(parts, qo.GetText())
				}
			}
		}
		if a.GetScale() != 0 {
			parts = append(parts, strconv.Itoa(int(a.GetScale())))
		}
		if a.GetText() != "" {
			parts = append(parts, a.GetText())
		}
		return strings.Join(parts, "、")
	}
	return ""
}

// surveysResponses lists the survey's responses, latest collected first, with the
// households' labels (building, unit, room).
func (s *Server) surveysResponses(r *http.Request, sv *surveypb.Survey) ([]*surveypb.Response, map[string]string, error) {
	ctx := call(r)
	var rs []*surveypb.Response
	for tok := ""; ; {
		got, err := s.c.Survey.ListResponses(ctx, &surveypb.ListResponsesRequest{SurveyId: sv.GetId(), PageSize: 1000, PageToken: tok})
		if err != nil {
			return nil, nil, err
		}
		rs = append(rs, got.GetResponses()...)
		if tok = got.GetNextPageToken(); tok == "" {
			break
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].GetCollectedAt().AsTime().After(rs[j].GetCollectedAt().AsTime()) })
	labels := map[string]string{}
	if len(rs) > 0 {
		groups, err := s.surveysHouseholds(r, sv.GetCompoundId(), nil)
		if err != nil {
			return nil, nil, err
		}
		for _, g := range groups {
			for _, h := range g.Households {
				labels[h.ID] = g.Building + " " + h.Label
			}
		}
	}
	return rs, labels, nil
}

func (s *Server) surveyTally(w http.ResponseWriter, r *http.Request) {
	failed := func(err error) {
		if r.Header.Get("HX-Request") == "true" {
			// A refresh that fails (a service restarting) keeps the tally shown; the next
			// one tries again. 204 is what htmx leaves alone.
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.fail(w, r, err)
	}
	sv, err := s.c.Survey.GetSurvey(call(r), &surveypb.GetSurveyRequest{Id: r.PathValue("id")})
	if err != nil {
		failed(err)
		return
	}
	tally, err := s.surveysTally(r, sv)
	if err != nil {
		failed(err)
		return
	}
	p := s.page(r, "surveys.title", "compounds")
	s.render(w, r, http.StatusOK, view.SurveysTally(p, tally))
}

// surveysTally gathers the statistics and, for a resolution, the result against rule 3.
func (s *Server) surveysTally(r *http.Request, sv *surveypb.Survey) (view.SurveysTallyView, error) {
	ctx := call(r)
	t := view.SurveysTallyView{SurveyID: sv.GetId(), Kind: sv.GetKind().String(), State: sv.GetState().String(),
		Live: sv.GetState() == surveypb.Survey_OPEN, AsOf: view.DateTime(timestamppb.New(s.now()))}
	if sv.GetState() == surveypb.Survey_DRAFT {
		return t, nil
	}
	st, err := s.c.Survey.GetSurveyStats(ctx, &surveypb.GetSurveyStatsRequest{SurveyId: sv.GetId()})
	if err != nil {
		return t, err
	}
	t.HasStats = true
	t.Responded, t.Total, t.Participation = st.GetRespondedHouseholds(), st.GetTotalHouseholds(), view.Percent(st.GetParticipation())
	t.Willing, t.Willingness = st.GetWillingHouseholds(), view.Percent(st.GetWillingness())
	for _, q := range st.GetQuestions() {
		vq := view.SurveysQuestionStats{Text: q.GetText(), Type: q.GetType().String(), Answered: q.GetAnswered()}
		if q.GetType() == surveypb.Question_SCALE {
			vq.Mean = strconv.FormatFloat(q.GetScaleMean(), 'f', 2, 64)
		}
		for _, o := range q.GetOptions() {
			vq.Options = append(vq.Options, view.SurveysOptionStats{Text: o.GetText(), Count: o.GetCount(), Share: view.Percent(o.GetShare())})
		}
		t.Questions = append(t.Questions, vq)
	}
	if sv.GetKind() == surveypb.Survey_RESOLUTION {
		res, err := s.c.Survey.GetResolutionResult(ctx, &surveypb.GetResolutionResultRequest{SurveyId: sv.GetId()})
		if err != nil {
			return t, err
		}
		area := func(m2 float64) string { return strconv.FormatFloat(m2, 'f', 2, 64) }
		t.Resolution = &view.SurveysResolution{
			Passed: res.GetPassed(), Frozen: res.GetFrozen(),
			ParticipationMet: res.GetParticipationMet(), ConsentMet: res.GetConsentMet(),
			ConsentStrict: res.GetConsentStrict(), Matter: res.GetMatter().String(),
			ParticipationThreshold: surveysFraction(res.GetParticipationThreshold()),
			ConsentThreshold:       surveysFraction(res.GetConsentThreshold()),
			TotalHouseholds:        view.Count(res.GetTotalHouseholds()), TotalArea: area(res.GetTotalAreaM2()),
			VotedHouseholds: view.Count(res.GetVotedHouseholds()), VotedArea: area(res.GetVotedAreaM2()),
			AgreeHouseholds: view.Count(res.GetAgreeHouseholds()), AgreeArea: area(res.GetAgreeAreaM2()),
			DisagreeHouseholds: view.Count(res.GetDisagreeHouseholds()), DisagreeArea: area(res.GetDisagreeAreaM2()),
			AbstainHouseholds: view.Count(res.GetAbstainHouseholds()), AbstainArea: area(res.GetAbstainAreaM2()),
			ParticipationByHouseholds: view.Percent(res.GetParticipationByHouseholds()),
			ParticipationByArea:       view.Percent(res.GetParticipationByArea()),
			ConsentByHouseholds:       view.Percent(res.GetConsentByHouseholds()),
			ConsentByArea:             view.Percent(res.GetConsentByArea()),
			// Each condition on its own, as rule 3 states them (the service compares exactly
			// on counts and areas; these shares are rounded for reading).
			ParticipationHouseholdsMet: surveysMeets(res.GetParticipationByHouseholds(), res.GetParticipationThreshold(), false),
			ParticipationAreaMet:       surveysMeets(res.GetParticipationByArea(), res.GetParticipationThreshold(), false),
			ConsentHouseholdsMet:       surveysMeets(res.GetConsentByHouseholds(), res.GetConsentThreshold(), res.GetConsentStrict()),
			ConsentAreaMet:             surveysMeets(res.GetConsentByArea(), res.GetConsentThreshold(), res.GetConsentStrict()),
		}
	}
	return t, nil
}

// surveysMeets compares a ratio with its threshold with a little room for the rounding of
// doubles (2/3 of 3 households is 2 exactly); the service's own verdict is the one shown
// as passed or not.
func surveysMeets(ratio, threshold float64, strict bool) bool {
	const eps = 1e-9
	if strict {
		return ratio > threshold+eps
	}
	return ratio >= threshold-eps
}

// surveysFraction writes the thresholds as rule 3 states them.
func surveysFraction(x float64) string {
	for _, f := range []struct {
		v float64
		s string
	}{{2.0 / 3, "2/3"}, {3.0 / 4, "3/4"}, {1.0 / 2, "1/2"}} {
		if x > f.v-1e-6 && x < f.v+1e-6 {
			return f.s
		}
	}
	return view.Percent(x)
}

func (s *Server) surveyOpen(w http.ResponseWriter, r *http.Request) {
	s.surveyStep(w, r, "opened", func(id string) error {
		_, err := s.c.Survey.OpenSurvey(call(r), &surveypb.OpenSurveyRequest{Id: id})
		return err
	})
}

func (s *Server) surveyClose(w http.ResponseWriter, r *http.Request) {
	s.surveyStep(w, r, "closed", func(id string) error {
		_, err := s.c.Survey.CloseSurvey(call(r), &surveypb.CloseSurveyRequest{Id: id})
		return err
	})
}

// surveyStep opens or closes a survey; a refusal of the rules (no question, already
// closed) is told above the survey page.
func (s *Server) surveyStep(w http.ResponseWriter, r *http.Request, done string, step func(id string) error) {
	id := r.PathValue("id")
	if err := step(id); err != nil {
		if st := status.Code(err); st == codes.FailedPrecondition || st == codes.InvalidArgument || st == codes.Aborted {
			http.Redirect(w, r, "/surveys/"+url.PathEscape(id)+"?done=surveys.refused", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/surveys/"+url.PathEscape(id)+"?done=surveys."+done, http.StatusSeeOther)
}

// ---------------------------------------------------------------------------------------
// Door to door

// surveysHouseholds are the compound's households by building, in building and room
// order; answered marks those that already have a response.
func (s *Server) surveysHouseholds(r *http.Request, compound string, answered map[string]bool) ([]view.SurveysBuilding, error) {
	ctx, lang := call(r), visitOf(r).lang
	var buildings []*governancepb.Building
	for tok := ""; ; {
		got, err := s.c.Governance.ListBuildings(ctx, &governancepb.ListBuildingsRequest{CompoundId: compound, PageSize: 1000, PageToken: tok})
		if err != nil {
			return nil, err
		}
		buildings = append(buildings, got.GetBuildings()...)
		if tok = got.GetNextPageToken(); tok == "" {
			break
		}
	}
	byBuilding := map[string][]*governancepb.Household{}
	for tok := ""; ; {
		got, err := s.c.Governance.ListHouseholds(ctx, &governancepb.ListHouseholdsRequest{CompoundId: compound, PageSize: 1000, PageToken: tok})
		if err != nil {
			return nil, err
		}
		for _, h := range got.GetHouseholds() {
			byBuilding[h.GetBuildingId()] = append(byBuilding[h.GetBuildingId()], h)
		}
		if tok = got.GetNextPageToken(); tok == "" {
			break
		}
	}
	var out []view.SurveysBuilding
	for _, b := range buildings {
		hs := byBuilding[b.GetId()]
		sort.SliceStable(hs, func(i, j int) bool {
			if hs[i].GetUnit() != hs[j].GetUnit() {
				return naturalLess(hs[i].GetUnit(), hs[j].GetUnit())
			}
			return naturalLess(hs[i].GetRoom(), hs[j].GetRoom())
		})
		g := view.SurveysBuilding{Building: b.GetName()}
		for _, h := range hs {
			label := lang.T("surveys.room", h.GetRoom())
			if h.GetUnit() != "" {
				label = lang.T("surveys.unit", h.GetUnit()) + " " + label
			}
			g.Households = append(g.Households, view.SurveysHousehold{ID: h.GetId(), Label: label, Answered: answered[h.GetId()]})
		}
		if len(g.Households) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

func (s *Server) surveyDoors(w http.ResponseWriter, r *http.Request) {
	sv, err := s.c.Survey.GetSurvey(call(r), &surveypb.GetSurveyRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := view.SurveysDoorForm{Channel: surveypb.Response_DOOR_TO_DOOR.String(), CollectedAt: s.now().In(view.China).Format(surveysLocalTime),
		Answers: map[string][]string{}}
	s.renderDoors(w, r, http.StatusOK, sv, f, nil)
}

// surveysLocalTime is the format of <input type="datetime-local">, read in the district's time.
const surveysLocalTime = "2006-01-02T15:04"

func (s *Server) renderDoors(w http.ResponseWriter, r *http.Request, code int, sv *surveypb.Survey, f view.SurveysDoorForm, errs view.Errors) {
	answered := map[string]bool{}
	if rs, _, err := s.surveysResponsesOnly(r, sv.GetId()); err == nil {
		for _, x := range rs {
			answered[x.GetHouseholdId()] = true
		}
		f.Answered = len(rs)
	}
	groups, err := s.surveysHouseholds(r, sv.GetCompoundId(), answered)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.RequestID = randomToken()
	p := s.page(r, "surveys.doors.title", "compounds")
	d := view.SurveysDoors{ID: sv.GetId(), Title: sv.GetTitle(), State: sv.GetState().String(), Buildings: groups}
	for _, g := range groups {
		d.Households += len(g.Households)
	}
	for _, q := range sv.GetQuestions() {
		vq := view.SurveysQuestion{ID: q.GetId(), Text: q.GetText(), Type: q.GetType().String()}
		for _, o := range q.GetOptions() {
			vq.Options = append(vq.Options, view.SurveysOption{ID: o.GetId(), Text: o.GetText()})
		}
		vq.ScaleMin, vq.ScaleMax = surveysScale(q)
		d.Questions = append(d.Questions, vq)
	}
	s.render(w, r, code, view.SurveysDoorEntry(p, d, f, errs))
}

func (s *Server) surveysResponsesOnly(r *http.Request, id string) ([]*surveypb.Response, string, error) {
	var rs []*surveypb.Response
	for tok := ""; ; {
		got, err := s.c.Survey.ListResponses(call(r), &surveypb.ListResponsesRequest{SurveyId: id, PageSize: 1000, PageToken: tok})
		if err != nil {
			return nil, "", err
		}
		rs = append(rs, got.GetResponses()...)
		if tok = got.GetNextPageToken(); tok == "" {
			return rs, "", nil
		}
	}
}

// surveysDoorFormOf reads one door-to-door entry: the household, channel, collected-at
// time and one answer per question, named response.answers[i].… by question index.
func surveysDoorFormOf(v url.Values, sv *surveypb.Survey) view.SurveysDoorForm {
	f := view.SurveysDoorForm{Household: v.Get("response.householdId"), Channel: v.Get("response.channel"),
		CollectedAt: v.Get("response.collectedAt"), RequestID: v.Get("requestId"), Answers: map[string][]string{}}
	for i := range sv.GetQuestions() {
		k := fmt.Sprintf("response.answers[%d]", i)
		for _, suffix := range []string{".optionIds", ".scale", ".text"} {
			for _, x := range v[k+suffix] {
				if x = strings.TrimSpace(x); x != "" {
					f.Answers[k+suffix] = append(f.Answers[k+suffix], x)
				}
			}
		}
	}
	return f
}

var surveysBatchIndex = regexp.MustCompile(`^responses\[(\d+)\]`)

var surveysBatchMention = regexp.MustCompile(`\bresponses\[(\d+)\]`)

var surveysAnswerIndex = regexp.MustCompile(`^(responses\[\d+\]|response)\.answers\[(\d+)\]`)

// surveysResponseOf builds the response of an entry; errs are the entry's own mistakes,
// keyed as the form's fields. Answers are sent in question order, the unanswered left
// out, so idx maps the request's answers to the questions.
func surveysResponseOf(lang i18n.Lang, sv *surveypb.Survey, f view.SurveysDoorForm, collector string, now time.Time) (*surveypb.Response, []int, view.Errors) {
	errs := view.Errors{}
	x := &surveypb.Response{HouseholdId: f.Household, CollectorId: collector}
	if f.Household == "" {
		errs["response.householdId"] = lang.T("surveys.err.household")
	}
	x.Channel = surveypb.Response_Channel(surveypb.Response_Channel_value[f.Channel])
	if x.Channel == surveypb.Response_CHANNEL_UNSPECIFIED {
		x.Channel = surveypb.Response_DOOR_TO_DOOR
	}
	if f.CollectedAt != "" {
		at, err := time.ParseInLocation(surveysLocalTime, f.CollectedAt, view.China)
		switch {
		case err != nil:
			errs["response.collectedAt"] = lang.T("surveys.err.collected")
		case at.After(now.Add(10 * time.Minute)):
			errs["response.collectedAt"] = lang.T("surveys.err.collected.future")
		default:
			x.CollectedAt = timestamppb.New(at)
		}
	}
	var idx []int
	for i, q := range sv.GetQuestions() {
		k := fmt.Sprintf("response.answers[%d]", i)
		a := &surveypb.Answer{QuestionId: q.GetId()}
		switch q.GetType() {
		case surveypb.Question_SINGLE_CHOICE, surveypb.Question_MULTI_CHOICE:
			a.OptionIds = f.Answers[k+".optionIds"]
		case surveypb.Question_SCALE:
			if v := f.Answers[k+".scale"]; len(v) > 0 {
				n, _ := strconv.Atoi(v[0])
				a.Scale = int32(n)
			}
		case surveypb.Question_TEXT:
			if v := f.Answers[k+".text"]; len(v) > 0 {
				a.Text = v[0]
			}
		}
		if len(a.OptionIds) == 0 && a.Scale == 0 && a.Text == "" {
			if i == 0 {
				errs[k] = lang.T("surveys.err.first")
			}
			continue
		}
		x.Answers = append(x.Answers, a)
		idx = append(idx, i)
	}
	return x, idx, errs
}

func (s *Server) surveyDoorsSubmit(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	ctx := call(r)
	sv, err := s.c.Survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := surveysDoorFormOf(r.PostForm, sv)
	x, idx, errs := surveysResponseOf(lang, sv, f, visitOf(r).session.GetAccount().GetId(), s.now())
	if errs.Any() {
		s.renderDoors(w, r, http.StatusUnprocessableEntity, sv, f, errs)
		return
	}
	// The form's request id makes sending it twice (a double tap, a retry after a
	// timeout) record it once.
	_, err = s.c.Survey.SubmitResponse(ctx, &surveypb.SubmitResponseRequest{SurveyId: id, Response: x, RequestId: f.RequestID})
	if err != nil {
		errs, ok := formErrors(lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderDoors(w, r, http.StatusUnprocessableEntity, sv, f, surveysAnswerErrors(errs, idx))
		return
	}
	http.Redirect(w, r, "/surveys/"+url.PathEscape(id)+"/doors?done=surveys.recorded", http.StatusSeeOther)
}

// surveysAnswerErrors puts the service's errors beside the questions they are about (its
// answers[i] counts only the answered questions) and beside the household and time.
func surveysAnswerErrors(errs view.Errors, idx []int) view.Errors {
	out := view.Errors{}
	for k, v := range errs {
		if m := surveysAnswerIndex.FindStringSubmatch(k); m != nil {
			if n, _ := strconv.Atoi(m[2]); n < len(idx) {
				k = fmt.Sprintf("response.answers[%d]", idx[n])
			}
		} else if k == "response.answers" {
			k = "response.answers[0]"
		}
		if out[k] == "" {
			out[k] = v
		}
	}
	return out
}

// surveysQueued is one answer sheet kept on a phone while offline: the form's fields as
// name and value pairs, exactly as the form would have posted them.
type surveysQueued [][2]string

// surveyDoorsBatch takes the answers a phone kept while offline, all in one batch
// (BatchSubmitResponses applies them in order and atomically; each carries the time it
// was collected, so the later collected answer of a household wins, rule 2). It answers
// JSON for the script that sent it.
func (s *Server) surveyDoorsBatch(w http.ResponseWriter, r *http.Request) {
	lang, id := visitOf(r).lang, r.PathValue("id")
	ctx := call(r)
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	var queued []surveysQueued
	if err := json.Unmarshal([]byte(r.PostFormValue("responses")), &queued); err != nil || len(queued) == 0 || len(queued) > 1000 {
		reply(http.StatusBadRequest, map[string]string{"error": lang.T("surveys.err.batch")})
		return
	}
	sv, err := s.c.Survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: id})
	if err != nil {
		reply(surveysHTTPCode(err), map[string]string{"error": surveysErrorText(lang, err)})
		return
	}
	req := &surveypb.BatchSubmitResponsesRequest{SurveyId: id}
	ids := make([]string, 0, len(queued))
	collector := visitOf(r).session.GetAccount().GetId()
	for n, q := range queued {
		v := url.Values{}
		for _, kv := range q {
			v.Add(kv[0], kv[1])
		}
		x, _, errs := surveysResponseOf(lang, sv, surveysDoorFormOf(v, sv), collector, s.now())
		if errs.Any() {
			reply(http.StatusUnprocessableEntity, map[string]any{"error": lang.T("surveys.err.queued", n+1), "index": n})
			return
		}
		req.Responses = append(req.Responses, x)
		ids = append(ids, v.Get("requestId"))
	}
	// The batch's request id follows from its sheets' own: sending the same queue again
	// (the answer was lost on the way back) records it once.
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	req.RequestId = "doors-" + hex.EncodeToString(sum[:16])
	got, err := s.c.Survey.BatchSubmitResponses(ctx, req)
	if err != nil {
		// A sheet the service refuses (a household no longer of the compound) is named,
		// so that the phone can set it aside and send the others.
		if errs, ok := formErrors(lang, err); ok {
			for k, v := range errs {
				if m := surveysBatchIndex.FindStringSubmatch(k); m != nil {
					n, _ := strconv.Atoi(m[1])
					reply(http.StatusUnprocessableEntity, map[string]any{"error": lang.T("surveys.err.queued", n+1) + "：" + v, "index": n})
					return
				}
			}
			// A rule's refusal (HOUSEHOLD_NOT_IN_COMPOUND) names the sheet in its message.
			if st := status.Convert(err); st.Code() == codes.FailedPrecondition {
				if m := surveysBatchMention.FindStringSubmatch(st.Message()); m != nil {
					n, _ := strconv.Atoi(m[1])
					reply(http.StatusUnprocessableEntity, map[string]any{"error": lang.T("surveys.err.queued", n+1) + "：" + reasonText(lang, st), "index": n})
					return
				}
			}
		}
		reply(surveysHTTPCode(err), map[string]string{"error": surveysErrorText(lang, err)})
		return
	}
	counts := map[string]int{"sent": len(req.Responses)}
	for _, res := range got.GetResults() {
		counts[strings.ToLower(res.GetOutcome().String())]++
	}
	reply(http.StatusOK, map[string]any{"sent": counts["sent"], "recorded": counts["recorded"], "replaced": counts["replaced"],
		"ignored": counts["ignored_older"], "message": lang.T("surveys.queue.sent", counts["sent"])})
}

func surveysHTTPCode(err error) int {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.FailedPrecondition:
		return http.StatusUnprocessableEntity
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.NotFound:
		return http.StatusNotFound
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	}
	return http.StatusServiceUnavailable
}

func surveysErrorText(lang i18n.Lang, err error) string {
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition:
		return lang.T("surveys.err.refused", reasonText(lang, st))
	case codes.PermissionDenied:
		return lang.T("error.denied.text")
	case codes.NotFound:
		return lang.T("error.notfound.text")
	case codes.Unauthenticated:
		return lang.T("signin.expired.text")
	}
	return lang.T("error.unavailable.text")
}
