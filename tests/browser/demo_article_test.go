package browser

import (
	"testing"
	"time"

	"tongdu/platform/testkit"
	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// The demo district reads like the source article (../shared/seed/article.en.md): the
// Tongdu sub-district's figures, 25 compounds renovated in 2021, and Shiyang Road No. 21
// as the article tells it — the brick-and-tile factory's work-unit compound, every work
// the article lists, more than 600,000 yuan pooled from three sides with 1,084 yuan from
// each household all paid, every fen of it spent on the works. No browser: the figures are
// read by gRPC, as any district system would.
func TestDemoReadsLikeTheArticle(t *testing.T) {
	s := startSite(t)
	sum := s.loadDemo()
	if sum.Compounds != 322 || sum.Branches != 27 || sum.LinkedUnits != 49 || sum.PartyMembers != 2749 {
		t.Errorf("the sub-district: %d compounds, %d branches, %d linked units, %d party members; the article 322, 27, 49, 2,749",
			sum.Compounds, sum.Branches, sum.LinkedUnits, sum.PartyMembers)
	}
	ctx, prj, fin := s.district(), projectspb.NewProjectsServiceClient(s.conn), financepb.NewFinanceServiceClient(s.conn)

	// 25 compounds renovated in 2021: their projects accepted that year.
	china := time.FixedZone("CST", 8*3600)
	accepted2021 := 0
	tok := ""
	for {
		got := testkit.Must[*projectspb.ListProjectsResponse](t)(prj.ListProjects(ctx, &projectspb.ListProjectsRequest{PageSize: 1000, PageToken: tok}))
		for _, p := range got.GetProjects() {
			for _, h := range p.GetHistory() {
				if h.GetTo() == projectspb.Project_ACCEPTED && h.GetTime().AsTime().In(china).Year() == 2021 {
					accepted2021++
				}
			}
		}
		if tok = got.GetNextPageToken(); tok == "" {
			break
		}
	}
	if accepted2021 != 25 {
		t.Errorf("%d projects accepted in 2021, the article 25 compounds renovated", accepted2021)
	}

	k := testkit.Must[*governancepb.Compound](t)(s.gov().GetCompound(ctx, &governancepb.GetCompoundRequest{Id: sum.StoryCompoundID}))
	if k.GetName() != "石羊路21号院" || k.GetManagementType() != governancepb.Compound_WORK_UNIT_NO_PM || k.GetOwningUnit() != "东川砖瓦厂" {
		t.Errorf("Shiyang Road No. 21: %s, %s, owned by %q; the article: the brick-and-tile factory's work-unit compound", k.GetName(), k.GetManagementType(), k.GetOwningUnit())
	}
	p := testkit.Must[*projectspb.Project](t)(prj.GetProject(ctx, &projectspb.GetProjectRequest{Id: sum.StoryProjectID}))
	if p.GetStatus() != projectspb.Project_MAINTENANCE || p.GetYear() != 2021 {
		t.Errorf("its project is %s of %d, want MAINTENANCE of 2021", p.GetStatus(), p.GetYear())
	}
	for _, h := range p.GetHistory() {
		if y := h.GetTime().AsTime().In(china).Year(); h.GetTo() != projectspb.Project_MAINTENANCE && y != 2021 {
			t.Errorf("its move to %s happened in %d, want 2021", h.GetTo(), y)
		}
	}

	// Its residents were asked and voted before the works began (rule 15: dated when they
	// ran), and the courtyard meeting's minutes were closed.
	var began time.Time
	for _, h := range p.GetHistory() {
		if h.GetTo() == projectspb.Project_IN_CONSTRUCTION {
			began = h.GetTime().AsTime()
		}
	}
	svs := testkit.Must[*surveypb.ListSurveysResponse](t)(surveypb.NewSurveyServiceClient(s.conn).ListSurveys(ctx, &surveypb.ListSurveysRequest{CompoundId: k.GetId(), PageSize: 100}))
	for _, sv := range svs.GetSurveys() {
		if sv.GetKind() == surveypb.Survey_ACCEPTANCE || sv.GetMatter() == surveypb.Survey_COMMON_PART_BUSINESS {
			continue
		}
		if sv.GetState() != surveypb.Survey_CLOSED || !sv.GetCloseTime().AsTime().Before(began) {
			t.Errorf("survey %q is %s, closed %v; want closed before the works began on %v", sv.GetTitle(), sv.GetState(), sv.GetCloseTime().AsTime(), began)
		}
	}
	ms := testkit.Must[*surveypb.ListMeetingsResponse](t)(surveypb.NewSurveyServiceClient(s.conn).ListMeetings(ctx, &surveypb.ListMeetingsRequest{CompoundId: k.GetId()}))
	for _, m := range ms.GetMeetings() {
		if m.GetState() != surveypb.Meeting_CLOSED || !m.GetCloseTime().AsTime().Before(began) {
			t.Errorf("meeting %q is %s; want its minutes closed before the works began", m.GetTitle(), m.GetState())
		}
	}

	// Every work the article lists, with its figure.
	items := testkit.Must[*projectspb.ListWorkItemsResponse](t)(prj.ListWorkItems(ctx, &projectspb.ListWorkItemsRequest{ProjectId: p.GetId(), PageSize: 100}))
	want := map[projectspb.WorkItem_Kind]float64{
		projectspb.WorkItem_DEMOLISH_ILLEGAL_STRUCTURE: 80, projectspb.WorkItem_STAIRWELL_PAINTING: 8, projectspb.WorkItem_ROAD_REPAIR: 968,
		projectspb.WorkItem_GREENING: 10, projectspb.WorkItem_DRAIN_PIPE: 40, projectspb.WorkItem_COVER_REPLACEMENT: 7,
		projectspb.WorkItem_STAIRWELL_LIGHTING: 32, projectspb.WorkItem_EV_CHARGER: 1, projectspb.WorkItem_BIKE_SHED: 1,
		projectspb.WorkItem_PAVILION: 1, projectspb.WorkItem_DRYING_AREA: 1, projectspb.WorkItem_ACCESSIBLE_RAMP: 1, projectspb.WorkItem_MEETING_ROOM: 1,
	}
	var costs int64
	for _, it := range items.GetItems() {
		if q, ok := want[it.GetKind()]; !ok || it.GetQuantity() < q || (it.GetKind() != projectspb.WorkItem_DRAIN_PIPE && it.GetQuantity() != q) {
			t.Errorf("work %s × %v, the article %v", it.GetKind(), it.GetQuantity(), q)
		}
		delete(want, it.GetKind())
		costs += it.GetEstimatedCostFen()
	}
	if len(want) > 0 {
		t.Errorf("works of the article missing: %v", want)
	}

	// The money: more than 600,000 yuan from three sides, 1,084 from each household, all
	// paid; what was raised is what the works cost, and all of it is spent.
	d := testkit.Must[*financepb.ProjectDisclosure](t)(fin.GetProjectDisclosure(ctx, &financepb.GetProjectDisclosureRequest{ProjectId: p.GetId()}))
	raised := d.GetReceivedTotalFen() // from the funders and the households
	if raised <= 60_000_000 || raised != p.GetBudgetFen() || costs != raised {
		t.Errorf("raised %d fen, budget %d, works cost %d; the article: more than 600,000 yuan, spent on the works", raised, p.GetBudgetFen(), costs)
	}
	if d.GetPaidHouseholds() != d.GetHouseholdCount() || d.GetHouseholdCount() == 0 || d.GetTargetFen() != int64(d.GetHouseholdCount())*108_400 {
		t.Errorf("households paid %d of %d, target %d fen; the article: 1,084 yuan each, all paid", d.GetPaidHouseholds(), d.GetHouseholdCount(), d.GetTargetFen())
	}
	if d.GetDisbursedTotalFen() != raised || d.GetFundBalanceFen() != 0 {
		t.Errorf("paid out %d fen of %d raised, %d left in the fund; want all of it spent on the works", d.GetDisbursedTotalFen(), raised, d.GetFundBalanceFen())
	}
	txs := testkit.Must[*financepb.ListTransactionsResponse](t)(fin.ListTransactions(ctx, &financepb.ListTransactionsRequest{BookId: d.GetBookId(), PageSize: 1000}))
	for _, tx := range txs.GetTransactions() {
		if y := tx.GetEffectiveTime().AsTime().In(china).Year(); y != 2021 {
			t.Errorf("entry %s (%s) of the fund moved in %d, want 2021 (rule 15)", tx.GetId(), tx.GetKind(), y)
		}
	}
	if d.GetReceivedTotalFen() == 0 || d.GetCollectedFen() == 0 {
		t.Errorf("received %d fen from funders and %d from households; the article: the sub-district, the housing bureau and the residents", d.GetReceivedTotalFen(), d.GetCollectedFen())
	}
	s.demoLoadedAgainChangesNothing(sum.DistrictID)
}
