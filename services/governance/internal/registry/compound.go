package registry

import (
	"fmt"
	"slices"
	"time"

	"tongdu/platform/fault"
)

// ManagementType says how a compound is managed (物业 / 三无管).
type ManagementType int

const (
	ManagementUnspecified ManagementType = iota
	CommercialNoPM
	WorkUnitNoPM
	ThreeNone
	ProfessionalPM
	SelfGoverned
)

var managementTypeNames = []string{"UNSPECIFIED", "COMMERCIAL_NO_PM", "WORK_UNIT_NO_PM", "THREE_NONE", "PROFESSIONAL_PM", "SELF_GOVERNED"}

func (m ManagementType) String() string { return nameOf(managementTypeNames, m, "ManagementType") }

// GovernanceMode is what was decided for the compound after classification.
type GovernanceMode int

const (
	GovernanceUnspecified GovernanceMode = iota
	IntroducePM
	SelfGovernance
)

// CompoundStatus follows a compound through the renovation round.
type CompoundStatus int

const (
	StatusUnspecified CompoundStatus = iota
	Inventoried
	Surveying
	Planned
	Renovating
	CompoundAccepted
	Maintaining
)

// Condition is the assessed state of one facility.
type Condition int

const (
	ConditionUnspecified Condition = iota
	Good
	Fair
	Poor
)

// Facility is one assessed facility of a compound (kind numbers follow the contract).
type Facility struct {
	Kind      int       `json:"kind"`
	Condition Condition `json:"condition"`
	Notes     string    `json:"notes,omitempty"`
}

// Classification records the decision of rule 1 (a compound with no manager, owning unit
// or committee is THREE_NONE) and who took it.
type Classification struct {
	ManagementType ManagementType `json:"managementType"`
	GovernanceMode GovernanceMode `json:"governanceMode"`
	DecidedBy      string         `json:"decidedBy"`
	DecideTime     time.Time      `json:"decideTime"`
}

// Compound is a residential compound. HouseholdCount, TotalArea and BuildingCount are
// derived from its households and buildings and kept by storage, not set by callers.
type Compound struct {
	ID                      string          `json:"id"`
	Name                    string          `json:"name"`
	Address                 string          `json:"address,omitempty"`
	CommunityID             string          `json:"communityId"`
	RegionPath              []string        `json:"regionPath"`
	BuildYear               int             `json:"buildYear,omitempty"`
	ManagementType          ManagementType  `json:"managementType,omitempty"`
	GovernanceMode          GovernanceMode  `json:"governanceMode,omitempty"`
	Facilities              []Facility      `json:"facilities,omitempty"`
	HeritageNotes           string          `json:"heritageNotes,omitempty"`
	DemonstrationSite       bool            `json:"demonstrationSite,omitempty"`
	Status                  CompoundStatus  `json:"status"`
	PropertyManager         string          `json:"propertyManager,omitempty"`
	OwningUnit              string          `json:"owningUnit,omitempty"`
	SelfManagementCommittee bool            `json:"selfManagementCommittee,omitempty"`
	Classification          *Classification `json:"classification,omitempty"`
	CreateTime              time.Time       `json:"createTime"`
	UpdateTime              time.Time       `json:"updateTime"`
	// StatusTime is when the compound entered its status (rule 15: when the fact behind
	// it happened, which a project entered after the fact dates years back); zero for
	// records from before it was kept.
	StatusTime time.Time `json:"statusTime,omitzero"`
	// CreateAccount is the signed-in account (its token's subject) that registered the
	// compound; UpdateAccount the one of its last update or classification (rule 16: who
	// acts). A status that follows the renovation moves on an event, which no one signed
	// in to make, so it leaves UpdateAccount as it was.
	CreateAccount string `json:"createAccount,omitempty"`
	UpdateAccount string `json:"updateAccount,omitempty"`
	// Projects is the latest reported status of each of the compound's projects (see
	// FollowFact): the status follows all of them, and a fact older than the one kept for
	// its project changes nothing.
	Projects []ProjectFact `json:"projects,omitempty"`

	// Derived, kept beside the record.
	HouseholdCount int   `json:"-"`
	TotalArea      Area  `json:"-"`
	BuildingCount  int   `json:"-"`
	Revision       int64 `json:"-"`
}

// Etag is the compound's revision as the API shows it.
func (c *Compound) Etag() string { return fmt.Sprintf("r%d", c.Revision) }

// NewCompound checks a compound to be created in community and fills what the server
// owns. Unset status becomes INVENTORIED.
func NewCompound(c Compound, community *Region, now time.Time) (Compound, error) {
	if community.Level != Community {
		return Compound{}, refuseOn("compound.communityId", ErrNotCommunity, "%s is a %s, compounds sit in a COMMUNITY", community.ID, community.Level)
	}
	if c.Status == StatusUnspecified {
		c.Status = Inventoried
	}
	if err := checkFacilities(c.Facilities); err != nil {
		return Compound{}, err
	}
	if c.ManagementType != ManagementUnspecified {
		if err := CheckManagementType(c.ManagementType, c.facts()); err != nil {
			return Compound{}, err
		}
	}
	c.CreateTime, c.UpdateTime = now, now
	c.CreateAccount, c.UpdateAccount = "", ""
	c.Classification = nil
	return c, nil
}

// checkFacilities refuses the same facility kind assessed twice: the ranking would count it
// twice.
func checkFacilities(fs []Facility) error {
	seen := map[int]bool{}
	for i, f := range fs {
		if seen[f.Kind] {
			return fault.Field(fmt.Sprintf("compound.facilities[%d].kind", i), "each facility kind is assessed once")
		}
		seen[f.Kind] = true
	}
	return nil
}

// Facts are what rule 1 (a compound with no manager, owning unit or committee is
// THREE_NONE) classifies a compound by.
type Facts struct {
	PropertyManager         bool
	OwningUnit              bool
	SelfManagementCommittee bool
}

func (c *Compound) facts() Facts {
	return Facts{PropertyManager: c.PropertyManager != "", OwningUnit: c.OwningUnit != "", SelfManagementCommittee: c.SelfManagementCommittee}
}

// DeriveManagementType applies rule 1: no property manager, no owning unit and no
// self-management committee make a THREE_NONE compound.
func DeriveManagementType(f Facts) ManagementType {
	switch {
	case f.PropertyManager:
		return ProfessionalPM
	case f.SelfManagementCommittee:
		return SelfGoverned
	case f.OwningUnit:
		return WorkUnitNoPM
	default:
		return ThreeNone
	}
}

// CheckManagementType refuses a management type that contradicts the compound's facts.
// A commercial compound without property management is told apart from a three-none one
// only by its self-management committee, so COMMERCIAL_NO_PM needs one.
func CheckManagementType(t ManagementType, f Facts) error {
	none := !f.PropertyManager && !f.OwningUnit && !f.SelfManagementCommittee
	var ok bool
	var why string
	switch t {
	case ThreeNone:
		ok, why = none, "THREE_NONE needs no property manager, no owning unit and no self-management committee"
	case ProfessionalPM:
		ok, why = f.PropertyManager, "PROFESSIONAL_PM needs a property manager"
	case WorkUnitNoPM:
		ok, why = f.OwningUnit && !f.PropertyManager, "WORK_UNIT_NO_PM needs an owning unit and no property manager"
	case SelfGoverned:
		ok, why = f.SelfManagementCommittee && !f.PropertyManager, "SELF_GOVERNED needs a self-management committee and no property manager"
	case CommercialNoPM:
		ok, why = !f.PropertyManager && !f.OwningUnit && f.SelfManagementCommittee, "COMMERCIAL_NO_PM needs no property manager and no owning unit; with no self-management committee either it is THREE_NONE"
	default:
		return fault.Field("managementType", "unknown management type")
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrInconsistent, why)
	}
	return nil
}

// FactsChange carries the facts a classification states; nil leaves a fact as it is.
type FactsChange struct {
	PropertyManager         *string
	OwningUnit              *string
	SelfManagementCommittee *bool
}

// Classify records the decision of rule 1 (a compound with no manager, owning unit or
// committee is THREE_NONE) on c. The facts the decision states replace the
// compound's first (bringing in a property manager changes what the compound is); then an
// unspecified management type is derived from the facts, and a given one must agree.
func Classify(c Compound, t ManagementType, mode GovernanceMode, decidedBy string, change FactsChange, now time.Time) (Compound, error) {
	if mode == GovernanceUnspecified {
		return Compound{}, fault.Field("governanceMode", "is required")
	}
	if decidedBy == "" {
		return Compound{}, fault.Field("decidedBy", "is required")
	}
	if change.PropertyManager != nil {
		c.PropertyManager = *change.PropertyManager
	}
	if change.OwningUnit != nil {
		c.OwningUnit = *change.OwningUnit
	}
	if change.SelfManagementCommittee != nil {
		c.SelfManagementCommittee = *change.SelfManagementCommittee
	}
	if t == ManagementUnspecified {
		t = DeriveManagementType(c.facts())
	} else if err := CheckManagementType(t, c.facts()); err != nil {
		return Compound{}, err
	}
	c.ManagementType, c.GovernanceMode = t, mode
	c.Classification = &Classification{ManagementType: t, GovernanceMode: mode, DecidedBy: decidedBy, DecideTime: now}
	c.UpdateTime = now
	return c, nil
}

// UpdatableFields are the compound fields PATCH may replace, by their API (JSON) names.
var UpdatableFields = map[string]bool{
	"name": true, "address": true, "buildYear": true,
	"facilities": true, "heritageNotes": true, "demonstrationSite": true,
	"propertyManager": true, "owningUnit": true, "selfManagementCommittee": true,
}

// statusIsDerived is the refusal of a status set by hand: a compound's status is derived
// only, following its renovation through the survey and projects services' events
// (FollowRenovation), so the record always says where the renovation stands and the
// ranking (rule 4: only compounds still waiting for a plan) cannot be steered by an edit.
func statusIsDerived() error {
	return fault.Field("compound.status", "follows the renovation (a needs survey opened, a project approved, built, accepted) and cannot be set")
}

// ApplyUpdate replaces the masked fields of current with those of patch. Moving a compound
// to another community, or rewriting its classification, goes through their own methods;
// the status is derived only (statusIsDerived). Without a mask nothing is replaced: the
// caller names the fields; a body that sets a status other than the stored one is
// refused on the status first, so the caller learns it cannot be set at all.
func ApplyUpdate(current, patch Compound, mask []string, now time.Time) (Compound, error) {
	if len(mask) == 0 {
		if patch.Status != StatusUnspecified && patch.Status != current.Status {
			return Compound{}, statusIsDerived()
		}
		return Compound{}, fault.Field("updateMask", "name the fields to update")
	}
	next := current
	for _, f := range mask {
		switch f {
		case "name":
			if patch.Name == "" {
				return Compound{}, fault.Field("compound.name", "cannot be emptied")
			}
			next.Name = patch.Name
		case "address":
			next.Address = patch.Address
		case "buildYear":
			next.BuildYear = patch.BuildYear
		case "managementType", "governanceMode":
			return Compound{}, fault.Field("updateMask", fmt.Sprintf("%q is decided by :classify, which records who decided", f))
		case "facilities":
			if err := checkFacilities(patch.Facilities); err != nil {
				return Compound{}, err
			}
			next.Facilities = patch.Facilities
		case "heritageNotes":
			next.HeritageNotes = patch.HeritageNotes
		case "demonstrationSite":
			next.DemonstrationSite = patch.DemonstrationSite
		case "status":
			return Compound{}, statusIsDerived()
		case "propertyManager":
			next.PropertyManager = patch.PropertyManager
		case "owningUnit":
			next.OwningUnit = patch.OwningUnit
		case "selfManagementCommittee":
			next.SelfManagementCommittee = patch.SelfManagementCommittee
		default:
			return Compound{}, fault.Field("updateMask", fmt.Sprintf("%q cannot be updated", f))
		}
	}
	// Rule 1 (a compound with no manager, owning unit or committee is THREE_NONE) must still
	// hold after the edit: facts and type move together.
	if next.ManagementType != ManagementUnspecified {
		if err := CheckManagementType(next.ManagementType, next.facts()); err != nil {
			return Compound{}, err
		}
	}
	next.UpdateTime = now
	return next, nil
}

// Facts of the registry behind the priority ranking (rule 4: deficit from the facilities
// assessed, participation over all households; by default only compounds still waiting
// for a plan), which governance publishes for the survey service whenever one changes.
const (
	FactCreated            = "CREATED"             // a new compound: every fact is new
	FactFacilitiesAssessed = "FACILITIES_ASSESSED" // its facilities were set or changed
	FactHouseholdsChanged  = "HOUSEHOLDS_CHANGED"  // households were added
	FactClassified         = "CLASSIFIED"          // it was classified (rule 1)
	FactStatusChanged      = "STATUS_CHANGED"      // its status followed the renovation
)

// RankingFacts are the registry facts an edit of a compound changed, from prev to next,
// in a fixed order: facilities, classification, status. An edit that changes none of
// them (a name, an address, heritage notes) changes nothing the ranking reads.
func RankingFacts(prev, next *Compound) []string {
	var out []string
	if !slices.Equal(prev.Facilities, next.Facilities) {
		out = append(out, FactFacilitiesAssessed)
	}
	if !sameClassification(prev.Classification, next.Classification) {
		out = append(out, FactClassified)
	}
	if prev.Status != next.Status {
		out = append(out, FactStatusChanged)
	}
	return out
}

func sameClassification(a, b *Classification) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ManagementType == b.ManagementType && a.GovernanceMode == b.GovernanceMode && a.DecidedBy == b.DecidedBy && a.DecideTime.Equal(b.DecideTime)
}
