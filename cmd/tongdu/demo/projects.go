package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// item is a work of the article, with a plausible cost.
type item struct {
	kind       projectspb.WorkItem_Kind
	category   projectspb.WorkItem_Category
	difficulty projectspb.WorkItem_Difficulty
	safety     bool
	qty        float64
	unit, desc string
	costFen    int64
}

// articleItems are the works of Shiyang Road No. 21, as the article lists them; their
// costs add up to the 610,000 yuan its three sides pooled (the article: more than
// 600,000), every fen of it spent on these works.
var articleItems = []item{
	{projectspb.WorkItem_DEMOLISH_ILLEGAL_STRUCTURE, projectspb.WorkItem_BASIC, projectspb.WorkItem_EASY, true, 80, "m2", "拆除违章建筑", 3_246_000},
	{projectspb.WorkItem_STAIRWELL_PAINTING, projectspb.WorkItem_BASIC, projectspb.WorkItem_EASY, false, 8, "buildings", "楼道粉刷", 9_600_000},
	{projectspb.WorkItem_ROAD_REPAIR, projectspb.WorkItem_BASIC, projectspb.WorkItem_MEDIUM, true, 968, "m2", "修复破损路面", 27_104_000},
	{projectspb.WorkItem_GREENING, projectspb.WorkItem_IMPROVEMENT, projectspb.WorkItem_EASY, false, 10, "m2", "增加绿化", 200_000},
	{projectspb.WorkItem_DRAIN_PIPE, projectspb.WorkItem_BASIC, projectspb.WorkItem_MEDIUM, true, 40, "m", "更换居民排水管", 1_600_000},
	{projectspb.WorkItem_COVER_REPLACEMENT, projectspb.WorkItem_BASIC, projectspb.WorkItem_EASY, true, 7, "pcs", "更换破损雨污井盖", 210_000},
	{projectspb.WorkItem_STAIRWELL_LIGHTING, projectspb.WorkItem_BASIC, projectspb.WorkItem_EASY, true, 32, "pcs", "更换8个单元32盏楼道灯", 640_000},
	{projectspb.WorkItem_EV_CHARGER, projectspb.WorkItem_UPGRADE, projectspb.WorkItem_MEDIUM, false, 1, "pcs", "电动车充电桩", 1_500_000},
	{projectspb.WorkItem_BIKE_SHED, projectspb.WorkItem_IMPROVEMENT, projectspb.WorkItem_MEDIUM, false, 1, "pcs", "电动车车棚", 3_600_000},
	{projectspb.WorkItem_PAVILION, projectspb.WorkItem_UPGRADE, projectspb.WorkItem_MEDIUM, false, 1, "pcs", "连心亭", 4_800_000},
	{projectspb.WorkItem_DRYING_AREA, projectspb.WorkItem_IMPROVEMENT, projectspb.WorkItem_EASY, false, 1, "pcs", "公共晾晒区", 800_000},
	{projectspb.WorkItem_ACCESSIBLE_RAMP, projectspb.WorkItem_IMPROVEMENT, projectspb.WorkItem_EASY, true, 1, "pcs", "通往活动广场的无障碍坡道", 1_200_000},
	{projectspb.WorkItem_MEETING_ROOM, projectspb.WorkItem_UPGRADE, projectspb.WorkItem_HARD, false, 1, "pcs", "危棚改建党群议事厅“睦邻议事厅”", 6_500_000},
}

// plan is how far a project is taken and how it is funded.
type plan struct {
	target   projectspb.Project_Status
	budget   int64
	items    []item
	quotaFen int64   // each household's flat quota
	paid     float64 // share of households that paid
	story    bool
	// year is the round; round is when its plans began to be drawn up (rule 15: the
	// steps are dated from it).
	year  int32
	round time.Time
}

// project draws up a compound's plan and takes it to the target status through every
// guard of rule 6 (the project lifecycle), as the district would: resolution, funding, works, acceptance.
func (l *loader) project(ctx context.Context, key string, c *compound, rnd *rand.Rand, p plan) (string, error) {
	// When each step happened (rule 15): the plans of a round drawn up over about two
	// months from its start, a compound's steps apart as works go. The days follow from
	// the key, not the random draws, so a second run sends the same requests and the
	// figures drawn later stay as they were.
	h := fnv.New32a()
	h.Write([]byte(key))
	start := p.round.AddDate(0, 0, int(h.Sum32()%60))
	on := func(days int) *timestamppb.Timestamp { return timestamppb.New(start.AddDate(0, 0, days)) }
	pr, err := l.prj.CreateProject(ctx, &projectspb.CreateProjectRequest{EffectiveTime: on(0), Project: &projectspb.Project{
		CompoundId: c.id, Title: c.name + "老旧小区改造", Year: p.year, BudgetFen: p.budget, HeritageNotes: "保留原有红砖与瓷砖镶嵌外墙",
	}, RequestId: key})
	if err != nil {
		return "", fmt.Errorf("project of %s: %w", c.name, err)
	}
	id := pr.GetId()
	l.count(func(s *Summary) { s.Projects++ })
	var itemIDs []string
	for j, it := range p.items {
		w, err := l.prj.CreateWorkItem(ctx, &projectspb.CreateWorkItemRequest{ProjectId: id, Item: &projectspb.WorkItem{
			Category: it.category, Kind: it.kind, Description: it.desc, Quantity: it.qty, Unit: it.unit,
			EstimatedCostFen: it.costFen, Difficulty: it.difficulty, SafetyCritical: it.safety,
		}, RequestId: fmt.Sprintf("%s-item-%d", key, j)})
		if err != nil {
			return "", fmt.Errorf("item of %s: %w", c.name, err)
		}
		itemIDs = append(itemIDs, w.GetId())
	}
	step := func(name string, f func() error) error {
		if err := f(); err != nil {
			return fmt.Errorf("%s of %s: %w", name, c.name, err)
		}
		return nil
	}
	actor := "区住建局"
	if p.target == projectspb.Project_PROPOSED {
		return id, nil
	}
	if p.target == projectspb.Project_CANCELLED {
		return id, step("cancel", func() error {
			_, err := l.prj.CancelProject(ctx, &projectspb.CancelProjectRequest{EffectiveTime: on(20), Id: id, Actor: actor, Reason: "居民意见分歧，下一年度再议", RequestId: key + "-cancel"})
			return err
		})
	}
	// The owners voted before the plan was drawn up, the residents accepted the works
	// after they were handed over (rule 15: the surveys dated when they ran).
	res, err := l.resolution(ctx, key+"-resolution", c, rnd, surveypb.Survey_RENOVATION, "关于实施老旧小区改造的业主表决", 0.9, dates{on(-20), on(-10)})
	if err != nil {
		return "", err
	}
	// Money from three sides: the sub-district, the housing bureau, the households; each
	// payment dated when the money moved (rule 15).
	residents := p.quotaFen * int64(len(c.households))
	first := p.budget * 2 / 5
	// The plan posted below shows each household's share (rules 8 and 14), so the
	// funding plan of a project that goes on to be built comes first.
	funded := p.target != projectspb.Project_APPROVED
	if err := step("funding plan", func() error {
		if !funded {
			return nil
		}
		_, err := l.fin.CreateFundingPlan(ctx, &financepb.CreateFundingPlanRequest{FundingPlan: &financepb.FundingPlan{
			ProjectId: id, Quota: &financepb.Quota{Amount: &financepb.Quota_FlatFen{FlatFen: p.quotaFen}},
			Sources: []*financepb.FundingSource{
				{Party: financepb.FundingSource_GOVERNMENT, Funder: "铜都街道办事处", CommittedFen: first},
				{Party: financepb.FundingSource_GOVERNMENT, Funder: "东川区住房和城乡建设局", CommittedFen: p.budget - first - residents},
				{Party: financepb.FundingSource_RESIDENTS, Funder: "居民自筹"},
			}}, RequestId: key + "-plan"})
		return err
	}); err != nil {
		return "", err
	}
	if err := step("post the plan", func() error {
		// Rule 14: the plan went up on the compound's board for its week before approval
		// (entered after the fact, rule 15).
		_, err := l.prj.CreateNotice(ctx, &projectspb.CreateNoticeRequest{RequestId: key + "-notice", Notice: &projectspb.Notice{
			CompoundId: c.id, Kind: projectspb.Notice_PLAN, SubjectId: id, OpensAt: on(5),
			Body: "公示期内如有异议，请向社区居委会书面提出。"}})
		return err
	}); err != nil {
		return "", err
	}
	if err := step("approve", func() error {
		_, err := l.prj.ApproveProject(ctx, &projectspb.ApproveProjectRequest{EffectiveTime: on(16), Id: id, Actor: actor, ResolutionSurveyId: res, RequestId: key + "-approve"})
		return err
	}); err != nil {
		return "", err
	}
	if p.target == projectspb.Project_APPROVED {
		return id, nil
	}
	for j, f := range []struct {
		funder string
		fen    int64
	}{{"铜都街道办事处", first}, {"东川区住房和城乡建设局", p.budget - first - residents}} {
		if err := step("receipt", func() error {
			_, err := l.fin.CreateReceipt(ctx, &financepb.CreateReceiptRequest{ProjectId: id, Receipt: &financepb.Receipt{
				Party: financepb.FundingSource_GOVERNMENT, Funder: f.funder, AmountFen: f.fen, RequestId: fmt.Sprintf("%s-receipt-%d", key, j), EffectiveTime: on(22 + j)}})
			return err
		}); err != nil {
			return "", err
		}
	}
	methods := []financepb.Contribution_Method{financepb.Contribution_WECHAT, financepb.Contribution_CASH, financepb.Contribution_ALIPAY, financepb.Contribution_BANK}
	for _, i := range share(rnd, len(c.households), p.paid) {
		if err := step("contribution", func() error {
			_, err := l.fin.CreateContribution(ctx, &financepb.CreateContributionRequest{ProjectId: id, Contribution: &financepb.Contribution{
				HouseholdId: c.households[i], AmountFen: p.quotaFen, Method: methods[i%len(methods)], RequestId: fmt.Sprintf("%s-pay-%d", key, i), EffectiveTime: on(24 + i%14)}})
			return err
		}); err != nil {
			return "", err
		}
	}
	if err := step("start construction", func() error {
		_, err := l.prj.StartConstruction(ctx, &projectspb.StartConstructionRequest{EffectiveTime: on(30), Id: id, Actor: actor, RequestId: key + "-start"})
		return err
	}); err != nil {
		return "", err
	}
	if p.target == projectspb.Project_SUSPENDED {
		return id, step("suspend", func() error {
			_, err := l.prj.SuspendProject(ctx, &projectspb.SuspendProjectRequest{EffectiveTime: on(75), Id: id, Actor: "铜都街道办事处", Reason: "雨季停工，待天晴复工", RequestId: key + "-suspend"})
			return err
		})
	}
	for j, wid := range itemIDs {
		done := int32(100)
		if p.target == projectspb.Project_IN_CONSTRUCTION {
			done = int32(20 + rnd.IntN(80))
		}
		if err := step("progress", func() error {
			_, err := l.prj.CreateProgressReport(ctx, &projectspb.CreateProgressReportRequest{ProjectId: id, ProgressReport: &projectspb.ProgressReport{
				ItemId: wid, ProgressPercent: done, Contractor: "东川建工集团", Remarks: "按计划施工"}, RequestId: fmt.Sprintf("%s-progress-%d", key, j)})
			return err
		}); err != nil {
			return "", err
		}
	}
	if p.target == projectspb.Project_IN_CONSTRUCTION {
		return id, nil
	}
	if err := step("request acceptance", func() error {
		_, err := l.prj.RequestAcceptance(ctx, &projectspb.RequestAcceptanceRequest{EffectiveTime: on(150), Id: id, Actor: "东川建工集团", RequestId: key + "-request"})
		return err
	}); err != nil {
		return "", err
	}
	// Rule 9: the works contract is a record, and every payment names it; its request id
	// makes a second run find the same contract. It is the whole budget: what is raised
	// is spent on the works (the items' costs add up to it), paid as the money comes in.
	contract := p.budget
	var contractID string
	if err := step("contract", func() error {
		c, err := l.fin.CreateContract(ctx, &financepb.CreateContractRequest{ProjectId: id, Contract: &financepb.Contract{
			Payee: "东川建工集团", AmountFen: contract, ItemIds: itemIDs, RequestId: key + "-contract"}})
		contractID = c.GetId()
		return err
	}); err != nil {
		return "", err
	}
	if err := step("disbursement", func() error {
		_, err := l.fin.CreateDisbursement(ctx, &financepb.CreateDisbursementRequest{ProjectId: id, Disbursement: &financepb.Disbursement{
			ContractId: contractID, AmountFen: progressPayment(contract, p.paid), Purpose: "工程进度款", RequestId: key + "-pay-contractor", EffectiveTime: on(152)}})
		return err
	}); err != nil {
		return "", err
	}
	if p.target == projectspb.Project_PENDING_ACCEPTANCE {
		return id, nil
	}
	acc, err := l.acceptance(ctx, key+"-acceptance", c, rnd, 0.92, dates{on(151), on(158)})
	if err != nil {
		return "", err
	}
	if err := step("acceptance survey", func() error {
		_, err := l.prj.UpdateProject(ctx, &projectspb.UpdateProjectRequest{Project: &projectspb.Project{Id: id, AcceptanceSurveyId: acc}, UpdateMask: mask("acceptance_survey_id")})
		return err
	}); err != nil {
		return "", err
	}
	for _, so := range []struct {
		role   projectspb.Signoff_Role
		signer string
	}{{projectspb.Signoff_SUPERVISOR, "云南监理公司"}, {projectspb.Signoff_CONTRACTOR, "东川建工集团"}, {projectspb.Signoff_BUILDER, "东川区住建局"}, {projectspb.Signoff_COMMUNITY, "沙坝社区居委会"}} {
		if err := step("sign-off", func() error {
			_, err := l.prj.CreateSignoff(ctx, &projectspb.CreateSignoffRequest{EffectiveTime: on(160 + int(so.role)), ProjectId: id, Signoff: &projectspb.Signoff{
				Role: so.role, Verdict: projectspb.Signoff_PASS, Signer: so.signer, Remarks: "验收合格"}, RequestId: fmt.Sprintf("%s-signoff-%d", key, so.role)})
			return err
		}); err != nil {
			return "", err
		}
	}
	got, err := l.prj.GetProject(ctx, &projectspb.GetProjectRequest{Id: id})
	if err != nil {
		return "", err
	}
	if got.GetStatus() != projectspb.Project_ACCEPTED {
		return "", fmt.Errorf("project of %s is %s after every sign-off", c.name, got.GetStatus())
	}
	// The retention is paid once accepted.
	if err := step("retention", func() error {
		_, err := l.fin.CreateDisbursement(ctx, &financepb.CreateDisbursementRequest{ProjectId: id, Disbursement: &financepb.Disbursement{
			ContractId: contractID, AmountFen: contract - contract*97/100, Purpose: "质保金", RequestId: key + "-retention", EffectiveTime: on(166)}})
		return err
	}); err != nil {
		return "", err
	}
	if p.target == projectspb.Project_ACCEPTED {
		return id, nil
	}
	return id, step("maintenance", func() error {
		_, err := l.prj.StartMaintenance(ctx, &projectspb.StartMaintenanceRequest{EffectiveTime: on(195), Id: id, Actor: "业主委员会", Reason: "移交小区自管", RequestId: key + "-maintenance"})
		return err
	})
}

// progressPayment is what the contractor is paid on handing the works over: all but the
// 3% retention (rule 9) once every household has paid, else 60% while the rest comes in.
func progressPayment(contract int64, paid float64) int64 {
	if paid >= 1 {
		return contract * 97 / 100
	}
	return contract * 6 / 10
}
