package imports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tongdu/platform/fault"
	"tongdu/services/governance/internal/imports"
	"tongdu/services/governance/internal/registry"
)

const header = "楼栋,单元,房号,专有面积,姓名,电话,身份证号,党员,无障碍需求\n"

func TestTextIsUTF8OrGB18030AndNeverGuessed(t *testing.T) {
	gb, _ := simplifiedchinese.GB18030.NewEncoder().String(header + "东楼,1,101,60,欧阳娜娜,,,,\n")
	for _, tc := range []struct {
		name, enc, refused string
		data               []byte
	}{
		{"UTF-8", "UTF-8", "", []byte(header + "东楼,1,101,60,张三,,,,\n")},
		{"UTF-8 with a BOM", "UTF-8", "", []byte("\ufeff" + header + "东楼,1,101,60,张三,,,,\n")},
		{"GB18030", "GB18030", "", []byte(gb)},
		{"neither", "", "neither UTF-8 nor GB18030", append([]byte(header), 0x81, 0x20, 0xFF, '\n')},
		{"replacement characters", "", "U+FFFD", []byte(header + "东楼,1,101,60,\ufffd,,,,\n")},
		{"legacy .xls", "", ".xlsx", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := imports.Read(registry.ImportHouseholds, "f.csv", tc.data)
			if tc.refused != "" {
				vs := fault.ViolationsOf(err)
				if len(vs) != 1 || vs[0].Field != "file" || !strings.Contains(vs[0].Description, tc.refused) {
					t.Fatalf("Read: %v, want refused on file (%s)", err, tc.refused)
				}
				return
			}
			if err != nil || tab.Encoding != tc.enc || len(tab.Rows) != 1 || tab.Rows[0].Number != 2 {
				t.Fatalf("Read: %+v, %v", tab, err)
			}
			if name := tab.Rows[0].Cells["name"].Text; name != "张三" && name != "欧阳娜娜" {
				t.Fatalf("name %q", name)
			}
		})
	}
}

func TestNumbersStoredByTheSheetAreKnown(t *testing.T) {
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"building", "unit", "room", "area_m2", "name", "phone", "id_number"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"1", "1", "101", 60, "", "", 1.10105199001011e17})
	_ = f.SetSheetRow("Sheet1", "A4", &[]any{"1", "1", "102", 61.5, "", "", "11010519491231002X"})
	var buf bytes.Buffer
	_ = f.Write(&buf)
	tab, err := imports.Read(registry.ImportHouseholds, "f.xlsx", buf.Bytes())
	if err != nil || len(tab.Rows) != 2 {
		t.Fatalf("Read: %+v %v", tab, err)
	}
	first, second := tab.Rows[0], tab.Rows[1]
	if first.Number != 2 || !first.Cells["id_number"].Numeric || !first.Cells["area_m2"].Numeric {
		t.Fatalf("row 2: %+v, want the ID number and the area known as numbers", first)
	}
	if second.Number != 4 || second.Cells["id_number"].Numeric || second.Cells["id_number"].Text != "11010519491231002X" {
		t.Fatalf("row 4 (after a blank row): %+v", second)
	}
}

func TestTemplateAndReport(t *testing.T) {
	data, err := imports.Template(registry.ImportHouseholds)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := imports.Read(registry.ImportHouseholds, "t.xlsx", data)
	if err != nil || len(tab.Rows) != 0 || tab.Header[0] != "楼栋" {
		t.Fatalf("the template reads back as an empty register: %+v %v", tab, err)
	}
	csv := []byte(header + "\n东楼,1,101,60,\"=HYPERLINK(\"\"x\"\")\",,,,\n")
	tab, err = imports.Read(registry.ImportHouseholds, "f.csv", csv)
	if err != nil || tab.Rows[0].Number != 3 {
		t.Fatalf("Read: %+v %v", tab, err)
	}
	rep, err := imports.Report(tab, csv, map[int][]registry.RowError{3: {{Column: "房号", Reason: "is required"}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(rep))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetList()[0])
	if len(rows) != 3 || len(rows[2]) != 10 || rows[2][9] != "房号: is required" || !strings.HasPrefix(rows[2][4], "'=") {
		t.Fatalf("report rows %q", rows)
	}
}
