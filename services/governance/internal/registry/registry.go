// Package registry holds the rules of the district's registry: the three-level regions,
// compounds and their classification (DOMAIN rule 1: a compound with no manager, owning
// unit or committee is
// THREE_NONE), buildings and households, and how
// residents' personal data is shown (rule 13: residents' names, phones and ID numbers
// masked to whoever need not see them). Plain Go: no protobuf, no Redis.
package registry

import (
	"fmt"
	"math"
	"time"

	"tongdu/platform/fault"
)

// Errors of the registry's rules, as the API answers them (platform/fault). Each is wrapped
// with fmt.Errorf("%w: …") where it occurs: the wrapping text is the client's message.
var (
	ErrNotFound      = fault.New(fault.NotFound, "", "not found")
	ErrAlreadyExists = fault.New(fault.Exists, "ALREADY_EXISTS", "already exists")
	ErrConflict      = fault.New(fault.Conflict, "ETAG_MISMATCH", "changed since read") // etag mismatch
	ErrRequestReused = fault.New(fault.Exists, "REQUEST_ID_REUSED", "request id reused with another request")
	ErrInconsistent  = fault.New(fault.Refused, "CLASSIFICATION_INCONSISTENT", "inconsistent classification")
	ErrWrongState    = fault.New(fault.Refused, "WRONG_STATE", "wrong state")   // e.g. voting in a closed election
	ErrNotEligible   = fault.New(fault.Refused, "NOT_ELIGIBLE", "not eligible") // e.g. a household of another building voting
	// A department resolving a whistle it has not acknowledged (rule 11: a department
	// resolves only what it has acknowledged).
	ErrNotAcknowledged = fault.New(fault.Refused, "NOT_ACKNOWLEDGED", "not acknowledged")
	// A second open election for one building or unit (rule 12: one election per building,
	// or unit, is open at a time).
	ErrElectionOpen = fault.New(fault.Refused, "ELECTION_OPEN", "election open")
	ErrResolution   = fault.New(fault.Refused, "RESOLUTION_NOT_PASSED", "resolution not passed") // e.g. adopting a convention
	ErrPeerDown     = fault.New(fault.Unavailable, "", "peer not available")                     // a service this one asks is not wired or built

	// Bad input on one field of the request (refuseOn names it): a region's parent at the
	// wrong level (region.parent), a compound outside a community (compound.communityId).
	ErrParentLevel  = fault.New(fault.Invalid, "", "parent level")
	ErrNotCommunity = fault.New(fault.Invalid, "", "not a community")
)

// fieldRefusal is a rule's refusal that the API answers as bad input on one field, the
// whole message being the field's description; errors.Is still finds the rule's sentinel.
type fieldRefusal struct {
	invalid  *fault.Error
	sentinel error
}

func (e *fieldRefusal) Error() string   { return e.invalid.Message }
func (e *fieldRefusal) Unwrap() []error { return []error{e.invalid, e.sentinel} }

// refuseOn is sentinel's refusal, "<sentinel>: <format…>", as bad input on field.
func refuseOn(field string, sentinel *fault.Error, format string, args ...any) error {
	msg := sentinel.Message + ": " + fmt.Sprintf(format, args...)
	invalid := &fault.Error{Kind: fault.Invalid, Message: msg, Violations: []fault.Violation{violation(field, msg)}}
	return &fieldRefusal{invalid: invalid, sentinel: sentinel}
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
		return refuseOn("region.parent", ErrParentLevel, "a district has no parent region")
	case level != District && parent == nil:
		return fault.Field("region.parent", fmt.Sprintf("a %s needs a parent region", level))
	case level != District && parent.Level != level-1:
		return refuseOn("region.parent", ErrParentLevel, "a %s's parent must be a %s, %s is a %s", level, level-1, parent.ID, parent.Level)
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

// violation is one offending field, for the rules that name every one they find.
func violation(field, description string) fault.Violation {
	return fault.Violation{Field: field, Description: description}
}

// nameOf is the contract's name of an enum value, or typ(n) for a number it does not know.
func nameOf[E ~int](names []string, v E, typ string) string {
	if v < 0 || int(v) >= len(names) {
		return fmt.Sprintf("%s(%d)", typ, int(v))
	}
	return names[v]
}
