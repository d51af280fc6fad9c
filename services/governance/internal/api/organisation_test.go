package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// orgWorld is the tree with compound c1 (buildings b1, b2) and c2 (building b3) in
// community A, and compound d1 (building x1) in community B.
type orgWorld struct {
	tree
	c1, c2, d1     *pb.Compound
	b1, b2, b3, x1 *pb.Building
}

func (e env) orgWorld(t *testing.T) orgWorld {
	t.Helper()
	w := orgWorld{tree: e.tree(t)}
	w.c1 = e.compound(t, "幸福里", w.communityA.Id)
	w.c2 = e.compound(t, "红星院坝", w.communityA.Id)
	w.d1 = e.compound(t, "和平里", w.communityB.Id)
	w.b1, w.b2 = e.building(t, w.c1.Id, "1栋", 2), e.building(t, w.c1.Id, "2栋", 2)
	w.b3 = e.building(t, w.c2.Id, "1栋", 1)
	w.x1 = e.building(t, w.d1.Id, "1栋", 1)
	return w
}

// orgHouseholds registers households of building bid in compound cid, one per flag pair:
// {party member, needs accessibility}.
func (e env) orgHouseholds(t *testing.T, cid, bid, prefix string, flags ...[2]bool) []*pb.Household {
	t.Helper()
	in := make([]*pb.Household, len(flags))
	for i, f := range flags {
		in[i] = &pb.Household{BuildingId: bid, Unit: "1", Room: fmt.Sprintf("%s%02d", prefix, i), ExclusiveAreaM2: 60.5,
			ResidentName: "王五", PartyMember: f[0], NeedsAccessibility: f[1]}
	}
	return testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: cid, Households: in})).Households
}

func (e env) allBranches(t *testing.T, req *pb.ListPartyBranchesRequest) []string {
	t.Helper()
	var out []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		resp := testkit.Must[*pb.ListPartyBranchesResponse](t)(e.ListPartyBranches(bg, req))
		for _, b := range resp.PartyBranches {
			out = append(out, b.Id)
		}
		if resp.NextPageToken == "" {
			return out
		}
		req = proto.Clone(req).(*pb.ListPartyBranchesRequest)
		req.PageToken = resp.NextPageToken
	}
}

func TestCreatePartyBranch(t *testing.T) {
	e := start(t)
	w := e.orgWorld(t)
	branch := testkit.Must[*pb.PartyBranch](t)(e.CreatePartyBranch(bg, &pb.CreatePartyBranchRequest{PartyBranch: &pb.PartyBranch{
		Name: "幸福里党支部", Kind: pb.PartyBranch_COMPOUND, CompoundId: w.c1.Id, Secretary: "刘书记", MemberCount: 12,
	}}))
	if branch.Id == "" || branch.CommunityId != w.communityA.Id || branch.CompoundId != w.c1.Id || branch.MemberCount != 12 || branch.CreateTime == nil {
		t.Fatalf("a compound branch: %v", branch)
	}
	general := testkit.Must[*pb.PartyBranch](t)(e.CreatePartyBranch(bg, &pb.CreatePartyBranchRequest{PartyBranch: &pb.PartyBranch{
		Name: "幸福社区党总支", Kind: pb.PartyBranch_COMMUNITY_GENERAL, CommunityId: w.communityA.Id,
	}}))
	if general.CompoundId != "" || general.CommunityId != w.communityA.Id {
		t.Fatalf("a general branch: %v", general)
	}

	t.Run("refusals name the field and store nothing", func(t *testing.T) {
		tests := []struct {
			name  string
			b     *pb.PartyBranch
			field string
		}{
			{"no kind", &pb.PartyBranch{Name: "x", CompoundId: w.c2.Id}, "partyBranch.kind"},
			{"a compound branch without its compound", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMPOUND, CommunityId: w.communityA.Id}, "partyBranch.compoundId"},
			{"a compound branch of an unknown compound", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMPOUND, CompoundId: "nope"}, "partyBranch.compoundId"},
			{"a compound branch in another community than its compound's", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMPOUND, CompoundId: w.c2.Id, CommunityId: w.communityB.Id}, "partyBranch.communityId"},
			{"a general branch naming a compound", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMMUNITY_GENERAL, CompoundId: w.c2.Id, CommunityId: w.communityA.Id}, "partyBranch.compoundId"},
			{"a general branch of a sub-district", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMMUNITY_GENERAL, CommunityId: w.subA.Id}, "partyBranch.communityId"},
			{"a general branch of an unknown community", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMMUNITY_GENERAL, CommunityId: "nope"}, "partyBranch.communityId"},
			{"a general branch without a community", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMMUNITY_GENERAL}, "partyBranch.communityId"},
			{"a negative member count", &pb.PartyBranch{Name: "x", Kind: pb.PartyBranch_COMPOUND, CompoundId: w.c2.Id, MemberCount: -1}, "partyBranch.memberCount"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.CreatePartyBranch(bg, &pb.CreatePartyBranchRequest{PartyBranch: tt.b})
				testkit.WantViolation(t, err, tt.field)
			})
		}
		if got := e.allBranches(t, &pb.ListPartyBranchesRequest{}); fmt.Sprint(got) != fmt.Sprint([]string{branch.Id, general.Id}) {
			t.Fatalf("branches after refusals: %v", got)
		}
	})
	t.Run("a second branch of one compound is ALREADY_EXISTS", func(t *testing.T) {
		_, err := e.CreatePartyBranch(bg, &pb.CreatePartyBranchRequest{PartyBranch: &pb.PartyBranch{Name: "第二支部", Kind: pb.PartyBranch_COMPOUND, CompoundId: w.c1.Id}})
		testkit.WantReason(t, err, codes.AlreadyExists, "ALREADY_EXISTS")
		if got := e.allBranches(t, &pb.ListPartyBranchesRequest{CompoundId: w.c1.Id}); fmt.Sprint(got) != fmt.Sprint([]string{branch.Id}) {
			t.Fatalf("compound c1's branches: %v", got)
		}
	})
	t.Run("branches list by community and by compound", func(t *testing.T) {
		other := testkit.Must[*pb.PartyBranch](t)(e.CreatePartyBranch(bg, &pb.CreatePartyBranchRequest{PartyBranch: &pb.PartyBranch{Name: "和平里党支部", Kind: pb.PartyBranch_COMPOUND, CompoundId: w.d1.Id}}))
		if got := e.allBranches(t, &pb.ListPartyBranchesRequest{CommunityId: w.communityA.Id, PageSize: 1}); fmt.Sprint(got) != fmt.Sprint([]string{branch.Id, general.Id}) {
			t.Fatalf("community A: %v", got)
		}
		if got := e.allBranches(t, &pb.ListPartyBranchesRequest{CommunityId: w.communityB.Id}); fmt.Sprint(got) != fmt.Sprint([]string{other.Id}) {
			t.Fatalf("community B: %v", got)
		}
		if got := e.allBranches(t, &pb.ListPartyBranchesRequest{CompoundId: w.d1.Id}); fmt.Sprint(got) != fmt.Sprint([]string{other.Id}) {
			t.Fatalf("compound d1: %v", got)
		}
		resp := testkit.Must[*pb.ListPartyBranchesResponse](t)(e.ListPartyBranches(bg, &pb.ListPartyBranchesRequest{CommunityId: w.communityA.Id}))
		if !proto.Equal(resp.PartyBranches[0], branch) {
			t.Fatalf("listed %v, created %v", resp.PartyBranches[0], branch)
		}
	})
}

// Rule 7 / API conventions: the same request id with the same body returns the first
// result, and the same id with another body is REQUEST_ID_REUSED.
func TestCreatePartyBranchAndGridCellReplaysAnswerTheFirstResult(t *testing.T) {
	e := start(t)
	w := e.orgWorld(t)
	t.Run("party branch", func(t *testing.T) {
		req := &pb.CreatePartyBranchRequest{PartyBranch: &pb.PartyBranch{Name: "红星院坝党支部", Kind: pb.PartyBranch_COMPOUND, CompoundId: w.c2.Id}, RequestId: "branch-1"}
		first := testkit.Must[*pb.PartyBranch](t)(e.CreatePartyBranch(bg, req))
		time.Sleep(2 * time.Millisecond)
		again := testkit.Must[*pb.PartyBranch](t)(e.CreatePartyBranch(bg, req))
		if again.Id != first.Id {
			t.Fatalf("a replay made branch %s, first %s", again.Id, first.Id)
		}
		if got := e.allBranches(t, &pb.ListPartyBranchesRequest{}); len(got) != 1 {
			t.Fatalf("%d branches after a replay", len(got))
		}
		other := proto.Clone(req).(*pb.CreatePartyBranchRequest)
		other.PartyBranch.Name = "别的支部"
		_, err := e.CreatePartyBranch(bg, other)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
		if !proto.Equal(first, again) {
			t.Fatalf("a replay answered\n%v\nthe first request\n%v", again, first)
		}
	})
	t.Run("grid cell", func(t *testing.T) {
		req := &pb.CreateGridCellRequest{GridCell: &pb.GridCell{Name: "一网格", CommunityId: w.communityA.Id, BuildingIds: []string{w.b1.Id}}, RequestId: "grid-1"}
		first := testkit.Must[*pb.GridCell](t)(e.CreateGridCell(bg, req))
		time.Sleep(2 * time.Millisecond)
		again := testkit.Must[*pb.GridCell](t)(e.CreateGridCell(bg, req))
		if again.Id != first.Id {
			t.Fatalf("a replay made cell %s, first %s", again.Id, first.Id)
		}
		if resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{})); len(resp.GridCells) != 1 {
			t.Fatalf("%d cells after a replay", len(resp.GridCells))
		}
		other := proto.Clone(req).(*pb.CreateGridCellRequest)
		other.GridCell.Name = "二网格"
		_, err := e.CreateGridCell(bg, other)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
		if !proto.Equal(first, again) {
			t.Fatalf("a replay answered\n%v\nthe first request\n%v", again, first)
		}
	})
}

func TestGridCellFiguresAreItsBuildingsHouseholds(t *testing.T) {
	e := start(t)
	w := e.orgWorld(t)
	P, A, PA, none := [2]bool{true, false}, [2]bool{false, true}, [2]bool{true, true}, [2]bool{}
	e.orgHouseholds(t, w.c1.Id, w.b1.Id, "a", P, PA, A, none, none) // 5 households, 2 party, 2 access
	e.orgHouseholds(t, w.c1.Id, w.b2.Id, "b", P, P, P, A)           // 4, 3, 1
	e.orgHouseholds(t, w.c2.Id, w.b3.Id, "c", PA, PA, PA)           // not in the cell

	cell := testkit.Must[*pb.GridCell](t)(e.CreateGridCell(bg, &pb.CreateGridCellRequest{GridCell: &pb.GridCell{
		Name: "一网格", CommunityId: w.communityA.Id, GridWorker: "陈网格员", BuildingIds: []string{w.b1.Id, w.b2.Id},
	}}))
	if cell.Id == "" || cell.CreateTime == nil || fmt.Sprint(cell.BuildingIds) != fmt.Sprint([]string{w.b1.Id, w.b2.Id}) {
		t.Fatalf("cell %v", cell)
	}
	check := func(t *testing.T, where string, g *pb.GridCell, households, party, access int32) {
		t.Helper()
		if g.HouseholdCount != households || g.PartyMemberCount != party || g.NeedsAccessibilityCount != access {
			t.Fatalf("%s: %d households, %d party members, %d needing accessibility; want %d, %d, %d",
				where, g.HouseholdCount, g.PartyMemberCount, g.NeedsAccessibilityCount, households, party, access)
		}
	}
	check(t, "CreateGridCell", cell, 9, 5, 3)
	resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{CommunityId: w.communityA.Id}))
	if len(resp.GridCells) != 1 || !proto.Equal(resp.GridCells[0], cell) {
		t.Fatalf("ListGridCells %v, created %v", resp.GridCells, cell)
	}

	t.Run("the figures follow households registered later", func(t *testing.T) {
		e.orgHouseholds(t, w.c1.Id, w.b2.Id, "later", PA, none)
		resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{CommunityId: w.communityA.Id}))
		check(t, "ListGridCells", resp.GridCells[0], 11, 6, 4)
	})
	t.Run("a refused household batch moves no figure", func(t *testing.T) {
		bad := []*pb.Household{
			{BuildingId: w.b1.Id, Unit: "1", Room: "new", ExclusiveAreaM2: 50, PartyMember: true, NeedsAccessibility: true},
			{BuildingId: w.b1.Id, Unit: "1", Room: "a00", ExclusiveAreaM2: 50, PartyMember: true}, // registered already
		}
		_, err := e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: w.c1.Id, Households: bad})
		testkit.WantStatus(t, err, codes.AlreadyExists)
		resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{CommunityId: w.communityA.Id}))
		check(t, "ListGridCells", resp.GridCells[0], 11, 6, 4)
	})
	t.Run("a replayed household batch counts once", func(t *testing.T) {
		req := &pb.BatchCreateHouseholdsRequest{CompoundId: w.c1.Id, RequestId: "hh-1", Households: []*pb.Household{
			{BuildingId: w.b1.Id, Unit: "2", Room: "201", ExclusiveAreaM2: 50, PartyMember: true, NeedsAccessibility: true},
		}}
		testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, req))
		testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, req))
		resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{CommunityId: w.communityA.Id}))
		check(t, "ListGridCells", resp.GridCells[0], 12, 7, 5)
	})
	t.Run("a cell without buildings counts nothing", func(t *testing.T) {
		empty := testkit.Must[*pb.GridCell](t)(e.CreateGridCell(bg, &pb.CreateGridCellRequest{GridCell: &pb.GridCell{Name: "空网格", CommunityId: w.communityA.Id}}))
		check(t, "CreateGridCell", empty, 0, 0, 0)
	})
}

func TestCreateGridCellRefusalsStoreNothing(t *testing.T) {
	e := start(t)
	w := e.orgWorld(t)
	taken := testkit.Must[*pb.GridCell](t)(e.CreateGridCell(bg, &pb.CreateGridCellRequest{GridCell: &pb.GridCell{Name: "一网格", CommunityId: w.communityA.Id, BuildingIds: []string{w.b1.Id}}}))

	tests := []struct {
		name  string
		g     *pb.GridCell
		field string
	}{
		{"an unknown building", &pb.GridCell{Name: "x", CommunityId: w.communityA.Id, BuildingIds: []string{w.b2.Id, "nope"}}, "gridCell.buildingIds[1]"},
		{"a building of another community", &pb.GridCell{Name: "x", CommunityId: w.communityA.Id, BuildingIds: []string{w.x1.Id, w.b2.Id}}, "gridCell.buildingIds[0]"},
		{"a building already in another cell", &pb.GridCell{Name: "x", CommunityId: w.communityA.Id, BuildingIds: []string{w.b2.Id, w.b3.Id, w.b1.Id}}, "gridCell.buildingIds[2]"},
		{"a sub-district is not a community", &pb.GridCell{Name: "x", CommunityId: w.subA.Id, BuildingIds: []string{w.b2.Id}}, "gridCell.communityId"},
		{"an unknown community", &pb.GridCell{Name: "x", CommunityId: "nope", BuildingIds: []string{w.b2.Id}}, "gridCell.communityId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.CreateGridCell(bg, &pb.CreateGridCellRequest{GridCell: tt.g})
			testkit.WantViolation(t, err, tt.field)
		})
	}
	t.Run("a building named twice", func(t *testing.T) {
		_, err := e.CreateGridCell(bg, &pb.CreateGridCellRequest{GridCell: &pb.GridCell{Name: "x", CommunityId: w.communityA.Id, BuildingIds: []string{w.b2.Id, w.b3.Id, w.b2.Id}}})
		st := testkit.WantStatus(t, err, codes.InvalidArgument)
		named := false
		for _, f := range testkit.Violations(st) {
			named = named || strings.HasPrefix(f, "gridCell.buildingIds")
		}
		if !named {
			t.Fatalf("violations %q do not name gridCell.buildingIds", testkit.Violations(st))
		}
	})

	resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{}))
	if len(resp.GridCells) != 1 || resp.GridCells[0].Id != taken.Id {
		t.Fatalf("cells after refusals: %v", resp.GridCells)
	}
	// The refused cells took none of b2 and b3: a new cell gets both.
	free := testkit.Must[*pb.GridCell](t)(e.CreateGridCell(bg, &pb.CreateGridCellRequest{GridCell: &pb.GridCell{Name: "二网格", CommunityId: w.communityA.Id, BuildingIds: []string{w.b2.Id, w.b3.Id}}}))
	if len(free.BuildingIds) != 2 {
		t.Fatalf("cell %v", free)
	}
	t.Run("cells list by community", func(t *testing.T) {
		if resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{CommunityId: w.communityB.Id})); len(resp.GridCells) != 0 {
			t.Fatalf("community B lists %v", resp.GridCells)
		}
		resp := testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{CommunityId: w.communityA.Id, PageSize: 1}))
		if len(resp.GridCells) != 1 || resp.GridCells[0].Id != taken.Id || resp.NextPageToken == "" {
			t.Fatalf("first page %v", resp)
		}
		resp = testkit.Must[*pb.ListGridCellsResponse](t)(e.ListGridCells(bg, &pb.ListGridCellsRequest{CommunityId: w.communityA.Id, PageSize: 1, PageToken: resp.NextPageToken}))
		if len(resp.GridCells) != 1 || resp.GridCells[0].Id != free.Id || resp.NextPageToken != "" {
			t.Fatalf("second page %v", resp)
		}
	})
}

func TestLinkedUnitsAndPartyMembers(t *testing.T) {
	e := start(t)
	w := e.orgWorld(t)
	unit := testkit.Must[*pb.LinkedUnit](t)(e.CreateLinkedUnit(bg, &pb.CreateLinkedUnitRequest{LinkedUnit: &pb.LinkedUnit{Name: "区住建局", CommunityId: w.communityA.Id, Contact: "办公室"}}))
	if unit.Id == "" || unit.CommunityId != w.communityA.Id || unit.CreateTime == nil {
		t.Fatalf("unit %v", unit)
	}
	hs := e.orgHouseholds(t, w.c1.Id, w.b1.Id, "m", [2]bool{true, false})

	t.Run("a linked unit outside a community is refused and not stored", func(t *testing.T) {
		for _, community := range []string{w.subA.Id, w.district.Id, "nope"} {
			_, err := e.CreateLinkedUnit(bg, &pb.CreateLinkedUnitRequest{LinkedUnit: &pb.LinkedUnit{Name: "x", CommunityId: community}})
			testkit.WantViolation(t, err, "linkedUnit.communityId")
		}
		resp := testkit.Must[*pb.ListLinkedUnitsResponse](t)(e.ListLinkedUnits(bg, &pb.ListLinkedUnitsRequest{}))
		if len(resp.LinkedUnits) != 1 || !proto.Equal(resp.LinkedUnits[0], unit) {
			t.Fatalf("units %v", resp.LinkedUnits)
		}
	})
	t.Run("a replayed linked unit answers the first", func(t *testing.T) {
		req := &pb.CreateLinkedUnitRequest{LinkedUnit: &pb.LinkedUnit{Name: "区税务局", CommunityId: w.communityB.Id}, RequestId: "unit-1"}
		a := testkit.Must[*pb.LinkedUnit](t)(e.CreateLinkedUnit(bg, req))
		time.Sleep(2 * time.Millisecond)
		b := testkit.Must[*pb.LinkedUnit](t)(e.CreateLinkedUnit(bg, req))
		if !proto.Equal(a, b) {
			t.Fatalf("replay %v, first %v", b, a)
		}
		resp := testkit.Must[*pb.ListLinkedUnitsResponse](t)(e.ListLinkedUnits(bg, &pb.ListLinkedUnitsRequest{CommunityId: w.communityB.Id}))
		if len(resp.LinkedUnits) != 1 || resp.LinkedUnits[0].Id != a.Id {
			t.Fatalf("community B's units %v", resp.LinkedUnits)
		}
	})

	member := testkit.Must[*pb.PartyMember](t)(e.CreatePartyMember(bg, &pb.CreatePartyMemberRequest{PartyMember: &pb.PartyMember{
		Name: "张三", ResidenceCommunityId: w.communityA.Id, LinkedUnitId: unit.Id, HouseholdId: hs[0].Id,
	}}))
	t.Run("rule 13: a member's name is masked", func(t *testing.T) {
		if member.Name != "张*" || member.Id == "" || member.HouseholdId != hs[0].Id || member.RegisterTime == nil {
			t.Fatalf("member %v", member)
		}
		for _, req := range []*pb.ListPartyMembersRequest{{LinkedUnitId: unit.Id}, {ResidenceCommunityId: w.communityA.Id}, {}} {
			resp := testkit.Must[*pb.ListPartyMembersResponse](t)(e.ListPartyMembers(bg, req))
			if len(resp.PartyMembers) != 1 || !proto.Equal(resp.PartyMembers[0], member) {
				t.Fatalf("ListPartyMembers(%v) = %v", req, resp.PartyMembers)
			}
		}
	})
	t.Run("refusals name the field and store nothing", func(t *testing.T) {
		tests := []struct {
			name  string
			m     *pb.PartyMember
			field string
		}{
			{"an unknown linked unit", &pb.PartyMember{Name: "李四光", ResidenceCommunityId: w.communityA.Id, LinkedUnitId: "nope"}, "partyMember.linkedUnitId"},
			{"an unknown household", &pb.PartyMember{Name: "李四光", ResidenceCommunityId: w.communityA.Id, LinkedUnitId: unit.Id, HouseholdId: "nope"}, "partyMember.householdId"},
			{"a residence that is a sub-district", &pb.PartyMember{Name: "李四光", ResidenceCommunityId: w.subA.Id, LinkedUnitId: unit.Id}, "partyMember.residenceCommunityId"},
			{"an unknown residence", &pb.PartyMember{Name: "李四光", ResidenceCommunityId: "nope", LinkedUnitId: unit.Id}, "partyMember.residenceCommunityId"},
			{"no name", &pb.PartyMember{ResidenceCommunityId: w.communityA.Id, LinkedUnitId: unit.Id}, "partyMember.name"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.CreatePartyMember(bg, &pb.CreatePartyMemberRequest{PartyMember: tt.m})
				testkit.WantViolation(t, err, tt.field)
				if text := fmt.Sprint(status.Convert(err).Proto()); strings.Contains(text, "李四光") {
					t.Fatalf("the refusal echoes the member's name: %s", text)
				}
			})
		}
		resp := testkit.Must[*pb.ListPartyMembersResponse](t)(e.ListPartyMembers(bg, &pb.ListPartyMembersRequest{}))
		if len(resp.PartyMembers) != 1 {
			t.Fatalf("%d members after refusals", len(resp.PartyMembers))
		}
	})
	t.Run("members list by linked unit and by residence", func(t *testing.T) {
		other := testkit.Must[*pb.LinkedUnit](t)(e.CreateLinkedUnit(bg, &pb.CreateLinkedUnitRequest{LinkedUnit: &pb.LinkedUnit{Name: "区水务局", CommunityId: w.communityA.Id}}))
		m2 := testkit.Must[*pb.PartyMember](t)(e.CreatePartyMember(bg, &pb.CreatePartyMemberRequest{PartyMember: &pb.PartyMember{Name: "欧阳娜娜", ResidenceCommunityId: w.communityB.Id, LinkedUnitId: other.Id}}))
		m3 := testkit.Must[*pb.PartyMember](t)(e.CreatePartyMember(bg, &pb.CreatePartyMemberRequest{PartyMember: &pb.PartyMember{Name: "李四", ResidenceCommunityId: w.communityA.Id, LinkedUnitId: other.Id}}))
		ids := func(req *pb.ListPartyMembersRequest) string {
			var out []string
			for _, m := range testkit.Must[*pb.ListPartyMembersResponse](t)(e.ListPartyMembers(bg, req)).PartyMembers {
				out = append(out, m.Id)
			}
			return fmt.Sprint(out)
		}
		for _, tt := range []struct {
			req  *pb.ListPartyMembersRequest
			want []string
		}{
			{&pb.ListPartyMembersRequest{LinkedUnitId: other.Id}, []string{m2.Id, m3.Id}},
			{&pb.ListPartyMembersRequest{ResidenceCommunityId: w.communityA.Id}, []string{member.Id, m3.Id}},
			{&pb.ListPartyMembersRequest{ResidenceCommunityId: w.communityB.Id}, []string{m2.Id}},
			{&pb.ListPartyMembersRequest{LinkedUnitId: other.Id, ResidenceCommunityId: w.communityA.Id}, []string{m3.Id}},
			{&pb.ListPartyMembersRequest{}, []string{member.Id, m2.Id, m3.Id}},
		} {
			if got := ids(tt.req); got != fmt.Sprint(tt.want) {
				t.Errorf("ListPartyMembers(%v) = %s, want %v", tt.req, got, tt.want)
			}
		}
		if m2.Name != "欧***" || m3.Name != "李*" {
			t.Fatalf("names %q %q", m2.Name, m3.Name)
		}
	})
	t.Run("rule 13: members' names never reach the log", func(t *testing.T) {
		for _, secret := range []string{"张三", "欧阳娜娜", "李四"} {
			if strings.Contains(e.logs.String(), secret) {
				t.Fatalf("the log carries %q", secret)
			}
		}
	})
}

// reportWorld is a linked unit with members 张三 and 欧阳娜娜 (who serve) and 李四 (who
// does not), and a member of another unit who serves too.
type reportWorld struct {
	unit, otherUnit          *pb.LinkedUnit
	zhang, ouyang, li, other *pb.PartyMember
}

func (e env) reportWorld(t *testing.T) reportWorld {
	t.Helper()
	tr := e.tree(t)
	var w reportWorld
	w.unit = testkit.Must[*pb.LinkedUnit](t)(e.CreateLinkedUnit(bg, &pb.CreateLinkedUnitRequest{LinkedUnit: &pb.LinkedUnit{Name: "区住建局", CommunityId: tr.communityA.Id}}))
	w.otherUnit = testkit.Must[*pb.LinkedUnit](t)(e.CreateLinkedUnit(bg, &pb.CreateLinkedUnitRequest{LinkedUnit: &pb.LinkedUnit{Name: "区税务局", CommunityId: tr.communityA.Id}}))
	member := func(name, community, unit string) *pb.PartyMember {
		return testkit.Must[*pb.PartyMember](t)(e.CreatePartyMember(bg, &pb.CreatePartyMemberRequest{PartyMember: &pb.PartyMember{Name: name, ResidenceCommunityId: community, LinkedUnitId: unit}}))
	}
	w.zhang = member("张三", tr.communityA.Id, w.unit.Id)
	w.ouyang = member("欧阳娜娜", tr.communityB.Id, w.unit.Id)
	w.li = member("李四", tr.comC.Id, w.unit.Id)
	w.other = member("王五", tr.communityA.Id, w.otherUnit.Id)
	return w
}

func (e env) serve(t *testing.T, m *pb.PartyMember, date string, hours float64, requestID string) *pb.ServiceRecord {
	t.Helper()
	return testkit.Must[*pb.ServiceRecord](t)(e.CreateServiceRecord(bg, &pb.CreateServiceRecordRequest{
		PartyMemberId: m.Id, RequestId: requestID, ServiceRecord: &pb.ServiceRecord{Date: date, Hours: hours, Activity: "清理楼道"},
	}))
}

func TestReportBackSumsEachMembersService(t *testing.T) {
	e := start(t)
	w := e.reportWorld(t)
	e.serve(t, w.zhang, "2021-10-31", 1.5, "")
	e.serve(t, w.zhang, "2021-11-01", 2.33, "")
	e.serve(t, w.zhang, "2021-11-30", 0.17, "")
	e.serve(t, w.zhang, "2021-12-15", 4, "")
	e.serve(t, w.zhang, "2022-01-01", 8, "")
	e.serve(t, w.ouyang, "2021-11-06", 24, "")
	e.serve(t, w.ouyang, "2021-02-28", 0.01, "")
	e.serve(t, w.other, "2021-11-06", 3, "")

	type sum struct {
		records int32
		hours   float64
	}
	tests := []struct {
		period            string
		zhang, ouyang, li sum
		total             sum
	}{
		{"2021-11", sum{2, 2.5}, sum{1, 24}, sum{}, sum{3, 26.5}},
		{"2021-10", sum{1, 1.5}, sum{}, sum{}, sum{1, 1.5}},
		{"2021-Q4", sum{4, 8}, sum{1, 24}, sum{}, sum{5, 32}},
		{"2021-Q1", sum{}, sum{1, 0.01}, sum{}, sum{1, 0.01}},
		{"2021", sum{4, 8}, sum{2, 24.01}, sum{}, sum{6, 32.01}},
		{"2022", sum{1, 8}, sum{}, sum{}, sum{1, 8}},
		{"2020", sum{}, sum{}, sum{}, sum{}},
	}
	for _, tt := range tests {
		t.Run(tt.period, func(t *testing.T) {
			r := testkit.Must[*pb.ReportBack](t)(e.GetReportBack(bg, &pb.GetReportBackRequest{LinkedUnitId: w.unit.Id, Period: tt.period}))
			if r.LinkedUnitId != w.unit.Id || r.Period != tt.period || r.Members != 3 {
				t.Fatalf("report %v", r)
			}
			if r.Records != tt.total.records || r.Hours != tt.total.hours {
				t.Fatalf("total %d records, %v hours; want %d, %v", r.Records, r.Hours, tt.total.records, tt.total.hours)
			}
			want := map[string]struct {
				name string
				sum  sum
			}{w.zhang.Id: {"张*", tt.zhang}, w.ouyang.Id: {"欧***", tt.ouyang}, w.li.Id: {"李*", tt.li}}
			if len(r.MemberSummaries) != 3 {
				t.Fatalf("%d member summaries: %v", len(r.MemberSummaries), r.MemberSummaries)
			}
			for _, m := range r.MemberSummaries {
				wm, ok := want[m.PartyMemberId]
				if !ok {
					t.Fatalf("a summary of %s, not a member of the unit", m.PartyMemberId)
				}
				if m.Name != wm.name || m.Records != wm.sum.records || m.Hours != wm.sum.hours {
					t.Fatalf("summary %v, want %q %d records %v hours", m, wm.name, wm.sum.records, wm.sum.hours)
				}
				delete(want, m.PartyMemberId)
			}
		})
	}
	t.Run("the other unit reports its own member only", func(t *testing.T) {
		r := testkit.Must[*pb.ReportBack](t)(e.GetReportBack(bg, &pb.GetReportBackRequest{LinkedUnitId: w.otherUnit.Id, Period: "2021-11"}))
		if r.Members != 1 || r.Records != 1 || r.Hours != 3 || len(r.MemberSummaries) != 1 || r.MemberSummaries[0].Name != "王*" {
			t.Fatalf("report %v", r)
		}
	})
	t.Run("an unknown linked unit is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetReportBack(bg, &pb.GetReportBackRequest{LinkedUnitId: "nope", Period: "2021"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("a period that is not a year, quarter or month is refused", func(t *testing.T) {
		for _, p := range []string{"", "21", "2021-Q5", "2021-13", "2021-00", "2021-q4", "2021-11-06", "Q4"} {
			_, err := e.GetReportBack(bg, &pb.GetReportBackRequest{LinkedUnitId: w.unit.Id, Period: p})
			testkit.WantViolation(t, err, "period")
		}
	})
	t.Run("rule 13: members' names never reach the log", func(t *testing.T) {
		for _, secret := range []string{"张三", "欧阳娜娜", "李四", "王五"} {
			if strings.Contains(e.logs.String(), secret) {
				t.Fatalf("the log carries %q", secret)
			}
		}
	})
}

func TestReplayedServiceRecordCountsOnce(t *testing.T) {
	e := start(t)
	w := e.reportWorld(t)
	req := &pb.CreateServiceRecordRequest{PartyMemberId: w.zhang.Id, RequestId: "svc-1", ServiceRecord: &pb.ServiceRecord{Date: "2021-11-06", Hours: 2.5, Activity: "垃圾分类宣传"}}
	first := testkit.Must[*pb.ServiceRecord](t)(e.CreateServiceRecord(bg, req))
	if first.Id == "" || first.PartyMemberId != w.zhang.Id || first.Hours != 2.5 || first.Date != "2021-11-06" {
		t.Fatalf("record %v", first)
	}
	again := testkit.Must[*pb.ServiceRecord](t)(e.CreateServiceRecord(bg, req))
	if !proto.Equal(first, again) {
		t.Fatalf("a replay answered %v, first %v", again, first)
	}
	other := proto.Clone(req).(*pb.CreateServiceRecordRequest)
	other.ServiceRecord.Hours = 3
	_, err := e.CreateServiceRecord(bg, other)
	testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	// Another request with the same body is another day's record of the same work.
	e.serve(t, w.zhang, "2021-11-06", 2.5, "svc-2")

	r := testkit.Must[*pb.ReportBack](t)(e.GetReportBack(bg, &pb.GetReportBackRequest{LinkedUnitId: w.unit.Id, Period: "2021-11"}))
	if r.Records != 2 || r.Hours != 5 {
		t.Fatalf("after a replay, a reused id and a second request: %d records, %v hours; want 2, 5", r.Records, r.Hours)
	}
}

func TestCreateServiceRecordRefusalsCountNothing(t *testing.T) {
	e := start(t)
	w := e.reportWorld(t)
	future := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	tests := []struct {
		name  string
		r     *pb.ServiceRecord
		field string
	}{
		{"a day in the future", &pb.ServiceRecord{Date: future, Hours: 2, Activity: "x"}, "serviceRecord.date"},
		{"no hours", &pb.ServiceRecord{Date: "2021-11-06", Hours: 0, Activity: "x"}, "serviceRecord.hours"},
		{"hours that round to no hundredth", &pb.ServiceRecord{Date: "2021-11-06", Hours: 0.001, Activity: "x"}, "serviceRecord.hours"},
		{"negative hours", &pb.ServiceRecord{Date: "2021-11-06", Hours: -1, Activity: "x"}, "serviceRecord.hours"},
		{"25 hours", &pb.ServiceRecord{Date: "2021-11-06", Hours: 25, Activity: "x"}, "serviceRecord.hours"},
		{"the 30th of February", &pb.ServiceRecord{Date: "2021-02-30", Hours: 2, Activity: "x"}, "serviceRecord.date"},
		{"month 13", &pb.ServiceRecord{Date: "2021-13-01", Hours: 2, Activity: "x"}, "serviceRecord.date"},
		{"a date with slashes", &pb.ServiceRecord{Date: "2021/11/06", Hours: 2, Activity: "x"}, "serviceRecord.date"},
		{"no date", &pb.ServiceRecord{Hours: 2, Activity: "x"}, "serviceRecord.date"},
		{"no activity", &pb.ServiceRecord{Date: "2021-11-06", Hours: 2}, "serviceRecord.activity"},
		{"an unknown compound", &pb.ServiceRecord{Date: "2021-11-06", Hours: 2, Activity: "x", CompoundId: "nope"}, "serviceRecord.compoundId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.CreateServiceRecord(bg, &pb.CreateServiceRecordRequest{PartyMemberId: w.zhang.Id, ServiceRecord: tt.r})
			testkit.WantViolation(t, err, tt.field)
		})
	}
	t.Run("an unknown member is NOT_FOUND", func(t *testing.T) {
		_, err := e.CreateServiceRecord(bg, &pb.CreateServiceRecordRequest{PartyMemberId: "nope", ServiceRecord: &pb.ServiceRecord{Date: "2021-11-06", Hours: 2, Activity: "x"}})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	for _, period := range []string{"2021", "2021-Q1", "2021-11", future[:4]} {
		r := testkit.Must[*pb.ReportBack](t)(e.GetReportBack(bg, &pb.GetReportBackRequest{LinkedUnitId: w.unit.Id, Period: period}))
		if r.Records != 0 || r.Hours != 0 {
			t.Fatalf("%s after refusals: %d records, %v hours", period, r.Records, r.Hours)
		}
	}
	t.Run("a whole day and a record today are accepted", func(t *testing.T) {
		e.serve(t, w.zhang, "2021-11-06", 24, "")
		today := time.Now().Format(time.DateOnly)
		e.serve(t, w.zhang, today, 1, "")
		r := testkit.Must[*pb.ReportBack](t)(e.GetReportBack(bg, &pb.GetReportBackRequest{LinkedUnitId: w.unit.Id, Period: today[:7]}))
		if r.Records != 1 || r.Hours != 1 {
			t.Fatalf("this month: %d records, %v hours", r.Records, r.Hours)
		}
	})
}
