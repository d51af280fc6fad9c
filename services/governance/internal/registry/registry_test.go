package registry_test

import (
	"errors"
	"testing"

	"tongdu/platform/fault"
	"tongdu/services/governance/internal/registry"
)

// errInvalid stands for any bad input (a fault.Invalid error) in the tables below.
var errInvalid = errors.New("invalid")

// fields lists the fields an error's violations name, or nil when it is not bad input.
func fields(err error) []string {
	vs := fault.ViolationsOf(err)
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Field
	}
	return out
}

// wantErr checks err against want (nil for success) and, for invalid requests, that the
// violations name exactly field.
func wantErr(t *testing.T, err, want error, field ...string) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want == errInvalid && !fault.IsKind(err, fault.Invalid):
		t.Fatalf("error = %v, want bad input", err)
	case want != nil && want != errInvalid && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	}
	if len(field) > 0 {
		got := fields(err)
		if len(got) != len(field) {
			t.Fatalf("violations name %q, want %q", got, field)
		}
		for i := range field {
			if got[i] != field[i] {
				t.Fatalf("violations name %q, want %q", got, field)
			}
		}
	}
}

func TestCheckParentEnforcesTheThreeLevelLinkage(t *testing.T) {
	district := &registry.Region{ID: "d", Level: registry.District}
	sub := &registry.Region{ID: "s", Level: registry.Subdistrict, Parent: "d"}
	community := &registry.Region{ID: "c", Level: registry.Community, Parent: "s"}
	tests := []struct {
		name   string
		level  registry.Level
		parent *registry.Region
		want   error
		field  string
	}{
		{"a district has no parent", registry.District, nil, nil, ""},
		{"a district under a district is refused", registry.District, district, registry.ErrParentLevel, ""},
		{"a sub-district sits under a district", registry.Subdistrict, district, nil, ""},
		{"a sub-district needs a parent", registry.Subdistrict, nil, errInvalid, "region.parent"},
		{"a sub-district under a sub-district is refused", registry.Subdistrict, sub, registry.ErrParentLevel, ""},
		{"a sub-district under a community is refused", registry.Subdistrict, community, registry.ErrParentLevel, ""},
		{"a community sits under a sub-district", registry.Community, sub, nil, ""},
		{"a community needs a parent", registry.Community, nil, errInvalid, "region.parent"},
		{"a community directly under a district is refused (one level up only)", registry.Community, district, registry.ErrParentLevel, ""},
		{"a community under a community is refused", registry.Community, community, registry.ErrParentLevel, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := registry.CheckParent(tt.level, tt.parent)
			if tt.field != "" {
				wantErr(t, err, tt.want, tt.field)
			} else {
				wantErr(t, err, tt.want)
			}
		})
	}
}

func TestLevelNames(t *testing.T) {
	for l, want := range map[registry.Level]string{
		registry.LevelUnspecified: "UNSPECIFIED", registry.District: "DISTRICT",
		registry.Subdistrict: "SUBDISTRICT", registry.Community: "COMMUNITY", registry.Level(42): "UNSPECIFIED",
	} {
		if got := l.String(); got != want {
			t.Errorf("Level(%d).String() = %q, want %q", int(l), got, want)
		}
	}
}

func TestAreaFromM2RoundsToTheNearestHundredth(t *testing.T) {
	tests := []struct {
		name string
		m2   float64
		want registry.Area
	}{
		{"whole square metres", 100, 10000},
		{"two decimals are kept exactly", 76.53, 7653},
		{"two decimals that float multiplication gets wrong (0.29*100 = 28.999…)", 0.29, 29},
		{"two decimals that float multiplication gets wrong (1.15*100 = 114.999…)", 1.15, 115},
		{"a hundredth", 0.01, 1},
		{"below half a hundredth rounds down", 0.004, 0},
		{"above half a hundredth rounds up", 89.996, 9000},
		{"an exact half rounds away from zero", 0.125, 13},
		{"the contract's largest area", 10000, 1000000},
		{"zero", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.AreaFromM2(tt.m2); got != tt.want {
				t.Fatalf("AreaFromM2(%v) = %d, want %d", tt.m2, got, tt.want)
			}
		})
	}
}

func TestAreaM2IsTheDecimalOfItsHundredths(t *testing.T) {
	for a, want := range map[registry.Area]float64{7653: 76.53, 1: 0.01, 10000: 100, 123456789: 1234567.89} {
		if got := a.M2(); got != want {
			t.Errorf("Area(%d).M2() = %v, want %v", int64(a), got, want)
		}
	}
}

func TestBadInputIsInvalidAndNamesItsFirstField(t *testing.T) {
	err := error(fault.Fields(fault.Violation{Field: "a.b", Description: "is wrong"}, fault.Violation{Field: "c", Description: "too"}))
	if !fault.IsKind(err, fault.Invalid) {
		t.Fatal("bad input must be of kind Invalid")
	}
	if errors.Is(err, registry.ErrNotFound) {
		t.Fatal("bad input must not match other sentinels")
	}
	if got, want := err.Error(), "invalid a.b: is wrong"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if got := fault.Fields().Error(); got != "invalid request" {
		t.Fatalf("empty bad input says %q", got)
	}
}

func TestAFieldRefusalNamesItsFieldAndKeepsItsSentinel(t *testing.T) {
	err := registry.CheckParent(registry.District, &registry.Region{ID: "d", Level: registry.District})
	if !errors.Is(err, registry.ErrParentLevel) {
		t.Fatalf("error = %v, want ErrParentLevel", err)
	}
	vs := fault.ViolationsOf(err)
	if len(vs) != 1 || vs[0].Field != "region.parent" || vs[0].Description != err.Error() || err.Error() != "parent level: a district has no parent region" {
		t.Fatalf("violations %+v of %q", vs, err)
	}
}
