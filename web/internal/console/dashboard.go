package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/view"
)

// The district dashboard is the staff's home: the compounds of the viewer's region (or
// of a region within it, ?region=) from the governance service's running counters
// (GetRegionStatistics), never by reading the compounds. The ranking page shows rule 4's
// priority ranking for the region, term by term.
func init() {
	for _, role := range []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "AUDITOR"} {
		homes[role] = func(s *Server) http.HandlerFunc { return s.dashboard }
	}
	route("GET /ranking", (*Server).ranking)
	addMenu(10, "ranking", "/ranking", "DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "AUDITOR")
}

// dashboardChildren bounds the regions within shown with their figures: a sub-district
// has a few dozen communities at most; more would be a list, not a dashboard row.
const dashboardChildren = 60

// dashboardOverdueCap bounds the overdue whistles counted (a page of the list each).
const dashboardOverdueCap = 5000

// viewerRegion is the region a viewer's figures are of: the one their scope names, or
// for a district-wide account the district itself (the first, when there are several).
func (s *Server) viewerRegion(r *http.Request) (string, error) {
	scope := visitOf(r).session.GetAccount().GetScope()
	if id, ok := strings.CutPrefix(scope, "regions/"); ok && id != "" {
		return id, nil
	}
	if scope != "" {
		return "", status.Error(codes.PermissionDenied, "the account's scope is not a region")
	}
	got, err := s.c.Governance.ListRegions(call(r), &governancepb.ListRegionsRequest{PageSize: 1})
	if err != nil {
		return "", err
	}
	if len(got.GetRegions()) == 0 {
		return "", status.Error(codes.NotFound, "no district is registered yet")
	}
	return got.GetRegions()[0].GetId(), nil
}

// regionOf is the region asked for (?region=), else the viewer's. The services refuse
// a region outside the viewer's scope.
func (s *Server) regionOf(r *http.Request) (string, error) {
	if id := strings.TrimSpace(r.URL.Query().Get("region")); id != "" {
		return id, nil
	}
	return s.viewerRegion(r)
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := call(r)
	p := s.page(r, "dashboard.title", "home")
	home, err := s.viewerRegion(r)
	if status.Code(err) == codes.NotFound && r.URL.Query().Get("region") == "" {
		// A new installation has no district to show yet: the sections are the home.
		s.render(w, r, http.StatusOK, view.Home(s.page(r, "home.heading", "home")))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := home
	if q := strings.TrimSpace(r.URL.Query().Get("region")); q != "" {
		id = q
	}
	var (
		region   *governancepb.Region
		parent   *governancepb.Region
		stats    *governancepb.RegionStatistics
		children []view.DashboardChild
		overdue  = view.DashboardOverdue{}
	)
	g, gctx := dashboardGroup(ctx, 0)
	g.Go(func() error {
		var err error
		if region, err = s.c.Governance.GetRegion(gctx, &governancepb.GetRegionRequest{Id: id}); err != nil {
			return err
		}
		// The way up stays within the viewer's own region.
		if id != home && region.GetParent() != "" {
			parent, err = s.c.Governance.GetRegion(gctx, &governancepb.GetRegionRequest{Id: region.GetParent()})
		}
		return err
	})
	g.Go(func() error {
		var err error
		stats, err = s.c.Governance.GetRegionStatistics(gctx, &governancepb.GetRegionStatisticsRequest{Id: id})
		return err
	})
	g.Go(func() error {
		var err error
		children, err = s.dashboardChildren(gctx, id)
		return err
	})
	// Only a district-wide account may list every whistle; the list of the overdue ones
	// reads those only (an index by deadline), so counting them is cheap. Whistles have
	// no region to filter a scoped account's list by, so a scoped account gets no tile.
	if visitOf(r).session.GetAccount().GetScope() == "" {
		g.Go(func() error {
			n, more, err := s.countOverdue(gctx)
			switch status.Code(err) {
			case codes.OK:
				overdue = view.DashboardOverdue{Known: true, Count: n, More: more}
			case codes.PermissionDenied:
			default:
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		s.fail(w, r, err)
		return
	}
	d := view.Dashboard{
		Region:   dashboardRegion(region),
		Year:     time.Now().In(view.China).Year(),
		Stats:    stats,
		Children: children,
		Overdue:  overdue,
	}
	if parent != nil {
		up := dashboardRegion(parent)
		d.Parent = &up
	}
	p.Title = p.T("dashboard.heading", region.GetName())
	s.render(w, r, http.StatusOK, view.DashboardPage(p, d))
}

func dashboardRegion(r *governancepb.Region) view.DashboardRegion {
	return view.DashboardRegion{ID: r.GetId(), Name: r.GetName(), Level: r.GetLevel().String()}
}

// dashboardChildren are the regions directly within id with their counters.
func (s *Server) dashboardChildren(ctx context.Context, id string) ([]view.DashboardChild, error) {
	got, err := s.c.Governance.ListRegions(ctx, &governancepb.ListRegionsRequest{Parent: id, PageSize: dashboardChildren})
	if err != nil {
		return nil, err
	}
	out := make([]view.DashboardChild, len(got.GetRegions()))
	g, gctx := dashboardGroup(ctx, 8)
	for i, c := range got.GetRegions() {
		g.Go(func() error {
			st, err := s.c.Governance.GetRegionStatistics(gctx, &governancepb.GetRegionStatisticsRequest{Id: c.GetId()})
			if err != nil {
				return err
			}
			out[i] = view.DashboardChild{Region: dashboardRegion(c), Stats: st}
			return nil
		})
	}
	return out, g.Wait()
}

// countOverdue pages through the overdue whistles, up to dashboardOverdueCap.
func (s *Server) countOverdue(ctx context.Context) (n int, more bool, err error) {
	token := ""
	for {
		got, err := s.c.Governance.ListWhistles(ctx, &governancepb.ListWhistlesRequest{Overdue: true, PageSize: 1000, PageToken: token})
		if err != nil {
			return 0, false, err
		}
		n += len(got.GetWhistles())
		token = got.GetNextPageToken()
		if token == "" {
			return n, false, nil
		}
		if n >= dashboardOverdueCap {
			return n, true, nil
		}
	}
}

// rankingStatuses are the statuses the ranking can be filtered by, in the round's order.
var rankingStatuses = []governancepb.Compound_Status{
	governancepb.Compound_INVENTORIED, governancepb.Compound_SURVEYING, governancepb.Compound_PLANNED,
	governancepb.Compound_RENOVATING, governancepb.Compound_ACCEPTED, governancepb.Compound_MAINTAINING,
}

// rankingPageSizes are the page sizes offered; any from 1 to 1000 is taken.
const rankingDefaultSize = 20

func (s *Server) ranking(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	p := s.page(r, "ranking.title", "ranking")
	q := r.URL.Query()
	f := view.RankingFilter{PageSize: strconv.Itoa(rankingDefaultSize), Token: q.Get("pageToken")}
	errs := view.Errors{}
	req := &surveypb.GetRankingRequest{PageSize: rankingDefaultSize, PageToken: f.Token}
	if v := strings.TrimSpace(q.Get("pageSize")); v != "" {
		f.PageSize = v
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs["pageSize"] = lang.T("ranking.pageSize.bad")
		}
		req.PageSize = int32(n)
	}
	f.Status = map[string]bool{}
	for _, v := range q["status"] {
		st, ok := governancepb.Compound_Status_value[v]
		if !ok || st == 0 {
			errs["status"] = lang.T("ranking.status.bad")
			continue
		}
		f.Status[v] = true
		req.Status = append(req.Status, governancepb.Compound_Status(st))
	}
	if len(req.Status) == 0 {
		// Rule 4's default, shown as chosen so that the form says what is ranked.
		f.Status["INVENTORIED"], f.Status["SURVEYING"] = true, true
	}
	region, err := s.regionOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Region = region
	if q.Get("region") != "" {
		f.RegionAsked = region
	}
	reg, err := s.c.Governance.GetRegion(call(r), &governancepb.GetRegionRequest{Id: region})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.Ranking{Region: dashboardRegion(reg), Filter: f, Statuses: rankingStatuses}
	p.Title = p.T("ranking.heading", reg.GetName())
	if errs.Any() {
		s.render(w, r, http.StatusUnprocessableEntity, view.RankingPage(p, v, errs))
		return
	}
	req.RegionId = region
	got, err := s.c.Survey.GetRanking(call(r), req)
	if err != nil {
		if fe, ok := formErrors(lang, err); ok {
			s.render(w, r, http.StatusUnprocessableEntity, view.RankingPage(p, v, rankingErrors(fe)))
			return
		}
		s.fail(w, r, err)
		return
	}
	v.Result = got
	if t := got.GetNextPageToken(); t != "" {
		next := url.Values{}
		for k := range f.Status {
			if len(req.Status) > 0 {
				next.Add("status", k)
			}
		}
		next.Set("pageSize", f.PageSize)
		if f.RegionAsked != "" {
			next.Set("region", f.RegionAsked)
		}
		next.Set("pageToken", t)
		v.Next = "/ranking?" + next.Encode()
	}
	if f.Token != "" {
		first := url.Values{}
		for _, st := range req.Status {
			first.Add("status", st.String())
		}
		first.Set("pageSize", f.PageSize)
		if f.RegionAsked != "" {
			first.Set("region", f.RegionAsked)
		}
		v.First = "/ranking?" + first.Encode()
	}
	s.render(w, r, http.StatusOK, view.RankingPage(p, v, nil))
}

// rankingErrors puts the service's refusals beside the form's fields: its fields are
// the request's (pageSize, status, pageToken); a stale page token is the form's.
func rankingErrors(errs view.Errors) view.Errors {
	out := view.Errors{}
	for k, v := range errs {
		switch {
		case k == "pageSize" || k == "":
			out[k] = v
		case strings.HasPrefix(k, "status"):
			out["status"] = v
		default:
			out[""] = v
		}
	}
	return out
}

// dashboardCalls runs a page's independent calls side by side (up to limit at once, 0:
// no limit); the first failure cancels the others and is the page's.
type dashboardCalls struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel context.CancelFunc
	slots  chan struct{}
}

func dashboardGroup(ctx context.Context, limit int) (*dashboardCalls, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	g := &dashboardCalls{cancel: cancel}
	if limit > 0 {
		g.slots = make(chan struct{}, limit)
	}
	return g, ctx
}

func (g *dashboardCalls) Go(f func() error) {
	if g.slots != nil {
		g.slots <- struct{}{}
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if g.slots != nil {
			defer func() { <-g.slots }()
		}
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

func (g *dashboardCalls) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
