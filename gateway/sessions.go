package gateway

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/auth"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// A person who signs in (POST /v1/sessions, or the identity provider's round trip) gets
// a session: its id travels only in an HttpOnly cookie, never in a body or a script's
// reach. A request that carries the cookie and no Authorization header is turned here
// into one with the session's current token, so everything behind (rate limit,
// authentication, the services) sees a bearer token as from a district system.
const (
	// SessionCookie holds the session's id.
	SessionCookie = auth.SessionCookie
	// signOnCookie binds an identity provider's answer to the browser that asked for it
	// (state), so a sign-in started elsewhere cannot be slipped into this browser.
	signOnCookie = "tongdu_sign_on"
	// sessionHeader is the gRPC metadata the governance service names a new session in,
	// and reads the session to end from.
	sessionHeader = auth.SessionMetadata
	// CSRFHeader carries a session's CSRF token on a cookie-authenticated write.
	CSRFHeader = auth.CSRFHeader
)

const (
	methodCreateSession = "/tongdu.governance.v1.AccountService/CreateSession"
	methodDeleteSession = "/tongdu.governance.v1.AccountService/DeleteSession"
)

type secureKey struct{}

// sessions resolves a session cookie into the session's token. A write with a cookie
// must carry the session's CSRF token in X-CSRF-Token: a page on another site can make
// the browser send the cookie, but cannot read the token. A cookie whose session ended
// is cleared and the request goes on without it (public routes still answer; the rest
// get 401).
func (g *Gateway) sessions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure := r.TLS != nil
		r = r.WithContext(context.WithValue(r.Context(), secureKey{}, secure))
		c, err := r.Cookie(SessionCookie)
		// Signing in needs no session (a browser signed in already may sign in again,
		// as someone else), and the answer replaces the cookie.
		signingIn := r.Method == http.MethodPost && r.URL.Path == "/v1/sessions"
		if err != nil || c.Value == "" || signingIn || r.Header.Get("Authorization") != "" || g.accounts == nil {
			next.ServeHTTP(w, r)
			return
		}
		got, err := g.accounts.ResolveSession(r.Context(), &governancepb.ResolveSessionRequest{SessionId: c.Value})
		switch status.Code(err) {
		case codes.OK:
		case codes.NotFound, codes.Unauthenticated, codes.InvalidArgument:
			http.SetCookie(w, sessionCookie("", -1, secure))
			r.Header.Del("Cookie")
			next.ServeHTTP(w, r)
			return
		default:
			g.fail(w, r, err)
			return
		}
		if writes(r.Method) && subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(got.GetCsrfToken())) != 1 {
			writeStatusJSON(w, http.StatusForbidden, codes.PermissionDenied,
				"a signed-in write needs the session's CSRF token in the "+CSRFHeader+" header", nil)
			return
		}
		r.Header.Set("Authorization", "Bearer "+got.GetToken())
		r = r.WithContext(context.WithValue(r.Context(), bearerKey{}, g.verifyBearer(r)))
		next.ServeHTTP(w, r)
	})
}

// writes says whether a method may change something (and so needs a CSRF token).
func writes(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

func sessionCookie(value string, maxAge int, secure bool) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// sessionMetadata passes the cookie's session to the governance service on sign-out
// only: other calls never see a session id.
func sessionMetadata(_ context.Context, r *http.Request) metadata.MD {
	if r.URL.Path != "/v1/sessions/current" {
		return nil
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return metadata.Pairs(sessionHeader, c.Value)
	}
	return nil
}

// setSessionCookie turns the session a sign-in opened (response metadata) into the
// cookie, and a sign-out into its removal; the id never reaches the body.
func setSessionCookie(ctx context.Context, w http.ResponseWriter, m proto.Message) error {
	method, _ := runtime.RPCMethod(ctx)
	secure, _ := ctx.Value(secureKey{}).(bool)
	switch method {
	case methodCreateSession:
		md, ok := runtime.ServerMetadataFromContext(ctx)
		if !ok {
			return nil
		}
		if ids := md.HeaderMD.Get(sessionHeader); len(ids) > 0 {
			maxAge := 0
			if s, ok := m.(*governancepb.Session); ok && s.GetSessionExpireTime() != nil {
				maxAge = int(time.Until(s.GetSessionExpireTime().AsTime()).Seconds())
			}
			http.SetCookie(w, sessionCookie(ids[0], maxAge, secure))
		}
	case methodDeleteSession:
		http.SetCookie(w, sessionCookie("", -1, secure))
	}
	return nil
}

// startSignOn sends the browser to the district's identity provider.
func (g *Gateway) startSignOn(w http.ResponseWriter, r *http.Request) {
	start, err := g.accounts.StartSignOn(r.Context(), &governancepb.StartSignOnRequest{})
	if err != nil {
		g.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signOnCookie, Value: start.GetState(), Path: "/v1/sessions/oidc", MaxAge: 600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, start.GetAuthorizeUrl(), http.StatusFound)
}

// finishSignOn takes the identity provider's answer: it must carry the state this
// browser was given; the governance service exchanges the code and opens the session,
// whose cookie is set before the browser goes on to the console.
func (g *Gateway) finishSignOn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := r.Cookie(signOnCookie)
	if err != nil || q.Get("state") == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(q.Get("state"))) != 1 {
		writeStatusJSON(w, http.StatusBadRequest, codes.InvalidArgument, "this sign-in was not started in this browser; start again", nil)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signOnCookie, Path: "/v1/sessions/oidc", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if q.Get("error") != "" || q.Get("code") == "" {
		writeStatusJSON(w, http.StatusUnauthorized, codes.Unauthenticated, "the identity provider did not sign you in", nil)
		return
	}
	var md metadata.MD
	s, err := g.accounts.CreateSession(r.Context(), &governancepb.CreateSessionRequest{OidcCode: q.Get("code"), OidcState: q.Get("state")}, grpc.Header(&md))
	if err != nil {
		g.fail(w, r, err)
		return
	}
	if ids := md.Get(sessionHeader); len(ids) > 0 {
		http.SetCookie(w, sessionCookie(ids[0], int(time.Until(s.GetSessionExpireTime().AsTime()).Seconds()), r.TLS != nil))
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
