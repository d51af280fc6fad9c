package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

var (
	communityNames = []string{"沙坝社区", "新村社区", "白云社区", "碧谷社区", "铜苑社区", "桥头社区", "汤丹社区", "东风社区"}
	streets        = []string{"石羊路", "铜都大道", "白云路", "新村路", "碧谷街", "东风路", "桥头街", "汤丹路", "建设路", "人民路", "北门街", "南屏路"}
	owningUnits    = []string{"东川砖瓦厂", "东川矿务局", "铜都机械厂", "东川供销社", "区粮食局", "东川水泥厂"}
	managers       = []string{"锦江物业", "万家物业", "铜城物业"}
	surnames       = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐")
	givenNames     = []rune("建国华明丽芳强军秀英伟静敏桂兰玉珍志勇秀梅")
)

// compound is what the loader keeps of a compound it made.
type compound struct {
	id, name, community string
	buildings           []string
	households          []string // ids
	areas               []float64
	buildingOf          []string
}

// district makes the regions: the district, the sub-district and its communities.
func (l *loader) district(ctx context.Context) (string, []string, error) {
	d, err := l.gov.CreateRegion(ctx, &governancepb.CreateRegionRequest{Region: &governancepb.Region{Name: DistrictName, Level: governancepb.Region_DISTRICT}, RequestId: "demo-district"})
	if err != nil {
		return "", nil, fmt.Errorf("district: %w", err)
	}
	s, err := l.gov.CreateRegion(ctx, &governancepb.CreateRegionRequest{Region: &governancepb.Region{Name: SubdistrictNam, Level: governancepb.Region_SUBDISTRICT, Parent: d.GetId()}, RequestId: "demo-subdistrict"})
	if err != nil {
		return "", nil, fmt.Errorf("sub-district: %w", err)
	}
	var communities []string
	for i, name := range communityNames {
		c, err := l.gov.CreateRegion(ctx, &governancepb.CreateRegionRequest{Region: &governancepb.Region{Name: name, Level: governancepb.Region_COMMUNITY, Parent: s.GetId()}, RequestId: fmt.Sprintf("demo-community-%d", i)})
		if err != nil {
			return "", nil, fmt.Errorf("community %s: %w", name, err)
		}
		communities = append(communities, c.GetId())
	}
	l.count(func(s *Summary) { s.DistrictID, s.Regions = d.GetId(), 2+len(communities) })
	return d.GetId(), communities, nil
}

// spec is a compound to be made.
type spec struct {
	name, community     string
	buildYear           int32
	owningUnit, manager string
	committee           bool
	facilities          []*governancepb.Facility
	buildings, units    int
	roomsPerUnit        int
	heritage            string
	demonstration       bool
}

// specs draws the synthetic compounds (the story's comes first, as the article has it).
func (l *loader) specs(communities []string) []spec {
	story := spec{
		name: "石羊路21号院", community: communities[0], buildYear: 1986, owningUnit: "东川砖瓦厂", // a work-unit compound with no property manager
		facilities: []*governancepb.Facility{
			{Kind: governancepb.Facility_ROADS, Condition: governancepb.Facility_POOR, Notes: "968平方米路面破损"},
			{Kind: governancepb.Facility_DRAINS, Condition: governancepb.Facility_POOR, Notes: "排水不畅，7个雨污井盖破损"},
			{Kind: governancepb.Facility_LIGHTING, Condition: governancepb.Facility_POOR, Notes: "8个单元楼道灯不亮"},
			{Kind: governancepb.Facility_STAIRWELLS, Condition: governancepb.Facility_FAIR},
			{Kind: governancepb.Facility_EV_CHARGING, Condition: governancepb.Facility_POOR},
			{Kind: governancepb.Facility_ACCESSIBILITY, Condition: governancepb.Facility_POOR, Notes: "有残障居民，无坡道"},
		},
		buildings: 8, units: 2, roomsPerUnit: 4, heritage: "保留瓷砖镶嵌外墙，不刷白", demonstration: true,
	}
	out := []spec{story}
	seen := map[string]bool{story.name: true}
	kinds := []governancepb.Facility_Kind{governancepb.Facility_WATER_PIPES, governancepb.Facility_DRAINS, governancepb.Facility_ROADS,
		governancepb.Facility_ELECTRICITY, governancepb.Facility_FIRE_SAFETY, governancepb.Facility_ROOF_AND_WALLS, governancepb.Facility_STAIRWELLS,
		governancepb.Facility_LIGHTING, governancepb.Facility_GREENING, governancepb.Facility_PARKING, governancepb.Facility_EV_CHARGING,
		governancepb.Facility_ACCESSIBILITY}
	for len(out) < Compounds {
		name := fmt.Sprintf("%s%d号院", streets[l.rnd.IntN(len(streets))], 1+l.rnd.IntN(199))
		if seen[name] {
			continue
		}
		seen[name] = true
		// An old town's compounds: built before 2000, from a courtyard of a few households
		// to a factory's estate of a hundred and more.
		s := spec{name: name, community: communities[l.rnd.IntN(len(communities))], buildYear: int32(1962 + l.rnd.IntN(38)),
			buildings: 1 + l.rnd.IntN(6), units: 1 + l.rnd.IntN(3), roomsPerUnit: 4 + l.rnd.IntN(7)}
		switch l.rnd.IntN(10) {
		case 0, 1, 2:
			s.owningUnit = owningUnits[l.rnd.IntN(len(owningUnits))]
		case 3:
			s.manager = managers[l.rnd.IntN(len(managers))]
		case 4:
			s.committee = true
		}
		// A compound built earlier has, on the whole, poorer facilities.
		age := float64(2005-int(s.buildYear)) / 30
		for _, k := range kinds {
			if l.rnd.IntN(3) == 0 {
				continue
			}
			c := governancepb.Facility_GOOD
			switch r := l.rnd.Float64() + age/2; {
			case r > 1.0:
				c = governancepb.Facility_POOR
			case r > 0.6:
				c = governancepb.Facility_FAIR
			}
			s.facilities = append(s.facilities, &governancepb.Facility{Kind: k, Condition: c})
		}
		out = append(out, s)
	}
	return out
}

// makeCompound registers a compound with its buildings and households, and classifies it.
func (l *loader) makeCompound(ctx context.Context, i int, s spec) (*compound, error) {
	c, err := l.gov.CreateCompound(ctx, &governancepb.CreateCompoundRequest{Compound: &governancepb.Compound{
		Name: s.name, Address: "云南省昆明市东川区" + s.name, CommunityId: s.community, BuildYear: s.buildYear,
		Facilities: s.facilities, OwningUnit: s.owningUnit, PropertyManager: s.manager, SelfManagementCommittee: s.committee,
		HeritageNotes: s.heritage, DemonstrationSite: s.demonstration,
	}, RequestId: fmt.Sprintf("demo-compound-%d", i)})
	if err != nil {
		return nil, fmt.Errorf("compound %s: %w", s.name, err)
	}
	mode := governancepb.Compound_SELF_GOVERNANCE
	if s.manager != "" {
		mode = governancepb.Compound_INTRODUCE_PM
	}
	if _, err := l.gov.ClassifyCompound(ctx, &governancepb.ClassifyCompoundRequest{Id: c.GetId(), GovernanceMode: mode, DecidedBy: "社区党委", RequestId: fmt.Sprintf("demo-classify-%d", i)}); err != nil {
		return nil, fmt.Errorf("classify %s: %w", s.name, err)
	}
	out := &compound{id: c.GetId(), name: s.name, community: s.community}
	// Each compound draws from its own source, so the district is the same however the
	// compounds are spread over workers.
	rnd := rand.New(rand.NewPCG(2021, uint64(i)))
	var hs []*governancepb.Household
	for b := 1; b <= s.buildings; b++ {
		bl, err := l.gov.CreateBuilding(ctx, &governancepb.CreateBuildingRequest{CompoundId: c.GetId(), Building: &governancepb.Building{Name: fmt.Sprintf("%d栋", b), UnitCount: int32(s.units), FloorCount: 5}, RequestId: fmt.Sprintf("demo-building-%d-%d", i, b)})
		if err != nil {
			return nil, fmt.Errorf("building of %s: %w", s.name, err)
		}
		out.buildings = append(out.buildings, bl.GetId())
		for u := 1; u <= s.units; u++ {
			for r := 1; r <= s.roomsPerUnit; r++ {
				area := float64(40+rnd.IntN(70)) + float64(rnd.IntN(4))*0.25
				hs = append(hs, &governancepb.Household{
					BuildingId: bl.GetId(), Unit: fmt.Sprint(u), Room: fmt.Sprintf("%d0%d", 1+(r-1)/2, 1+(r-1)%2),
					ExclusiveAreaM2: area, ResidentName: personName(rnd), Phone: fmt.Sprintf("13%09d", rnd.IntN(1_000_000_000)),
					PartyMember: rnd.IntN(8) == 0, NeedsAccessibility: rnd.IntN(25) == 0,
				})
				out.areas = append(out.areas, area)
				out.buildingOf = append(out.buildingOf, bl.GetId())
			}
		}
	}
	created, err := l.gov.BatchCreateHouseholds(ctx, &governancepb.BatchCreateHouseholdsRequest{CompoundId: c.GetId(), Households: hs, RequestId: fmt.Sprintf("demo-households-%d", i)})
	if err != nil {
		return nil, fmt.Errorf("households of %s: %w", s.name, err)
	}
	for _, h := range created.GetHouseholds() {
		out.households = append(out.households, h.GetId())
	}
	l.count(func(sm *Summary) { sm.Compounds++; sm.Households += len(out.households) })
	return out, nil
}

// personName draws a plausible Chinese name.
func personName(rnd *rand.Rand) string {
	return string(surnames[rnd.IntN(len(surnames))]) + string(givenNames[rnd.IntN(len(givenNames))]) + string(givenNames[rnd.IntN(len(givenNames))])
}
