package browser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance"
)

// Importing a register on screen, without scripts: a community's clerk opens the
// compound's import page, uploads a CSV, sees the preview with the bad row's error
// beside it, confirms, and finds the households registered.
func TestImportsWithoutScripts(t *testing.T) {
	s := startSite(t)
	e := s.newEstate("石羊路21号院", 1985)
	s.addAccount(governance.NewAccount{Login: "zhao.import", DisplayName: "赵社区", Role: auth.CommunityStaff, Scope: "regions/" + e.Community, Password: testPassword})
	file := filepath.Join(t.TempDir(), "住户名册.csv")
	csv := "楼栋,单元,房号,专有面积,姓名,电话,身份证号,党员,无障碍需求\n" +
		"1号楼,1,101,58.6,张三,13800000001,11010519491231002X,是,否\n" +
		"2号楼,1,101,62,李四,,,否,是\n" +
		"2号楼,1,102,,王五,,110105194912310021,否,否\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	b := s.openNoScript(desktop)
	b.signIn("zhao.import", testPassword)
	b.visit("/compounds/" + e.Compound.Id)
	b.follow(`a[href$="/import"]`)
	if h := b.text("main h1"); h != "导入住户名册" {
		t.Fatalf("import page heading %q at %s", h, b.location())
	}
	b.do(chromedp.SetUploadFiles(css("#f-file"), []string{file}))
	b.follow(`main form button[type=submit]`)
	if !strings.HasPrefix(b.location(), "/imports/") {
		t.Fatalf("after the upload: at %s: %s", b.location(), b.text("main"))
	}
	page := b.text("main")
	for _, want := range []string{"专有面积: is required", "身份证号: the check digit", "确认导入 2 行"} {
		if !strings.Contains(page, want) {
			t.Errorf("the preview lacks %q: %s", want, page)
		}
	}
	b.follow(`main form button[type=submit]`)
	if n := b.text("p.notice"); n != "导入已完成" {
		t.Errorf("notice %q after confirming: %s", n, b.text("main"))
	}
	hs := testkit.Must[*governancepb.ListHouseholdsResponse](t)(s.gov().ListHouseholds(s.district(), &governancepb.ListHouseholdsRequest{CompoundId: e.Compound.Id}))
	if len(hs.GetHouseholds()) != 2 {
		t.Fatalf("households after the import: %d, want 2", len(hs.GetHouseholds()))
	}
}
