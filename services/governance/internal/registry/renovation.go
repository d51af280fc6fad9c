package registry

import (
	"slices"
	"time"
)

// Facts of a compound's renovation that other services report (on the compound events
// stream).
const (
	FactNeedsSurveyOpened = "NEEDS_SURVEY_OPENED" // survey: residents are being asked
	FactProjectStatus     = "PROJECT_STATUS"      // projects: a project changed status
)

// Fact is one reported fact about a compound's renovation: a NEEDS survey opened, or a
// project that reached a lifecycle status (its name as the projects service spells it)
// at a time (rule 15: when it happened) in a round (the plan's year; 0 when unknown). A
// suspended project says the status it was suspended in.
type Fact struct {
	Kind          string
	Project       string
	Status        string
	SuspendedFrom string
	Year          int
	At            time.Time
}

// ProjectFact is the latest status reported for one project of the compound.
type ProjectFact struct {
	Project string    `json:"project"`
	Status  string    `json:"status"`
	Year    int       `json:"year,omitempty"`
	At      time.Time `json:"at"`
}

// stage orders a project's statuses along its lifecycle, to tell which of two facts of
// the same moment is the later one. Cancelling ends a project, so it comes last.
var stage = map[string]int{
	"PROPOSED": 1, "APPROVED": 2, "IN_CONSTRUCTION": 3, "SUSPENDED": 3, "PENDING_ACCEPTANCE": 4,
	"ACCEPTED": 5, "MAINTENANCE": 6, "CANCELLED": 7,
}

// FollowFact is the compound after a reported fact, and whether the fact changed it.
//
// Each project's latest fact is kept with the compound, and the status follows all of
// them, because facts arrive late, twice or out of order (the events are delivered at
// least once, per stream entry) and a compound may have plans of several rounds:
//   - a fact older than the one kept for its project (or as old and not further along
//     its lifecycle) is stale and changes nothing;
//   - a project being built (IN_CONSTRUCTION, PENDING_ACCEPTANCE) makes the compound
//     RENOVATING; else an approved plan makes it PLANNED (also a next round after an
//     accepted one); else its newest round's accepted works make it ACCEPTED, or
//     MAINTAINING once in upkeep;
//   - a suspended project keeps the stage it was suspended in;
//   - with no plan left standing (all cancelled), the compound is SURVEYING: its
//     residents are to be asked again;
//   - a NEEDS survey opening makes an INVENTORIED compound SURVEYING, and moves no other.
//
// The status time is when the fact that moved it happened (zero or future: now).
func FollowFact(c Compound, f Fact, now time.Time) (Compound, bool) {
	at := f.At
	if at.IsZero() || at.After(now) {
		at = now
	}
	next := c.Status
	switch f.Kind {
	case FactNeedsSurveyOpened:
		if c.Status < Surveying {
			next = Surveying
		}
	case FactProjectStatus:
		if _, known := stage[f.Status]; !known {
			return c, false
		}
		status := f.Status
		if status == "SUSPENDED" && stage[f.SuspendedFrom] > 0 {
			// Kept as the stage it holds, so that whichever of the project's facts
			// arrives first, the newest one alone says where the project stands.
			status = f.SuspendedFrom
		}
		kept := c.Projects
		if len(kept) == 0 && (c.Status == CompoundAccepted || c.Status == Maintaining) {
			// A record from before the projects' facts were kept: its accepted round
			// stands as one of round 0, which any real round is newer than.
			kept = []ProjectFact{{Project: "", Status: map[CompoundStatus]string{CompoundAccepted: "ACCEPTED", Maintaining: "MAINTENANCE"}[c.Status], At: c.StatusTime}}
		}
		projects, changed := keepProjectFact(kept, ProjectFact{Project: f.Project, Status: status, Year: f.Year, At: at})
		if !changed {
			return c, false
		}
		c.Projects = projects
		next = renovationStatus(projects)
	default:
		return c, false
	}
	if next != c.Status {
		c.Status, c.UpdateTime, c.StatusTime = next, now, at
	}
	return c, true
}

// keepProjectFact returns the project facts with f kept for its project, unless the one
// kept already is newer; a new slice, so the caller's compound is not changed.
func keepProjectFact(kept []ProjectFact, f ProjectFact) ([]ProjectFact, bool) {
	i := slices.IndexFunc(kept, func(p ProjectFact) bool { return p.Project == f.Project })
	if i < 0 {
		return append(slices.Clone(kept), f), true
	}
	old := kept[i]
	if f.At.Before(old.At) || (f.At.Equal(old.At) && stage[f.Status] <= stage[old.Status]) {
		return kept, false
	}
	if f.Status == "SUSPENDED" && old.Status != "CANCELLED" {
		f.Status = old.Status // a fact that did not say its stage: the one it had reached
	}
	if f.Year == 0 {
		f.Year = old.Year
	}
	out := slices.Clone(kept)
	out[i] = f
	return out, true
}

// renovationStatus is the compound status the projects' latest facts give (see
// FollowFact).
func renovationStatus(projects []ProjectFact) CompoundStatus {
	building, planned := false, false
	var done *ProjectFact // the newest round's accepted works
	for i, p := range projects {
		switch p.Status {
		case "IN_CONSTRUCTION", "PENDING_ACCEPTANCE":
			building = true
		case "APPROVED":
			planned = true
		case "ACCEPTED", "MAINTENANCE":
			if done == nil || p.Year > done.Year || (p.Year == done.Year && p.At.After(done.At)) {
				done = &projects[i]
			}
		}
	}
	switch {
	case building:
		return Renovating
	case planned:
		return Planned
	case done != nil && done.Status == "MAINTENANCE":
		return Maintaining
	case done != nil:
		return CompoundAccepted
	}
	// A plan was drawn up and none stands: the residents are to be asked again.
	return Surveying
}
