package registry

import "testing"

func TestIDNumbersAreCheckedByGB11643(t *testing.T) {
	for _, tc := range []struct {
		name string
		cell Cell
		want error
	}{
		{"valid", Cell{Text: "11010519491231002X"}, nil},
		{"lower-case x", Cell{Text: "11010519491231002x"}, nil},
		{"wrong check digit", Cell{Text: "110105194912310021"}, ErrIDCheckDigit},
		{"stored as a number", Cell{Text: "110105194912310000", Numeric: true}, ErrIDStoredAsNumber},
		{"scientific notation", Cell{Text: "1.10105E+17"}, ErrIDStoredAsNumber},
		{"too short", Cell{Text: "1101051949123100"}, ErrIDShape},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := CheckIDNumber(tc.cell); err != tc.want {
				t.Fatalf("CheckIDNumber(%+v) = %v, want %v", tc.cell, err, tc.want)
			}
		})
	}
}
