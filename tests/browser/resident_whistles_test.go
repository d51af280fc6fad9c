package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// A household's whistle on a phone (rule 11, issue 19): the resident reports what is
// wrong (an empty form is told beside its fields), sees it wait for the community's
// triage, and once the departments have done and the community closed it, rates it
// 1–5, once.
func TestResidentReportsAndRatesAWhistle(t *testing.T) {
	s := whistlesStartSite(t)
	e := s.newEstate("铜都小区", 1988, 55, 60)
	whistlesDepartments(s)
	b := residentSignIn(s, phone, e.Households[0].Id)
	b.visit("/r/whistles")
	b.follow(`#res-report-submit`)
	if c, d := b.text("#f-category-error"), b.text("#f-description-error"); c == "" || d == "" {
		t.Fatalf("an empty report: category error %q, description error %q", c, d)
	}
	b.do(chromedp.SetValue(css("#f-category"), "ROAD"))
	b.do(chromedp.SetValue(css("#"+fieldID("description")), "3号楼门口路灯不亮")) // a textarea
	b.fill("address", "3号楼门口")
	b.follow(`#res-report-submit`)
	if got := b.text("#res-whistles"); !strings.Contains(got, "路灯不亮") || !strings.Contains(got, "待分派") {
		t.Fatalf("after reporting, the household's whistles: %q", got)
	}
	b.accessible()

	ws := testkit.Must[*governancepb.ListWhistlesResponse](t)(s.gov().ListWhistles(s.district(), &governancepb.ListWhistlesRequest{CompoundId: e.Compound.Id}))
	if len(ws.GetWhistles()) != 1 || ws.GetWhistles()[0].GetStatus() != governancepb.Whistle_REPORTED || ws.GetWhistles()[0].GetReporter() != "households/"+e.Households[0].Id {
		t.Fatalf("the compound's whistles: %v", ws.GetWhistles())
	}
	id, ctx, gov := ws.GetWhistles()[0].GetId(), s.district(), s.gov()
	testkit.Must[*governancepb.Whistle](t)(gov.TriageWhistle(ctx, &governancepb.TriageWhistleRequest{Id: id, DepartmentIds: []string{"power"}, Priority: governancepb.Whistle_NORMAL}))
	testkit.Must[*governancepb.Whistle](t)(gov.AcknowledgeWhistle(ctx, &governancepb.AcknowledgeWhistleRequest{Id: id, DepartmentId: "power"}))
	testkit.Must[*governancepb.Whistle](t)(gov.ResolveWhistle(ctx, &governancepb.ResolveWhistleRequest{Id: id, DepartmentId: "power", Remarks: "已更换灯泡"}))
	testkit.Must[*governancepb.Whistle](t)(gov.CloseWhistle(ctx, &governancepb.CloseWhistleRequest{Id: id, Ratings: []*governancepb.DepartmentRating{{DepartmentId: "power", Score: 5}}}))

	b.visit("/r/whistles")
	b.follow(`#w-` + id + ` button[type=submit]`)
	if got := b.text(`#w-` + id + ` .error`); got == "" {
		t.Errorf("rating with no score chosen is not told: %q", b.text("#w-"+id))
	}
	// The page afresh, as a resident comes back to it (not the form sent back by htmx,
	// whose swap a click could race).
	b.visit("/r/whistles")
	b.do(chromedp.Click(css(`#w-` + id + ` input[name=rating][value="4"]`)))
	b.follow(`#w-` + id + ` button[type=submit]`)
	if got := b.text(`#w-` + id); !strings.Contains(got, "本户评价：4 分") || !strings.Contains(got, "已关闭") {
		t.Errorf("after rating: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("#w-`+id+` form").length`); n != 0 {
		t.Errorf("a rated whistle still offers %d forms", n)
	}
	b.accessible()
}
