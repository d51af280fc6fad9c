package i18n

// The downloads of reports as workbooks (issue 20).
func init() {
	add(map[string]Text{
		"export.xlsx": {"导出 Excel 表格（.xlsx）", "Download as a spreadsheet (.xlsx)"},
	})
}
