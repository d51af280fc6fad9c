package api_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// openXLSX opens an exported workbook and returns its one sheet's rows, after checking
// the content type and that the browser is told a Chinese name with an ASCII fallback.
func openXLSX(t *testing.T, body interface {
	GetContentType() string
	GetData() []byte
}, header metadata.MD, sheetName, ascii string) [][]string {
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

func TestExportSurveyStatsAsAWorkbook(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000, 8000, 9000, 10000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	e.submit(t, sv.Id, response(hs[0], answer("wants", "yes"), answer("items", "pipes", "lifts")))
	e.submit(t, sv.Id, response(hs[1], answer("wants", "yes"), answer("items", "pipes")))
	e.submit(t, sv.Id, response(hs[2], answer("wants", "no")))

	var header metadata.MD
	body, err := e.ExportSurveyStats(bg, &pb.ExportSurveyStatsRequest{SurveyId: sv.Id, Format: "xlsx"}, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	rows := openXLSX(t, body, header, "民意调查统计表", "survey-"+sv.Id+"-stats.xlsx")
	if len(rows) != 1+6 || strings.Join(rows[0], "|") != "问题编号|问题|选项编号|选项|户数|占比|作答户数|应答户数|总户数" {
		t.Fatalf("rows %q", rows)
	}
	want := map[string]string{
		"yes":   "wants|您是否愿意改造？|yes|愿意|2|66.7%|3|3|5",
		"pipes": "items|最希望改造的项目|pipes|水管|2|100.0%|2|3|5",
		"roads": "items|最希望改造的项目|roads|道路|0|0.0%|2|3|5",
	}
	for _, row := range rows[1:] {
		if w, ok := want[row[2]]; ok && strings.Join(row, "|") != w {
			t.Errorf("row %q, want %s", row, w)
		}
	}

	t.Run("the CSV stays the default", func(t *testing.T) {
		body, err := e.ExportSurveyStats(bg, &pb.ExportSurveyStatsRequest{SurveyId: sv.Id})
		if err != nil || body.ContentType != "text/csv; charset=utf-8" {
			t.Fatalf("%v, %v", body.GetContentType(), err)
		}
	})
	t.Run("another format is bad input", func(t *testing.T) {
		if _, err := e.ExportSurveyStats(bg, &pb.ExportSurveyStatsRequest{SurveyId: sv.Id, Format: "pdf"}); err == nil {
			t.Fatal("format pdf was taken")
		}
	})
}

func TestExportRankingShowsEveryTermOfEveryCompound(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	yi := e.compound(t, "乙小区", tr.comA.Id, 1990, good, good)
	yiHs := e.households(t, yi.Id, 6000, 6000)
	yiSv := e.open(t, yi.Id, pb.Survey_NEEDS, 0)
	for _, h := range yiHs {
		e.submit(t, yiSv.Id, response(h, answer("wants", "yes")))
	}
	e.compound(t, "甲小区", tr.comA.Id, 1985, poor, poor, poor)
	// A name that looks like a formula stays text.
	e.compound(t, "=1+2", tr.comB.Id, 0)

	var header metadata.MD
	body, err := e.ExportRanking(bg, &pb.ExportRankingRequest{RegionId: tr.district.Id, Format: "xlsx"}, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	rows := openXLSX(t, body, header, "改造优先级排名", "ranking-"+tr.district.Id+".xlsx")
	got := make([]string, len(rows))
	for i, r := range rows {
		if i > 0 && len(r) > 1 {
			r = append(r[:1:1], r[2:]...) // the compounds' ids are the registry's
		}
		got[i] = strings.Join(r, "|")
	}
	want := []string{
		"名次|小区编号|小区|建成年份|阶段|得分|设施缺损（权重0.40）|改造意愿（权重0.35）|参与程度（权重0.25）|需求调查",
		"1|乙小区|1990|征求意见中|0.600|0.00|1.00|1.00|" + yiSv.Id,
		"2|甲小区|1985|已摸底登记|0.400|1.00|0.00|0.00",
		"3|'=1+2||已摸底登记|0.000|0.00|0.00|0.00",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

}
