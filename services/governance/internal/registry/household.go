package registry

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"tongdu/platform/fault"
)

// Building is a building of a compound, with its elected leaders (rule 12: a building's
// households elect its leader, one vote each).
type Building struct {
	ID                string            `json:"id"`
	CompoundID        string            `json:"compoundId"`
	Name              string            `json:"name"`
	UnitCount         int               `json:"unitCount"`
	FloorCount        int               `json:"floorCount,omitempty"`
	LeaderHouseholdID string            `json:"-"` // elected (rule 12: a building's households elect its leader, one vote each), kept beside the record
	UnitLeaders       map[string]string `json:"-"`
	CreateTime        time.Time         `json:"createTime"`

	// Derived from its households, kept beside the record.
	HouseholdCount, PartyMembers, NeedsAccessibility int `json:"-"`
}

// Household is a dwelling of a compound. ResidentName, Phone and IDNumber are personal
// data (rule 13: residents' names, phones and ID numbers masked to whoever need not see
// them): shown only masked, never logged.
type Household struct {
	ID                 string    `json:"id"`
	CompoundID         string    `json:"compoundId"`
	BuildingID         string    `json:"buildingId"`
	Unit               string    `json:"unit,omitempty"`
	Room               string    `json:"room"`
	ExclusiveArea      Area      `json:"exclusiveArea"`
	ResidentName       string    `json:"residentName,omitempty"`
	Phone              string    `json:"phone,omitempty"`
	IDNumber           string    `json:"idNumber,omitempty"`
	PartyMember        bool      `json:"partyMember,omitempty"`
	NeedsAccessibility bool      `json:"needsAccessibility,omitempty"`
	CreateTime         time.Time `json:"createTime"`
	// CreateAccount is the signed-in account (its token's subject) that registered the
	// household (rule 16: who acts). An account id is no personal data: never masked.
	CreateAccount string `json:"createAccount,omitempty"`
	// UpdateAccount and UpdateTime are the account that last changed the household (an
	// import of the register, rule 16) and when; empty until then.
	UpdateAccount string    `json:"updateAccount,omitempty"`
	UpdateTime    time.Time `json:"updateTime,omitzero"`
}

// DwellingKey names a dwelling within its compound; no two households share one. The
// separator is a control character, which NewHouseholds refuses in a unit or room, so
// different dwellings never share a key.
func (h *Household) DwellingKey() string {
	return h.BuildingID + "\x1f" + h.Unit + "\x1f" + h.Room
}

// normalUnit writes a numbered unit one way ("01" → "1"), so one stairwell is not
// registered under two names; named units ("east") stay as given.
func normalUnit(unit string) string {
	n, err := strconv.Atoi(unit)
	if err != nil || n < 0 || strings.ContainsAny(unit, "+-") {
		return unit
	}
	return strconv.Itoa(n)
}

// NewHouseholds checks households to be created together in a compound whose buildings
// are given by id, and fills what the server owns. field is the request's name of the
// list ("households") or of the single household ("household"), so violations point at
// the offending entry. It refuses the whole set if any entry is wrong.
func NewHouseholds(compoundID string, hs []Household, buildings map[string]*Building, field string, single bool, now time.Time) ([]Household, error) {
	var vs []fault.Violation
	seen := make(map[string]int, len(hs))
	out := make([]Household, len(hs))
	for i, h := range hs {
		h.Unit = normalUnit(h.Unit)
		name := field
		if !single {
			name = fmt.Sprintf("%s[%d]", field, i)
		}
		b, ok := buildings[h.BuildingID]
		switch {
		case !ok:
			vs = append(vs, violation(name+".buildingId", fmt.Sprintf("building %q is not in compound %s", h.BuildingID, compoundID)))
		case h.Unit != "" && b.UnitCount > 0 && !unitWithin(h.Unit, b.UnitCount):
			vs = append(vs, violation(name+".unit", fmt.Sprintf("building %s has units 1 to %d", b.Name, b.UnitCount)))
		}
		if h.ExclusiveArea <= 0 {
			vs = append(vs, violation(name+".exclusiveAreaM2", "must be greater than 0"))
		}
		// The dwelling key joins unit and room with a control character; one inside them
		// would make two dwellings one.
		if strings.IndexFunc(h.Unit, unicode.IsControl) >= 0 {
			vs = append(vs, violation(name+".unit", "may not contain control characters"))
		}
		if strings.IndexFunc(h.Room, unicode.IsControl) >= 0 {
			vs = append(vs, violation(name+".room", "may not contain control characters"))
		}
		key := h.DwellingKey()
		if j, dup := seen[key]; dup {
			vs = append(vs, violation(name+".room", fmt.Sprintf("same building, unit and room as entry %d", j)))
		}
		seen[key] = i
		h.CompoundID = compoundID
		h.CreateTime = now
		h.CreateAccount = ""
		out[i] = h
	}
	if len(vs) > 0 {
		return nil, fault.Fields(vs...)
	}
	return out, nil
}

// unitWithin accepts numbered units 1..count; named units ("east") are accepted as given.
func unitWithin(unit string, count int) bool {
	if strings.Trim(unit, "0123456789") != "" {
		return true // a named unit, even one that starts with digits ("10A")
	}
	n := 0
	for _, r := range unit {
		n = n*10 + int(r-'0')
		if n > count {
			return false
		}
	}
	return n >= 1
}

// MaskName keeps the family name: "张三" → "张*", "欧阳娜娜" → "欧***".
func MaskName(s string) string {
	if s == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(r) + strings.Repeat("*", utf8.RuneCountInString(s[size:]))
}

// MaskPhone keeps the first three and last four digits of a mobile number:
// "13812345678" → "138****5678". Shorter numbers (landlines) keep only their last two,
// or showing seven of eight digits would mask nothing.
func MaskPhone(s string) string {
	switch {
	case len(s) >= 11:
		return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
	case len(s) > 4:
		return strings.Repeat("*", len(s)-2) + s[len(s)-2:]
	}
	return strings.Repeat("*", len(s))
}

// MaskIDNumber keeps the first and last character only.
func MaskIDNumber(s string) string {
	if len(s) <= 2 {
		return strings.Repeat("*", len(s))
	}
	return s[:1] + strings.Repeat("*", len(s)-2) + s[len(s)-1:]
}

// Masked returns h with its personal data masked (rule 13: residents' names, phones and ID
// numbers masked to whoever need not see them). Until roles exist (issue 6)
// no caller is entitled to the full data, so every read path uses this.
func (h Household) Masked() Household {
	h.ResidentName = MaskName(h.ResidentName)
	h.Phone = MaskPhone(h.Phone)
	h.IDNumber = MaskIDNumber(h.IDNumber)
	return h
}
