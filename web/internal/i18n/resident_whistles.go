package i18n

// The residents' whistles: reporting, following and rating what they reported.
func init() {
	add(map[string]Text{
		"resident.card.whistles":      {"吹哨反映", "Report a problem"},
		"resident.card.whistles.text": {"反映小区里的问题，跟进办理，办结后评价。", "Report what is wrong in the compound, follow it, rate it when it is closed."},
		"resident.card.notices":       {"小区公示", "Notice board"},
		"resident.card.notices.text":  {"改造方案、资金使用、表决和选举结果；公示期内可提出异议。", "Plans, money, vote and election results; object while a notice is up."},

		"done.whistleReported": {"已提交，社区将尽快分派给相关部门", "Reported; the community will call the departments concerned"},
		"done.whistleRated":    {"感谢评价", "Thank you for rating"},

		"resident.whistles.title":             {"吹哨反映", "Report a problem"},
		"resident.whistles.hint":              {"您反映的问题由社区分派给相关部门办理，并按时限督办。", "The community calls the departments concerned, who must act within set limits."},
		"resident.whistles.report":            {"反映新问题", "Report something"},
		"resident.whistles.description":       {"问题描述", "What is wrong"},
		"resident.whistles.description.hint":  {"请勿填写姓名、电话等个人信息。", "Do not write names or phone numbers."},
		"resident.whistles.address":           {"具体位置（可选）", "Where exactly (optional)"},
		"resident.whistles.address.hint":      {"如：3栋2单元门口", "e.g. at the door of building 3, unit 2"},
		"resident.whistles.submit":            {"提交", "Report"},
		"resident.whistles.mine":              {"本户反映的问题", "What this household reported"},
		"resident.whistles.none":              {"本户尚未反映问题。", "Nothing reported yet."},
		"resident.whistles.raised":            {"反映于 %s", "Reported %s"},
		"resident.whistles.rated":             {"本户评价：%d 分（满分 5 分）", "Your rating: %d out of 5"},
		"resident.whistles.rate":              {"对办理结果评分", "Rate how it was handled"},
		"resident.whistles.stars":             {"%d 分", "%d"},
		"resident.whistles.rate.submit":       {"提交评价", "Rate"},
		"resident.whistles.error.category":    {"请选择问题类别", "Choose what kind of problem it is"},
		"resident.whistles.error.description": {"请描述问题", "Say what is wrong"},
		"resident.whistles.error.rating":      {"请选择 1 到 5 分", "Choose 1 to 5"},
	})
}
