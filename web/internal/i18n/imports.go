package i18n

// The import pages: a compound's household register, a community's compound inventory.
func init() {
	add(map[string]Text{
		"imports.new.HOUSEHOLDS":            {"导入住户名册", "Import a household register"},
		"imports.new.COMPOUNDS":             {"导入小区清单", "Import a compound inventory"},
		"imports.hint.HOUSEHOLDS":           {"上传 .xlsx 或 CSV（UTF-8 或 GBK/GB18030）。按楼栋、单元、房号对应住户：先预览每一行（新增、变更、不变、错误），确认后才写入。", "Upload .xlsx or CSV (UTF-8 or GBK/GB18030). Rows match households by building, unit and room: each row is previewed first (new, changed, unchanged, error) and written only when you confirm."},
		"imports.hint.COMPOUNDS":            {"上传 .xlsx 或 CSV（UTF-8 或 GBK/GB18030）。按小区名称对应社区内的小区：先预览，确认后才写入。", "Upload .xlsx or CSV (UTF-8 or GBK/GB18030). Rows match the community's compounds by name: previewed first, written only when you confirm."},
		"imports.template":                  {"下载模板（.xlsx）", "Download the template (.xlsx)"},
		"imports.file":                      {"文件", "File"},
		"imports.file.hint":                 {"不支持旧版 .xls，请另存为 .xlsx。身份证号列请设为文本格式。", "Legacy .xls is not read: save it as .xlsx. Format the ID number column as text."},
		"imports.preview":                   {"上传并预览", "Upload and preview"},
		"imports.show.title":                {"导入预览", "Import preview"},
		"imports.file.named":                {"文件 %s，共 %d 行", "File %s, %d rows"},
		"imports.status":                    {"结果", "Result"},
		"imports.status.NEW":                {"新增", "New"},
		"imports.status.CHANGED":            {"变更", "Changed"},
		"imports.status.UNCHANGED":          {"不变", "Unchanged"},
		"imports.status.ERROR":              {"错误", "Errors"},
		"imports.status.STATUS_UNSPECIFIED": {"—", "—"},
		"imports.applying":                  {"正在写入：%d / %d 行", "Applying: %d of %d rows"},
		"imports.applied":                   {"已写入 %d 行。", "%d rows applied."},
		"imports.confirm":                   {"确认导入 %d 行", "Confirm: import %d rows"},
		"imports.nothing":                   {"没有需要写入的行。", "Nothing to apply."},
		"imports.report":                    {"下载错误报告（.xlsx）", "Download the report (.xlsx)"},
		"imports.rows.all":                  {"显示全部行", "Show all rows"},
		"imports.rows.errors":               {"只看错误行", "Show only rows with errors"},
		"imports.rows.caption":              {"逐行预览（行号、楼栋/单元/房号或小区、结果、原因）", "Rows (row, building/unit/room or compound, result, reasons)"},
		"imports.row":                       {"行号", "Row"},
		"imports.key":                       {"对应", "Matches"},
		"imports.errors":                    {"原因", "Reasons"},
		"imports.changes":                   {"变更：%s", "Changes: %s"},
		"imports.pager.prev":                {"上一页", "Previous page"},
		"imports.link.HOUSEHOLDS":           {"导入住户名册", "Import households"},
		"imports.link.COMPOUNDS":            {"导入小区清单", "Import compounds"},
		"done.imports.applied":              {"导入已完成", "The import is applied"},
	})
}
