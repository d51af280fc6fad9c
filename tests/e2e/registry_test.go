package e2e

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"tongdu/platform/auth"
)

// TestRegistryWalkThrough registers a compound the way a community office would: the
// three levels of regions, the compound, a building, a household; then reads them back
// as a web client does, personal data masked (rule 13) and the compound's derived figures
// moving with its households.
func TestRegistryWalkThrough(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()

	var kids struct {
		Regions []region `json:"regions"`
	}
	c.call("GET", "/v1/regions?parent="+url.QueryEscape(rt.subdistrict.ID), nil, &kids)
	if got := ids(kids.Regions, func(r region) string { return r.ID }); !sameSet(got, []string{rt.community.ID, rt.otherCommunity.ID}) {
		t.Errorf("GET /v1/regions?parent=<sub-district> = %v, want the two communities", got)
	}
	var got region
	c.call("GET", path("/v1/regions/%s", rt.community.ID), nil, &got)
	if got.Name != "和平社区" || got.Level != "COMMUNITY" || got.Parent != rt.subdistrict.ID {
		t.Errorf("GET region = %+v", got)
	}

	comp := c.createCompound(map[string]any{
		"name":          "光华小区",
		"address":       "书院街 12 号",
		"communityId":   rt.community.ID,
		"buildYear":     1985,
		"heritageNotes": "保留红砖外墙",
		"facilities": []map[string]any{
			{"kind": "DRAINS", "condition": "POOR", "notes": "雨污混流"},
			{"kind": "ROADS", "condition": "FAIR"},
		},
	})
	if comp.Name != "光华小区" || comp.CommunityID != rt.community.ID || comp.BuildYear != 1985 {
		t.Errorf("created compound = %+v", comp)
	}
	if comp.Status != "INVENTORIED" {
		t.Errorf("new compound status = %q, want INVENTORIED", comp.Status)
	}
	if want := []string{rt.district.ID, rt.subdistrict.ID, rt.community.ID}; strings.Join(comp.RegionPath, ",") != strings.Join(want, ",") {
		t.Errorf("regionPath = %v, want %v", comp.RegionPath, want)
	}
	if comp.HouseholdCount != 0 || comp.TotalExclusiveAreaM2 != 0 {
		t.Errorf("new compound has %d households, %v m2; want none", comp.HouseholdCount, comp.TotalExclusiveAreaM2)
	}

	listed := c.listCompounds(nil)
	if got := compoundIDs(listed); !sameSet(got, []string{comp.ID}) {
		t.Fatalf("GET /v1/compounds = %v, want [%s]", got, comp.ID)
	}
	if listed[0].Name != "光华小区" {
		t.Errorf("listed compound name %q", listed[0].Name)
	}

	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":3,"floorCount":6}`, &b)
	if b.ID == "" || b.CompoundID != comp.ID || b.Name != "1号楼" || b.UnitCount != 3 {
		t.Fatalf("created building = %+v", b)
	}
	var bl struct {
		Buildings []building `json:"buildings"`
	}
	c.call("GET", path("/v1/compounds/%s/buildings", comp.ID), nil, &bl)
	if len(bl.Buildings) != 1 || bl.Buildings[0].ID != b.ID {
		t.Errorf("GET buildings = %+v, want the one building", bl.Buildings)
	}

	var gb building
	c.call("GET", path("/v1/buildings/%s", b.ID), nil, &gb)
	if gb.ID != b.ID || gb.Name != "1号楼" || gb.CompoundID != comp.ID {
		t.Errorf("GET /v1/buildings/{id} = %+v", gb)
	}

	var h household
	c.call("POST", path("/v1/compounds/%s/households", comp.ID), fmt.Sprintf(`{
		"buildingId": %q, "unit": "2", "room": "301", "exclusiveAreaM2": 62.5,
		"residentName": "张三", "phone": "13812345678", "partyMember": true
	}`, b.ID), &h)
	if h.ID == "" || h.CompoundID != comp.ID || h.BuildingID != b.ID || h.Room != "301" {
		t.Fatalf("created household = %+v", h)
	}
	// Rule 13: the staff who register households see their personal data ...
	if h.ResidentName != "张三" || h.Phone != "13812345678" {
		t.Errorf("create answered the registering staff with %+v", h)
	}
	// ... others see it masked.
	secretary := c.asRole(auth.BranchSecretary, "compounds/"+comp.ID)
	c.call("POST", path("/v1/compounds/%s/households", comp.ID), fmt.Sprintf(`{
		"buildingId": %q, "unit": "1", "room": "101", "exclusiveAreaM2": 48.25,
		"residentName": "欧阳娜娜", "phone": "13900001111", "needsAccessibility": true
	}`, b.ID), nil)

	var read household
	secretary.call("GET", path("/v1/households/%s", h.ID), nil, &read)
	if read.ResidentName != "张*" || read.Phone != "138****5678" {
		t.Errorf("GET household shows residentName %q, phone %q; want 张*, 138****5678 (rule 13)", read.ResidentName, read.Phone)
	}
	if read.ExclusiveAreaM2 != 62.5 || read.Unit != "2" || !read.PartyMember || read.CompoundID != comp.ID {
		t.Errorf("GET household = %+v", read)
	}

	var hl householdList
	secretary.call("GET", path("/v1/compounds/%s/households", comp.ID), nil, &hl)
	if len(hl.Households) != 2 {
		t.Fatalf("GET households lists %d, want 2", len(hl.Households))
	}
	for _, x := range hl.Households {
		if x.ResidentName == "张三" || x.ResidentName == "欧阳娜娜" || x.Phone == "13812345678" || x.Phone == "13900001111" {
			t.Errorf("household listing shows personal data unmasked: %+v", x)
		}
	}

	comp = c.getCompound(comp.ID)
	if comp.HouseholdCount != 2 {
		t.Errorf("compound householdCount = %d, want 2", comp.HouseholdCount)
	}
	if math.Abs(comp.TotalExclusiveAreaM2-110.75) > 1e-9 {
		t.Errorf("compound totalExclusiveAreaM2 = %v, want 110.75", comp.TotalExclusiveAreaM2)
	}
	if comp.BuildingCount != 1 {
		t.Errorf("compound buildingCount = %d, want 1", comp.BuildingCount)
	}

	if r := c.do("GET", "/v1/compounds/no-such-compound", nil); r.status != http.StatusNotFound {
		t.Errorf("GET an unknown compound: status %d, want 404; body %s", r.status, r.body)
	}
	if r := c.do("GET", "/v1/households/no-such-household", nil); r.status != http.StatusNotFound {
		t.Errorf("GET an unknown household: status %d, want 404; body %s", r.status, r.body)
	}
}

// TestBadInputIsRefusedAndStoresNothing sends what a careless or hostile client might:
// each request is refused with 4xx and a google.rpc.Status naming the offending field, and
// nothing is stored.
func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	comp := c.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":2}`, &b)
	compounds := c.compoundCount()

	cid := rt.community.ID
	cases := []struct {
		name  string
		body  string
		field string // the field violation must name it
	}{
		{"missing name", fmt.Sprintf(`{"communityId":%q,"buildYear":1990}`, cid), "name"},
		{"build year 3000", fmt.Sprintf(`{"name":"未来小区","communityId":%q,"buildYear":3000}`, cid), "buildYear"},
		{"unknown community", `{"name":"无主小区","communityId":"no-such-community"}`, "communityId"},
		{"community is a district", fmt.Sprintf(`{"name":"错位小区","communityId":%q}`, rt.district.ID), "communityId"},
		{"malformed JSON", fmt.Sprintf(`{"name":"半截小区","communityId":%q`, cid), "body"},
		{"unknown enum name", fmt.Sprintf(`{"name":"城堡小区","communityId":%q,"managementType":"CASTLE"}`, cid), "managementType"},
		{"unknown field", fmt.Sprintf(`{"name":"彩色小区","communityId":%q,"colour":"red"}`, cid), "colour"},
		{"facility condition unknown", fmt.Sprintf(`{"name":"设施小区","communityId":%q,"facilities":[{"kind":"DRAINS","condition":"BROKEN"}]}`, cid), "condition"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c.with(t)
			r := c.do("POST", "/v1/compounds", tc.body)
			st := c.failure(r, http.StatusBadRequest, "POST /v1/compounds with "+tc.name)
			if st.Code != 3 {
				t.Errorf("code %d, want 3 (INVALID_ARGUMENT)", st.Code)
			}
			if _, ok := st.violation(tc.field); !ok {
				t.Errorf("no BadRequest field violation naming %q: %s", tc.field, st.Raw)
			}
			if n := c.compoundCount(); n != compounds {
				t.Errorf("GET /v1/compounds lists %d compounds after the refusal, want %d", n, compounds)
			}
		})
	}

	t.Run("negative exclusive area", func(t *testing.T) {
		c := c.with(t)
		body := fmt.Sprintf(`{"buildingId":%q,"unit":"1","room":"101","exclusiveAreaM2":-20}`, b.ID)
		st := c.failure(c.do("POST", path("/v1/compounds/%s/households", comp.ID), body), http.StatusBadRequest, "household with negative area")
		if _, ok := st.violation("exclusiveAreaM2"); !ok {
			t.Errorf("no field violation naming exclusiveAreaM2: %s", st.Raw)
		}
		var hl householdList
		c.call("GET", path("/v1/compounds/%s/households", comp.ID), nil, &hl)
		if len(hl.Households) != 0 {
			t.Errorf("the refused household was stored: %+v", hl.Households)
		}
		if got := c.getCompound(comp.ID); got.HouseholdCount != 0 || got.TotalExclusiveAreaM2 != 0 {
			t.Errorf("compound counts moved: %d households, %v m2", got.HouseholdCount, got.TotalExclusiveAreaM2)
		}
	})

	t.Run("unit beyond the building's units", func(t *testing.T) {
		c := c.with(t)
		body := fmt.Sprintf(`{"buildingId":%q,"unit":"7","room":"101","exclusiveAreaM2":50}`, b.ID)
		st := c.failure(c.do("POST", path("/v1/compounds/%s/households", comp.ID), body), http.StatusBadRequest, "household in unit 7 of a 2-unit building")
		if _, ok := st.violation("unit"); !ok {
			t.Errorf("no field violation naming unit: %s", st.Raw)
		}
	})

	t.Run("same dwelling twice in a batch", func(t *testing.T) {
		c := c.with(t)
		body := fmt.Sprintf(`{"households":[
			{"buildingId":%[1]q,"unit":"1","room":"101","exclusiveAreaM2":50},
			{"buildingId":%[1]q,"unit":"1","room":"101","exclusiveAreaM2":51}]}`, b.ID)
		st := c.failure(c.do("POST", path("/v1/compounds/%s/households:batchCreate", comp.ID), body), http.StatusBadRequest, "batch with one dwelling twice")
		if f, ok := st.violation("room"); !ok || !strings.Contains(f, "[1]") {
			t.Errorf("want a violation of households[1].room, got %q: %s", f, st.Raw)
		}
		if got := c.getCompound(comp.ID); got.HouseholdCount != 0 {
			t.Errorf("a refused batch stored %d households", got.HouseholdCount)
		}
	})

	t.Run("household in a building of another compound", func(t *testing.T) {
		c := c.with(t)
		other := c.createCompound(map[string]any{"name": "新华院坝", "communityId": rt.otherCommunity.ID})
		var ob building
		c.call("POST", path("/v1/compounds/%s/buildings", other.ID), `{"name":"1号楼","unitCount":2}`, &ob)
		for _, bid := range []string{ob.ID, "no-such-building"} {
			body := fmt.Sprintf(`{"buildingId":%q,"unit":"1","room":"101","exclusiveAreaM2":50}`, bid)
			st := c.failure(c.do("POST", path("/v1/compounds/%s/households", comp.ID), body), http.StatusBadRequest, "household in building "+bid)
			if _, ok := st.violation("buildingId"); !ok {
				t.Errorf("no field violation naming buildingId: %s", st.Raw)
			}
		}
		if got := c.getCompound(other.ID); got.HouseholdCount != 0 {
			t.Errorf("the other compound gained %d households", got.HouseholdCount)
		}
		compounds++ // the other compound
	})

	t.Run("batch with one bad household stores none", func(t *testing.T) {
		c := c.with(t)
		body := fmt.Sprintf(`{"households":[
			{"buildingId":%[1]q,"unit":"1","room":"101","exclusiveAreaM2":50},
			{"buildingId":%[1]q,"unit":"1","room":"102","exclusiveAreaM2":0}]}`, b.ID)
		st := c.failure(c.do("POST", path("/v1/compounds/%s/households:batchCreate", comp.ID), body), http.StatusBadRequest, "batch with a zero area")
		if f, ok := st.violation("exclusiveAreaM2"); !ok || !strings.Contains(f, "[1]") {
			t.Errorf("want a violation of households[1].exclusiveAreaM2, got %q: %s", f, st.Raw)
		}
		if got := c.getCompound(comp.ID); got.HouseholdCount != 0 {
			t.Errorf("a refused batch stored %d households", got.HouseholdCount)
		}
	})

	big := fmt.Sprintf(`{"name":"大小区","communityId":%q,"heritageNotes":%q}`, cid, strings.Repeat("x", 10<<20))
	var sized apiStatus
	t.Run("10 MB body", func(t *testing.T) {
		c := c.with(t)
		sized = c.failure(c.do("POST", "/v1/compounds", big), http.StatusRequestEntityTooLarge, "POST a 10 MB compound")
		if n := c.compoundCount(); n != compounds {
			t.Errorf("GET /v1/compounds lists %d compounds after the refusal, want %d", n, compounds)
		}
	})

	t.Run("10 MB body streamed without Content-Length", func(t *testing.T) {
		c := c.with(t)
		// The limit is found while reading; the answer must be the same as above.
		req, err := http.NewRequest("POST", c.base+"/v1/compounds", io.NopCloser(strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		streamed := c.failure(c.send(req), http.StatusRequestEntityTooLarge, "POST a streamed 10 MB compound")
		if sized.Code != 0 && sized.Code != streamed.Code {
			t.Errorf("the same oversized body answers code %d with Content-Length and %d without; want one code: %s / %s", sized.Code, streamed.Code, sized.Raw, streamed.Raw)
		}
		if n := c.compoundCount(); n != compounds {
			t.Errorf("GET /v1/compounds lists %d compounds after the refusal, want %d", n, compounds)
		}
	})

	t.Run("parent region at the wrong level", func(t *testing.T) {
		c := c.with(t)
		// A community must sit in a sub-district, not straight in a district.
		body := fmt.Sprintf(`{"name":"越级社区","level":"COMMUNITY","parent":%q}`, rt.district.ID)
		st := c.failure(c.do("POST", "/v1/regions", body), http.StatusBadRequest, "community under a district")
		if _, ok := st.violation("parent"); !ok {
			t.Errorf("no field violation naming parent: %s", st.Raw)
		}
		// A district has no parent at all.
		body = fmt.Sprintf(`{"name":"套娃区","level":"DISTRICT","parent":%q}`, rt.district.ID)
		c.failure(c.do("POST", "/v1/regions", body), http.StatusBadRequest, "district with a parent")
		var kids struct {
			Regions []region `json:"regions"`
		}
		c.call("GET", "/v1/regions?parent="+url.QueryEscape(rt.district.ID), nil, &kids)
		if len(kids.Regions) != 1 || kids.Regions[0].ID != rt.subdistrict.ID {
			t.Errorf("the district's children are %+v, want only the sub-district", kids.Regions)
		}
	})
}

// TestBatchCreateAndPaging registers a compound of 1,000 households in one call and pages
// through them as a client would.
func TestBatchCreateAndPaging(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	comp := c.createCompound(map[string]any{"name": "千户小区", "communityId": rt.community.ID, "buildYear": 1992})
	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":10,"floorCount":20}`, &b)

	const n = 1000
	hs := make([]map[string]any, n)
	for i := range hs {
		hs[i] = map[string]any{
			"buildingId":      b.ID,
			"unit":            fmt.Sprint(i/100 + 1),
			"room":            fmt.Sprintf("%d%02d", (i%100)/4+1, i%4+1),
			"exclusiveAreaM2": 50 + float64(i%10)/4, // 50, 50.25, ... 52.25
			"residentName":    "李四",
			"phone":           "13700000000",
		}
	}
	type batchAnswer struct {
		Households []household `json:"households"`
	}
	var batch, replay batchAnswer
	// A custom method's body is the whole request (body "*"), so requestId goes in it.
	batchPath := path("/v1/compounds/%s/households:batchCreate", comp.ID)
	batchBody := map[string]any{"households": hs, "requestId": "import-2024-06"}
	c.call("POST", batchPath, batchBody, &batch)
	if len(batch.Households) != n {
		t.Fatalf("batchCreate answered %d households, want %d", len(batch.Households), n)
	}
	// The import tool retries after a timeout: the same households, not 1,000 more.
	c.call("POST", batchPath, batchBody, &replay)
	if !sameSet(ids(replay.Households, func(h household) string { return h.ID }), ids(batch.Households, func(h household) string { return h.ID })) {
		t.Errorf("the retried batchCreate answered other households than the first")
	}

	seen := make(map[string]bool, n)
	var sizes []int
	token := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatalf("more than 5 pages; sizes so far %v", sizes)
		}
		q := url.Values{"pageSize": {"400"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		var l householdList
		c.asRole(auth.BranchSecretary, "compounds/"+comp.ID).call("GET", path("/v1/compounds/%s/households", comp.ID)+"?"+q.Encode(), nil, &l)
		sizes = append(sizes, len(l.Households))
		for _, h := range l.Households {
			if seen[h.ID] {
				t.Errorf("household %s listed twice", h.ID)
			}
			seen[h.ID] = true
			if h.ResidentName != "李*" || h.Phone != "137****0000" {
				t.Errorf("listed household shows %q, %q; want masked", h.ResidentName, h.Phone)
			}
		}
		if l.NextPageToken == "" {
			break
		}
		token = l.NextPageToken
	}
	if fmt.Sprint(sizes) != "[400 400 200]" {
		t.Errorf("page sizes %v, want [400 400 200] with no token on the last page", sizes)
	}
	if len(seen) != n {
		t.Errorf("listed %d distinct households, want %d", len(seen), n)
	}
	for _, h := range batch.Households {
		if !seen[h.ID] {
			t.Errorf("created household %s is not listed", h.ID)
			break
		}
	}

	got := c.getCompound(comp.ID)
	if got.HouseholdCount != n {
		t.Errorf("compound householdCount = %d, want %d", got.HouseholdCount, n)
	}
	// 100 of each of 50.00, 50.25, ..., 52.25 m2.
	if want := 100 * (10*50 + 0.25*45); math.Abs(got.TotalExclusiveAreaM2-want) > 1e-6 {
		t.Errorf("compound totalExclusiveAreaM2 = %v, want %v", got.TotalExclusiveAreaM2, want)
	}

	// One unit's households: 100 of them.
	var unit2 householdList
	c.call("GET", path("/v1/compounds/%s/households", comp.ID)+"?pageSize=1000&buildingId="+url.QueryEscape(b.ID), nil, &unit2)
	if len(unit2.Households) != n || unit2.NextPageToken != "" {
		t.Errorf("GET households?buildingId= lists %d (token %q), want %d on one page", len(unit2.Households), unit2.NextPageToken, n)
	}

	// The same dwelling twice is refused, and the refusal changes no count.
	dup := fmt.Sprintf(`{"buildingId":%q,"unit":"1","room":"101","exclusiveAreaM2":40}`, b.ID)
	if r := c.do("POST", path("/v1/compounds/%s/households", comp.ID), dup); r.status != http.StatusConflict {
		t.Errorf("a household in a registered dwelling: status %d, want 409; body %s", r.status, r.body)
	}
	if got := c.getCompound(comp.ID); got.HouseholdCount != n {
		t.Errorf("after a refused duplicate householdCount = %d, want %d", got.HouseholdCount, n)
	}
}

// TestCompoundFilters lists compounds by region at every level and by management type
// after a classification (rule 1: the management type follows from the compound's facts).
func TestCompoundFilters(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	otherDistrict := c.createRegion("武侯区", "DISTRICT", "")
	otherSub := c.createRegion("浆洗街街道", "SUBDISTRICT", otherDistrict.ID)
	farCommunity := c.createRegion("锦里社区", "COMMUNITY", otherSub.ID)

	a := c.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID, "propertyManager": "安居物业"})
	threeNone := c.createCompound(map[string]any{"name": "老机床厂宿舍", "communityId": rt.community.ID, "buildYear": 1978})
	b := c.createCompound(map[string]any{"name": "新华院坝", "communityId": rt.otherCommunity.ID, "owningUnit": "市机床厂"})
	far := c.createCompound(map[string]any{"name": "锦里小区", "communityId": farCommunity.ID})

	check := func(query url.Values, want ...string) {
		t.Helper()
		if got := compoundIDs(c.listCompounds(query)); !sameSet(got, want) {
			t.Errorf("GET /v1/compounds?%s = %v, want %v", query.Encode(), got, want)
		}
	}
	check(nil, a.ID, threeNone.ID, b.ID, far.ID)
	check(url.Values{"regionId": {rt.district.ID}}, a.ID, threeNone.ID, b.ID)
	check(url.Values{"regionId": {rt.subdistrict.ID}}, a.ID, threeNone.ID, b.ID)
	check(url.Values{"regionId": {rt.community.ID}}, a.ID, threeNone.ID)
	check(url.Values{"regionId": {rt.otherCommunity.ID}}, b.ID)
	check(url.Values{"regionId": {otherDistrict.ID}}, far.ID)
	// Small pages must not lose or repeat compounds.
	check(url.Values{"regionId": {rt.district.ID}, "pageSize": {"1"}}, a.ID, threeNone.ID, b.ID)

	check(url.Values{"managementType": {"THREE_NONE"}})
	var classified compound
	c.call("POST", path("/v1/compounds/%s:classify", threeNone.ID), `{"governanceMode":"SELF_GOVERNANCE","decidedBy":"和平社区居委会"}`, &classified)
	if classified.ManagementType != "THREE_NONE" || classified.GovernanceMode != "SELF_GOVERNANCE" {
		t.Errorf("classified compound is %q / %q, want THREE_NONE / SELF_GOVERNANCE (rule 1)", classified.ManagementType, classified.GovernanceMode)
	}
	if cl := classified.Classification; cl == nil || cl.DecidedBy != "和平社区居委会" || cl.ManagementType != "THREE_NONE" || cl.DecideTime == "" {
		t.Errorf("classification record = %+v", cl)
	}
	var classifiedB compound
	c.call("POST", path("/v1/compounds/%s:classify", b.ID), `{"governanceMode":"INTRODUCE_PM","decidedBy":"新华社区居委会"}`, &classifiedB)
	if classifiedB.ManagementType != "WORK_UNIT_NO_PM" {
		t.Errorf("a compound with an owning unit and no manager classified %q, want WORK_UNIT_NO_PM", classifiedB.ManagementType)
	}

	check(url.Values{"managementType": {"THREE_NONE"}}, threeNone.ID)
	check(url.Values{"managementType": {"THREE_NONE"}, "regionId": {rt.district.ID}}, threeNone.ID)
	check(url.Values{"managementType": {"THREE_NONE"}, "regionId": {rt.otherCommunity.ID}})
	check(url.Values{"managementType": {"WORK_UNIT_NO_PM"}}, b.ID)
	check(url.Values{"status": {"INVENTORIED"}, "regionId": {rt.community.ID}}, a.ID, threeNone.ID)

	// A type that contradicts the facts is refused (the compound has a property manager).
	r := c.do("POST", path("/v1/compounds/%s:classify", a.ID), `{"managementType":"THREE_NONE","governanceMode":"SELF_GOVERNANCE","decidedBy":"居委会"}`)
	if r.status/100 != 4 {
		t.Errorf("classifying a managed compound THREE_NONE: status %d, want 4xx; body %s", r.status, r.body)
	}
	if r := c.do("GET", "/v1/compounds?regionId=no-such-region", nil); r.status != http.StatusNotFound {
		t.Errorf("list under an unknown region: status %d, want 404; body %s", r.status, r.body)
	}
}

// TestUpdateWithEtag edits a compound and refuses an edit made on a stale copy.
func TestUpdateWithEtag(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	comp := c.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID, "buildYear": 1985, "address": "书院街 12 号"})
	if comp.Etag == "" {
		t.Fatal("a created compound has no etag")
	}
	old := comp.Etag

	var upd compound
	c.call("PATCH", path("/v1/compounds/%s", comp.ID), fmt.Sprintf(`{"buildYear":1986,"etag":%q}`, old), &upd)
	if upd.BuildYear != 1986 {
		t.Errorf("buildYear after PATCH = %d, want 1986", upd.BuildYear)
	}
	if upd.Name != "光华小区" || upd.Address != "书院街 12 号" || upd.CommunityID != rt.community.ID {
		t.Errorf("PATCH of buildYear changed other fields: %+v", upd)
	}
	if upd.Etag == "" || upd.Etag == old {
		t.Errorf("etag after PATCH = %q, want a new one (was %q)", upd.Etag, old)
	}
	if got := c.getCompound(comp.ID); got.BuildYear != 1986 || got.Etag != upd.Etag {
		t.Errorf("GET after PATCH = buildYear %d etag %q, want 1986 %q", got.BuildYear, got.Etag, upd.Etag)
	}

	r := c.do("PATCH", path("/v1/compounds/%s", comp.ID), fmt.Sprintf(`{"buildYear":1990,"etag":%q}`, old))
	st := c.failure(r, http.StatusConflict, "PATCH with a stale etag")
	if st.Code != 10 {
		t.Errorf("code %d, want 10 (ABORTED)", st.Code)
	}
	if got := st.reason(); got != "ETAG_MISMATCH" {
		t.Errorf("ErrorInfo reason %q, want ETAG_MISMATCH: %s", got, st.Raw)
	}
	if got := c.getCompound(comp.ID); got.BuildYear != 1986 {
		t.Errorf("the stale PATCH changed buildYear to %d", got.BuildYear)
	}

	// Without an etag the edit is last-writer-wins, and an explicit updateMask is honoured.
	c.call("PATCH", path("/v1/compounds/%s", comp.ID)+"?updateMask=name", `{"name":"光华里","buildYear":2001}`, &upd)
	if upd.Name != "光华里" || upd.BuildYear != 1986 {
		t.Errorf("PATCH ?updateMask=name gave name %q buildYear %d, want 光华里 1986", upd.Name, upd.BuildYear)
	}
	// The same bounds hold on update as on create.
	st = c.failure(c.do("PATCH", path("/v1/compounds/%s", comp.ID), `{"buildYear":3000}`), http.StatusBadRequest, "PATCH buildYear 3000")
	if _, ok := st.violation("buildYear"); !ok {
		t.Errorf("no field violation naming buildYear: %s", st.Raw)
	}
	if r := c.do("PATCH", "/v1/compounds/no-such-compound", `{"buildYear":1990}`); r.status != http.StatusNotFound {
		t.Errorf("PATCH an unknown compound: status %d, want 404; body %s", r.status, r.body)
	}
}

// TestIdempotentCreate retries a create with the same requestId, as a client does after a
// timeout, and reuses a requestId for another compound by mistake.
func TestIdempotentCreate(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	body := fmt.Sprintf(`{"name":"光华小区","communityId":%q,"buildYear":1985}`, rt.community.ID)

	var first, second compound
	c.call("POST", "/v1/compounds?requestId=abc", body, &first)
	c.call("POST", "/v1/compounds?requestId=abc", body, &second)
	if first.ID == "" || second.ID != first.ID {
		t.Errorf("the retried create made %q, the first %q; want the same compound", second.ID, first.ID)
	}
	if got := compoundIDs(c.listCompounds(nil)); !sameSet(got, []string{first.ID}) {
		t.Errorf("GET /v1/compounds = %v after a retried create, want one compound %s", got, first.ID)
	}
	if got := compoundIDs(c.listCompounds(url.Values{"regionId": {rt.community.ID}})); !sameSet(got, []string{first.ID}) {
		t.Errorf("GET /v1/compounds?regionId=<community> = %v after a retried create, want [%s]", got, first.ID)
	}

	other := fmt.Sprintf(`{"name":"新华院坝","communityId":%q}`, rt.community.ID)
	st := c.failure(c.do("POST", "/v1/compounds?requestId=abc", other), http.StatusConflict, "requestId reused with another body")
	if got := st.reason(); got != "REQUEST_ID_REUSED" {
		t.Errorf("ErrorInfo reason %q, want REQUEST_ID_REUSED: %s", got, st.Raw)
	}
	if n := c.compoundCount(); n != 1 {
		t.Errorf("%d compounds stored after the refused reuse, want 1", n)
	}

	// Without a requestId two identical posts are two compounds.
	c.call("POST", "/v1/compounds", body, nil)
	c.call("POST", "/v1/compounds", body, nil)
	if n := c.compoundCount(); n != 3 {
		t.Errorf("%d compounds after two posts without requestId, want 3", n)
	}

	// Regions and households honour requestId the same way.
	var r1, r2 region
	reg := fmt.Sprintf(`{"name":"锦华社区","level":"COMMUNITY","parent":%q}`, rt.subdistrict.ID)
	c.call("POST", "/v1/regions?requestId=reg-1", reg, &r1)
	c.call("POST", "/v1/regions?requestId=reg-1", reg, &r2)
	if r1.ID != r2.ID {
		t.Errorf("retried region create made %s and %s", r1.ID, r2.ID)
	}
	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", first.ID), `{"name":"1号楼","unitCount":2}`, &b)
	hh := fmt.Sprintf(`{"buildingId":%q,"unit":"1","room":"101","exclusiveAreaM2":55}`, b.ID)
	var h1, h2 household
	c.call("POST", path("/v1/compounds/%s/households", first.ID)+"?requestId=hh-1", hh, &h1)
	c.call("POST", path("/v1/compounds/%s/households", first.ID)+"?requestId=hh-1", hh, &h2)
	if h1.ID != h2.ID {
		t.Errorf("retried household create made %s and %s", h1.ID, h2.ID)
	}
	if got := c.getCompound(first.ID); got.HouseholdCount != 1 || got.TotalExclusiveAreaM2 != 55 {
		t.Errorf("after a retried household create: %d households, %v m2; want 1, 55", got.HouseholdCount, got.TotalExclusiveAreaM2)
	}
}

// TestConcurrentWrites sends what a busy registration day does at once: many households
// of one compound, the same dwelling twice, and edits of one compound by several clients
// that send no etag. Counts stay exact and no edit is lost or refused.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	comp := c.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":4}`, &b)

	const n = 40
	statuses := make(chan int, 2*n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"buildingId":%q,"unit":"%d","room":"%d","exclusiveAreaM2":%d.5}`, b.ID, i%4+1, 100+i, 40+i)
			r, err := c.try("POST", path("/v1/compounds/%s/households", comp.ID), body)
			if err != nil {
				t.Error(err)
			}
			statuses <- r.status
		}(i)
	}
	// Eight clients register the same dwelling: one wins.
	const same = 8
	sameStatus := make(chan int, same)
	for i := 0; i < same; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"buildingId":%q,"unit":"1","room":"999","exclusiveAreaM2":70}`, b.ID)
			r, err := c.try("POST", path("/v1/compounds/%s/households", comp.ID), body)
			if err != nil {
				t.Error(err)
			}
			sameStatus <- r.status
		}()
	}
	wg.Wait()
	close(statuses)
	close(sameStatus)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("a household of a distinct dwelling: status %d, want 200", s)
		}
	}
	won := 0
	for s := range sameStatus {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("registering a dwelling concurrently: status %d, want 200 or 409", s)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent registrations of one dwelling succeeded, want 1", won, same)
	}
	got := c.getCompound(comp.ID)
	// 40.5 + 41.5 + ... + 79.5, and the one 70 m2 dwelling.
	wantArea := float64(n)*40.5 + float64(n*(n-1)/2) + 70
	if got.HouseholdCount != n+1 || math.Abs(got.TotalExclusiveAreaM2-wantArea) > 1e-6 {
		t.Errorf("compound has %d households, %v m2; want %d, %v", got.HouseholdCount, got.TotalExclusiveAreaM2, n+1, wantArea)
	}

	// Edits without an etag are last-writer-wins per field: each must be applied, none
	// refused, none lost to another client's edit of another field. (The status is not
	// among them: it follows the renovation and cannot be set.)
	edits := []struct{ field, value string }{
		{"name", `"光华里-%d"`}, {"address", `"书院街 %d 号"`}, {"heritageNotes", `"保留红砖 %d"`},
		{"buildYear", `19%02d`}, {"demonstrationSite", `true`},
		{"propertyManager", `"安居物业 %d"`}, {"owningUnit", `"机床厂 %d"`},
	}
	type answer struct {
		what string
		r    response
	}
	answers := make(chan answer, 6*len(edits))
	for round := 0; round < 6; round++ {
		for _, e := range edits {
			wg.Add(1)
			go func(field, value string) {
				defer wg.Done()
				if strings.Contains(value, "%") {
					value = fmt.Sprintf(value, 50+round)
				}
				body := fmt.Sprintf(`{%q:%s}`, field, value)
				r, err := c.try("PATCH", path("/v1/compounds/%s", comp.ID), body)
				if err != nil {
					t.Error(err)
				}
				answers <- answer{body, r}
			}(e.field, e.value)
		}
	}
	wg.Wait()
	close(answers)
	refused := 0
	for a := range answers {
		if a.r.status != http.StatusOK {
			refused++
			if refused <= 3 {
				t.Errorf("PATCH %s without an etag, concurrently with other edits: status %d, want 200; body %s", a.what, a.r.status, a.r.body)
			}
		}
	}
	if refused > 3 {
		t.Errorf("... %d concurrent etag-less PATCHes refused in all", refused)
	}
	var final struct {
		compound
		HeritageNotes     string `json:"heritageNotes"`
		DemonstrationSite bool   `json:"demonstrationSite"`
		PropertyManager   string `json:"propertyManager"`
		OwningUnit        string `json:"owningUnit"`
	}
	c.call("GET", path("/v1/compounds/%s", comp.ID), nil, &final)
	if !strings.HasPrefix(final.Name, "光华里-") || final.Address == "" || final.HeritageNotes == "" || final.BuildYear < 1950 ||
		!final.DemonstrationSite || final.Status != "INVENTORIED" || final.PropertyManager == "" || final.OwningUnit == "" {
		t.Errorf("an edit was lost: %+v", final)
	}
	if final.HouseholdCount != n+1 {
		t.Errorf("edits moved householdCount to %d, want %d", final.HouseholdCount, n+1)
	}
}

// TestRequestIdInQueryOfCustomMethods: a client that sends requestId as a query
// parameter, as it does for every Create, must not have it silently dropped on a custom
// method (body "*", e.g. :batchCreate): either the retry is recognised or the request is
// refused as malformed, never a second attempt treated as a new request.
func TestRequestIdInQueryOfCustomMethods(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	comp := c.createCompound(map[string]any{"name": "光华小区", "communityId": rt.community.ID})
	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", comp.ID), `{"name":"1号楼","unitCount":2}`, &b)
	body := fmt.Sprintf(`{"households":[{"buildingId":%q,"unit":"1","room":"101","exclusiveAreaM2":50}]}`, b.ID)
	p := path("/v1/compounds/%s/households:batchCreate", comp.ID) + "?requestId=import-1"

	first := c.do("POST", p, body)
	if first.status == http.StatusBadRequest {
		return // refused: the client learns at once where requestId belongs
	}
	if first.status != http.StatusOK {
		t.Fatalf("first batchCreate: status %d; body %s", first.status, first.body)
	}
	retry := c.do("POST", p, body)
	if retry.status != http.StatusOK {
		t.Errorf("retried batchCreate with the same ?requestId: status %d, want 200 with the households of the first; body %s", retry.status, retry.body)
	}
}
