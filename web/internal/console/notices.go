package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/web/internal/view"
)

// The notice board (公示, rule 14): a notice's page is public and printable (A4, with a
// QR code to the page itself), so a community office can post it in the stairwell and a
// resident can find it online; a resident signed in with their household's code objects
// on it, the compound's staff answer there.

func init() {
	route("POST /projects/{id}/notices", (*Server).postPlan)
}

// publicNotices are the board's routes that need no sign-in to read; lodging and
// answering check the session themselves (signedIn).
func (s *Server) publicNotices(mux *http.ServeMux) {
	mux.HandleFunc("GET /notices", s.noticeBoard)
	mux.HandleFunc("GET /notices/{id}", s.noticePage)
	mux.HandleFunc("POST /notices/{id}/objections", s.signedIn(s.lodgeObjection))
	mux.HandleFunc("POST /notices/{id}/objections/{oid}/answer", s.signedIn(s.answerObjection))
}

func (s *Server) noticePage(w http.ResponseWriter, r *http.Request) {
	s.renderNotice(w, r, http.StatusOK, view.NoticeForms{})
}

func (s *Server) renderNotice(w http.ResponseWriter, r *http.Request, code int, forms view.NoticeForms) {
	n, err := s.c.Projects.GetNotice(call(r), &projectspb.GetNoticeRequest{Id: r.PathValue("id")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, "notices.title", "")
	p.Title = noticeTitle(p, n)
	v := view.Notice{Notice: n, Forms: forms, QR: qrPath(absoluteURL(r, "/notices/"+n.GetId()))}
	if p.Viewer != nil {
		v.CanObject = p.Viewer.Household != "" && n.GetState() == projectspb.Notice_OPEN
		v.CanAnswer = p.Viewer.Staff() && p.Viewer.Can("DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF")
	}
	s.render(w, r, code, view.NoticePage(p, v))
}

// noticeTitle is the office's title, or the kind's name with what it publishes.
func noticeTitle(p view.Page, n *projectspb.Notice) string {
	for _, f := range n.GetFigures() {
		if f.GetKey() == "title" && f.GetValue() != "" {
			return p.T("notices.kind."+n.GetKind().String()) + "：" + f.GetValue()
		}
	}
	if t := n.GetTitle(); t != "" && !strings.HasPrefix(t, n.GetKind().String()) {
		return t
	}
	return p.T("notices.kind." + n.GetKind().String())
}

// absoluteURL is the page's address as a phone scanning the printed QR code reaches it:
// the host the office's browser used (behind a proxy, the one it forwarded).
func absoluteURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = h
	}
	return (&url.URL{Scheme: scheme, Host: host, Path: path}).String()
}

// qrPath draws a QR code of link as one SVG path of unit squares (no image file, no
// script, nothing from another host); "" when link cannot be encoded.
func qrPath(link string) view.QR {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return view.QR{}
	}
	q.DisableBorder = false
	bits := q.Bitmap()
	var d strings.Builder
	for y, row := range bits {
		for x, on := range row {
			if on {
				d.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h1v1h-1z")
			}
		}
	}
	return view.QR{Size: len(bits), Path: d.String(), Link: link}
}

func (s *Server) lodgeObjection(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	household, _ := strings.CutPrefix(v.session.GetAccount().GetScope(), "households/")
	text := strings.TrimSpace(r.PostFormValue("objection.text"))
	if text == "" {
		s.renderNotice(w, r, http.StatusUnprocessableEntity, view.NoticeForms{Errors: view.Errors{"objection.text": v.lang.T("notices.error.objection")}})
		return
	}
	_, err := s.c.Projects.CreateObjection(call(r), &projectspb.CreateObjectionRequest{NoticeId: r.PathValue("id"), RequestId: r.PostFormValue("requestId"),
		Objection: &projectspb.Objection{HouseholdId: household, Text: text}})
	if err != nil {
		errs, ok := formErrors(v.lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderNotice(w, r, http.StatusUnprocessableEntity, view.NoticeForms{Objection: text, Errors: errs})
		return
	}
	http.Redirect(w, r, "/notices/"+url.PathEscape(r.PathValue("id"))+"?done=objectionLodged", http.StatusSeeOther)
}

func (s *Server) answerObjection(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	answer := strings.TrimSpace(r.PostFormValue("answer"))
	if answer == "" {
		s.renderNotice(w, r, http.StatusUnprocessableEntity, view.NoticeForms{AnswerTo: r.PathValue("oid"), Errors: view.Errors{"answer": v.lang.T("notices.error.answer")}})
		return
	}
	_, err := s.c.Projects.AnswerObjection(call(r), &projectspb.AnswerObjectionRequest{NoticeId: r.PathValue("id"), ObjectionId: r.PathValue("oid"),
		Answer: answer, RequestId: r.PostFormValue("requestId")})
	if err != nil {
		errs, ok := formErrors(v.lang, err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderNotice(w, r, http.StatusUnprocessableEntity, view.NoticeForms{AnswerTo: r.PathValue("oid"), Answer: answer, Errors: errs})
		return
	}
	http.Redirect(w, r, "/notices/"+url.PathEscape(r.PathValue("id"))+"?done=objectionAnswered", http.StatusSeeOther)
}

// postPlan puts the project's plan on its compound's board (rule 14). A plan posted on
// paper before it was entered carries the day it went up (rule 15).
func (s *Server) postPlan(w http.ResponseWriter, r *http.Request) {
	ctx, id := call(r), r.PathValue("id")
	pr, err := s.c.Projects.GetProject(ctx, &projectspb.GetProjectRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := &projectspb.Notice{CompoundId: pr.GetCompoundId(), Kind: projectspb.Notice_PLAN, SubjectId: id, Body: strings.TrimSpace(r.PostFormValue("notice.body"))}
	errs := view.Errors{}
	if n.OpensAt = dayField(visitOf(r).lang, errs, "notice.opensAt", r.PostFormValue("notice.opensAt")); errs.Any() {
		s.refuse(w, r, "notice", errs)
		return
	}
	got, err := s.c.Projects.CreateNotice(ctx, &projectspb.CreateNoticeRequest{Notice: n, RequestId: r.PostFormValue("requestId")})
	if err != nil {
		s.sent(w, r, "notice", "", err)
		return
	}
	http.Redirect(w, r, "/notices/"+url.PathEscape(got.GetId())+"?done=noticePosted", http.StatusSeeOther)
}

// noticeBoard is a compound's board: every notice that has gone up, the latest first.
// It is public like the notices themselves; the printed notices' QR codes lead to each.
func (s *Server) noticeBoard(w http.ResponseWriter, r *http.Request) {
	cid := r.URL.Query().Get("compound")
	if cid == "" {
		s.notFound(w, r)
		return
	}
	s.renderBoard(w, r, cid, s.page(r, "notices.board.title", ""))
}

// renderBoard renders compound cid's board in frame p.
func (s *Server) renderBoard(w http.ResponseWriter, r *http.Request, cid string, p view.Page) {
	var all []*projectspb.Notice
	tok := ""
	for {
		got, err := s.c.Projects.ListNotices(call(r), &projectspb.ListNoticesRequest{CompoundId: cid, PageSize: 200, PageToken: tok})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		all = append(all, got.GetNotices()...)
		if tok = got.GetNextPageToken(); tok == "" || len(all) >= 1000 {
			break
		}
	}
	slices.Reverse(all)
	v := view.NoticeBoard{CompoundID: cid, Notices: all}
	if c, err := s.c.Governance.GetCompound(call(r), &governancepb.GetCompoundRequest{Id: cid}); err == nil {
		v.CompoundName = c.GetName()
	} else if len(all) > 0 {
		v.CompoundName = all[0].GetCompoundName()
	}
	if v.CompoundName != "" {
		p.Title = p.T("notices.board.of", v.CompoundName)
	}
	s.render(w, r, http.StatusOK, view.NoticeBoardPage(p, v))
}
