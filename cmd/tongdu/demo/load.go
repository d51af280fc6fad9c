package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

const workers = 8

func (l *loader) load(ctx context.Context) error {
	_, communities, err := l.district(ctx)
	if err != nil {
		return err
	}
	specs := l.specs(communities)
	cs := make([]*compound, len(specs))
	if err := parallel(len(specs), workers, func(i int) error {
		c, err := l.makeCompound(ctx, i, specs[i])
		cs[i] = c
		return err
	}); err != nil {
		return err
	}
	story := cs[0]
	l.count(func(s *Summary) { s.StoryCompoundID = story.id })
	if err := l.organisation(ctx, communities, cs); err != nil {
		return err
	}
	// Residents are asked first: NEEDS surveys in every state across 150 compounds.
	if err := parallel(150, workers, func(i int) error {
		rnd := rand.New(rand.NewPCG(3000, uint64(i)))
		c := cs[i]
		participation, willingness := 0.3+0.65*rnd.Float64(), 0.4+0.6*rnd.Float64()
		if i == 0 {
			participation, willingness = 0.95, 0.9
		}
		closed, when := i%5 == 4, dates{}
		if i == 0 {
			// Shiyang Road's residents were asked first, and the survey closed before the
			// works began (rule 15: dated when it ran).
			closed, when = true, dates{timestamppb.New(time.Date(2021, time.January, 8, 9, 0, 0, 0, china)), timestamppb.New(time.Date(2021, time.February, 5, 18, 0, 0, 0, china))}
		}
		_, err := l.needs(ctx, fmt.Sprintf("demo-needs-%d", i), c, rnd, participation, willingness, closed, i%10 == 9, when)
		return err
	}); err != nil {
		return err
	}
	// The article's 25 compounds renovated in 2021, every one accepted that year (the
	// story's first), all their households paid; then this year's round at every other
	// stage of rule 6 (the project lifecycle), on other compounds.
	var stages []projectspb.Project_Status
	for k := range 25 {
		stages = append(stages, []projectspb.Project_Status{projectspb.Project_MAINTENANCE, projectspb.Project_ACCEPTED}[k%2])
	}
	stages = append(stages,
		projectspb.Project_PENDING_ACCEPTANCE, projectspb.Project_PENDING_ACCEPTANCE, projectspb.Project_PENDING_ACCEPTANCE,
		projectspb.Project_IN_CONSTRUCTION, projectspb.Project_IN_CONSTRUCTION, projectspb.Project_IN_CONSTRUCTION, projectspb.Project_IN_CONSTRUCTION, projectspb.Project_IN_CONSTRUCTION,
		projectspb.Project_APPROVED, projectspb.Project_APPROVED, projectspb.Project_APPROVED, projectspb.Project_APPROVED,
		projectspb.Project_PROPOSED, projectspb.Project_PROPOSED, projectspb.Project_PROPOSED, projectspb.Project_PROPOSED,
		projectspb.Project_SUSPENDED, projectspb.Project_SUSPENDED, projectspb.Project_CANCELLED)
	ids := make([]string, len(stages))
	if err := parallel(len(stages), workers, func(k int) error {
		rnd := rand.New(rand.NewPCG(4000, uint64(k)))
		c := cs[k*6] // spread over the district; the story's compound is the first
		p := plan{target: stages[k], quotaFen: 50_000, paid: 1, year: 2021, round: time.Date(2021, time.March, 1, 9, 0, 0, 0, china)}
		if k >= 25 {
			p.paid, p.year, p.round = 0.7, thisRound, time.Date(int(thisRound), time.March, 1, 9, 0, 0, 0, china)
		}
		if k == 0 {
			p.items, p.quotaFen, p.story = articleItems, 108_400, true
		} else {
			for _, j := range rnd.Perm(len(articleItems))[:4+rnd.IntN(5)] {
				p.items = append(p.items, articleItems[j])
			}
		}
		// The budget is what the works cost; the households' share is part of it.
		for _, it := range p.items {
			p.budget += it.costFen
		}
		if share := int64(len(c.households)) * p.quotaFen; share > p.budget/2 {
			p.quotaFen = p.budget / 2 / int64(max(1, len(c.households)))
		}
		id, err := l.project(ctx, fmt.Sprintf("demo-project-%d", k), c, rnd, p)
		ids[k] = id
		return err
	}); err != nil {
		return err
	}
	l.count(func(s *Summary) { s.StoryProjectID = ids[0] })
	return l.storyLife(ctx, story)
}

// storyLife adds what the article tells of Shiyang Road No. 21 beyond its project: a
// courtyard meeting, golden ideas, an elected building leader, upkeep income from parking
// and a shop after a business-use resolution.
func (l *loader) storyLife(ctx context.Context, c *compound) error {
	rnd := rand.New(rand.NewPCG(5000, 21))
	held := time.Date(2021, 2, 20, 19, 30, 0, 0, china)
	m, err := l.svy.CreateMeeting(ctx, &surveypb.CreateMeetingRequest{Meeting: &surveypb.Meeting{
		CompoundId: c.id, Title: "石羊路21号院改造院坝会", Place: "院坝", HeldAt: timestamppb.New(held),
		AttendeeHouseholdIds: c.households[:20], Topics: []string{"改造内容", "自筹资金", "保留老墙"},
		Minutes: "居民讨论改造方案，同意每户自筹1084元", Decisions: []string{"先拆违、修路、通排水", "保留瓷砖镶嵌外墙"},
	}, RequestId: "demo-story-meeting"})
	if err != nil {
		return fmt.Errorf("meeting: %w", err)
	}
	// The meeting's minutes were closed that evening, before the works began (rule 15).
	if _, err := l.svy.CloseMeeting(ctx, &surveypb.CloseMeetingRequest{Id: m.GetId(), EffectiveTime: timestamppb.New(held.Add(2 * time.Hour)), RequestId: "demo-story-meeting-close"}); err != nil {
		return fmt.Errorf("close meeting: %w", err)
	}
	ideas := []struct{ text, category string }{
		{"保留老厂区的瓷砖镶嵌外墙，不要刷白", "HERITAGE"},
		{"把危棚改成党群议事厅", "SPACE"},
		{"活动广场修一条无障碍坡道", "ACCESSIBILITY"},
	}
	for j, it := range ideas {
		idea, err := l.svy.CreateIdea(ctx, &surveypb.CreateIdeaRequest{Idea: &surveypb.Idea{CompoundId: c.id, HouseholdId: c.households[j], Text: it.text, Category: it.category}, RequestId: fmt.Sprintf("demo-story-idea-%d", j)})
		if err != nil {
			return fmt.Errorf("idea: %w", err)
		}
		for _, h := range c.households[5 : 10+5*j] {
			if _, err := l.svy.EndorseIdea(ctx, &surveypb.EndorseIdeaRequest{Id: idea.GetId(), HouseholdId: h}); err != nil {
				return fmt.Errorf("endorse: %w", err)
			}
		}
		if _, err := l.svy.AdoptIdea(ctx, &surveypb.AdoptIdeaRequest{Id: idea.GetId(), Remarks: "纳入改造方案", RequestId: fmt.Sprintf("demo-story-adopt-%d", j)}); err != nil {
			return fmt.Errorf("adopt: %w", err)
		}
	}
	// The first building elects its leader.
	var building1 []string
	for i, b := range c.buildingOf {
		if b == c.buildings[0] {
			building1 = append(building1, c.households[i])
		}
	}
	e, err := l.gov.CreateLeaderElection(ctx, &governancepb.CreateLeaderElectionRequest{LeaderElection: &governancepb.LeaderElection{BuildingId: c.buildings[0], CandidateHouseholdIds: building1[:2]}, RequestId: "demo-story-election"})
	if err != nil {
		return fmt.Errorf("election: %w", err)
	}
	for j, h := range building1 {
		if _, err := l.gov.CastLeaderVote(ctx, &governancepb.CastLeaderVoteRequest{Id: e.GetId(), HouseholdId: h, CandidateHouseholdId: building1[min(j%3, 1)]}); err != nil {
			return fmt.Errorf("vote: %w", err)
		}
	}
	if _, err := l.gov.CloseLeaderElection(ctx, &governancepb.CloseLeaderElectionRequest{Id: e.GetId(), RequestId: "demo-story-election-close"}); err != nil {
		return fmt.Errorf("close election: %w", err)
	}
	// Upkeep: owners' parking, parking let to outsiders and a shop, after the owners agreed.
	res, err := l.resolution(ctx, "demo-story-business", c, rnd, surveypb.Survey_COMMON_PART_BUSINESS, "关于利用公共部位停车位对外出租及开设便民商店的表决", 0.85,
		dates{timestamppb.New(time.Date(2022, time.March, 1, 9, 0, 0, 0, china)), timestamppb.New(time.Date(2022, time.March, 15, 18, 0, 0, 0, china))})
	if err != nil {
		return err
	}
	// The year's upkeep money, booked at the end of 2022 (rule 15).
	yearEnd2022 := timestamppb.New(time.Date(2022, time.December, 31, 17, 0, 0, 0, china))
	for j, in := range []struct {
		stream financepb.Income_Stream
		fen    int64
	}{{financepb.Income_PARKING_OWNERS, 960_000}, {financepb.Income_PARKING_PUBLIC, 1_440_000}, {financepb.Income_SHOP_RENT, 1_200_000}} {
		if _, err := l.fin.RecordIncome(ctx, &financepb.RecordIncomeRequest{CompoundId: c.id, Income: &financepb.Income{
			Stream: in.stream, AmountFen: in.fen, RequestId: fmt.Sprintf("demo-story-income-%d", j), ResolutionSurveyId: res, Period: "2022", EffectiveTime: yearEnd2022}}); err != nil {
			return fmt.Errorf("income: %w", err)
		}
	}
	if _, err := l.fin.RecordExpense(ctx, &financepb.RecordExpenseRequest{CompoundId: c.id, Expense: &financepb.Expense{
		Kind: financepb.Expense_CLEANING, Payee: "保洁员", AmountFen: 720_000, RequestId: "demo-story-cleaning", Period: "2022", EffectiveTime: yearEnd2022}}); err != nil {
		return fmt.Errorf("expense: %w", err)
	}
	return nil
}
