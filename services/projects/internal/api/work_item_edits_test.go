package api_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/works"
)

// editBase is a plan of four items whose order of works (rule 5) is known: the
// stairwells are painted first (BASIC, easy and the costlier of the two easy ones), then
// the lights, then the road (medium), then the bike shed (IMPROVEMENT). No item is
// underground and none names another, so only the keys decide.
func editBase() map[string]*pb.WorkItem {
	w := func(cat pb.WorkItem_Category, kind pb.WorkItem_Kind, desc string, q float64, unit string, cost int64, d pb.WorkItem_Difficulty) *pb.WorkItem {
		return &pb.WorkItem{Category: cat, Kind: kind, Description: desc, Quantity: q, Unit: unit, EstimatedCostFen: cost, Difficulty: d}
	}
	return map[string]*pb.WorkItem{
		"paint":  w(pb.WorkItem_BASIC, pb.WorkItem_STAIRWELL_PAINTING, "stairwells repainted", 8, "buildings", 9_600_000, pb.WorkItem_EASY),
		"lights": w(pb.WorkItem_BASIC, pb.WorkItem_STAIRWELL_LIGHTING, "32 stairwell lights in 8 units", 32, "pcs", 960_000, pb.WorkItem_EASY),
		"road":   w(pb.WorkItem_BASIC, pb.WorkItem_ROAD_REPAIR, "damaged roads repaired", 968, "m2", 19_360_000, pb.WorkItem_MEDIUM),
		"shed":   w(pb.WorkItem_IMPROVEMENT, pb.WorkItem_BIKE_SHED, "e-bike shed", 1, "pcs", 2_000_000, pb.WorkItem_MEDIUM),
	}
}

// editBaseOrder is editBase's schedule: each item with why it stands there.
var editBaseOrder = []string{
	"paint: first: follows no other item; bigger cost first",
	"lights: bigger cost first",
	"road: easier first",
	"shed: BASIC before IMPROVEMENT",
}

// editPlan registers editBase (in a fixed order) as a new project of the compound and
// returns the project, its items by name and the names by id.
func (e *env) editPlan(t *testing.T, cid string, year int32) (*pb.Project, map[string]*pb.WorkItem, map[string]string) {
	t.Helper()
	p := e.project(t, cid, year)
	base := editBase()
	items, names := map[string]*pb.WorkItem{}, map[string]string{}
	for _, n := range []string{"road", "shed", "lights", "paint"} {
		it := e.item(t, p.Id, base[n])
		items[n], names[it.Id] = it, n
	}
	return p, items, names
}

// order is a project's schedule as "name: reason", ids in reasons written {name}.
func (e *env) order(t *testing.T, pid string, names map[string]string) []string {
	t.Helper()
	var pairs []string
	for id, n := range names {
		pairs = append(pairs, id, "{"+n+"}")
	}
	r := strings.NewReplacer(pairs...)
	var out []string
	for i, en := range e.schedule(t, pid) {
		if en.Position != int32(i+1) {
			t.Fatalf("entry %d has position %d", i+1, en.Position)
		}
		out = append(out, names[en.Item.Id]+": "+r.Replace(en.Reason))
	}
	return out
}

// TestEveryEditableFieldOfAWorkItemAndTheOrderOfWorks edits each field UpdateWorkItem
// may replace, one per project, through gRPC with an update mask, and reads GetSchedule
// after it (rule 5: the order of works). An edit of an ordering key (category,
// safety-critical, difficulty, cost; kind through 先地下后地上; after links) moves the
// item, and its entry says which key or precedence put it there; an edit of any other
// field is kept and leaves the order and its reasons as they were. The table is checked
// against works.ItemUpdatableFields, so a new editable field fails here until it has a
// case.
func TestEveryEditableFieldOfAWorkItemAndTheOrderOfWorks(t *testing.T) {
	e := start(t)
	cid, _ := e.compound(t, 1)
	fields := (&pb.WorkItem{}).ProtoReflect().Descriptor().Fields()

	cases := []struct {
		field string // the API's (JSON) name, as works.ItemUpdatableFields names it
		item  string // the item edited
		edit  func(it *pb.WorkItem, ids map[string]string)
		want  []string // the schedule after the edit; nil: editBaseOrder, unchanged
	}{
		{"category", "paint", func(it *pb.WorkItem, _ map[string]string) { it.Category = pb.WorkItem_UPGRADE }, []string{
			"lights: first: follows no other item; easier first",
			"road: easier first",
			"shed: BASIC before IMPROVEMENT",
			"paint: IMPROVEMENT before UPGRADE",
		}},
		{"safetyCritical", "road", func(it *pb.WorkItem, _ map[string]string) { it.SafetyCritical = true }, []string{
			"road: first: follows no other item; safety-critical first",
			"paint: safety-critical first",
			"lights: bigger cost first",
			"shed: BASIC before IMPROVEMENT",
		}},
		{"difficulty", "paint", func(it *pb.WorkItem, _ map[string]string) { it.Difficulty = pb.WorkItem_HARD }, []string{
			"lights: first: follows no other item; easier first",
			"road: easier first",
			"paint: easier first",
			"shed: BASIC before IMPROVEMENT",
		}},
		{"estimatedCostFen", "lights", func(it *pb.WorkItem, _ map[string]string) { it.EstimatedCostFen = 12_000_000 }, []string{
			"lights: first: follows no other item; bigger cost first",
			"paint: bigger cost first",
			"road: easier first",
			"shed: BASIC before IMPROVEMENT",
		}},
		// The shed's site becomes a cable trench: underground works, so the road over it
		// waits for it (先地下后地上) though the road is BASIC and the trench IMPROVEMENT.
		{"kind", "shed", func(it *pb.WorkItem, _ map[string]string) { it.Kind = pb.WorkItem_CABLE_BURIAL }, []string{
			"paint: first: follows no other item; bigger cost first",
			"lights: bigger cost first",
			"shed: BASIC before IMPROVEMENT",
			"road: after CABLE_BURIAL {shed}: underground works before the surface over them",
		}},
		{"after", "paint", func(it *pb.WorkItem, ids map[string]string) { it.After = []string{ids["shed"]} }, []string{
			"lights: first: follows no other item; easier first",
			"road: easier first",
			"shed: BASIC before IMPROVEMENT",
			"paint: named after {shed}",
		}},
		{"description", "paint", func(it *pb.WorkItem, _ map[string]string) { it.Description = "stairwells repainted, handrails too" }, nil},
		{"quantity", "road", func(it *pb.WorkItem, _ map[string]string) { it.Quantity = 1200 }, nil},
		{"unit", "paint", func(it *pb.WorkItem, _ map[string]string) { it.Unit = "units" }, nil},
		{"progressPercent", "lights", func(it *pb.WorkItem, _ map[string]string) { it.ProgressPercent = 40 }, nil},
	}

	// Every field the app lets an edit replace has a case, and every case names one.
	var named []string
	for _, tc := range cases {
		named = append(named, tc.field)
	}
	slices.Sort(named)
	if accepted := slices.Sorted(maps.Keys(works.ItemUpdatableFields)); !slices.Equal(named, accepted) {
		t.Fatalf("the cases edit %v; UpdateWorkItem accepts %v: give each editable field a case", named, accepted)
	}

	for i, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			fd := fields.ByJSONName(tc.field)
			if fd == nil {
				t.Fatalf("the work item has no field %q", tc.field)
			}
			p, items, names := e.editPlan(t, cid, int32(2030+i))
			if got := e.order(t, p.Id, names); !slices.Equal(got, editBaseOrder) {
				t.Fatalf("before the edit the order is\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(editBaseOrder, "\n"))
			}
			ids := map[string]string{}
			for n, it := range items {
				ids[n] = it.Id
			}
			before := items[tc.item]
			want := proto.Clone(before).(*pb.WorkItem)
			tc.edit(want, ids)
			if proto.Equal(want, before) {
				t.Fatalf("the case changes nothing of %s", tc.item)
			}
			// The patch carries the edited field alone, named in the mask by its proto name.
			patch := &pb.WorkItem{Id: before.Id}
			patch.ProtoReflect().Set(fd, want.ProtoReflect().Get(fd))
			got := testkit.Must[*pb.WorkItem](t)(e.UpdateWorkItem(bg, &pb.UpdateWorkItemRequest{ProjectId: p.Id, Item: patch, UpdateMask: mask(string(fd.Name()))}))

			// The edit is kept, the item's other fields are as they were, and so are the
			// other items.
			if !proto.Equal(stripOutput(got), onlyField(stripOutput(before), stripOutput(want), fd)) || got.Etag == before.Etag {
				t.Fatalf("%s after editing %s:\n%v\nwant\n%v", tc.item, tc.field, got, want)
			}
			for n, it := range items {
				if n == tc.item {
					continue
				}
				if now := testkit.Must[*pb.WorkItem](t)(e.GetWorkItem(bg, &pb.GetWorkItemRequest{ProjectId: p.Id, Id: it.Id})); !proto.Equal(now, it) {
					t.Fatalf("editing %s's %s changed %s: %v → %v", tc.item, tc.field, n, it, now)
				}
			}

			wantOrder := tc.want
			if wantOrder == nil {
				wantOrder = editBaseOrder
			}
			after := e.order(t, p.Id, names)
			if !slices.Equal(after, wantOrder) {
				t.Fatalf("after editing %s's %s the order is\n%s\nwant\n%s", tc.item, tc.field, strings.Join(after, "\n"), strings.Join(wantOrder, "\n"))
			}
			// An ordering key's edit moves the item; any other edit leaves it where it was.
			if moved := !slices.Equal(nameOrder(after), nameOrder(editBaseOrder)); moved != (tc.want != nil) {
				t.Fatalf("editing %s's %s: the order moved: %t", tc.item, tc.field, moved)
			}
			// The schedule shows the item as edited.
			for _, en := range e.schedule(t, p.Id) {
				if en.Item.Id == got.Id && !proto.Equal(en.Item, got) {
					t.Fatalf("the schedule shows %v, the edit answered %v", en.Item, got)
				}
			}
		})
	}
}

// onlyField is before with fd taken from want.
func onlyField(before, want *pb.WorkItem, fd protoreflect.FieldDescriptor) *pb.WorkItem {
	out := proto.Clone(before).(*pb.WorkItem)
	out.ProtoReflect().Set(fd, want.ProtoReflect().Get(fd))
	return out
}

func nameOrder(order []string) []string {
	out := make([]string, len(order))
	for i, o := range order {
		out[i], _, _ = strings.Cut(o, ":")
	}
	return out
}

// TestWorkItemEditsThatCloseACycleAreRefused: rule 5 refuses a cycle, whichever edit
// would close it; an after link naming an item that (through its own link) already
// follows it, or a kind that turns an item underground below a surface it was named to
// follow. Each refusal is INVALID_ARGUMENT naming the items of the cycle, and nothing
// changes: neither the items nor the schedule.
func TestWorkItemEditsThatCloseACycleAreRefused(t *testing.T) {
	e := start(t)
	cid, _ := e.compound(t, 1)
	for i, tc := range []struct {
		name  string
		setup func(p string, ids map[string]string) // accepted edits first
		edit  func(ids map[string]string) (*pb.WorkItem, string)
		inWhy []string // names of the cycle's items
		field string   // the violation's field
	}{
		{"after", func(p string, ids map[string]string) {
			e.edit(t, p, &pb.WorkItem{Id: ids["paint"], After: []string{ids["shed"]}}, "after")
		}, func(ids map[string]string) (*pb.WorkItem, string) {
			return &pb.WorkItem{Id: ids["shed"], After: []string{ids["paint"]}}, "after"
		}, []string{"paint", "shed"}, "item.after"},
		{"kind", func(p string, ids map[string]string) {
			e.edit(t, p, &pb.WorkItem{Id: ids["shed"], After: []string{ids["road"]}}, "after")
		}, func(ids map[string]string) (*pb.WorkItem, string) {
			return &pb.WorkItem{Id: ids["shed"], Kind: pb.WorkItem_CABLE_BURIAL}, "kind"
		}, []string{"road", "shed"}, "item.kind"}, // the field the caller changed
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, items, names := e.editPlan(t, cid, int32(2060+i))
			ids := map[string]string{}
			for n, it := range items {
				ids[n] = it.Id
			}
			tc.setup(p.Id, ids)
			beforeItems, beforeOrder := e.items(t, p.Id), e.order(t, p.Id, names)

			patch, path := tc.edit(ids)
			_, err := e.UpdateWorkItem(bg, &pb.UpdateWorkItemRequest{ProjectId: p.Id, Item: patch, UpdateMask: mask(path)})
			testkit.WantViolation(t, err, tc.field)
			msg := testkit.WantStatus(t, err, codes.InvalidArgument).Message()
			if !strings.Contains(msg, "cycle") {
				t.Fatalf("refusal %q does not say it is a cycle", msg)
			}
			for _, n := range tc.inWhy {
				if !strings.Contains(err.Error(), ids[n]) {
					t.Fatalf("refusal %v does not name %s (%s) of the cycle", err, n, ids[n])
				}
			}
			afterItems := e.items(t, p.Id)
			for j := range beforeItems {
				if !proto.Equal(beforeItems[j], afterItems[j]) {
					t.Fatalf("a refused edit changed %s: %v → %v", names[beforeItems[j].Id], beforeItems[j], afterItems[j])
				}
			}
			if got := e.order(t, p.Id, names); !slices.Equal(got, beforeOrder) {
				t.Fatalf("a refused edit changed the order:\n%s\nwas\n%s", strings.Join(got, "\n"), strings.Join(beforeOrder, "\n"))
			}
		})
	}
}

// edit makes an edit that must be accepted.
func (e *env) edit(t *testing.T, pid string, patch *pb.WorkItem, paths ...string) *pb.WorkItem {
	t.Helper()
	got, err := e.UpdateWorkItem(bg, &pb.UpdateWorkItemRequest{ProjectId: pid, Item: patch, UpdateMask: mask(paths...)})
	if err != nil {
		t.Fatal(fmt.Errorf("editing %s (%v): %w", patch.Id, paths, err))
	}
	return got
}
