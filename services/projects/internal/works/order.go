package works

import (
	"fmt"
	"slices"
	"strings"

	"tongdu/platform/fault"
)

// Kinds of work item, numbered as the contract numbers them.
const (
	KindRoadRepair       = 3
	KindGreening         = 4
	KindDrainPipe        = 5
	KindCoverReplacement = 6
	KindWaterPipe        = 17
	KindGasPipe          = 18
	KindCableBurial      = 19
	KindPaving           = 20
)

var kindNames = [...]string{"KIND_UNSPECIFIED", "DEMOLISH_ILLEGAL_STRUCTURE", "STAIRWELL_PAINTING", "ROAD_REPAIR",
	"GREENING", "DRAIN_PIPE", "COVER_REPLACEMENT", "STAIRWELL_LIGHTING", "EV_CHARGER", "BIKE_SHED", "PAVILION",
	"DRYING_AREA", "ACCESSIBLE_RAMP", "MEETING_ROOM", "SMART_PARKING", "PARCEL_LOCKER", "OTHER", "WATER_PIPE",
	"GAS_PIPE", "CABLE_BURIAL", "PAVING"}

// KindName is a kind's name as the API shows it.
func KindName(kind int) string { return nameOf(kind, kindNames[:], "KIND_%d") }

// Underground reports whether a kind is underground works (water and drain pipes, gas,
// cables put underground), which rule 5 puts before the surfaces laid over them.
func Underground(kind int) bool {
	switch kind {
	case KindDrainPipe, KindWaterPipe, KindGasPipe, KindCableBurial:
		return true
	}
	return false
}

// Surface reports whether a kind is a surface laid over underground works (roads,
// paving, greening, manhole covers).
func Surface(kind int) bool {
	switch kind {
	case KindRoadRepair, KindPaving, KindGreening, KindCoverReplacement:
		return true
	}
	return false
}

// link is one precedence of rule 5: item From must be done before item To, and why.
type link struct {
	From, To string
	Why      string // e.g. "named after 01H..", "after DRAIN_PIPE 01H..: underground works …"
}

// precedence lists every precedence among items (rule 5: 先地下后地上, underground works
// before the surfaces over them, and each item after the items it names). A link to an
// item not among items is left out (CheckOrder refuses it on the way in).
func precedence(items []Item) []link {
	ids := make(map[string]bool, len(items))
	for _, it := range items {
		ids[it.ID] = true
	}
	var out []link
	for _, to := range items {
		for _, a := range to.After {
			if ids[a] && a != to.ID {
				out = append(out, link{From: a, To: to.ID, Why: "named after " + a})
			}
		}
		if !Surface(to.Kind) {
			continue
		}
		for _, from := range items {
			if Underground(from.Kind) {
				out = append(out, link{From: from.ID, To: to.ID, Why: fmt.Sprintf("after %s %s: underground works before the surface over them", KindName(from.Kind), from.ID)})
			}
		}
	}
	return out
}

// CheckOrder refuses a project's items (as they would stand after a change) whose order
// rule 5 cannot give: an after link of the changed item naming no item of the project or
// the item itself, or a cycle through after links and the default precedence. Bad input
// on field (e.g. "item.after"), naming the items of the cycle in order.
func CheckOrder(items []Item, changedID, field string) error {
	ids := make(map[string]Item, len(items))
	for _, it := range items {
		ids[it.ID] = it
	}
	for _, it := range items {
		if it.ID != changedID {
			continue
		}
		for _, a := range it.After {
			switch _, ok := ids[a]; {
			case a == it.ID:
				return fault.Field(field, "an item cannot follow itself")
			case !ok:
				return fault.Field(field, fmt.Sprintf("%q is no item of the project", a))
			}
		}
	}
	if cycle := findCycle(items, precedence(items)); cycle != nil {
		names := make([]string, len(cycle))
		for i, id := range cycle {
			names[i] = KindName(ids[id].Kind) + " " + id
		}
		return fault.Field(field, "closes a cycle in the order of works (rule 5): "+strings.Join(names, " → ")+" → "+names[0])
	}
	return nil
}

// findCycle returns the ids of one cycle of links, in order, or nil for none.
func findCycle(items []Item, links []link) []string {
	next := map[string][]string{}
	for _, l := range links {
		next[l.From] = append(next[l.From], l.To)
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(id string) []string
	visit = func(id string) []string {
		state[id] = onPath
		path = append(path, id)
		for _, n := range next[id] {
			switch state[n] {
			case onPath:
				return slices.Clone(path[slices.Index(path, n):])
			case unseen:
				if c := visit(n); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		return nil
	}
	for _, it := range items {
		if state[it.ID] == unseen {
			if c := visit(it.ID); c != nil {
				return c
			}
		}
	}
	return nil
}

// ScheduleEntry is an item's place in the order of works and why it stands there.
type ScheduleEntry struct {
	Position int
	Item     Item
	Reason   string
}

// before is rule 5's keys among items free to go: BASIC before IMPROVEMENT before
// UPGRADE; then safety-critical first; then easy before hard; then bigger estimated cost
// first; then id. It returns whether a goes first and the key that decided it.
func before(a, b *Item) (bool, string) {
	switch {
	case a.Category != b.Category:
		lo, hi := min(a.Category, b.Category), max(a.Category, b.Category)
		return a.Category < b.Category, fmt.Sprintf("%s before %s", strings.ToUpper(lo.String()), strings.ToUpper(hi.String()))
	case a.SafetyCritical != b.SafetyCritical:
		return a.SafetyCritical, "safety-critical first"
	case a.Difficulty != b.Difficulty:
		return a.Difficulty < b.Difficulty, "easier first"
	case a.EstimatedCostFen != b.EstimatedCostFen:
		return a.EstimatedCostFen > b.EstimatedCostFen, "bigger cost first"
	}
	return a.ID < b.ID, "by id"
}

// Schedule orders a project's items by rule 5 (the order of works): a topological order
// of the precedences (underground works before the surfaces over them, each item after
// the items it names), with the keys of before as tie-breakers among the items whose
// predecessors are placed. Each entry says why it stands there: the precedence or key
// that decided it against the entry before it; the first says why it is first. Items
// are never refused here: should links stored by two racing writers form a cycle, the
// best item by the keys breaks it, and its reason says so.
func Schedule(items []Item) []ScheduleEntry {
	links := precedence(items)
	preds := map[string]map[string]string{} // item → predecessor → why
	for _, l := range links {
		if preds[l.To] == nil {
			preds[l.To] = map[string]string{}
		}
		if _, ok := preds[l.To][l.From]; !ok {
			preds[l.To][l.From] = l.Why
		}
	}
	placed := map[string]bool{}
	free := func(it *Item) bool {
		for p := range preds[it.ID] {
			if !placed[p] {
				return false
			}
		}
		return true
	}
	left := slices.Clone(items)
	out := make([]ScheduleEntry, 0, len(items))
	for len(left) > 0 {
		best, runnerUp, broken := -1, -1, false
		for i := range left {
			if !free(&left[i]) {
				continue
			}
			switch first, _ := before(&left[i], bestOr(left, best)); {
			case best < 0 || first:
				best, runnerUp = i, best
			case runnerUp < 0:
				runnerUp = i
			default:
				if first, _ := before(&left[i], &left[runnerUp]); first {
					runnerUp = i
				}
			}
		}
		if best < 0 { // a cycle: break it by the keys alone
			broken = true
			for i := range left {
				if first, _ := before(&left[i], bestOr(left, best)); best < 0 || first {
					best = i
				}
			}
		}
		it := left[best]
		e := ScheduleEntry{Position: len(out) + 1, Item: it}
		switch {
		case broken:
			e.Reason = "its links form a cycle (refused on entry, left by a race); placed by the keys"
		case len(out) == 0 && len(items) == 1:
			e.Reason = "the only item"
		case len(out) == 0 && runnerUp < 0:
			e.Reason = "first: the only item that follows no other"
		case len(out) == 0:
			_, why := before(&it, &left[runnerUp])
			e.Reason = "first: follows no other item; " + why
		default:
			prev := &out[len(out)-1].Item
			if why, ok := preds[it.ID][prev.ID]; ok {
				e.Reason = why
			} else {
				_, e.Reason = before(prev, &it)
			}
		}
		out = append(out, e)
		placed[it.ID] = true
		left = slices.Delete(left, best, best+1)
	}
	return out
}

// bestOr is left[i], or nil for none (i < 0); before is not called with nil.
func bestOr(left []Item, i int) *Item {
	if i < 0 {
		return &left[0]
	}
	return &left[i]
}
