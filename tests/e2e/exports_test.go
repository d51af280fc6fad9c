package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"tongdu/platform/auth"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// exported fetches an export through the gateway and returns its one sheet's rows, each
// joined by "|", after checking the content type and the download's names: a Chinese
// name (RFC 5987) beside an ASCII one.
func (c *client) exported(p, sheet, ascii string) []string {
	c.t.Helper()
	r := c.do("GET", p, nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d; body %s", p, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != xlsxType {
		c.t.Fatalf("GET %s: Content-Type %q, want %s", p, ct, xlsxType)
	}
	cd := r.header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `filename="`+ascii+`"`) || !strings.Contains(cd, "filename*=UTF-8''%E") {
		c.t.Fatalf("GET %s: Content-Disposition %q, want an attachment named %s and a UTF-8 name", p, cd, ascii)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		c.t.Fatalf("GET %s: not a workbook: %v", p, err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		c.t.Fatalf("GET %s: sheet %s: %v (sheets %v)", p, sheet, err, f.GetSheetList())
	}
	out := make([]string, len(rows))
	for i, row := range rows {
		out[i] = strings.Join(row, "|")
	}
	return out
}

func rowWith(rows []string, s string) string {
	for _, r := range rows {
		if strings.Contains(r, s) {
			return r
		}
	}
	return ""
}

// TestExportsAreWorkbooksOfTheReports: each report offices hand on is a GET …:export?
// format=xlsx through the gateway, answered as a workbook with a Chinese file name; the
// collection list names residents as the caller may see them (rule 13); formula-looking
// text stays text; each export keeps its report's policy.
func TestExportsAreWorkbooksOfTheReports(t *testing.T) {
	c := startApp(t)
	d := c.buildDistrict()

	// P2 of K1 (next year's) with a residents' quota of 500 yuan a household; H1 pays it
	// in cash.
	p3 := d.p2
	c.createItem(p3.ID)
	var plan fundingPlan
	c.call("POST", "/v1/funding-plans", map[string]any{
		"projectId": p3.ID,
		"sources": []map[string]any{
			{"party": "GOVERNMENT", "funder": "区财政", "committedFen": "100000"},
			{"party": "RESIDENTS", "funder": "居民自筹", "committedFen": "0"},
		},
		"quota": map[string]any{"flatFen": "50000"},
	}, &plan)
	c.call("POST", path("/v1/projects/%s/contributions", p3.ID), map[string]any{
		"householdId": d.h1.ID, "amountFen": "50000", "method": "CASH", "requestId": "exp-c-1", "memo": "=HYPERLINK(\"http://x\")"}, nil)
	c.call("POST", "/v1/departments", map[string]any{"id": "evil", "name": "=SUM(1,2)"}, nil)

	t.Run("the statistics table", func(t *testing.T) {
		c := c.with(t)
		rows := c.exported(path("/v1/surveys/%s/stats:export", d.v1.ID)+"?format=xlsx", "民意调查统计表", "survey-"+d.v1.ID+"-stats.xlsx")
		if len(rows) < 3 || !strings.HasPrefix(rows[0], "问题编号|问题|选项编号|选项|户数|占比") {
			t.Fatalf("rows %q", rows)
		}
		// The CSV is still the default.
		if r := c.do("GET", path("/v1/surveys/%s/stats:export", d.v1.ID), nil); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV export: %d %q", r.status, r.header.Get("Content-Type"))
		}
	})

	t.Run("the collection list, names as each caller sees them", func(t *testing.T) {
		c := c.with(t)
		ascii := "collection-" + p3.ID + ".xlsx"
		p := path("/v1/projects/%s/collection:export", p3.ID) + "?format=xlsx"
		rows := c.exported(p, "收款清单", ascii)
		if rows[0] != "住户编号|住户|居民|应缴（元）|已缴（元）|未缴（元）|状态" || len(rows) != 1+len(d.k1.households)+1 {
			t.Fatalf("rows %q", rows)
		}
		if r := rowWith(rows, d.h1.ID); !strings.Contains(r, "|"+h1Name+"|500.00|500.00|0.00|已缴清") {
			t.Fatalf("H1's row as the administrator: %q", r)
		}
		// The owners' committee reads the list with names masked.
		committee := c.asRole(auth.OwnersCommittee, "compounds/"+d.k1.ID)
		rows = committee.exported(p, "收款清单", ascii)
		if r := rowWith(rows, d.h1.ID); !strings.Contains(r, "|李**|500.00|") || strings.Contains(strings.Join(rows, "\n"), h1Name) {
			t.Fatalf("H1's row as the owners' committee: %q", r)
		}
		// An auditor reads the money but no households: no names at all.
		rows = c.asRole(auth.Auditor, "").exported(p, "收款清单", ascii)
		if rows[0] != "住户编号|住户|应缴（元）|已缴（元）|未缴（元）|状态" || !strings.HasPrefix(rowWith(rows, d.h1.ID), d.h1.ID+"||500.00|500.00|") {
			t.Fatalf("as an auditor: %q", rows)
		}
		// Only the households still due.
		if rows := c.exported(p+"&status=DUE", "收款清单", ascii); len(rows) != 1+len(d.k1.households) || rowWith(rows, d.h1.ID) != "" {
			t.Fatalf("due rows %q", rows)
		}
	})

	t.Run("a book's entries", func(t *testing.T) {
		c := c.with(t)
		rows := c.exported(path("/v1/books/%s/transactions:export", plan.BookID)+"?format=xlsx", "账目明细", "book-"+plan.BookID+"-entries.xlsx")
		if !strings.HasPrefix(rows[0], "序号|交易编号|类型|发生时间|录入时间|科目|金额（元）|请求编号|摘要") || len(rows) != 1+2 {
			t.Fatalf("rows %q", rows)
		}
		for _, r := range rows[1:] {
			if !strings.Contains(r, "|居民出资|") || !strings.Contains(r, "|exp-c-1|'=HYPERLINK(\"http://x\")") {
				t.Errorf("entry %q", r)
			}
		}
	})

	t.Run("the departments' performance", func(t *testing.T) {
		c := c.with(t)
		rows := c.exported("/v1/departments/performance:export?format=xlsx", "部门考评", "department-performance.xlsx")
		if !strings.HasPrefix(rows[0], "部门代码|部门|受理事项|已报到|已办结|超时|超时率") || len(rows) != 1+3 {
			t.Fatalf("rows %q", rows)
		}
		if r := rowWith(rows, "roads|"); !strings.HasPrefix(r, "roads|区市政局|2|0|0|") {
			t.Errorf("roads %q", r)
		}
		if r := rowWith(rows, "evil|"); !strings.HasPrefix(r, "evil|'=SUM(1,2)|0|") {
			t.Errorf("a formula-looking name %q", r)
		}
		// A department reads its own row, and not everyone's.
		water := c.asRole(auth.Department, "departments/water")
		if rows := water.exported("/v1/departments/performance:export?departmentId=water&format=xlsx", "部门考评", "department-water-performance.xlsx"); len(rows) != 2 || !strings.HasPrefix(rows[1], "water|区水务局|1|") {
			t.Fatalf("water's own rows %q", rows)
		}
		if r := water.do("GET", "/v1/departments/performance:export?format=xlsx", nil); r.status != http.StatusForbidden {
			t.Fatalf("a department exporting every department's: status %d", r.status)
		}
	})

	t.Run("the ranking", func(t *testing.T) {
		c := c.with(t)
		rows := c.exported("/v1/rankings:export?format=xlsx&regionId="+d.rt.district.ID, "改造优先级排名", "ranking-"+d.rt.district.ID+".xlsx")
		if !strings.HasPrefix(rows[0], "名次|小区编号|小区|建成年份|阶段|得分|设施缺损（权重") || len(rows) < 2 {
			t.Fatalf("rows %q", rows)
		}
		if want := len(c.ranking("regionId=" + d.rt.district.ID).Entries); len(rows)-1 != want {
			t.Fatalf("%d rows, the ranking holds %d", len(rows)-1, want)
		}
	})

	t.Run("each export keeps its report's policy", func(t *testing.T) {
		c := c.with(t)
		resident := c.asRole(auth.Resident, "households/"+d.h1.ID)
		for _, p := range []string{
			path("/v1/projects/%s/collection:export?format=xlsx", p3.ID),
			path("/v1/books/%s/transactions:export?format=xlsx", plan.BookID),
			"/v1/departments/performance:export?format=xlsx",
			"/v1/rankings:export?format=xlsx&regionId=" + d.rt.district.ID,
		} {
			if r := resident.do("GET", p, nil); r.status != http.StatusForbidden {
				t.Errorf("a resident GET %s: status %d", p, r.status)
			}
		}
		if r := c.do("GET", path("/v1/books/%s/transactions:export?format=pdf", plan.BookID), nil); r.status != http.StatusBadRequest {
			t.Errorf("format=pdf: status %d", r.status)
		}
	})
}
