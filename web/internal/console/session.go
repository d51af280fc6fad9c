package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tongdu/platform/auth"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

const (
	langCookie = "tongdu_lang"
	// signInCookie pairs the sign-in form with the browser that fetched it (a double
	// submit): another site cannot sign this browser in to an account of its choosing.
	signInCookie = "tongdu_sign_in"
)

// visit is what the console knows of a request: its language and, when the cookie names
// a live session, that session (its token, CSRF token and account).
type visit struct {
	lang    i18n.Lang
	session *governancepb.ResolvedSession
}

type visitKey struct{}

func visitOf(r *http.Request) *visit {
	if v, ok := r.Context().Value(visitKey{}).(*visit); ok {
		return v
	}
	return &visit{lang: i18n.ZH}
}

// withVisit reads the language (Chinese unless chosen otherwise) and resolves the
// session cookie. A cookie whose session has ended is cleared; the services being away
// is a 503, not a sign-out.
func (s *Server) withVisit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := &visit{lang: i18n.ZH}
		if c, err := r.Cookie(langCookie); err == nil {
			v.lang = i18n.Parse(c.Value)
		}
		r = r.WithContext(context.WithValue(r.Context(), visitKey{}, v))
		if c, err := r.Cookie(auth.SessionCookie); err == nil && c.Value != "" && !strings.HasPrefix(r.URL.Path, "/assets/") {
			got, err := s.c.Accounts.ResolveSession(r.Context(), &governancepb.ResolveSessionRequest{SessionId: c.Value})
			switch status.Code(err) {
			case codes.OK:
				v.session = got
			case codes.NotFound, codes.Unauthenticated, codes.InvalidArgument:
				http.SetCookie(w, sessionCookie("", -1, r.TLS != nil))
			default:
				s.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// signedIn lets only a signed-in visitor through (others go to the sign-in page and
// come back), and a form that changes something only with the session's CSRF token.
func (s *Server) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := visitOf(r)
		if v.session == nil {
			if r.Method != http.MethodGet {
				s.render(w, r, http.StatusUnauthorized, view.Message(s.page(r, "signin.expired.title", ""), v.lang.T("signin.expired.title"), v.lang.T("signin.expired.text")))
				return
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue(auth.CSRFField)), []byte(v.session.GetCsrfToken())) != 1 {
				p := s.page(r, "error.csrf.title", "")
				s.render(w, r, http.StatusForbidden, view.Message(p, p.Title, p.T("error.csrf.text")))
				return
			}
		}
		h(w, r)
	}
}

func sessionCookie(value string, maxAge int, secure bool) *http.Cookie {
	return &http.Cookie{Name: auth.SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// localPath is where to go after signing in: a path of this site only, never another
// host (an open redirect would lend the console's name to a phishing page).
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	if visitOf(r).session != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderSignIn(w, r, http.StatusOK, view.SignInForm{Next: localPath(r.URL.Query().Get("next")), Mode: r.URL.Query().Get("as")}, nil)
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, f view.SignInForm, errs view.Errors) {
	f.Token = randomToken()
	f.SignOn = s.signOn.get(r.Context(), s.c.Accounts)
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: f.Token, Path: "/signin", MaxAge: 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	p := s.page(r, "signin.title", "")
	s.render(w, r, status, view.SignIn(p, f, errs))
}

// signIn checks a staff login and password, or a household's access code, with the
// governance service, which opens the session (and counts failures per login and per
// address); the session's id comes back in metadata and goes only into the cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	f := view.SignInForm{Login: strings.TrimSpace(r.PostFormValue("login")), Next: localPath(r.PostFormValue("next")), Mode: r.PostFormValue("as")}
	c, err := r.Cookie(signInCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("token"))) != 1 {
		s.renderSignIn(w, r, http.StatusForbidden, f, view.Errors{"": lang.T("signin.stale")})
		return
	}
	req := &governancepb.CreateSessionRequest{}
	field := "password"
	if f.Mode == "resident" {
		req.AccessCode, field = strings.TrimSpace(r.PostFormValue("accessCode")), "accessCode"
		if req.AccessCode == "" {
			s.renderSignIn(w, r, http.StatusUnprocessableEntity, f, view.Errors{"accessCode": lang.T("signin.code.missing")})
			return
		}
	} else {
		req.Login, req.Password = f.Login, r.PostFormValue("password")
		errs := view.Errors{}
		if req.Login == "" {
			errs["login"] = lang.T("signin.login.missing")
		}
		if req.Password == "" {
			errs["password"] = lang.T("signin.password.missing")
		}
		if errs.Any() {
			s.renderSignIn(w, r, http.StatusUnprocessableEntity, f, errs)
			return
		}
	}
	ctx := metadata.AppendToOutgoingContext(r.Context(), "x-forwarded-for", clientAddress(r))
	var md metadata.MD
	got, err := s.c.Accounts.CreateSession(ctx, req, grpc.Header(&md))
	if err != nil {
		switch st := status.Convert(err); st.Code() {
		case codes.Unauthenticated:
			s.renderSignIn(w, r, http.StatusUnauthorized, f, view.Errors{field: lang.T("signin.wrong." + field)})
		case codes.ResourceExhausted:
			s.renderSignIn(w, r, http.StatusTooManyRequests, f, view.Errors{"": lang.T("signin.locked", minutes(retryDelay(st)))})
		case codes.InvalidArgument:
			s.renderSignIn(w, r, http.StatusUnprocessableEntity, f, fieldErrors(lang, st))
		default:
			s.fail(w, r, err)
		}
		return
	}
	ids := md.Get(auth.SessionMetadata)
	if len(ids) == 0 {
		s.fail(w, r, errors.New("the governance service opened a session without naming it"))
		return
	}
	maxAge := int(time.Until(got.GetSessionExpireTime().AsTime()).Seconds())
	http.SetCookie(w, sessionCookie(ids[0], maxAge, r.TLS != nil))
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Path: "/signin", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	next := f.Next
	if next == "/" && got.GetAccount().GetRole() == "RESIDENT" {
		next = "/r/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the session everywhere (the governance service deletes it, so the REST
// API's cookie ends too) and clears the cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	c, _ := r.Cookie(auth.SessionCookie)
	_, err := s.c.Accounts.DeleteSession(call(r), &governancepb.DeleteSessionRequest{SessionId: c.Value})
	if err != nil && status.Code(err) != codes.NotFound {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, sessionCookie("", -1, r.TLS != nil))
	http.Redirect(w, r, "/signin?done=signedout", http.StatusSeeOther)
}

// clientAddress is the visitor's address as the services' per-address limits count it:
// the peer of this connection, as grpc-gateway reports it for the REST API.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// signOnKnown remembers whether single sign-on is configured. The gateway's
// /v1/sessions/oidc runs the round trip on the same origin; the button shows only when
// it would work.
type signOnKnown struct {
	mu    sync.Mutex
	known bool
	on    bool
}

func (k *signOnKnown) get(ctx context.Context, accounts governancepb.AccountServiceClient) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.known {
		return k.on
	}
	// Asking starts a sign-on that nobody finishes; its state expires in minutes.
	_, err := accounts.StartSignOn(ctx, &governancepb.StartSignOnRequest{})
	switch status.Code(err) {
	case codes.OK:
		k.known, k.on = true, true
	case codes.FailedPrecondition:
		k.known = true
	}
	return k.on
}
