// Package console is the web console's HTTP side: each handler decodes a request,
// calls the services over gRPC as the signed-in person (their session's token, as the
// REST gateway does), and renders a view. It keeps no state of its own: sessions are the
// governance service's, shared with POST /v1/sessions through one cookie.
package console

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"google.golang.org/grpc/metadata"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/assets"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// Clients are the services the console calls.
type Clients struct {
	Governance governancepb.GovernanceServiceClient
	Accounts   governancepb.AccountServiceClient
	Imports    governancepb.ImportServiceClient
	Survey     surveypb.SurveyServiceClient
	Projects   projectspb.ProjectsServiceClient
	Finance    financepb.FinanceServiceClient
}

// Server serves the console's pages.
type Server struct {
	c   Clients
	log *slog.Logger
	now func() time.Time
	// signOn is whether the governance service has single sign-on, learnt from its
	// answer the first time the sign-in page is shown (it cannot change while it runs).
	signOn signOnKnown
	// compoundNames keeps the names of a region's compounds for the choosers a while.
	compoundNames compoundNames
	handler       http.Handler
}

// New builds the console on the services' clients.
func New(c Clients, log *slog.Logger) *Server {
	s := &Server{c: c, log: log, now: time.Now}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", assets.Handler()))
	mux.HandleFunc("GET /lang", s.switchLang)
	mux.HandleFunc("GET /signin", s.signInForm)
	mux.HandleFunc("POST /signin", s.signIn)
	mux.HandleFunc("POST /signout", s.signedIn(s.signOut))
	s.publicNotices(mux)
	mux.HandleFunc("GET /{$}", s.signedIn(s.forStaff(s.home)))
	for _, p := range pages {
		mux.HandleFunc(p.pattern, s.signedIn(s.forStaff(func(w http.ResponseWriter, r *http.Request) { p.handle(s, w, r) })))
	}
	for _, p := range residentPages {
		mux.HandleFunc(p.pattern, s.signedIn(s.forResidents(func(w http.ResponseWriter, r *http.Request) { p.handle(s, w, r) })))
	}
	mux.HandleFunc("/", s.notFound)
	s.handler = secure(s.withVisit(mux))
	return s
}

// page is a route of a page group; the groups add theirs in init with route (one file
// a group). Every page needs a signed-in visitor; the services decide what each may see.
type page struct {
	pattern string
	handle  func(s *Server, w http.ResponseWriter, r *http.Request)
}

var pages []page

// route adds a page; handle is a method expression such as (*Server).compoundPage.
func route(pattern string, handle func(s *Server, w http.ResponseWriter, r *http.Request)) {
	pages = append(pages, page{pattern, handle})
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// secure sets what every answer carries: a content security policy that allows only
// this origin's scripts, styles and images (the assets are embedded: no other host is
// ever asked), no framing, no sniffing, and no caching of pages that hold records.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// call is the context for calling the services as the visitor: their session's token.
func call(r *http.Request) context.Context {
	v := visitOf(r)
	if v.session == nil {
		return r.Context()
	}
	return metadata.AppendToOutgoingContext(r.Context(), "authorization", "Bearer "+v.session.GetToken())
}

// render writes a component with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if status >= 400 && r.Header.Get("HX-Request") != "" && w.Header().Get("HX-Push-Url") == "" {
		// A form sent back with its errors (or a refusal) keeps the address of the page
		// it was on: htmx would otherwise put the POST's address in the history, and going
		// back to it would ask for a page that only takes forms.
		w.Header().Set("HX-Push-Url", "false")
	}
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.WarnContext(r.Context(), "render", "path", r.URL.Path, "err", err)
	}
}

// page is the frame of a page titled by key, in navigation entry nav.
func (s *Server) page(r *http.Request, titleKey, nav string) view.Page {
	v := visitOf(r)
	p := view.Page{Lang: v.lang, Title: v.lang.T(titleKey), Path: r.URL.RequestURI(), Nav: nav}
	if v.session != nil {
		a := v.session.GetAccount()
		p.Viewer = &view.Viewer{DisplayName: a.GetDisplayName(), Role: a.GetRole(), Scope: a.GetScope()}
		if a.GetRole() == "RESIDENT" {
			p.Viewer.Household = a.GetScope()
		}
		p.CSRF = v.session.GetCsrfToken()
		p.Menu = menu(v.lang, p.Viewer)
	}
	if n := r.URL.Query().Get("done"); n != "" && v.lang.Has("done."+n) {
		p.Notice = v.lang.T("done." + n)
	}
	return p
}

// menuEntry is a navigation entry of the staff console and the roles that see it (none:
// every staff role). Residents have their own navigation (residentMenu).
type menuEntry struct {
	order     int
	key, href string
	roles     []string
}

// menus are the navigation entries; page groups add theirs in init with addMenu.
var menus []menuEntry

// addMenu puts an entry in the navigation at order (smaller first), labelled by the
// catalog's "nav.<key>", seen by roles (none: every staff role).
func addMenu(order int, key, href string, roles ...string) {
	menus = append(menus, menuEntry{order, key, href, roles})
	sort.SliceStable(menus, func(i, j int) bool { return menus[i].order < menus[j].order })
}

func menu(lang i18n.Lang, v *view.Viewer) []view.NavItem {
	if v.Household != "" {
		return residentMenu(lang)
	}
	items := []view.NavItem{{Key: "home", Href: "/", Label: lang.T("nav.home")}}
	for _, m := range menus {
		if len(m.roles) > 0 && !v.Can(m.roles...) {
			continue
		}
		items = append(items, view.NavItem{Key: m.key, Href: m.href, Label: lang.T("nav." + m.key)})
	}
	return items
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	p := s.page(r, "error.notfound.title", "")
	s.render(w, r, http.StatusNotFound, view.Message(p, p.Title, p.T("error.notfound.text")))
}

// switchLang remembers the chosen language for a year and goes back to the page.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Parse(r.URL.Query().Get("to"))
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.URL.Query().Get("back")), http.StatusSeeOther)
}

// naturalLess orders unit and room numbers as numbers when both are ("2" before "10"),
// and otherwise as text.
func naturalLess(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}
