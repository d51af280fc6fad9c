package peers

import (
	"context"
	"strings"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/finance/internal/app"
)

var _ app.HouseholdNamer = (*Peers)(nil)

// HouseholdNames names a compound's households for a collection list: building, unit
// and room, and the resident as governance shows them to the caller (masked for a role
// that does not need names, rule 13).
func (p *Peers) HouseholdNames(ctx context.Context, compoundID string) (map[string]app.HouseholdName, error) {
	buildings := map[string]string{}
	token := ""
	for {
		resp, err := p.governance.ListBuildings(ctx, &governancepb.ListBuildingsRequest{CompoundId: compoundID, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, translate(err, "governance ListBuildings")
		}
		for _, b := range resp.GetBuildings() {
			buildings[b.GetId()] = b.GetName()
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	out := map[string]app.HouseholdName{}
	for {
		resp, err := p.governance.ListHouseholds(ctx, &governancepb.ListHouseholdsRequest{CompoundId: compoundID, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, translate(err, "governance ListHouseholds")
		}
		for _, h := range resp.GetHouseholds() {
			label := buildings[h.GetBuildingId()]
			if h.GetUnit() != "" {
				label += " " + h.GetUnit() + "单元"
			}
			out[h.GetId()] = app.HouseholdName{Label: strings.TrimSpace(label + " " + h.GetRoom()), Resident: h.GetResidentName()}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}
