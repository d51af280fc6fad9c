package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// fixture is what the measured calls read and write.
type fixture struct {
	district, community, fillerCommunity string
	bigCompound                          string   // households for the survey writes and the stats growth
	bigHouseholds                        []string //
	writeSurvey, statsSurvey             string   // OPEN NEEDS surveys on the big compound
	statsResponses                       int      // responses in statsSurvey so far
	payCompound, project, book           string   // funded project: contributions and GetBook
	growthProject, growthBook            string   // a second funded project whose book only the growth step writes
	payHouseholds                        []string //
	compounds                            int      // compounds in the district so far
	respWrites, payWrites                seqCount // measured writes so far
}

// par runs f(i) for i in [0,n) on w workers; the first error wins.
func par(n, w int, f func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func needsSurvey(compound, title string) *surveypb.Survey {
	return &surveypb.Survey{CompoundId: compound, Title: title, Kind: surveypb.Survey_NEEDS, Questions: []*surveypb.Question{
		{Id: "want", Text: "是否同意改造", Type: surveypb.Question_SINGLE_CHOICE, Options: []*surveypb.QuestionOption{{Id: "yes", Text: "同意"}, {Id: "no", Text: "不同意"}}},
		{Id: "needs", Text: "最希望改造的项目", Type: surveypb.Question_MULTI_CHOICE, Options: []*surveypb.QuestionOption{{Id: "road", Text: "道路"}, {Id: "drain", Text: "排水"}, {Id: "light", Text: "照明"}}},
	}}
}

func answers(i int64) []*surveypb.Answer {
	opts := []string{"road", "drain", "light"}
	want := "yes"
	if i%4 == 0 {
		want = "no"
	}
	return []*surveypb.Answer{{QuestionId: "want", OptionIds: []string{want}}, {QuestionId: "needs", OptionIds: []string{opts[i%3]}}}
}

// households creates n households in compound c, 1000 per batch, spread over buildings.
func households(ctx context.Context, c *clients, compound, tag string, n int) ([]string, error) {
	const perBuilding = 1000
	buildings := (n + perBuilding - 1) / perBuilding
	out := make([]string, n)
	err := par(buildings, 4, func(b int) error {
		bl, err := c.gov[b%len(c.gov)].CreateBuilding(ctx, &governancepb.CreateBuildingRequest{CompoundId: compound,
			Building: &governancepb.Building{Name: fmt.Sprintf("%s-%d栋", tag, b+1), UnitCount: 10, FloorCount: 20}, RequestId: fmt.Sprintf("%s-b%d", tag, b)})
		if err != nil {
			return fmt.Errorf("building: %w", err)
		}
		lo, hi := b*perBuilding, min(n, (b+1)*perBuilding)
		var hs []*governancepb.Household
		for i := lo; i < hi; i++ {
			k := i - lo
			hs = append(hs, &governancepb.Household{BuildingId: bl.GetId(), Unit: fmt.Sprint(1 + k%10), Room: fmt.Sprintf("%d", 101+k/10),
				ExclusiveAreaM2: 60 + float64(k%40), ResidentName: "住户", Phone: fmt.Sprintf("139%08d", i)})
		}
		res, err := c.gov[b%len(c.gov)].BatchCreateHouseholds(ctx, &governancepb.BatchCreateHouseholdsRequest{CompoundId: compound, Households: hs, RequestId: fmt.Sprintf("%s-h%d", tag, b)})
		if err != nil {
			return fmt.Errorf("households: %w", err)
		}
		for j, h := range res.GetHouseholds() {
			out[lo+j] = h.GetId()
		}
		return nil
	})
	return out, err
}

func compound(ctx context.Context, c *clients, community, name, key string) (string, error) {
	k, err := c.gov[0].CreateCompound(ctx, &governancepb.CreateCompoundRequest{Compound: &governancepb.Compound{
		Name: name, CommunityId: community, BuildYear: 1985 + int32(len(key)%20), Address: "东川区" + name,
		Facilities: []*governancepb.Facility{{Kind: governancepb.Facility_ROADS, Condition: governancepb.Facility_POOR}}}, RequestId: key})
	if err != nil {
		return "", err
	}
	return k.GetId(), nil
}

// setup registers the district, the big compound, the funded project and filler
// compounds up to 322 in the district.
func setup(ctx context.Context, c *clients, bigN, payN int) (*fixture, error) {
	ctx = c.ctx(ctx)
	f := &fixture{}
	t0 := time.Now()
	region := func(name string, lvl governancepb.Region_Level, parent string) (string, error) {
		r, err := c.gov[0].CreateRegion(ctx, &governancepb.CreateRegionRequest{Region: &governancepb.Region{Name: name, Level: lvl, Parent: parent}, RequestId: "region-" + name})
		return r.GetId(), err
	}
	var err error
	if f.district, err = region("基准区", governancepb.Region_DISTRICT, ""); err != nil {
		return nil, err
	}
	sub, err := region("基准街道", governancepb.Region_SUBDISTRICT, f.district)
	if err != nil {
		return nil, err
	}
	if f.community, err = region("基准社区", governancepb.Region_COMMUNITY, sub); err != nil {
		return nil, err
	}
	if f.fillerCommunity, err = region("增长社区", governancepb.Region_COMMUNITY, sub); err != nil {
		return nil, err
	}
	if f.bigCompound, err = compound(ctx, c, f.community, "基准大院", "big"); err != nil {
		return nil, err
	}
	if f.bigHouseholds, err = households(ctx, c, f.bigCompound, "big", bigN); err != nil {
		return nil, err
	}
	log.Printf("setup: %d households in the big compound (%s)", bigN, time.Since(t0).Round(time.Millisecond))
	for i, p := range []*string{&f.writeSurvey, &f.statsSurvey} {
		s, err := c.svy[0].CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: needsSurvey(f.bigCompound, fmt.Sprintf("基准调查%d", i)), RequestId: fmt.Sprintf("survey-%d", i)})
		if err != nil {
			return nil, fmt.Errorf("create survey: %w", err)
		}
		if _, err := c.svy[0].OpenSurvey(ctx, &surveypb.OpenSurveyRequest{Id: s.GetId(), RequestId: fmt.Sprintf("open-%d", i)}); err != nil {
			return nil, fmt.Errorf("open survey: %w", err)
		}
		*p = s.GetId()
	}
	// The funded project: a compound of payN households, a plan with a large flat quota so
	// 1-fen contributions never exhaust it.
	if f.payCompound, err = compound(ctx, c, f.community, "基准缴费小区", "pay"); err != nil {
		return nil, err
	}
	if f.payHouseholds, err = households(ctx, c, f.payCompound, "pay", payN); err != nil {
		return nil, err
	}
	const quota = 10_000_000 // fen per household
	budget := int64(payN)*quota + 1_000_000_000
	pr, err := c.prj[0].CreateProject(ctx, &projectspb.CreateProjectRequest{Project: &projectspb.Project{CompoundId: f.payCompound, Title: "基准改造项目", Year: 2021, BudgetFen: budget}, RequestId: "project"})
	if err != nil {
		return nil, fmt.Errorf("project: %w", err)
	}
	f.project = pr.GetId()
	items := []struct {
		k   projectspb.WorkItem_Kind
		cat projectspb.WorkItem_Category
		d   projectspb.WorkItem_Difficulty
	}{
		{projectspb.WorkItem_ROAD_REPAIR, projectspb.WorkItem_BASIC, projectspb.WorkItem_MEDIUM},
		{projectspb.WorkItem_DRAIN_PIPE, projectspb.WorkItem_BASIC, projectspb.WorkItem_MEDIUM},
		{projectspb.WorkItem_STAIRWELL_PAINTING, projectspb.WorkItem_BASIC, projectspb.WorkItem_EASY},
		{projectspb.WorkItem_GREENING, projectspb.WorkItem_IMPROVEMENT, projectspb.WorkItem_EASY},
		{projectspb.WorkItem_EV_CHARGER, projectspb.WorkItem_IMPROVEMENT, projectspb.WorkItem_EASY},
		{projectspb.WorkItem_PAVILION, projectspb.WorkItem_UPGRADE, projectspb.WorkItem_EASY},
	}
	for j, it := range items {
		if _, err := c.prj[0].CreateWorkItem(ctx, &projectspb.CreateWorkItemRequest{ProjectId: f.project, Item: &projectspb.WorkItem{
			Category: it.cat, Kind: it.k, Description: "基准工程", Quantity: float64(10 + j), Unit: "m2", EstimatedCostFen: 1_000_000, Difficulty: it.d,
		}, RequestId: fmt.Sprintf("item-%d", j)}); err != nil {
			return nil, fmt.Errorf("work item: %w", err)
		}
	}
	if _, err := c.fin[0].CreateFundingPlan(ctx, &financepb.CreateFundingPlanRequest{FundingPlan: &financepb.FundingPlan{
		ProjectId: f.project, Quota: &financepb.Quota{Amount: &financepb.Quota_FlatFen{FlatFen: quota}},
		Sources: []*financepb.FundingSource{
			{Party: financepb.FundingSource_GOVERNMENT, Funder: "区住建局", CommittedFen: budget - int64(payN)*quota},
			{Party: financepb.FundingSource_RESIDENTS, Funder: "居民自筹"},
		}}, RequestId: "plan"}); err != nil {
		return nil, fmt.Errorf("funding plan: %w", err)
	}
	if f.book, err = bookOf(ctx, c, f.project); err != nil {
		return nil, err
	}
	gp, err := c.prj[0].CreateProject(ctx, &projectspb.CreateProjectRequest{Project: &projectspb.Project{CompoundId: f.payCompound, Title: "基准增长项目", Year: 2022, BudgetFen: budget}, RequestId: "project-growth"})
	if err != nil {
		return nil, fmt.Errorf("growth project: %w", err)
	}
	f.growthProject = gp.GetId()
	if _, err := c.fin[0].CreateFundingPlan(ctx, &financepb.CreateFundingPlanRequest{FundingPlan: &financepb.FundingPlan{
		ProjectId: f.growthProject, Quota: &financepb.Quota{Amount: &financepb.Quota_FlatFen{FlatFen: quota}},
		Sources: []*financepb.FundingSource{
			{Party: financepb.FundingSource_GOVERNMENT, Funder: "区住建局", CommittedFen: budget - int64(payN)*quota},
			{Party: financepb.FundingSource_RESIDENTS, Funder: "居民自筹"},
		}}, RequestId: "plan-growth"}); err != nil {
		return nil, fmt.Errorf("growth funding plan: %w", err)
	}
	if f.growthBook, err = bookOf(ctx, c, f.growthProject); err != nil {
		return nil, err
	}
	f.compounds = 2
	if err := growCompounds(ctx, c, f, 322); err != nil {
		return nil, err
	}
	if err := growResponses(ctx, c, f, 1000); err != nil {
		return nil, err
	}
	log.Printf("setup done in %s", time.Since(t0).Round(time.Millisecond))
	return f, nil
}

// growCompounds adds filler compounds until the district holds n.
func growCompounds(ctx context.Context, c *clients, f *fixture, n int) error {
	ctx = c.ctx(ctx)
	from := f.compounds
	if n <= from {
		return nil
	}
	err := par(n-from, 16, func(i int) error {
		k := from + i
		_, err := c.gov[k%len(c.gov)].CreateCompound(ctx, &governancepb.CreateCompoundRequest{Compound: &governancepb.Compound{
			Name: fmt.Sprintf("增长小区%06d", k), CommunityId: f.fillerCommunity, BuildYear: 1980 + int32(k%25), Address: fmt.Sprintf("东川区增长路%d号", k),
			Facilities: []*governancepb.Facility{{Kind: governancepb.Facility_ROADS, Condition: governancepb.Facility_Condition(1 + k%3)}}}, RequestId: fmt.Sprintf("filler-%d", k)})
		return err
	})
	if err != nil {
		return fmt.Errorf("filler compounds: %w", err)
	}
	f.compounds = n
	return nil
}

// growResponses batch-submits answers to the stats survey until it holds n responses.
func growResponses(ctx context.Context, c *clients, f *fixture, n int) error {
	ctx = c.ctx(ctx)
	from := f.statsResponses
	if n > len(f.bigHouseholds) {
		n = len(f.bigHouseholds)
	}
	if n <= from {
		return nil
	}
	batches := (n - from + 999) / 1000
	err := par(batches, 4, func(b int) error {
		lo, hi := from+b*1000, min(n, from+(b+1)*1000)
		var rs []*surveypb.Response
		for i := lo; i < hi; i++ {
			rs = append(rs, &surveypb.Response{HouseholdId: f.bigHouseholds[i], Channel: surveypb.Response_DOOR_TO_DOOR, CollectorId: "bench", Answers: answers(int64(i))})
		}
		_, err := c.svy[b%len(c.svy)].BatchSubmitResponses(ctx, &surveypb.BatchSubmitResponsesRequest{SurveyId: f.statsSurvey, Responses: rs, RequestId: fmt.Sprintf("stats-%d", lo)})
		return err
	})
	if err != nil {
		return fmt.Errorf("stats responses: %w", err)
	}
	f.statsResponses = n
	return nil
}

func bookOf(ctx context.Context, c *clients, project string) (string, error) {
	books, err := c.fin[0].ListBooks(ctx, &financepb.ListBooksRequest{ProjectId: project})
	if err != nil || len(books.GetBooks()) == 0 {
		return "", fmt.Errorf("the book of project %s: %v", project, err)
	}
	return books.GetBooks()[0].GetId(), nil
}

// growBook posts 1-fen contributions to the growth project until its book holds n
// transactions (as the book itself counts them).
func growBook(ctx context.Context, c *clients, f *fixture, n int) error {
	ctx = c.ctx(ctx)
	b, err := c.fin[0].GetBook(ctx, &financepb.GetBookRequest{BookId: f.growthBook})
	if err != nil {
		return err
	}
	from := int(b.GetTransactionCount())
	if n <= from {
		return nil
	}
	err = par(n-from, 32, func(i int) error {
		k := from + i
		_, err := c.fin[k%len(c.fin)].CreateContribution(ctx, &financepb.CreateContributionRequest{ProjectId: f.growthProject, Contribution: &financepb.Contribution{
			HouseholdId: f.payHouseholds[k%len(f.payHouseholds)], AmountFen: 1, Method: financepb.Contribution_WECHAT, RequestId: fmt.Sprintf("grow-%d", k)}})
		return err
	})
	if err != nil {
		return fmt.Errorf("book growth: %w", err)
	}
	return nil
}
