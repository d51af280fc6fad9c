package console

import (
	"testing"

	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// Amounts are typed in yuan and kept in fen exactly (rule 7): no floating point, at most
// two decimals, thousands separators only where they belong.
func TestParseYuan(t *testing.T) {
	for typed, want := range map[string]int64{
		"1,234.50": 123450, "1234.5": 123450, "0.01": 1, "80": 8000, "¥1,084": 108400, "１２３．４": 12340,
		" 600,000 ": 60000000, "0.1": 10, "1084元": 108400, "007": 700, "999999999999.99": 99999999999999,
	} {
		got, err := parseYuan(typed)
		if err != nil || got != want {
			t.Errorf("parseYuan(%q) = %d, %v; want %d", typed, got, err, want)
		}
	}
	for typed, want := range map[string]string{
		"1.234": "decimals", "12.345": "decimals", "1,23.4": "format", "12,34": "format", "-5": "format", "abc": "format",
		"1.": "format", ".5": "format", "1e3": "format", "1,,234": "format", "1000000000000": "large", "": "format",
	} {
		if _, err := parseYuan(typed); err == nil || err.Error() != want {
			t.Errorf("parseYuan(%q): error %v, want %s", typed, err, want)
		}
	}
}

// A day of record (rule 15) is the district's day, noon of it; none given is none; a
// malformed one is told beside its field.
func TestDayField(t *testing.T) {
	errs := view.Errors{}
	if got := dayField(i18n.ZH, errs, "f", ""); got != nil || errs.Any() {
		t.Errorf("empty: %v %v", got, errs)
	}
	got := dayField(i18n.ZH, errs, "f", "2021-05-10")
	if got == nil || got.AsTime().In(view.China).Format("2006-01-02 15:04") != "2021-05-10 12:00" {
		t.Errorf("2021-05-10: %v", got)
	}
	if dayField(i18n.ZH, errs, "f", "10/05/2021"); errs.Of("f") == "" {
		t.Errorf("a malformed day is not told: %v", errs)
	}
}
