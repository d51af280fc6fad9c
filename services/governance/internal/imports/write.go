package imports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"tongdu/platform/sheet"
	"tongdu/services/governance/internal/registry"
)

// templateRows is how far down a template's dropdowns and text formats reach.
const templateRows = 5000

// Template is an empty .xlsx for an import of kind: the header in Chinese, a second
// sheet naming each column's English alias, dropdowns for the yes/no and enumerated
// columns and the text columns (ID numbers, phones, rooms) formatted as text, so a
// spreadsheet keeps all 18 digits of an ID number.
func Template(kind registry.ImportKind) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const name = "导入"
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return nil, err
	}
	help := [][]string{{"列 / column", "英文别名 / English alias", "必填 / required", "可选值 / choices"}}
	for i, c := range registry.ColumnsOf(kind) {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(name, col+"1", c.Chinese); err != nil {
			return nil, err
		}
		if err := f.SetColWidth(name, col, col, 14); err != nil {
			return nil, err
		}
		if c.Text {
			if err := f.SetColStyle(name, col, text); err != nil {
				return nil, err
			}
		}
		if len(c.Choices) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, templateRows)
			if err := dv.SetDropList(c.Choices); err != nil {
				return nil, err
			}
			if err := f.AddDataValidation(name, dv); err != nil {
				return nil, err
			}
		}
		req := "否"
		if c.Required {
			req = "是"
		}
		help = append(help, []string{c.Chinese, c.Key, req, strings.Join(c.Choices, " / ")})
	}
	last, _ := excelize.ColumnNumberToName(len(registry.ColumnsOf(kind)))
	if err := f.SetCellStyle(name, "A1", last+"1", bold); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet("说明"); err != nil {
		return nil, err
	}
	for i, row := range help {
		if err := f.SetSheetRow("说明", fmt.Sprintf("A%d", i+1), &row); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Report is the uploaded file as .xlsx with an error column after the last: for each row
// with faults, "column: reason; …". The rest is the uploader's own file as it was (an
// .xlsx keeps its other sheets and formats; a CSV becomes one sheet of text cells, made
// safe from formulas). errs are by sheet row number.
func Report(t *Table, data []byte, errs map[int][]registry.RowError) ([]byte, error) {
	text := func(es []registry.RowError) string {
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = e.Column + ": " + e.Reason
		}
		return strings.Join(parts, "; ")
	}
	const errorsHeader = "错误 / errors"
	var buf bytes.Buffer
	if t.Format != "xlsx" {
		// A CSV becomes one sheet, streamed, the error column written with each row (a
		// streamed sheet takes no cells afterwards).
		f := excelize.NewFile()
		defer f.Close()
		const name = "导入"
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
		recs, err := csvLines(data)
		if err != nil {
			return nil, err
		}
		width := len(t.Header)
		for _, rec := range recs {
			width = max(width, len(rec.cells))
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return nil, err
		}
		if err := sw.SetColWidth(width+1, width+1, 60); err != nil {
			return nil, err
		}
		for i, rec := range recs {
			row := make([]any, width+1)
			for j := range width {
				row[j] = ""
				if j < len(rec.cells) {
					row[j] = sheet.SafeCell(rec.cells[j])
				}
			}
			row[width] = text(errs[rec.line])
			if i == 0 {
				row[width] = errorsHeader
			}
			cell, _ := excelize.CoordinatesToCellName(1, rec.line)
			if err := sw.SetRow(cell, row); err != nil {
				return nil, err
			}
		}
		if err := sw.Flush(); err != nil {
			return nil, err
		}
		if err := f.Write(&buf); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	width := len(t.Header)
	if dim, err := f.GetSheetDimension(t.Sheet); err == nil {
		if parts := strings.Split(dim, ":"); len(parts) == 2 {
			if c, _, err := excelize.CellNameToCoordinates(parts[1]); err == nil && c > width {
				width = c
			}
		}
	}
	col, _ := excelize.ColumnNumberToName(width + 1)
	if err := f.SetCellStr(t.Sheet, col+"1", errorsHeader); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(t.Sheet, col, col, 60); err != nil {
		return nil, err
	}
	red, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "C00000"}})
	if err != nil {
		return nil, err
	}
	for row, es := range errs {
		cell := fmt.Sprintf("%s%d", col, row)
		if err := f.SetCellStr(t.Sheet, cell, text(es)); err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(t.Sheet, cell, cell, red); err != nil {
			return nil, err
		}
	}
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type csvLine struct {
	line  int
	cells []string
}

// csvLines reads a CSV again, each record with its line (its row in a spreadsheet).
func csvLines(data []byte) ([]csvLine, error) {
	text, _, err := DecodeText(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	var out []csvLine
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		n, _ := r.FieldPos(0)
		out = append(out, csvLine{n, rec})
	}
}
