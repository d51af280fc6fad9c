// Package peers is how the finance service asks its peers over gRPC: projects for a
// project's compound, budget and status; governance for households and their areas;
// survey for business-use resolutions; it implements app.Peers. NOT_FOUND becomes
// ledger.ErrNotFound, UNIMPLEMENTED becomes ledger.ErrPeerNotBuilt, UNAUTHENTICATED and
// PERMISSION_DENIED are marked app.ErrCallerRefused (keeping their status), other
// statuses pass through.
package peers

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/ledger"
)

// Peers answers from projects, governance and survey.
type Peers struct {
	projects   projectspb.ProjectsServiceClient
	governance governancepb.GovernanceServiceClient
	survey     surveypb.SurveyServiceClient
}

// New returns the peers over their connections (one connection may serve all three).
func New(projects, governance, survey grpc.ClientConnInterface) *Peers {
	return &Peers{
		projects:   projectspb.NewProjectsServiceClient(projects),
		governance: governancepb.NewGovernanceServiceClient(governance),
		survey:     surveypb.NewSurveyServiceClient(survey),
	}
}

var _ app.Peers = (*Peers)(nil)

func translate(err error, what string) error {
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound:
		return fmt.Errorf("%w: %s", ledger.ErrNotFound, status.Convert(err).Message())
	case codes.Unimplemented:
		return fmt.Errorf("%w: %s is not built in this version", ledger.ErrPeerNotBuilt, what)
	case codes.Unauthenticated, codes.PermissionDenied:
		return callerRefused{err}
	}
	return err
}

// callerRefused is a peer's refusal of the caller: app.ErrCallerRefused for the use
// cases, the peer's own status (unchanged) for the client.
type callerRefused struct{ error }

func (e callerRefused) Is(target error) bool { return target == app.ErrCallerRefused }

func (e callerRefused) GRPCStatus() *status.Status { return status.Convert(e.error) }

// Project returns a project's compound, budget and status.
func (p *Peers) Project(ctx context.Context, id string) (*app.Project, error) {
	pr, err := p.projects.GetProject(ctx, &projectspb.GetProjectRequest{Id: id})
	if err != nil {
		return nil, translate(err, "projects GetProject")
	}
	st := pr.GetStatus()
	return &app.Project{ID: pr.GetId(), CompoundID: pr.GetCompoundId(), BudgetFen: pr.GetBudgetFen(), Status: st.String(),
		Accepted: st == projectspb.Project_ACCEPTED || st == projectspb.Project_MAINTENANCE}, nil
}

// WorkItemExists reports whether a work item is an item of the project.
func (p *Peers) WorkItemExists(ctx context.Context, projectID, itemID string) (bool, error) {
	_, err := p.projects.GetWorkItem(ctx, &projectspb.GetWorkItemRequest{ProjectId: projectID, Id: itemID})
	if status.Code(err) == codes.NotFound {
		return false, nil
	}
	return err == nil, translate(err, "projects GetWorkItem")
}

// Households lists every household of a compound with its exclusive area.
func (p *Peers) Households(ctx context.Context, compoundID string) ([]ledger.Household, error) {
	var out []ledger.Household
	token := ""
	for {
		resp, err := p.governance.ListHouseholds(ctx, &governancepb.ListHouseholdsRequest{CompoundId: compoundID, PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, translate(err, "governance ListHouseholds")
		}
		for _, h := range resp.GetHouseholds() {
			out = append(out, ledger.Household{ID: h.GetId(), AreaCenti: centi(h.GetExclusiveAreaM2())})
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

func centi(m2 float64) int64 { return int64(m2*100 + 0.5) }

// HouseholdCompound returns the compound of a household, or ledger.ErrNotFound.
func (p *Peers) HouseholdCompound(ctx context.Context, id string) (string, error) {
	h, err := p.governance.GetHousehold(ctx, &governancepb.GetHouseholdRequest{Id: id})
	if err != nil {
		return "", translate(err, "governance GetHousehold")
	}
	return h.GetCompoundId(), nil
}

// CompoundExists reports whether governance knows a compound.
func (p *Peers) CompoundExists(ctx context.Context, id string) (bool, error) {
	_, err := p.governance.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: id})
	if status.Code(err) == codes.NotFound {
		return false, nil
	}
	return err == nil, translate(err, "governance GetCompound")
}

// BusinessResolution reads a resolution for rule 10 (income from common parts needs a
// passed business-use resolution).
func (p *Peers) BusinessResolution(ctx context.Context, compoundID, surveyID string) (ledger.ResolutionFacts, error) {
	var f ledger.ResolutionFacts
	s, err := p.survey.GetSurvey(ctx, &surveypb.GetSurveyRequest{Id: surveyID})
	if status.Code(err) == codes.NotFound {
		return f, nil
	}
	if err != nil {
		return f, translate(err, "survey GetSurvey")
	}
	f.Found = true
	f.OfCompound = s.GetCompoundId() == compoundID
	f.BusinessUse = s.GetKind() == surveypb.Survey_RESOLUTION && s.GetMatter() == surveypb.Survey_COMMON_PART_BUSINESS
	if !f.OfCompound || !f.BusinessUse {
		return f, nil
	}
	r, err := p.survey.GetResolutionResult(ctx, &surveypb.GetResolutionResultRequest{SurveyId: surveyID})
	if err != nil {
		return f, translate(err, "survey GetResolutionResult")
	}
	f.Passed, f.Figures = r.GetPassed(), r.GetReasons()
	for _, u := range s.GetBusinessUses() {
		f.Uses = append(f.Uses, u.String())
	}
	return f, nil
}
