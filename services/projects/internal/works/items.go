package works

import (
	"fmt"
	"sort"
	"time"

	"tongdu/platform/fault"
)

// Category is the national content class of a renovation item.
type Category int

const (
	CategoryUnspecified Category = iota
	Basic                        // 基础类
	Improvement                  // 完善类
	Upgrade                      // 提升类
)

var categoryNames = [...]string{"unspecified", "basic", "improvement", "upgrade"}

func (c Category) String() string { return nameOf(c, categoryNames[:], "category %d") }

// Difficulty is how hard an item is; easy goes before hard (先易后难).
type Difficulty int

const (
	DifficultyUnspecified Difficulty = iota
	Easy
	Medium
	Hard
)

var difficultyNames = [...]string{"unspecified", "easy", "medium", "hard"}

func (d Difficulty) String() string { return nameOf(d, difficultyNames[:], "difficulty %d") }

// Item is one work item of a project. Kind numbers follow the contract.
type Item struct {
	ID               string     `json:"id"`
	ProjectID        string     `json:"projectId"`
	Category         Category   `json:"category"`
	Kind             int        `json:"kind"`
	Description      string     `json:"description,omitempty"`
	Quantity         float64    `json:"quantity"`
	Unit             string     `json:"unit"`
	EstimatedCostFen int64      `json:"estimatedCostFen"`
	Difficulty       Difficulty `json:"difficulty"`
	SafetyCritical   bool       `json:"safetyCritical,omitempty"`
	ProgressPercent  int        `json:"progressPercent"`
	CreateTime       time.Time  `json:"createTime"`
	UpdateTime       time.Time  `json:"updateTime"`

	Revision int64 `json:"-"` // kept beside the record
}

// Etag is the item's revision as the API shows it.
func (it *Item) Etag() string { return fmt.Sprintf("r%d", it.Revision) }

// Complete reports whether the item is done.
func (it *Item) Complete() bool { return it.ProgressPercent >= 100 }

// units the contract allows for quantities.
var units = map[string]bool{"m2": true, "m": true, "pcs": true, "buildings": true, "units": true, "households": true}

// CheckItem refuses an item the schedule cannot place or the works cannot measure.
func CheckItem(it Item, field string) error {
	var c fault.Collect
	if it.Category < Basic || it.Category > Upgrade {
		c.Violation(field+".category", "is BASIC, IMPROVEMENT or UPGRADE")
	}
	if it.Difficulty < Easy || it.Difficulty > Hard {
		c.Violation(field+".difficulty", "is EASY, MEDIUM or HARD")
	}
	if !(it.Quantity > 0) {
		c.Violation(field+".quantity", "must be greater than 0")
	}
	if !units[it.Unit] {
		c.Violation(field+".unit", "is one of m2, m, pcs, buildings, units, households")
	}
	if it.EstimatedCostFen < 0 {
		c.Violation(field+".estimatedCostFen", "must not be negative")
	}
	if it.ProgressPercent < 0 || it.ProgressPercent > 100 {
		c.Violation(field+".progressPercent", "runs from 0 to 100")
	}
	return c.Err()
}

// ItemUpdatableFields are the item fields PATCH may replace, by their API names.
var ItemUpdatableFields = map[string]bool{
	"category": true, "kind": true, "description": true, "quantity": true, "unit": true,
	"estimatedCostFen": true, "difficulty": true, "safetyCritical": true, "progressPercent": true,
}

// ApplyItemUpdate replaces the masked fields of current with those of patch.
func ApplyItemUpdate(current, patch Item, mask []string, now time.Time) (Item, error) {
	next := current
	for _, f := range mask {
		switch f {
		case "category":
			next.Category = patch.Category
		case "kind":
			next.Kind = patch.Kind
		case "description":
			next.Description = patch.Description
		case "quantity":
			next.Quantity = patch.Quantity
		case "unit":
			next.Unit = patch.Unit
		case "estimatedCostFen":
			next.EstimatedCostFen = patch.EstimatedCostFen
		case "difficulty":
			next.Difficulty = patch.Difficulty
		case "safetyCritical":
			next.SafetyCritical = patch.SafetyCritical
		case "progressPercent":
			next.ProgressPercent = patch.ProgressPercent
		default:
			return Item{}, fault.Field("updateMask", fmt.Sprintf("%q cannot be updated", f))
		}
	}
	if err := CheckItem(next, "item"); err != nil {
		return Item{}, err
	}
	next.UpdateTime = now
	return next, nil
}

// ScheduleEntry is an item's place in the order of works and why it stands before the
// next one.
type ScheduleEntry struct {
	Position int
	Item     Item
	Reason   string
}

// before is rule 5: BASIC before IMPROVEMENT before UPGRADE; then safety-critical first;
// then easy before hard; then bigger estimated cost first; then id. It returns whether a
// goes first and the reason that decided it.
func before(a, b *Item) (bool, string) {
	switch {
	case a.Category != b.Category:
		first, second := a.Category, b.Category
		if first > second {
			first, second = second, first
		}
		return a.Category < b.Category, fmt.Sprintf("%s before %s", first, second)
	case a.SafetyCritical != b.SafetyCritical:
		return a.SafetyCritical, "safety-critical first"
	case a.Difficulty != b.Difficulty:
		first, second := a.Difficulty, b.Difficulty
		if first > second {
			first, second = second, first
		}
		return a.Difficulty < b.Difficulty, fmt.Sprintf("%s before %s", first, second)
	case a.EstimatedCostFen != b.EstimatedCostFen:
		return a.EstimatedCostFen > b.EstimatedCostFen, "bigger cost first"
	}
	return a.ID < b.ID, "registered earlier"
}

// Schedule orders a project's items by rule 5 (the order of works), each with the reason it stands before
// the one after it (the last has none).
func Schedule(items []Item) []ScheduleEntry {
	sorted := append([]Item(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool {
		first, _ := before(&sorted[i], &sorted[j])
		return first
	})
	out := make([]ScheduleEntry, len(sorted))
	for i := range sorted {
		out[i] = ScheduleEntry{Position: i + 1, Item: sorted[i]}
		if i+1 < len(sorted) {
			_, out[i].Reason = before(&sorted[i], &sorted[i+1])
		}
	}
	return out
}
