// Package placement teaches a service's resolver where the registry's resources lie
// (regions, compounds, households), by asking the governance service that owns them.
// Every service that names compounds in its requests needs it; it lives here, beside
// auth, so that auth itself knows no service's contract.
package placement

import (
	"context"

	"google.golang.org/grpc"

	"tongdu/platform/auth"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// TeachRegistry teaches r the registry's kinds (regions, compounds, households) by asking
// the governance service over conn, unless governance runs in the same process and taught
// them itself. The calls carry the caller's token; reading where a compound or region
// lies is allowed to every role.
func TeachRegistry(r *auth.Resolver, conn grpc.ClientConnInterface) {
	c := governancepb.NewGovernanceServiceClient(conn)
	r.TeachIfAbsent("regions", func(ctx context.Context, id string) ([]string, error) {
		reg, err := c.GetRegion(ctx, &governancepb.GetRegionRequest{Id: id})
		if err != nil || reg.GetParent() == "" {
			return nil, err
		}
		return []string{"regions/" + reg.GetParent()}, nil
	})
	r.TeachIfAbsent("compounds", func(ctx context.Context, id string) ([]string, error) {
		cp, err := c.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
		if err != nil {
			return nil, err
		}
		return []string{"regions/" + cp.GetCommunityId()}, nil
	})
	r.TeachIfAbsent("households", func(ctx context.Context, id string) ([]string, error) {
		hs, err := c.BatchGetHouseholds(ctx, &governancepb.BatchGetHouseholdsRequest{Ids: []string{id}})
		if err != nil || len(hs.GetHouseholds()) == 0 {
			return nil, err
		}
		h := hs.GetHouseholds()[0]
		return []string{"compounds/" + h.GetCompoundId(), "buildings/" + h.GetBuildingId()}, nil
	})
}
