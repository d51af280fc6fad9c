package sheet_test

import (
	"strings"
	"testing"

	"tongdu/platform/sheet"
)

func TestCellsNeverRunAsFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\",\"点我\")": "'=HYPERLINK(\"http://x\",\"点我\")",
		"+1":                              "'+1",
		"-2+3":                            "'-2+3",
		"@SUM":                            "'@SUM",
		"\t=1":                            "'\t=1",
		"\r=1":                            "'\r=1",
		"同意":                              "同意",
		"12.5%":                           "12.5%",
		"":                                "",
		"a=b":                             "a=b",
	} {
		if got := sheet.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
	out, err := sheet.CSV([][]string{{"问题", "选项"}, {"=cmd|' /C calc'!A0", "同意"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "\ufeff") || !strings.Contains(string(out), "'=cmd") {
		t.Fatalf("CSV %q: want a BOM and the formula made text", out)
	}
}
