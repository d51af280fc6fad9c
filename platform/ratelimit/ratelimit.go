// Package ratelimit limits each caller to a rate: one token bucket per caller (a token's
// subject, or an address for calls without a valid token), in bounded memory. The REST
// gateway and the gRPC port of every service limit through it, and both answer a caller
// over its rate the same way: RESOURCE_EXHAUSTED with a RetryInfo detail (429 with
// Retry-After at the gateway).
package ratelimit

import (
	"math"
	"strconv"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"tongdu/platform/apierror"
)

// Reason is the ErrorInfo reason of a call refused for its rate.
const Reason = "RATE_LIMITED"

// MinSweep is how many callers a limiter remembers before it drops idle ones.
const MinSweep = 100_000

// Limiter keeps one token bucket per key. A bucket holds up to burst tokens and gains
// perSec tokens a second; a call takes one.
type Limiter struct {
	mu      sync.Mutex
	perSec  float64
	burst   float64
	buckets map[string]*bucket
	sweepAt int // bucket count at which idle buckets are next dropped
}

type bucket struct {
	tokens float64   // at last
	last   time.Time // when tokens was counted
}

// tokensAt is how many tokens b holds at now.
func (b *bucket) tokensAt(now time.Time, perSec, burst float64) float64 {
	if d := now.Sub(b.last); d > 0 {
		return min(burst, b.tokens+d.Seconds()*perSec)
	}
	return b.tokens
}

// Burst is the burst a rate gets: two seconds' worth, at least one call.
func Burst(perSec float64) int { return max(1, int(math.Ceil(perSec*2))) }

// New limits each key to perSec calls a second with a burst of Burst(perSec); nil (no
// limit) when perSec is not positive.
func New(perSec float64) *Limiter {
	if perSec <= 0 {
		return nil
	}
	return NewBurst(perSec, Burst(perSec))
}

// NewBurst limits each key to perSec calls a second with the given burst.
func NewBurst(perSec float64, burst int) *Limiter {
	return &Limiter{perSec: perSec, burst: float64(max(1, burst)), buckets: map[string]*bucket{}, sweepAt: MinSweep}
}

// Take takes a call from key's bucket: 0 when the call may go ahead, else how long until
// it may (the call is then not counted). A nil limiter lets every call go.
func (l *Limiter) Take(key string) time.Duration { return l.TakeAt(key, time.Now()) }

// TakeAt is Take at the given time.
func (l *Limiter) TakeAt(key string, now time.Time) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.sweepAt {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	t := b.tokensAt(now, l.perSec, l.burst)
	if t < 1 {
		return time.Duration(math.Ceil((1 - t) / l.perSec * float64(time.Second)))
	}
	b.tokens, b.last = t-1, now
	return 0
}

// sweep drops the buckets that are full again: their callers have been idle long
// enough that a fresh bucket is the same. A caller still draining keeps its bucket, so
// a flood of new addresses cannot reset a busy caller's limit.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokensAt(now, l.perSec, l.burst) >= l.burst {
			delete(l.buckets, k)
		}
	}
	// Sweep again only when the map has doubled, so sweeping stays amortised O(1).
	l.sweepAt = max(MinSweep, 2*len(l.buckets))
}

// Len is how many callers the limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// SubjectKey is the key of a caller with a valid token: its subject, whatever it calls
// through (the gateway, a district system, a service calling on its behalf).
func SubjectKey(subject string) string { return "sub:" + subject }

// AddressKey is the key of a caller without a valid token: its network address (the host,
// without the port, so new connections do not make a new caller).
func AddressKey(host string) string { return "addr:" + host }

// RetryAfter is wait in whole seconds, at least 1, for an HTTP Retry-After header.
func RetryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
}

// Status is the answer to a call over its rate: RESOURCE_EXHAUSTED with RetryInfo (when
// to try again) and ErrorInfo (the reason, RATE_LIMITED).
func Status(wait time.Duration) *status.Status {
	st := status.New(codes.ResourceExhausted, "too many requests: retry after "+wait.Round(time.Millisecond).String())
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)},
		&errdetails.ErrorInfo{Reason: Reason, Domain: apierror.Domain}); err == nil {
		st = d
	}
	return st
}

// RetryDelay is the RetryInfo delay an error carries, if any.
func RetryDelay(st *status.Status) (time.Duration, bool) {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}
