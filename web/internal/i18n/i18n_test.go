package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Both catalogs hold the same keys: a page never shows a key in one language only.
func TestCatalogsHoldTheSameKeys(t *testing.T) {
	for _, pair := range [][2]Lang{{ZH, EN}, {EN, ZH}} {
		var missing []string
		for _, k := range pair[0].Keys() {
			if !pair[1].Has(k) {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s has keys %s lacks: %v", pair[0], pair[1], missing)
		}
	}
}

// literalKey finds a key written out in a page or handler: T("x.y"), .T("x.y", …).
var literalKey = regexp.MustCompile(`\bT\("([a-z0-9_.]+)"\s*[,)]`)

// Every key the console's pages and handlers name literally is in the catalogs (keys
// built at run time, like "role." + role, are checked where they are built).
func TestPagesNameOnlyKnownKeys(t *testing.T) {
	var files []string
	for _, dir := range []string{"../view", "../console"} {
		for _, pat := range []string{"*.templ", "*.go"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			files = append(files, m...)
		}
	}
	if len(files) == 0 {
		t.Fatal("no pages found")
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_templ.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalKey.FindAllStringSubmatch(string(b), -1) {
			if !ZH.Has(m[1]) {
				t.Errorf("%s names %q, which the catalog lacks", f, m[1])
			}
		}
	}
}

func TestParseDefaultsToChinese(t *testing.T) {
	for tag, want := range map[string]Lang{"": ZH, "zh-CN": ZH, "en": EN, "en-GB": EN, "fr": ZH, "EN": EN} {
		if got := Parse(tag); got != want {
			t.Errorf("Parse(%q) = %s, want %s", tag, got, want)
		}
	}
}
