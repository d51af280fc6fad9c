package registry

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var day0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return day0.AddDate(0, 0, n) }

// project builds a project's status fact of round year on day n.
func project(id string, year int, status string, n int) Fact {
	return Fact{Kind: FactProjectStatus, Project: id, Status: status, Year: year, At: day(n)}
}

func suspended(id string, year int, from string, n int) Fact {
	f := project(id, year, "SUSPENDED", n)
	f.SuspendedFrom = from
	return f
}

func surveyOpened(n int) Fact { return Fact{Kind: FactNeedsSurveyOpened, At: day(n)} }

// follow applies the facts in the order given to a freshly inventoried compound and
// returns the status after each.
func follow(facts ...Fact) (Compound, []CompoundStatus) {
	c := Compound{ID: "c1", Status: Inventoried}
	var seen []CompoundStatus
	for _, f := range facts {
		c, _ = FollowFact(c, f, day(1000))
		seen = append(seen, c.Status)
	}
	return c, seen
}

func TestFollowFactTakesTheCompoundThroughItsRenovation(t *testing.T) {
	for _, tt := range []struct {
		name  string
		facts []Fact
		want  []CompoundStatus
	}{
		{"one round, from the survey to upkeep",
			[]Fact{surveyOpened(1), project("p1", 2024, "APPROVED", 10), project("p1", 2024, "IN_CONSTRUCTION", 20),
				project("p1", 2024, "PENDING_ACCEPTANCE", 80), project("p1", 2024, "ACCEPTED", 90), project("p1", 2024, "MAINTENANCE", 100)},
			[]CompoundStatus{Surveying, Planned, Renovating, Renovating, CompoundAccepted, Maintaining}},
		{"a plan cancelled before the works: asked again",
			[]Fact{surveyOpened(1), project("p1", 2024, "APPROVED", 10), project("p1", 2024, "CANCELLED", 12)},
			[]CompoundStatus{Surveying, Planned, Surveying}},
		{"a plan cancelled during the works: asked again",
			[]Fact{project("p1", 2024, "APPROVED", 10), project("p1", 2024, "IN_CONSTRUCTION", 20), project("p1", 2024, "CANCELLED", 30)},
			[]CompoundStatus{Planned, Renovating, Surveying}},
		{"a plan cancelled without a survey reported: asked again",
			[]Fact{project("p1", 2024, "APPROVED", 10), project("p1", 2024, "CANCELLED", 12)},
			[]CompoundStatus{Planned, Surveying}},
		{"suspended works stay works; cancelled while suspended",
			[]Fact{project("p1", 2024, "APPROVED", 10), project("p1", 2024, "IN_CONSTRUCTION", 20), suspended("p1", 2024, "IN_CONSTRUCTION", 30),
				project("p1", 2024, "IN_CONSTRUCTION", 40), suspended("p1", 2024, "IN_CONSTRUCTION", 50), project("p1", 2024, "CANCELLED", 60)},
			[]CompoundStatus{Planned, Renovating, Renovating, Renovating, Renovating, Surveying}},
		{"a suspended plan stays planned",
			[]Fact{project("p1", 2024, "APPROVED", 10), suspended("p1", 2024, "APPROVED", 11)},
			[]CompoundStatus{Planned, Planned}},
		{"a next round after upkeep, built and accepted",
			[]Fact{project("p1", 2019, "APPROVED", 10), project("p1", 2019, "IN_CONSTRUCTION", 20), project("p1", 2019, "ACCEPTED", 90),
				project("p1", 2019, "MAINTENANCE", 100), project("p2", 2024, "APPROVED", 400), project("p2", 2024, "IN_CONSTRUCTION", 420),
				project("p2", 2024, "ACCEPTED", 500)},
			[]CompoundStatus{Planned, Renovating, CompoundAccepted, Maintaining, Planned, Renovating, CompoundAccepted}},
		{"the next round cancelled: back to the earlier round's upkeep",
			[]Fact{project("p1", 2019, "ACCEPTED", 90), project("p1", 2019, "MAINTENANCE", 100), project("p2", 2024, "APPROVED", 400),
				project("p2", 2024, "IN_CONSTRUCTION", 420), project("p2", 2024, "CANCELLED", 430)},
			[]CompoundStatus{CompoundAccepted, Maintaining, Planned, Renovating, Maintaining}},
		{"two rounds standing: the plan cancelled does not stop the works of the other",
			[]Fact{project("p1", 2024, "APPROVED", 10), project("p1", 2024, "IN_CONSTRUCTION", 20), project("p2", 2025, "APPROVED", 30),
				project("p2", 2025, "CANCELLED", 40), project("p1", 2024, "ACCEPTED", 90)},
			[]CompoundStatus{Planned, Renovating, Renovating, Renovating, CompoundAccepted}},
		{"an approved next round before the works of the last are accepted",
			[]Fact{project("p1", 2024, "IN_CONSTRUCTION", 20), project("p2", 2025, "APPROVED", 30), project("p1", 2024, "ACCEPTED", 90)},
			[]CompoundStatus{Renovating, Renovating, Planned}},
		{"a NEEDS survey of an accepted compound moves nothing",
			[]Fact{project("p1", 2024, "ACCEPTED", 90), surveyOpened(95)},
			[]CompoundStatus{CompoundAccepted, CompoundAccepted}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, got := follow(tt.facts...)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("statuses %v, want %v", got, tt.want)
			}
		})
	}
}

// A fact delivered late (after a newer one of its project) or twice changes nothing:
// not the status, not its time, not the record (so no write and no event follow).
func TestFollowFactIgnoresStaleAndRepeatedFacts(t *testing.T) {
	c, _ := follow(project("p1", 2024, "APPROVED", 10), project("p1", 2024, "IN_CONSTRUCTION", 20), project("p1", 2024, "ACCEPTED", 90))
	for _, f := range []Fact{
		project("p1", 2024, "ACCEPTED", 90),        // repeated
		project("p1", 2024, "APPROVED", 10),        // late: once read as a next round
		project("p1", 2024, "IN_CONSTRUCTION", 20), // late
		project("p1", 2024, "CANCELLED", 5),        // older than what is kept
		project("p1", 2024, "PROPOSED", 90),        // as old, and not further along
	} {
		next, moved := FollowFact(c, f, day(1000))
		if moved || next.Status != CompoundAccepted || !next.StatusTime.Equal(day(90)) {
			t.Errorf("%s of %v: moved %v to %v at %v, want nothing moved (ACCEPTED since %v)", f.Status, f.At, moved, next.Status, next.StatusTime, day(90))
		}
	}
	// The same moment, further along the lifecycle, is newer.
	if next, moved := FollowFact(c, project("p1", 2024, "MAINTENANCE", 90), day(1000)); !moved || next.Status != Maintaining {
		t.Errorf("MAINTENANCE of the same moment: moved %v to %v", moved, next.Status)
	}
}

func TestFollowFactKeepsTheTimeOfTheFactAndNeverTheFuture(t *testing.T) {
	c, _ := follow(project("p1", 2024, "APPROVED", 10))
	if !c.StatusTime.Equal(day(10)) || !c.UpdateTime.Equal(day(1000)) {
		t.Fatalf("status time %v, update time %v: want when it happened (%v) and now", c.StatusTime, c.UpdateTime, day(10))
	}
	c, _ = FollowFact(c, project("p1", 2024, "IN_CONSTRUCTION", 2000), day(1000))
	if !c.StatusTime.Equal(day(1000)) {
		t.Fatalf("a fact dated in the future: status time %v, want now", c.StatusTime)
	}
	// A fact of a project that keeps the status still updates what is kept of it, and
	// only that: the status time stays.
	c2, moved := FollowFact(c, project("p2", 2025, "APPROVED", 1001), day(1002))
	if !moved || c2.Status != Renovating || !c2.StatusTime.Equal(c.StatusTime) || len(c2.Projects) != 2 {
		t.Fatalf("moved %v, status %v since %v, %d projects kept", moved, c2.Status, c2.StatusTime, len(c2.Projects))
	}
	if len(c.Projects) != 1 {
		t.Fatalf("the compound passed in was changed: %d projects kept", len(c.Projects))
	}
}

func TestFollowFactIgnoresWhatItDoesNotKnow(t *testing.T) {
	c := Compound{ID: "c1", Status: Surveying}
	for _, f := range []Fact{{Kind: "SOMETHING_ELSE"}, project("p1", 2024, "DEMOLISHED", 1), project("p1", 2024, "", 1)} {
		if next, moved := FollowFact(c, f, day(1000)); moved || next.Status != Surveying || len(next.Projects) != 0 {
			t.Errorf("%+v: moved %v to %v", f, moved, next.Status)
		}
	}
}

// Records from before the projects' facts were kept: an accepted compound stays so when a
// later round is cancelled.
func TestFollowFactOfARecordFromBeforeFactsWereKept(t *testing.T) {
	c := Compound{ID: "c1", Status: Maintaining}
	c, _ = FollowFact(c, project("p2", 2025, "APPROVED", 10), day(1000))
	c, _ = FollowFact(c, project("p2", 2025, "CANCELLED", 11), day(1000))
	if c.Status != Maintaining {
		t.Fatalf("status %v, want MAINTAINING as before the cancelled round", c.Status)
	}
}

// However the events of a compound's projects arrive (shuffled, some twice), the status
// ends where the facts in order would take it: the stream delivers at least once, and
// survey and projects events interleave.
func TestPropertyFollowFactEndsTheSameInAnyOrder(t *testing.T) {
	stories := [][]Fact{
		{surveyOpened(1), project("p1", 2019, "APPROVED", 10), project("p1", 2019, "IN_CONSTRUCTION", 20), suspended("p1", 2019, "IN_CONSTRUCTION", 25),
			project("p1", 2019, "IN_CONSTRUCTION", 30), project("p1", 2019, "PENDING_ACCEPTANCE", 80), project("p1", 2019, "ACCEPTED", 90),
			project("p1", 2019, "MAINTENANCE", 100), project("p2", 2024, "APPROVED", 400), project("p2", 2024, "IN_CONSTRUCTION", 420)},
		{surveyOpened(1), project("p1", 2024, "APPROVED", 10), suspended("p1", 2024, "APPROVED", 15), project("p1", 2024, "CANCELLED", 16),
			project("p2", 2024, "APPROVED", 40)},
		{project("p1", 2024, "APPROVED", 10), project("p1", 2024, "IN_CONSTRUCTION", 20), project("p2", 2025, "APPROVED", 30), project("p2", 2025, "CANCELLED", 31)},
		{project("p1", 2019, "ACCEPTED", 90), project("p2", 2024, "APPROVED", 400), project("p2", 2024, "IN_CONSTRUCTION", 420), project("p2", 2024, "CANCELLED", 430)},
		{surveyOpened(1), project("p1", 2024, "APPROVED", 10), project("p1", 2024, "CANCELLED", 12)},
	}
	r := rand.New(rand.NewPCG(22, 6))
	for i, story := range stories {
		want, _ := follow(story...)
		for range 300 {
			delivered := append([]Fact(nil), story...)
			for _, f := range story {
				if r.IntN(3) == 0 {
					delivered = append(delivered, f) // redelivered
				}
			}
			r.Shuffle(len(delivered), func(a, b int) { delivered[a], delivered[b] = delivered[b], delivered[a] })
			if got, _ := follow(delivered...); got.Status != want.Status {
				t.Fatalf("story %d delivered as %v: %v, in order %v", i, delivered, got.Status, want.Status)
			}
		}
	}
}
