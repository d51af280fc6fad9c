package works

import (
	"fmt"
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
	After            []string   `json:"after,omitempty"` // items of the project it must follow (rule 5)
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
	"after": true,
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
		case "after":
			next.After = patch.After
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
