package view

import (
	"bytes"
	"context"
	"html"
	"strings"
	"testing"

	"github.com/a-h/templ"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/web/internal/i18n"
)

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return html.UnescapeString(buf.String())
}

func exportLink(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	j := strings.Index(rest, `href="`)
	if j < 0 {
		t.Fatalf("link %s has no href", id)
	}
	rest = rest[j+len(`href="`):]
	return rest[:strings.Index(rest, `"`)]
}

// The pages that show a report offer it as a workbook, the report's REST export with
// the page's own choices; a viewer who may not export sees no link.
func TestPagesOfferTheirReportsAsWorkbooks(t *testing.T) {
	admin := Page{Lang: i18n.ZH, Viewer: &Viewer{Role: "DISTRICT_ADMIN"}}

	t.Run("the survey's statistics", func(t *testing.T) {
		tally := SurveysTallyView{SurveyID: "sv 1", HasStats: true, Kind: "NEEDS"}
		page := render(t, SurveysTally(admin, tally))
		if got := exportLink(t, page, "surveys-export"); got != "/v1/surveys/sv%201/stats:export?format=xlsx" {
			t.Fatalf("link %q", got)
		}
		if !strings.Contains(page, "导出 Excel 表格") {
			t.Fatal("the link has no words")
		}
		resident := Page{Lang: i18n.ZH, Viewer: &Viewer{Role: "RESIDENT"}}
		if got := exportLink(t, render(t, SurveysTally(resident, tally)), "surveys-export"); got != "" {
			t.Fatalf("a resident is offered %q", got)
		}
	})

	t.Run("the collection list and the book's entries", func(t *testing.T) {
		v := MoneyView{
			Project:      &projectspb.Project{Id: "p1", Title: "改造"},
			Plan:         &financepb.FundingPlan{ProjectId: "p1", BookId: "book-p1"},
			Book:         &financepb.Book{Id: "book-p1"},
			Transactions: []*financepb.Transaction{{Id: "t1", Kind: financepb.Transaction_RECEIPT, Postings: []*financepb.Posting{{AccountId: "fund", AmountFen: 100}}}},
			Collection:   &financepb.Collection{ProjectId: "p1", Households: []*financepb.HouseholdQuota{{HouseholdId: "h1", QuotaFen: 100}}},
		}
		page := render(t, MoneyPage(admin, v))
		if got := exportLink(t, page, "collection-export"); got != "/v1/projects/p1/collection:export?format=xlsx" {
			t.Errorf("collection link %q", got)
		}
		if got := exportLink(t, page, "entries-export"); got != "/v1/books/book-p1/transactions:export?format=xlsx" {
			t.Errorf("entries link %q", got)
		}
	})

	t.Run("the departments' performance", func(t *testing.T) {
		rows := []DepartmentsRow{{ID: "water", Name: "水务局", Perf: &governancepb.DepartmentPerformance{DepartmentId: "water"}}}
		if got := exportLink(t, render(t, DepartmentsPage(admin, DepartmentsView{Rows: rows})), "departments-export"); got != "/v1/departments/performance:export?format=xlsx" {
			t.Errorf("every department: %q", got)
		}
		department := Page{Lang: i18n.ZH, Viewer: &Viewer{Role: "DEPARTMENT", Scope: "departments/water"}}
		if got := exportLink(t, render(t, DepartmentsPage(department, DepartmentsView{Rows: rows, Hidden: 3})), "departments-export"); got != "/v1/departments/performance:export?departmentId=water&format=xlsx" {
			t.Errorf("one department: %q", got)
		}
	})

	t.Run("the ranking, with the page's stages", func(t *testing.T) {
		v := Ranking{
			Region: DashboardRegion{ID: "r1", Name: "东川区"},
			Filter: RankingFilter{Status: map[string]bool{"SURVEYING": true, "INVENTORIED": true, "PLANNED": false}},
			Result: &surveypb.Ranking{RegionId: "r1", Weights: &surveypb.RankingWeights{}, Entries: []*surveypb.RankingEntry{{Rank: 1, CompoundId: "c1", CompoundName: "幸福里"}}},
		}
		if got := exportLink(t, render(t, RankingPage(admin, v, nil)), "rank-export"); got != "/v1/rankings:export?format=xlsx&regionId=r1&status=INVENTORIED&status=SURVEYING" {
			t.Errorf("ranking link %q", got)
		}
	})
}
