package demo

import (
	"context"
	"fmt"
	"google.golang.org/protobuf/types/known/timestamppb"
	"math/rand/v2"
	"time"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

var unitNames = []string{"东川区住房和城乡建设局", "东川区人民医院", "铜都中学", "东川区供电局", "东川区自来水公司", "东川区税务局",
	"东川区人民法院", "东川区财政局", "东川区教育体育局", "东川区市场监督管理局", "中国银行东川支行", "东川区卫生健康局"}

// organisation founds the party branches, grid cells, linked units and their in-service
// party members, the departments, and a few whistles.
func (l *loader) organisation(ctx context.Context, communities []string, cs []*compound) error {
	for i := 0; i < Branches; i++ {
		c := cs[i*11%len(cs)]
		if i == 0 {
			c = cs[0]
		}
		if _, err := l.gov.CreatePartyBranch(ctx, &governancepb.CreatePartyBranchRequest{PartyBranch: &governancepb.PartyBranch{
			Name: c.name + "党支部", Kind: governancepb.PartyBranch_COMPOUND, CompoundId: c.id, Secretary: "支部书记", MemberCount: int32(3 + i%9),
		}, RequestId: fmt.Sprintf("demo-branch-%d", i)}); err != nil {
			return fmt.Errorf("branch: %w", err)
		}
	}
	l.count(func(s *Summary) { s.Branches = Branches })
	// One grid cell per community over the buildings of its first compounds.
	for k, comm := range communities {
		var buildings []string
		for _, c := range cs {
			if c.community == comm && len(buildings) < 20 {
				buildings = append(buildings, c.buildings...)
			}
		}
		if _, err := l.gov.CreateGridCell(ctx, &governancepb.CreateGridCellRequest{GridCell: &governancepb.GridCell{
			Name: fmt.Sprintf("第%d网格", k+1), CommunityId: comm, GridWorker: "网格员", BuildingIds: buildings,
		}, RequestId: fmt.Sprintf("demo-grid-%d", k)}); err != nil {
			return fmt.Errorf("grid: %w", err)
		}
	}
	units := make([]string, LinkedUnits)
	for i := range units {
		u, err := l.gov.CreateLinkedUnit(ctx, &governancepb.CreateLinkedUnitRequest{LinkedUnit: &governancepb.LinkedUnit{
			Name: fmt.Sprintf("%s第%d党支部", unitNames[i%len(unitNames)], 1+i/len(unitNames)), CommunityId: communities[i%len(communities)], Contact: "联络员",
		}, RequestId: fmt.Sprintf("demo-unit-%d", i)})
		if err != nil {
			return fmt.Errorf("linked unit: %w", err)
		}
		units[i] = u.GetId()
	}
	l.count(func(s *Summary) { s.LinkedUnits = LinkedUnits })
	if err := parallel(PartyMembers, workers, func(i int) error {
		rnd := rand.New(rand.NewPCG(6000, uint64(i)))
		m, err := l.gov.CreatePartyMember(ctx, &governancepb.CreatePartyMemberRequest{PartyMember: &governancepb.PartyMember{
			Name: personName(rnd), ResidenceCommunityId: communities[i%len(communities)], LinkedUnitId: units[i%len(units)],
		}, RequestId: fmt.Sprintf("demo-member-%d", i)})
		if err != nil {
			return fmt.Errorf("party member: %w", err)
		}
		if i%5 == 0 {
			_, err = l.gov.CreateServiceRecord(ctx, &governancepb.CreateServiceRecordRequest{PartyMemberId: m.GetId(), ServiceRecord: &governancepb.ServiceRecord{
				Date: fmt.Sprintf("2021-%02d-%02d", 3+i%9, 1+i%27), Hours: float64(1 + i%4), Activity: "入户走访收集改造意见", CompoundId: cs[i%len(cs)].id,
			}, RequestId: fmt.Sprintf("demo-service-%d", i)})
		}
		return err
	}); err != nil {
		return err
	}
	l.count(func(s *Summary) { s.PartyMembers = PartyMembers })
	for _, d := range [][2]string{{"water", "东川区自来水公司"}, {"power", "东川区供电局"}, {"housing", "东川区住建局"}, {"urban", "东川区城市管理局"}, {"gas", "东川区燃气公司"}} {
		if _, err := l.gov.CreateDepartment(ctx, &governancepb.CreateDepartmentRequest{Department: &governancepb.Department{Id: d[0], Name: d[1]}, RequestId: "demo-department-" + d[0]}); err != nil {
			return fmt.Errorf("department: %w", err)
		}
	}
	// Whistles of the last weeks, each entered with when it happened (rule 15), so the
	// board shows what the district's would: urgent things marked urgent, some handled in
	// time and rated, some overdue and escalated, one report waiting for triage. The
	// times are fixed days, so a second run sends the same requests.
	day := func(d, h int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2026, time.November, d, h, 0, 0, 0, china))
	}
	whistles := []struct {
		category, text string
		deps           []string
		priority       governancepb.Whistle_Priority
		raised         *timestamppb.Timestamp
		ack, resolve   *timestamppb.Timestamp // nil: not (yet)
		score          int32                  // the community's rating once closed (0: open)
	}{
		{"DRAINAGE", "雨水井堵塞，院内积水", []string{"water", "urban"}, governancepb.Whistle_URGENT, day(10, 8), day(10, 9), day(10, 18), 5},
		{"SANITATION", "垃圾清运不及时", []string{"urban"}, governancepb.Whistle_NORMAL, day(12, 9), day(12, 15), day(13, 10), 4},
		{"WATER", "5号楼停水", []string{"water"}, governancepb.Whistle_NORMAL, day(16, 7), day(17, 16), day(18, 12), 3},
		{"POWER", "楼道电线老化，有漏电隐患", []string{"power"}, governancepb.Whistle_URGENT, day(24, 10), day(24, 11), nil, 0},
		{"ROAD", "路面塌陷", []string{"housing"}, governancepb.Whistle_NORMAL, day(25, 9), nil, nil, 0},
		{"GAS", "楼道燃气管道有异味", []string{"gas", "housing"}, governancepb.Whistle_URGENT, day(28, 20), nil, nil, 0},
	}
	for j, w := range whistles {
		c := cs[j*7]
		wh, err := l.gov.CreateWhistle(ctx, &governancepb.CreateWhistleRequest{Whistle: &governancepb.Whistle{
			CompoundId: c.id, Category: w.category, Description: w.text, DepartmentIds: w.deps, Priority: w.priority,
		}, EffectiveTime: w.raised, RequestId: fmt.Sprintf("demo-whistle-%d", j)})
		if err != nil {
			return fmt.Errorf("whistle: %w", err)
		}
		l.count(func(s *Summary) { s.Whistles++ })
		for _, d := range w.deps {
			if w.ack != nil {
				if _, err := l.gov.AcknowledgeWhistle(ctx, &governancepb.AcknowledgeWhistleRequest{Id: wh.GetId(), DepartmentId: d, Remarks: "已派人到场", EffectiveTime: w.ack, RequestId: fmt.Sprintf("demo-whistle-%d-ack-%s", j, d)}); err != nil {
					return fmt.Errorf("acknowledge: %w", err)
				}
			}
			if w.resolve != nil {
				if _, err := l.gov.ResolveWhistle(ctx, &governancepb.ResolveWhistleRequest{Id: wh.GetId(), DepartmentId: d, Remarks: "已处理", EffectiveTime: w.resolve, RequestId: fmt.Sprintf("demo-whistle-%d-resolve-%s", j, d)}); err != nil {
					return fmt.Errorf("resolve: %w", err)
				}
			}
		}
		if w.score > 0 {
			var ratings []*governancepb.DepartmentRating
			for _, d := range w.deps {
				ratings = append(ratings, &governancepb.DepartmentRating{DepartmentId: d, Score: w.score})
			}
			closed := timestamppb.New(w.resolve.AsTime().Add(2 * time.Hour))
			if _, err := l.gov.CloseWhistle(ctx, &governancepb.CloseWhistleRequest{Id: wh.GetId(), Ratings: ratings, EffectiveTime: closed, RequestId: fmt.Sprintf("demo-whistle-%d-close", j)}); err != nil {
				return fmt.Errorf("close whistle: %w", err)
			}
		}
	}
	// A resident's report, waiting for the community to call the departments.
	if _, err := l.gov.ReportWhistle(ctx, &governancepb.ReportWhistleRequest{CompoundId: cs[0].id, HouseholdId: cs[0].households[0],
		Category: "PARKING", Description: "外来车辆长期占用消防通道", Address: "1栋北侧", EffectiveTime: day(30, 19), RequestId: "demo-whistle-report"}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	l.count(func(s *Summary) { s.Whistles++ })
	return nil
}
