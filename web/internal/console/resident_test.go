package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"
	"time"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/i18n"
)

// The answer form filled in from a household's response posts that same response back.
func TestResidentAnswersRoundTrip(t *testing.T) {
	sv := &surveypb.Survey{Questions: []*surveypb.Question{
		{Id: "vote", Type: surveypb.Question_SINGLE_CHOICE, Options: []*surveypb.QuestionOption{{Id: "agree"}, {Id: "disagree"}}},
		{Id: "items", Type: surveypb.Question_MULTI_CHOICE, Options: []*surveypb.QuestionOption{{Id: "pipes"}, {Id: "roads"}, {Id: "lights"}}},
		{Id: "rating", Type: surveypb.Question_SCALE},
		{Id: "remarks", Type: surveypb.Question_TEXT},
	}}
	given := []*surveypb.Answer{
		{QuestionId: "vote", OptionIds: []string{"disagree"}},
		{QuestionId: "items", OptionIds: []string{"pipes", "lights"}},
		{QuestionId: "remarks", Text: "楼道太暗"},
	}
	answers := residentAnswers(sv, &surveypb.Response{Answers: given})
	form := url.Values{}
	for k, v := range answers {
		form[k] = v
	}
	f := surveysDoorFormOf(form, sv)
	f.Household, f.Channel = "h1", surveypb.Response_ONLINE.String()
	x, idx, errs := surveysResponseOf(i18n.ZH, sv, f, "", time.Now())
	if errs.Any() {
		t.Fatalf("errors %v", errs)
	}
	if x.GetChannel() != surveypb.Response_ONLINE || x.GetHouseholdId() != "h1" || x.GetCollectorId() != "" {
		t.Errorf("response %v", x)
	}
	if !reflect.DeepEqual(idx, []int{0, 1, 3}) || len(x.GetAnswers()) != 3 {
		t.Fatalf("answers %v at %v", x.GetAnswers(), idx)
	}
	for i, a := range x.GetAnswers() {
		if a.GetQuestionId() != given[i].GetQuestionId() || !reflect.DeepEqual(a.GetOptionIds(), given[i].GetOptionIds()) || a.GetText() != given[i].GetText() {
			t.Errorf("answer %d: %v, want %v", i, a, given[i])
		}
	}
	if got := residentAnswers(sv, nil); len(got) != 0 {
		t.Errorf("no response fills %v", got)
	}
}

// What is still due is never below nothing (a refund or an overpayment).
func TestResidentQuotaDue(t *testing.T) {
	pr := &projectspb.Project{Id: "p1", Title: "微改造"}
	for _, c := range []struct{ quota, paid, due int64 }{{108400, 0, 108400}, {108400, 50000, 58400}, {108400, 108400, 0}, {108400, 120000, 0}} {
		row := residentQuotaRow(pr, &financepb.HouseholdQuota{QuotaFen: c.quota, PaidFen: c.paid})
		if row.DueFen != c.due {
			t.Errorf("quota %d paid %d: due %d, want %d", c.quota, c.paid, row.DueFen, c.due)
		}
	}
}

// An idea says whether it is the household's own, and is endorsable only when it is a
// neighbour's and still open.
func TestResidentIdeaRow(t *testing.T) {
	for _, c := range []struct {
		name             string
		idea             *surveypb.Idea
		mine, canEndorse bool
	}{
		{"a neighbour's open idea", &surveypb.Idea{HouseholdId: "h2", Status: surveypb.Idea_SUBMITTED}, false, true},
		{"its own", &surveypb.Idea{HouseholdId: "h1", Status: surveypb.Idea_SUBMITTED}, true, false},
		{"an adopted idea", &surveypb.Idea{HouseholdId: "h2", Status: surveypb.Idea_ADOPTED, AdoptRemarks: "纳入方案"}, false, false},
	} {
		row := residentIdeaRow(c.idea, "h1")
		if row.Mine != c.mine || row.CanEndorse != c.canEndorse {
			t.Errorf("%s: mine %v, endorsable %v", c.name, row.Mine, row.CanEndorse)
		}
	}
}

// A resident asking for a staff page goes to /r/, staff asking for /r/ go to /; a form
// posted across is refused.
func TestResidentAndStaffKeepToTheirPages(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
	reached := false
	ok := func(http.ResponseWriter, *http.Request) { reached = true }
	resident := &governancepb.ResolvedSession{Account: &governancepb.Account{Role: "RESIDENT", Scope: "households/h1"}}
	staff := &governancepb.ResolvedSession{Account: &governancepb.Account{Role: "COMMUNITY_STAFF", Scope: "regions/c1"}}
	for _, c := range []struct {
		name     string
		session  *governancepb.ResolvedSession
		guard    func(http.HandlerFunc) http.HandlerFunc
		method   string
		code     int
		location string
	}{
		{"a resident on a staff page", resident, s.forStaff, http.MethodGet, http.StatusSeeOther, "/r/"},
		{"a resident posting a staff form", resident, s.forStaff, http.MethodPost, http.StatusForbidden, ""},
		{"staff on a staff page", staff, s.forStaff, http.MethodGet, 0, ""},
		{"staff on a resident page", staff, s.forResidents, http.MethodGet, http.StatusSeeOther, "/"},
		{"staff posting a resident form", staff, s.forResidents, http.MethodPost, http.StatusForbidden, ""},
		{"a resident on a resident page", resident, s.forResidents, http.MethodGet, 0, ""},
	} {
		reached = false
		r := httptest.NewRequest(c.method, "/x", nil)
		r = r.WithContext(context.WithValue(r.Context(), visitKey{}, &visit{lang: i18n.ZH, session: c.session}))
		w := httptest.NewRecorder()
		c.guard(ok)(w, r)
		if c.code == 0 {
			if !reached {
				t.Errorf("%s: not let through (%d)", c.name, w.Code)
			}
			continue
		}
		if reached || w.Code != c.code || w.Header().Get("Location") != c.location {
			t.Errorf("%s: reached %v, %d to %q", c.name, reached, w.Code, w.Header().Get("Location"))
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/r/", nil)
	r = r.WithContext(context.WithValue(r.Context(), visitKey{}, &visit{lang: i18n.ZH, session: resident}))
	if got := residentOwn(r); got != "h1" {
		t.Errorf("own household %q", got)
	}
}
