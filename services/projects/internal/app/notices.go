package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/services/projects/internal/works"
)

// NoticeStore is what the notice board needs of storage. LatestPlanNotice answers nil
// when the project's plan was never posted.
type NoticeStore interface {
	CreateNotice(ctx context.Context, n works.Notice) error
	GetNotice(ctx context.Context, id string) (*works.Notice, error)
	// UpdateNotice writes n if its stored revision is still n.Revision (works.ErrConflict
	// otherwise).
	UpdateNotice(ctx context.Context, n works.Notice) error
	ListNotices(ctx context.Context, compoundID string, match func(*works.Notice) bool, token string, size int) ([]works.Notice, string, error)
	LatestPlanNotice(ctx context.Context, projectID string) (*works.Notice, error)
}

// Board answers for what a notice publishes, from the services that own it. Each
// answer holds no personal data.
type Board interface {
	// CompoundNames: the compound's and its community's names; works.ErrNotFound for a
	// compound the registry does not know.
	CompoundNames(ctx context.Context, compoundID string) (compound, community string, err error)
	PlanShares(ctx context.Context, projectID string) (works.PlanShares, error)
	Places(ctx context.Context, householdIDs []string) (map[string]works.Place, error)
	FundDisclosure(ctx context.Context, projectID string) ([]works.NoticeFigure, []works.NoticeTable, error)
	ResolutionResult(ctx context.Context, compoundID, surveyID string) ([]works.NoticeFigure, []works.NoticeTable, error)
	ElectionResult(ctx context.Context, compoundID, electionID string) ([]works.NoticeFigure, []works.NoticeTable, error)
	Convention(ctx context.Context, compoundID, conventionID string) ([]works.NoticeFigure, []works.NoticeTable, error)
}

// CreateNotice posts a notice on a compound's board: what it publishes is taken now from
// its subject's owner and frozen. A PLAN publishes the project's items in the order of
// works, its budget and each household's share (rule 14); its period is at least the
// configured one.
func (a *App) CreateNotice(ctx context.Context, in works.Notice, rq Request) (works.Notice, error) {
	n, err := works.ScheduleNotice(in, a.now(), a.noticePeriod)
	if err != nil {
		return works.Notice{}, err
	}
	ids, replayed, err := a.claim(ctx, "CreateNotice", rq, 1)
	if err != nil {
		return works.Notice{}, err
	}
	if replayed {
		if got, err := a.store.GetNotice(ctx, ids[0]); err == nil {
			return shown(got), nil
		}
	}
	n.ID, n.RequestID, n.CreateAccount = ids[0], rq.ID, auth.Acting(ctx)
	if n.CompoundName, n.CommunityName, err = a.peers.Board.CompoundNames(ctx, n.CompoundID); err != nil {
		return works.Notice{}, fieldNotFound(err, "notice.compoundId")
	}
	if err := a.publish(ctx, &n); err != nil {
		return works.Notice{}, err
	}
	if n.Title == "" {
		n.Title = defaultTitle(n)
	}
	if err := a.store.CreateNotice(ctx, n); err != nil {
		return works.Notice{}, err
	}
	return shown(&n), nil
}

// publish takes what the notice publishes from its subject.
func (a *App) publish(ctx context.Context, n *works.Notice) error {
	var err error
	switch n.Kind {
	case works.NoticePlan, works.NoticeFundDisclosure:
		p, perr := a.store.GetProject(ctx, n.SubjectID)
		if perr != nil {
			return fieldNotFound(perr, "notice.subjectId")
		}
		if p.CompoundID != n.CompoundID {
			return fault.Field("notice.subjectId", fmt.Sprintf("project %s is a project of compound %s, not %s", p.ID, p.CompoundID, n.CompoundID))
		}
		if n.Kind == works.NoticeFundDisclosure {
			n.Figures, n.Tables, err = a.peers.Board.FundDisclosure(ctx, p.ID)
			return err
		}
		if p.Status != works.Proposed {
			return fault.Refuse("PLAN_NOT_PROPOSED", fmt.Sprintf("project %s is %s: a plan is posted before approval", p.ID, p.Status), nil)
		}
		items, err := a.store.Items(ctx, p.ID)
		if err != nil {
			return err
		}
		entries := works.Schedule(items)
		ordered := make([]works.Item, len(entries))
		for i, e := range entries {
			ordered[i] = e.Item
		}
		shares, err := a.peers.Board.PlanShares(ctx, p.ID)
		if err != nil {
			return err
		}
		places := map[string]works.Place{}
		if len(shares.Shares) > 0 {
			ids := make([]string, 0, len(shares.Shares))
			for id := range shares.Shares {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if places, err = a.peers.Board.Places(ctx, ids); err != nil {
				return err
			}
		}
		n.Figures, n.Tables = works.PlanContent(p, ordered, shares, places)
		n.PlanPrint = works.PlanPrint(p, items)
	case works.NoticeResolutionResult:
		n.Figures, n.Tables, err = a.peers.Board.ResolutionResult(ctx, n.CompoundID, n.SubjectID)
	case works.NoticeElectionResult:
		n.Figures, n.Tables, err = a.peers.Board.ElectionResult(ctx, n.CompoundID, n.SubjectID)
	case works.NoticeConvention:
		n.Figures, n.Tables, err = a.peers.Board.Convention(ctx, n.CompoundID, n.SubjectID)
	}
	return fieldNotFound(err, "notice.subjectId")
}

// defaultTitle names a notice after what it publishes, in the contract's words; screens
// show their own wording when the office wrote none.
func defaultTitle(n works.Notice) string {
	for _, f := range n.Figures {
		if f.Key == "title" && f.Value != "" {
			return n.Kind.String() + ": " + f.Value
		}
	}
	return n.Kind.String() + " " + n.SubjectID
}

// GetNotice reads a notice that has gone up; one still scheduled is NOTICE_NOT_PUBLISHED
// to everyone but the staff of its compound.
func (a *App) GetNotice(ctx context.Context, id string) (works.Notice, error) {
	n, err := a.store.GetNotice(ctx, id)
	if err != nil {
		return works.Notice{}, err
	}
	if p, ok := auth.FromContext(ctx); n.State(a.now()) == works.NoticeScheduled && !(ok && slices.Contains(auth.Staff, p.Role)) {
		return works.Notice{}, fault.Refuse(works.ReasonNoticeNotPublished, fmt.Sprintf("notice %s goes up on %s", n.ID, n.OpensAt.Format(time.DateOnly)), nil)
	}
	return shown(n), nil
}

// ListNotices pages through a compound's board in the order notices were posted, of a
// kind and a subject when given; only notices that have gone up.
func (a *App) ListNotices(ctx context.Context, compoundID string, kind works.NoticeKind, subjectID, token string, size int) ([]works.Notice, string, error) {
	now := a.now()
	match := func(n *works.Notice) bool {
		return n.State(now) != works.NoticeScheduled && (kind == works.NoticeKindUnspecified || n.Kind == kind) && (subjectID == "" || n.SubjectID == subjectID)
	}
	ns, next, err := a.store.ListNotices(ctx, compoundID, match, token, size)
	if err != nil {
		return nil, "", err
	}
	for i := range ns {
		ns[i] = shown(&ns[i])
	}
	return ns, next, nil
}

// shown is a notice as the board shows it: objections without who lodged them (rule 13).
func shown(n *works.Notice) works.Notice {
	out := *n
	out.Objections = make([]works.Objection, len(n.Objections))
	for i, o := range n.Objections {
		out.Objections[i] = o.Public()
	}
	return out
}

// CreateObjection lodges a household's objection to a notice while it is up. The
// household must be one of the notice's compound.
func (a *App) CreateObjection(ctx context.Context, noticeID string, o works.Objection, rq Request) (works.Objection, error) {
	ids, _, err := a.claim(ctx, "CreateObjection", rq, 1)
	if err != nil {
		return works.Objection{}, err
	}
	checked := false
	return a.changeNotice(ctx, noticeID, func(n *works.Notice) (works.Objection, bool, error) {
		for _, had := range n.Objections {
			if had.ID == ids[0] {
				return had, true, nil // a retry finds its objection lodged
			}
		}
		if !checked {
			cid, err := a.peers.Governance.HouseholdCompound(ctx, o.HouseholdID)
			if err != nil {
				return works.Objection{}, false, fieldNotFound(err, "objection.householdId")
			}
			if cid != n.CompoundID {
				return works.Objection{}, false, fmt.Errorf("%w: household %s is not a household of compound %s", works.ErrNotInCompound, o.HouseholdID, n.CompoundID)
			}
			checked = true
		}
		o.ID, o.RequestID, o.LodgeAccount = ids[0], rq.ID, auth.Acting(ctx)
		if err := n.Lodge(o, a.now()); err != nil {
			return works.Objection{}, false, err
		}
		return n.Objections[len(n.Objections)-1], false, nil
	})
}

// AnswerObjection records the staff's answer to an objection, once; the answer becomes
// part of the notice.
func (a *App) AnswerObjection(ctx context.Context, noticeID, objectionID, answer string, rq Request) (works.Objection, error) {
	if _, _, err := a.claim(ctx, "AnswerObjection", rq, 0); err != nil {
		return works.Objection{}, err
	}
	o, err := a.changeNotice(ctx, noticeID, func(n *works.Notice) (works.Objection, bool, error) {
		for _, had := range n.Objections {
			if had.ID == objectionID && rq.ID != "" && had.AnswerRequest == rq.ID {
				return had, true, nil // a retry finds its answer recorded
			}
		}
		o, err := n.AnswerObjection(objectionID, answer, auth.Acting(ctx), rq.ID, a.now())
		return o, false, err
	})
	return o.Public(), err
}

// changeNotice applies change to the notice as stored and writes it, revision-checked:
// when another writer won (two objections at once), change runs again on what that
// writer left. change answers done when it finds its work done already (a retry), and
// nothing is written.
func (a *App) changeNotice(ctx context.Context, id string, change func(n *works.Notice) (works.Objection, bool, error)) (works.Objection, error) {
	for {
		n, err := a.store.GetNotice(ctx, id)
		if err != nil {
			return works.Objection{}, err
		}
		o, done, err := change(n)
		if err != nil || done {
			return o, err
		}
		err = a.store.UpdateNotice(ctx, *n)
		if isConflict(err) {
			if err := retryPause(ctx); err != nil {
				return works.Objection{}, err
			}
			continue
		}
		return o, err
	}
}

// planNotice is approve's notice guard (rules 6 and 14): the plan as it stands posted,
// every objection answered, the period over.
func (a *App) planNotice(ctx context.Context, p *works.Project) error {
	n, err := a.store.LatestPlanNotice(ctx, p.ID)
	if err != nil {
		return err
	}
	items, err := a.store.Items(ctx, p.ID)
	if err != nil {
		return err
	}
	return works.CheckPlanNotice(n, works.PlanPrint(p, items), a.now())
}
