// Package ids makes resource ids: ULIDs, which sort by creation time, so an index ordered
// by id lists records oldest first and a page token can simply be the last id seen.
package ids

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

var (
	mu      sync.Mutex
	entropy = ulid.Monotonic(rand.Reader, 0)
)

// New returns a new lower-case ULID, strictly increasing within this process.
func New() string {
	mu.Lock()
	defer mu.Unlock()
	return toLower(ulid.MustNew(ulid.Timestamp(time.Now()), entropy).String())
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
