package registry

import (
	"fmt"
	"regexp"
	"time"

	"tongdu/platform/dated"
	"tongdu/platform/fault"
)

// BranchKind is a party branch's kind: a compound's branch or a community's general
// branch (小区党支部 / 社区党总支).
type BranchKind int

const (
	BranchUnspecified BranchKind = iota
	CompoundBranch
	CommunityGeneralBranch
)

// PartyBranch is a party organisation of a compound or a community.
type PartyBranch struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Kind        BranchKind `json:"kind"`
	CompoundID  string     `json:"compoundId,omitempty"`
	CommunityID string     `json:"communityId"`
	Secretary   string     `json:"secretary,omitempty"`
	MemberCount int        `json:"memberCount"`
	CreateTime  time.Time  `json:"createTime"`
}

// NewPartyBranch checks a branch: a compound branch names its compound (and sits in that
// compound's community); a general branch names a community.
func NewPartyBranch(b PartyBranch, compound *Compound, community *Region, now time.Time) (PartyBranch, error) {
	switch b.Kind {
	case CompoundBranch:
		if compound == nil {
			return PartyBranch{}, fault.Field("partyBranch.compoundId", "a COMPOUND branch names its compound")
		}
		if b.CommunityID != "" && b.CommunityID != compound.CommunityID {
			return PartyBranch{}, fault.Field("partyBranch.communityId", "is not the compound's community")
		}
		b.CommunityID = compound.CommunityID
	case CommunityGeneralBranch:
		if b.CompoundID != "" {
			return PartyBranch{}, fault.Field("partyBranch.compoundId", "a COMMUNITY_GENERAL branch belongs to a community, not a compound")
		}
		if community == nil || community.Level != Community {
			return PartyBranch{}, fault.Field("partyBranch.communityId", "a COMMUNITY_GENERAL branch names a community")
		}
	default:
		return PartyBranch{}, fault.Field("partyBranch.kind", "is COMPOUND or COMMUNITY_GENERAL")
	}
	if b.MemberCount < 0 {
		return PartyBranch{}, fault.Field("partyBranch.memberCount", "must not be negative")
	}
	b.CreateTime = now
	return b, nil
}

// GridCell is a grid of a community (网格) with its grid worker and buildings. A building
// belongs to at most one grid cell.
type GridCell struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	CommunityID string    `json:"communityId"`
	GridWorker  string    `json:"gridWorker,omitempty"`
	BuildingIDs []string  `json:"buildingIds"`
	CreateTime  time.Time `json:"createTime"`

	// Derived from the buildings' households.
	Households, PartyMembers, NeedsAccessibility int `json:"-"`
}

// NewGridCell checks a grid cell: its buildings exist, each once, in the cell's community.
// communityOf gives each named building's community ("" for an unknown building).
func NewGridCell(g GridCell, community *Region, communityOf map[string]string, now time.Time) (GridCell, error) {
	if community == nil || community.Level != Community {
		return GridCell{}, fault.Field("gridCell.communityId", "a grid cell belongs to a community")
	}
	var vs []fault.Violation
	seen := map[string]bool{}
	for i, b := range g.BuildingIDs {
		f := fmt.Sprintf("gridCell.buildingIds[%d]", i)
		switch c := communityOf[b]; {
		case seen[b]:
			vs = append(vs, violation(f, "building named twice"))
		case c == "":
			vs = append(vs, violation(f, "no building "+b))
		case c != community.ID:
			vs = append(vs, violation(f, fmt.Sprintf("building %s is in community %s, not %s", b, c, community.ID)))
		}
		seen[b] = true
	}
	if len(vs) > 0 {
		return GridCell{}, fault.Fields(vs...)
	}
	g.CreateTime = now
	return g, nil
}

// LinkedUnit is a work unit tied to a community (挂联单位).
type LinkedUnit struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	CommunityID string    `json:"communityId"`
	Contact     string    `json:"contact,omitempty"`
	CreateTime  time.Time `json:"createTime"`
}

// PartyMember is an in-service party member registered where they live (双报到). The
// name is personal data (rule 13: residents' names, phones and ID numbers masked to
// whoever need not see them): shown masked.
type PartyMember struct {
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	ResidenceCommunityID string    `json:"residenceCommunityId"`
	LinkedUnitID         string    `json:"linkedUnitId"`
	HouseholdID          string    `json:"householdId,omitempty"`
	RegisterTime         time.Time `json:"registerTime"`
}

// ServiceRecord is a member's service to their residence community (双服务).
type ServiceRecord struct {
	ID            string    `json:"id"`
	PartyMemberID string    `json:"partyMemberId"`
	Date          string    `json:"date"` // 2021-11-06
	Hours         Hours     `json:"hours"`
	Activity      string    `json:"activity"`
	CompoundID    string    `json:"compoundId,omitempty"`
	CreateTime    time.Time `json:"createTime"`
}

// Hours are hours of service in hundredths, kept as integers so sums are exact.
type Hours int64

// HoursFrom converts hours, rounded to the nearest hundredth.
func HoursFrom(h float64) Hours { return Hours(AreaFromM2(h)) }

// Float converts back to hours.
func (h Hours) Float() float64 { return float64(h) / 100 }

var datePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// NewServiceRecord checks a record of service: a real date, and some hours of a day.
func NewServiceRecord(r ServiceRecord, now time.Time) (ServiceRecord, error) {
	if !datePattern.MatchString(r.Date) {
		return ServiceRecord{}, fault.Field("serviceRecord.date", "is a day, e.g. 2021-11-06")
	}
	// The day is the district's (China's, UTC+8 all year), whatever zone the server's
	// clock runs in: between 00:00 and 08:00 in China a UTC server is still on
	// yesterday, and today's service must not read as the future.
	d, err := time.ParseInLocation(time.DateOnly, r.Date, dated.Zone)
	if err != nil {
		return ServiceRecord{}, fault.Field("serviceRecord.date", "is not a day of the calendar")
	}
	if d.After(now) {
		return ServiceRecord{}, fault.Field("serviceRecord.date", "lies in the future")
	}
	if r.Hours <= 0 || r.Hours > 2400 {
		return ServiceRecord{}, fault.Field("serviceRecord.hours", "runs from more than 0 to 24")
	}
	r.CreateTime = now
	return r, nil
}

var (
	yearPattern    = regexp.MustCompile(`^[0-9]{4}$`)
	quarterPattern = regexp.MustCompile(`^([0-9]{4})-Q([1-4])$`)
	monthPattern   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
)

// Months lists the months ("2021-11") a report-back period covers: a year ("2021"), a
// quarter ("2021-Q4") or a month ("2021-11").
func Months(period string) ([]string, error) {
	switch {
	case yearPattern.MatchString(period):
		out := make([]string, 12)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%02d", period, i+1)
		}
		return out, nil
	case quarterPattern.MatchString(period):
		m := quarterPattern.FindStringSubmatch(period)
		q := int(m[2][0] - '0')
		out := make([]string, 3)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%02d", m[1], (q-1)*3+i+1)
		}
		return out, nil
	case monthPattern.MatchString(period):
		return []string{period}, nil
	}
	return nil, fault.Field("period", "is a year (2021), a quarter (2021-Q4) or a month (2021-11)")
}
