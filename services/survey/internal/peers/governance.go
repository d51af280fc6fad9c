// Package peers is how the survey service asks the governance service, over gRPC, about
// compounds and households: Governance implements app.Registry. It turns the answers
// into the plain facts the survey rules need, and governance's NOT_FOUND into opinion.ErrNotFound; other statuses (UNAVAILABLE
// when governance is down) pass through unchanged.
package peers

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/survey/internal/app"
	"tongdu/services/survey/internal/opinion"
)

// Governance answers from the governance service.
type Governance struct {
	client pb.GovernanceServiceClient
}

var _ app.Registry = (*Governance)(nil)

// NewGovernance returns a client over conn.
func NewGovernance(conn grpc.ClientConnInterface) *Governance {
	return &Governance{client: pb.NewGovernanceServiceClient(conn)}
}

func notFound(err error) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%w: %s", opinion.ErrNotFound, status.Convert(err).Message())
	}
	return err
}

// Compound returns a compound's facts, or opinion.ErrNotFound.
func (g *Governance) Compound(ctx context.Context, id string) (*app.Compound, error) {
	c, err := g.client.GetCompound(ctx, &pb.GetCompoundRequest{Id: id})
	if err != nil {
		return nil, notFound(err)
	}
	return compoundOf(c), nil
}

func compoundOf(c *pb.Compound) *app.Compound {
	out := &app.Compound{
		ID: c.GetId(), Name: c.GetName(), BuildYear: int(c.GetBuildYear()), RegionPath: c.GetRegionPath(),
		Households: int(c.GetHouseholdCount()), Area: centi(c.GetTotalExclusiveAreaM2()),
		Status: opinion.CompoundStatus(c.GetStatus()),
	}
	for _, f := range c.GetFacilities() {
		out.Conditions = append(out.Conditions, opinion.Condition(f.GetCondition()))
	}
	return out
}

// centi converts m² (as governance shows them, to the hundredth) back to hundredths.
func centi(m2 float64) int64 {
	if m2 < 0 {
		return int64(m2*100 - 0.5)
	}
	return int64(m2*100 + 0.5)
}

// Households returns the households asked for by id; unknown ones are absent.
func (g *Governance) Households(ctx context.Context, ids []string) (map[string]app.Household, error) {
	seen := make(map[string]bool, len(ids))
	uniq := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	out := make(map[string]app.Household, len(uniq))
	for start := 0; start < len(uniq); start += 1000 {
		batch := uniq[start:min(start+1000, len(uniq))]
		resp, err := g.client.BatchGetHouseholds(ctx, &pb.BatchGetHouseholdsRequest{Ids: batch})
		if status.Code(err) == codes.NotFound {
			// Governance names one unknown id; ask one by one to learn which are known.
			for _, id := range batch {
				h, err := g.client.GetHousehold(ctx, &pb.GetHouseholdRequest{Id: id})
				if status.Code(err) == codes.NotFound {
					continue
				}
				if err != nil {
					return nil, err
				}
				out[id] = app.Household{ID: id, CompoundID: h.GetCompoundId(), Area: centi(h.GetExclusiveAreaM2())}
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, h := range resp.GetHouseholds() {
			out[h.GetId()] = app.Household{ID: h.GetId(), CompoundID: h.GetCompoundId(), Area: centi(h.GetExclusiveAreaM2())}
		}
	}
	return out, nil
}

// HouseholdsIn calls each with successive pages of a compound's households.
func (g *Governance) HouseholdsIn(ctx context.Context, compoundID string, each func([]app.Household) error) error {
	token := ""
	for {
		resp, err := g.client.ListHouseholds(ctx, &pb.ListHouseholdsRequest{CompoundId: compoundID, PageSize: 1000, PageToken: token})
		if err != nil {
			return notFound(err)
		}
		page := make([]app.Household, len(resp.GetHouseholds()))
		for i, h := range resp.GetHouseholds() {
			page[i] = app.Household{ID: h.GetId(), CompoundID: h.GetCompoundId(), Area: centi(h.GetExclusiveAreaM2())}
		}
		if err := each(page); err != nil {
			return err
		}
		if token = resp.GetNextPageToken(); token == "" {
			return nil
		}
	}
}

// CheckRegion returns opinion.ErrNotFound for an unknown region.
func (g *Governance) CheckRegion(ctx context.Context, id string) error {
	_, err := g.client.GetRegion(ctx, &pb.GetRegionRequest{Id: id})
	return notFound(err)
}

// CompoundsUnder calls each with successive pages of the compounds under a region.
func (g *Governance) CompoundsUnder(ctx context.Context, region string, each func([]*app.Compound) error) error {
	token := ""
	for {
		resp, err := g.client.ListCompounds(ctx, &pb.ListCompoundsRequest{RegionId: region, PageSize: 1000, PageToken: token})
		if err != nil {
			return notFound(err)
		}
		page := make([]*app.Compound, len(resp.GetCompounds()))
		for i, c := range resp.GetCompounds() {
			page[i] = compoundOf(c)
		}
		if err := each(page); err != nil {
			return err
		}
		if token = resp.GetNextPageToken(); token == "" {
			return nil
		}
	}
}
