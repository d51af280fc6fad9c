package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

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
	for _, d := range [][2]string{{"water", "东川区自来水公司"}, {"power", "东川区供电局"}, {"housing", "东川区住建局"}, {"urban", "东川区城市管理局"}} {
		if _, err := l.gov.CreateDepartment(ctx, &governancepb.CreateDepartmentRequest{Department: &governancepb.Department{Id: d[0], Name: d[1]}, RequestId: "demo-department-" + d[0]}); err != nil {
			return fmt.Errorf("department: %w", err)
		}
	}
	whistles := []struct {
		category, text string
		deps           []string
		priority       governancepb.Whistle_Priority
		ack, resolve   bool
	}{
		{"DRAINAGE", "雨水井堵塞，院内积水", []string{"water", "urban"}, governancepb.Whistle_URGENT, true, true},
		{"POWER", "楼道电线老化", []string{"power"}, governancepb.Whistle_URGENT, true, false},
		{"ROAD", "路面塌陷", []string{"housing"}, governancepb.Whistle_NORMAL, false, false},
		{"SANITATION", "垃圾清运不及时", []string{"urban"}, governancepb.Whistle_NORMAL, true, true},
	}
	for j, w := range whistles {
		c := cs[j*7]
		wh, err := l.gov.CreateWhistle(ctx, &governancepb.CreateWhistleRequest{Whistle: &governancepb.Whistle{
			CompoundId: c.id, Category: w.category, Description: w.text, DepartmentIds: w.deps, Priority: w.priority,
		}, RequestId: fmt.Sprintf("demo-whistle-%d", j)})
		if err != nil {
			return fmt.Errorf("whistle: %w", err)
		}
		l.count(func(s *Summary) { s.Whistles++ })
		for _, d := range w.deps {
			if w.ack {
				if _, err := l.gov.AcknowledgeWhistle(ctx, &governancepb.AcknowledgeWhistleRequest{Id: wh.GetId(), DepartmentId: d, Remarks: "已派人到场", RequestId: fmt.Sprintf("demo-whistle-%d-ack-%s", j, d)}); err != nil {
					return fmt.Errorf("acknowledge: %w", err)
				}
			}
			if w.resolve {
				if _, err := l.gov.ResolveWhistle(ctx, &governancepb.ResolveWhistleRequest{Id: wh.GetId(), DepartmentId: d, Remarks: "已处理", RequestId: fmt.Sprintf("demo-whistle-%d-resolve-%s", j, d)}); err != nil {
					return fmt.Errorf("resolve: %w", err)
				}
			}
		}
		if w.resolve {
			var ratings []*governancepb.DepartmentRating
			for _, d := range w.deps {
				ratings = append(ratings, &governancepb.DepartmentRating{DepartmentId: d, Score: 5})
			}
			if _, err := l.gov.CloseWhistle(ctx, &governancepb.CloseWhistleRequest{Id: wh.GetId(), Ratings: ratings, RequestId: fmt.Sprintf("demo-whistle-%d-close", j)}); err != nil {
				return fmt.Errorf("close whistle: %w", err)
			}
		}
	}
	return nil
}
