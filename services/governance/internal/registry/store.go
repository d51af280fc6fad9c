package registry

import (
	"fmt"
	"time"
)

// Records and refusals the store reports in the registry's terms.

// DwellingTakenError says which household of a set names a dwelling that is registered.
type DwellingTakenError struct{ Index int }

func (e *DwellingTakenError) Error() string {
	return fmt.Sprintf("household %d: that building, unit and room is registered already", e.Index)
}

// Unwrap makes it ErrAlreadyExists.
func (e *DwellingTakenError) Unwrap() error { return ErrAlreadyExists }

// BuildingTakenError says which building of a grid cell belongs to another cell.
type BuildingTakenError struct{ Index int }

func (e *BuildingTakenError) Error() string {
	return fmt.Sprintf("building %d belongs to another grid cell", e.Index)
}

// Unwrap makes it ErrAlreadyExists.
func (e *BuildingTakenError) Unwrap() error { return ErrAlreadyExists }

// WhistleFilter says which whistles a listing asks for: the store reads the narrowest
// index it allows; a match function decides exactly which whistles are kept.
type WhistleFilter struct {
	Status       WhistleStatus
	Overdue      bool
	CompoundID   string
	DepartmentID string
	// HouseholdID keeps the whistles this household reported ("my whistles").
	HouseholdID string
}

// AuditEntry is one change of the audit trail.
type AuditEntry struct {
	ID, Service, Actor, Role, Method, Resource, RequestID, Outcome string
	Time                                                           time.Time
}
