package sheet

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"tongdu/platform/dated"
)

// XLSXType is the content type of an .xlsx workbook.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Zone is the district's clock (dated.Zone): dates and times are written as its offices
// read them (a spreadsheet's dates have no zone).
var Zone = dated.Zone

// Kind is how a column's cells are written and shown.
type Kind int

const (
	// Text: a string, made safe (SafeCell) and kept as text.
	Text Kind = iota
	// Integer: a count (int, int32, int64).
	Integer
	// Yuan: money given as int64 fen, written as a number of yuan shown "#,##0.00".
	Yuan
	// Percent: a ratio (0.25) shown "0.0%".
	Percent
	// Decimal: a float64 shown with two decimals.
	Decimal
	// Date: a time.Time shown as its date in Zone; the zero time is an empty cell.
	Date
	// DateTime: a time.Time shown as date and time in Zone; the zero time is empty.
	DateTime
)

// Column is one column of a workbook: its header (Chinese, as the offices name it) and
// how its cells are written.
type Column struct {
	Header string
	Kind   Kind
	// Width in characters; 0 fits the header.
	Width float64
	// Format is a number format instead of the kind's own ("0.000").
	Format string
}

// Workbook writes one sheet of rows through excelize's StreamWriter, so a long table
// is not held as cells in memory: rows go to a buffer that spills to a temporary file.
// Call Bytes once at the end (or Close to give up).
type Workbook struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	cols   []Column
	styles []int // each column's
	row    int
}

// NewWorkbook starts a workbook of one sheet named name, its first row the columns'
// headers (bold, frozen when scrolling).
func NewWorkbook(name string, cols []Column) (*Workbook, error) {
	f := excelize.NewFile()
	w := &Workbook{f: f, cols: cols, styles: make([]int, len(cols))}
	fail := func(err error) (*Workbook, error) {
		_ = f.Close()
		return nil, fmt.Errorf("sheet: %w", err)
	}
	name = sheetName(name)
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return fail(err)
	}
	// NumFmt 49 is "@" (text): what a clerk types over a text cell stays text.
	kinds := map[Kind]*excelize.Style{
		Text:     {NumFmt: 49},
		Integer:  {NumFmt: 1},
		Yuan:     {CustomNumFmt: ptr("#,##0.00")},
		Percent:  {CustomNumFmt: ptr("0.0%")},
		Decimal:  {NumFmt: 2},
		Date:     {CustomNumFmt: ptr("yyyy-mm-dd")},
		DateTime: {CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss")},
	}
	for i, c := range cols {
		style, ok := kinds[c.Kind]
		if !ok {
			return fail(fmt.Errorf("column %q: unknown kind %d", c.Header, c.Kind))
		}
		if c.Format != "" {
			style = &excelize.Style{CustomNumFmt: ptr(c.Format)}
		}
		id, err := f.NewStyle(style)
		if err != nil {
			return fail(err)
		}
		w.styles[i] = id
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEEEEE"}}})
	if err != nil {
		return fail(err)
	}
	if w.sw, err = f.NewStreamWriter(name); err != nil {
		return fail(err)
	}
	// Widths and panes come before the first row in a stream.
	for i, c := range cols {
		width := c.Width
		if width == 0 {
			width = max(10, float64(displayWidth(c.Header))+2)
		}
		if err := w.sw.SetColWidth(i+1, i+1, width); err != nil {
			return fail(err)
		}
	}
	if err := w.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	cells := make([]any, len(cols))
	for i, c := range cols {
		cells[i] = excelize.Cell{StyleID: header, Value: SafeCell(c.Header)}
	}
	if err := w.sw.SetRow("A1", cells); err != nil {
		return fail(err)
	}
	w.row = 1
	return w, nil
}

func ptr[T any](v T) *T { return &v }

// sheetName is name as a sheet may be named: at most 31 characters, none of []:*?/\.
func sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name)
	if utf8.RuneCountInString(name) > 31 {
		name = string([]rune(name)[:31])
	}
	if name == "" {
		name = "Sheet1"
	}
	return name
}

// displayWidth counts a Chinese character as two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r > 0x2e80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Row writes the next row, one value per column as the column's kind says; nil leaves a
// cell empty.
func (w *Workbook) Row(values ...any) error {
	if len(values) > len(w.cols) {
		return fmt.Errorf("sheet: a row of %d cells under %d columns", len(values), len(w.cols))
	}
	cells := make([]any, len(values))
	for i, v := range values {
		c, err := w.cell(w.cols[i].Kind, w.styles[i], v)
		if err != nil {
			return fmt.Errorf("sheet: column %q: %w", w.cols[i].Header, err)
		}
		cells[i] = c
	}
	w.row++
	cell, err := excelize.CoordinatesToCellName(1, w.row)
	if err != nil {
		return err
	}
	return w.sw.SetRow(cell, cells)
}

// Rows is how many rows were written below the header.
func (w *Workbook) Rows() int { return w.row - 1 }

func (w *Workbook) cell(kind Kind, style int, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kind {
	case Text:
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		if s == "" {
			return nil, nil
		}
		return excelize.Cell{StyleID: style, Value: SafeCell(s)}, nil
	case Yuan:
		fen, ok := integer(v)
		if !ok {
			return nil, fmt.Errorf("fen must be an integer, not %T", v)
		}
		return excelize.Cell{StyleID: style, Value: float64(fen) / 100}, nil
	case Integer:
		n, ok := integer(v)
		if !ok {
			return nil, fmt.Errorf("want an integer, not %T", v)
		}
		return excelize.Cell{StyleID: style, Value: n}, nil
	case Percent, Decimal:
		switch f := v.(type) {
		case float64:
			return excelize.Cell{StyleID: style, Value: f}, nil
		case float32:
			return excelize.Cell{StyleID: style, Value: float64(f)}, nil
		}
		if n, ok := integer(v); ok {
			return excelize.Cell{StyleID: style, Value: float64(n)}, nil
		}
		return nil, fmt.Errorf("want a number, not %T", v)
	case Date, DateTime:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("want a time, not %T", v)
		}
		if t.IsZero() {
			return nil, nil
		}
		// A spreadsheet's time has no zone: the district's wall clock, as a UTC time
		// (excelize counts from the epoch in absolute time).
		l := t.In(Zone)
		wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
		if kind == Date {
			wall = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
		}
		return excelize.Cell{StyleID: style, Value: wall}, nil
	}
	return nil, fmt.Errorf("unknown kind %d", kind)
}

func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint32:
		return int64(n), true
	}
	return 0, false
}

// Bytes ends the sheet and returns the workbook's file.
func (w *Workbook) Bytes() ([]byte, error) {
	defer w.Close()
	if err := w.sw.Flush(); err != nil {
		return nil, fmt.Errorf("sheet: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("sheet: %w", err)
	}
	return buf.Bytes(), nil
}

// Close frees the workbook's temporary files.
func (w *Workbook) Close() { _ = w.f.Close() }

// Disposition is a Content-Disposition that saves a download as name (which may be
// Chinese: RFC 5987's filename*) with ascii as the name for clients that know only the
// plain filename parameter.
func Disposition(name, ascii string) string {
	ascii = strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, ascii)
	var enc strings.Builder
	for _, b := range []byte(name) {
		if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-._~", b) >= 0 {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, enc.String())
}
