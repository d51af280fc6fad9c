package browser

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// dashboardDirect counts a region's compounds by reading them all, as the dashboard's
// counters must agree with: compounds, households, buildings and by status.
func dashboardDirect(t *testing.T, s *site, region string) (totals [3]int64, byStatus map[string]int64) {
	t.Helper()
	byStatus = map[string]int64{}
	token := ""
	for {
		got := testkit.Must[*governancepb.ListCompoundsResponse](t)(s.gov().ListCompounds(s.district(), &governancepb.ListCompoundsRequest{RegionId: region, PageSize: 500, PageToken: token}))
		for _, c := range got.Compounds {
			totals[0]++
			totals[1] += int64(c.HouseholdCount)
			totals[2] += int64(c.BuildingCount)
			byStatus[c.Status.String()]++
		}
		if token = got.NextPageToken; token == "" {
			return totals, byStatus
		}
	}
}

// dashboardCount writes n as the console does, with thousands separators.
func dashboardCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// dashboardSubdistrict is the demo's Tongdu sub-district.
func dashboardSubdistrict(t *testing.T, s *site, district string) string {
	t.Helper()
	got := testkit.Must[*governancepb.ListRegionsResponse](t)(s.gov().ListRegions(s.district(), &governancepb.ListRegionsRequest{Parent: district}))
	for _, r := range got.Regions {
		if r.Name == "铜都街道" {
			return r.Id
		}
	}
	t.Fatalf("no 铜都街道 under the demo district: %v", got.Regions)
	return ""
}

// The dashboard with the demo district: a sub-district's staff see the article's 322
// compounds of Tongdu sub-district, and the households, buildings and stages a direct
// count of the compounds gives; the district's administrator sees the district with
// the sub-district among its regions and the overdue whistles. The ranking ranks rule
// 4's compounds with every term, and its filter works with scripts off, with a wrong
// page size told beside its field. Desktop and phone pass axe.
func TestDashboardAndRankingWithTheDemo(t *testing.T) {
	s := startSite(t)
	sum := s.loadDemo()
	sub := dashboardSubdistrict(t, s, sum.DistrictID)
	totals, byStatus := dashboardDirect(t, s, sub)
	if totals[0] != 322 {
		t.Fatalf("the demo's sub-district has %d compounds, the article 322", totals[0])
	}

	b := s.signedIn(desktop, "dash.sub", auth.SubdistrictStaff, "regions/"+sub, "李娟")
	t.Run("a sub-district's figures", func(t *testing.T) {
		if h := b.text("main h1"); !strings.Contains(h, "铜都街道") {
			t.Fatalf("home heading %q", h)
		}
		for sel, want := range map[string]int64{"#dash-compounds .figure": 322, "#dash-households .figure": totals[1], "#dash-buildings .figure": totals[2]} {
			if got := b.text(sel); got != dashboardCount(want) {
				t.Errorf("%s shows %q, a direct count %s", sel, got, dashboardCount(want))
			}
		}
		for st, n := range byStatus {
			if got := b.text(`#dash-status-table tr[data-status="` + st + `"] td.num`); got != dashboardCount(n) {
				t.Errorf("%s: table shows %q, a direct count %d", st, got, n)
			}
		}
		if got := eval[int](b, `document.querySelectorAll("#dash-children-table tbody tr").length`); got != 8 {
			t.Errorf("%d communities listed, the demo has 8", got)
		}
		// A sub-district's staff have no district-wide whistle list: no tile.
		if n := eval[int](b, `document.querySelectorAll("#dash-overdue").length`); n != 0 {
			t.Error("an overdue tile for a scoped account")
		}
		b.do(chromedp.WaitVisible(css(`.chart[data-drawn] svg`)))
		b.accessible()
	})
	t.Run("down to a community and back up", func(t *testing.T) {
		b.follow(`#dash-children-table tbody tr:first-child a`)
		if !strings.Contains(b.location(), "region=") || b.text("#dash-compounds .figure") == "322" {
			t.Fatalf("community page at %s", b.location())
		}
		b.follow(`main p a[href^="/?region="]`)
		if got := b.text("#dash-compounds .figure"); got != "322" {
			t.Fatalf("back up: %s compounds", got)
		}
	})

	t.Run("a community's staff see their community only", func(t *testing.T) {
		communities := testkit.Must[*governancepb.ListRegionsResponse](t)(s.gov().ListRegions(s.district(), &governancepb.ListRegionsRequest{Parent: sub}))
		c := s.signedIn(desktop, "dash.community", auth.CommunityStaff, "regions/"+communities.Regions[0].Id, "王芳")
		if h := c.text("main h1"); !strings.Contains(h, communities.Regions[0].Name) {
			t.Fatalf("heading %q", h)
		}
		if n := eval[int](c, `document.querySelectorAll('main p a[href^="/?region="]').length`); n != 0 {
			t.Error("a way up out of the community")
		}
		c.visit("/?region=" + sub)
		if h := c.text("main h1"); h != "无权操作" {
			t.Errorf("the sub-district's figures for a community's staff: %q", h)
		}
		c.visit("/lang?to=en&back=/")
		if h := c.text("main h1"); !strings.Contains(h, "renovation overview") || c.text("#dash-status-table caption") != "Compounds in each stage" {
			t.Errorf("in English: %q", h)
		}
	})

	t.Run("the district on a phone", func(t *testing.T) {
		d := s.signedIn(phone, "dash.district", auth.DistrictAdmin, "", "张局")
		if h := d.text("main h1"); !strings.Contains(h, "东川区") {
			t.Fatalf("heading %q", h)
		}
		if got := d.text(`#dash-children-table tbody tr th`); got != "铜都街道" {
			t.Errorf("regions within: %q", got)
		}
		if got := d.text("#dash-overdue a"); got == "" {
			t.Error("no overdue whistles tile for the district")
		}
		if n := eval[int](d, `document.querySelectorAll('#dash-overdue a[href="/whistles?overdue=true"]').length`); n != 1 {
			t.Error("the overdue tile does not lead to the overdue whistles")
		}
		d.do(chromedp.WaitVisible(css(`.chart[data-drawn] svg`)))
		d.accessible()
		d.visit("/ranking")
		if n := eval[int](d, `document.querySelectorAll("#rank-table tbody tr").length`); n != 20 {
			t.Errorf("%d rows on the first page, want 20", n)
		}
		d.accessible()
	})

	t.Run("the ranking", func(t *testing.T) {
		b.follow(`nav a[href="/ranking"]`)
		rows := eval[int](b, `document.querySelectorAll("#rank-table tbody tr").length`)
		if rows != 20 {
			t.Fatalf("%d rows, want a page of 20", rows)
		}
		// Rule 4's default: only compounds waiting for a plan, ranked with their terms.
		stages := eval[[]string](b, `[...document.querySelectorAll("#rank-table tbody tr td:nth-child(7)")].map(e => e.textContent.trim())`)
		for _, st := range stages {
			if st != "已摸底登记" && st != "征求意见中" {
				t.Fatalf("a compound %q in the default ranking", st)
			}
		}
		if f := b.text("#rank-formula"); !strings.Contains(f, "0.40") || !strings.Contains(f, "0.35") || !strings.Contains(f, "0.25") {
			t.Errorf("formula %q", f)
		}
		if href := eval[string](b, `document.querySelector("#rank-table tbody th a").getAttribute("href")`); !strings.HasPrefix(href, "/compounds/") {
			t.Errorf("compound link %q", href)
		}
		b.accessible()
		b.follow("#rank-next")
		if got := b.text("#rank-table tbody tr:first-child td"); got != "21" {
			t.Errorf("the second page starts at rank %q", got)
		}
	})

	t.Run("the ranking's filter without scripts", func(t *testing.T) {
		nb := s.openNoScript(phone)
		nb.signIn("dash.sub", testPassword)
		nb.visit("/ranking")
		nb.do(
			chromedp.Click(css(`input[name=status][value=INVENTORIED]`)),
			chromedp.Click(css(`input[name=status][value=SURVEYING]`)),
			chromedp.Click(css(`input[name=status][value=MAINTAINING]`)),
		)
		nb.follow(`#rank-filter button[type=submit]`)
		if loc := nb.location(); !strings.Contains(loc, "status=MAINTAINING") {
			t.Fatalf("filtered at %s", loc)
		}
		stages := eval[[]string](nb, `[...document.querySelectorAll("#rank-table tbody tr td:nth-child(7)")].map(e => e.textContent.trim())`)
		if int64(len(stages)) != min(byStatus["MAINTAINING"], 20) {
			t.Errorf("%d maintaining compounds ranked, a direct count %d", len(stages), byStatus["MAINTAINING"])
		}
		for _, st := range stages {
			if st != "长效管护中" {
				t.Fatalf("a compound %q among the maintaining ones", st)
			}
		}
		nb.fill("pageSize", "5000")
		nb.follow(`#rank-filter button[type=submit]`)
		if e := nb.text("#f-pageSize-error"); e == "" {
			t.Fatal("no error beside the page size")
		}
		if d := eval[string](nb, `document.querySelector("#f-pageSize").getAttribute("aria-describedby")`); d != "f-pageSize-error" {
			t.Errorf("the page size is described by %q", d)
		}
		if !eval[bool](nb, `document.querySelector("input[name=status][value=MAINTAINING]").checked`) {
			t.Error("the form forgot the chosen stage")
		}
		// axe runs as a script: the form with its error is checked in a browser with them.
		b.visit("/ranking?status=MAINTAINING&pageSize=5000")
		if e := b.text("#f-pageSize-error"); e == "" {
			t.Fatal("no error beside the page size")
		}
		b.accessible()
	})
}
