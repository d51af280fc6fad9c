package api_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// TestExportDepartmentPerformanceIsTheReportOfEachDepartment: one row per department
// with the report's figures (hours, rates as percentages); a department's name that
// looks like a formula stays text; one department alone when named.
func TestExportDepartmentPerformanceIsTheReportOfEachDepartment(t *testing.T) {
	e, clock := startWith(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.communityA.Id)
	e.department(t, "water", "水务局")
	e.department(t, "evil", "=HYPERLINK(\"http://x\")")
	h := time.Hour

	w1 := e.whistle(t, c.Id, pb.Whistle_URGENT, "water")
	clock.Set(30 * time.Minute)
	e.ack(t, w1.Id, "water")
	clock.Set(10 * h)
	e.resolve(t, w1.Id, "water")
	testkit.Must[*pb.Whistle](t)(e.CloseWhistle(bg, &pb.CloseWhistleRequest{Id: w1.Id, Ratings: []*pb.DepartmentRating{{DepartmentId: "water", Score: 5}}}))
	// W2 URGENT at 10 h, never acknowledged: overdue past its limit.
	e.whistle(t, c.Id, pb.Whistle_URGENT, "water")
	clock.Set(50 * h)

	read := func(t *testing.T, req *pb.ExportDepartmentPerformanceRequest, ascii string) []string {
		t.Helper()
		var header metadata.MD
		body, err := e.ExportDepartmentPerformance(bg, req, grpc.Header(&header))
		if err != nil {
			t.Fatal(err)
		}
		if body.ContentType != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("content type %q", body.ContentType)
		}
		if cd := strings.Join(header.Get("content-disposition"), ""); !strings.Contains(cd, `filename="`+ascii+`"`) || !strings.Contains(cd, "filename*=UTF-8''%E9%83%A8%E9%97%A8") {
			t.Fatalf("content-disposition %q", cd)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body.Data))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("部门考评")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, strings.Join(r, "|"))
		}
		return out
	}
	header := "部门代码|部门|受理事项|已报到|已办结|超时|超时率|平均报到用时（小时）|平均办结用时（小时）|平均评价"
	water := "water|水务局|2|1|1|1|50.0%|0.50|10.00|5.00"
	got := read(t, &pb.ExportDepartmentPerformanceRequest{Format: "xlsx"}, "department-performance.xlsx")
	want := []string{header, "evil|'=HYPERLINK(\"http://x\")|0|0|0|0|0.0%|0.00|0.00|0.00", water}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := e.performance(t, "water"); p.Whistles != 2 || p.Overdue != 1 || p.MeanRating != 5 {
		t.Fatalf("the report says %v", p)
	}

	t.Run("one department", func(t *testing.T) {
		got := read(t, &pb.ExportDepartmentPerformanceRequest{DepartmentId: "water"}, "department-water-performance.xlsx")
		if strings.Join(got, "\n") != header+"\n"+water {
			t.Fatalf("rows %q", got)
		}
	})
	t.Run("an unknown department is NOT_FOUND", func(t *testing.T) {
		_, err := e.ExportDepartmentPerformance(bg, &pb.ExportDepartmentPerformanceRequest{DepartmentId: "nope"})
		testkit.WantStatus(t, err, codes.NotFound)
	})
}
