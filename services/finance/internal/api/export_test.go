package api_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
)

// sheetRows opens an exported workbook and returns its one sheet's rows, after checking
// the content type and the download's names (Chinese, with an ASCII fallback).
func sheetRows(t *testing.T, body *httpbody.HttpBody, header metadata.MD, sheetName, ascii string) [][]string {
	t.Helper()
	if body.GetContentType() != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("content type %q", body.GetContentType())
	}
	cd := strings.Join(header.Get("content-disposition"), "")
	if !strings.Contains(cd, `filename="`+ascii+`"`) || !strings.Contains(cd, "filename*=UTF-8''%E") {
		t.Fatalf("content-disposition %q, want %s and a UTF-8 name", cd, ascii)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body.GetData()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sheetName {
		t.Fatalf("sheets %v, want %s", got, sheetName)
	}
	rows, err := f.GetRows(sheetName)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestExportCollectionListsEveryHouseholdMasked: each household's quota, paid, owed and
// status in yuan; the caller here has no role that needs names, so the residents' names
// come masked as the registry shows them to it (rule 13).
func TestExportCollectionListsEveryHouseholdMasked(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 3)
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, s.households[0], 108400, rid("c")))
	testkit.Must[*pb.Contribution](t)(e.pay(s.project, s.households[1], 50_050, rid("c")))

	var header metadata.MD
	body, err := e.ExportCollection(bg, &pb.ExportCollectionRequest{ProjectId: s.project, Format: "xlsx"}, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	rows := sheetRows(t, body, header, "收款清单", "collection-"+s.project+".xlsx")
	want := []string{
		"住户编号|住户|居民|应缴（元）|已缴（元）|未缴（元）|状态",
		s.households[0] + "|1栋 1单元 101|张**|1,084.00|1,084.00|0.00|已缴清",
		s.households[1] + "|1栋 2单元 102|张**|1,084.00|500.50|583.50|部分缴纳",
		s.households[2] + "|1栋 1单元 201|张**|1,084.00|0.00|1,084.00|未缴",
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(r, "|"))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	t.Run("only the households of a status", func(t *testing.T) {
		body, err := e.ExportCollection(bg, &pb.ExportCollectionRequest{ProjectId: s.project, Status: pb.HouseholdQuota_DUE})
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body.Data))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if rows, _ := f.GetRows("收款清单"); len(rows) != 2 || rows[1][0] != s.households[2] {
			t.Fatalf("rows %q", rows)
		}
	})
	t.Run("no plan is not found", func(t *testing.T) {
		_, err := e.ExportCollection(bg, &pb.ExportCollectionRequest{ProjectId: "prj-none"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}

// TestExportTransactionsHoldsEveryPosting: one row per posting in log order, with the
// transaction's kind, times, amount in yuan, request id and memo; a memo that looks like
// a formula stays text.
func TestExportTransactionsHoldsEveryPosting(t *testing.T) {
	t.Parallel()
	e := start(t)
	s := e.site(t, 2)
	testkit.Must[*pb.Receipt](t)(e.receipt(s.project, pb.FundingSource_GOVERNMENT, "区住建局", 10_000_000, "r-1"))
	testkit.Must[*pb.Contribution](t)(e.CreateContribution(bg, &pb.CreateContributionRequest{ProjectId: s.project, Contribution: &pb.Contribution{
		HouseholdId: s.households[0], AmountFen: 108400, Method: pb.Contribution_CASH, RequestId: "c-1", Memo: `=HYPERLINK("http://x","点我")`}}))
	txs := e.transactions(t, s.book)

	var header metadata.MD
	body, err := e.ExportTransactions(bg, &pb.ExportTransactionsRequest{BookId: s.book, Format: "xlsx"}, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	rows := sheetRows(t, body, header, "账目明细", "book-"+s.book+"-entries.xlsx")
	if strings.Join(rows[0], "|") != "序号|交易编号|类型|发生时间|录入时间|科目|金额（元）|请求编号|摘要|冲正的交易|被冲正于|录入账户" {
		t.Fatalf("header %q", rows[0])
	}
	postings := 0
	for _, tx := range txs {
		postings += len(tx.Postings)
	}
	if len(rows)-1 != postings || postings < 4 {
		t.Fatalf("%d rows for %d postings", len(rows)-1, postings)
	}
	var contribution, receipt int
	for _, r := range rows[1:] {
		switch r[2] {
		case "居民出资":
			contribution++
			if r[7] != "c-1" || r[8] != `'=HYPERLINK("http://x","点我")` || (r[6] != "1,084.00" && r[6] != "-1,084.00") {
				t.Errorf("contribution row %q", r)
			}
		case "资金到账":
			receipt++
			if r[7] != "r-1" || (r[6] != "100,000.00" && r[6] != "-100,000.00") {
				t.Errorf("receipt row %q", r)
			}
		}
		if len(r[3]) != len("2006-01-02 15:04:05") || len(r[4]) != len("2006-01-02 15:04:05") {
			t.Errorf("times %q %q", r[3], r[4])
		}
	}
	if contribution != 2 || receipt != 2 {
		t.Fatalf("%d contribution and %d receipt postings:\n%q", contribution, receipt, rows)
	}

	t.Run("an unknown book is not found", func(t *testing.T) {
		_, err := e.ExportTransactions(bg, &pb.ExportTransactionsRequest{BookId: "book-none"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}
