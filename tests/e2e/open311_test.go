package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/testkit"
)

// The Open311 GeoReport v2 facade (issue 19), tested from the specification
// (wiki.open311.org/GeoReport_v2): its field names, its status values "open" and
// "closed", form-encoded reports with an api_key, and errors as arrays of
// {"code", "description"}. A report lands in governance as a REPORTED whistle.

// open311Key is the test app's api_key; the app is configured by its hash only.
const open311Key = "k3y-of-the-street-app-0123456789"

func startOpen311(t *testing.T) *client {
	t.Helper()
	sum := sha256.Sum256([]byte(open311Key))
	app := startAllInOne(t, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: testkit.RedisURL(t),
		DataDir: t.TempDir(), Open311Keys: "street-app=" + hex.EncodeToString(sum[:])})
	t.Cleanup(app.Close)
	return newClient(t, app)
}

// georeport is a GeoReport v2 service request as the specification names its fields.
type georeport struct {
	ServiceRequestID  string   `json:"service_request_id"`
	Status            string   `json:"status"`
	StatusNotes       string   `json:"status_notes"`
	ServiceName       string   `json:"service_name"`
	ServiceCode       string   `json:"service_code"`
	Description       string   `json:"description"`
	AgencyResponsible string   `json:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime"`
	ExpectedDatetime  *string  `json:"expected_datetime"`
	Address           string   `json:"address"`
	AddressID         string   `json:"address_id"`
	Zipcode           *string  `json:"zipcode"`
	Lat               *float64 `json:"lat"`
	Long              *float64 `json:"long"`
	MediaURL          *string  `json:"media_url"`
}

// post311 sends a form-encoded report with no bearer token, as a street app would.
func (c *client) post311(form url.Values) response {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.base+"/open311/v2/requests.json", strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.noToken().send(req)
}

// get311 reads a facade path with no token and decodes a 200 answer into out.
func (c *client) get311(p string, out any) {
	c.t.Helper()
	r := c.noToken().do("GET", p, nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		c.t.Fatalf("GET %s: %d %s", p, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		c.t.Fatalf("GET %s: %s: %v", p, r.body, err)
	}
}

// open311Failure checks an error: the HTTP status and an array of one {code, description}
// with that code, whose description mentions each of words.
func (c *client) open311Failure(r response, want int, words ...string) {
	c.t.Helper()
	var errs []struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	}
	if r.status != want || json.Unmarshal(r.body, &errs) != nil || len(errs) != 1 || errs[0].Code != want {
		c.t.Fatalf("status %d, body %s; want %d and [{\"code\":%d,…}]", r.status, r.body, want, want)
	}
	for _, w := range words {
		if !strings.Contains(errs[0].Description, w) {
			c.t.Errorf("description %q does not name %q", errs[0].Description, w)
		}
	}
}

func TestOpen311GeoReportV2(t *testing.T) {
	c := startOpen311(t)
	rt := c.createRegionTree()
	k := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 60, 70)
	c.call("POST", "/v1/departments", map[string]any{"id": "roads", "name": "区交通局"}, nil)

	t.Run("services.json lists the whistle categories, public", func(t *testing.T) {
		c := c.with(t)
		var services []map[string]any
		c.get311("/open311/v2/services.json", &services)
		var road map[string]any
		for _, s := range services {
			for _, f := range []string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} {
				if _, ok := s[f]; !ok {
					t.Errorf("service %v has no %s", s, f)
				}
			}
			if s["service_code"] == "ROAD" {
				road = s
			}
		}
		if road == nil || road["service_name"] != "道路" || road["metadata"] != false || road["type"] != "realtime" ||
			!strings.Contains(road["description"].(string), "address_id") {
			t.Fatalf("ROAD: %v", road)
		}
		var def map[string]any
		c.get311("/open311/v2/services/ROAD.json", &def)
		if def["service_code"] != "ROAD" {
			t.Fatalf("definition %v", def)
		}
		c.open311Failure(c.noToken().do("GET", "/open311/v2/services/NOPE.json", nil), http.StatusNotFound, "NOPE")
	})

	valid := url.Values{"api_key": {open311Key}, "service_code": {"ROAD"}, "description": {"路面塌陷，有积水"},
		"address_string": {"1号楼东侧"}, "address_id": {k.ID}, "lat": {"30.66"}, "long": {"104.06"},
		"email": {"li@example.com"}, "phone": {"13811112222"}, "first_name": {"四海"}, "last_name": {"李"}}
	without := func(name string) url.Values {
		f := url.Values{}
		for k, v := range valid {
			if k != name {
				f[k] = v
			}
		}
		return f
	}
	t.Run("refusals: 403 without a valid api_key, 400 naming what is missing or unknown", func(t *testing.T) {
		c := c.with(t)
		c.open311Failure(c.post311(without("api_key")), http.StatusForbidden, "api_key")
		bad := without("api_key")
		bad.Set("api_key", "guess")
		c.open311Failure(c.post311(bad), http.StatusForbidden, "api_key")
		c.open311Failure(c.post311(without("service_code")), http.StatusBadRequest, "service_code")
		c.open311Failure(c.post311(without("description")), http.StatusBadRequest, "description")
		c.open311Failure(c.post311(without("address_id")), http.StatusBadRequest, "address_id")
		unknown := without("address_id")
		unknown.Set("address_id", "no-such-compound")
		c.open311Failure(c.post311(unknown), http.StatusBadRequest, "address_id")
		nope := without("service_code")
		nope.Set("service_code", "NOPE")
		c.open311Failure(c.post311(nope), http.StatusBadRequest, "service_code")
		c.open311Failure(c.noToken().do("GET", "/open311/v2/requests/nope.json", nil), http.StatusNotFound, "nope")
		c.open311Failure(c.noToken().do("GET", "/open311/v2/services.xml", nil), http.StatusNotFound, "JSON")
	})

	r := c.post311(valid)
	var filed []map[string]string
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &filed) != nil || len(filed) != 1 || filed[0]["service_request_id"] == "" {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	id := filed[0]["service_request_id"]
	if strings.Contains(string(r.body), "13811112222") {
		t.Fatalf("the answer repeats the reporter's phone: %s", r.body)
	}

	t.Run("the report is a REPORTED whistle in governance, raised by the app, with no personal data", func(t *testing.T) {
		c := c.with(t)
		var list struct {
			Whistles []map[string]any `json:"whistles"`
		}
		c.call("GET", "/v1/whistles?status=REPORTED", nil, &list)
		if len(list.Whistles) != 1 || list.Whistles[0]["id"] != id || list.Whistles[0]["raiseAccount"] != "open311/street-app" ||
			list.Whistles[0]["reporter"] != "open311/street-app" || list.Whistles[0]["address"] != "1号楼东侧" || list.Whistles[0]["compoundId"] != k.ID {
			t.Fatalf("REPORTED whistles: %v", list.Whistles)
		}
		raw, _ := json.Marshal(list)
		for _, personal := range []string{"13811112222", "li@example.com", "四海"} {
			if strings.Contains(string(raw), personal) {
				t.Fatalf("governance keeps %q: %s", personal, raw)
			}
		}
	})

	one := func(t *testing.T) georeport {
		var got []georeport
		c.with(t).get311("/open311/v2/requests/"+id+".json", &got)
		if len(got) != 1 {
			t.Fatalf("requests/%s.json: %v", id, got)
		}
		return got[0]
	}
	t.Run("while REPORTED it is open, with no expected_datetime and no household or account", func(t *testing.T) {
		g := one(t)
		if g.ServiceRequestID != id || g.Status != "open" || g.ServiceCode != "ROAD" || g.ServiceName != "道路" ||
			g.AddressID != k.ID || g.Address != "1号楼东侧" || g.ExpectedDatetime != nil || g.RequestedDatetime == "" || g.AgencyResponsible != "" {
			t.Fatalf("reported: %+v", g)
		}
		if _, err := time.Parse(time.RFC3339, g.RequestedDatetime); err != nil {
			t.Fatalf("requested_datetime %q: %v", g.RequestedDatetime, err)
		}
		r := c.noToken().do("GET", "/open311/v2/requests/"+id+".json", nil)
		for _, private := range []string{"street-app", "households/", "reporter", "Account"} {
			if strings.Contains(string(r.body), private) {
				t.Fatalf("the public answer shows %q: %s", private, r.body)
			}
		}
	})

	c.call("POST", path("/v1/whistles/%s:triage", id), map[string]any{"departmentIds": []string{"roads"}, "priority": "URGENT", "remarks": "请交通局处理"}, nil)
	t.Run("the triage opens it: agency_responsible and expected_datetime appear", func(t *testing.T) {
		g := one(t)
		if g.Status != "open" || g.AgencyResponsible != "区交通局" || g.ExpectedDatetime == nil || strings.Contains(g.StatusNotes, "请交通局处理") {
			t.Fatalf("triaged: %+v", g)
		}
		exp, err := time.Parse(time.RFC3339, *g.ExpectedDatetime)
		if req, _ := time.Parse(time.RFC3339, g.RequestedDatetime); err != nil || exp.Sub(req) < 23*time.Hour || exp.Sub(req) > 25*time.Hour {
			t.Fatalf("expected_datetime %q, requested %q: an URGENT whistle resolves within 24 h", *g.ExpectedDatetime, g.RequestedDatetime)
		}
	})

	c.call("POST", path("/v1/whistles/%s:acknowledge", id), map[string]any{"departmentId": "roads"}, nil)
	c.call("POST", path("/v1/whistles/%s:resolve", id), map[string]any{"departmentId": "roads"}, nil)
	c.call("POST", path("/v1/whistles/%s:close", id), map[string]any{"ratings": []map[string]any{{"departmentId": "roads", "score": 5}}}, nil)
	t.Run("closed is \"closed\"; the listing filters by status, service and ids", func(t *testing.T) {
		c := c.with(t)
		if g := one(t); g.Status != "closed" {
			t.Fatalf("closed: %+v", g)
		}
		var got []georeport
		c.get311("/open311/v2/requests.json?status=closed&service_code=ROAD", &got)
		if len(got) != 1 || got[0].ServiceRequestID != id {
			t.Fatalf("closed ROAD requests: %+v", got)
		}
		c.get311("/open311/v2/requests.json?status=open", &got)
		if len(got) != 0 {
			t.Fatalf("open requests: %+v", got)
		}
		c.get311("/open311/v2/requests.json?service_request_id="+id+",unknown", &got)
		if len(got) != 1 || got[0].ServiceRequestID != id {
			t.Fatalf("by id: %+v", got)
		}
		c.open311Failure(c.noToken().do("GET", "/open311/v2/requests.json?status=pending", nil), http.StatusBadRequest, "status")
	})
}

// A resident (an access code's session) reports for their own household only, lists
// their own whistles, and rates one once it is closed.
func TestResidentReportsListsAndRatesOwnWhistles(t *testing.T) {
	c := startApp(t)
	rt := c.createRegionTree()
	k := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 60, 70)
	mine, neighbour := k.hid(0), k.hid(1)
	c.call("POST", "/v1/departments", map[string]any{"id": "urban", "name": "区城管局"}, nil)
	var code struct {
		Code string `json:"code"`
	}
	c.call("POST", path("/v1/households/%s:issueAccessCode", mine), map[string]any{}, &code)
	r, s := c.browser().signIn(map[string]any{"accessCode": code.Code})
	if r.status != http.StatusOK {
		t.Fatalf("resident sign-in: %d %s", r.status, r.body)
	}
	res := c.as(s.Token)

	report := map[string]any{"compoundId": k.ID, "category": "SANITATION", "description": "垃圾清运不及时", "address": "1号楼门口"}
	res.failure(res.do("POST", "/v1/whistles:report", report), http.StatusForbidden, "a report naming no household")
	report["householdId"] = neighbour
	res.failure(res.do("POST", "/v1/whistles:report", report), http.StatusForbidden, "a report for a neighbour's household")
	report["householdId"] = mine
	// An auditor reads and never changes: reports come from people and reporting systems.
	c.asRole(auth.Auditor, "").failure(c.asRole(auth.Auditor, "").do("POST", "/v1/whistles:report", report), http.StatusForbidden, "an auditor's report")
	var w struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Reporter string `json:"reporter"`
	}
	res.call("POST", "/v1/whistles:report", report, &w)
	if w.Status != "REPORTED" || w.Reporter != "households/"+mine {
		t.Fatalf("reported %+v", w)
	}

	var list struct {
		Whistles []struct {
			ID string `json:"id"`
		} `json:"whistles"`
	}
	res.call("GET", "/v1/whistles?householdId="+mine, nil, &list)
	if len(list.Whistles) != 1 || list.Whistles[0].ID != w.ID {
		t.Fatalf("my whistles: %+v", list)
	}
	res.failure(res.do("GET", "/v1/whistles?householdId="+neighbour, nil), http.StatusForbidden, "a neighbour's whistles")
	res.failure(res.do("GET", "/v1/whistles?compoundId="+k.ID, nil), http.StatusForbidden, "the compound's whistles")
	res.failure(res.do("POST", path("/v1/whistles/%s:triage", w.ID), map[string]any{"departmentIds": []string{"urban"}, "priority": "NORMAL"}), http.StatusForbidden, "a resident's triage")

	c.call("POST", path("/v1/whistles/%s:triage", w.ID), map[string]any{"departmentIds": []string{"urban"}, "priority": "NORMAL"}, nil)
	st := c.failure(c.do("POST", path("/v1/whistles/%s:triage", w.ID), map[string]any{"departmentIds": []string{"urban"}, "priority": "URGENT"}), http.StatusPreconditionFailed, "a second triage")
	if st.reason() != "WRONG_STATE" {
		t.Fatalf("a second triage: %s", st.Raw)
	}
	rate := map[string]any{"householdId": mine, "rating": 4}
	res.failure(res.do("POST", path("/v1/whistles/%s:rate", w.ID), rate), http.StatusPreconditionFailed, "a rating before closing")
	c.call("POST", path("/v1/whistles/%s:acknowledge", w.ID), map[string]any{"departmentId": "urban"}, nil)
	c.call("POST", path("/v1/whistles/%s:resolve", w.ID), map[string]any{"departmentId": "urban"}, nil)
	c.call("POST", path("/v1/whistles/%s:close", w.ID), map[string]any{"ratings": []map[string]any{{"departmentId": "urban", "score": 4}}}, nil)

	res.failure(res.do("POST", path("/v1/whistles/%s:rate", w.ID), map[string]any{"householdId": neighbour, "rating": 1}), http.StatusForbidden, "rating for a neighbour")
	var rated struct {
		ReporterRating int    `json:"reporterRating"`
		RateAccount    string `json:"rateAccount"`
	}
	res.call("POST", path("/v1/whistles/%s:rate", w.ID), rate, &rated)
	if rated.ReporterRating != 4 || rated.RateAccount != "households/"+mine {
		t.Fatalf("rated %+v", rated)
	}
	res.failure(res.do("POST", path("/v1/whistles/%s:rate", w.ID), map[string]any{"householdId": mine, "rating": 1}), http.StatusPreconditionFailed, "rating again")
}
