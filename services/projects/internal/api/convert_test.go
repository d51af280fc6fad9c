package api

import (
	"reflect"
	"strings"
	"testing"

	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/works"
)

// The works enums are cast to and from the contract's (convert.go), so their numbers must
// mean the same thing on both sides.
func TestWorksEnumsHaveTheContractsNumbers(t *testing.T) {
	for v, name := range pb.Project_Status_name {
		if name == "STATUS_UNSPECIFIED" {
			name = "UNSPECIFIED"
		}
		if got := works.Status(v).String(); got != name {
			t.Errorf("status %d: works %s, contract %s", v, got, name)
		}
	}
	if n := len(pb.Project_Status_name); n != 9 {
		t.Errorf("the contract has %d statuses; works knows 9", n)
	}
	for v, name := range pb.WorkItem_Category_name {
		if v == 0 {
			continue
		}
		if got := works.Category(v).String(); got != strings.ToLower(name) {
			t.Errorf("category %d: works %s, contract %s", v, got, name)
		}
	}
	for v, name := range pb.WorkItem_Difficulty_name {
		if v == 0 {
			continue
		}
		if got := works.Difficulty(v).String(); got != strings.ToLower(name) {
			t.Errorf("difficulty %d: works %s, contract %s", v, got, name)
		}
	}
	for v, name := range pb.Signoff_Role_name {
		if name == "ROLE_UNSPECIFIED" {
			name = "UNSPECIFIED"
		}
		if got := works.Role(v).String(); got != name {
			t.Errorf("role %d: works %s, contract %s", v, got, name)
		}
	}
	pairs := []struct {
		name     string
		works    int
		contract int32
	}{
		{"CATEGORY_UNSPECIFIED", int(works.CategoryUnspecified), int32(pb.WorkItem_CATEGORY_UNSPECIFIED)},
		{"DIFFICULTY_UNSPECIFIED", int(works.DifficultyUnspecified), int32(pb.WorkItem_DIFFICULTY_UNSPECIFIED)},
		{"PASS", int(works.Pass), int32(pb.Signoff_PASS)},
		{"FAIL", int(works.Fail), int32(pb.Signoff_FAIL)},
		{"VERDICT_UNSPECIFIED", int(works.VerdictUnspecified), int32(pb.Signoff_VERDICT_UNSPECIFIED)},
	}
	for _, p := range pairs {
		if int32(p.works) != p.contract {
			t.Errorf("%s: works %d, contract %d", p.name, p.works, p.contract)
		}
	}
	if n := len(pb.Signoff_Verdict_name); n != 3 {
		t.Errorf("the contract has %d verdicts; works knows 3", n)
	}
	if n := len(works.Roles); n != len(pb.Signoff_Role_name)-1 {
		t.Errorf("works needs %d roles' PASS; the contract has %d roles", n, len(pb.Signoff_Role_name)-1)
	}
}

// Items and projects survive the trip to the contract and back.
func TestConversionsRoundTrip(t *testing.T) {
	it := works.Item{ID: "i", Category: works.Improvement, Kind: int(pb.WorkItem_ACCESSIBLE_RAMP), Description: "坡道", Quantity: 1.5, Unit: "m",
		EstimatedCostFen: 800_000, Difficulty: works.Hard, SafetyCritical: true, ProgressPercent: 100, After: []string{"road"}}
	back := itemFromPB(itemToPB(&it))
	if !reflect.DeepEqual(back, it) {
		t.Fatalf("item %+v came back as %+v", it, back)
	}
	if !itemToPB(&it).Complete {
		t.Fatal("a 100% item is not complete")
	}
	p := works.Project{ID: "p", CompoundID: "c", Title: "t", Year: 2021, BudgetFen: 5, Description: "d", HeritageNotes: "瓷砖墙", AcceptanceSurveyID: "s",
		Status: works.Suspended, SuspendedFrom: works.InConstruction, Revision: 4}
	out := projectToPB(&p, []works.Item{it, {EstimatedCostFen: 7}})
	if out.Status != pb.Project_SUSPENDED || out.SuspendedFrom != pb.Project_IN_CONSTRUCTION || out.Etag != "r4" || out.ItemCount != 2 ||
		out.CompleteItemCount != 1 || out.EstimatedCostFen != 800_007 || out.CreateTime != nil {
		t.Fatalf("project %v", out)
	}
	in := projectFromPB(out)
	if in.Title != p.Title || in.HeritageNotes != p.HeritageNotes || in.AcceptanceSurveyID != "s" || in.BudgetFen != 5 || in.Year != 2021 {
		t.Fatalf("project back %+v", in)
	}
}
