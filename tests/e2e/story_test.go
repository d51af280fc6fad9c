package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"tongdu/platform/auth"
)

// TestShiyangRoadNo21 tells the story of the source article (seed/article.en.md, Yunnan
// Daily, 2022-01-18) through the REST gateway only: Shiyang Road No. 21 (石羊路21号院) in
// Shaba community (沙坝社区), Tongdu sub-district (铜都街道), Dongchuan district (东川区), a
// compound of the brick-and-tile factory's workers with no property management, from the
// inventory to upkeep, every figure of the article checked where the API shows it.
//
// The compound as registered here: 8 buildings of one stairwell (unit) and 4 floors each,
// two households a floor: 64 households (so "32 lights in 8 units" are 4 a stairwell), of
// 4,150.4 m² in all. 64 × 1,084 yuan = 69,376 yuan from the residents, 300,000 yuan from
// the sub-district and 240,000 yuan from the housing bureau: 609,376 yuan pooled, "more
// than 600,000 yuan".
//
// Each chapter of the story is a subtest, and each act of a chapter a subtest of it. A
// step builds on the ones before it, so the story stops at the first step that fails.
func TestShiyangRoadNo21(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	now := time.Now().UTC().Truncate(time.Second)
	stamp := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	public := c.as("") // no token at all
	// step runs f as the subtest name of t, and stops t if it failed: each step of the
	// story builds on the ones before it. A step reports to its own t: the clients it uses
	// are rebound to it with c.with(t), and the helpers below take it.
	step := func(t *testing.T, name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	// metadata returns the ErrorInfo metadata of a refusal.
	metadata := func(st apiStatus) map[string]string {
		for _, d := range st.Details {
			if d.Type == errorInfoType {
				return d.Metadata
			}
		}
		return nil
	}
	// leaked returns the strings of seeded that text contains, as they are or JSON-escaped.
	leaked := func(text string, seeded []string) []string {
		var out []string
		for _, s := range seeded {
			q := strconv.QuoteToASCII(s)
			if strings.Contains(text, s) || strings.Contains(text, q[1:len(q)-1]) {
				out = append(out, s)
			}
		}
		return out
	}
	// withoutGenerateTime decodes a disclosure without the time it was generated at.
	withoutGenerateTime := func(t *testing.T, body []byte) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
		delete(m, "generateTime")
		return m
	}
	qVote := map[string]any{
		"id": "vote", "text": "您是否同意本事项？", "type": "SINGLE_CHOICE",
		"options": []map[string]any{{"id": "agree", "text": "同意"}, {"id": "disagree", "text": "不同意"}, {"id": "abstain", "text": "弃权"}},
	}

	// JSON of the API, only what the story reads. Money (int64 fen) is a JSON string.
	type txProject struct {
		ID                 string `json:"id"`
		CompoundID         string `json:"compoundId"`
		Title              string `json:"title"`
		Year               int    `json:"year"`
		BudgetFen          int64  `json:"budgetFen,string"`
		HeritageNotes      string `json:"heritageNotes"`
		Status             string `json:"status"`
		ResolutionSurveyID string `json:"resolutionSurveyId"`
		AcceptanceSurveyID string `json:"acceptanceSurveyId"`
		ItemCount          int    `json:"itemCount"`
		CompleteItemCount  int    `json:"completeItemCount"`
		EstimatedCostFen   int64  `json:"estimatedCostFen,string"`
		History            []struct {
			From  string `json:"from"`
			To    string `json:"to"`
			Actor string `json:"actor"`
		} `json:"history"`
	}
	type txItem struct {
		ID               string  `json:"id"`
		Category         string  `json:"category"`
		Kind             string  `json:"kind"`
		Description      string  `json:"description"`
		Quantity         float64 `json:"quantity"`
		Unit             string  `json:"unit"`
		EstimatedCostFen int64   `json:"estimatedCostFen,string"`
		Difficulty       string  `json:"difficulty"`
		SafetyCritical   bool    `json:"safetyCritical"`
		ProgressPercent  int     `json:"progressPercent"`
		Complete         bool    `json:"complete"`
	}
	type txSource struct {
		Party        string `json:"party"`
		Funder       string `json:"funder"`
		CommittedFen int64  `json:"committedFen,string"`
		ReceivedFen  int64  `json:"receivedFen,string"`
	}
	type txPlan struct {
		ProjectID  string     `json:"projectId"`
		CompoundID string     `json:"compoundId"`
		BudgetFen  int64      `json:"budgetFen,string"`
		Sources    []txSource `json:"sources"`
		Quota      struct {
			FlatFen int64 `json:"flatFen,string"`
		} `json:"quota"`
		CommittedTotalFen int64  `json:"committedTotalFen,string"`
		CoversBudget      bool   `json:"coversBudget"`
		ShortfallFen      int64  `json:"shortfallFen,string"`
		HouseholdCount    int    `json:"householdCount"`
		TargetFen         int64  `json:"targetFen,string"`
		ReceivedTotalFen  int64  `json:"receivedTotalFen,string"`
		BookID            string `json:"bookId"`
	}
	type txQuota struct {
		HouseholdID string `json:"householdId"`
		QuotaFen    int64  `json:"quotaFen,string"`
		PaidFen     int64  `json:"paidFen,string"`
		Status      string `json:"status"`
	}
	type txDisbursement struct {
		ID             string `json:"id"`
		Payee          string `json:"payee"`
		AmountFen      int64  `json:"amountFen,string"`
		PaidToPayeeFen int64  `json:"paidToPayeeFen,string"`
		RetentionFen   int64  `json:"retentionFen,string"`
		FundBalanceFen int64  `json:"fundBalanceFen,string"`
	}
	type txSignoff struct {
		Role    string `json:"role"`
		Verdict string `json:"verdict"`
		Signer  string `json:"signer"`
	}
	type txAcceptance struct {
		Status     string `json:"status"`
		AllHold    bool   `json:"allHold"`
		Conditions []struct {
			Name   string `json:"name"`
			Holds  bool   `json:"holds"`
			Detail string `json:"detail"`
		} `json:"conditions"`
		AcceptanceSurveyID string      `json:"acceptanceSurveyId"`
		Signoffs           []txSignoff `json:"signoffs"`
	}
	type txContribution struct {
		ID             string  `json:"id"`
		HouseholdQuota txQuota `json:"householdQuota"`
	}
	// other is one of the two more compounds of the community, better off or less
	// willing, for the ranking.
	type other struct {
		estate
		deficit float64
		yes, no int
	}
	type batchOut struct {
		Results []batchResult `json:"results"`
	}
	type itemSpec struct {
		category, kind, description string
		quantity                    float64
		unit, difficulty            string
		costFen                     int64
		safety                      bool
	}

	// The story's figures, by chapter.
	const (
		// 盘底数: 8 buildings, one stairwell and 4 floors each; 2 households a floor.
		nBuildings, nFloors, perFloor = 8, 4, 2
		n                             = nBuildings * nFloors * perFloor // 64 households
		deficitK                      = (8*1 + 2*0.5) / 10.0            // eight POOR facilities, two FAIR
		collector                     = "gw-shaba-03"                   // the grid worker who goes door to door

		// 重民意: households that answered the needs survey, and those that want the renovation.
		responded, willing = 62, 60

		// 促整合、聚力量: money from three sides.
		subdistrictFen = 30_000_000 // 300,000 yuan from 铜都街道
		bureauFen      = 24_000_000 // 240,000 yuan from 区住建局
		quotaFen       = 108_400    // 1,084 yuan a household
		residentsFen   = n * quotaFen
		pooledFen      = subdistrictFen + bureauFen + residentsFen // 60,937,600 fen

		// The contracts paid from the renovation fund.
		contractor, contractFen        = "东川区建筑工程有限公司", 50_000_000
		supervisorFirm, supervisionFen = "云南建设监理有限公司", 1_200_000
		designer, designFen            = "东川区规划设计院", 20_000_000
	)

	// What a step leaves for the steps after it, by chapter.
	var (
		// 盘底数、分类推: the three levels and their staff, the compound and its households.
		district, subdistrict, community                        region
		communityStaff, subdistrictStaff, gridWorker, secretary *client
		k                                                       compound
		buildings                                               []building
		hh                                                      []household // in order: building, floor, room
		names, phones                                           []string    // the residents of hh
		totalArea                                               float64
		others                                                  []other

		// 重民意: the needs survey and the courtyard meeting.
		needs       survey
		yardMeeting meeting

		// The owners decide: the renovation resolution and the project proposed.
		resolution survey
		pid        string

		// 一小区一策: the work items.
		specs     []itemSpec
		itemID    map[string]string // by kind
		costTotal int64

		// 促整合、聚力量 and the building: the plan, the fund, the contractor.
		plan    txPlan
		first   txContribution // household 0's; retried, it answers the first result (rule 7)
		balance int64          // of the project's renovation fund
		builder *client

		// Joint acceptance and the last payments.
		acceptance survey
		disbursed  int64

		// 重管护、促长效: the business-use resolution.
		business survey

		// 公示: what no public report may show: households' ids, names and phones.
		seeded []string
	)

	hid := func(i int) string { return hh[i].ID }
	hids := func(from, to int) []string { return ids(hh[from:to], func(h household) string { return h.ID }) }
	area := func(is ...int) float64 {
		var s float64
		for _, i := range is {
			s += hh[i].ExclusiveAreaM2
		}
		return s
	}
	span := func(from, to int) []int {
		var out []int
		for i := from; i < to; i++ {
			out = append(out, i)
		}
		return out
	}
	resident := func(t *testing.T, i int) *client { return c.with(t).asRole(auth.Resident, "households/"+hid(i)) }
	waitStatus := func(t *testing.T, want string) {
		t.Helper()
		// Governance follows the survey and projects services on an event stream.
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := c.with(t).getCompound(k.ID).Status
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("compound status %s, want %s (waited 10 s for the event stream)", got, want)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	needsAnswer := func(i int, channel string, at time.Duration, wants string) map[string]any {
		items := []string{"drains", "roads"}
		if i%4 == 0 {
			items = append(items, "charging")
		}
		return map[string]any{"householdId": hid(i), "channel": channel, "collectorId": collector, "collectedAt": stamp(at),
			"answers": []map[string]any{ans("wants", wants), ans("items", items...)}}
	}
	vote := func(i int, choice string) map[string]any {
		return map[string]any{"householdId": hid(i), "channel": "DOOR_TO_DOOR", "collectorId": collector, "answers": []map[string]any{ans("vote", choice)}}
	}
	// contribution is household i's payment of its quota in full, to the grid worker.
	methods := []string{"WECHAT", "CASH", "ALIPAY", "BANK"}
	contribution := func(i int) map[string]any {
		return map[string]any{"householdId": hid(i), "amountFen": fmt.Sprint(quotaFen), "method": methods[i%len(methods)], "requestId": "quota-" + hid(i)}
	}
	projectTo := func(t *testing.T, cl *client, verb, want string, body map[string]any) txProject {
		t.Helper()
		var p txProject
		cl.with(t).call("POST", path("/v1/projects/%s:"+verb, pid), body, &p)
		if p.Status != want {
			t.Errorf("project after :%s is %s, want %s", verb, p.Status, want)
		}
		return p
	}
	// Rule 9: the project's contracts are records; every disbursement names one.
	contractIDs := map[string]string{}
	disburse := func(t *testing.T, payee string, amount int64, item, requestID string) response {
		body := map[string]any{"contractId": contractIDs[payee], "amountFen": fmt.Sprint(amount), "requestId": requestID, "purpose": "工程款"}
		if item != "" {
			body["itemId"] = item
		}
		return c.with(t).do("POST", path("/v1/projects/%s/disbursements", pid), body)
	}
	paid := func(t *testing.T, r response, payee string, wantPaid, wantBalance int64) {
		t.Helper()
		if r.status != http.StatusOK {
			t.Errorf("disbursement to %s: status %d; body %s", payee, r.status, r.body)
			return
		}
		var d txDisbursement
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatal(err)
		}
		if d.PaidToPayeeFen != wantPaid || d.FundBalanceFen != wantBalance {
			t.Errorf("disbursement to %s: paid %d, fund %d; want %d, %d", payee, d.PaidToPayeeFen, d.FundBalanceFen, wantPaid, wantBalance)
		}
	}
	report := func(t *testing.T, kind string, pct int) {
		builder.with(t).call("POST", path("/v1/projects/%s/progress-reports", pid), map[string]any{"itemId": itemID[kind], "progressPercent": pct, "remarks": fmt.Sprintf("完成%d%%", pct), "contractor": contractor}, nil)
	}
	sign := func(t *testing.T, cl *client, role, signer string) {
		t.Helper()
		var so txSignoff
		cl.with(t).call("POST", path("/v1/projects/%s/signoffs", pid), map[string]any{"role": role, "verdict": "PASS", "signer": signer, "remarks": "验收合格"}, &so)
		if so.Role != role || so.Verdict != "PASS" || so.Signer != signer {
			t.Errorf("sign-off = %+v, want %s PASS by %s", so, role, signer)
		}
	}

	// ---------------------------------------------------------------------------------
	// 盘底数、分类推: the three-level linkage, the compound counted and classified.
	step(t, "inventory and classification", func(t *testing.T) {
		step(t, "the three-level linkage", func(t *testing.T) {
			c := c.with(t)
			district = c.createRegion("东川区", "DISTRICT", "")
			subdistrict = c.createRegion("铜都街道", "SUBDISTRICT", district.ID)
			community = c.createRegion("沙坝社区", "COMMUNITY", subdistrict.ID)
			communityStaff = c.asRole(auth.CommunityStaff, "regions/"+community.ID)
			subdistrictStaff = c.asRole(auth.SubdistrictStaff, "regions/"+subdistrict.ID)
			gridWorker = c.asRole(auth.GridWorker, "regions/"+community.ID)
		})

		step(t, "the compound registered", func(t *testing.T) {
			c := c.with(t)
			// Pipes corroded and blocked, overhead lines a tangle, too little parking, vegetables
			// grown on common ground and poultry sheds under the wall (article.zh.txt).
			k = c.createCompound(map[string]any{
				"name": "石羊路21号院", "address": "东川区铜都街道石羊路21号", "communityId": community.ID, "buildYear": 1986,
				"owningUnit": "东川砖瓦厂", "demonstrationSite": true,
				"heritageNotes": "住户多为砖瓦厂职工：围墙用瓦片镶嵌，外立面不统一刷白，留住老东川记忆",
				"facilities": []map[string]any{
					{"kind": "WATER_PIPES", "condition": "POOR", "notes": "水管线腐蚀、堵塞严重"},
					{"kind": "DRAINS", "condition": "POOR", "notes": "下水管道堵塞，沟盖井盖破损"},
					{"kind": "ROADS", "condition": "POOR", "notes": "道路破损"},
					{"kind": "PARKING", "condition": "POOR", "notes": "停车设施不足"},
					{"kind": "STAIRWELLS", "condition": "POOR"},
					{"kind": "LIGHTING", "condition": "POOR", "notes": "楼道灯损坏"},
					{"kind": "EV_CHARGING", "condition": "POOR"},
					{"kind": "ACCESSIBILITY", "condition": "POOR", "notes": "有残疾人住户，无坡道"},
					{"kind": "ELECTRICITY", "condition": "FAIR", "notes": "架空线杂乱"},
					{"kind": "GREENING", "condition": "FAIR", "notes": "公共空地被种菜"},
				},
			})
			if k.Status != "INVENTORIED" || k.BuildYear != 1986 || strings.Join(k.RegionPath, ",") != strings.Join([]string{district.ID, subdistrict.ID, community.ID}, ",") {
				t.Errorf("registered compound = %+v, want INVENTORIED under 东川区 → 铜都街道 → 沙坝社区", k)
			}
		})

		step(t, "classified from the facts (rule 1)", func(t *testing.T) {
			c := c.with(t)
			// Rule 1: the factory still owns the compound, so it is not three-none: the type
			// follows from the facts (WORK_UNIT_NO_PM), and THREE_NONE is refused.
			c.refused(c.do("POST", path("/v1/compounds/%s:classify", k.ID), map[string]any{
				"managementType": "THREE_NONE", "governanceMode": "SELF_GOVERNANCE", "decidedBy": "沙坝社区居委会",
			}), "CLASSIFICATION_INCONSISTENT", "classifying the factory's compound THREE_NONE")
			var classified compound
			c.call("POST", path("/v1/compounds/%s:classify", k.ID), map[string]any{"governanceMode": "SELF_GOVERNANCE", "decidedBy": "沙坝社区五方联动会议"}, &classified)
			if classified.ManagementType != "WORK_UNIT_NO_PM" || classified.GovernanceMode != "SELF_GOVERNANCE" || classified.Classification == nil ||
				classified.Classification.ManagementType != "WORK_UNIT_NO_PM" || classified.Classification.DecidedBy != "沙坝社区五方联动会议" || classified.Classification.DecideTime == "" {
				t.Errorf("classified compound = %+v (classification %+v), want WORK_UNIT_NO_PM, SELF_GOVERNANCE decided by 沙坝社区五方联动会议", classified, classified.Classification)
			}
			if l := c.listCompounds(url.Values{"regionId": {community.ID}, "managementType": {"WORK_UNIT_NO_PM"}}); len(l) != 1 || l[0].ID != k.ID {
				t.Errorf("work-unit compounds without management in 沙坝社区: %v, want [%s]", compoundIDs(l), k.ID)
			}
		})

		step(t, "buildings and households registered", func(t *testing.T) {
			c, gridWorker := c.with(t), gridWorker.with(t)
			// 8 buildings, one stairwell and 4 floors each; 2 households a floor.
			surnames := []string{"张", "王", "李", "赵", "刘", "陈", "杨", "黄"}
			given := []string{"国华", "秀英", "建平", "玉兰", "志强", "桂芳", "德明", "丽萍"}
			buildings = make([]building, nBuildings)
			areaOf := func(b, room int) float64 { return []float64{56.8, 62.4}[room] + float64(b%4)*3.5 }
			for b := range buildings {
				c.call("POST", path("/v1/compounds/%s/buildings", k.ID), map[string]any{"name": fmt.Sprintf("%d栋", b+1), "unitCount": 1, "floorCount": nFloors}, &buildings[b])
				var batch []map[string]any
				for f := 1; f <= nFloors; f++ {
					for r := 0; r < perFloor; r++ {
						i := b*nFloors*perFloor + (f-1)*perFloor + r
						name, phone := surnames[b]+given[(f-1)*perFloor+r], fmt.Sprintf("139%08d", 87100000+i)
						names, phones = append(names, name), append(phones, phone)
						batch = append(batch, map[string]any{
							"buildingId": buildings[b].ID, "unit": "1", "room": fmt.Sprintf("%d%02d", f, r+1), "exclusiveAreaM2": areaOf(b, r),
							"residentName": name, "phone": phone, "partyMember": i%5 == 0,
							"needsAccessibility": i == 1, // a disabled resident on the ground floor of 1栋
						})
					}
				}
				var out struct {
					Households []household `json:"households"`
				}
				gridWorker.call("POST", path("/v1/compounds/%s/households:batchCreate", k.ID), map[string]any{"households": batch, "requestId": "register-" + buildings[b].ID}, &out)
				if len(out.Households) != len(batch) {
					t.Fatalf("batchCreate of %s answered %d households, want %d", buildings[b].Name, len(out.Households), len(batch))
				}
				hh = append(hh, out.Households...)
			}
			totalArea = area(span(0, n)...)
			if !near(totalArea, 4150.4) {
				t.Fatalf("the registered areas add up to %v m2, want 4150.4", totalArea)
			}
			k = c.getCompound(k.ID)
			if k.HouseholdCount != n || k.BuildingCount != nBuildings || !near(k.TotalExclusiveAreaM2, totalArea) {
				t.Errorf("compound counts %d households, %d buildings, %v m2; want %d, %d, %v", k.HouseholdCount, k.BuildingCount, k.TotalExclusiveAreaM2, n, nBuildings, totalArea)
			}
		})

		step(t, "party branches and a grid", func(t *testing.T) {
			c := c.with(t)
			// 建组织、强网格: the community's general branch, the compound's branch, one grid.
			var general, branch struct {
				ID          string `json:"id"`
				Kind        string `json:"kind"`
				CommunityID string `json:"communityId"`
				CompoundID  string `json:"compoundId"`
			}
			c.call("POST", "/v1/party-branches", map[string]any{"name": "沙坝社区党总支", "kind": "COMMUNITY_GENERAL", "communityId": community.ID, "secretary": "施继蓉"}, &general)
			c.call("POST", "/v1/party-branches", map[string]any{"name": "沙坝社区第二居民小区党支部", "kind": "COMPOUND", "compoundId": k.ID, "secretary": "陆海娟", "memberCount": 13}, &branch)
			if branch.Kind != "COMPOUND" || branch.CompoundID != k.ID || branch.CommunityID != community.ID || general.Kind != "COMMUNITY_GENERAL" {
				t.Errorf("party branches: general %+v, compound %+v", general, branch)
			}
			var grid struct {
				ID                      string `json:"id"`
				GridWorker              string `json:"gridWorker"`
				HouseholdCount          int    `json:"householdCount"`
				PartyMemberCount        int    `json:"partyMemberCount"`
				NeedsAccessibilityCount int    `json:"needsAccessibilityCount"`
			}
			c.call("POST", "/v1/grid-cells", map[string]any{"name": "沙坝社区第3网格", "communityId": community.ID, "gridWorker": "gw-shaba-03",
				"buildingIds": ids(buildings, func(b building) string { return b.ID })}, &grid)
			if grid.HouseholdCount != n || grid.PartyMemberCount != (n+4)/5 || grid.NeedsAccessibilityCount != 1 {
				t.Errorf("grid cell = %+v, want %d households, %d party members, 1 needing accessibility", grid, n, (n+4)/5)
			}
			secretary = c.asRole(auth.BranchSecretary, "compounds/"+k.ID)
		})

		step(t, "two more compounds for the ranking", func(t *testing.T) {
			c := c.with(t)
			// Two more compounds of the community, better off or less willing, for the ranking.
			others = []other{
				{estate: c.setupEstate(community.ID, "沙坝新村", 1995, facilities("FAIR", "GOOD", "GOOD", "FAIR"), 60, 60, 60, 60, 60, 60, 60, 60, 60, 60), deficit: 0.25, yes: 4, no: 4},
				{estate: c.setupEstate(community.ID, "铜都花园", 1992, facilities("GOOD", "POOR"), 70, 70, 70, 70, 70, 70), deficit: 0.5, yes: 2, no: 1},
			}
		})
	})

	// ---------------------------------------------------------------------------------
	// 重民意: the needs survey, door to door and at a courtyard meeting; golden ideas.
	step(t, "needs survey", func(t *testing.T) {
		step(t, "survey opened", func(t *testing.T) {
			c := c.with(t)
			qItemsK := map[string]any{
				"id": "items", "text": "您最希望改造哪些项目？（可多选）", "type": "MULTI_CHOICE",
				"options": []map[string]any{{"id": "drains", "text": "下水管道"}, {"id": "roads", "text": "破损道路"}, {"id": "lighting", "text": "楼道灯"}, {"id": "charging", "text": "电瓶车充电"}},
			}
			needs = c.createSurvey(map[string]any{"compoundId": k.ID, "title": "石羊路21号院改造需求与意愿调查", "kind": "NEEDS", "questions": []map[string]any{qWants, qItemsK}})
			c.transition(needs.ID, "open", "OPEN")
			waitStatus(t, "SURVEYING")
		})

		step(t, "door to door", func(t *testing.T) {
			gridWorker := gridWorker.with(t)
			// Door to door three hours ago: households 0–55, of whom 50–55 do not want it (yet).
			var d2d []map[string]any
			for i := 0; i < 56; i++ {
				w := "yes"
				if i >= 50 {
					w = "no"
				}
				d2d = append(d2d, needsAnswer(i, "DOOR_TO_DOOR", -3*time.Hour, w))
			}
			var br batchOut
			gridWorker.call("POST", path("/v1/surveys/%s/responses:batchSubmit", needs.ID), map[string]any{"responses": d2d, "requestId": "d2d-" + needs.ID}, &br)
			if len(br.Results) != 56 || br.Results[0].Outcome != "RECORDED" || br.Results[55].Outcome != "RECORDED" {
				t.Errorf("door-to-door batch results %+v, want 56 RECORDED", br.Results)
			}
		})

		step(t, "courtyard meeting", func(t *testing.T) {
			secretary := secretary.with(t)
			// The courtyard meeting (院坝会) an hour ago, after work: 50–53 change their minds,
			// 56–61 answer for the first time; 54 and 55 stay against; 62 and 63 never answer.
			secretary.call("POST", "/v1/meetings", map[string]any{
				"compoundId": k.ID, "title": "石羊路21号院改造院坝会", "place": "院内活动小广场", "heldAt": stamp(-time.Hour),
				"topics": []string{"是否改造", "改造内容", "每户自筹1084元"}, "attendeeHouseholdIds": hids(50, 62),
			}, &yardMeeting)
			var yard []map[string]any
			for i := 50; i < 62; i++ {
				if i == 54 || i == 55 {
					continue
				}
				yard = append(yard, needsAnswer(i, "COURTYARD_MEETING", -time.Hour, "yes"))
			}
			var br batchOut
			secretary.call("POST", path("/v1/surveys/%s/responses:batchSubmit", needs.ID), map[string]any{"responses": yard}, &br)
			wantOutcomes := []string{"REPLACED", "REPLACED", "REPLACED", "REPLACED", "RECORDED", "RECORDED", "RECORDED", "RECORDED", "RECORDED", "RECORDED"}
			if got := ids(br.Results, func(r batchResult) string { return r.Outcome }); strings.Join(got, ",") != strings.Join(wantOutcomes, ",") {
				t.Errorf("courtyard-meeting batch outcomes %v, want %v", got, wantOutcomes)
			}
		})

		step(t, "late paper form ignored (rule 2)", func(t *testing.T) {
			gridWorker := gridWorker.with(t)
			// A paper form of household 50 from four hours ago turns up late: older, ignored (rule 2).
			var br batchOut
			gridWorker.call("POST", path("/v1/surveys/%s/responses:batchSubmit", needs.ID), map[string]any{"responses": []map[string]any{needsAnswer(50, "DOOR_TO_DOOR", -4*time.Hour, "no")}}, &br)
			if len(br.Results) != 1 || br.Results[0].Outcome != "IGNORED_OLDER" {
				t.Errorf("a late older form: %+v, want IGNORED_OLDER", br.Results)
			}
		})

		step(t, "courtyard meeting closed with its minutes", func(t *testing.T) {
			secretary := secretary.with(t)
			var closedMeeting meeting
			secretary.call("POST", path("/v1/meetings/%s:close", yardMeeting.ID), map[string]any{
				"minutes":   "到会12户。施继蓉书记介绍改造方案；50–53号户原不同意，听取说明后同意改造。",
				"decisions": []string{"同意实施微改造", "每户自筹1084元", "保留瓦片镶嵌围墙"},
			}, &closedMeeting)
			if closedMeeting.State != "CLOSED" || len(closedMeeting.AttendeeHouseholdIDs) != 12 || len(closedMeeting.Decisions) != 3 {
				t.Errorf("closed courtyard meeting = %+v", closedMeeting)
			}
		})

		step(t, "statistics", func(t *testing.T) {
			c := c.with(t)
			st := c.surveyStats(needs.ID)
			if st.RespondedHouseholds != responded || st.TotalHouseholds != n || st.WillingHouseholds != willing ||
				!near(st.Participation, float64(responded)/n) || !near(st.Willingness, float64(willing)/responded) {
				t.Errorf("needs stats: responded %d of %d (%v), willing %d (%v); want %d of %d, %d willing", st.RespondedHouseholds, st.TotalHouseholds, st.Participation, st.WillingHouseholds, st.Willingness, responded, n, willing)
			}
			if got := st.counts("wants"); got["yes"] != willing || got["no"] != 2 {
				t.Errorf("wants counts %v, want yes %d, no 2", got, willing)
			}
			if got := st.counts("items"); got["drains"] != responded || got["roads"] != responded || got["charging"] != 16 || got["lighting"] != 0 {
				t.Errorf("items counts %v, want drains %d, roads %d, charging 16", got, responded, responded)
			}
			for channel, want := range map[string]int{"DOOR_TO_DOOR": 52, "COURTYARD_MEETING": 10} {
				var l struct {
					Responses []surveyResponse `json:"responses"`
				}
				c.call("GET", path("/v1/surveys/%s/responses", needs.ID)+"?pageSize=1000&channel="+channel, nil, &l)
				if len(l.Responses) != want {
					t.Errorf("responses by %s: %d, want %d", channel, len(l.Responses), want)
				}
				for _, r := range l.Responses {
					if r.CollectorID != collector && channel == "DOOR_TO_DOOR" {
						t.Errorf("a door-to-door response collected by %q, want %s", r.CollectorID, collector)
					}
				}
			}
		})

		step(t, "golden ideas", func(t *testing.T) {
			c := c.with(t)
			// Golden ideas (金点子): the tile-inlaid wall, a pavilion, a ramp.
			newIdea := func(i int, text, category string) idea {
				var out idea
				resident(t, i).call("POST", "/v1/ideas", map[string]any{"compoundId": k.ID, "householdId": hid(i), "text": text, "category": category}, &out)
				if out.ID == "" || out.Status != "SUBMITTED" {
					t.Fatalf("created idea = %+v", out)
				}
				return out
			}
			tiles := newIdea(10, "围墙用瓦片镶嵌，外立面不要统一刷白，留住砖瓦厂和老东川的记忆", "HERITAGE")
			pavilion := newIdea(20, "在活动小广场修一个亭子，夏天大家可以纳凉", "PUBLIC_SPACE")
			ramp := newIdea(1, "通往活动小广场的路改成轮椅能走的斜坡", "ACCESSIBILITY")
			endorse := func(id string, from ...int) {
				for _, i := range from {
					resident(t, i).call("POST", path("/v1/ideas/%s:endorse", id), map[string]any{"householdId": hid(i)}, nil)
				}
			}
			endorse(tiles.ID, 11, 12, 13, 14, 15, 16)
			endorse(tiles.ID, 11) // once per household
			endorse(pavilion.ID, 21, 22, 23)
			endorse(ramp.ID, 2, 3, 4, 5)
			l := c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(k.ID) + "&orderBy=endorsements")
			if got, want := ids(l.Ideas, func(i idea) string { return i.ID }), []string{tiles.ID, ramp.ID, pavilion.ID}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("ideas by endorsements %v, want tiles, ramp, pavilion %v", got, want)
			} else if l.Ideas[0].Endorsements != 6 || l.Ideas[1].Endorsements != 4 || l.Ideas[2].Endorsements != 3 {
				t.Errorf("endorsements %d, %d, %d; want 6, 4, 3", l.Ideas[0].Endorsements, l.Ideas[1].Endorsements, l.Ideas[2].Endorsements)
			}
			var adopted idea
			c.call("POST", path("/v1/ideas/%s:adopt", tiles.ID), map[string]any{"remarks": "纳入一小区一策方案：瓦片镶嵌围墙"}, &adopted)
			if adopted.Status != "ADOPTED" || adopted.Category != "HERITAGE" || adopted.Endorsements != 6 || adopted.HouseholdID != hid(10) {
				t.Errorf("adopted idea = %+v", adopted)
			}
		})

		step(t, "the other compounds surveyed", func(t *testing.T) {
			c, gridWorker := c.with(t), gridWorker.with(t)
			// The other compounds' needs surveys.
			for _, o := range others {
				sv := c.createSurvey(map[string]any{"compoundId": o.ID, "title": o.Name + "改造意愿调查", "kind": "NEEDS", "questions": []map[string]any{qWants}})
				c.transition(sv.ID, "open", "OPEN")
				var rs []map[string]any
				for i := 0; i < o.yes+o.no; i++ {
					w := "yes"
					if i >= o.yes {
						w = "no"
					}
					rs = append(rs, map[string]any{"householdId": o.hid(i), "channel": "PHONE", "collectorId": collector, "answers": []map[string]any{ans("wants", w)}})
				}
				gridWorker.call("POST", path("/v1/surveys/%s/responses:batchSubmit", sv.ID), map[string]any{"responses": rs}, nil)
			}
		})

		step(t, "ranking (rule 4)", func(t *testing.T) {
			c := c.with(t)
			// The ranking (rule 4): poorest facilities, strongest wish, highest participation first.
			type expect struct {
				id, name                            string
				deficit, willingness, participation float64
			}
			score := func(e expect) float64 { return 0.40*e.deficit + 0.35*e.willingness + 0.25*e.participation }
			wantRank := []expect{
				{k.ID, "石羊路21号院", deficitK, float64(willing) / responded, float64(responded) / n}, // 0.36 + 0.3387 + 0.2422 = 0.9409
				{others[1].ID, "铜都花园", 0.5, 2.0 / 3, 0.5},                                         // 0.2 + 0.2333 + 0.125 = 0.5583
				{others[0].ID, "沙坝新村", 0.25, 0.5, 0.8},                                            // 0.1 + 0.175 + 0.2 = 0.475
			}
			for _, region := range []string{community.ID, subdistrict.ID} {
				r := c.ranking("regionId=" + url.QueryEscape(region))
				if got := ids(r.Entries, func(e rankingEntry) string { return e.CompoundName }); strings.Join(got, ",") != "石羊路21号院,铜都花园,沙坝新村" {
					t.Errorf("ranking of %s: %v, want 石羊路21号院, 铜都花园, 沙坝新村", region, got)
					continue
				}
				for i, w := range wantRank {
					e := r.Entries[i]
					if e.Rank != i+1 || e.CompoundID != w.id || !near(e.Deficit, w.deficit) || !near(e.Willingness, w.willingness) || !near(e.Participation, w.participation) || !near(e.Score, score(w)) {
						t.Errorf("ranking entry %d = %+v, want %s rank %d: deficit %v willingness %v participation %v score %v", i, e, w.name, i+1, w.deficit, w.willingness, w.participation, score(w))
					}
				}
				if r.Entries[0].SurveyID != needs.ID {
					t.Errorf("石羊路21号院 ranked from survey %q, want the needs survey %s", r.Entries[0].SurveyID, needs.ID)
				}
			}
		})
	})

	// ---------------------------------------------------------------------------------
	// The owners decide (rule 3): renovating the compound needs 2/3 taking part and 3/4
	// consenting, by households and by area.
	step(t, "the owners decide", func(t *testing.T) {
		step(t, "votes collected door to door", func(t *testing.T) {
			c, gridWorker := c.with(t), gridWorker.with(t)
			resolution = c.createSurvey(map[string]any{"compoundId": k.ID, "title": "石羊路21号院老旧小区改造业主表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{qVote}})
			c.transition(resolution.ID, "open", "OPEN")
			// Households 1–57 vote by the grid worker's tablet: 54–56 against, 57 abstains;
			// household 0 votes for itself; 58–63 do not vote.
			var votes []map[string]any
			for i := 1; i < 58; i++ {
				switch {
				case i >= 54 && i <= 56:
					votes = append(votes, vote(i, "disagree"))
				case i == 57:
					votes = append(votes, vote(i, "abstain"))
				default:
					votes = append(votes, vote(i, "agree"))
				}
			}
			gridWorker.call("POST", path("/v1/surveys/%s/responses:batchSubmit", resolution.ID), map[string]any{"responses": votes}, nil)
		})

		step(t, "a resident votes only for its own household", func(t *testing.T) {
			if r := resident(t, 0).do("POST", path("/v1/surveys/%s/responses", resolution.ID), vote(1, "disagree")); r.status != http.StatusForbidden && r.status != http.StatusUnauthorized {
				t.Errorf("a resident voting for another household: status %d, want 401/403; body %s", r.status, r.body)
			}
			resident(t, 0).call("POST", path("/v1/surveys/%s/responses", resolution.ID), map[string]any{"householdId": hid(0), "channel": "ONLINE", "answers": []map[string]any{ans("vote", "agree")}}, nil)
		})

		step(t, "project proposed", func(t *testing.T) {
			c := c.with(t)
			var project txProject
			c.call("POST", "/v1/projects", map[string]any{
				"compoundId": k.ID, "title": "石羊路21号院老旧小区微改造", "year": 2021, "budgetFen": "60000000",
				"description":   "一小区一策：拆违、道路、管网、楼道、照明、充电、车棚、连心亭、晾晒区、无障碍坡道、睦邻议事厅",
				"heritageNotes": "用瓦片镶嵌围墙，不搞墙体外立面统一刷白，保持砖墙颜色整体和谐，留住老东川记忆",
			}, &project)
			if project.ID == "" || project.Status != "PROPOSED" || project.BudgetFen != 60_000_000 || project.Year != 2021 || !strings.Contains(project.HeritageNotes, "瓦片镶嵌") {
				t.Fatalf("created project = %+v", project)
			}
			pid = project.ID
		})

		step(t, "approval refused while the vote is open (rule 6)", func(t *testing.T) {
			c := c.with(t)
			// Rule 6: no approval while the vote is open.
			st2 := c.refused(c.do("POST", path("/v1/projects/%s:approve", pid), map[string]any{"actor": "东川区住房和城乡建设局"}), "RESOLUTION_NOT_PASSED", "approving before the resolution closed")
			if !strings.Contains(st2.Message, "RESOLUTION_PASSED") {
				t.Errorf("the refused approval does not name its guard: %s", st2.Raw)
			}
		})

		step(t, "the open vote is provisional", func(t *testing.T) {
			c := c.with(t)
			res := c.resolution(resolution.ID)
			if res.Passed || res.Frozen {
				t.Errorf("an open resolution: passed %v frozen %v, want provisional and not passed", res.Passed, res.Frozen)
			}
		})

		step(t, "the closed vote passes by households and by area", func(t *testing.T) {
			c := c.with(t)
			c.transition(resolution.ID, "close", "CLOSED")
			res := c.resolution(resolution.ID)
			voted, against := span(0, 58), []int{54, 55, 56, 57}
			votedArea, otherArea := area(voted...), area(against...)
			if !res.Passed || !res.Frozen || res.Matter != "RENOVATION" || res.TotalHouseholds != n || !near(res.TotalAreaM2, totalArea) ||
				res.VotedHouseholds != 58 || !near(res.VotedAreaM2, votedArea) || res.AgreeHouseholds != 54 || !near(res.AgreeAreaM2, votedArea-otherArea) ||
				res.DisagreeHouseholds != 3 || res.AbstainHouseholds != 1 || !near(res.DisagreeAreaM2, area(54, 55, 56)) || !near(res.AbstainAreaM2, area(57)) {
				t.Errorf("renovation resolution = %+v; want passed, 58 of %d households voting (%v of %v m2), 54 agreeing (%v m2), 3 against, 1 abstaining", res, n, votedArea, totalArea, votedArea-otherArea)
			}
			if !near(res.ParticipationByHouseholds, 58.0/n) || !near(res.ParticipationByArea, votedArea/totalArea) ||
				!near(res.ConsentByHouseholds, 54.0/58) || !near(res.ConsentByArea, (votedArea-otherArea)/votedArea) ||
				!near(res.ParticipationThreshold, 2.0/3) || !near(res.ConsentThreshold, 0.75) || res.ConsentStrict || !res.ParticipationMet || !res.ConsentMet || len(res.Reasons) == 0 {
				t.Errorf("renovation resolution ratios = %+v", res)
			}
		})
	})

	// ---------------------------------------------------------------------------------
	// 一小区一策: every item the article lists, registered in the article's order.
	step(t, "one plan for the compound", func(t *testing.T) {
		step(t, "work items registered", func(t *testing.T) {
			c := c.with(t)
			specs = []itemSpec{
				{"BASIC", "DEMOLISH_ILLEGAL_STRUCTURE", "拆除违章建筑（菜地围挡、禽圈）", 80, "m2", "EASY", 1_600_000, true},
				{"BASIC", "STAIRWELL_PAINTING", "8个楼栋楼道粉刷", 8, "buildings", "EASY", 4_000_000, false},
				{"BASIC", "ROAD_REPAIR", "修缮破损道路", 968, "m2", "MEDIUM", 29_040_000, true},
				{"IMPROVEMENT", "GREENING", "增绿补绿", 10, "m2", "EASY", 150_000, false},
				{"BASIC", "DRAIN_PIPE", "改造居民下水管道40余米", 40, "m", "MEDIUM", 2_000_000, true},
				{"BASIC", "COVER_REPLACEMENT", "更换破损沟盖和井盖", 7, "pcs", "EASY", 280_000, true},
				{"IMPROVEMENT", "STAIRWELL_LIGHTING", "32 lights in 8 units（8个单元32盏楼道灯）", 32, "pcs", "EASY", 960_000, false},
				{"UPGRADE", "EV_CHARGER", "新增电瓶车充电桩", 1, "pcs", "EASY", 800_000, false},
				{"IMPROVEMENT", "BIKE_SHED", "修建电动车停车棚", 1, "pcs", "MEDIUM", 3_000_000, false},
				{"IMPROVEMENT", "PAVILION", "连心亭", 1, "pcs", "MEDIUM", 4_500_000, false},
				{"IMPROVEMENT", "DRYING_AREA", "公共晾晒区", 1, "pcs", "EASY", 400_000, false},
				{"IMPROVEMENT", "ACCESSIBLE_RAMP", "通往活动小广场的轮椅坡道", 1, "pcs", "EASY", 600_000, true},
				{"UPGRADE", "MEETING_ROOM", "不安全用房改造为党群活动阵地“睦邻议事厅”", 1, "pcs", "HARD", 5_000_000, false},
			}
			itemID = map[string]string{}
			for _, s := range specs {
				var it txItem
				c.call("POST", path("/v1/projects/%s/items", pid), map[string]any{
					"category": s.category, "kind": s.kind, "description": s.description, "quantity": s.quantity, "unit": s.unit,
					"difficulty": s.difficulty, "estimatedCostFen": fmt.Sprint(s.costFen), "safetyCritical": s.safety,
				}, &it)
				if it.ID == "" || it.Kind != s.kind || it.Quantity != s.quantity || it.Unit != s.unit || it.EstimatedCostFen != s.costFen {
					t.Fatalf("created item = %+v, want %+v", it, s)
				}
				itemID[s.kind] = it.ID
				costTotal += s.costFen
			}
			var items struct {
				Items []txItem `json:"items"`
			}
			c.call("GET", path("/v1/projects/%s/items", pid), nil, &items)
			if len(items.Items) != len(specs) {
				t.Errorf("the project lists %d items, want %d", len(items.Items), len(specs))
			}
			for _, it := range items.Items {
				for _, s := range specs {
					if s.kind == it.Kind && (it.Quantity != s.quantity || it.Unit != s.unit || it.Description != s.description || it.Category != s.category || it.Difficulty != s.difficulty || it.SafetyCritical != s.safety) {
						t.Errorf("item %s = %+v, want %+v", it.Kind, it, s)
					}
				}
			}
		})

		step(t, "order of works (rule 5)", func(t *testing.T) {
			c := c.with(t)
			// Rule 5: underground works before the surfaces over them come first; then basic
			// before improvement before upgrade; safety first; easy before hard; bigger cost
			// first.
			var sched struct {
				Entries []struct {
					Position int    `json:"position"`
					Item     txItem `json:"item"`
					Reason   string `json:"reason"`
				} `json:"entries"`
			}
			c.call("GET", path("/v1/projects/%s/schedule", pid), nil, &sched)
			wantSched := []struct{ kind, reason string }{
				// Each reason says why the item stands after the one before it.
				{"DEMOLISH_ILLEGAL_STRUCTURE", "first: follows no other item; easier first"}, // BASIC, safety, EASY
				{"DRAIN_PIPE", "easier first"}, // BASIC, safety, MEDIUM; underground, so before the surfaces over it
				{"COVER_REPLACEMENT", "after DRAIN_PIPE " + itemID["DRAIN_PIPE"] + ": underground works before the surface over them"},
				{"ROAD_REPAIR", "easier first"},                 // BASIC, safety, MEDIUM, after the drain
				{"STAIRWELL_PAINTING", "safety-critical first"}, // BASIC, not safety-critical
				{"ACCESSIBLE_RAMP", "BASIC before IMPROVEMENT"}, // IMPROVEMENT, safety
				{"STAIRWELL_LIGHTING", "safety-critical first"}, // IMPROVEMENT, EASY, 9,600 yuan
				{"DRYING_AREA", "bigger cost first"},            // IMPROVEMENT, EASY, 4,000 yuan
				{"GREENING", "bigger cost first"},               // IMPROVEMENT, EASY, 1,500 yuan
				{"PAVILION", "easier first"},                    // IMPROVEMENT, MEDIUM, 45,000 yuan
				{"BIKE_SHED", "bigger cost first"},              // IMPROVEMENT, MEDIUM, 30,000 yuan
				{"EV_CHARGER", "IMPROVEMENT before UPGRADE"},    // UPGRADE, EASY
				{"MEETING_ROOM", "easier first"},                // UPGRADE, HARD
			}
			if len(sched.Entries) != len(wantSched) {
				t.Errorf("schedule has %d entries, want %d", len(sched.Entries), len(wantSched))
			} else {
				for i, w := range wantSched {
					e := sched.Entries[i]
					if e.Position != i+1 || e.Item.Kind != w.kind || e.Item.ID != itemID[w.kind] || e.Reason != w.reason {
						t.Errorf("schedule %d: position %d %s reason %q; want position %d %s reason %q", i, e.Position, e.Item.Kind, e.Reason, i+1, w.kind, w.reason)
					}
				}
			}
		})

		step(t, "approved on the closed resolution", func(t *testing.T) {
			subdistrictStaff := subdistrictStaff.with(t)
			// The plan went up on the compound's board for its week (rule 14), recorded
			// after the fact.
			if n := subdistrictStaff.postPlan(k.ID, pid); n.State != "CLOSED" {
				t.Errorf("the plan posted eight days ago is %s, want CLOSED", n.State)
			}
			// Approved on the closed resolution: the compound is PLANNED.
			approved := projectTo(t, subdistrictStaff, "approve", "APPROVED", map[string]any{"actor": "东川区住房和城乡建设局", "reason": "业主表决通过"})
			if approved.ResolutionSurveyID != resolution.ID || approved.ItemCount != len(specs) || approved.EstimatedCostFen != costTotal {
				t.Errorf("approved project: resolution %q, %d items, estimated %d fen; want %s, %d, %d", approved.ResolutionSurveyID, approved.ItemCount, approved.EstimatedCostFen, resolution.ID, len(specs), costTotal)
			}
			if h := approved.History; len(h) == 0 || h[len(h)-1].From != "PROPOSED" || h[len(h)-1].To != "APPROVED" || h[len(h)-1].Actor != "东川区住房和城乡建设局" {
				t.Errorf("project history %+v, want the approval by 东川区住房和城乡建设局 last", h)
			}
			waitStatus(t, "PLANNED")
		})
	})

	// ---------------------------------------------------------------------------------
	// 促整合、聚力量: money from three sides.
	step(t, "money from three sides", func(t *testing.T) {
		step(t, "no construction without funding (rule 6)", func(t *testing.T) {
			c := c.with(t)
			// No funding, no building (rule 6).
			c.refused(c.do("POST", path("/v1/projects/%s:startConstruction", pid), map[string]any{"actor": "铜都街道"}), "FUNDING_NOT_COVERED", "starting construction without a funding plan")
		})

		step(t, "funding plan", func(t *testing.T) {
			c := c.with(t)
			c.call("POST", "/v1/funding-plans", map[string]any{
				"projectId": pid, "quota": map[string]any{"flatFen": fmt.Sprint(quotaFen)},
				"sources": []map[string]any{
					{"party": "GOVERNMENT", "funder": "铜都街道", "committedFen": fmt.Sprint(subdistrictFen)},
					{"party": "GOVERNMENT", "funder": "区住建局", "committedFen": fmt.Sprint(bureauFen)},
					{"party": "RESIDENTS", "funder": "居民自筹"},
				},
			}, &plan)
			if plan.CommittedTotalFen != pooledFen || !plan.CoversBudget || plan.ShortfallFen != 0 || plan.HouseholdCount != n || plan.TargetFen != residentsFen ||
				plan.BudgetFen != 60_000_000 || plan.BookID != "renovation-"+pid || plan.Quota.FlatFen != quotaFen || plan.CompoundID != k.ID {
				t.Errorf("funding plan = %+v; want committed %d covering the budget, %d households owing %d", plan, pooledFen, n, residentsFen)
			}
		})

		step(t, "government funds received", func(t *testing.T) {
			subdistrictStaff := subdistrictStaff.with(t)
			for _, rc := range []struct {
				funder string
				fen    int64
			}{{"铜都街道", subdistrictFen}, {"区住建局", bureauFen}} {
				var rec struct {
					ID            string `json:"id"`
					AmountFen     int64  `json:"amountFen,string"`
					ReceiptNumber string `json:"receiptNumber"`
					BookID        string `json:"bookId"`
				}
				subdistrictStaff.call("POST", path("/v1/projects/%s/receipts", pid), map[string]any{"party": "GOVERNMENT", "funder": rc.funder, "amountFen": fmt.Sprint(rc.fen), "requestId": "receipt-" + rc.funder}, &rec)
				if rec.AmountFen != rc.fen || rec.ReceiptNumber == "" || rec.BookID != plan.BookID {
					t.Errorf("receipt from %s = %+v", rc.funder, rec)
				}
			}
		})

		step(t, "every household pays its quota (rule 8)", func(t *testing.T) {
			gridWorker := gridWorker.with(t)
			// Every household pays its 1,084 yuan in full, to the grid worker.
			for i := 0; i < n; i++ {
				var out struct {
					ID             string  `json:"id"`
					HouseholdQuota txQuota `json:"householdQuota"`
				}
				gridWorker.call("POST", path("/v1/projects/%s/contributions", pid), contribution(i), &out)
				if q := out.HouseholdQuota; q.HouseholdID != hid(i) || q.QuotaFen != quotaFen || q.PaidFen != quotaFen || q.Status != "PAID" {
					t.Errorf("household %d after paying: %+v, want PAID %d of %d", i, q, quotaFen, quotaFen)
				}
				if i == 0 {
					first = out
				}
			}
		})

		step(t, "a retried contribution takes no more money (rule 7)", func(t *testing.T) {
			gridWorker := gridWorker.with(t)
			// Rule 7: the same request again answers the first result and takes no more money.
			var again struct {
				ID string `json:"id"`
			}
			gridWorker.call("POST", path("/v1/projects/%s/contributions", pid), contribution(0), &again)
			if again.ID != first.ID {
				t.Errorf("a retried contribution answered %q, the first %q", again.ID, first.ID)
			}
		})

		step(t, "collection complete", func(t *testing.T) {
			c := c.with(t)
			var coll struct {
				HouseholdCount int       `json:"householdCount"`
				PaidHouseholds int       `json:"paidHouseholds"`
				DueHouseholds  int       `json:"dueHouseholds"`
				CollectedFen   int64     `json:"collectedFen,string"`
				TargetFen      int64     `json:"targetFen,string"`
				Households     []txQuota `json:"households"`
			}
			c.call("GET", path("/v1/projects/%s/collection", pid)+"?pageSize=1000", nil, &coll)
			if coll.HouseholdCount != n || coll.PaidHouseholds != n || coll.DueHouseholds != 0 || coll.CollectedFen != residentsFen || coll.TargetFen != residentsFen || len(coll.Households) != n {
				t.Errorf("collection: %d households, %d paid, %d due, %d of %d fen collected, %d listed; want %d paid, 0 due, %d of %d",
					coll.HouseholdCount, coll.PaidHouseholds, coll.DueHouseholds, coll.CollectedFen, coll.TargetFen, len(coll.Households), n, residentsFen, residentsFen)
			}
			c.call("GET", path("/v1/funding-plans/%s", pid), nil, &plan)
			if plan.ReceivedTotalFen != pooledFen || plan.ReceivedTotalFen <= 60_000_000 {
				t.Errorf("received in all %d fen, want %d (more than 600,000 yuan)", plan.ReceivedTotalFen, pooledFen)
			}
			for _, s := range plan.Sources {
				if s.ReceivedFen != s.CommittedFen {
					t.Errorf("source %s %s received %d of %d fen, want all", s.Party, s.Funder, s.ReceivedFen, s.CommittedFen)
				}
			}
		})

		step(t, "construction starts", func(t *testing.T) {
			subdistrictStaff := subdistrictStaff.with(t)
			projectTo(t, subdistrictStaff, "startConstruction", "IN_CONSTRUCTION", map[string]any{"actor": "铜都街道"})
			waitStatus(t, "RENOVATING")
		})
	})

	// ---------------------------------------------------------------------------------
	// Construction: the contractor paid, a whistle blown, progress reported and supervised.
	step(t, "construction", func(t *testing.T) {
		step(t, "the contracts recorded (rule 9)", func(t *testing.T) {
			c := c.with(t)
			for _, k := range []struct {
				payee string
				fen   int64
				items []string
			}{{contractor, contractFen, []string{itemID["ROAD_REPAIR"]}}, {supervisorFirm, supervisionFen, nil}, {designer, designFen, nil}} {
				var got struct {
					ID      string `json:"id"`
					Payee   string `json:"payee"`
					HeldFen int64  `json:"heldFen,string"`
				}
				body := map[string]any{"payee": k.payee, "amountFen": fmt.Sprint(k.fen), "itemIds": k.items, "requestId": "contract-" + k.payee}
				c.call("POST", path("/v1/projects/%s/contracts", pid), body, &got)
				if got.ID == "" || got.Payee != k.payee || got.HeldFen != k.fen*3/100 {
					t.Errorf("contract with %s: %+v", k.payee, got)
				}
				contractIDs[k.payee] = got.ID
			}
			// One payee, one contract: another spelling of its name opens no second one.
			r := c.do("POST", path("/v1/projects/%s/contracts", pid), map[string]any{"payee": " " + contractor + "\u3000", "amountFen": "1000", "requestId": "contract-again"})
			if r.status != http.StatusConflict || !strings.Contains(string(r.body), "CONTRACT_EXISTS") {
				t.Errorf("a second contract with %s: status %d, body %s; want 409 CONTRACT_EXISTS", contractor, r.status, r.body)
			}
		})
		step(t, "the contractor paid up to 97% (rule 9)", func(t *testing.T) {
			c := c.with(t)
			// Rule 9: the contractor is paid up to 97% of its contract while building.
			balance = int64(pooledFen)
			balance -= 29_040_000
			paid(t, disburse(t, contractor, 29_040_000, itemID["ROAD_REPAIR"], "pay-road"), contractor, 29_040_000, balance)
			balance -= 19_460_000
			paid(t, disburse(t, contractor, 19_460_000, "", "pay-progress-2"), contractor, 48_500_000, balance) // exactly 97%
			balance -= 1_164_000
			paid(t, disburse(t, supervisorFirm, 1_164_000, "", "pay-supervision"), supervisorFirm, 1_164_000, balance)
			st3 := c.refused(disburse(t, contractor, 100, "", "pay-too-early"), "RETENTION_HELD", "paying into the retention before acceptance")
			if md := metadata(st3); md["overFen"] != "100" || md["limitFen"] != "48500000" {
				t.Errorf("the retention refusal's figures %v, want overFen 100, limitFen 48500000", md)
			}
		})

		step(t, "whistle and report", func(t *testing.T) {
			c, communityStaff, secretary := c.with(t), communityStaff.with(t), secretary.with(t)
			// Whistle and report (吹哨报到): the five parties meet, the community blows the
			// whistle on a blocked rain drain, the water department reports.
			c.call("POST", "/v1/departments", map[string]any{"id": "water", "name": "东川区水务局"}, nil)
			var linkage struct {
				ID string `json:"id"`
			}
			secretary.call("POST", "/v1/linkage-meetings", map[string]any{
				"compoundId": k.ID, "heldTime": stamp(-30 * time.Minute),
				"attendees": []map[string]any{
					{"party": "COMMUNITY_PARTY_COMMITTEE", "attendee": "沙坝社区党总支"}, {"party": "RESIDENTS_COMMITTEE", "attendee": "沙坝社区居委会"},
					{"party": "COMPOUND_BRANCH", "attendee": "沙坝社区第二居民小区党支部"}, {"party": "OWNERS_COMMITTEE", "attendee": "石羊路21号院业委会"},
					{"party": "BUILDING_LEADERS", "attendee": "各楼栋长"},
				},
				"agenda": []string{"施工期间雨水井堵塞"}, "decisions": []string{"向区水务局吹哨"},
			}, &linkage)
			type txWhistle struct {
				ID              string `json:"id"`
				Status          string `json:"status"`
				Category        string `json:"category"`
				Priority        string `json:"priority"`
				EscalationLevel string `json:"escalationLevel"`
				Overdue         bool   `json:"overdue"`
				Responses       []struct {
					DepartmentID string `json:"departmentId"`
					Rating       int    `json:"rating"`
				} `json:"responses"`
			}
			var w txWhistle
			communityStaff.call("POST", "/v1/whistles", map[string]any{
				"compoundId": k.ID, "category": "DRAINAGE", "description": "雨水井堵塞，施工期间院内积水", "departmentIds": []string{"water"},
				"priority": "URGENT", "linkageMeetingId": linkage.ID,
			}, &w)
			if w.ID == "" || w.Status != "OPEN" || w.EscalationLevel != "COMMUNITY" || w.Category != "DRAINAGE" || w.Overdue {
				t.Fatalf("raised whistle = %+v", w)
			}
			water := c.asRole(auth.Department, "departments/water")
			water.call("POST", path("/v1/whistles/%s:acknowledge", w.ID), map[string]any{"departmentId": "water", "remarks": "已到场疏通"}, &w)
			if w.Status != "ACKNOWLEDGED" {
				t.Errorf("whistle after acknowledgement: %s", w.Status)
			}
			water.call("POST", path("/v1/whistles/%s:resolve", w.ID), map[string]any{"departmentId": "water", "remarks": "雨水井已疏通，更换井盖"}, &w)
			if w.Status != "RESOLVED" {
				t.Errorf("whistle after resolution: %s", w.Status)
			}
			communityStaff.call("POST", path("/v1/whistles/%s:close", w.ID), map[string]any{"ratings": []map[string]any{{"departmentId": "water", "score": 5}}}, &w)
			if w.Status != "CLOSED" || w.Overdue || len(w.Responses) != 1 || w.Responses[0].Rating != 5 {
				t.Errorf("closed whistle = %+v, want CLOSED, not overdue, water rated 5", w)
			}
			var perf struct {
				Whistles     int     `json:"whistles"`
				Acknowledged int     `json:"acknowledged"`
				Resolved     int     `json:"resolved"`
				Overdue      int     `json:"overdue"`
				MeanRating   float64 `json:"meanRating"`
			}
			water.call("GET", "/v1/departments/water/performance", nil, &perf)
			if perf.Whistles != 1 || perf.Acknowledged != 1 || perf.Resolved != 1 || perf.Overdue != 0 || perf.MeanRating != 5 {
				t.Errorf("water's performance = %+v, want 1 whistle acknowledged and resolved in time, rated 5", perf)
			}
		})

		step(t, "progress reported and supervised by residents", func(t *testing.T) {
			c := c.with(t)
			// The contractor reports progress; residents supervise (居民监督).
			builder = c.asRole(auth.Contractor, "projects/"+pid)
			for _, s := range specs {
				report(t, s.kind, 60)
			}
			var sup struct {
				ID          string `json:"id"`
				HouseholdID string `json:"householdId"`
				ItemID      string `json:"itemId"`
			}
			resident(t, 9).call("POST", path("/v1/projects/%s/supervision-reports", pid), map[string]any{"householdId": hid(9), "itemId": itemID["ROAD_REPAIR"], "text": "3栋门前路面压实不够，请施工方返工"}, &sup)
			if sup.ID == "" || sup.HouseholdID != hid(9) || sup.ItemID != itemID["ROAD_REPAIR"] {
				t.Errorf("supervision report = %+v", sup)
			}
			var sups struct {
				SupervisionReports []struct {
					HouseholdID string `json:"householdId"`
					Text        string `json:"text"`
				} `json:"supervisionReports"`
			}
			c.call("GET", path("/v1/projects/%s/supervision-reports", pid), nil, &sups)
			if len(sups.SupervisionReports) != 1 || !strings.Contains(sups.SupervisionReports[0].Text, "返工") {
				t.Errorf("supervision reports %+v, want the resident's one", sups.SupervisionReports)
			}
		})

		step(t, "acceptance refused while items are incomplete (rule 6)", func(t *testing.T) {
			c, builder := c.with(t), builder.with(t)
			st4 := c.refused(builder.do("POST", path("/v1/projects/%s:requestAcceptance", pid), map[string]any{"actor": contractor}), "ITEMS_INCOMPLETE", "asking for acceptance at 60%")
			if !strings.Contains(st4.Message, "0 of 13 items complete") {
				t.Errorf("the ITEMS_INCOMPLETE refusal does not say how many are done: %s", st4.Raw)
			}
		})

		step(t, "every item complete, acceptance requested", func(t *testing.T) {
			c, builder := c.with(t), builder.with(t)
			for _, s := range specs {
				report(t, s.kind, 100)
			}
			var progress struct {
				ProgressReports []struct {
					ItemID          string `json:"itemId"`
					ProgressPercent int    `json:"progressPercent"`
				} `json:"progressReports"`
			}
			c.call("GET", path("/v1/projects/%s/progress-reports", pid)+"?pageSize=1000", nil, &progress)
			if len(progress.ProgressReports) != 2*len(specs) {
				t.Errorf("%d progress reports, want %d", len(progress.ProgressReports), 2*len(specs))
			}
			var items struct {
				Items []txItem `json:"items"`
			}
			c.call("GET", path("/v1/projects/%s/items", pid), nil, &items)
			for _, it := range items.Items {
				if it.ProgressPercent != 100 || !it.Complete {
					t.Errorf("item %s at %d%% (complete %v) after the contractor reported 100%%", it.Kind, it.ProgressPercent, it.Complete)
				}
			}
			projectTo(t, builder, "requestAcceptance", "PENDING_ACCEPTANCE", map[string]any{"actor": contractor})
		})
	})

	// ---------------------------------------------------------------------------------
	// Joint acceptance: the residents' acceptance survey and the four professional parties.
	step(t, "joint acceptance", func(t *testing.T) {
		step(t, "residents' acceptance survey", func(t *testing.T) {
			c, gridWorker := c.with(t), gridWorker.with(t)
			acceptance = c.createSurvey(map[string]any{
				"compoundId": k.ID, "projectId": pid, "title": "石羊路21号院改造民意验收", "kind": "ACCEPTANCE",
				"questions": []map[string]any{
					{"id": "verdict", "text": "您对改造效果是否满意？", "type": "SINGLE_CHOICE", "options": []map[string]any{{"id": "satisfied", "text": "满意"}, {"id": "unsatisfied", "text": "不满意"}}},
					{"id": "score", "text": "满意程度（1–5）", "type": "SCALE"},
				},
			})
			c.transition(acceptance.ID, "open", "OPEN")
			var patched txProject
			c.call("PATCH", path("/v1/projects/%s", pid), map[string]any{"acceptanceSurveyId": acceptance.ID}, &patched)
			if patched.AcceptanceSurveyID != acceptance.ID || patched.Status != "PENDING_ACCEPTANCE" {
				t.Errorf("project after PATCH acceptanceSurveyId = %+v", patched)
			}
			// Households 0–47 and the two who first opposed (54, 55) answer; 30–32 are not
			// satisfied. Household 9's resident, aged 67, is very satisfied.
			var verdicts []map[string]any
			respondents := append(span(0, 48), 54, 55)
			for _, i := range respondents {
				v, s := "satisfied", 5
				if i >= 30 && i <= 32 {
					v, s = "unsatisfied", 2
				}
				verdicts = append(verdicts, map[string]any{"householdId": hid(i), "channel": "DOOR_TO_DOOR", "collectorId": collector, "answers": []map[string]any{ans("verdict", v), scaleAns("score", s)}})
			}
			gridWorker.call("POST", path("/v1/surveys/%s/responses:batchSubmit", acceptance.ID), map[string]any{"responses": verdicts}, nil)
			ast := c.surveyStats(acceptance.ID)
			if ast.RespondedHouseholds != 50 || ast.TotalHouseholds != n || ast.WillingHouseholds != 47 || ast.counts("verdict")["unsatisfied"] != 3 {
				t.Errorf("acceptance stats: responded %d of %d, satisfied %d, counts %v; want 50 of %d, 47 satisfied, 3 not", ast.RespondedHouseholds, ast.TotalHouseholds, ast.WillingHouseholds, ast.counts("verdict"), n)
			}
			c.transition(acceptance.ID, "close", "CLOSED")
		})

		step(t, "three parties sign off", func(t *testing.T) {
			communityStaff, subdistrictStaff, builder := communityStaff.with(t), subdistrictStaff.with(t), builder.with(t)
			sign(t, communityStaff, "COMMUNITY", "沙坝社区居委会")
			sign(t, subdistrictStaff, "BUILDER", "铜都街道办事处")
			sign(t, builder, "CONTRACTOR", contractor)
		})

		step(t, "acceptance refused without the supervisor", func(t *testing.T) {
			c := c.with(t)
			var acc txAcceptance
			c.call("GET", path("/v1/projects/%s/acceptance", pid), nil, &acc)
			if acc.AllHold || acc.Status != "PENDING_ACCEPTANCE" {
				t.Errorf("acceptance before the supervisor signed: allHold %v, status %s", acc.AllHold, acc.Status)
			}
			for _, cd := range acc.Conditions {
				if cd.Holds == (cd.Name == "SUPERVISOR_PASS") {
					t.Errorf("before the supervisor signed, condition %s holds %v (%s)", cd.Name, cd.Holds, cd.Detail)
				}
			}
			c.refused(c.do("POST", path("/v1/projects/%s:accept", pid), map[string]any{"actor": "东川区住房和城乡建设局"}), "ACCEPTANCE_CONDITIONS_NOT_MET", "accepting without the supervisor")
		})

		step(t, "the supervisor's sign-off accepts the project", func(t *testing.T) {
			c := c.with(t)
			// The supervisor's sign-off completes the conditions and accepts the project.
			sign(t, c.asRole(auth.Supervisor, "projects/"+pid), "SUPERVISOR", supervisorFirm)
			var acc txAcceptance
			c.call("GET", path("/v1/projects/%s/acceptance", pid), nil, &acc)
			wantConds := map[string]string{
				"SUPERVISOR_PASS": supervisorFirm, "CONTRACTOR_PASS": contractor, "BUILDER_PASS": "铜都街道办事处", "COMMUNITY_PASS": "沙坝社区居委会",
				"ACCEPTANCE_SURVEY_CLOSED": acceptance.ID, "RESIDENTS_SATISFIED": "47 of 50", "RESIDENTS_RESPONDED": "50 of 64",
			}
			if !acc.AllHold || acc.Status != "ACCEPTED" || acc.AcceptanceSurveyID != acceptance.ID || len(acc.Conditions) != len(wantConds) || len(acc.Signoffs) != 4 {
				t.Errorf("acceptance = %+v; want every condition holding and the project ACCEPTED", acc)
			}
			for _, cd := range acc.Conditions {
				if want, ok := wantConds[cd.Name]; !ok || !cd.Holds || !strings.Contains(cd.Detail, want) {
					t.Errorf("acceptance condition %s holds %v: %q, want it to hold, saying %q", cd.Name, cd.Holds, cd.Detail, want)
				}
			}
			var got txProject
			c.call("GET", path("/v1/projects/%s", pid), nil, &got)
			if got.Status != "ACCEPTED" || got.CompleteItemCount != len(specs) {
				t.Errorf("project after the last sign-off: %s, %d complete items; want ACCEPTED, %d", got.Status, got.CompleteItemCount, len(specs))
			}
			projectTo(t, c, "accept", "ACCEPTED", map[string]any{"actor": "东川区住房和城乡建设局"}) // idempotent
			waitStatus(t, "ACCEPTED")
		})

		step(t, "the retention paid after acceptance (rule 9)", func(t *testing.T) {
			// The retention, once the project is accepted.
			balance -= contractFen - 48_500_000
			paid(t, disburse(t, contractor, contractFen-48_500_000, "", "pay-retention"), contractor, contractFen, balance)
			balance -= supervisionFen - 1_164_000
			paid(t, disburse(t, supervisorFirm, supervisionFen-1_164_000, "", "pay-supervision-retention"), supervisorFirm, supervisionFen, balance)
		})

		step(t, "a payment beyond the fund refused (rule 7)", func(t *testing.T) {
			c := c.with(t)
			// Then a payment beyond what the fund holds is refused and changes nothing.
			st5 := c.refused(disburse(t, designer, 10_000_000, "", "pay-design-too-much"), "INSUFFICIENT_FUNDS", "paying beyond the fund")
			if md := metadata(st5); md["shortFen"] != fmt.Sprint(10_000_000-balance) {
				t.Errorf("the INSUFFICIENT_FUNDS refusal's figures %v, want shortFen %d", md, 10_000_000-balance)
			}
			balance -= 2_000_000
			paid(t, disburse(t, designer, 2_000_000, "", "pay-design"), designer, 2_000_000, balance)
			disbursed = int64(contractFen + supervisionFen + 2_000_000)
			if balance != pooledFen-disbursed || balance != 7_737_600 {
				t.Fatalf("test arithmetic: balance %d", balance)
			}
		})
	})

	// ---------------------------------------------------------------------------------
	// 重管护、促长效: the owners let parking and a spare room (rule 10: income from common
	// parts needs a business-use resolution).
	step(t, "upkeep", func(t *testing.T) {
		step(t, "business-use resolution passed (rule 3)", func(t *testing.T) {
			c, gridWorker := c.with(t), gridWorker.with(t)
			business = c.createSurvey(map[string]any{"compoundId": k.ID, "title": "空余车位对外经营、空余用房出租表决", "kind": "RESOLUTION", "matter": "COMMON_PART_BUSINESS",
				"businessUses": []string{"PARKING_PUBLIC", "SHOP_RENT"}, "questions": []map[string]any{qVote}})
			c.transition(business.ID, "open", "OPEN")
			var votes []map[string]any
			for i := 0; i < 60; i++ {
				switch {
				case i >= 40 && i < 48:
					votes = append(votes, vote(i, "disagree"))
				case i == 48 || i == 49:
					votes = append(votes, vote(i, "abstain"))
				default:
					votes = append(votes, vote(i, "agree"))
				}
			}
			gridWorker.call("POST", path("/v1/surveys/%s/responses:batchSubmit", business.ID), map[string]any{"responses": votes}, nil)
			c.transition(business.ID, "close", "CLOSED")
			bres := c.resolution(business.ID)
			bVoted, bOther := area(span(0, 60)...), area(span(40, 50)...)
			if !bres.Passed || bres.Matter != "COMMON_PART_BUSINESS" || bres.VotedHouseholds != 60 || bres.AgreeHouseholds != 50 ||
				!near(bres.VotedAreaM2, bVoted) || !near(bres.AgreeAreaM2, bVoted-bOther) || !near(bres.ConsentThreshold, 0.75) {
				t.Errorf("business-use resolution = %+v; want passed, 60 voting (%v m2), 50 agreeing (%v m2)", bres, bVoted, bVoted-bOther)
			}
		})

		step(t, "upkeep income needs the business-use resolution (rule 10)", func(t *testing.T) {
			c := c.with(t)
			owners := c.asRole(auth.OwnersCommittee, "compounds/"+k.ID)
			income := func(stream string, fen int64, period, resolutionID, requestID string) response {
				body := map[string]any{"stream": stream, "amountFen": fmt.Sprint(fen), "period": period, "requestId": requestID}
				if resolutionID != "" {
					body["resolutionSurveyId"] = resolutionID
				}
				return owners.do("POST", path("/v1/compounds/%s/income", k.ID), body)
			}
			upkeep := int64(0)
			booked := func(r response, fen int64) {
				t.Helper()
				var in struct {
					AmountFen      int64  `json:"amountFen,string"`
					FundBalanceFen int64  `json:"fundBalanceFen,string"`
					BookID         string `json:"bookId"`
				}
				if r.status != http.StatusOK {
					t.Errorf("upkeep entry: status %d; body %s", r.status, r.body)
					return
				}
				if err := json.Unmarshal(r.body, &in); err != nil {
					t.Fatal(err)
				}
				upkeep += fen
				if in.FundBalanceFen != upkeep || in.BookID != "maintenance-"+k.ID {
					t.Errorf("upkeep entry = %+v, want the maintenance book holding %d", in, upkeep)
				}
			}
			booked(income("PARKING_OWNERS", 360_000, "2022-01", "", "parking-owners-2022-01"), 360_000)
			c.refused(income("PARKING_PUBLIC", 240_000, "2022-01", "", "parking-public-no-vote"), "RESOLUTION_NOT_PASSED", "parking let to outsiders without a resolution")
			c.refused(income("SHOP_RENT", 180_000, "2022-01", resolution.ID, "shop-renovation-vote"), "RESOLUTION_NOT_PASSED", "shop rent on the renovation resolution")
			booked(income("PARKING_PUBLIC", 240_000, "2022-01", business.ID, "parking-public-2022-01"), 240_000)
			booked(income("SHOP_RENT", 180_000, "2022-01", business.ID, "shop-2022-01"), 180_000)
			booked(owners.do("POST", path("/v1/compounds/%s/expenses", k.ID), map[string]any{"kind": "CLEANING", "payee": "沙坝社区保洁队", "amountFen": "120000", "period": "2022-01", "requestId": "cleaning-2022-01"}), -120_000)
		})

		step(t, "the compound's disclosure", func(t *testing.T) {
			c := c.with(t)
			var cd struct {
				CompoundID     string `json:"compoundId"`
				BookID         string `json:"bookId"`
				IncomeByStream []struct {
					Stream    string `json:"stream"`
					AmountFen int64  `json:"amountFen,string"`
				} `json:"incomeByStream"`
				IncomeTotalFen int64 `json:"incomeTotalFen,string"`
				ExpensesByKind []struct {
					Kind      string `json:"kind"`
					AmountFen int64  `json:"amountFen,string"`
				} `json:"expensesByKind"`
				ExpenseTotalFen int64 `json:"expenseTotalFen,string"`
				FundBalanceFen  int64 `json:"fundBalanceFen,string"`
				ProjectBalances []struct {
					ProjectID      string `json:"projectId"`
					BookID         string `json:"bookId"`
					FundBalanceFen int64  `json:"fundBalanceFen,string"`
				} `json:"projectBalances"`
			}
			c.call("GET", path("/v1/compounds/%s/disclosure", k.ID), nil, &cd)
			streams := map[string]int64{}
			for _, s := range cd.IncomeByStream {
				streams[s.Stream] = s.AmountFen
			}
			if want := map[string]int64{"PARKING_OWNERS": 360_000, "PARKING_PUBLIC": 240_000, "SHOP_RENT": 180_000}; !reflect.DeepEqual(streams, want) ||
				cd.IncomeTotalFen != 780_000 || cd.ExpenseTotalFen != 120_000 || len(cd.ExpensesByKind) != 1 || cd.ExpensesByKind[0].Kind != "CLEANING" ||
				cd.FundBalanceFen != 660_000 || cd.BookID != "maintenance-"+k.ID || cd.CompoundID != k.ID {
				t.Errorf("compound disclosure = %+v; want income %v (780,000 fen), cleaning 120,000, balance 660,000", cd, want)
			}
			if len(cd.ProjectBalances) != 1 || cd.ProjectBalances[0].ProjectID != pid || cd.ProjectBalances[0].FundBalanceFen != balance {
				t.Errorf("compound disclosure project balances %+v, want %s holding %d", cd.ProjectBalances, pid, balance)
			}
		})
	})

	// ---------------------------------------------------------------------------------
	// The project's public report (公示): the true totals, and no one's household or name.
	step(t, "public report", func(t *testing.T) {
		step(t, "the project's disclosure", func(t *testing.T) {
			c := c.with(t)
			var pd struct {
				ProjectID      string `json:"projectId"`
				CompoundID     string `json:"compoundId"`
				BudgetFen      int64  `json:"budgetFen,string"`
				SourcesByParty []struct {
					Party        string `json:"party"`
					CommittedFen int64  `json:"committedFen,string"`
					ReceivedFen  int64  `json:"receivedFen,string"`
				} `json:"sourcesByParty"`
				CommittedTotalFen int64 `json:"committedTotalFen,string"`
				ReceivedTotalFen  int64 `json:"receivedTotalFen,string"`
				HouseholdCount    int   `json:"householdCount"`
				PaidHouseholds    int   `json:"paidHouseholds"`
				DueHouseholds     int   `json:"dueHouseholds"`
				CollectedFen      int64 `json:"collectedFen,string"`
				TargetFen         int64 `json:"targetFen,string"`
				SpendingByItem    []struct {
					ItemID    string `json:"itemId"`
					AmountFen int64  `json:"amountFen,string"`
				} `json:"spendingByItem"`
				SpendingByPayee []struct {
					Payee             string `json:"payee"`
					ContractAmountFen int64  `json:"contractAmountFen,string"`
					PaidFen           int64  `json:"paidFen,string"`
					RetentionFen      int64  `json:"retentionFen,string"`
					HeldFen           int64  `json:"heldFen,string"`
					ContractID        string `json:"contractId"`
				} `json:"spendingByPayee"`
				DisbursedTotalFen int64 `json:"disbursedTotalFen,string"`
				FundBalanceFen    int64 `json:"fundBalanceFen,string"`
			}
			dr := c.do("GET", path("/v1/projects/%s/disclosure", pid), nil)
			if dr.status != http.StatusOK {
				t.Fatalf("GET project disclosure: status %d; body %s", dr.status, dr.body)
			}
			if err := json.Unmarshal(dr.body, &pd); err != nil {
				t.Fatal(err)
			}
			parties := map[string][2]int64{}
			for _, s := range pd.SourcesByParty {
				parties[s.Party] = [2]int64{s.CommittedFen, s.ReceivedFen}
			}
			if want := map[string][2]int64{"GOVERNMENT": {subdistrictFen + bureauFen, subdistrictFen + bureauFen}, "RESIDENTS": {residentsFen, residentsFen}}; !reflect.DeepEqual(parties, want) {
				t.Errorf("disclosure sources by party %v, want %v", parties, want)
			}
			if pd.ProjectID != pid || pd.CompoundID != k.ID || pd.BudgetFen != 60_000_000 || pd.CommittedTotalFen != pooledFen || pd.ReceivedTotalFen != pooledFen ||
				pd.HouseholdCount != n || pd.PaidHouseholds != n || pd.DueHouseholds != 0 || pd.CollectedFen != residentsFen || pd.TargetFen != residentsFen ||
				pd.DisbursedTotalFen != disbursed || pd.FundBalanceFen != balance {
				t.Errorf("project disclosure = %+v; want budget 60,000,000, %d pooled and received, %d of %d households paid %d fen, %d disbursed, %d left",
					pd, pooledFen, n, n, residentsFen, disbursed, balance)
			}
			// Rule 9: per contract, what is paid and what is still held (nothing, once paid).
			payees := map[string][4]int64{}
			for _, p := range pd.SpendingByPayee {
				payees[p.Payee] = [4]int64{p.ContractAmountFen, p.PaidFen, p.RetentionFen, p.HeldFen}
				if p.ContractID != contractIDs[p.Payee] {
					t.Errorf("disclosure names contract %s for %s, want %s", p.ContractID, p.Payee, contractIDs[p.Payee])
				}
			}
			if want := map[string][4]int64{contractor: {contractFen, contractFen, 1_500_000, 0}, supervisorFirm: {supervisionFen, supervisionFen, 36_000, 0}, designer: {designFen, 2_000_000, 600_000, 600_000}}; !reflect.DeepEqual(payees, want) {
				t.Errorf("disclosure spending by payee %v, want %v", payees, want)
			}
			byItem := map[string]int64{}
			for _, s := range pd.SpendingByItem {
				byItem[s.ItemID] = s.AmountFen
			}
			if want := map[string]int64{itemID["ROAD_REPAIR"]: 29_040_000, "": disbursed - 29_040_000}; !reflect.DeepEqual(byItem, want) {
				t.Errorf("disclosure spending by item %v, want %v", byItem, want)
			}
			for i := range hh {
				seeded = append(seeded, hid(i), names[i], phones[i])
			}
			if l := leaked(string(dr.body), seeded); len(l) > 0 {
				t.Errorf("the project disclosure names households or residents %v: %s", l, dr.body)
			}
		})

		step(t, "disclosures are public", func(t *testing.T) {
			c, public := c.with(t), public.with(t)
			// Disclosures are public: the same report without a token.
			for _, pth := range []string{path("/v1/projects/%s/disclosure", pid), path("/v1/compounds/%s/disclosure", k.ID)} {
				withToken, anon := c.do("GET", pth, nil), public.do("GET", pth, nil)
				if anon.status != http.StatusOK {
					t.Errorf("GET %s without a token: status %d, want 200 (disclosures are public); body %s", pth, anon.status, anon.body)
					continue
				}
				if a, b := withoutGenerateTime(t, withToken.body), withoutGenerateTime(t, anon.body); !reflect.DeepEqual(a, b) {
					t.Errorf("GET %s without a token differs from with one:\n%s\n%s", pth, anon.body, withToken.body)
				}
				if l := leaked(string(anon.body), seeded); len(l) > 0 {
					t.Errorf("GET %s names households or residents %v", pth, l)
				}
			}
		})
	})

	step(t, "building leader election (rule 12)", func(t *testing.T) {
		c, secretary := c.with(t), secretary.with(t)
		// The households of 1栋 elect their building leader (rule 12): 5 for household 0,
		// 2 for household 3, one does not vote.
		var el struct {
			ID                 string  `json:"id"`
			State              string  `json:"state"`
			VotedHouseholds    int     `json:"votedHouseholds"`
			EligibleHouseholds int     `json:"eligibleHouseholds"`
			Turnout            float64 `json:"turnout"`
			WinnerHouseholdID  string  `json:"winnerHouseholdId"`
			Tie                bool    `json:"tie"`
			Votes              []struct {
				CandidateHouseholdID string `json:"candidateHouseholdId"`
				Votes                int    `json:"votes"`
			} `json:"votes"`
		}
		secretary.call("POST", "/v1/leader-elections", map[string]any{"buildingId": buildings[0].ID, "candidateHouseholdIds": []string{hid(0), hid(3)}}, &el)
		if el.ID == "" || el.State != "OPEN" {
			t.Fatalf("created election = %+v", el)
		}
		for voter, cand := range map[int]int{0: 0, 1: 0, 2: 0, 4: 0, 5: 3, 6: 3} {
			secretary.call("POST", path("/v1/leader-elections/%s:vote", el.ID), map[string]any{"householdId": hid(voter), "candidateHouseholdId": hid(cand)}, nil)
		}
		resident(t, 7).call("POST", path("/v1/leader-elections/%s:vote", el.ID), map[string]any{"householdId": hid(7), "candidateHouseholdId": hid(0)}, nil)
		c.refused(secretary.do("POST", path("/v1/leader-elections/%s:vote", el.ID), map[string]any{"householdId": hid(8), "candidateHouseholdId": hid(0)}), "NOT_ELIGIBLE", "a household of 2栋 voting in 1栋")
		secretary.call("POST", path("/v1/leader-elections/%s:close", el.ID), map[string]any{}, &el)
		tally := map[string]int{}
		for _, v := range el.Votes {
			tally[v.CandidateHouseholdID] = v.Votes
		}
		if el.State != "CLOSED" || el.WinnerHouseholdID != hid(0) || el.Tie || el.VotedHouseholds != 7 || el.EligibleHouseholds != 8 || !near(el.Turnout, 7.0/8) ||
			!reflect.DeepEqual(tally, map[string]int{hid(0): 5, hid(3): 2}) {
			t.Errorf("closed election = %+v; want household 0 elected 5 to 2, turnout 7 of 8", el)
		}
		var b0 struct {
			LeaderHouseholdID string `json:"leaderHouseholdId"`
		}
		c.call("GET", path("/v1/buildings/%s", buildings[0].ID), nil, &b0)
		if b0.LeaderHouseholdID != hid(0) {
			t.Errorf("1栋's leader is %q, want household 0 %s", b0.LeaderHouseholdID, hid(0))
		}
	})

	step(t, "upkeep takes over", func(t *testing.T) {
		c := c.with(t)
		// Upkeep takes over; the renovation fund's books still add up.
		projectTo(t, c, "startMaintenance", "MAINTENANCE", map[string]any{"actor": "沙坝社区居委会"})
		waitStatus(t, "MAINTAINING")
		for book, txs := range map[string]int{"renovation-" + pid: 2 + n + 6, "maintenance-" + k.ID: 4} {
			var v struct {
				BookID              string   `json:"bookId"`
				Ok                  bool     `json:"ok"`
				TransactionsChecked int      `json:"transactionsChecked"`
				Differences         []any    `json:"differences"`
				Unbalanced          []string `json:"unbalancedTransactionIds"`
			}
			c.call("GET", path("/v1/books/%s:verify", book), nil, &v)
			if !v.Ok || v.BookID != book || v.TransactionsChecked != txs || len(v.Differences) != 0 || len(v.Unbalanced) != 0 {
				t.Errorf("verify %s = %+v, want ok after %d transactions", book, v, txs)
			}
		}
	})
}
