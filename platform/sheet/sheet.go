// Package sheet writes the tables offices open in a spreadsheet. A cell that begins with
// = + - @ (or a tab or carriage return) would be run by the spreadsheet as a formula, so
// a resident's answer "=HYPERLINK(…)" could act on the clerk's machine; such cells are
// written with a leading apostrophe, which spreadsheets show as text.
package sheet

import (
	"bytes"
	"encoding/csv"
	"strings"
)

// utf8BOM lets Excel open a CSV with its Chinese text intact.
const utf8BOM = "\ufeff"

// SafeCell is s as a cell no spreadsheet runs as a formula.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CSV writes rows as UTF-8 CSV with a byte-order mark, every cell made safe.
func CSV(rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, c := range row {
			safe[i] = SafeCell(c)
		}
		if err := w.Write(safe); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
