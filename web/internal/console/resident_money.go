package console

import (
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/web/internal/view"
)

// A resident's quotas (rule 8): for each project of the compound whose funding plan
// asks the households to contribute, the household's own quota, what it has paid and
// what is still due. The finance service lets a resident read only their own line
// (GetHouseholdQuota), never the collection list.
func init() {
	residentRoute("GET /r/money", (*Server).residentMoney)
	addResidentCard(20, "money", "/r/money")
}

func (s *Server) residentMoney(w http.ResponseWriter, r *http.Request) {
	ctx, own := call(r), residentOwn(r)
	projects, err := s.residentProjects(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v view.ResidentMoney
	for _, pr := range projects {
		q, err := s.c.Finance.GetHouseholdQuota(ctx, &financepb.GetHouseholdQuotaRequest{ProjectId: pr.GetId(), HouseholdId: own})
		switch status.Code(err) {
		case codes.OK:
		case codes.NotFound:
			// No funding plan yet, or one that asks nothing of this household.
			continue
		default:
			s.fail(w, r, err)
			return
		}
		v.Rows = append(v.Rows, residentQuotaRow(pr, q))
	}
	p := s.residentPage(r, "resident.money.title", "money")
	s.render(w, r, http.StatusOK, view.ResidentMoneyPage(p, v))
}

// residentQuotaRow is a project's line of the household's quotas: what is still due is
// the quota less what was paid, never below nothing.
func residentQuotaRow(pr *projectspb.Project, q *financepb.HouseholdQuota) view.ResidentQuota {
	return view.ResidentQuota{ProjectID: pr.GetId(), Project: pr.GetTitle(), QuotaFen: q.GetQuotaFen(), PaidFen: q.GetPaidFen(),
		DueFen: max(0, q.GetQuotaFen()-q.GetPaidFen()), Status: q.GetStatus().String()}
}

// residentProjects are the projects of the visitor's compound, newest year first.
func (s *Server) residentProjects(r *http.Request) ([]*projectspb.Project, error) {
	h, err := s.residentHousehold(r)
	if err != nil {
		return nil, err
	}
	ps, err := listAll(func(tok string) ([]*projectspb.Project, string, error) {
		got, err := s.c.Projects.ListProjects(call(r), &projectspb.ListProjectsRequest{CompoundId: h.GetCompoundId(), PageSize: 1000, PageToken: tok})
		return got.GetProjects(), got.GetNextPageToken(), err
	})
	if err != nil {
		return nil, err
	}
	residentNewestFirst(ps)
	return ps, nil
}
