package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/auth"
	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// Open311 GeoReport v2 (API.md, "Added in the second round"): a facade that lets the
// public's apps report whistles (ReportWhistle) and read where they stand, in the field
// names and status values of the specification. It answers JSON only (the .json
// format); errors are arrays of {"code", "description"}.
//
// Who calls governance: each app proves itself with an api_key; the gateway keeps only
// the SHA-256 of each key (a leaked configuration leaks no key) and compares in constant
// time. The facade then calls governance as a district system, with a short-lived token
// it signs for the subject "open311/<app>" (so the whistle's raise account and reporter
// name the app, rule 16) and the REPORTER role over the whole district: a reporting
// system reads whistles and departments and files reports, nothing else. Reads without
// a key act as "open311/public". Answers hold public fields only: no reporter, no
// household, no remarks, no accounts; names, phone numbers and e-mail addresses sent
// with a report are never stored (rule 13).

// Open311 configures the facade. With no keys the facade still answers the public reads;
// without a signer it is not served at all.
type Open311 struct {
	// Keys maps the SHA-256 of each app's api_key to the app's name (ParseOpen311Keys).
	Keys map[[sha256.Size]byte]string
	// Signer signs the facade's tokens; the services must trust its key (the data dir's
	// key in cmd/tongdu).
	Signer *auth.Signer
}

// open311AppName is the shape of an app's name: it becomes part of a token's subject.
var open311AppName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ParseOpen311Keys reads the facade's keys: "app=sha256hex" pairs separated by commas,
// the hash being the hex SHA-256 of the app's api_key (printf %s KEY | sha256sum).
func ParseOpen311Keys(s string) (map[[sha256.Size]byte]string, error) {
	out := map[[sha256.Size]byte]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		app, h, ok := strings.Cut(pair, "=")
		if !ok || !open311AppName.MatchString(app) {
			return nil, fmt.Errorf("open311 keys: %q: want app=sha256hex, the app in lower-case letters, digits and '-'", pair)
		}
		raw, err := hex.DecodeString(h)
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("open311 keys: app %s: the key's hash is 64 hex digits (SHA-256)", app)
		}
		out[[sha256.Size]byte(raw)] = app
	}
	return out, nil
}

// open311Service is one GeoReport service: a whistle category of the console's catalogue
// (web/internal/i18n/whistles.go names them the same).
type open311Service struct {
	Code, Name, Group, Description, Keywords string
}

// open311Services are the categories the public may report, in the console's order.
var open311Services = []open311Service{
	{"DRAINAGE", "排水", "市政设施", "下水道堵塞、污水外溢、化粪池满溢", "下水道,堵塞,污水,化粪池"},
	{"WATER", "供水", "市政设施", "停水、水压不足、管道漏水", "停水,水压,漏水,水管"},
	{"POWER", "供电", "市政设施", "停电、线路老化、楼道灯不亮", "停电,电线,路灯,楼道灯"},
	{"GAS", "燃气", "市政设施", "燃气管道、表具问题（闻到燃气味请先拨打燃气抢修电话）", "燃气,天然气,管道"},
	{"HEATING", "供暖", "市政设施", "暖气不热、管道漏水", "暖气,供暖"},
	{"ROAD", "道路", "市政设施", "路面破损、塌陷、积水", "路面,塌陷,坑洼,积水"},
	{"BUILDING", "房屋设施", "房屋与环境", "屋面漏雨、外墙脱落、楼梯扶手损坏", "漏雨,外墙,楼梯,扶手"},
	{"GREENING", "绿化", "房屋与环境", "树木倒伏、绿地毁坏", "树木,绿地,草坪"},
	{"SANITATION", "环境卫生", "房屋与环境", "垃圾清运不及时、卫生死角", "垃圾,清运,卫生"},
	{"PARKING", "停车", "房屋与环境", "乱停车、占用消防通道", "停车,车位,消防通道"},
	{"SAFETY", "安全隐患", "安全", "危及人身财产安全的隐患（紧急情况请先拨打110、119）", "安全,隐患,消防"},
	{"OTHER", "其他", "其他", "以上类别以外的问题", "其他"},
}

func open311ServiceOf(code string) (open311Service, bool) {
	for _, s := range open311Services {
		if s.Code == code {
			return s, true
		}
	}
	return open311Service{}, false
}

// open311 serves /open311/v2/.
type open311 struct {
	cfg  Open311
	gov  governancepb.GovernanceServiceClient
	log  *slog.Logger
	now  func() time.Time
	mu   sync.Mutex
	toks map[string]signedToken // by subject
	// depts caches the departments' names (agency_responsible) for a short while: they
	// change seldom and every listing needs them.
	depts     map[string]string
	deptsRead time.Time
}

type signedToken struct {
	token string
	until time.Time
}

// open311TokenTTL is how long a facade token lives; it is renewed at half its life.
const open311TokenTTL = 5 * time.Minute

// open311PublicApp is the subject's app for reads without a key.
const open311PublicApp = "public"

func newOpen311(cfg Open311, gov governancepb.GovernanceServiceClient, log *slog.Logger) http.Handler {
	o := &open311{cfg: cfg, gov: gov, log: log, now: time.Now, toks: map[string]signedToken{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /open311/v2/services.json", o.services)
	mux.HandleFunc("GET /open311/v2/services/{file}", o.service)
	mux.HandleFunc("POST /open311/v2/requests.json", o.report)
	mux.HandleFunc("GET /open311/v2/requests.json", o.requests)
	mux.HandleFunc("GET /open311/v2/requests/{file}", o.request)
	mux.HandleFunc("/open311/v2/", func(w http.ResponseWriter, r *http.Request) {
		o.fail(w, http.StatusNotFound, "no such Open311 resource; Tongdu answers GeoReport v2 in JSON only (.json)")
	})
	return mux
}

// open311Error is the specification's error: an array of these.
type open311Error struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

func (o *open311) fail(w http.ResponseWriter, code int, description string) {
	writeOpen311(w, code, []open311Error{{Code: code, Description: description}})
}

func writeOpen311(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// jsonFile reads "{id}.json" of a path; other formats are not served.
func jsonFile(r *http.Request) (string, bool) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	return id, ok && id != ""
}

// open311ServiceJSON is a service of services.json.
type open311ServiceJSON struct {
	ServiceCode string `json:"service_code"`
	ServiceName string `json:"service_name"`
	Description string `json:"description"`
	Metadata    bool   `json:"metadata"`
	Type        string `json:"type"`
	Keywords    string `json:"keywords"`
	Group       string `json:"group"`
}

// open311AddressNote says how a report names its compound; every service says it.
const open311AddressNote = "报告须以 address_id 填写小区编号（Tongdu 的 compound id）；address_string 可写楼栋、位置。"

func serviceJSON(s open311Service) open311ServiceJSON {
	return open311ServiceJSON{ServiceCode: s.Code, ServiceName: s.Name, Description: s.Description + "。" + open311AddressNote,
		Metadata: false, Type: "realtime", Keywords: s.Keywords, Group: s.Group}
}

func (o *open311) services(w http.ResponseWriter, _ *http.Request) {
	out := make([]open311ServiceJSON, len(open311Services))
	for i, s := range open311Services {
		out[i] = serviceJSON(s)
	}
	writeOpen311(w, http.StatusOK, out)
}

// service answers a service's definition. No service has attributes (metadata false),
// so each one's definition is an empty list of them.
func (o *open311) service(w http.ResponseWriter, r *http.Request) {
	code, ok := jsonFile(r)
	if !ok {
		o.fail(w, http.StatusNotFound, "Tongdu answers JSON only: ask for services/{service_code}.json")
		return
	}
	if _, ok := open311ServiceOf(code); !ok {
		o.fail(w, http.StatusNotFound, "no service "+code+"; services.json lists them")
		return
	}
	writeOpen311(w, http.StatusOK, map[string]any{"service_code": code, "attributes": []any{}})
}

// app names the app whose api_key is given, comparing the key's hash with every
// configured one in constant time.
func (o *open311) app(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(key))
	found := ""
	for h, app := range o.cfg.Keys {
		if subtle.ConstantTimeCompare(sum[:], h[:]) == 1 {
			found = app
		}
	}
	return found, found != ""
}

// as returns ctx carrying the token of app's subject ("open311/<app>").
func (o *open311) as(ctx context.Context, app string) (context.Context, error) {
	subject := "open311/" + app
	now := o.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.toks[subject]
	if !ok || now.After(t.until) {
		tok, err := o.cfg.Signer.Sign(auth.Principal{Subject: subject, Role: auth.Reporter}, open311TokenTTL)
		if err != nil {
			return nil, err
		}
		t = signedToken{token: tok, until: now.Add(open311TokenTTL / 2)}
		o.toks[subject] = t
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+t.token), nil
}

// open311Fields are the form's names of ReportWhistle's fields, for the errors.
var open311Fields = map[string]string{"compoundId": "address_id", "category": "service_code", "description": "description", "address": "address_string", "compound_id": "address_id"}

// callFailed answers a failed call to governance in the specification's error format.
func (o *open311) callFailed(w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument:
		var msgs []string
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					f := v.GetField()
					if name, ok := open311Fields[f]; ok {
						f = name
					}
					msgs = append(msgs, f+": "+v.GetDescription())
				}
			}
		}
		if len(msgs) == 0 {
			msgs = []string{st.Message()}
		}
		o.fail(w, http.StatusBadRequest, strings.Join(msgs, "; "))
	case codes.NotFound:
		o.fail(w, http.StatusNotFound, st.Message())
	case codes.PermissionDenied, codes.Unauthenticated:
		o.fail(w, http.StatusForbidden, "not allowed")
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		o.fail(w, http.StatusServiceUnavailable, "the service is not available now; try again shortly")
	default:
		o.log.ErrorContext(r.Context(), "open311 call failed", "path", r.URL.Path, "cause", err.Error())
		o.fail(w, http.StatusInternalServerError, "internal error")
	}
}

// report files a service request (POST requests.json, form-encoded) as a REPORTED
// whistle. The reporter's e-mail, phone, names and device are read past and dropped:
// Tongdu keeps no personal data from the public. lat/long are checked and not kept (a
// compound is where a whistle is).
func (o *open311) report(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		o.fail(w, http.StatusBadRequest, "the body is not a form (application/x-www-form-urlencoded)")
		return
	}
	f := r.PostForm
	app, ok := o.app(f.Get("api_key"))
	if !ok {
		o.fail(w, http.StatusForbidden, "api_key is missing or not valid")
		return
	}
	var missing []string
	for _, name := range []string{"service_code", "description", "address_id"} {
		if strings.TrimSpace(f.Get(name)) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		o.fail(w, http.StatusBadRequest, strings.Join(missing, ", ")+" required; address_id is the compound's id")
		return
	}
	code := f.Get("service_code")
	if _, ok := open311ServiceOf(code); !ok {
		o.fail(w, http.StatusBadRequest, "service_code: no service "+code+"; services.json lists them")
		return
	}
	for _, name := range []string{"lat", "long"} {
		if v := f.Get(name); v != "" {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				o.fail(w, http.StatusBadRequest, name+": not a number")
				return
			}
		}
	}
	ctx, err := o.as(r.Context(), app)
	if err != nil {
		o.callFailed(w, r, err)
		return
	}
	wh, err := o.gov.ReportWhistle(ctx, &governancepb.ReportWhistleRequest{
		CompoundId: strings.TrimSpace(f.Get("address_id")), Category: code,
		Description: strings.TrimSpace(f.Get("description")), Address: strings.TrimSpace(f.Get("address_string")),
	})
	if err != nil {
		o.callFailed(w, r, err)
		return
	}
	writeOpen311(w, http.StatusCreated, []map[string]string{{"service_request_id": wh.GetId(), "service_notice": noticeOf(wh)}})
}

// open311Request is a service request as the public sees it.
type open311Request struct {
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
	ExpectedDatetime  string   `json:"expected_datetime,omitempty"`
	Address           string   `json:"address"`
	AddressID         string   `json:"address_id"`
	Zipcode           string   `json:"zipcode"`
	Lat               *float64 `json:"lat,omitempty"`
	Long              *float64 `json:"long,omitempty"`
	MediaURL          string   `json:"media_url"`
}

// statusNotes says in words where a whistle stands; never its remarks, which are free
// text staff wrote and may name people.
var statusNotes = map[governancepb.Whistle_Status]string{
	governancepb.Whistle_REPORTED:     "已受理，待社区分派",
	governancepb.Whistle_OPEN:         "已分派，待部门报到",
	governancepb.Whistle_ACKNOWLEDGED: "部门已报到，正在办理",
	governancepb.Whistle_RESOLVED:     "部门已办结，待社区评价",
	governancepb.Whistle_CLOSED:       "已办结并关闭",
}

func noticeOf(w *governancepb.Whistle) string {
	if w.GetStatus() == governancepb.Whistle_REPORTED {
		return "社区将分派相关部门并确定紧急程度；分派后可见预计办结时间（expected_datetime）。"
	}
	return "相关部门须按时限报到、办结（紧急事项更短），超时将逐级上报。"
}

func when(t *timestamppb.Timestamp) string {
	if t == nil {
		return ""
	}
	return t.AsTime().UTC().Format(time.RFC3339)
}

// updated is the last recorded act on a whistle.
func updated(w *governancepb.Whistle) *timestamppb.Timestamp {
	last := w.GetRaiseTime()
	later := func(t *timestamppb.Timestamp) {
		if t != nil && (last == nil || t.AsTime().After(last.AsTime())) {
			last = t
		}
	}
	later(w.GetTriageTime())
	for _, r := range w.GetResponses() {
		later(r.GetAcknowledgeTime())
		later(r.GetResolveTime())
	}
	later(w.GetCloseTime())
	return last
}

// requestOf shows a whistle's public fields.
func (o *open311) requestOf(w *governancepb.Whistle, depts map[string]string) open311Request {
	st := "open"
	if w.GetStatus() == governancepb.Whistle_CLOSED {
		st = "closed"
	}
	name := w.GetCategory()
	if s, ok := open311ServiceOf(w.GetCategory()); ok {
		name = s.Name
	}
	agencies := make([]string, len(w.GetDepartmentIds()))
	for i, d := range w.GetDepartmentIds() {
		agencies[i] = d
		if n := depts[d]; n != "" {
			agencies[i] = n
		}
	}
	return open311Request{
		ServiceRequestID: w.GetId(), Status: st, StatusNotes: statusNotes[w.GetStatus()],
		ServiceName: name, ServiceCode: w.GetCategory(), Description: w.GetDescription(),
		AgencyResponsible: strings.Join(agencies, "、"), ServiceNotice: noticeOf(w),
		RequestedDatetime: when(w.GetRaiseTime()), UpdatedDatetime: when(updated(w)),
		ExpectedDatetime: when(w.GetResolveDeadline()), Address: w.GetAddress(), AddressID: w.GetCompoundId(),
	}
}

// departments are the departments' names by id, read again after a minute.
func (o *open311) departments(ctx context.Context) (map[string]string, error) {
	o.mu.Lock()
	if o.depts != nil && o.now().Sub(o.deptsRead) < time.Minute {
		d := o.depts
		o.mu.Unlock()
		return d, nil
	}
	o.mu.Unlock()
	out := map[string]string{}
	token := ""
	for {
		resp, err := o.gov.ListDepartments(ctx, &governancepb.ListDepartmentsRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			return nil, err
		}
		for _, d := range resp.GetDepartments() {
			out[d.GetId()] = d.GetName()
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	o.mu.Lock()
	o.depts, o.deptsRead = out, o.now()
	o.mu.Unlock()
	return out, nil
}

// request answers one service request (GET requests/{id}.json), as a list of one.
func (o *open311) request(w http.ResponseWriter, r *http.Request) {
	id, ok := jsonFile(r)
	if !ok {
		o.fail(w, http.StatusNotFound, "Tongdu answers JSON only: ask for requests/{service_request_id}.json")
		return
	}
	ctx, err := o.as(r.Context(), open311PublicApp)
	if err != nil {
		o.callFailed(w, r, err)
		return
	}
	wh, err := o.gov.GetWhistle(ctx, &governancepb.GetWhistleRequest{Id: id})
	if status.Code(err) == codes.NotFound || status.Code(err) == codes.InvalidArgument {
		o.fail(w, http.StatusNotFound, "no service request "+id)
		return
	}
	if err != nil {
		o.callFailed(w, r, err)
		return
	}
	depts, err := o.departments(ctx)
	if err != nil {
		o.callFailed(w, r, err)
		return
	}
	writeOpen311(w, http.StatusOK, []open311Request{o.requestOf(wh, depts)})
}

// open311MaxRequests bounds a listing, as the specification suggests (1,000); the
// listing reads at most ten times that many whistles to find them.
const open311MaxRequests = 1000

// requests answers a listing (GET requests.json): by ids (service_request_id, comma
// separated; the other filters are then ignored, as the specification says), or by
// service_code, status (open, closed) and the requested time (start_date, end_date),
// oldest first.
func (o *open311) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ctx, err := o.as(r.Context(), open311PublicApp)
	if err != nil {
		o.callFailed(w, r, err)
		return
	}
	depts, err := o.departments(ctx)
	if err != nil {
		o.callFailed(w, r, err)
		return
	}
	out := []open311Request{}
	if ids := q.Get("service_request_id"); ids != "" {
		for _, id := range strings.Split(ids, ",") {
			wh, err := o.gov.GetWhistle(ctx, &governancepb.GetWhistleRequest{Id: strings.TrimSpace(id)})
			if status.Code(err) == codes.NotFound || status.Code(err) == codes.InvalidArgument {
				continue
			}
			if err != nil {
				o.callFailed(w, r, err)
				return
			}
			out = append(out, o.requestOf(wh, depts))
		}
		writeOpen311(w, http.StatusOK, out)
		return
	}
	f, bad := open311FilterOf(q)
	if bad != "" {
		o.fail(w, http.StatusBadRequest, bad)
		return
	}
	list := &governancepb.ListWhistlesRequest{PageSize: 1000}
	if f.status == "closed" {
		list.Status = governancepb.Whistle_CLOSED
	}
	for pages := 0; pages < 10 && len(out) < open311MaxRequests; pages++ {
		resp, err := o.gov.ListWhistles(ctx, list)
		if err != nil {
			o.callFailed(w, r, err)
			return
		}
		for _, wh := range resp.GetWhistles() {
			if f.match(wh) && len(out) < open311MaxRequests {
				out = append(out, o.requestOf(wh, depts))
			}
		}
		if list.PageToken = resp.GetNextPageToken(); list.PageToken == "" {
			break
		}
	}
	writeOpen311(w, http.StatusOK, out)
}

type open311Filter struct {
	codes      []string
	status     string
	start, end time.Time
}

// open311FilterOf reads a listing's filters, or says which one is bad.
func open311FilterOf(q map[string][]string) (open311Filter, string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	var f open311Filter
	if c := get("service_code"); c != "" {
		f.codes = strings.Split(c, ",")
	}
	switch f.status = get("status"); f.status {
	case "", "open", "closed":
	default:
		return f, "status: open or closed"
	}
	for _, d := range []struct {
		name string
		at   *time.Time
	}{{"start_date", &f.start}, {"end_date", &f.end}} {
		if v := get(d.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, d.name + ": a date and time as in 2026-12-05T08:00:00+08:00 (W3C, RFC 3339)"
			}
			*d.at = t
		}
	}
	return f, ""
}

func (f open311Filter) match(w *governancepb.Whistle) bool {
	closed := w.GetStatus() == governancepb.Whistle_CLOSED
	raised := w.GetRaiseTime().AsTime()
	return (len(f.codes) == 0 || slices.Contains(f.codes, w.GetCategory())) &&
		(f.status == "" || (f.status == "closed") == closed) &&
		(f.start.IsZero() || !raised.Before(f.start)) &&
		(f.end.IsZero() || !raised.After(f.end))
}
