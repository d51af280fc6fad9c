package sheet_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tongdu/platform/sheet"
)

func TestWorkbookKeepsTypesAndDefusesFormulas(t *testing.T) {
	w, err := sheet.NewWorkbook("收款清单", []sheet.Column{
		{Header: "户", Kind: sheet.Text},
		{Header: "应缴（元）", Kind: sheet.Yuan},
		{Header: "户数", Kind: sheet.Integer},
		{Header: "占比", Kind: sheet.Percent},
		{Header: "日期", Kind: sheet.Date},
		{Header: "时间", Kind: sheet.DateTime},
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 31, 17, 30, 0, 0, time.UTC) // 01:30 on 1 April in the district
	if err := w.Row("=HYPERLINK(\"http://x\",\"点我\")", int64(123456), 3, 0.25, at, at); err != nil {
		t.Fatal(err)
	}
	if err := w.Row("1号楼 101", int64(-5), int32(0), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Row("a", "b", "c", "d", "e", "f", "g"); err == nil {
		t.Fatal("a row wider than the columns was written")
	}
	data, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "收款清单" {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows("收款清单")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"户", "应缴（元）", "户数", "占比", "日期", "时间"},
		{"'=HYPERLINK(\"http://x\",\"点我\")", "1,234.56", "3", "25.0%", "2026-04-01", "2026-04-01 01:30:00"},
		{"1号楼 101", "-0.05", "0"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i+1, rows[i], want[i])
		}
	}
	if fm, _ := f.GetCellFormula("收款清单", "A2"); fm != "" {
		t.Errorf("A2 holds the formula %q", fm)
	}
	if v, _ := f.GetCellValue("收款清单", "B2", excelize.Options{RawCellValue: true}); v != "1234.56" {
		t.Errorf("B2 raw %q, want the number of yuan", v)
	}
	if ty, _ := f.GetCellType("收款清单", "B2"); ty == excelize.CellTypeSharedString || ty == excelize.CellTypeInlineString {
		t.Errorf("B2 is text (%v), want a number", ty)
	}
}

func TestDispositionNamesTheFileInChineseWithAnASCIIFallback(t *testing.T) {
	got := sheet.Disposition("收款清单 p1.xlsx", "collection-p1.xlsx")
	want := `attachment; filename="collection-p1.xlsx"; filename*=UTF-8''%E6%94%B6%E6%AC%BE%E6%B8%85%E5%8D%95%20p1.xlsx`
	if got != want {
		t.Fatalf("%s\nwant %s", got, want)
	}
	if got := sheet.Disposition("a", "x\"y\n.xlsx"); !strings.Contains(got, `filename="x_y_.xlsx"`) {
		t.Fatalf("%s: want the quote and newline replaced", got)
	}
}
