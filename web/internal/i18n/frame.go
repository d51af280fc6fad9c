package i18n

// The frame's words: the header, sign-in, roles and the error pages.
func init() {
	add(map[string]Text{
		"app.name": {"铜都·老旧小区改造", "Tongdu · Old Compound Renovation"},

		"nav.label": {"主导航", "Main navigation"},
		"nav.skip":  {"跳到正文", "Skip to content"},
		"nav.home":  {"首页", "Home"},

		"signout": {"退出登录", "Sign out"},

		"home.title":   {"%s，您好", "Welcome, %s"},
		"home.heading": {"首页", "Home"},

		"role.DISTRICT_ADMIN":    {"区住建局管理员", "District housing bureau"},
		"role.SUBDISTRICT_STAFF": {"街道工作人员", "Sub-district staff"},
		"role.COMMUNITY_STAFF":   {"社区工作人员", "Community staff"},
		"role.GRID_WORKER":       {"网格员", "Grid worker"},
		"role.BRANCH_SECRETARY":  {"党支部书记", "Party branch secretary"},
		"role.OWNERS_COMMITTEE":  {"业主委员会", "Owners' committee"},
		"role.BUILDING_LEADER":   {"楼栋长", "Building leader"},
		"role.CONTRACTOR":        {"施工单位", "Contractor"},
		"role.SUPERVISOR":        {"监理单位", "Supervisor"},
		"role.AUDITOR":           {"审计", "Auditor"},
		"role.REPORTER":          {"上报系统", "Reporting system"},
		"role.DEPARTMENT":        {"职能部门", "Department"},
		"role.RESIDENT":          {"居民", "Resident"},

		"signin.title":            {"登录", "Sign in"},
		"signin.staff":            {"工作人员登录", "Staff"},
		"signin.resident":         {"居民登录", "Residents"},
		"signin.resident.hint":    {"请输入社区发给您家的住户码（印在入户码单上）。", "Enter the household code your community gave you (printed on the door code sheet)."},
		"signin.login":            {"登录名", "Login"},
		"signin.password":         {"密码", "Password"},
		"signin.code":             {"住户码", "Household code"},
		"signin.submit":           {"登录", "Sign in"},
		"signin.sso":              {"使用区统一身份认证登录", "Sign in with the district's identity provider"},
		"signin.login.missing":    {"请填写登录名", "Enter your login"},
		"signin.password.missing": {"请填写密码", "Enter your password"},
		"signin.code.missing":     {"请填写住户码", "Enter your household code"},
		"signin.wrong.password":   {"登录名或密码不正确", "Wrong login or password"},
		"signin.wrong.accessCode": {"住户码不正确或已作废", "The household code is wrong or revoked"},
		"signin.locked":           {"尝试次数过多，已暂时锁定，请约 %d 分钟后再试", "Too many attempts: locked for now, try again in about %d minutes"},
		"signin.stale":            {"登录页已过期，请重新登录", "The sign-in page had expired; please sign in again"},
		"signin.expired.title":    {"登录已失效", "Signed out"},
		"signin.expired.text":     {"您的登录已过期或已退出，请重新登录后再提交。", "Your session has ended. Sign in again, then send the form again."},

		"done.signedout": {"您已退出登录", "You have signed out"},

		"error.notfound.title":    {"找不到该页面", "Not found"},
		"error.notfound.text":     {"该页面或记录不存在，或您无权查看。", "The page or record does not exist, or you may not see it."},
		"error.denied.title":      {"无权操作", "Not allowed"},
		"error.denied.text":       {"您的账号无权查看或修改此项。", "Your account may not see or change this."},
		"error.busy.title":        {"请求过于频繁", "Too many requests"},
		"error.busy.text":         {"请稍候片刻再试。", "Please wait a moment and try again."},
		"error.unavailable.title": {"服务暂时不可用", "Temporarily unavailable"},
		"error.unavailable.text":  {"系统正在恢复，请稍后刷新重试。", "The system is recovering; reload in a moment."},
		"error.internal.title":    {"出错了", "Something went wrong"},
		"error.internal.text":     {"系统出现错误，已记录。请稍后再试。", "An error occurred and was logged. Please try again later."},
		"error.csrf.title":        {"表单已失效", "The form has expired"},
		"error.csrf.text":         {"该表单不是本次登录中打开的，请返回刷新后重新提交。", "This form was not opened in your current session; go back, reload and send it again."},
	})
}
