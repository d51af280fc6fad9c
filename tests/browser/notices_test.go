package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// postPlanOnScreen posts a project's plan on its compound's board from the project page
// (rule 14), as put up on paper eight days ago, so its week is over; the notice's page
// shows it public and printable, then the project page is shown again.
func postPlanOnScreen(t *testing.T, b *browser, pid string) {
	t.Helper()
	b.visit("/projects/" + pid)
	// A date input takes its value set, not typed (typing follows the browser's locale).
	b.do(chromedp.SetValue(css("#"+fieldID("notice.opensAt")), time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -8).Format(time.DateOnly)))
	b.follow(`#post-plan`)
	if !strings.Contains(b.location(), "/notices/") {
		t.Fatalf("posting the plan went to %s: %s", b.location(), b.text("main"))
	}
	if got := b.text("main"); !strings.Contains(got, "公示期满") || !strings.Contains(got, "改造方案公示") {
		t.Errorf("the posted plan's page: %q", got)
	}
	b.accessible()
	b.visit("/projects/" + pid)
}
