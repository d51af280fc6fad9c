package gateway

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"

	"google.golang.org/grpc/codes"

	"tongdu/platform/auth"
	"tongdu/platform/ratelimit"
)

// publicRoutes need no token: health, readiness, metrics (counts and latencies, no
// personal data), the OpenAPI document, and the public disclosures (公示) of a project's
// or a compound's money and the compounds' notice boards (rule 14).
var publicRoutes = regexp.MustCompile(`^(/healthz|/readyz|/metrics|/openapi\.json|/v1/(projects|compounds)/[^/]+/disclosure|/v1/notices(/[^/:]+)?|/v1/sessions/oidc(/callback)?)$`)

// public says whether r may go on without a token: the public routes, and signing in
// (how one gets a token) and out (the cookie's session id is the credential).
func public(r *http.Request) bool {
	return r.Method == http.MethodOptions || (r.Method == http.MethodGet && publicRoutes.MatchString(r.URL.Path)) ||
		// The Open311 facade checks its own api_key and calls the services with its own
		// token (open311.go).
		strings.HasPrefix(r.URL.Path, "/open311/v2/") ||
		(r.Method == http.MethodPost && r.URL.Path == "/v1/sessions") ||
		(r.Method == http.MethodDelete && r.URL.Path == "/v1/sessions/current")
}

// authenticate refuses, before any service sees it, a request whose token is missing
// (except on public routes) or bad. The services check the token again and decide what
// the caller may do.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.cfg.Verifier == nil || public(r) {
			next.ServeHTTP(w, r)
			return
		}
		b := g.bearerOf(r)
		if !b.present {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tongdu"`)
			writeStatusJSON(w, http.StatusUnauthorized, codes.Unauthenticated, "a bearer token is required (Authorization: Bearer …)", nil)
			return
		}
		if b.err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tongdu", error="invalid_token"`)
			// Why the token failed (expired, bad signature, a parser's message) is not said.
			writeStatusJSON(w, http.StatusUnauthorized, codes.Unauthenticated, "invalid token", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer is a request's token as the gateway verified it, once per request: the rate
// limit keys by its subject and authentication refuses it if bad.
type bearer struct {
	present   bool
	principal auth.Principal
	err       error
}

type bearerKey struct{}

// bearerOf returns r's verified token, from r's context when an outer step verified it.
func (g *Gateway) bearerOf(r *http.Request) bearer {
	if b, ok := r.Context().Value(bearerKey{}).(bearer); ok {
		return b
	}
	return g.verifyBearer(r)
}

// verifyBearer verifies r's Authorization header.
func (g *Gateway) verifyBearer(r *http.Request) bearer {
	token, ok := auth.ParseBearer(r.Header.Get("Authorization"))
	if !ok || g.cfg.Verifier == nil {
		return bearer{present: ok}
	}
	p, err := g.cfg.Verifier.Verify(token)
	return bearer{present: true, principal: p, err: err}
}

// limit answers 429 with Retry-After to a caller over its rate (RESOURCE_EXHAUSTED with
// RetryInfo in the body, as the services answer on their gRPC port). A caller is its
// token's subject, or its address for requests without a valid token (a browser's
// session cookie is resolved after this, so a flood of cookies is limited too).
func (g *Gateway) limit(next http.Handler) http.Handler {
	l := ratelimit.New(g.cfg.RateLimit)
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := g.bearerOf(r)
		r = r.WithContext(context.WithValue(r.Context(), bearerKey{}, b))
		if wait := l.Take(callerKey(b, r)); wait > 0 {
			w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
			writeStatus(w, http.StatusTooManyRequests, ratelimit.Status(wait))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func callerKey(b bearer, r *http.Request) string {
	if b.present && b.err == nil && b.principal.Subject != "" {
		return ratelimit.SubjectKey(b.principal.Subject)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return ratelimit.AddressKey(host)
}
