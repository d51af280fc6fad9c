package idempotency_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"tongdu/platform/auth"
	"tongdu/platform/idempotency"
)

// memClaims keeps claims in memory, keyed as a store keys them (method and request id).
type memClaims struct {
	mu sync.Mutex
	m  map[string]idempotency.Claim
}

func (s *memClaims) ClaimRequest(_ context.Context, method, requestID string, c idempotency.Claim) (idempotency.Claim, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.m[method+":"+requestID]; ok {
		return prev, false, nil
	}
	s.m[method+":"+requestID] = c
	return c, true, nil
}

var errReused = errors.New("reused")

// A request id is the caller's own within their scope: one community reusing an id
// another community used neither sees the other's resource nor is refused.
func TestRequestIDsAreScopedToTheCaller(t *testing.T) {
	store := &memClaims{m: map[string]idempotency.Claim{}}
	as := func(scope string) context.Context {
		return auth.WithPrincipal(context.Background(), auth.Principal{Subject: "s", Role: auth.CommunityStaff, Scope: scope})
	}
	r := idempotency.Request{ID: "create-1", Hash: "h1"}
	first, replayed, err := idempotency.NewIDs(as("regions/C1"), store, "CreateCompound", r, 1, errReused)
	if err != nil || replayed {
		t.Fatalf("first claim: %v %v", replayed, err)
	}
	again, replayed, err := idempotency.NewIDs(as("regions/C1"), store, "CreateCompound", r, 1, errReused)
	if err != nil || !replayed || again[0] != first[0] {
		t.Fatalf("retry in the same scope: %v %v %v, want the first ids replayed", again, replayed, err)
	}
	other, replayed, err := idempotency.NewIDs(as("regions/C2"), store, "CreateCompound", idempotency.Request{ID: "create-1", Hash: "h2"}, 1, errReused)
	if err != nil || replayed || other[0] == first[0] {
		t.Fatalf("same id in another scope: %v %v %v, want a fresh claim", other, replayed, err)
	}
	if _, _, err := idempotency.NewIDs(as("regions/C1"), store, "CreateCompound", idempotency.Request{ID: "create-1", Hash: "h2"}, 1, errReused); !errors.Is(err, errReused) {
		t.Fatalf("same id, other body, same scope: %v, want reused", err)
	}
}
