package gateway

import (
	"context"
	"math"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"

	"tongdu/platform/auth"
)

// publicRoutes need no token: health, readiness, metrics (counts and latencies, no
// personal data), the OpenAPI document, and the public disclosures (公示) of a project's
// or a compound's money.
var publicRoutes = regexp.MustCompile(`^(/healthz|/readyz|/metrics|/openapi\.json|/v1/(projects|compounds)/[^/]+/disclosure)$`)

// authenticate refuses, before any service sees it, a request whose token is missing
// (except on public routes) or bad. The services check the token again and decide what
// the caller may do.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.cfg.Verifier == nil || r.Method == http.MethodOptions || (r.Method == http.MethodGet && publicRoutes.MatchString(r.URL.Path)) {
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
	token, ok := auth.ParseBearer(r.Header.Get("Authorization"))
	if !ok || g.cfg.Verifier == nil {
		return bearer{present: ok}
	}
	p, err := g.cfg.Verifier.Verify(token)
	return bearer{present: true, principal: p, err: err}
}

// limiter keeps one token bucket per caller: the token's subject, or the client address
// for requests without one.
type limiter struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
	sweepAt int // bucket count at which idle buckets are next dropped
}

// minSweep is how many callers the limiter remembers before it drops idle ones.
const minSweep = 100_000

func newLimiter(perSec float64, burst int) *limiter {
	return &limiter{perSec: rate.Limit(perSec), burst: burst, buckets: map[string]*rate.Limiter{}, sweepAt: minSweep}
}

func (l *limiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.sweepAt {
			l.sweep()
		}
		b = rate.NewLimiter(l.perSec, l.burst)
		l.buckets[key] = b
	}
	return b
}

// sweep drops the buckets that are full again: their callers have been idle long
// enough that a fresh bucket is the same. A caller still draining keeps its bucket, so
// a flood of new addresses cannot reset a busy caller's limit.
func (l *limiter) sweep() {
	now := time.Now()
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	// Sweep again only when the map has doubled, so sweeping stays amortised O(1).
	l.sweepAt = max(minSweep, 2*len(l.buckets))
}

// limit answers 429 with Retry-After to a caller over its rate.
func (g *Gateway) limit(next http.Handler) http.Handler {
	if g.cfg.RateLimit <= 0 {
		return next
	}
	l := newLimiter(g.cfg.RateLimit, max(1, int(math.Ceil(g.cfg.RateLimit*2))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := g.bearerOf(r)
		r = r.WithContext(context.WithValue(r.Context(), bearerKey{}, b))
		key := callerKey(b, r)
		res := l.bucket(key).Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			writeStatusJSON(w, http.StatusTooManyRequests, codes.ResourceExhausted, "too many requests: retry after "+d.Round(time.Millisecond).String(), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func callerKey(b bearer, r *http.Request) string {
	if b.present && b.err == nil && b.principal.Subject != "" {
		return "sub:" + b.principal.Subject
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}
