package auth_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"tongdu/platform/auth"
	"tongdu/platform/auth/authtest"
)

func TestAncestryWalksEveryParent(t *testing.T) {
	r := authtest.Resolver()
	for _, c := range []struct {
		resource string
		want     []string
	}{
		{"regions/D", []string{"regions/D"}},
		{"compounds/K2", []string{"compounds/K2", "regions/C2", "regions/S", "regions/D"}},
		// Two paths up (compound and building) meet at K1; each resource appears once.
		{"households/H1", []string{"households/H1", "compounds/K1", "regions/C1", "regions/S", "regions/D", "buildings/B1"}},
		{"whistles/W1", []string{"whistles/W1", "compounds/K1", "regions/C1", "regions/S", "regions/D", "departments/water"}},
		{"books/renovation-P3", []string{"books/renovation-P3", "projects/P3", "compounds/K2", "regions/C2", "regions/S", "regions/D"}},
		// A kind nobody taught lies under nothing.
		{"meetings/M1", []string{"meetings/M1"}},
	} {
		got, err := r.Ancestry(context.Background(), c.resource)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Ancestry(%s) = %v, %v; want %v", c.resource, got, err, c.want)
		}
	}
}

func TestAncestryRefusesMalformedResources(t *testing.T) {
	r := authtest.Resolver()
	for _, res := range []string{"", "households", "households/"} {
		if got, err := r.Ancestry(context.Background(), res); err == nil {
			t.Errorf("Ancestry(%q) = %v, want an error", res, got)
		}
	}
	if _, err := r.Ancestry(context.Background(), "households/nope"); err == nil {
		t.Error("Ancestry of an unknown household: no error")
	}
}

func TestAncestryCachesAnswersButNotErrors(t *testing.T) {
	r := auth.NewResolver()
	var calls atomic.Int32
	fail := true
	r.Teach("compounds", func(_ context.Context, id string) ([]string, error) {
		calls.Add(1)
		if fail {
			return nil, errors.New("governance unavailable")
		}
		return []string{"regions/C1"}, nil
	})
	if _, err := r.Ancestry(context.Background(), "compounds/K1"); err == nil {
		t.Fatal("the parents' error was lost")
	}
	fail = false
	for i := 0; i < 3; i++ {
		got, err := r.Ancestry(context.Background(), "compounds/K1")
		if err != nil || !reflect.DeepEqual(got, []string{"compounds/K1", "regions/C1"}) {
			t.Fatalf("Ancestry = %v, %v", got, err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("parents asked %d times, want 2 (once failing, then cached)", n)
	}
}

func TestTeachIfAbsentKeepsTheOwner(t *testing.T) {
	r := auth.NewResolver()
	r.Teach("projects", func(context.Context, string) ([]string, error) { return []string{"compounds/OWNER"}, nil })
	r.TeachIfAbsent("projects", func(context.Context, string) ([]string, error) { return []string{"compounds/REMOTE"}, nil })
	r.TeachIfAbsent("surveys", func(context.Context, string) ([]string, error) { return []string{"compounds/REMOTE"}, nil })
	if got, _ := r.Ancestry(context.Background(), "projects/P"); !reflect.DeepEqual(got, []string{"projects/P", "compounds/OWNER"}) {
		t.Errorf("projects: %v, want the owner's answer", got)
	}
	if got, _ := r.Ancestry(context.Background(), "surveys/V"); !reflect.DeepEqual(got, []string{"surveys/V", "compounds/REMOTE"}) {
		t.Errorf("surveys: %v, want the only teacher's answer", got)
	}
}

func TestAncestryIsSafeForConcurrentUse(t *testing.T) {
	r := authtest.Resolver()
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for _, res := range []string{"households/H1", "households/H3", "whistles/W1", "books/renovation-P1"} {
				if _, err := r.Ancestry(context.Background(), res); err != nil {
					t.Error(err)
				}
			}
			if i%4 == 0 {
				r.TeachIfAbsent("ideas", func(context.Context, string) ([]string, error) { return nil, nil })
			}
		}(i)
	}
	wg.Wait()
}
