package peers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/projects/internal/works"
)

// Board asks the owners of what notices publish: governance for names, doors,
// elections and conventions, finance for shares and disclosures, survey for resolution
// results. It turns their answers into figures and tables without personal data.
type Board struct {
	survey     surveypb.SurveyServiceClient
	finance    financepb.FinanceServiceClient
	governance governancepb.GovernanceServiceClient
}

// notFoundAs turns a peer's NOT_FOUND into works.ErrNotFound naming what was asked.
func notFoundAs(err error, what, id string) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%w: %s %s", works.ErrNotFound, what, id)
	}
	return err
}

func fen(v int64) string { return strconv.FormatInt(v, 10) }
func num(v int32) string { return strconv.Itoa(int(v)) }

// CompoundNames reads the compound's and its community's names.
func (b Board) CompoundNames(ctx context.Context, compoundID string) (string, string, error) {
	c, err := b.governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: compoundID})
	if err != nil {
		return "", "", notFoundAs(err, "compound", compoundID)
	}
	community := ""
	if c.GetCommunityId() != "" {
		r, err := b.governance.GetRegion(ctx, &governancepb.GetRegionRequest{Id: c.GetCommunityId()})
		if err != nil && status.Code(err) != codes.NotFound {
			return "", "", err
		}
		community = r.GetName()
	}
	return c.GetName(), community, nil
}

// PlanShares reads the funding plan's residents' quota and each household's share.
func (b Board) PlanShares(ctx context.Context, projectID string) (works.PlanShares, error) {
	p, err := b.finance.GetFundingPlan(ctx, &financepb.GetFundingPlanRequest{ProjectId: projectID})
	if status.Code(err) == codes.NotFound {
		return works.PlanShares{}, nil
	}
	if err != nil {
		return works.PlanShares{}, notBuilt(err, "finance GetFundingPlan")
	}
	if p.GetQuota() == nil {
		return works.PlanShares{}, nil
	}
	out := works.PlanShares{HasPlan: true, FlatFen: p.GetQuota().GetFlatFen(), PerM2Fen: p.GetQuota().GetPerM2Fen(), TargetFen: p.GetTargetFen(), Shares: map[string]int64{}}
	token := ""
	for {
		c, err := b.finance.GetCollection(ctx, &financepb.GetCollectionRequest{ProjectId: projectID, PageSize: 1000, PageToken: token})
		if err != nil {
			return works.PlanShares{}, notBuilt(err, "finance GetCollection")
		}
		for _, h := range c.GetHouseholds() {
			out.Shares[h.GetHouseholdId()] = h.GetQuotaFen()
		}
		if token = c.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// Places reads where households live: building name, unit, room and area, nothing more.
func (b Board) Places(ctx context.Context, householdIDs []string) (map[string]works.Place, error) {
	out := make(map[string]works.Place, len(householdIDs))
	buildings := map[string]string{}
	for start := 0; start < len(householdIDs); start += 1000 {
		ids := householdIDs[start:min(start+1000, len(householdIDs))]
		resp, err := b.governance.BatchGetHouseholds(ctx, &governancepb.BatchGetHouseholdsRequest{Ids: ids})
		if err != nil {
			return nil, err
		}
		for _, h := range resp.GetHouseholds() {
			name, ok := buildings[h.GetBuildingId()]
			if !ok {
				bd, err := b.governance.GetBuilding(ctx, &governancepb.GetBuildingRequest{Id: h.GetBuildingId()})
				if err != nil && status.Code(err) != codes.NotFound {
					return nil, err
				}
				name = bd.GetName()
				buildings[h.GetBuildingId()] = name
			}
			out[h.GetId()] = works.Place{Building: name, Unit: h.GetUnit(), Room: h.GetRoom(), AreaM2: h.GetExclusiveAreaM2()}
		}
	}
	return out, nil
}

// FundDisclosure reads finance's public disclosure of a project's money.
func (b Board) FundDisclosure(ctx context.Context, projectID string) ([]works.NoticeFigure, []works.NoticeTable, error) {
	d, err := b.finance.GetProjectDisclosure(ctx, &financepb.GetProjectDisclosureRequest{ProjectId: projectID})
	if err != nil {
		return nil, nil, notFoundAs(err, "disclosure of project", projectID)
	}
	figures := []works.NoticeFigure{
		{Key: "budgetFen", Value: fen(d.GetBudgetFen())}, {Key: "committedFen", Value: fen(d.GetCommittedTotalFen())},
		{Key: "receivedFen", Value: fen(d.GetReceivedTotalFen())}, {Key: "households", Value: num(d.GetHouseholdCount())},
		{Key: "paidHouseholds", Value: num(d.GetPaidHouseholds())}, {Key: "collectedFen", Value: fen(d.GetCollectedFen())},
		{Key: "targetFen", Value: fen(d.GetTargetFen())}, {Key: "disbursedFen", Value: fen(d.GetDisbursedTotalFen())},
		{Key: "fundBalanceFen", Value: fen(d.GetFundBalanceFen())},
	}
	sources := works.NoticeTable{Key: "sources", Columns: []string{"party", "committedFen", "receivedFen"}}
	for _, s := range d.GetSourcesByParty() {
		sources.Rows = append(sources.Rows, []string{s.GetParty().String(), fen(s.GetCommittedFen()), fen(s.GetReceivedFen())})
	}
	payees := works.NoticeTable{Key: "payees", Columns: []string{"payee", "contractFen", "paidFen", "heldFen"}}
	for _, p := range d.GetSpendingByPayee() {
		payees.Rows = append(payees.Rows, []string{p.GetPayee(), fen(p.GetContractAmountFen()), fen(p.GetPaidFen()), fen(p.GetHeldFen())})
	}
	return figures, []works.NoticeTable{sources, payees}, nil
}

// ResolutionResult reads a resolution's result with every figure behind it (rule 3).
func (b Board) ResolutionResult(ctx context.Context, compoundID, surveyID string) ([]works.NoticeFigure, []works.NoticeTable, error) {
	s, err := b.survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: surveyID})
	if err != nil {
		return nil, nil, notFoundAs(err, "survey", surveyID)
	}
	if s.GetCompoundId() != compoundID || s.GetKind() != surveypb.Survey_RESOLUTION {
		return nil, nil, fmt.Errorf("%w: resolution %s of compound %s", works.ErrNotFound, surveyID, compoundID)
	}
	r, err := b.survey.GetResolutionResult(ctx, &surveypb.GetResolutionResultRequest{SurveyId: surveyID})
	if err != nil {
		return nil, nil, notBuilt(err, "survey GetResolutionResult")
	}
	figures := []works.NoticeFigure{
		{Key: "title", Value: s.GetTitle()}, {Key: "matter", Value: s.GetMatter().String()},
		{Key: "state", Value: s.GetState().String()}, {Key: "passed", Value: strconv.FormatBool(r.GetPassed())},
	}
	reasons := works.NoticeTable{Key: "reasons", Columns: []string{"reason"}}
	for _, line := range r.GetReasons() {
		reasons.Rows = append(reasons.Rows, []string{line})
	}
	return figures, []works.NoticeTable{reasons}, nil
}

// ElectionResult reads a building leader election's turnout and result (rule 12); the
// candidates are shown by their doors, not their names.
func (b Board) ElectionResult(ctx context.Context, compoundID, electionID string) ([]works.NoticeFigure, []works.NoticeTable, error) {
	e, err := b.governance.GetLeaderElection(ctx, &governancepb.GetLeaderElectionRequest{Id: electionID})
	if err != nil {
		return nil, nil, notFoundAs(err, "election", electionID)
	}
	bd, err := b.governance.GetBuilding(ctx, &governancepb.GetBuildingRequest{Id: e.GetBuildingId()})
	if err != nil {
		return nil, nil, notFoundAs(err, "building", e.GetBuildingId())
	}
	if bd.GetCompoundId() != compoundID {
		return nil, nil, fmt.Errorf("%w: election %s of compound %s", works.ErrNotFound, electionID, compoundID)
	}
	places, err := b.Places(ctx, e.GetCandidateHouseholdIds())
	if err != nil {
		return nil, nil, err
	}
	door := func(id string) string {
		p := places[id]
		return p.Building + " " + p.Unit + " " + p.Room
	}
	figures := []works.NoticeFigure{
		{Key: "building", Value: bd.GetName()}, {Key: "unit", Value: e.GetUnit()}, {Key: "state", Value: e.GetState().String()},
		{Key: "votedHouseholds", Value: num(e.GetVotedHouseholds())}, {Key: "eligibleHouseholds", Value: num(e.GetEligibleHouseholds())},
		{Key: "turnout", Value: strconv.FormatFloat(e.GetTurnout(), 'f', 4, 64)}, {Key: "tie", Value: strconv.FormatBool(e.GetTie())},
	}
	if w := e.GetWinnerHouseholdId(); w != "" {
		figures = append(figures, works.NoticeFigure{Key: "winner", Value: door(w)})
	}
	votes := works.NoticeTable{Key: "votes", Columns: []string{"candidate", "votes"}}
	for _, v := range e.GetVotes() {
		votes.Rows = append(votes.Rows, []string{door(v.GetCandidateHouseholdId()), num(v.GetVotes())})
	}
	return figures, []works.NoticeTable{votes}, nil
}

// Convention reads a convention of the compound: its kind, version, adoption and text.
func (b Board) Convention(ctx context.Context, compoundID, conventionID string) ([]works.NoticeFigure, []works.NoticeTable, error) {
	token := ""
	for {
		resp, err := b.governance.ListConventions(ctx, &governancepb.ListConventionsRequest{CompoundId: compoundID, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, nil, err
		}
		for _, c := range resp.GetConventions() {
			if c.GetId() != conventionID {
				continue
			}
			figures := []works.NoticeFigure{
				{Key: "title", Value: c.GetTitle()}, {Key: "conventionKind", Value: c.GetKind().String()},
				{Key: "version", Value: num(c.GetVersion())}, {Key: "adopted", Value: strconv.FormatBool(c.GetAdopted())},
			}
			if c.GetAdoptTime() != nil {
				figures = append(figures, works.NoticeFigure{Key: "adoptTime", Value: c.GetAdoptTime().AsTime().Format(time.RFC3339)})
			}
			return figures, []works.NoticeTable{{Key: "text", Columns: []string{"text"}, Rows: [][]string{{c.GetText()}}}}, nil
		}
		if token = resp.GetNextPageToken(); token == "" {
			return nil, nil, fmt.Errorf("%w: convention %s of compound %s", works.ErrNotFound, conventionID, compoundID)
		}
	}
}
