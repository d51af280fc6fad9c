package registry

// RegionStatistics are the running counts of the compounds under a region (every level
// below it), kept as compounds change rather than counted on reading.
type RegionStatistics struct {
	RegionID   string
	Compounds  int64
	Households int64
	Buildings  int64
	// ByStatus and ByManagement count compounds by their current status and management
	// type (ManagementUnspecified: not yet classified).
	ByStatus     map[CompoundStatus]int64
	ByManagement map[ManagementType]int64
	// Entered counts the moves into a status by calendar year, district time; a compound
	// registered enters its first status.
	Entered map[YearStatus]int64
}

// YearStatus is a status entered in a year.
type YearStatus struct {
	Year   int
	Status CompoundStatus
}

// Statuses are the compound statuses in the order of the renovation round.
var Statuses = []CompoundStatus{Inventoried, Surveying, Planned, Renovating, CompoundAccepted, Maintaining}

// ManagementTypes are the management types, unclassified first.
var ManagementTypes = []ManagementType{ManagementUnspecified, CommercialNoPM, WorkUnitNoPM, ThreeNone, ProfessionalPM, SelfGoverned}
