package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every message has words in both languages: a page never shows a blank in one of them.
func TestEveryMessageHasBothLanguages(t *testing.T) {
	var blank []string
	for _, l := range Langs {
		for _, k := range l.Keys() {
			if strings.TrimSpace(l.T(k)) == "" {
				blank = append(blank, string(l)+" "+k)
			}
		}
	}
	sort.Strings(blank)
	if len(blank) > 0 {
		t.Errorf("messages without words: %v", blank)
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
