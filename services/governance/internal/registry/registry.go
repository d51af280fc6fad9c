// Package registry holds the rules of the district's registry: the three-level regions,
// compounds and their classification (DOMAIN rule 1), buildings and households, and how
// residents' personal data is shown (rule 13). Plain Go: no protobuf, no Redis.
package registry

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Errors the registry's callers map to API statuses.
var (
	ErrNotFound        = errors.New("not found")
	ErrAlreadyExists   = errors.New("already exists")
	ErrConflict        = errors.New("changed since read") // etag mismatch
	ErrRequestReused   = errors.New("request id reused with another request")
	ErrInvalid         = errors.New("invalid")
	ErrInconsistent    = errors.New("inconsistent classification")
	ErrParentLevel     = errors.New("parent level")
	ErrNotCommunity    = errors.New("not a community")
	ErrBuildingUnknown = errors.New("building unknown")
	ErrWrongState      = errors.New("wrong state")           // e.g. voting in a closed election
	ErrNotEligible     = errors.New("not eligible")          // e.g. a household of another building voting
	ErrResolution      = errors.New("resolution not passed") // e.g. adopting a convention
	ErrPeerDown        = errors.New("peer not available")    // a service this one asks is not wired or built
)

// Violation is one offending field of a request, named as the API names it.
type Violation struct {
	Field  string
	Reason string
}

// InvalidError lists every violation found in a request; it matches ErrInvalid.
type InvalidError struct{ Violations []Violation }

func (e *InvalidError) Error() string {
	if len(e.Violations) == 0 {
		return "invalid request"
	}
	return fmt.Sprintf("invalid %s: %s", e.Violations[0].Field, e.Violations[0].Reason)
}

func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, reason string) error {
	return &InvalidError{Violations: []Violation{{Field: field, Reason: reason}}}
}

// Level is a region's place in the three-level linkage.
type Level int

const (
	LevelUnspecified Level = iota
	District
	Subdistrict
	Community
)

func (l Level) String() string {
	switch l {
	case District:
		return "DISTRICT"
	case Subdistrict:
		return "SUBDISTRICT"
	case Community:
		return "COMMUNITY"
	}
	return "UNSPECIFIED"
}

// Region is a district, a sub-district or a community.
type Region struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Level      Level     `json:"level"`
	Parent     string    `json:"parent,omitempty"`
	CreateTime time.Time `json:"createTime"`
}

// CheckParent enforces the linkage: a district has no parent; a sub-district sits in a
// district and a community in a sub-district, exactly one level up. parent is nil when
// the request names none.
func CheckParent(level Level, parent *Region) error {
	switch {
	case level == District && parent != nil:
		return fmt.Errorf("%w: a district has no parent region", ErrParentLevel)
	case level != District && parent == nil:
		return invalid("region.parent", fmt.Sprintf("a %s needs a parent region", level))
	case level != District && parent.Level != level-1:
		return fmt.Errorf("%w: a %s's parent must be a %s, %s is a %s", ErrParentLevel, level, level-1, parent.ID, parent.Level)
	}
	return nil
}

// Area is an exclusive floor area in hundredths of a square metre. Areas are summed and
// compared against vote thresholds, so they are kept as integers, never as floats.
type Area int64

// AreaFromM2 converts square metres, rounded to the nearest hundredth.
func AreaFromM2(m2 float64) Area { return Area(math.Round(m2 * 100)) }

// M2 converts back to square metres.
func (a Area) M2() float64 { return float64(a) / 100 }
