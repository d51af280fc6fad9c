package registry

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tongdu/platform/fault"
)

// ImportKind is what a spreadsheet import brings in.
type ImportKind int

const (
	ImportUnspecified ImportKind = iota
	ImportHouseholds             // a compound's household register
	ImportCompounds              // a community's compound inventory
)

var importKindNames = []string{"KIND_UNSPECIFIED", "HOUSEHOLDS", "COMPOUNDS"}

func (k ImportKind) String() string { return nameOf(importKindNames, k, "ImportKind") }

// Column is one column of an import: its key (the English alias), its Chinese header,
// whether a row needs it, and the values a template offers in a dropdown.
type Column struct {
	Key, Chinese string
	Required     bool
	Choices      []string
	// Text columns are formatted as text in the template (ID numbers, phones, rooms).
	Text bool
}

// Header is the column's header in a template: the Chinese name (the English alias is
// accepted as well).
func (c Column) Header() string { return c.Chinese }

var yesNo = []string{"是", "否"}

// HouseholdColumns are a household register's columns (API.md, imports).
var HouseholdColumns = []Column{
	{Key: "building", Chinese: "楼栋", Required: true, Text: true},
	{Key: "unit", Chinese: "单元", Text: true},
	{Key: "room", Chinese: "房号", Required: true, Text: true},
	{Key: "area_m2", Chinese: "专有面积", Required: true},
	{Key: "name", Chinese: "姓名", Text: true},
	{Key: "phone", Chinese: "电话", Text: true},
	{Key: "id_number", Chinese: "身份证号", Text: true},
	{Key: "party_member", Chinese: "党员", Choices: yesNo},
	{Key: "needs_accessibility", Chinese: "无障碍需求", Choices: yesNo},
}

// managementChoices are the management types a compound inventory names, in Chinese or
// by the contract's names.
var managementChoices = map[string]ManagementType{
	"商品房无物业": CommercialNoPM, "单位自管无物业": WorkUnitNoPM, "三无": ThreeNone,
	"专业物业": ProfessionalPM, "居民自治": SelfGoverned,
	"COMMERCIAL_NO_PM": CommercialNoPM, "WORK_UNIT_NO_PM": WorkUnitNoPM, "THREE_NONE": ThreeNone,
	"PROFESSIONAL_PM": ProfessionalPM, "SELF_GOVERNED": SelfGoverned,
}

// CompoundColumns are a compound inventory's columns: the compound's facts a community
// keeps (rule 1 classifies by the manager, owning unit and committee).
var CompoundColumns = []Column{
	{Key: "name", Chinese: "小区名称", Required: true, Text: true},
	{Key: "address", Chinese: "地址", Text: true},
	{Key: "build_year", Chinese: "建成年份"},
	{Key: "management_type", Chinese: "管理类型", Choices: []string{"商品房无物业", "单位自管无物业", "三无", "专业物业", "居民自治"}},
	{Key: "property_manager", Chinese: "物业服务企业", Text: true},
	{Key: "owning_unit", Chinese: "产权单位", Text: true},
	{Key: "self_management_committee", Chinese: "自管委员会", Choices: yesNo},
	{Key: "heritage_notes", Chinese: "历史风貌", Text: true},
	{Key: "demonstration_site", Chinese: "示范小区", Choices: yesNo},
}

// ColumnsOf are the columns of an import kind.
func ColumnsOf(k ImportKind) []Column {
	if k == ImportCompounds {
		return CompoundColumns
	}
	return HouseholdColumns
}

// MatchColumns maps a file's header to column keys: each header cell is a column's
// Chinese name or its English alias (case and spaces ignored). It returns the column
// index of each key found, and an error naming the required columns missing or a column
// given twice. Unknown columns are ignored (a clerk's own notes).
func MatchColumns(k ImportKind, header []string) (map[string]int, error) {
	byName := map[string]string{}
	for _, c := range ColumnsOf(k) {
		byName[c.Chinese] = c.Key
		byName[c.Key] = c.Key
	}
	at := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.Join(strings.Fields(strings.TrimPrefix(h, "\ufeff")), ""))
		name = strings.TrimSuffix(strings.TrimSuffix(name, "(m²)"), "（m²）")
		key, ok := byName[name]
		if !ok {
			continue
		}
		if _, twice := at[key]; twice {
			return nil, fault.Field("file", fmt.Sprintf("column %s appears twice in the header", key))
		}
		at[key] = i
	}
	var missing []string
	for _, c := range ColumnsOf(k) {
		if _, ok := at[c.Key]; c.Required && !ok {
			missing = append(missing, c.Chinese+"/"+c.Key)
		}
	}
	if len(missing) > 0 {
		return nil, fault.Field("file", "the header (row 1) lacks the columns "+strings.Join(missing, ", "))
	}
	return at, nil
}

// Cell is one cell as read: its text, and whether the spreadsheet stored it as a number
// (which an 18-digit ID number cannot survive: Excel keeps 15 significant digits).
type Cell struct {
	Text    string
	Numeric bool
}

// SheetRow is one row of a file: its sheet row number (the header is row 1) and its
// cells by column key.
type SheetRow struct {
	Number int
	Cells  map[string]Cell
}

// RowStatus is what importing a row would do.
type RowStatus int

const (
	RowUnspecified RowStatus = iota
	RowNew
	RowChanged
	RowUnchanged
	RowInError
)

// RowError is one fault of a row: the column (its header, Chinese) and why. A reason
// never quotes the cell, which may be personal data (rule 13).
type RowError struct {
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// PlannedRow is one row previewed: its status, faults, what it names and, for a new or
// changed row, the record it would write.
type PlannedRow struct {
	Row     int        `json:"row"`
	Status  RowStatus  `json:"status"`
	Errors  []RowError `json:"errors,omitempty"`
	Key     string     `json:"key,omitempty"`
	Changed []string   `json:"changed,omitempty"`
	// Households: the building by name (created on confirm when BuildingID is empty) and
	// the household to write (new: no ID yet; changed: the stored one edited).
	BuildingName string     `json:"buildingName,omitempty"`
	Household    *Household `json:"household,omitempty"`
	// Compounds: the compound to create (no ID) or the stored one's id and the fields
	// to replace (UpdatableFields' names) with Compound's.
	Compound *Compound `json:"compound,omitempty"`
	Mask     []string  `json:"mask,omitempty"`
}

// ImportSummary counts the rows of a preview by status.
type ImportSummary struct {
	New, Changed, Unchanged, Errors int
}

// Summarise counts rows by status.
func Summarise(rows []PlannedRow) ImportSummary {
	var s ImportSummary
	for _, r := range rows {
		switch r.Status {
		case RowNew:
			s.New++
		case RowChanged:
			s.Changed++
		case RowUnchanged:
			s.Unchanged++
		case RowInError:
			s.Errors++
		}
	}
	return s
}

// idWeights and idCheck are GB 11643's check digit: the weighted sum of the first 17
// digits modulo 11 picks the 18th.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck   = "10X98765432"
)

// Reasons an ID number is refused; none quotes the number.
var (
	ErrIDStoredAsNumber = errors.New("stored by the spreadsheet as a number, which keeps 15 digits: format the column as text and type the number again")
	ErrIDShape          = errors.New("must be 18 characters: 17 digits and a digit or X")
	ErrIDCheckDigit     = errors.New("the check digit (GB 11643) does not match the other 17 digits")
)

// scientific is how a spreadsheet shows a big number it holds as one (1.10105E+17).
var scientific = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+$`)

// CheckIDNumber checks a resident ID number (GB 11643): 18 characters, the check digit
// right. A number the spreadsheet stored as a number has lost its last digits and is
// refused as such, whatever it shows.
func CheckIDNumber(c Cell) (string, error) {
	s := strings.ToUpper(strings.TrimSpace(c.Text))
	if c.Numeric || scientific.MatchString(s) || strings.HasSuffix(s, ".0") {
		return "", ErrIDStoredAsNumber
	}
	if len(s) != 18 || strings.Trim(s[:17], "0123456789") != "" || strings.Trim(s[17:], "0123456789X") != "" {
		return "", ErrIDShape
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * idWeights[i]
	}
	if idCheck[sum%11] != s[17] {
		return "", ErrIDCheckDigit
	}
	return s, nil
}

// IDCheckDigit is the check digit of 17 digits (for tests and demo data).
func IDCheckDigit(first17 string) byte {
	sum := 0
	for i := 0; i < 17 && i < len(first17); i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheck[sum%11]
}

// ParseYesNo reads 是/否, yes/no, true/false, Y/N, 1/0, ✓; empty is no.
func ParseYesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "否", "no", "n", "false", "0", "无", "不是":
		return false, nil
	case "是", "yes", "y", "true", "1", "有", "✓", "√":
		return true, nil
	}
	return false, errors.New("must be 是 or 否 (yes or no)")
}

var phonePattern = regexp.MustCompile(`^[0-9+\-]{0,20}$`)

// houseColumn maps the fields NewHouseholds names to the register's columns.
var houseColumn = map[string]string{"buildingId": "building", "unit": "unit", "room": "room", "exclusiveAreaM2": "area_m2"}

// chinese is a column key's header for error texts.
func chinese(k ImportKind, key string) string {
	for _, c := range ColumnsOf(k) {
		if c.Key == key {
			return c.Chinese
		}
	}
	return key
}

// NewBuildingPrefix marks, in a preview, a building that does not exist yet; it is
// created on confirm.
const NewBuildingPrefix = "new:"

// PlanHouseholds previews importing a register into compound cid: each row is checked
// by the same rules as households registered one by one (NewHouseholds), its ID number
// by GB 11643, and compared with the household registered at its dwelling (building by
// name, unit, room) in existing (by DwellingKey). buildings are the compound's by id.
func PlanHouseholds(cid string, rows []SheetRow, buildings map[string]*Building, existing map[string]Household, now time.Time) []PlannedRow {
	byName := make(map[string]*Building, len(buildings))
	known := make(map[string]*Building, len(buildings))
	for id, b := range buildings {
		byName[b.Name] = b
		known[id] = b
	}
	seen := map[string]int{}
	out := make([]PlannedRow, 0, len(rows))
	for _, r := range rows {
		p := PlannedRow{Row: r.Number}
		fail := func(key, reason string) {
			p.Errors = append(p.Errors, RowError{Column: chinese(ImportHouseholds, key), Reason: reason})
		}
		text := func(key string) string { return strings.TrimSpace(r.Cells[key].Text) }
		h := Household{Unit: text("unit"), Room: text("room"), ResidentName: text("name"), Phone: strings.ReplaceAll(text("phone"), " ", "")}
		name := text("building")
		p.BuildingName = name
		switch b := byName[name]; {
		case name == "":
			fail("building", "is required")
		case utf8.RuneCountInString(name) > 100:
			fail("building", "at most 100 characters")
		case b != nil:
			h.BuildingID = b.ID
		default:
			h.BuildingID = NewBuildingPrefix + name
			known[h.BuildingID] = &Building{ID: h.BuildingID, CompoundID: cid, Name: name}
		}
		if h.Room == "" {
			fail("room", "is required")
		} else if utf8.RuneCountInString(h.Room) > 20 {
			fail("room", "at most 20 characters")
		}
		if utf8.RuneCountInString(h.Unit) > 20 {
			fail("unit", "at most 20 characters")
		}
		errsBefore := len(p.Errors)
		if a := text("area_m2"); a == "" {
			fail("area_m2", "is required")
		} else if m2, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(a, "㎡"), "m²"), 64); err != nil || math.IsNaN(m2) {
			fail("area_m2", "must be a number of square metres")
		} else if m2 > 10000 {
			fail("area_m2", "at most 10000")
		} else {
			h.ExclusiveArea = AreaFromM2(m2)
		}
		areaBad := len(p.Errors) > errsBefore
		if utf8.RuneCountInString(h.ResidentName) > 50 {
			fail("name", "at most 50 characters")
		}
		if !phonePattern.MatchString(h.Phone) {
			fail("phone", "digits, + and - only, at most 20")
		}
		if c := r.Cells["id_number"]; strings.TrimSpace(c.Text) != "" {
			id, err := CheckIDNumber(c)
			if err != nil {
				fail("id_number", err.Error())
			}
			h.IDNumber = id
		}
		var err error
		if h.PartyMember, err = ParseYesNo(text("party_member")); err != nil {
			fail("party_member", err.Error())
		}
		if h.NeedsAccessibility, err = ParseYesNo(text("needs_accessibility")); err != nil {
			fail("needs_accessibility", err.Error())
		}
		// The rules of registering households (units within the building, area above
		// zero, no control characters) are NewHouseholds', one row at a time.
		if h.BuildingID != "" {
			checked, err := NewHouseholds(cid, []Household{h}, known, "household", true, now)
			for _, v := range fault.ViolationsOf(err) {
				field := v.Field[strings.LastIndex(v.Field, ".")+1:]
				if col, ok := houseColumn[field]; ok && !(col == "area_m2" && areaBad) {
					fail(col, v.Description)
				}
			}
			if err == nil {
				h = checked[0]
			} else if len(fault.ViolationsOf(err)) == 0 {
				fail("building", err.Error())
			}
		}
		p.Key = name + " / " + h.Unit + " / " + h.Room
		if len(p.Errors) == 0 {
			key := h.DwellingKey()
			if first, dup := seen[key]; dup {
				fail("room", fmt.Sprintf("same building, unit and room as row %d", first))
			} else {
				seen[key] = r.Number
			}
		}
		if len(p.Errors) > 0 {
			p.Status = RowInError
			out = append(out, p)
			continue
		}
		cur, ok := existing[h.DwellingKey()]
		if !ok {
			p.Status, p.Household = RowNew, &h
			out = append(out, p)
			continue
		}
		next := cur
		next.ExclusiveArea, next.ResidentName, next.Phone, next.IDNumber = h.ExclusiveArea, h.ResidentName, h.Phone, h.IDNumber
		next.PartyMember, next.NeedsAccessibility = h.PartyMember, h.NeedsAccessibility
		for _, d := range []struct {
			key  string
			same bool
		}{
			{"area_m2", cur.ExclusiveArea == next.ExclusiveArea},
			{"name", cur.ResidentName == next.ResidentName},
			{"phone", cur.Phone == next.Phone},
			{"id_number", cur.IDNumber == next.IDNumber},
			{"party_member", cur.PartyMember == next.PartyMember},
			{"needs_accessibility", cur.NeedsAccessibility == next.NeedsAccessibility},
		} {
			if !d.same {
				p.Changed = append(p.Changed, chinese(ImportHouseholds, d.key))
			}
		}
		if len(p.Changed) == 0 {
			p.Status = RowUnchanged
		} else {
			p.Status, p.Household = RowChanged, &next
		}
		out = append(out, p)
	}
	return out
}

// PlanCompounds previews importing an inventory into community: a row names a compound
// by its name; a new one is checked as any compound registered (NewCompound), a known
// one is updated by the fields that differ (ApplyUpdate). A compound's management type
// is decided by classification (rule 1), so a row may set it only for a new compound.
// existing are the community's compounds.
func PlanCompounds(community *Region, rows []SheetRow, existing []Compound, now time.Time) []PlannedRow {
	byName := map[string][]*Compound{}
	for i := range existing {
		byName[existing[i].Name] = append(byName[existing[i].Name], &existing[i])
	}
	col := func(key string) string { return chinese(ImportCompounds, key) }
	seen := map[string]int{}
	out := make([]PlannedRow, 0, len(rows))
	for _, r := range rows {
		p := PlannedRow{Row: r.Number}
		fail := func(key, reason string) { p.Errors = append(p.Errors, RowError{Column: col(key), Reason: reason}) }
		text := func(key string) string { return strings.TrimSpace(r.Cells[key].Text) }
		c := Compound{Name: text("name"), Address: text("address"), CommunityID: community.ID,
			PropertyManager: text("property_manager"), OwningUnit: text("owning_unit"), HeritageNotes: text("heritage_notes")}
		p.Key = c.Name
		if c.Name == "" {
			fail("name", "is required")
		} else if utf8.RuneCountInString(c.Name) > 100 {
			fail("name", "at most 100 characters")
		} else if first, dup := seen[c.Name]; dup {
			fail("name", fmt.Sprintf("same compound as row %d", first))
		} else {
			seen[c.Name] = r.Number
		}
		if y := text("build_year"); y != "" {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(y, "年"), ".0"))
			if err != nil || n < 1800 || n > now.Year() {
				fail("build_year", fmt.Sprintf("must be a year from 1800 to %d", now.Year()))
			}
			c.BuildYear = n
		}
		var err error
		if c.SelfManagementCommittee, err = ParseYesNo(text("self_management_committee")); err != nil {
			fail("self_management_committee", err.Error())
		}
		if c.DemonstrationSite, err = ParseYesNo(text("demonstration_site")); err != nil {
			fail("demonstration_site", err.Error())
		}
		mt := text("management_type")
		if mt != "" {
			t, ok := managementChoices[strings.ToUpper(mt)]
			if !ok {
				t, ok = managementChoices[mt]
			}
			if !ok {
				fail("management_type", "must be one of 商品房无物业, 单位自管无物业, 三无, 专业物业, 居民自治")
			}
			c.ManagementType = t
		}
		same := byName[c.Name]
		if len(same) > 1 {
			fail("name", "more than one compound of the community has this name")
		}
		if len(p.Errors) > 0 {
			p.Status = RowInError
			out = append(out, p)
			continue
		}
		if len(same) == 0 {
			next, err := NewCompound(c, community, now)
			if err != nil {
				p.Status, p.Errors = RowInError, []RowError{{Column: col("management_type"), Reason: reasonOf(err)}}
			} else {
				p.Status, p.Compound = RowNew, &next
			}
			out = append(out, p)
			continue
		}
		cur := *same[0]
		if c.ManagementType != ManagementUnspecified && c.ManagementType != cur.ManagementType {
			p.Status, p.Errors = RowInError, []RowError{{Column: col("management_type"), Reason: "a registered compound's management type is decided by classification (rule 1)"}}
			out = append(out, p)
			continue
		}
		var mask []string
		for _, d := range []struct {
			field, key string
			same       bool
		}{
			{"address", "address", cur.Address == c.Address},
			{"buildYear", "build_year", cur.BuildYear == c.BuildYear},
			{"propertyManager", "property_manager", cur.PropertyManager == c.PropertyManager},
			{"owningUnit", "owning_unit", cur.OwningUnit == c.OwningUnit},
			{"selfManagementCommittee", "self_management_committee", cur.SelfManagementCommittee == c.SelfManagementCommittee},
			{"heritageNotes", "heritage_notes", cur.HeritageNotes == c.HeritageNotes},
			{"demonstrationSite", "demonstration_site", cur.DemonstrationSite == c.DemonstrationSite},
		} {
			if !d.same {
				mask = append(mask, d.field)
				p.Changed = append(p.Changed, col(d.key))
			}
		}
		if len(mask) == 0 {
			p.Status = RowUnchanged
			out = append(out, p)
			continue
		}
		if _, err := ApplyUpdate(cur, c, mask, now); err != nil {
			p.Status, p.Changed, p.Errors = RowInError, nil, []RowError{{Column: col("management_type"), Reason: reasonOf(err)}}
			out = append(out, p)
			continue
		}
		c.ID = cur.ID
		p.Status, p.Compound, p.Mask = RowChanged, &c, mask
		out = append(out, p)
	}
	return out
}

// reasonOf is a rule's refusal as a row's reason.
func reasonOf(err error) string {
	if vs := fault.ViolationsOf(err); len(vs) > 0 {
		return vs[0].Description
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && errors.Is(err, ErrInconsistent) {
		return msg[i+2:]
	}
	return msg
}
