package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/api"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/storage"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type env struct {
	pb.GovernanceServiceClient
	logs *testkit.LogBuffer
	rdb  redis.UniversalClient // the service's Redis, for reading the events it publishes
	app  *app.App              // the use cases, for the compound events no consumer runs here
}

// start runs the governance API on its own Redis database behind the platform's gRPC
// server (validation interceptor and error statuses included) on a loopback port.
func start(t *testing.T) env { return serve(t, time.Now) }

// serve is start on the clock now, with no survey peer (startWithSurvey has the real one).
func serve(t *testing.T, now func() time.Time) env {
	t.Helper()
	logs := &testkit.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := grpcserver.New(log)
	if err != nil {
		t.Fatal(err)
	}
	rdb := testkit.Redis(t)
	outbox := events.NewOutbox(rdb, log) // as the service's New and Start do
	a := app.New(storage.New(rdb, outbox), log, now, app.Options{}, nil)
	pb.RegisterGovernanceServiceServer(srv.GRPC, api.New(a))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go outbox.Run(ctx)
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(done) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); cancel(); <-done })
	return env{GovernanceServiceClient: pb.NewGovernanceServiceClient(conn), logs: logs, rdb: rdb, app: a}
}

var bg = context.Background()

// tree is a district with two sub-districts; the first has communities A and B, the
// second community C.
type tree struct {
	district, subA, subB         *pb.Region
	communityA, communityB, comC *pb.Region
}

func (e env) region(t *testing.T, name string, level pb.Region_Level, parent string) *pb.Region {
	t.Helper()
	return testkit.Must[*pb.Region](t)(e.CreateRegion(bg, &pb.CreateRegionRequest{Region: &pb.Region{Name: name, Level: level, Parent: parent}}))
}

func (e env) tree(t *testing.T) tree {
	t.Helper()
	var tr tree
	tr.district = e.region(t, "东川区", pb.Region_DISTRICT, "")
	tr.subA = e.region(t, "东门街道", pb.Region_SUBDISTRICT, tr.district.Id)
	tr.subB = e.region(t, "西门街道", pb.Region_SUBDISTRICT, tr.district.Id)
	tr.communityA = e.region(t, "幸福社区", pb.Region_COMMUNITY, tr.subA.Id)
	tr.communityB = e.region(t, "和平社区", pb.Region_COMMUNITY, tr.subA.Id)
	tr.comC = e.region(t, "光明社区", pb.Region_COMMUNITY, tr.subB.Id)
	return tr
}

func (e env) compound(t *testing.T, name, community string) *pb.Compound {
	t.Helper()
	return testkit.Must[*pb.Compound](t)(e.CreateCompound(bg, &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: name, CommunityId: community, BuildYear: 1988}}))
}

func (e env) building(t *testing.T, cid, name string, units int32) *pb.Building {
	t.Helper()
	return testkit.Must[*pb.Building](t)(e.CreateBuilding(bg, &pb.CreateBuildingRequest{CompoundId: cid, Building: &pb.Building{Name: name, UnitCount: units}}))
}

// dwellings makes n households of building bid spread over six units, with areas of
// 45.00 to 120.99 m² in hundredths that binary floats cannot hold exactly. It returns
// them and their total area in hundredths.
func dwellings(bid string, n int) ([]*pb.Household, int64) {
	out := make([]*pb.Household, n)
	var total int64
	for i := range out {
		hundredths := int64(4500 + (i*7919)%7600)
		total += hundredths
		out[i] = &pb.Household{
			BuildingId: bid, Unit: fmt.Sprint(1 + i%6), Room: fmt.Sprintf("%d%02d", 1+i/60, i%60),
			ExclusiveAreaM2: float64(hundredths) / 100, ResidentName: "王五", Phone: "13900001111",
		}
	}
	return out, total
}

func (e env) listAll(t *testing.T, req *pb.ListHouseholdsRequest) (ids []string, sizes []int) {
	t.Helper()
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		resp := testkit.Must[*pb.ListHouseholdsResponse](t)(e.ListHouseholds(bg, req))
		sizes = append(sizes, len(resp.Households))
		for _, h := range resp.Households {
			ids = append(ids, h.Id)
		}
		if resp.NextPageToken == "" {
			return ids, sizes
		}
		req = proto.Clone(req).(*pb.ListHouseholdsRequest)
		req.PageToken = resp.NextPageToken
	}
}

func (e env) listCompounds(t *testing.T, req *pb.ListCompoundsRequest) []string {
	t.Helper()
	var out []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		resp := testkit.Must[*pb.ListCompoundsResponse](t)(e.ListCompounds(bg, req))
		for _, c := range resp.Compounds {
			out = append(out, c.Id)
		}
		if resp.NextPageToken == "" {
			return out
		}
		req = proto.Clone(req).(*pb.ListCompoundsRequest)
		req.PageToken = resp.NextPageToken
	}
}

func TestRegionHierarchy(t *testing.T) {
	e := start(t)
	tr := e.tree(t)

	t.Run("a region reads back as created", func(t *testing.T) {
		got := testkit.Must[*pb.Region](t)(e.GetRegion(bg, &pb.GetRegionRequest{Id: tr.communityA.Id}))
		if got.Name != "幸福社区" || got.Level != pb.Region_COMMUNITY || got.Parent != tr.subA.Id || got.CreateTime == nil {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("a region lists its children", func(t *testing.T) {
		resp := testkit.Must[*pb.ListRegionsResponse](t)(e.ListRegions(bg, &pb.ListRegionsRequest{Parent: tr.subA.Id}))
		if len(resp.Regions) != 2 || resp.Regions[0].Id != tr.communityA.Id || resp.Regions[1].Id != tr.communityB.Id {
			t.Fatalf("children of %s: %v", tr.subA.Name, resp.Regions)
		}
	})
	t.Run("no parent lists the districts", func(t *testing.T) {
		resp := testkit.Must[*pb.ListRegionsResponse](t)(e.ListRegions(bg, &pb.ListRegionsRequest{}))
		if len(resp.Regions) != 1 || resp.Regions[0].Id != tr.district.Id {
			t.Fatalf("districts: %v", resp.Regions)
		}
	})
	t.Run("children page", func(t *testing.T) {
		resp := testkit.Must[*pb.ListRegionsResponse](t)(e.ListRegions(bg, &pb.ListRegionsRequest{Parent: tr.district.Id, PageSize: 1}))
		if len(resp.Regions) != 1 || resp.NextPageToken == "" {
			t.Fatalf("first page: %v", resp)
		}
		resp = testkit.Must[*pb.ListRegionsResponse](t)(e.ListRegions(bg, &pb.ListRegionsRequest{Parent: tr.district.Id, PageSize: 1, PageToken: resp.NextPageToken}))
		if len(resp.Regions) != 1 || resp.Regions[0].Id != tr.subB.Id || resp.NextPageToken != "" {
			t.Fatalf("second page: %v", resp)
		}
	})
	t.Run("a community directly under a district is refused", func(t *testing.T) {
		_, err := e.CreateRegion(bg, &pb.CreateRegionRequest{Region: &pb.Region{Name: "x", Level: pb.Region_COMMUNITY, Parent: tr.district.Id}})
		testkit.WantViolation(t, err, "region.parent")
	})
	t.Run("a sub-district needs a parent", func(t *testing.T) {
		_, err := e.CreateRegion(bg, &pb.CreateRegionRequest{Region: &pb.Region{Name: "x", Level: pb.Region_SUBDISTRICT}})
		testkit.WantViolation(t, err, "region.parent")
	})
	t.Run("a district has no parent", func(t *testing.T) {
		_, err := e.CreateRegion(bg, &pb.CreateRegionRequest{Region: &pb.Region{Name: "x", Level: pb.Region_DISTRICT, Parent: tr.district.Id}})
		testkit.WantViolation(t, err, "region.parent")
	})
	t.Run("an unknown parent is refused", func(t *testing.T) {
		_, err := e.CreateRegion(bg, &pb.CreateRegionRequest{Region: &pb.Region{Name: "x", Level: pb.Region_COMMUNITY, Parent: "nope"}})
		testkit.WantViolation(t, err, "region.parent")
	})
	t.Run("a level is required", func(t *testing.T) {
		_, err := e.CreateRegion(bg, &pb.CreateRegionRequest{Region: &pb.Region{Name: "x"}})
		testkit.WantViolation(t, err, "region.level")
	})
	t.Run("refused regions are not stored", func(t *testing.T) {
		resp := testkit.Must[*pb.ListRegionsResponse](t)(e.ListRegions(bg, &pb.ListRegionsRequest{Parent: tr.district.Id}))
		if len(resp.Regions) != 2 {
			t.Fatalf("the district has %d children, want 2", len(resp.Regions))
		}
	})
	t.Run("an unknown region is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetRegion(bg, &pb.GetRegionRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("the same request id creates one region", func(t *testing.T) {
		req := &pb.CreateRegionRequest{Region: &pb.Region{Name: "北湖区", Level: pb.Region_DISTRICT}, RequestId: "region-1"}
		a := testkit.Must[*pb.Region](t)(e.CreateRegion(bg, req))
		b := testkit.Must[*pb.Region](t)(e.CreateRegion(bg, req))
		if a.Id != b.Id || !proto.Equal(a, b) {
			t.Fatalf("a replay answered %v, first %v", b, a)
		}
		resp := testkit.Must[*pb.ListRegionsResponse](t)(e.ListRegions(bg, &pb.ListRegionsRequest{}))
		if len(resp.Regions) != 2 {
			t.Fatalf("%d districts, want 2", len(resp.Regions))
		}
	})
}

func TestCreateCompound(t *testing.T) {
	e := start(t)
	tr := e.tree(t)

	t.Run("a compound shows its region path, INVENTORIED and etag", func(t *testing.T) {
		c := testkit.Must[*pb.Compound](t)(e.CreateCompound(bg, &pb.CreateCompoundRequest{Compound: &pb.Compound{
			Name: "幸福里", Address: "东川路 1 号", CommunityId: tr.communityA.Id, BuildYear: 1988, HeritageNotes: "保留瓷砖墙",
			Facilities: []*pb.Facility{{Kind: pb.Facility_DRAINS, Condition: pb.Facility_POOR, Notes: "雨污混流"}},
		}}))
		if c.Id == "" || c.Status != pb.Compound_INVENTORIED || c.Etag == "" || c.HouseholdCount != 0 || c.TotalExclusiveAreaM2 != 0 {
			t.Fatalf("got %v", c)
		}
		if want := []string{tr.district.Id, tr.subA.Id, tr.communityA.Id}; fmt.Sprint(c.RegionPath) != fmt.Sprint(want) {
			t.Fatalf("region path %v, want %v", c.RegionPath, want)
		}
		got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id}))
		if !proto.Equal(got, c) {
			t.Fatalf("GetCompound = %v\nCreateCompound = %v", got, c)
		}
	})
	t.Run("refusals store nothing", func(t *testing.T) {
		e := start(t)
		tr := e.tree(t)
		tests := []struct {
			name  string
			c     *pb.Compound
			field string
		}{
			{"an unknown community", &pb.Compound{Name: "x", CommunityId: "nope"}, "compound.communityId"},
			{"a sub-district is not a community", &pb.Compound{Name: "x", CommunityId: tr.subA.Id}, "compound.communityId"},
			{"build year 3000", &pb.Compound{Name: "x", CommunityId: tr.communityA.Id, BuildYear: 3000}, "compound.buildYear"},
			{"build year 1800", &pb.Compound{Name: "x", CommunityId: tr.communityA.Id, BuildYear: 1800}, "compound.buildYear"},
			{"a facility assessed twice", &pb.Compound{Name: "x", CommunityId: tr.communityA.Id, Facilities: []*pb.Facility{
				{Kind: pb.Facility_ROADS, Condition: pb.Facility_GOOD}, {Kind: pb.Facility_ROADS, Condition: pb.Facility_POOR},
			}}, "compound.facilities[1].kind"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.CreateCompound(bg, &pb.CreateCompoundRequest{Compound: tt.c})
				testkit.WantViolation(t, err, tt.field)
			})
		}
		t.Run("a name is required", func(t *testing.T) {
			_, err := e.CreateCompound(bg, &pb.CreateCompoundRequest{Compound: &pb.Compound{CommunityId: tr.communityA.Id}})
			testkit.WantStatus(t, err, codes.InvalidArgument)
		})
		t.Run("rule 1: a management type that contradicts the facts", func(t *testing.T) {
			_, err := e.CreateCompound(bg, &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: "x", CommunityId: tr.communityA.Id, ManagementType: pb.Compound_PROFESSIONAL_PM}})
			testkit.WantReason(t, err, codes.FailedPrecondition, "CLASSIFICATION_INCONSISTENT")
		})
		if got := e.listCompounds(t, &pb.ListCompoundsRequest{}); len(got) != 0 {
			t.Fatalf("refused compounds were stored: %v", got)
		}
	})
	t.Run("an unknown compound is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetCompound(bg, &pb.GetCompoundRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("idempotency: the same request id and body create one compound", func(t *testing.T) {
		e := start(t)
		tr := e.tree(t)
		req := &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: "锦苑", CommunityId: tr.communityA.Id}, RequestId: "compound-1"}
		a := testkit.Must[*pb.Compound](t)(e.CreateCompound(bg, req))
		b := testkit.Must[*pb.Compound](t)(e.CreateCompound(bg, req))
		if a.Id != b.Id || !proto.Equal(a, b) {
			t.Fatalf("replay %v, first %v", b, a)
		}
		if got := e.listCompounds(t, &pb.ListCompoundsRequest{}); len(got) != 1 {
			t.Fatalf("%d compounds, want 1", len(got))
		}
		other := proto.Clone(req).(*pb.CreateCompoundRequest)
		other.Compound.Name = "别的小区"
		_, err := e.CreateCompound(bg, other)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	})
}

func TestBatchCreateHouseholds(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	b := e.building(t, c.Id, "1栋", 6)
	hs, total := dwellings(b.Id, 1000)

	resp := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs}))
	if len(resp.Households) != 1000 {
		t.Fatalf("created %d households, want 1000", len(resp.Households))
	}
	created := map[string]bool{}
	for i, h := range resp.Households {
		if h.Id == "" || created[h.Id] || h.Room != hs[i].Room || h.CompoundId != c.Id {
			t.Fatalf("household %d: %v", i, h)
		}
		created[h.Id] = true
	}

	t.Run("1,000 households page back as 400, 400, 200 with none missing or twice", func(t *testing.T) {
		ids, sizes := e.listAll(t, &pb.ListHouseholdsRequest{CompoundId: c.Id, PageSize: 400})
		if fmt.Sprint(sizes) != "[400 400 200]" {
			t.Fatalf("page sizes %v", sizes)
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] || !created[id] {
				t.Fatalf("household %s listed twice or never created", id)
			}
			seen[id] = true
		}
		if len(seen) != 1000 {
			t.Fatalf("listed %d distinct households", len(seen))
		}
	})
	t.Run("the compound counts 1,000 households and their exact total area", func(t *testing.T) {
		got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id}))
		if got.HouseholdCount != 1000 {
			t.Fatalf("household count %d", got.HouseholdCount)
		}
		if want := float64(total) / 100; got.TotalExclusiveAreaM2 != want {
			t.Fatalf("total exclusive area %v m², want %v", got.TotalExclusiveAreaM2, want)
		}
		if got.BuildingCount != 1 {
			t.Fatalf("building count %d", got.BuildingCount)
		}
		bld := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: b.Id}))
		if bld.HouseholdCount != 1000 {
			t.Fatalf("the building counts %d households", bld.HouseholdCount)
		}
	})
	t.Run("a batch of 1,001 is refused by validation", func(t *testing.T) {
		big, _ := dwellings(b.Id, 1001)
		for _, h := range big {
			h.Room = "x" + h.Room // fresh dwellings, so only the size is wrong
		}
		_, err := e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: big})
		testkit.WantViolation(t, err, "households")
	})
	t.Run("an empty batch is refused by validation", func(t *testing.T) {
		_, err := e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id})
		testkit.WantViolation(t, err, "households")
	})
	t.Run("a registered dwelling refuses the whole batch", func(t *testing.T) {
		batch, _ := dwellings(b.Id, 5)
		for _, h := range batch {
			h.Room = "new-" + h.Room
		}
		batch[3].Unit, batch[3].Room = hs[10].Unit, hs[10].Room
		_, err := e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: batch})
		testkit.WantStatus(t, err, codes.AlreadyExists)
		if got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id})); got.HouseholdCount != 1000 {
			t.Fatalf("household count %d after a refused batch", got.HouseholdCount)
		}
	})
	t.Run("the compound's households list in registration order", func(t *testing.T) {
		ids, _ := e.listAll(t, &pb.ListHouseholdsRequest{CompoundId: c.Id, PageSize: 1000})
		for i, h := range resp.Households {
			if ids[i] != h.Id {
				t.Fatalf("listed position %d is %s, created %s", i, ids[i], h.Id)
			}
		}
	})
}

func TestBatchCreateHouseholdsRefusalsStoreNothing(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	b := e.building(t, c.Id, "1栋", 6)

	tests := []struct {
		name  string
		edit  func(hs []*pb.Household)
		field string
	}{
		{"a duplicate room within the batch", func(hs []*pb.Household) { hs[7].Unit, hs[7].Room = hs[2].Unit, hs[2].Room }, "households[7].room"},
		{"a negative area", func(hs []*pb.Household) { hs[4].ExclusiveAreaM2 = -12.5 }, "households[4].exclusiveAreaM2"},
		{"an area that rounds to zero hundredths", func(hs []*pb.Household) { hs[4].ExclusiveAreaM2 = 0.001 }, "households[4].exclusiveAreaM2"},
		{"a building not in the compound", func(hs []*pb.Household) { hs[5].BuildingId = "nope" }, "households[5].buildingId"},
		{"a unit beyond the building's six", func(hs []*pb.Household) { hs[6].Unit = "7" }, "households[6].unit"},
		{"a phone with letters", func(hs []*pb.Household) { hs[1].Phone = "138-CALL-ME" }, "households[1].phone"},
		{"a missing room", func(hs []*pb.Household) { hs[0].Room = "" }, "households[0].room"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, _ := dwellings(b.Id, 10)
			tt.edit(hs)
			_, err := e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs})
			testkit.WantViolation(t, err, tt.field)
		})
	}
	got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id}))
	if got.HouseholdCount != 0 || got.TotalExclusiveAreaM2 != 0 {
		t.Fatalf("after refused batches: %d households, %v m²", got.HouseholdCount, got.TotalExclusiveAreaM2)
	}
	if ids, _ := e.listAll(t, &pb.ListHouseholdsRequest{CompoundId: c.Id}); len(ids) != 0 {
		t.Fatalf("refused batches stored %d households", len(ids))
	}

	t.Run("households of an unknown compound are NOT_FOUND", func(t *testing.T) {
		hs, _ := dwellings(b.Id, 1)
		_, err := e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: "nope", Households: hs})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("a single household's violation has no index", func(t *testing.T) {
		hs, _ := dwellings("nope", 1)
		_, err := e.CreateHousehold(bg, &pb.CreateHouseholdRequest{CompoundId: c.Id, Household: hs[0]})
		testkit.WantViolation(t, err, "household.buildingId")
	})
}

func TestBatchCreateHouseholdsIsIdempotent(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	b := e.building(t, c.Id, "1栋", 6)
	hs, total := dwellings(b.Id, 20)
	req := &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: hs, RequestId: "batch-1"}

	first := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, req))
	t.Run("the same request id and body answer with the same households", func(t *testing.T) {
		again := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, req))
		if !proto.Equal(first, again) {
			t.Fatalf("a replay answered differently")
		}
		got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id}))
		if got.HouseholdCount != 20 || got.TotalExclusiveAreaM2 != float64(total)/100 {
			t.Fatalf("after a replay: %d households, %v m²", got.HouseholdCount, got.TotalExclusiveAreaM2)
		}
	})
	t.Run("the same request id with another body is REQUEST_ID_REUSED", func(t *testing.T) {
		other := proto.Clone(req).(*pb.BatchCreateHouseholdsRequest)
		for _, h := range other.Households {
			h.Room = "other-" + h.Room
		}
		_, err := e.BatchCreateHouseholds(bg, other)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
		if got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id})); got.HouseholdCount != 20 {
			t.Fatalf("%d households after a reused request id", got.HouseholdCount)
		}
	})
	t.Run("the same body under a new request id is a new request, refused as registered", func(t *testing.T) {
		fresh := proto.Clone(req).(*pb.BatchCreateHouseholdsRequest)
		fresh.RequestId = "batch-2"
		_, err := e.BatchCreateHouseholds(bg, fresh)
		testkit.WantReason(t, err, codes.AlreadyExists, "ALREADY_EXISTS")
	})
	t.Run("a single household replays too", func(t *testing.T) {
		one, _ := dwellings(b.Id, 1)
		one[0].Room = "single"
		r := &pb.CreateHouseholdRequest{CompoundId: c.Id, Household: one[0], RequestId: "one-1"}
		a := testkit.Must[*pb.Household](t)(e.CreateHousehold(bg, r))
		a2 := testkit.Must[*pb.Household](t)(e.CreateHousehold(bg, r))
		if a.Id != a2.Id {
			t.Fatalf("replay made %s, first %s", a2.Id, a.Id)
		}
	})
}

func TestUpdateCompound(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)

	updated := testkit.Must[*pb.Compound](t)(e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
		Compound:   &pb.Compound{Id: c.Id, Etag: c.Etag, Name: "幸福里小区", HeritageNotes: "保留青砖", Address: "ignored"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "heritage_notes"}},
	}))
	if updated.Name != "幸福里小区" || updated.HeritageNotes != "保留青砖" || updated.Address != c.Address || updated.Etag == c.Etag {
		t.Fatalf("after update: %v", updated)
	}

	t.Run("a stale etag is ABORTED with ETAG_MISMATCH and changes nothing", func(t *testing.T) {
		_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
			Compound:   &pb.Compound{Id: c.Id, Etag: c.Etag, Name: "过时的修改"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
		})
		testkit.WantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
		if got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id})); got.Name != "幸福里小区" || got.Etag != updated.Etag {
			t.Fatalf("after a stale update: %v", got)
		}
	})
	t.Run("without an etag the update applies to the latest version", func(t *testing.T) {
		got := testkit.Must[*pb.Compound](t)(e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
			Compound:   &pb.Compound{Id: c.Id, Address: "东大街1号"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address", "id", "etag"}},
		}))
		if got.Address != "东大街1号" || got.Name != "幸福里小区" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("the name cannot be emptied", func(t *testing.T) {
		_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
		testkit.WantViolation(t, err, "compound.name")
	})
	t.Run("rule 1: managementType goes through :classify", func(t *testing.T) {
		_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
			Compound:   &pb.Compound{Id: c.Id, ManagementType: pb.Compound_THREE_NONE},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"management_type"}},
		})
		testkit.WantViolation(t, err, "updateMask")
	})
	t.Run("an empty mask is refused", func(t *testing.T) {
		_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: c.Id, Name: "x"}})
		testkit.WantViolation(t, err, "updateMask")
	})
	t.Run("build year 3000 is refused", func(t *testing.T) {
		_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
			Compound:   &pb.Compound{Id: c.Id, BuildYear: 3000},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"build_year"}},
		})
		testkit.WantViolation(t, err, "compound.buildYear")
	})
	t.Run("an unknown compound is NOT_FOUND", func(t *testing.T) {
		_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{Compound: &pb.Compound{Id: "nope", Name: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

func TestClassifyCompound(t *testing.T) {
	e := start(t)
	tr := e.tree(t)

	t.Run("rule 1: no PM, owning unit or committee derives THREE_NONE and records who decided", func(t *testing.T) {
		c := e.compound(t, "幸福里", tr.communityA.Id)
		got := testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_SELF_GOVERNANCE, DecidedBy: "幸福社区党委"}))
		if got.ManagementType != pb.Compound_THREE_NONE || got.GovernanceMode != pb.Compound_SELF_GOVERNANCE {
			t.Fatalf("classified %s / %s", got.ManagementType, got.GovernanceMode)
		}
		cl := got.Classification
		if cl == nil || cl.ManagementType != pb.Compound_THREE_NONE || cl.GovernanceMode != pb.Compound_SELF_GOVERNANCE || cl.DecidedBy != "幸福社区党委" || cl.DecideTime == nil {
			t.Fatalf("classification %v", cl)
		}

		t.Run("then a property manager patched in contradicts it", func(t *testing.T) {
			_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
				Compound:   &pb.Compound{Id: c.Id, PropertyManager: "锦江物业"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"property_manager"}},
			})
			testkit.WantReason(t, err, codes.FailedPrecondition, "CLASSIFICATION_INCONSISTENT")
		})
	})
	t.Run("rule 1: PROFESSIONAL_PM for a three-none compound is CLASSIFICATION_INCONSISTENT", func(t *testing.T) {
		c := e.compound(t, "红星院坝", tr.communityA.Id)
		_, err := e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, ManagementType: pb.Compound_PROFESSIONAL_PM, GovernanceMode: pb.Compound_INTRODUCE_PM, DecidedBy: "社区党委"})
		testkit.WantReason(t, err, codes.FailedPrecondition, "CLASSIFICATION_INCONSISTENT")
		got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id}))
		if got.ManagementType != pb.Compound_MANAGEMENT_TYPE_UNSPECIFIED || got.Classification != nil || got.Etag != c.Etag {
			t.Fatalf("a refused classification changed the compound: %v", got)
		}
	})
	t.Run("a compound with a property manager derives PROFESSIONAL_PM", func(t *testing.T) {
		c := testkit.Must[*pb.Compound](t)(e.CreateCompound(bg, &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: "锦苑", CommunityId: tr.communityA.Id, PropertyManager: "锦江物业"}}))
		got := testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_INTRODUCE_PM, DecidedBy: "五方联动会议"}))
		if got.ManagementType != pb.Compound_PROFESSIONAL_PM {
			t.Fatalf("classified %s", got.ManagementType)
		}
	})
	t.Run("rule 1: the governance mode and who decided are required", func(t *testing.T) {
		c := e.compound(t, "x", tr.communityA.Id)
		_, err := e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, DecidedBy: "社区党委"})
		testkit.WantViolation(t, err, "governanceMode")
		_, err = e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_SELF_GOVERNANCE})
		testkit.WantViolation(t, err, "decidedBy")
	})
	t.Run("an unknown compound is NOT_FOUND", func(t *testing.T) {
		_, err := e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: "nope", GovernanceMode: pb.Compound_SELF_GOVERNANCE, DecidedBy: "x"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

func TestHouseholdPersonalDataIsMasked(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	b := e.building(t, c.Id, "1栋", 6)
	in := []*pb.Household{
		{BuildingId: b.Id, Unit: "1", Room: "101", ExclusiveAreaM2: 76.53, ResidentName: "张三", Phone: "13812345678", IdNumber: "110101199003071234", PartyMember: true},
		{BuildingId: b.Id, Unit: "1", Room: "102", ExclusiveAreaM2: 80, ResidentName: "欧阳娜娜", Phone: "13987654321"},
	}
	created := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: in}))

	check := func(t *testing.T, where string, hs ...*pb.Household) {
		t.Helper()
		want := map[string][3]string{
			"101": {"张*", "138****5678", "1****************4"},
			"102": {"欧***", "139****4321", ""},
		}
		for _, h := range hs {
			w := want[h.Room]
			if h.ResidentName != w[0] || h.Phone != w[1] || h.IdNumber != w[2] {
				t.Fatalf("%s shows room %s as %q %q %q, want %q", where, h.Room, h.ResidentName, h.Phone, h.IdNumber, w)
			}
		}
	}
	t.Run("rule 13: the batch response is masked", func(t *testing.T) { check(t, "BatchCreateHouseholds", created.Households...) })
	t.Run("rule 13: GetHousehold is masked", func(t *testing.T) {
		h := testkit.Must[*pb.Household](t)(e.GetHousehold(bg, &pb.GetHouseholdRequest{Id: created.Households[0].Id}))
		check(t, "GetHousehold", h)
		if h.ExclusiveAreaM2 != 76.53 || !h.PartyMember || h.BuildingId != b.Id || h.CompoundId != c.Id {
			t.Fatalf("GetHousehold = %v", h)
		}
	})
	t.Run("rule 13: ListHouseholds is masked", func(t *testing.T) {
		resp := testkit.Must[*pb.ListHouseholdsResponse](t)(e.ListHouseholds(bg, &pb.ListHouseholdsRequest{CompoundId: c.Id}))
		check(t, "ListHouseholds", resp.Households...)
	})
	t.Run("rule 13: BatchGetHouseholds is masked and keeps the order asked", func(t *testing.T) {
		resp := testkit.Must[*pb.BatchGetHouseholdsResponse](t)(e.BatchGetHouseholds(bg, &pb.BatchGetHouseholdsRequest{Ids: []string{created.Households[1].Id, created.Households[0].Id}}))
		if len(resp.Households) != 2 || resp.Households[0].Room != "102" || resp.Households[1].Room != "101" {
			t.Fatalf("BatchGetHouseholds = %v", resp.Households)
		}
		check(t, "BatchGetHouseholds", resp.Households...)
	})
	t.Run("BatchGetHouseholds of an unknown id is NOT_FOUND", func(t *testing.T) {
		_, err := e.BatchGetHouseholds(bg, &pb.BatchGetHouseholdsRequest{Ids: []string{created.Households[0].Id, "nope"}})
		st := testkit.WantStatus(t, err, codes.NotFound)
		if !bytes.Contains([]byte(st.Message()), []byte("nope")) {
			t.Fatalf("NOT_FOUND does not name the household: %s", st.Message())
		}
	})
	t.Run("an unknown household is NOT_FOUND", func(t *testing.T) {
		_, err := e.GetHousehold(bg, &pb.GetHouseholdRequest{Id: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("rule 13: a refused request does not echo personal data", func(t *testing.T) {
		dup := []*pb.Household{{BuildingId: b.Id, Unit: "1", Room: "101", ExclusiveAreaM2: 50, ResidentName: "李四光", Phone: "13700001234", IdNumber: "110101199003075678"}}
		_, err := e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: dup})
		testkit.WantStatus(t, err, codes.AlreadyExists)
		text := fmt.Sprint(status.Convert(err).Proto())
		for _, secret := range []string{"李四光", "13700001234", "110101199003075678"} {
			if bytes.Contains([]byte(text), []byte(secret)) {
				t.Fatalf("the error carries %q: %s", secret, text)
			}
		}
		bad := []*pb.Household{{BuildingId: b.Id, Unit: "1", Room: "909", ExclusiveAreaM2: 50, ResidentName: "李四光", Phone: "137ABC01234"}}
		_, err = e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: bad})
		testkit.WantViolation(t, err, "households[0].phone")
		if text := fmt.Sprint(status.Convert(err).Proto()); bytes.Contains([]byte(text), []byte("137ABC01234")) || bytes.Contains([]byte(text), []byte("李四光")) {
			t.Fatalf("the validation error echoes personal data: %s", text)
		}
	})
	t.Run("rule 13: personal data never reaches the log", func(t *testing.T) {
		logs := e.logs.String()
		for _, secret := range []string{"张三", "欧阳娜娜", "13812345678", "13987654321", "110101199003071234", "李四光", "13700001234"} {
			if bytes.Contains([]byte(logs), []byte(secret)) {
				t.Fatalf("the log carries %q", secret)
			}
		}
	})
}

func TestListCompoundsByRegionAndFilters(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	inA := []*pb.Compound{e.compound(t, "A1", tr.communityA.Id), e.compound(t, "A2", tr.communityA.Id), e.compound(t, "A3", tr.communityA.Id)}
	inB := []*pb.Compound{e.compound(t, "B1", tr.communityB.Id), e.compound(t, "B2", tr.communityB.Id)}
	inC := []*pb.Compound{e.compound(t, "C1", tr.comC.Id)}
	ids := func(cs ...[]*pb.Compound) []string {
		var out []string
		for _, group := range cs {
			for _, c := range group {
				out = append(out, c.Id)
			}
		}
		return out
	}
	same := func(t *testing.T, got, want []string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	}

	t.Run("the district sees the compounds of all its communities", func(t *testing.T) {
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.district.Id, PageSize: 2}), ids(inA, inB, inC))
	})
	t.Run("a sub-district sees its communities' compounds", func(t *testing.T) {
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.subA.Id}), ids(inA, inB))
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.subB.Id}), ids(inC))
	})
	t.Run("a community sees its own compounds, not its sibling's", func(t *testing.T) {
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.communityA.Id}), ids(inA))
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.communityB.Id}), ids(inB))
	})
	t.Run("no region lists every compound", func(t *testing.T) {
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{PageSize: 4}), ids(inA, inB, inC))
	})
	t.Run("an unknown region is NOT_FOUND", func(t *testing.T) {
		_, err := e.ListCompounds(bg, &pb.ListCompoundsRequest{RegionId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})

	// A1 and B2 become THREE_NONE; A3 and B2 become SURVEYED.
	for _, c := range []*pb.Compound{inA[0], inB[1]} {
		testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_SELF_GOVERNANCE, DecidedBy: "社区党委"}))
	}
	for _, c := range []*pb.Compound{inA[2], inB[1]} {
		// The status is derived only: a needs survey opening makes the compound SURVEYING.
		if err := e.app.FollowCompoundEvent(bg, "1-0", map[string]string{"compound": c.Id, "fact": "NEEDS_SURVEY_OPENED"}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("managementType filter", func(t *testing.T) {
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{ManagementType: pb.Compound_THREE_NONE, PageSize: 1}), []string{inA[0].Id, inB[1].Id})
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.communityB.Id, ManagementType: pb.Compound_THREE_NONE}), []string{inB[1].Id})
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{ManagementType: pb.Compound_PROFESSIONAL_PM}), nil)
	})
	t.Run("status filter", func(t *testing.T) {
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{Status: pb.Compound_SURVEYING, PageSize: 1}), []string{inA[2].Id, inB[1].Id})
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.subA.Id, Status: pb.Compound_INVENTORIED}), []string{inA[0].Id, inA[1].Id, inB[0].Id})
	})
	t.Run("both filters together", func(t *testing.T) {
		same(t, e.listCompounds(t, &pb.ListCompoundsRequest{RegionId: tr.district.Id, ManagementType: pb.Compound_THREE_NONE, Status: pb.Compound_SURVEYING}), []string{inB[1].Id})
	})
	t.Run("a page size over 1,000 is refused", func(t *testing.T) {
		_, err := e.ListCompounds(bg, &pb.ListCompoundsRequest{PageSize: 1001})
		testkit.WantViolation(t, err, "pageSize")
	})
	t.Run("a forged page token is INVALID_ARGUMENT", func(t *testing.T) {
		_, err := e.ListCompounds(bg, &pb.ListCompoundsRequest{PageToken: "!!"})
		testkit.WantViolation(t, err, "pageToken")
	})
}

func TestBuildings(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	b1 := e.building(t, c.Id, "1栋", 6)
	b2 := e.building(t, c.Id, "2栋", 2)

	resp := testkit.Must[*pb.ListBuildingsResponse](t)(e.ListBuildings(bg, &pb.ListBuildingsRequest{CompoundId: c.Id}))
	if len(resp.Buildings) != 2 || resp.Buildings[0].Id != b1.Id || resp.Buildings[1].Id != b2.Id {
		t.Fatalf("buildings %v", resp.Buildings)
	}
	if got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id})); got.BuildingCount != 2 {
		t.Fatalf("building count %d", got.BuildingCount)
	}
	t.Run("a building name is unique in its compound", func(t *testing.T) {
		_, err := e.CreateBuilding(bg, &pb.CreateBuildingRequest{CompoundId: c.Id, Building: &pb.Building{Name: "1栋", UnitCount: 3}})
		testkit.WantReason(t, err, codes.AlreadyExists, "ALREADY_EXISTS")
	})
	t.Run("a building of an unknown compound is NOT_FOUND", func(t *testing.T) {
		_, err := e.CreateBuilding(bg, &pb.CreateBuildingRequest{CompoundId: "nope", Building: &pb.Building{Name: "x", UnitCount: 1}})
		testkit.WantStatus(t, err, codes.NotFound)
	})
	t.Run("households list by building", func(t *testing.T) {
		h1, _ := dwellings(b1.Id, 5)
		h2, _ := dwellings(b2.Id, 3)
		for _, h := range h2 {
			h.Unit = "2"
		}
		testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(e.BatchCreateHouseholds(bg, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: append(h1, h2...)}))
		ids, _ := e.listAll(t, &pb.ListHouseholdsRequest{CompoundId: c.Id, BuildingId: b2.Id, PageSize: 2})
		if len(ids) != 3 {
			t.Fatalf("building 2 lists %d households, want 3", len(ids))
		}
		if got := testkit.Must[*pb.Building](t)(e.GetBuilding(bg, &pb.GetBuildingRequest{Id: b1.Id})); got.HouseholdCount != 5 {
			t.Fatalf("building 1 counts %d", got.HouseholdCount)
		}
	})
}

// Of several edits made on the same version, exactly one wins; the others are ABORTED
// with ETAG_MISMATCH, never silently lost.
func TestConcurrentUpdatesOnOneEtagLetExactlyOneWin(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
				Compound:   &pb.Compound{Id: c.Id, Etag: c.Etag, HeritageNotes: fmt.Sprintf("edit %d", i)},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"heritage_notes"}},
			})
		}(i)
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			if won >= 0 {
				t.Fatalf("edits %d and %d both won on etag %s", won, i, c.Etag)
			}
			won = i
			continue
		}
		testkit.WantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
	}
	if won < 0 {
		t.Fatal("no edit won")
	}
	if got := testkit.Must[*pb.Compound](t)(e.GetCompound(bg, &pb.GetCompoundRequest{Id: c.Id})); got.HeritageNotes != fmt.Sprintf("edit %d", won) {
		t.Fatalf("stored %q, the winner was edit %d", got.HeritageNotes, won)
	}
}

// Rule 1 and DOMAIN's glossary: after classification the compound decides INTRODUCE_PM
// (引入物业), so a THREE_NONE compound must be able to record the property manager it
// brings in and become PROFESSIONAL_PM. Patching the manager alone contradicts THREE_NONE,
// and classifying PROFESSIONAL_PM alone contradicts the facts; some order of the two
// (or the two together) has to succeed.
func TestAThreeNoneCompoundCanRecordThePropertyManagerItIntroduces(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_INTRODUCE_PM, DecidedBy: "五方联动会议"}))

	// Rule 1 still holds for an edit alone: a manager contradicts THREE_NONE.
	_, err := e.UpdateCompound(bg, &pb.UpdateCompoundRequest{
		Compound:   &pb.Compound{Id: c.Id, PropertyManager: "锦江物业"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"property_manager"}},
	})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("patching a manager into a THREE_NONE compound: %v", err)
	}
	// The decision that brings the manager in states it, and the type follows.
	pm := "锦江物业"
	got := testkit.Must[*pb.Compound](t)(e.ClassifyCompound(bg, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_INTRODUCE_PM, DecidedBy: "五方联动会议", PropertyManager: &pm}))
	if got.PropertyManager != "锦江物业" || got.ManagementType != pb.Compound_PROFESSIONAL_PM || got.Classification.GetDecidedBy() != "五方联动会议" {
		t.Fatalf("after introducing a PM: %q, %s", got.PropertyManager, got.ManagementType)
	}
}
