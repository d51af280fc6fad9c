package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
	"tongdu/services/governance"
)

// importAnswer is the preview (and, confirmed, the import) as the REST API answers it.
type importAnswer struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Total   int    `json:"total"`
	Applied int    `json:"applied"`
	Summary struct {
		New, Changed, Unchanged, Errors int
	} `json:"summary"`
	Rows []struct {
		Row    int    `json:"row"`
		Status string `json:"status"`
		Errors []struct {
			Column, Reason string
		} `json:"errors"`
	} `json:"rows"`
	Encoding       string `json:"encoding"`
	ConfirmAccount string `json:"confirmAccount"`
}

// upload posts a file to POST /v1/imports as a multipart form.
func (c *client) upload(kind, idField, id, name string, data []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("kind", kind)
	_ = w.WriteField(idField, id)
	_ = w.WriteField("dryRun", "true")
	part, _ := w.CreateFormFile("file", name)
	_, _ = part.Write(data)
	_ = w.Close()
	req, _ := http.NewRequest("POST", c.base+"/v1/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.send(req)
}

func (c *client) preview(kind, idField, id, name string, data []byte) importAnswer {
	c.t.Helper()
	r := c.upload(kind, idField, id, name, data)
	if r.status != http.StatusOK {
		c.t.Fatalf("upload %s: status %d: %s", name, r.status, r.body)
	}
	var out importAnswer
	if err := json.Unmarshal(r.body, &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// idNumber is a valid 18-digit ID number (GB 11643) from a serial.
func idNumber(serial int) string {
	first := fmt.Sprintf("110105%08d%03d", 19500101+serial%500, serial%1000)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first[i]-'0') * w[i]
	}
	return first + string("10X98765432"[sum%11])
}

var householdHeader = []any{"楼栋", "单元", "房号", "专有面积", "姓名", "电话", "身份证号", "党员", "无障碍需求"}

// register writes a register of n households as .xlsx (20 buildings, 5 units each).
func register(t *testing.T, n int, edit func(f *excelize.File, sheet string)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	var sw *excelize.StreamWriter
	var err error
	if edit == nil {
		if sw, err = f.NewStreamWriter("Sheet1"); err != nil {
			t.Fatal(err)
		}
		_ = sw.SetRow("A1", householdHeader)
	} else {
		_ = f.SetSheetRow("Sheet1", "A1", &householdHeader)
	}
	for i := 0; i < n; i++ {
		b, u := i%20+1, (i/20)%5+1
		row := []any{fmt.Sprintf("%d号楼", b), u, fmt.Sprintf("%d%02d", i/100+1, i%100), 60.5 + float64(i%40),
			"张" + strings.Repeat("三", 1+i%2), fmt.Sprintf("138%08d", i), idNumber(i), map[bool]string{true: "是", false: "否"}[i%7 == 0], "否"}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if edit != nil { // a small file to edit afterwards: cells, not a stream
			err = f.SetSheetRow("Sheet1", cell, &row)
		} else {
			err = sw.SetRow(cell, row)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if edit == nil {
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(f, "Sheet1")
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportHouseholdRegister(t *testing.T) {
	// A 10,000-row register takes about 1 s to preview, but 10 s and more under the race
	// detector on two busy cores, past the gateway's default call timeout: this test is
	// about what the import does, so it waits longer.
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(t), DataDir: t.TempDir(),
		CallTimeout: time.Minute})
	t.Cleanup(app.Close)
	c := newClient(t, app)
	rt := c.createRegionTree()
	cp := c.createCompound(map[string]any{"name": "石羊路21号院", "communityId": rt.community.ID, "buildYear": 1990})

	t.Run("10,000 rows in one confirmed run, again unchanged", func(t *testing.T) {
		c := c.with(t)
		file := register(t, 10000, nil)
		start := time.Now()
		p := c.preview("HOUSEHOLDS", "compoundId", cp.ID, "register.xlsx", file)
		dry := time.Since(start)
		if p.Summary.New != 10000 || p.Summary.Errors != 0 || len(p.Rows) != 10000 {
			t.Fatalf("preview summary %+v (%d rows); first rows %+v", p.Summary, len(p.Rows), p.Rows[:min(3, len(p.Rows))])
		}
		start = time.Now()
		var done importAnswer
		c.call("POST", "/v1/imports/"+p.ID+":confirm", map[string]any{}, &done)
		confirm := time.Since(start)
		if done.State != "APPLIED" || done.Applied != 10000 || done.ConfirmAccount != "admin" {
			t.Fatalf("confirmed: state %s applied %d by %q", done.State, done.Applied, done.ConfirmAccount)
		}
		t.Logf("10,000 rows (%d bytes .xlsx): dry run %v, confirm %v", len(file), dry.Round(time.Millisecond), confirm.Round(time.Millisecond))
		if got := c.getCompound(cp.ID); got.HouseholdCount != 10000 {
			t.Fatalf("compound has %d households, want 10000", got.HouseholdCount)
		}
		again := c.preview("HOUSEHOLDS", "compoundId", cp.ID, "register.xlsx", file)
		if again.Summary.Unchanged != 10000 || again.Summary.New+again.Summary.Changed+again.Summary.Errors != 0 {
			t.Fatalf("the same file again: %+v, want all unchanged", again.Summary)
		}
		c.call("POST", "/v1/imports/"+again.ID+":confirm", map[string]any{}, &done)
		if got := c.getCompound(cp.ID); got.HouseholdCount != 10000 {
			t.Fatalf("after the second import the compound has %d households", got.HouseholdCount)
		}
		// Confirming twice applies once.
		c.call("POST", "/v1/imports/"+p.ID+":confirm", map[string]any{}, &done)
		if done.State != "APPLIED" {
			t.Fatalf("a second confirm: %s", done.State)
		}
	})

	t.Run("a file with mistakes names each bad row", func(t *testing.T) {
		c := c.with(t)
		file := register(t, 8, func(f *excelize.File, s string) {
			_ = f.SetCellValue(s, "G2", 1.10105199001011e17)                        // an ID number typed as a number
			_ = f.SetCellStr(s, "G3", idNumber(1)[:17]+wrongDigit(idNumber(1)[17])) // a wrong check digit
			_ = f.SetCellStr(s, "C4", "")                                           // no room
			_ = f.SetCellStr(s, "D5", "六十")                                         // no area
			_ = f.SetCellStr(s, "H6", "也许")                                         // neither yes nor no
			_ = f.SetCellStr(s, "G7", "1.10105E+17")                                // a number shown in scientific notation
			_ = f.SetCellStr(s, "C8", "100")                                        // a dwelling of another row (row 9)
			_ = f.SetCellStr(s, "C9", "100")
			_ = f.SetCellStr(s, "A9", "7号楼")
		})
		other := c.createCompound(map[string]any{"name": "和平里", "communityId": rt.community.ID})
		p := c.preview("HOUSEHOLDS", "compoundId", other.ID, "mistakes.xlsx", file)
		want := map[int]string{2: "身份证号", 3: "身份证号", 4: "房号", 5: "专有面积", 6: "党员", 7: "身份证号", 9: "房号"}
		if p.Summary.Errors != len(want) || p.Summary.New != 8-len(want) {
			t.Fatalf("summary %+v, want %d errors", p.Summary, len(want))
		}
		for _, r := range p.Rows {
			col, bad := want[r.Row]
			if bad != (r.Status == "ERROR") {
				t.Errorf("row %d: status %s", r.Row, r.Status)
				continue
			}
			if bad && (len(r.Errors) == 0 || r.Errors[0].Column != col || r.Errors[0].Reason == "") {
				t.Errorf("row %d: errors %+v, want one on %s", r.Row, r.Errors, col)
			}
			for _, e := range r.Errors {
				if strings.Contains(e.Reason, "110105") {
					t.Errorf("row %d: the reason quotes the ID number: %s", r.Row, e.Reason)
				}
			}
		}
		rep := c.do("GET", "/v1/imports/"+p.ID+"/report.xlsx", nil)
		if rep.status != http.StatusOK || !strings.Contains(rep.header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("report: %d %s", rep.status, rep.header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(rep.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, _ := f.GetRows(f.GetSheetList()[0])
		last := len(householdHeader)
		if len(rows[0]) <= last || !strings.Contains(rows[0][last], "错误") {
			t.Fatalf("report header %q: no error column", rows[0])
		}
		for n, col := range want {
			if r := rows[n-1]; len(r) <= last || !strings.HasPrefix(r[last], col) {
				t.Errorf("report row %d: %q, want an error on %s", n, r, col)
			}
		}
		if r := rows[7]; len(r) > last && r[last] != "" {
			t.Errorf("report row 8 (good) has an error: %q", r[last])
		}
		var done importAnswer
		c.call("POST", "/v1/imports/"+p.ID+":confirm", map[string]any{}, &done)
		if got := c.getCompound(other.ID); got.HouseholdCount != 8-len(want) {
			t.Fatalf("applied %d households, want only the %d good rows", got.HouseholdCount, 8-len(want))
		}
	})

	t.Run("CSV in GB18030 keeps its names; bad bytes and .xls are refused", func(t *testing.T) {
		c := c.with(t)
		third := c.createCompound(map[string]any{"name": "书院街3号", "communityId": rt.community.ID})
		csv := "楼栋,单元,房号,专有面积,姓名,电话,身份证号,党员,无障碍需求\r\n" +
			"东楼,1,101,75.2,欧阳娜娜,13812345678," + idNumber(7) + ",是,否\r\n" +
			"东楼,1,102,80,王五,,,否,是\r\n"
		gb, err := simplifiedchinese.GB18030.NewEncoder().String(csv)
		if err != nil {
			t.Fatal(err)
		}
		p := c.preview("HOUSEHOLDS", "compoundId", third.ID, "register.csv", []byte(gb))
		if p.Encoding != "GB18030" || p.Summary.New != 2 || p.Summary.Errors != 0 {
			t.Fatalf("GB18030 preview: %s %+v %+v", p.Encoding, p.Summary, p.Rows)
		}
		var done importAnswer
		c.call("POST", "/v1/imports/"+p.ID+":confirm", map[string]any{}, &done)
		var list householdList
		c.call("GET", "/v1/compounds/"+third.ID+"/households", nil, &list)
		if len(list.Households) != 2 || list.Households[0].ResidentName != "欧阳娜娜" || list.Households[1].ResidentName != "王五" {
			t.Fatalf("households %+v: want the names intact", list.Households)
		}
		for name, data := range map[string][]byte{
			"broken.csv": append([]byte("楼栋,单元,房号,专有面积\r\n"), 0x81, 0x20, 0xFF, ',', '1', '\r', '\n'),
			"old.xls":    append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...),
		} {
			r := c.upload("HOUSEHOLDS", "compoundId", third.ID, name, data)
			st := c.failure(r, http.StatusBadRequest, name)
			if _, ok := st.violation("file"); !ok {
				t.Errorf("%s: refused without naming the file: %s", name, r.body)
			}
		}
	})

	t.Run("template", func(t *testing.T) {
		c := c.with(t)
		r := c.do("GET", "/v1/imports/templates/HOUSEHOLDS.xlsx", nil)
		if r.status != http.StatusOK {
			t.Fatalf("template: %d %s", r.status, r.body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		head, _ := f.GetRows(f.GetSheetList()[0])
		if len(head) == 0 || head[0][0] != "楼栋" || head[0][6] != "身份证号" {
			t.Fatalf("template header %q", head)
		}
		dvs, _ := f.GetDataValidations(f.GetSheetList()[0])
		if len(dvs) < 2 {
			t.Fatalf("template has %d dropdowns, want the yes/no columns'", len(dvs))
		}
	})
}

// wrongDigit is another check digit than d.
func wrongDigit(d byte) string {
	if d == '1' {
		return "2"
	}
	return "1"
}

// The console's import pages work without scripts: a community's staff opens the
// compound's import page, uploads a register (a plain multipart form), sees each row's
// result and the errors beside it, confirms, and downloads the report and the template;
// the import and the households record the signed-in account (rule 16).
func TestImportConsolePages(t *testing.T) {
	redisURL := testkit.RedisURL(t)
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: redisURL, DataDir: t.TempDir()})
	t.Cleanup(app.Close)
	c := newClient(t, app)
	rt := c.createRegionTree()
	cp := c.createCompound(map[string]any{"name": "书院街5号", "communityId": rt.community.ID})
	const password = "a staff passphrase"
	addAtTheMachine(t, redisURL, governance.NewAccount{Login: "li.staff", DisplayName: "李干事", Role: auth.CommunityStaff,
		Scope: "regions/" + rt.community.ID, Password: password, CreatedBy: "cli:operator"})
	b := c.browser()
	if r, _ := b.signIn(map[string]any{"login": "li.staff", "password": password}); r.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	_, s := b.signIn(map[string]any{"login": "li.staff", "password": password})

	form := b.do("GET", "/compounds/"+cp.ID+"/import", nil)
	if form.status != http.StatusOK || !strings.Contains(string(form.body), `enctype="multipart/form-data"`) || !strings.Contains(string(form.body), "/import-templates/HOUSEHOLDS.xlsx") {
		t.Fatalf("import page: %d %s", form.status, form.body)
	}
	file := register(t, 3, func(f *excelize.File, s string) {
		_ = f.SetCellStr(s, "G3", idNumber(1)[:17]+wrongDigit(idNumber(1)[17]))
	})
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("csrf", s.CSRFToken)
	_ = w.WriteField("kind", "HOUSEHOLDS")
	_ = w.WriteField("compoundId", cp.ID)
	part, _ := w.CreateFormFile("file", "register.xlsx")
	_, _ = part.Write(file)
	_ = w.Close()
	req, _ := http.NewRequest("POST", b.base+"/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	status, text, at := browse(t, b, req)
	if status != http.StatusOK || !strings.Contains(text, "身份证号: the check digit") || !strings.Contains(text, "确认导入 2 行") {
		t.Fatalf("preview page: %d %s", status, text)
	}
	id := strings.TrimPrefix(at, "/imports/")
	confirm, _ := http.NewRequest("POST", b.base+"/imports/"+id+"/confirm", strings.NewReader("csrf="+s.CSRFToken))
	confirm.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, text, _ := browse(t, b, confirm); status != http.StatusOK || !strings.Contains(text, "已写入 2 行") {
		t.Fatalf("after confirm: %d %s", status, text)
	}
	for _, path := range []string{"/imports/" + id + "/report.xlsx", "/import-templates/HOUSEHOLDS.xlsx"} {
		r := b.do("GET", path, nil)
		if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "spreadsheetml") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %s", path, r.status, r.header)
		}
	}
	var imp importAnswer
	c.call("GET", "/v1/imports/"+id, nil, &imp)
	if imp.ConfirmAccount != "accounts/"+s.Account.ID {
		t.Fatalf("confirmed by %q, want the signed-in account %q", imp.ConfirmAccount, s.Account.ID)
	}
}

// browse sends req as the browser, following redirects, and returns the page's status,
// text and path.
func browse(t *testing.T, b *client, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Request.URL.Path
}

// A community's compound inventory: new compounds are registered, a known one (by name)
// updated by the columns that differ, a management type contradicting the facts refused
// (rule 1); only staff of the community may import it.
func TestImportCompoundInventory(t *testing.T) {
	c := startApp(t)
	rt := c.createRegionTree()
	old := c.createCompound(map[string]any{"name": "和平里", "communityId": rt.community.ID, "buildYear": 1985})
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range [][]any{
		{"小区名称", "地址", "建成年份", "管理类型", "物业服务企业", "产权单位", "自管委员会", "历史风貌", "示范小区"},
		{"和平里", "书院街1号", 1986, "", "", "", "否", "", "否"},
		{"新华里", "书院街9号", 1992, "三无", "", "", "否", "", "是"},
		{"光明里", "", 1990, "专业物业", "", "", "否", "", "否"}, // a professional manager with none named
		{"东风里", "", "九零年", "", "", "", "", "", ""},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f.SetSheetRow("Sheet1", cell, &row)
	}
	var buf bytes.Buffer
	_ = f.Write(&buf)

	staffElsewhere := c.asRole(auth.CommunityStaff, "regions/"+rt.otherCommunity.ID)
	c.failure(staffElsewhere.upload("COMPOUNDS", "communityId", rt.community.ID, "inventory.xlsx", buf.Bytes()), http.StatusForbidden, "staff of another community")
	c.failure(c.asRole(auth.GridWorker, "compounds/"+old.ID).upload("COMPOUNDS", "communityId", rt.community.ID, "inventory.xlsx", buf.Bytes()), http.StatusForbidden, "a grid worker")

	staff := c.asRole(auth.CommunityStaff, "regions/"+rt.community.ID)
	p := staff.preview("COMPOUNDS", "communityId", rt.community.ID, "inventory.xlsx", buf.Bytes())
	if p.Summary.New != 1 || p.Summary.Changed != 1 || p.Summary.Errors != 2 {
		t.Fatalf("inventory preview %+v: %+v", p.Summary, p.Rows)
	}
	var done importAnswer
	staff.call("POST", "/v1/imports/"+p.ID+":confirm", map[string]any{}, &done)
	if got := c.getCompound(old.ID); got.BuildYear != 1986 {
		t.Fatalf("the known compound: build year %d, want 1986", got.BuildYear)
	}
	if n := len(c.listCompounds(url.Values{"regionId": {rt.community.ID}})); n != 2 {
		t.Fatalf("the community has %d compounds, want 2", n)
	}
	again := staff.preview("COMPOUNDS", "communityId", rt.community.ID, "inventory.xlsx", buf.Bytes())
	if again.Summary.Unchanged != 2 || again.Summary.New+again.Summary.Changed != 0 {
		t.Fatalf("the same inventory again: %+v", again.Summary)
	}
}

// Rule 13 through an import: the names, phones and ID numbers of an uploaded register
// (and of its mistakes) reach neither the log nor any span, and no error reason quotes
// them.
func TestImportKeepsPersonalDataOutOfLogsAndTraces(t *testing.T) {
	admin, cp := startCaptured(t)
	rt := admin.createRegionTree()
	comp := admin.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	names := []string{"独特名字甲", "独特名字乙", "独特名字丙"}
	phones := []string{"13987654321", "13987654322", "13987654323"}
	ids := []string{idNumber(11), idNumber(12), idNumber(13)[:17] + wrongDigit(idNumber(13)[17])}
	seeded := append(append(append([]string{}, names...), phones...), ids...)
	csv := "楼栋,单元,房号,专有面积,姓名,电话,身份证号,党员,无障碍需求\n"
	for i := range names {
		csv += fmt.Sprintf("1号楼,1,%d,60,%s,%s,%s,否,否\n", 101+i, names[i], phones[i], ids[i])
	}
	p := admin.preview("HOUSEHOLDS", "compoundId", comp.ID, "register.csv", []byte(csv))
	if p.Summary.New != 2 || p.Summary.Errors != 1 {
		t.Fatalf("preview %+v", p.Summary)
	}
	var all importAnswer
	admin.call("GET", "/v1/imports/"+p.ID, nil, &all)
	admin.call("POST", "/v1/imports/"+p.ID+":confirm", map[string]any{}, nil)
	if r := admin.do("GET", "/v1/imports/"+p.ID+"/report.xlsx", nil); r.status != http.StatusOK {
		t.Fatalf("report: %d", r.status)
	}
	for _, r := range all.Rows {
		for _, e := range r.Errors {
			if l := leaks(e.Column+e.Reason, seeded); len(l) > 0 {
				t.Errorf("row %d's reason shows %q", r.Row, l)
			}
		}
	}
	admin.app.Close()
	logText := cp.logs.String()
	if !strings.Contains(logText, "import applied") {
		t.Fatalf("the log was not captured: %q", logText)
	}
	for _, s := range leaks(logText, seeded) {
		t.Errorf("the log shows %q:\n…%s…", s, excerpt(logText, s))
	}
	var spans strings.Builder
	for _, s := range cp.spans.GetSpans() {
		spans.WriteString(spanText(s))
		spans.WriteByte('\n')
	}
	if !strings.Contains(spans.String(), "ImportService/ConfirmImport") {
		t.Fatalf("no span of the confirm (is tracing on?)")
	}
	for _, s := range leaks(spans.String(), seeded) {
		t.Errorf("a span shows %q:\n…%s…", s, excerpt(spans.String(), s))
	}
}
