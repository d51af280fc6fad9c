package auth_test

import (
	"context"
	"testing"

	"tongdu/platform/auth"
)

func TestParseRole(t *testing.T) {
	// The first issue's twelve, and the reporting systems of Open311 (issue 19).
	if len(auth.Roles) != 13 {
		t.Fatalf("%d roles, want 13", len(auth.Roles))
	}
	for _, r := range auth.Roles {
		if got, err := auth.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "resident", "ADMIN", " RESIDENT", "RESIDENT "} {
		if got, err := auth.ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q) = %q, want an error", s, got)
		}
	}
}

func TestCheckScope(t *testing.T) {
	for scope, ok := range map[string]bool{
		"":                  true,
		"regions/C1":        true,
		"compounds/K1":      true,
		"households/H1":     true,
		"projects/P1":       true,
		"departments/water": true,
		"regions":           false,
		"regions/":          false,
		"/C1":               false,
		"C1":                false,
		"buildings/B1":      false,
		"surveys/V1":        false,
		"regions/C1/":       false,
		"regions/C1/extra":  false,
		"Regions/C1":        false,
	} {
		if err := auth.CheckScope(scope); (err == nil) != ok {
			t.Errorf("CheckScope(%q) = %v, want ok=%v", scope, err, ok)
		}
	}
}

func TestPrincipalTravelsInTheContext(t *testing.T) {
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Fatal("a bare context carries a caller")
	}
	p := auth.Principal{Subject: "s", Role: auth.GridWorker, Scope: "regions/C1"}
	if got, ok := auth.FromContext(auth.WithPrincipal(context.Background(), p)); !ok || got != p {
		t.Fatalf("FromContext = %+v, %v", got, ok)
	}
}

// Rule 13: names, phones and ID numbers only for the staff who register and visit households.
func TestSeesPersonalData(t *testing.T) {
	sees := map[auth.Role]bool{auth.DistrictAdmin: true, auth.SubdistrictStaff: true, auth.CommunityStaff: true, auth.GridWorker: true}
	for _, r := range auth.Roles {
		if got := (auth.Principal{Role: r, Scope: "regions/C1"}).SeesPersonalData(); got != sees[r] {
			t.Errorf("%s sees personal data: %v, want %v", r, got, sees[r])
		}
	}
}
