package testkit

import (
	"sync"
	"time"
)

// Clock is a server clock a test moves by hand (the services take a now func): Start
// plus the offset the test set or added. A zero Start follows the real time, shifted by
// that offset, so the rest of a running system keeps its own time.
type Clock struct {
	Start time.Time

	mu     sync.Mutex
	offset time.Duration
}

// Now is the clock's time; pass c.Now as a service's clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Start.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.Start.Add(c.offset)
}

// Set moves the clock to Start + d.
func (c *Clock) Set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = d
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
