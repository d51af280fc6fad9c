package api

import (
	"context"
	"sort"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/registry"
)

// GetRegionStatistics reports the compounds under a region from its running counters.
func (s *Server) GetRegionStatistics(ctx context.Context, req *pb.GetRegionStatisticsRequest) (*pb.RegionStatistics, error) {
	st, err := s.app.GetRegionStatistics(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return statisticsToPB(st), nil
}

func statisticsToPB(st registry.RegionStatistics) *pb.RegionStatistics {
	out := &pb.RegionStatistics{RegionId: st.RegionID, Compounds: st.Compounds, Households: st.Households, Buildings: st.Buildings}
	for _, s := range registry.Statuses {
		out.ByStatus = append(out.ByStatus, &pb.RegionStatistics_StatusCount{Status: pb.Compound_Status(s), Compounds: st.ByStatus[s]})
	}
	for _, m := range registry.ManagementTypes {
		out.ByManagementType = append(out.ByManagementType, &pb.RegionStatistics_ManagementTypeCount{ManagementType: pb.Compound_ManagementType(m), Compounds: st.ByManagement[m]})
	}
	for ys, n := range st.Entered {
		out.EnteredByYear = append(out.EnteredByYear, &pb.RegionStatistics_YearStatusCount{Year: int32(ys.Year), Status: pb.Compound_Status(ys.Status), Compounds: n})
	}
	sort.Slice(out.EnteredByYear, func(i, j int) bool {
		a, b := out.EnteredByYear[i], out.EnteredByYear[j]
		if a.Year != b.Year {
			return a.Year < b.Year
		}
		return a.Status < b.Status
	})
	return out
}
