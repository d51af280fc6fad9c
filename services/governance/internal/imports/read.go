// Package imports reads the spreadsheets offices keep (.xlsx, and CSV in UTF-8 or
// GB18030, as a Chinese-locale spreadsheet saves it) into rows for the registry's import
// rules, and writes the templates and the reports (the file with an error column). It
// knows file formats, not rules: those are registry.PlanHouseholds and PlanCompounds.
// Nothing here logs a cell: they hold personal data (rule 13).
package imports

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tongdu/platform/fault"
	"tongdu/services/governance/internal/registry"
)

// Table is a file read: the sheet (an .xlsx's first sheet), the encoding (CSV), the
// header and the rows below it, by sheet row number (the header is row 1).
type Table struct {
	Format   string // "xlsx" or "csv"
	Sheet    string
	Encoding string
	Header   []string
	Rows     []registry.SheetRow
}

// MaxRows caps the rows a file may hold: a compound has hundreds of households, a large
// one a few thousand; a community tens of compounds.
const MaxRows = 50000

var (
	oleHeader = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1} // legacy .xls (and other OLE files)
	zipHeader = []byte("PK\x03\x04")
	utf8BOM   = []byte("\xEF\xBB\xBF")
)

// Refusals of a file as a whole: bad input on the field "file".
func refuse(why string) error { return fault.Field("file", why) }

// Read reads data (named name as uploaded) for an import of kind: an .xlsx (its first
// sheet, streamed) or a CSV in UTF-8 or GB18030. A legacy .xls is refused asking for
// .xlsx, and a CSV that is neither UTF-8 nor GB18030 (bytes that decode to U+FFFD) is
// refused rather than guessed. The header must name the kind's required columns
// (registry.MatchColumns).
func Read(kind registry.ImportKind, name string, data []byte) (*Table, error) {
	switch {
	case bytes.HasPrefix(data, oleHeader):
		return nil, refuse("this is a legacy Excel 97-2003 file (.xls): save it as an Excel workbook (.xlsx) and upload that")
	case bytes.HasPrefix(data, zipHeader):
		return readXLSX(kind, data)
	case strings.HasSuffix(strings.ToLower(name), ".xlsx"):
		return nil, refuse("not a readable .xlsx workbook")
	}
	return readCSV(kind, data)
}

// DecodeText returns data as UTF-8 text and the encoding it was in: UTF-8 (with or
// without a byte-order mark) or GB18030. GB18030's decoder never fails (bad bytes become
// U+FFFD), so a text that decodes to U+FFFD is refused, not guessed.
func DecodeText(data []byte) (string, string, error) {
	if b, ok := bytes.CutPrefix(data, utf8BOM); ok {
		if !utf8.Valid(b) || bytes.ContainsRune(b, utf8.RuneError) {
			return "", "", refuse("the file says it is UTF-8 but holds bytes that are not")
		}
		return string(b), "UTF-8", nil
	}
	if utf8.Valid(data) {
		if bytes.ContainsRune(data, utf8.RuneError) {
			return "", "", refuse("the text holds replacement characters (U+FFFD): it was damaged before upload")
		}
		return string(data), "UTF-8", nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", "", refuse("the text is neither UTF-8 nor GB18030 (GBK): save the sheet again as CSV UTF-8 or as .xlsx")
	}
	return string(out), "GB18030", nil
}

func readCSV(kind registry.ImportKind, data []byte) (*Table, error) {
	text, enc, err := DecodeText(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	t := &Table{Format: "csv", Encoding: enc}
	var at map[string]int
	for first := true; ; {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// csv's message quotes no cell, only where it failed.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, refuse(fmt.Sprintf("row %d is not valid CSV (%v)", pe.StartLine, pe.Err))
			}
			return nil, refuse("not valid CSV")
		}
		// The sheet's row is the record's line (encoding/csv skips blank lines, which a
		// spreadsheet shows as empty rows).
		n, _ := r.FieldPos(0)
		if first {
			first = false
			t.Header = rec
			if at, err = registry.MatchColumns(kind, rec); err != nil {
				return nil, err
			}
			continue
		}
		if err := t.add(n, rec, nil, at); err != nil {
			return nil, err
		}
	}
	if t.Header == nil {
		return nil, refuse("the file is empty")
	}
	return t, nil
}

// add keeps row n unless it is blank; numeric says which columns the sheet stored as
// numbers.
func (t *Table) add(n int, rec []string, numeric map[int]bool, at map[string]int) error {
	blank := true
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			blank = false
			break
		}
	}
	if blank {
		return nil
	}
	if len(t.Rows) >= MaxRows {
		return refuse(fmt.Sprintf("more than %d rows: split the file", MaxRows))
	}
	cells := make(map[string]registry.Cell, len(at))
	for key, i := range at {
		if i < len(rec) {
			cells[key] = registry.Cell{Text: rec[i], Numeric: numeric[i]}
		}
	}
	t.Rows = append(t.Rows, registry.SheetRow{Number: n, Cells: cells})
	return nil
}

func readXLSX(kind registry.ImportKind, data []byte) (*Table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, refuse("not a readable .xlsx workbook (a password-protected one must be saved without its password)")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, refuse("the workbook has no sheet")
	}
	t := &Table{Format: "xlsx", Sheet: sheets[0]}
	// Which cells the sheet stores as numbers: excelize's row stream shows text only, and
	// an ID number typed as a number shows 18 digits of which the last three are lost.
	numeric, err := numericCells(data)
	if err != nil {
		return nil, refuse("not a readable .xlsx workbook")
	}
	rows, err := f.Rows(t.Sheet)
	if err != nil {
		return nil, refuse("the first sheet cannot be read")
	}
	defer rows.Close()
	var at map[string]int
	for n := 0; rows.Next(); {
		n++
		rec, err := rows.Columns()
		if err != nil {
			return nil, refuse(fmt.Sprintf("row %d cannot be read", n))
		}
		if n == 1 {
			t.Header = rec
			if at, err = registry.MatchColumns(kind, rec); err != nil {
				return nil, err
			}
			continue
		}
		if err := t.add(n, rec, numeric[n], at); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, refuse("the first sheet cannot be read")
	}
	if t.Header == nil {
		return nil, refuse("the first sheet is empty")
	}
	return t, nil
}

// numericCells streams the first sheet's XML once for the cells stored as numbers
// (no type, or t="n"), by row number and 0-based column.
func numericCells(data []byte) (map[int]map[int]bool, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	sheet, err := firstSheetPath(zr)
	if err != nil {
		return nil, err
	}
	rc, err := zr.Open(sheet)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	out := map[int]map[int]bool{}
	d := xml.NewDecoder(rc)
	row, col := 0, -1
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch el.Name.Local {
		case "row":
			row, col = row+1, -1
			if r, err := strconv.Atoi(attr(el, "r")); err == nil {
				row = r
			}
		case "c":
			col++
			if ref := attr(el, "r"); ref != "" {
				if c, r, err := excelize.CellNameToCoordinates(ref); err == nil {
					col, row = c-1, r
				}
			}
			if t := attr(el, "t"); t == "" || t == "n" {
				// A styled empty cell has no value; it shows nothing, so it is no number.
				if hasValue(d) {
					if out[row] == nil {
						out[row] = map[int]bool{}
					}
					out[row][col] = true
				}
			}
		}
	}
}

// hasValue reads a cell element to its end and says whether it held a value.
func hasValue(d *xml.Decoder) bool {
	depth, value := 1, false
	for depth > 0 {
		tok, err := d.Token()
		if err != nil {
			return value
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if el.Name.Local == "v" {
				value = true
			}
		case xml.EndElement:
			depth--
		}
	}
	return value
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// firstSheetPath is the part holding the workbook's first sheet (xl/workbook.xml names
// it, xl/_rels/workbook.xml.rels says where it is).
func firstSheetPath(zr *zip.Reader) (string, error) {
	var wb struct {
		Sheets []struct {
			RID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(zr, "xl/workbook.xml", &wb); err != nil {
		return "", err
	}
	if err := decodePart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return "", err
	}
	if len(wb.Sheets) == 0 {
		return "", errors.New("no sheet")
	}
	for _, r := range rels.Rels {
		if r.ID == wb.Sheets[0].RID {
			if strings.HasPrefix(r.Target, "/") {
				return strings.TrimPrefix(r.Target, "/"), nil
			}
			return path.Join("xl", r.Target), nil
		}
	}
	return "", errors.New("the first sheet has no part")
}

func decodePart(zr *zip.Reader, name string, v any) error {
	rc, err := zr.Open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}
