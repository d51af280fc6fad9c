package ratelimit

import (
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// A caller gets its burst at once, then one call per 1/perSec; another caller has its own
// bucket.
func TestBucketPerKey(t *testing.T) {
	l := NewBurst(2, 4)
	now := time.Unix(1_000_000, 0)
	for i := range 4 {
		if w := l.TakeAt("sub:a", now); w != 0 {
			t.Fatalf("call %d of the burst of 4: wait %v", i, w)
		}
	}
	if w := l.TakeAt("sub:a", now); w != 500*time.Millisecond {
		t.Fatalf("fifth call at once: wait %v, want 500ms (2 a second)", w)
	}
	if w := l.TakeAt("sub:b", now); w != 0 {
		t.Fatalf("another caller waits %v, want 0", w)
	}
	if w := l.TakeAt("sub:a", now.Add(250*time.Millisecond)); w != 250*time.Millisecond {
		t.Fatalf("a refused call is not counted: wait %v, want 250ms", w)
	}
	if w := l.TakeAt("sub:a", now.Add(500*time.Millisecond)); w != 0 {
		t.Fatalf("after the wait: wait %v, want 0", w)
	}
	if New(0) != nil || New(-1).Take("x") != 0 {
		t.Fatal("a rate of 0 must be no limit")
	}
}

// A flood of new callers makes the limiter forget idle callers, never a busy one: a
// caller over its rate stays limited however many addresses knock meanwhile.
func TestLimiterForgetsIdleCallersOnly(t *testing.T) {
	l := NewBurst(0.01, 2) // slow refill: the busy caller stays drained however slow the machine
	now := time.Now()
	l.TakeAt("sub:busy", now)
	l.TakeAt("sub:busy", now) // drained: its next call waits
	for i := range MinSweep + 10 {
		l.TakeAt(AddressKey(strconv.Itoa(i)), now)
	}
	if l.TakeAt("sub:busy", now) == 0 {
		t.Fatal("the busy caller may call again at once: its bucket was dropped or refilled")
	}
	// Every address took one of its 2 tokens: none is full, so none was dropped. Later,
	// when they are full again, the next sweep drops them.
	later := now.Add(time.Hour)
	for i := range MinSweep + 10 {
		l.TakeAt(AddressKey("later-"+strconv.Itoa(i)), later)
	}
	if n := l.Len(); n > MinSweep+20 {
		t.Fatalf("after the sweep %d buckets are kept, want only those added since", n)
	}
}

func TestStatusCarriesRetryInfo(t *testing.T) {
	st := Status(1500 * time.Millisecond)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("code %v", st.Code())
	}
	if d, ok := RetryDelay(st); !ok || d != 1500*time.Millisecond {
		t.Fatalf("RetryInfo %v %v, want 1.5s", d, ok)
	}
	if got := RetryAfter(1500 * time.Millisecond); got != "2" {
		t.Fatalf("Retry-After %q, want 2 (whole seconds, rounded up)", got)
	}
	if got := RetryAfter(time.Millisecond); got != "1" {
		t.Fatalf("Retry-After %q, want at least 1", got)
	}
}
