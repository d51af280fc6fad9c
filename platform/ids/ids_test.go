package ids

import "testing"

// Indexes list records by id in lexical order; that is creation order only if ids made
// later always sort after earlier ones, even within one millisecond.
func TestIDsSortInCreationOrder(t *testing.T) {
	prev := New()
	for i := 0; i < 10000; i++ {
		next := New()
		if next <= prev {
			t.Fatalf("id %d %q does not sort after %q", i, next, prev)
		}
		prev = next
	}
}
