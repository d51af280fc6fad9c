package api_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"tongdu/platform/auth"
	"tongdu/platform/events"
	"tongdu/platform/grpcserver"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/governance"
	"tongdu/services/governance/internal/api"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

// signedEnv is the governance API behind the authorizer with the service's policy, so
// every call has a signed-in caller whose token subject the service can record (rule 16:
// who acts); serveSignedWithSurvey gives it the real survey service for adopting
// conventions.
type signedEnv struct {
	pb.GovernanceServiceClient
	app    *app.App
	signer *auth.Signer
}

func serveSigned(t *testing.T) signedEnv {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb := testkit.Redis(t)
	signer, keys, err := auth.LocalKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := grpcserver.New(log, grpcserver.WithAuth(auth.NewAuthorizer(auth.NewVerifier(keys, ""), auth.NewResolver(), auth.Merge(governance.Policy))))
	if err != nil {
		t.Fatal(err)
	}
	outbox := events.NewOutbox(rdb, log)
	a := app.New(storage.New(rdb, outbox), log, time.Now, app.Options{}, nil)
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
	return signedEnv{GovernanceServiceClient: pb.NewGovernanceServiceClient(conn), app: a, signer: signer}
}

// as is a context signed in as the district administrator account subject ("accounts/ID"),
// whom the policy lets make every change here.
func (s signedEnv) as(t *testing.T, subject string) context.Context {
	t.Helper()
	tok, err := s.signer.Sign(auth.Principal{Subject: subject, Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(bg, "authorization", "Bearer "+tok)
}

func TestWhoActsOnCompoundsAndHouseholds(t *testing.T) {
	s := serveSigned(t)
	registrar, editor, classifier := s.as(t, "accounts/registrar"), s.as(t, "accounts/editor"), s.as(t, "accounts/classifier")
	region := func(name string, level pb.Region_Level, parent string) *pb.Region {
		return testkit.Must[*pb.Region](t)(s.CreateRegion(registrar, &pb.CreateRegionRequest{Region: &pb.Region{Name: name, Level: level, Parent: parent}}))
	}
	district := region("东川区", pb.Region_DISTRICT, "")
	community := region("幸福社区", pb.Region_COMMUNITY, region("东门街道", pb.Region_SUBDISTRICT, district.Id).Id)

	create := &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: "幸福里", CommunityId: community.Id, CreateAccount: "accounts/forged", UpdateAccount: "accounts/forged"}, RequestId: "compound-1"}
	c := testkit.Must[*pb.Compound](t)(s.CreateCompound(registrar, create))
	t.Run("creating records the caller, never the request's account", func(t *testing.T) {
		if c.CreateAccount != "accounts/registrar" || c.UpdateAccount != "" {
			t.Fatalf("create %q, update %q", c.CreateAccount, c.UpdateAccount)
		}
		again := testkit.Must[*pb.Compound](t)(s.CreateCompound(registrar, create))
		if again.Id != c.Id || again.CreateAccount != "accounts/registrar" {
			t.Fatalf("a replay answered %v", again)
		}
	})

	t.Run("an update and a classification record the last changer", func(t *testing.T) {
		u := testkit.Must[*pb.Compound](t)(s.UpdateCompound(editor, &pb.UpdateCompoundRequest{
			Compound: &pb.Compound{Id: c.Id, Address: "东川区新村路 1 号"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"address"}},
		}))
		if u.CreateAccount != "accounts/registrar" || u.UpdateAccount != "accounts/editor" {
			t.Fatalf("after update: create %q, update %q", u.CreateAccount, u.UpdateAccount)
		}
		cl := testkit.Must[*pb.Compound](t)(s.ClassifyCompound(classifier, &pb.ClassifyCompoundRequest{Id: c.Id, GovernanceMode: pb.Compound_SELF_GOVERNANCE, DecidedBy: "社区两委"}))
		if cl.CreateAccount != "accounts/registrar" || cl.UpdateAccount != "accounts/classifier" {
			t.Fatalf("after classification: create %q, update %q", cl.CreateAccount, cl.UpdateAccount)
		}
	})

	t.Run("a status that follows the renovation keeps the last changer", func(t *testing.T) {
		// Events come from other services: no one is signed in behind them.
		if err := s.app.FollowCompoundEvent(context.Background(), "", map[string]string{"compound": c.Id, "fact": registry.FactNeedsSurveyOpened}); err != nil {
			t.Fatal(err)
		}
		got := testkit.Must[*pb.Compound](t)(s.GetCompound(registrar, &pb.GetCompoundRequest{Id: c.Id}))
		if got.Status != pb.Compound_SURVEYING || got.UpdateAccount != "accounts/classifier" {
			t.Fatalf("status %v, update %q", got.Status, got.UpdateAccount)
		}
	})

	b := testkit.Must[*pb.Building](t)(s.CreateBuilding(registrar, &pb.CreateBuildingRequest{CompoundId: c.Id, Building: &pb.Building{Name: "1栋", UnitCount: 2}}))
	t.Run("households record who registered them, one by one or in a batch", func(t *testing.T) {
		one := testkit.Must[*pb.Household](t)(s.CreateHousehold(s.as(t, "accounts/grid-1"), &pb.CreateHouseholdRequest{
			CompoundId: c.Id, Household: &pb.Household{BuildingId: b.Id, Unit: "1", Room: "101", ExclusiveAreaM2: 70, CreateAccount: "accounts/forged"},
		}))
		if one.CreateAccount != "accounts/grid-1" {
			t.Fatalf("household by %q", one.CreateAccount)
		}
		batch := &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, RequestId: "batch-1", Households: []*pb.Household{
			{BuildingId: b.Id, Unit: "1", Room: "102", ExclusiveAreaM2: 70},
			{BuildingId: b.Id, Unit: "2", Room: "201", ExclusiveAreaM2: 80},
		}}
		grid2 := s.as(t, "accounts/grid-2")
		first := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(s.BatchCreateHouseholds(grid2, batch))
		again := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(s.BatchCreateHouseholds(grid2, batch))
		if !proto.Equal(first, again) {
			t.Fatalf("a replay answered\n%v\nfirst\n%v", again, first)
		}
		for _, h := range first.Households {
			if h.CreateAccount != "accounts/grid-2" {
				t.Fatalf("household %s by %q", h.Id, h.CreateAccount)
			}
		}
		got := testkit.Must[*pb.Household](t)(s.GetHousehold(registrar, &pb.GetHouseholdRequest{Id: one.Id}))
		if got.CreateAccount != "accounts/grid-1" {
			t.Fatalf("read back by %q", got.CreateAccount)
		}
	})
}

func TestWhoActsOnElectionsAndConventions(t *testing.T) {
	s, sv := serveSignedWithSurvey(t)
	staff := s.as(t, "accounts/staff")
	district := testkit.Must[*pb.Region](t)(s.CreateRegion(staff, &pb.CreateRegionRequest{Region: &pb.Region{Name: "东川区", Level: pb.Region_DISTRICT}}))
	sub := testkit.Must[*pb.Region](t)(s.CreateRegion(staff, &pb.CreateRegionRequest{Region: &pb.Region{Name: "东门街道", Level: pb.Region_SUBDISTRICT, Parent: district.Id}}))
	community := testkit.Must[*pb.Region](t)(s.CreateRegion(staff, &pb.CreateRegionRequest{Region: &pb.Region{Name: "幸福社区", Level: pb.Region_COMMUNITY, Parent: sub.Id}}))
	c := testkit.Must[*pb.Compound](t)(s.CreateCompound(staff, &pb.CreateCompoundRequest{Compound: &pb.Compound{Name: "幸福里", CommunityId: community.Id}}))
	b := testkit.Must[*pb.Building](t)(s.CreateBuilding(staff, &pb.CreateBuildingRequest{CompoundId: c.Id, Building: &pb.Building{Name: "1栋", UnitCount: 1}}))
	hs := testkit.Must[*pb.BatchCreateHouseholdsResponse](t)(s.BatchCreateHouseholds(staff, &pb.BatchCreateHouseholdsRequest{CompoundId: c.Id, Households: []*pb.Household{
		{BuildingId: b.Id, Unit: "1", Room: "101", ExclusiveAreaM2: 70},
		{BuildingId: b.Id, Unit: "1", Room: "102", ExclusiveAreaM2: 70},
	}})).Households

	t.Run("an election records who opened and who closed it", func(t *testing.T) {
		opener, closer := s.as(t, "accounts/opener"), s.as(t, "accounts/closer")
		el := testkit.Must[*pb.LeaderElection](t)(s.CreateLeaderElection(opener, &pb.CreateLeaderElectionRequest{LeaderElection: &pb.LeaderElection{
			BuildingId: b.Id, CandidateHouseholdIds: []string{hs[0].Id, hs[1].Id}, CreateAccount: "accounts/forged", CloseAccount: "accounts/forged",
		}}))
		if el.CreateAccount != "accounts/opener" || el.CloseAccount != "" {
			t.Fatalf("open: create %q, close %q", el.CreateAccount, el.CloseAccount)
		}
		closeReq := &pb.CloseLeaderElectionRequest{Id: el.Id, RequestId: "close-1"}
		closed := testkit.Must[*pb.LeaderElection](t)(s.CloseLeaderElection(closer, closeReq))
		if closed.CreateAccount != "accounts/opener" || closed.CloseAccount != "accounts/closer" {
			t.Fatalf("closed: create %q, close %q", closed.CreateAccount, closed.CloseAccount)
		}
		again := testkit.Must[*pb.LeaderElection](t)(s.CloseLeaderElection(closer, closeReq))
		got := testkit.Must[*pb.LeaderElection](t)(s.GetLeaderElection(staff, &pb.GetLeaderElectionRequest{Id: el.Id}))
		if !proto.Equal(again, closed) || !proto.Equal(got, closed) {
			t.Fatalf("replay\n%v\nread\n%v\nfirst\n%v", again, got, closed)
		}
	})

	t.Run("a convention records who put it forward and who recorded its adoption", func(t *testing.T) {
		drafter, committee := s.as(t, "accounts/drafter"), s.as(t, "accounts/committee")
		passed := sv.resolution(t, staff, c.Id, surveypb.Survey_OTHER, []string{hs[0].Id, hs[1].Id}, "agree", "agree")
		v := testkit.Must[*pb.Convention](t)(s.CreateConvention(drafter, &pb.CreateConventionRequest{CompoundId: c.Id, Convention: &pb.Convention{
			Kind: pb.Convention_RESIDENTS_CONVENTION, Title: "居民公约", Text: "居民公约全文", CreateAccount: "accounts/forged", AdoptAccount: "accounts/forged",
		}}))
		if v.CreateAccount != "accounts/drafter" || v.AdoptAccount != "" {
			t.Fatalf("created: create %q, adopt %q", v.CreateAccount, v.AdoptAccount)
		}
		adopted := testkit.Must[*pb.Convention](t)(s.AdoptConvention(committee, &pb.AdoptConventionRequest{Id: v.Id, ResolutionSurveyId: passed}))
		if adopted.CreateAccount != "accounts/drafter" || adopted.AdoptAccount != "accounts/committee" {
			t.Fatalf("adopted: create %q, adopt %q", adopted.CreateAccount, adopted.AdoptAccount)
		}
		// Adopting again by the same resolution is a retry that changes nothing, whoever
		// sends it: the adoption stays the committee's.
		again := testkit.Must[*pb.Convention](t)(s.AdoptConvention(s.as(t, "accounts/late"), &pb.AdoptConventionRequest{Id: v.Id, ResolutionSurveyId: passed}))
		listed := testkit.Must[*pb.ListConventionsResponse](t)(s.ListConventions(staff, &pb.ListConventionsRequest{CompoundId: c.Id}))
		if !proto.Equal(again, adopted) || len(listed.Conventions) != 1 || !proto.Equal(listed.Conventions[0], adopted) {
			t.Fatalf("retry\n%v\nlisted\n%v\nfirst\n%v", again, listed.Conventions, adopted)
		}
	})
}
