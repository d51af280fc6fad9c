package gateway

import (
	"strconv"
	"testing"
	"time"
)

// A flood of new callers makes the limiter forget idle callers, never a busy one: a
// caller over its rate stays limited however many addresses knock meanwhile.
func TestLimiterForgetsIdleCallersOnly(t *testing.T) {
	l := newLimiter(0.01, 2) // slow refill: the busy caller stays drained however slow the machine
	busy := l.bucket("sub:busy")
	busy.AllowN(time.Now(), 2) // drained: its next request waits
	for i := range minSweep + 10 {
		l.bucket("addr:" + strconv.Itoa(i))
	}
	if got := l.bucket("sub:busy"); got != busy {
		t.Fatal("the busy caller's bucket was dropped: its limit restarted with a full bucket")
	}
	if busy.Allow() {
		t.Fatal("the busy caller may call again at once, want it still limited")
	}
	if n := len(l.buckets); n > 20 {
		t.Fatalf("after the sweep %d buckets are kept, want only the busy one and those added since", n)
	}
}
