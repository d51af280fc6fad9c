package textrule_test

import (
	"strings"
	"testing"
	"unicode"

	"tongdu/platform/textrule"
)

func TestProblem(t *testing.T) {
	for _, c := range []struct {
		s         string
		multiline bool
		ok        bool
	}{
		{"石羊路21号院", false, true},
		{"", false, true},
		{"1栋 2单元", false, true},
		{"第一行\n第二行\t缩进", true, true},
		{"第一行\n第二行", false, false},
		{"名\x00字", true, false},
		{"名\x7f字", false, false},
		{"东川\u202e区", false, false},
		{"东川\u2066区", true, false},
		{"东川\u200f区", false, true},
		{"   ", false, false},
		{"\u200b\u200b", false, false},
		{"\ufeff \u3164", true, false},
		{"\n\n", true, false},
		{"a\u200db", false, true},
	} {
		if got := textrule.Problem(c.s, c.multiline); (got == "") != c.ok {
			t.Errorf("Problem(%q, %v) = %q, want ok %v", c.s, c.multiline, got, c.ok)
		}
	}
}

// FuzzProblem: whatever text passes has no control character but line breaks and tabs
// (in long text), no bidirectional control, and something visible; whatever fails has
// one of these faults.
func FuzzProblem(f *testing.F) {
	for _, s := range []string{"石羊路21号院", "a\nb", "\u202e", "\u200b", " ", "x\x00", "\xc2\x80"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		problem := textrule.Problem(s, multiline)
		var control, bidi, visible bool
		for _, r := range s {
			if unicode.IsControl(r) && !(multiline && strings.ContainsRune("\n\r\t", r)) {
				control = true
			}
			if (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
				bidi = true
			}
			if !textrule.Invisible(r) {
				visible = true
			}
		}
		bad := s != "" && (control || bidi || !visible || !isUTF8(s))
		if bad != (problem != "") {
			t.Fatalf("Problem(%q, %v) = %q; control %v, bidi %v, visible %v", s, multiline, problem, control, bidi, visible)
		}
	})
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
