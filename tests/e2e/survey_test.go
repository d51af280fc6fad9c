package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The questions of a needs and willingness survey (需求与意愿调查) as a community office
// writes them: the first asks whether the household wants the renovation, yes first.
var (
	qWants = map[string]any{
		"id": "wants", "text": "您是否同意对本小区进行改造？", "type": "SINGLE_CHOICE",
		"options": []map[string]any{{"id": "yes", "text": "同意"}, {"id": "no", "text": "不同意"}},
	}
	qItems = map[string]any{
		"id": "items", "text": "您最希望改造哪些项目？（可多选）", "type": "MULTI_CHOICE",
		"options": []map[string]any{
			{"id": "drains", "text": "雨污管网"}, {"id": "lighting", "text": "楼道照明"},
			{"id": "elevator", "text": "加装电梯"}, {"id": "parking", "text": "停车位"},
		},
	}
	qSatisfaction = map[string]any{"id": "satisfaction", "text": "您对目前居住环境的满意程度（1–5）", "type": "SCALE"}
	qRemarks      = map[string]any{"id": "remarks", "text": "其他意见和建议", "type": "TEXT"}
)

// TestNeedsSurveyWalkThrough runs a needs survey of a ten-household compound from draft to
// close: door-to-door and courtyard-meeting responses, a household changing its answer,
// an offline batch with an older collection arriving late (rule 2: one response per
// household, the later-collected one wins), the statistics and the exported table, and the
// refusals once the survey is open and once it is closed.
func TestNeedsSurveyWalkThrough(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50)
	base := time.Now().UTC().Truncate(time.Second)

	// Drafted with two questions, completed while still a draft.
	sv := c.createSurvey(map[string]any{
		"compoundId": e.ID, "title": "光华小区改造需求与意愿调查", "kind": "NEEDS",
		"questions": []map[string]any{qWants, qItems},
	})
	if sv.CompoundID != e.ID || sv.Kind != "NEEDS" || len(sv.Questions) != 2 {
		t.Fatalf("created survey = %+v", sv)
	}
	var patched survey
	c.call("PATCH", path("/v1/surveys/%s", sv.ID), map[string]any{"questions": []map[string]any{qWants, qItems, qSatisfaction, qRemarks}}, &patched)
	if patched.State != "DRAFT" || len(patched.Questions) != 4 || patched.Questions[2].ID != "satisfaction" || patched.Questions[3].Type != "TEXT" {
		t.Fatalf("survey after PATCH of its questions = %+v, want 4 questions, still DRAFT", patched)
	}
	var listed struct {
		Surveys []survey `json:"surveys"`
	}
	c.call("GET", "/v1/surveys?compoundId="+url.QueryEscape(e.ID), nil, &listed)
	if len(listed.Surveys) != 1 || listed.Surveys[0].ID != sv.ID {
		t.Errorf("GET /v1/surveys?compoundId= lists %+v, want the one survey", listed.Surveys)
	}

	opened := c.transition(sv.ID, "open", "OPEN")
	if opened.OpenTime == "" {
		t.Errorf("an opened survey has no openTime: %+v", opened)
	}

	// Door to door, collected an hour ago by a grid worker.
	d2d := base.Add(-time.Hour)
	c.submit(sv.ID, resp(e.hid(0), "DOOR_TO_DOOR", d2d, ans("wants", "yes"), ans("items", "drains", "lighting"), scaleAns("satisfaction", 2)))
	c.submit(sv.ID, resp(e.hid(1), "DOOR_TO_DOOR", d2d, ans("wants", "yes"), ans("items", "drains"), scaleAns("satisfaction", 3)))
	c.submit(sv.ID, resp(e.hid(2), "DOOR_TO_DOOR", d2d, ans("wants", "no"), ans("items", "parking"), scaleAns("satisfaction", 4)))
	c.submit(sv.ID, resp(e.hid(3), "DOOR_TO_DOOR", d2d, ans("wants", "yes"), ans("items", "elevator", "drains"), scaleAns("satisfaction", 1), textAns("remarks", "希望加装电梯，方便老人上下楼")))
	// At yesterday's courtyard meeting (院坝会).
	yard := base.Add(-24 * time.Hour)
	c.submit(sv.ID, resp(e.hid(4), "COURTYARD_MEETING", yard, ans("wants", "no"), ans("items", "lighting")))
	c.submit(sv.ID, resp(e.hid(5), "COURTYARD_MEETING", yard, ans("wants", "no"), ans("items", "parking")))
	c.submit(sv.ID, resp(e.hid(6), "COURTYARD_MEETING", yard, ans("wants", "yes"), ans("items", "drains")))

	st := c.surveyStats(sv.ID)
	if st.RespondedHouseholds != 7 || st.TotalHouseholds != 10 || st.WillingHouseholds != 4 {
		t.Errorf("stats after 7 responses: responded %d of %d, willing %d; want 7 of 10, 4", st.RespondedHouseholds, st.TotalHouseholds, st.WillingHouseholds)
	}
	if got := st.counts("wants"); got["yes"] != 4 || got["no"] != 3 {
		t.Errorf("wants counts %v, want yes 4, no 3", got)
	}
	if got := st.counts("items"); got["drains"] != 4 || got["parking"] != 2 {
		t.Errorf("items counts %v, want drains 4, parking 2", got)
	}
	if q := st.question("satisfaction"); q.Answered != 4 || !near(q.ScaleMean, 10.0/4) {
		t.Errorf("satisfaction: answered %d mean %v, want 4, 2.5", q.Answered, q.ScaleMean)
	}

	// Household 2 is visited again half an hour later and changes its mind: its answer is
	// replaced, the statistics move, the count of respondents does not.
	c.submit(sv.ID, resp(e.hid(2), "DOOR_TO_DOOR", base.Add(-30*time.Minute), ans("wants", "yes"), ans("items", "drains", "parking"), scaleAns("satisfaction", 3)))
	st = c.surveyStats(sv.ID)
	if st.RespondedHouseholds != 7 || st.WillingHouseholds != 5 {
		t.Errorf("after household 2 changed its answer: responded %d, willing %d; want 7, 5", st.RespondedHouseholds, st.WillingHouseholds)
	}
	if got := st.counts("wants"); got["yes"] != 5 || got["no"] != 2 {
		t.Errorf("after the re-submission wants counts %v, want yes 5, no 2", got)
	}
	if got := st.counts("items"); got["drains"] != 5 || got["parking"] != 2 || got["lighting"] != 2 || got["elevator"] != 1 {
		t.Errorf("after the re-submission items counts %v, want drains 5, parking 2, lighting 2, elevator 1", got)
	}
	if q := st.question("satisfaction"); q.Answered != 4 || !near(q.ScaleMean, 9.0/4) {
		t.Errorf("after the re-submission satisfaction answered %d mean %v, want 4, 2.25", q.Answered, q.ScaleMean)
	}

	// A paper form of household 1 filled in two days ago turns up late: it is older than
	// the stored response, which stays and is what the answer shows.
	late := c.submit(sv.ID, resp(e.hid(1), "PHONE", base.Add(-48*time.Hour), ans("wants", "no")))
	if late.Channel != "DOOR_TO_DOOR" || len(late.Answers) == 0 || late.Answers[0].OptionIDs[0] != "yes" {
		t.Errorf("an older single submission answered %+v, want the stored door-to-door response", late)
	}
	if got := c.surveyStats(sv.ID).counts("wants"); got["yes"] != 5 || got["no"] != 2 {
		t.Errorf("an older collection moved the counts to %v", got)
	}

	// The offline batch of a building leader: two new households, household 5 visited
	// again after the meeting, and an old form of household 0 that must not win.
	batch := map[string]any{
		"requestId": "leader-tablet-2024-06-01",
		"responses": []map[string]any{
			resp(e.hid(7), "DOOR_TO_DOOR", base.Add(-2*time.Hour), ans("wants", "yes"), ans("items", "lighting", "parking"), scaleAns("satisfaction", 5)),
			resp(e.hid(8), "DOOR_TO_DOOR", base.Add(-3*time.Hour), ans("wants", "no"), ans("items", "parking")),
			resp(e.hid(5), "DOOR_TO_DOOR", base.Add(-2*time.Hour), ans("wants", "yes"), ans("items", "drains")),
			resp(e.hid(0), "DOOR_TO_DOOR", base.Add(-72*time.Hour), ans("wants", "no"), ans("items", "parking")),
		},
	}
	var br struct {
		Results []batchResult `json:"results"`
	}
	batchPath := path("/v1/surveys/%s/responses:batchSubmit", sv.ID)
	c.call("POST", batchPath, batch, &br)
	want := []batchResult{{e.hid(7), "RECORDED"}, {e.hid(8), "RECORDED"}, {e.hid(5), "REPLACED"}, {e.hid(0), "IGNORED_OLDER"}}
	if fmt.Sprint(br.Results) != fmt.Sprint(want) {
		t.Errorf("batchSubmit results %+v, want %+v", br.Results, want)
	}

	// Final figures: 9 of 10 responded; yes: 0,1,2,3,5,6,7; no: 4,8.
	check := func(when string) {
		t.Helper()
		st := c.surveyStats(sv.ID)
		if st.RespondedHouseholds != 9 || st.TotalHouseholds != 10 || !near(st.Participation, 0.9) {
			t.Errorf("%s: responded %d of %d, participation %v; want 9 of 10, 0.9", when, st.RespondedHouseholds, st.TotalHouseholds, st.Participation)
		}
		if st.WillingHouseholds != 7 || !near(st.Willingness, 7.0/9) {
			t.Errorf("%s: willing %d, willingness %v; want 7, %v", when, st.WillingHouseholds, st.Willingness, 7.0/9)
		}
		if got, want := st.counts("wants"), map[string]int{"yes": 7, "no": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: wants counts %v, want %v", when, got, want)
		}
		if got, want := st.counts("items"), map[string]int{"drains": 6, "lighting": 3, "elevator": 1, "parking": 3}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: items counts %v, want %v", when, got, want)
		}
		items := st.question("items")
		if items.Answered != 9 || len(items.Options) != 4 || items.Options[0].OptionID != "drains" || items.Options[0].Text != "雨污管网" || !near(items.Options[0].Share, 6.0/9) {
			t.Errorf("%s: items statistics %+v, want 9 answered, options in the question's order, drains 6/9", when, items)
		}
		if q := st.question("satisfaction"); q.Answered != 5 || !near(q.ScaleMean, 14.0/5) {
			t.Errorf("%s: satisfaction answered %d mean %v, want 5, 2.8", when, q.Answered, q.ScaleMean)
		}
		if q := st.question("remarks"); q.Answered != 1 {
			t.Errorf("%s: remarks answered %d, want 1", when, q.Answered)
		}
	}
	check("after the batch")

	// The tablet retries the batch after a timeout: same request id, same body.
	var retry struct {
		Results []batchResult `json:"results"`
	}
	c.call("POST", batchPath, batch, &retry)
	check("after the retried batch")
	if fmt.Sprint(retry.Results) != fmt.Sprint(br.Results) {
		t.Errorf("a retried batchSubmit (same requestId, same body) answered %+v, the first %+v; want the same result (API.md idempotency)", retry.Results, br.Results)
	}
	reused := batch["responses"].([]map[string]any)[:1]
	st2 := c.failure(c.do("POST", batchPath, map[string]any{"requestId": batch["requestId"], "responses": reused}), http.StatusConflict, "batchSubmit reusing a requestId with another body")
	if st2.reason() != "REQUEST_ID_REUSED" {
		t.Errorf("reason %q, want REQUEST_ID_REUSED: %s", st2.reason(), st2.Raw)
	}

	var got survey
	c.call("GET", path("/v1/surveys/%s", sv.ID), nil, &got)
	if got.RespondedHouseholds != 9 || got.State != "OPEN" {
		t.Errorf("GET survey: respondedHouseholds %d, state %s; want 9, OPEN", got.RespondedHouseholds, got.State)
	}
	var yardList struct {
		Responses []surveyResponse `json:"responses"`
	}
	c.call("GET", path("/v1/surveys/%s/responses", sv.ID)+"?channel=COURTYARD_MEETING", nil, &yardList)
	// Household 5 was replaced by a door-to-door visit; 4 and 6 remain from the meeting.
	if hs := ids(yardList.Responses, func(r surveyResponse) string { return r.HouseholdID }); !sameSet(hs, []string{e.hid(4), e.hid(6)}) {
		t.Errorf("courtyard-meeting responses are of %v, want households 4 and 6", hs)
	}

	t.Run("export", func(t *testing.T) {
		c := c.with(t)
		r := c.do("GET", path("/v1/surveys/%s/stats:export", sv.ID), nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET stats:export: status %d; body %s", r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q, want text/csv", ct)
		}
		if !bytes.HasPrefix(r.body, []byte{0xEF, 0xBB, 0xBF}) {
			t.Fatalf("the CSV does not start with the UTF-8 BOM: % x", r.body[:min(8, len(r.body))])
		}
		if !bytes.Contains(r.body, []byte("您是否同意对本小区进行改造？")) || !bytes.Contains(r.body, []byte("雨污管网")) {
			t.Errorf("the CSV lacks the Chinese question or option text:\n%s", r.body)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body[3:])).ReadAll()
		if err != nil {
			t.Fatalf("the export is not CSV: %v\n%s", err, r.body)
		}
		// A header, then one row per option of the two choice questions (2 + 4).
		if len(rows) != 1+6 {
			t.Fatalf("the CSV has %d rows, want a header and 6 option rows:\n%s", len(rows), r.body)
		}
		found := map[string]bool{}
		for _, row := range rows[1:] {
			line := strings.Join(row, ",")
			found[row[0]+"/"+row[2]] = true
			switch row[0] + "/" + row[2] {
			case "wants/yes":
				if !containsField(row, "7") {
					t.Errorf("row wants/yes %q lacks the count 7", line)
				}
			case "items/drains":
				if !containsField(row, "6") {
					t.Errorf("row items/drains %q lacks the count 6", line)
				}
			}
		}
		for _, k := range []string{"wants/yes", "wants/no", "items/drains", "items/lighting", "items/elevator", "items/parking"} {
			if !found[k] {
				t.Errorf("no row for %s in the CSV:\n%s", k, r.body)
			}
		}
	})

	// Once open, the questions are what residents answered.
	r := c.do("PATCH", path("/v1/surveys/%s", sv.ID), map[string]any{"questions": []map[string]any{qWants}})
	c.refused(r, "SURVEY_NOT_DRAFT", "PATCH questions of an OPEN survey")
	c.call("GET", path("/v1/surveys/%s", sv.ID), nil, &got)
	if len(got.Questions) != 4 {
		t.Errorf("the refused PATCH left %d questions, want 4", len(got.Questions))
	}
	var retitled survey
	c.call("PATCH", path("/v1/surveys/%s", sv.ID), map[string]any{"title": "光华小区改造意愿调查（第一轮）"}, &retitled)
	if retitled.Title != "光华小区改造意愿调查（第一轮）" || len(retitled.Questions) != 4 {
		t.Errorf("PATCH of the title of an open survey = %+v", retitled)
	}

	closed := c.transition(sv.ID, "close", "CLOSED")
	if closed.CloseTime == "" {
		t.Errorf("a closed survey has no closeTime: %+v", closed)
	}
	r = c.do("POST", path("/v1/surveys/%s/responses", sv.ID), resp(e.hid(9), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")))
	c.refused(r, "SURVEY_CLOSED", "a response to a CLOSED survey")
	r = c.do("POST", batchPath, map[string]any{"responses": []map[string]any{resp(e.hid(9), "DOOR_TO_DOOR", base.Add(-time.Hour), ans("wants", "yes"))}})
	c.refused(r, "SURVEY_CLOSED", "a batch to a CLOSED survey")
	check("after close")
	if st := c.surveyStats(sv.ID); st.State != "CLOSED" {
		t.Errorf("stats state %q, want CLOSED", st.State)
	}
	if r := c.do("POST", path("/v1/surveys/%s:open", sv.ID), `{}`); r.status/100 != 4 {
		t.Errorf("re-opening a closed survey: status %d, want 4xx; body %s", r.status, r.body)
	}
}

func containsField(row []string, v string) bool {
	for _, f := range row {
		if f == v {
			return true
		}
	}
	return false
}

// TestSurveyRefusesBadResponses sends what a careless collector might: each response is
// refused, naming the field or the reason, and the statistics do not move.
func TestSurveyRefusesBadResponses(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 50, 60, 70, 80)
	other := c.setupEstate(rt.otherCommunity.ID, "新华院坝", 1979, nil, 45)

	draft := c.createSurvey(map[string]any{
		"compoundId": e.ID, "title": "需求调查（草稿）", "kind": "NEEDS", "questions": []map[string]any{qWants},
	})
	r := c.do("POST", path("/v1/surveys/%s/responses", draft.ID), resp(e.hid(0), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")))
	if r.status/100 != 4 {
		t.Fatalf("a response to a DRAFT survey: status %d, want 4xx; body %s", r.status, r.body)
	}
	if st := c.failure(r, r.status, "a response to a DRAFT survey"); st.reason() == "" && len(st.Details) == 0 {
		t.Errorf("a response to a DRAFT survey is refused without a reason or field: %s", st.Raw)
	} else if st.reason() != "" && st.reason() != "SURVEY_NOT_OPEN" {
		t.Errorf("a response to a DRAFT survey: reason %q, want SURVEY_NOT_OPEN", st.reason())
	}
	if st := c.surveyStats(draft.ID); st.RespondedHouseholds != 0 {
		t.Errorf("a DRAFT survey counts %d responses", st.RespondedHouseholds)
	}

	sv := c.createSurvey(map[string]any{
		"compoundId": e.ID, "title": "需求调查", "kind": "NEEDS", "questions": []map[string]any{qWants, qItems, qSatisfaction},
	})
	c.transition(sv.ID, "open", "OPEN")
	c.submit(sv.ID, resp(e.hid(0), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes"), ans("items", "drains"), scaleAns("satisfaction", 4)))
	before := c.surveyStats(sv.ID)
	unchanged := func(what string) {
		t.Helper()
		after := c.surveyStats(sv.ID)
		if mustJSON(t, after) != mustJSON(t, before) {
			t.Errorf("%s moved the statistics:\nbefore %s\nafter  %s", what, mustJSON(t, before), mustJSON(t, after))
		}
	}

	t.Run("household of another compound", func(t *testing.T) {
		c := c.with(t)
		for _, hid := range []string{other.hid(0), "no-such-household"} {
			r := c.do("POST", path("/v1/surveys/%s/responses", sv.ID), resp(hid, "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")))
			c.refused(r, "HOUSEHOLD_NOT_IN_COMPOUND", "a response of household "+hid)
		}
		unchanged("a response from outside the compound")
	})

	base := time.Now().UTC()
	cases := []struct {
		name    string
		answers []map[string]any
		field   string // the field violation names it
	}{
		{"unknown question", []map[string]any{ans("wants", "yes"), ans("colour", "red")}, "questionId"},
		{"unknown option", []map[string]any{ans("wants", "maybe")}, "optionIds"},
		{"unknown option of a multi-choice", []map[string]any{ans("wants", "yes"), ans("items", "drains", "swimming_pool")}, "optionIds"},
		{"scale above its range", []map[string]any{ans("wants", "yes"), scaleAns("satisfaction", 7)}, "scale"},
		{"scale above any range", []map[string]any{ans("wants", "yes"), scaleAns("satisfaction", 11)}, "scale"},
		{"two options on a single choice", []map[string]any{ans("wants", "yes", "no")}, "optionIds"},
		{"first question unanswered", []map[string]any{ans("items", "drains")}, "answers"},
		{"text on a choice question", []map[string]any{textAns("wants", "都行")}, "answers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c.with(t)
			r := c.do("POST", path("/v1/surveys/%s/responses", sv.ID), resp(e.hid(1), "DOOR_TO_DOOR", time.Time{}, tc.answers...))
			st := c.failure(r, http.StatusBadRequest, "a response with "+tc.name)
			if st.Code != 3 {
				t.Errorf("code %d, want 3 (INVALID_ARGUMENT)", st.Code)
			}
			if _, ok := st.violationLike(tc.field); !ok {
				t.Errorf("no field violation naming %q: %s", tc.field, st.Raw)
			}
			unchanged("a response with " + tc.name)
		})
	}

	t.Run("collected in the future", func(t *testing.T) {
		c := c.with(t)
		r := c.do("POST", path("/v1/surveys/%s/responses", sv.ID), resp(e.hid(1), "DOOR_TO_DOOR", base.Add(24*time.Hour), ans("wants", "yes")))
		st := c.failure(r, http.StatusBadRequest, "a response collected tomorrow")
		if _, ok := st.violationLike("collectedAt"); !ok {
			t.Errorf("no field violation naming collectedAt: %s", st.Raw)
		}
		unchanged("a response collected tomorrow")
	})

	t.Run("no channel", func(t *testing.T) {
		c := c.with(t)
		body := map[string]any{"householdId": e.hid(1), "answers": []map[string]any{ans("wants", "yes")}}
		st := c.failure(c.do("POST", path("/v1/surveys/%s/responses", sv.ID), body), http.StatusBadRequest, "a response without a channel")
		if _, ok := st.violationLike("channel"); !ok {
			t.Errorf("no field violation naming channel: %s", st.Raw)
		}
		unchanged("a response without a channel")
	})

	t.Run("batch with one bad response records none", func(t *testing.T) {
		c := c.with(t)
		body := map[string]any{"responses": []map[string]any{
			resp(e.hid(1), "DOOR_TO_DOOR", base.Add(-time.Hour), ans("wants", "yes")),
			resp(e.hid(2), "DOOR_TO_DOOR", base.Add(-time.Hour), ans("wants", "maybe")),
		}}
		st := c.failure(c.do("POST", path("/v1/surveys/%s/responses:batchSubmit", sv.ID), body), http.StatusBadRequest, "a batch with an unknown option")
		if f, ok := st.violationLike("optionIds"); !ok || !strings.Contains(f, "[1]") {
			t.Errorf("want a violation of responses[1]...optionIds, got %q: %s", f, st.Raw)
		}
		body = map[string]any{"responses": []map[string]any{
			resp(e.hid(1), "DOOR_TO_DOOR", base.Add(-time.Hour), ans("wants", "yes")),
			resp(other.hid(0), "DOOR_TO_DOOR", base.Add(-time.Hour), ans("wants", "yes")),
		}}
		c.refused(c.do("POST", path("/v1/surveys/%s/responses:batchSubmit", sv.ID), body), "HOUSEHOLD_NOT_IN_COMPOUND", "a batch with a household of another compound")
		unchanged("a refused batch")
	})

	t.Run("requestId reused with another body", func(t *testing.T) {
		c := c.with(t)
		p := path("/v1/surveys/%s/responses", sv.ID) + "?requestId=form-0042"
		first := resp(e.hid(3), "DOOR_TO_DOOR", base.Add(-time.Minute), ans("wants", "no"))
		c.call("POST", p, first, nil)
		c.call("POST", p, first, nil) // a retry
		st := c.failure(c.do("POST", p, resp(e.hid(2), "DOOR_TO_DOOR", base.Add(-time.Minute), ans("wants", "yes"))), http.StatusConflict, "requestId reused for another household")
		if st.reason() != "REQUEST_ID_REUSED" {
			t.Errorf("reason %q, want REQUEST_ID_REUSED: %s", st.reason(), st.Raw)
		}
		if st := c.surveyStats(sv.ID); st.RespondedHouseholds != 2 || st.counts("wants")["no"] != 1 {
			t.Errorf("after a response, its retry and a refused reuse: responded %d, no %d; want 2, 1", st.RespondedHouseholds, st.counts("wants")["no"])
		}
	})

	t.Run("a retried response does not undo a later one", func(t *testing.T) {
		c := c.with(t)
		// The resident's app sends "no" (collectedAt empty: the time of submission), times
		// out, the resident changes the answer to "yes" in a new request, and only then does
		// the app retry the first request with its requestId.
		p := path("/v1/surveys/%s/responses", sv.ID)
		first := resp(e.hid(2), "ONLINE", time.Time{}, ans("wants", "no"))
		c.call("POST", p+"?requestId=app-h2-1", first, nil)
		c.call("POST", p+"?requestId=app-h2-2", resp(e.hid(2), "ONLINE", time.Time{}, ans("wants", "yes")), nil)
		var retried surveyResponse
		c.call("POST", p+"?requestId=app-h2-1", first, &retried)
		st := c.surveyStats(sv.ID)
		if got := st.counts("wants"); got["yes"] != 2 || got["no"] != 1 {
			t.Errorf("after a late retry of household 2's first answer the counts are %v, want yes 2 (households 0, 2), no 1 (household 3): the retry replaced the later answer", got)
		}
		var list struct {
			Responses []surveyResponse `json:"responses"`
		}
		c.call("GET", p+"?channel=ONLINE", nil, &list)
		for _, r := range list.Responses {
			if r.HouseholdID == e.hid(2) && (len(r.Answers) == 0 || len(r.Answers[0].OptionIDs) == 0 || r.Answers[0].OptionIDs[0] != "yes") {
				t.Errorf("household 2's stored response is %+v, want its later answer yes", r)
			}
		}
	})

	t.Run("unknown survey", func(t *testing.T) {
		c := c.with(t)
		r := c.do("POST", "/v1/surveys/no-such-survey/responses", resp(e.hid(1), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")))
		c.failure(r, http.StatusNotFound, "a response to an unknown survey")
	})
}

// TestResolutionThresholds runs owners' votes against rule 3 (at least 2/3 of households
// and of area taking part; renovation passes with 3/4 of them consenting, other matters
// with more than half, each by households and by area) on a compound whose households
// differ in area: consent by households exactly 3/4 but by area below it, a vote that
// meets every threshold, the figures frozen at closing, and a simple-majority matter
// where exactly half agree.
func TestResolutionThresholds(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	// Six small flats, two large ones, two middling: 6·50.25 + 2·120.5 + 2·60.75 = 664 m².
	e := c.setupEstate(rt.community.ID, "机床厂宿舍", 1978, nil, 50.25, 50.25, 50.25, 50.25, 50.25, 50.25, 120.5, 120.5, 60.75, 60.75)
	if !near(e.TotalExclusiveAreaM2, 664) {
		t.Fatalf("compound area %v, want 664", e.TotalExclusiveAreaM2)
	}
	voteQ := map[string]any{
		"id": "vote", "text": "是否同意对本小区实施老旧小区改造？", "type": "SINGLE_CHOICE",
		"options": []map[string]any{{"id": "agree", "text": "同意"}, {"id": "disagree", "text": "不同意"}, {"id": "abstain", "text": "弃权"}},
	}
	resolution := func(title, matter string) survey {
		return c.createSurvey(map[string]any{"compoundId": e.ID, "title": title, "kind": "RESOLUTION", "matter": matter, "questions": []map[string]any{voteQ}})
	}

	// 1. Households 0–5 agree, 6 disagrees, 7 abstains, 8 and 9 do not vote.
	r1 := resolution("改造表决（第一次）", "RENOVATION")
	c.transition(r1.ID, "open", "OPEN")
	for i := 0; i < 6; i++ {
		c.vote(r1.ID, e.hid(i), "agree")
	}
	// Household 6 first agrees, then changes its vote: its area moves with it.
	c.submit(r1.ID, resp(e.hid(6), "DOOR_TO_DOOR", time.Now().Add(-time.Hour), ans("vote", "agree")))
	c.vote(r1.ID, e.hid(6), "disagree")
	c.vote(r1.ID, e.hid(7), "abstain")

	res := c.resolution(r1.ID)
	if res.Passed || res.Frozen || res.SurveyState != "OPEN" {
		t.Errorf("an OPEN resolution: passed %v, frozen %v, state %s; want provisional (false, false, OPEN)", res.Passed, res.Frozen, res.SurveyState)
	}
	c.transition(r1.ID, "close", "CLOSED")
	res = c.resolution(r1.ID)
	checkFigures := func(what string, res resolutionResult, want resolutionResult) {
		t.Helper()
		if res.TotalHouseholds != want.TotalHouseholds || !near(res.TotalAreaM2, want.TotalAreaM2) ||
			res.VotedHouseholds != want.VotedHouseholds || !near(res.VotedAreaM2, want.VotedAreaM2) ||
			res.AgreeHouseholds != want.AgreeHouseholds || !near(res.AgreeAreaM2, want.AgreeAreaM2) ||
			res.DisagreeHouseholds != want.DisagreeHouseholds || !near(res.DisagreeAreaM2, want.DisagreeAreaM2) ||
			res.AbstainHouseholds != want.AbstainHouseholds || !near(res.AbstainAreaM2, want.AbstainAreaM2) {
			t.Errorf("%s: figures\n got  total %d/%v voted %d/%v agree %d/%v disagree %d/%v abstain %d/%v\n want total %d/%v voted %d/%v agree %d/%v disagree %d/%v abstain %d/%v",
				what, res.TotalHouseholds, res.TotalAreaM2, res.VotedHouseholds, res.VotedAreaM2, res.AgreeHouseholds, res.AgreeAreaM2,
				res.DisagreeHouseholds, res.DisagreeAreaM2, res.AbstainHouseholds, res.AbstainAreaM2,
				want.TotalHouseholds, want.TotalAreaM2, want.VotedHouseholds, want.VotedAreaM2, want.AgreeHouseholds, want.AgreeAreaM2,
				want.DisagreeHouseholds, want.DisagreeAreaM2, want.AbstainHouseholds, want.AbstainAreaM2)
		}
		for _, p := range []struct {
			name      string
			got, want float64
		}{
			{"participationByHouseholds", res.ParticipationByHouseholds, float64(want.VotedHouseholds) / float64(want.TotalHouseholds)},
			{"participationByArea", res.ParticipationByArea, want.VotedAreaM2 / want.TotalAreaM2},
			{"consentByHouseholds", res.ConsentByHouseholds, float64(want.AgreeHouseholds) / float64(want.VotedHouseholds)},
			{"consentByArea", res.ConsentByArea, want.AgreeAreaM2 / want.VotedAreaM2},
			{"participationThreshold", res.ParticipationThreshold, 2.0 / 3},
			{"consentThreshold", res.ConsentThreshold, want.ConsentThreshold},
		} {
			if !near(p.got, p.want) {
				t.Errorf("%s: %s = %v, want %v", what, p.name, p.got, p.want)
			}
		}
		if res.ConsentStrict != want.ConsentStrict || res.Matter != want.Matter {
			t.Errorf("%s: matter %s consentStrict %v, want %s %v", what, res.Matter, res.ConsentStrict, want.Matter, want.ConsentStrict)
		}
		if res.Passed != want.Passed || res.ParticipationMet != want.ParticipationMet || res.ConsentMet != want.ConsentMet {
			t.Errorf("%s: passed %v participationMet %v consentMet %v, want %v %v %v; reasons %q",
				what, res.Passed, res.ParticipationMet, res.ConsentMet, want.Passed, want.ParticipationMet, want.ConsentMet, res.Reasons)
		}
		if len(res.Reasons) < 4 {
			t.Errorf("%s: %d reasons, want one per condition (4): %q", what, len(res.Reasons), res.Reasons)
		}
	}
	// Consent by households 6/8 = 3/4 exactly (met: at least 3/4); by area
	// 301.5/(301.5+120.5+120.5) = 0.556 (not met).
	want1 := resolutionResult{
		Matter: "RENOVATION", TotalHouseholds: 10, TotalAreaM2: 664,
		VotedHouseholds: 8, VotedAreaM2: 542.5, AgreeHouseholds: 6, AgreeAreaM2: 301.5,
		DisagreeHouseholds: 1, DisagreeAreaM2: 120.5, AbstainHouseholds: 1, AbstainAreaM2: 120.5,
		ConsentThreshold: 0.75, ParticipationMet: true, ConsentMet: false, Passed: false,
	}
	checkFigures("closed resolution with 3/4 of households but not of area", res, want1)
	if !res.Frozen || res.SurveyState != "CLOSED" || res.CompoundID != e.ID {
		t.Errorf("closed resolution: frozen %v state %s compound %s", res.Frozen, res.SurveyState, res.CompoundID)
	}

	// 2. Everyone votes; households 0–8 agree, 9 disagrees: every threshold is met.
	r2 := resolution("改造表决（第二次）", "RENOVATION")
	c.transition(r2.ID, "open", "OPEN")
	votes := make([]map[string]any, 10)
	for i := range votes {
		choice := "agree"
		if i == 9 {
			choice = "disagree"
		}
		votes[i] = resp(e.hid(i), "COURTYARD_MEETING", time.Now().Add(-time.Hour), ans("vote", choice))
	}
	c.call("POST", path("/v1/surveys/%s/responses:batchSubmit", r2.ID), map[string]any{"responses": votes}, nil)
	c.transition(r2.ID, "close", "CLOSED")
	want2 := resolutionResult{
		Matter: "RENOVATION", TotalHouseholds: 10, TotalAreaM2: 664,
		VotedHouseholds: 10, VotedAreaM2: 664, AgreeHouseholds: 9, AgreeAreaM2: 603.25,
		DisagreeHouseholds: 1, DisagreeAreaM2: 60.75,
		ConsentThreshold: 0.75, ParticipationMet: true, ConsentMet: true, Passed: true,
	}
	checkFigures("closed resolution meeting every threshold", c.resolution(r2.ID), want2)

	// 3. Two more households move in after the votes closed: the decided results keep the
	// households and area they were decided on.
	c.addHouseholds(e, 10, 88, 99.5)
	if got := c.getCompound(e.ID); got.HouseholdCount != 12 {
		t.Fatalf("the compound has %d households after two more, want 12", got.HouseholdCount)
	}
	checkFigures("first resolution after two households were added", c.resolution(r1.ID), want1)
	checkFigures("second resolution after two households were added", c.resolution(r2.ID), want2)
	if st := c.surveyStats(r2.ID); st.TotalHouseholds != 10 || st.RespondedHouseholds != 10 {
		t.Errorf("closed resolution stats: %d of %d households, want 10 of 10 (frozen)", st.RespondedHouseholds, st.TotalHouseholds)
	}

	// 4. Another matter (more than 1/2): exactly half agree by number and by area.
	half := c.setupEstate(rt.otherCommunity.ID, "新华院坝", 1980, nil, 60, 60, 60, 60)
	r3 := c.createSurvey(map[string]any{"compoundId": half.ID, "title": "晾晒区位置表决", "kind": "RESOLUTION", "matter": "OTHER", "questions": []map[string]any{voteQ}})
	c.transition(r3.ID, "open", "OPEN")
	c.vote(r3.ID, half.hid(0), "agree")
	c.vote(r3.ID, half.hid(1), "agree")
	c.vote(r3.ID, half.hid(2), "disagree")
	c.vote(r3.ID, half.hid(3), "disagree")
	c.transition(r3.ID, "close", "CLOSED")
	checkFigures("OTHER matter with exactly half agreeing", c.resolution(r3.ID), resolutionResult{
		Matter: "OTHER", TotalHouseholds: 4, TotalAreaM2: 240,
		VotedHouseholds: 4, VotedAreaM2: 240, AgreeHouseholds: 2, AgreeAreaM2: 120,
		DisagreeHouseholds: 2, DisagreeAreaM2: 120,
		ConsentThreshold: 0.5, ConsentStrict: true, ParticipationMet: true, ConsentMet: false, Passed: false,
	})

	// A needs survey has no resolution.
	needs := c.createSurvey(map[string]any{"compoundId": e.ID, "title": "需求调查", "kind": "NEEDS", "questions": []map[string]any{qWants}})
	c.refused(c.do("GET", path("/v1/surveys/%s/resolution", needs.ID), nil), "NOT_A_RESOLUTION", "resolution of a NEEDS survey")

	// A resolution's first question is the vote.
	bad := map[string]any{"compoundId": e.ID, "title": "表决", "kind": "RESOLUTION", "matter": "RENOVATION", "questions": []map[string]any{qWants}}
	if r := c.do("POST", "/v1/surveys", bad); r.status != http.StatusBadRequest {
		t.Errorf("a resolution whose first question is not the vote: status %d, want 400; body %s", r.status, r.body)
	}
	noMatter := map[string]any{"compoundId": e.ID, "title": "表决", "kind": "RESOLUTION", "questions": []map[string]any{voteQ}}
	st := c.failure(c.do("POST", "/v1/surveys", noMatter), http.StatusBadRequest, "a resolution without a matter")
	if _, ok := st.violationLike("matter"); !ok {
		t.Errorf("no field violation naming matter: %s", st.Raw)
	}
}

// TestCourtyardMeetings records a courtyard meeting (院坝会) and closes it with its
// minutes; a closed meeting cannot be closed again.
func TestCourtyardMeetings(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 50, 55, 60, 65)
	other := c.setupEstate(rt.otherCommunity.ID, "新华院坝", 1979, nil, 45)
	held := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)

	var m meeting
	c.call("POST", "/v1/meetings?requestId=meeting-1", map[string]any{
		"compoundId": e.ID, "title": "加装电梯院坝会", "place": "3号楼前院坝", "heldAt": held.Format(time.RFC3339),
		"topics": []string{"加装电梯意愿", "停车位划分"}, "attendeeHouseholdIds": []string{e.hid(0), e.hid(1)},
	}, &m)
	if m.ID == "" || m.State != "OPEN" || m.CompoundID != e.ID || m.Place != "3号楼前院坝" || len(m.Topics) != 2 {
		t.Fatalf("created meeting = %+v", m)
	}
	if at, err := time.Parse(time.RFC3339, m.HeldAt); err != nil || !at.Equal(held) {
		t.Errorf("heldAt %q, want %s", m.HeldAt, held.Format(time.RFC3339))
	}
	var elsewhere meeting
	c.call("POST", "/v1/meetings", map[string]any{"compoundId": other.ID, "title": "环境整治院坝会", "heldAt": held.Format(time.RFC3339)}, &elsewhere)

	var list struct {
		Meetings []meeting `json:"meetings"`
	}
	c.call("GET", "/v1/meetings?compoundId="+url.QueryEscape(e.ID), nil, &list)
	if len(list.Meetings) != 1 || list.Meetings[0].ID != m.ID || list.Meetings[0].Title != "加装电梯院坝会" {
		t.Errorf("GET /v1/meetings?compoundId= lists %+v, want the one meeting of the compound", list.Meetings)
	}

	// An attendee from another compound is refused.
	r := c.do("POST", path("/v1/meetings/%s:close", m.ID), map[string]any{"attendeeHouseholdIds": []string{e.hid(0), other.hid(0)}, "minutes": "x"})
	c.refused(r, "HOUSEHOLD_NOT_IN_COMPOUND", "closing a meeting with an attendee of another compound")

	var closed meeting
	c.call("POST", path("/v1/meetings/%s:close", m.ID), map[string]any{
		"requestId":            "close-meeting-1",
		"attendeeHouseholdIds": []string{e.hid(0), e.hid(1), e.hid(2)},
		"minutes":              "与会居民 3 户，一致同意 3 号楼先行加装电梯。",
		"decisions":            []string{"3号楼先行加装电梯", "停车位按户抽签"},
	}, &closed)
	if closed.State != "CLOSED" || closed.CloseTime == "" || !sameSet(closed.AttendeeHouseholdIDs, []string{e.hid(0), e.hid(1), e.hid(2)}) ||
		len(closed.Decisions) != 2 || !strings.Contains(closed.Minutes, "加装电梯") || len(closed.Topics) != 2 {
		t.Errorf("closed meeting = %+v", closed)
	}
	var got meeting
	c.call("GET", path("/v1/meetings/%s", m.ID), nil, &got)
	if got.State != "CLOSED" || got.Minutes != closed.Minutes || len(got.Decisions) != 2 {
		t.Errorf("GET closed meeting = %+v", got)
	}
	list.Meetings = nil
	c.call("GET", "/v1/meetings?compoundId="+url.QueryEscape(e.ID)+"&state=CLOSED", nil, &list)
	if len(list.Meetings) != 1 || list.Meetings[0].ID != m.ID {
		t.Errorf("GET /v1/meetings?state=CLOSED lists %+v", list.Meetings)
	}

	r = c.do("POST", path("/v1/meetings/%s:close", m.ID), map[string]any{"minutes": "补充纪要"})
	c.refused(r, "WRONG_STATE", "closing a closed meeting")
	c.call("GET", path("/v1/meetings/%s", m.ID), nil, &got)
	if got.Minutes != closed.Minutes {
		t.Errorf("the refused second close changed the minutes to %q", got.Minutes)
	}

	if r := c.do("POST", "/v1/meetings", map[string]any{"compoundId": e.ID, "title": "无时间院坝会"}); r.status != http.StatusBadRequest {
		t.Errorf("a meeting without heldAt: status %d, want 400; body %s", r.status, r.body)
	}
	if r := c.do("POST", "/v1/meetings", map[string]any{"compoundId": e.ID, "title": "跨院坝会", "heldAt": held.Format(time.RFC3339), "attendeeHouseholdIds": []string{other.hid(0)}}); r.status/100 != 4 {
		t.Errorf("a meeting with an attendee of another compound: status %d, want 4xx; body %s", r.status, r.body)
	}
}

// TestIdeas collects residents' golden ideas (金点子), counts endorsements once per
// household, lists them by endorsements and decides them.
func TestIdeas(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 50, 55, 60, 65, 70, 75)
	other := c.setupEstate(rt.otherCommunity.ID, "新华院坝", 1979, nil, 45)

	newIdea := func(hid, text, category string) idea {
		var i idea
		c.call("POST", "/v1/ideas", map[string]any{"compoundId": e.ID, "householdId": hid, "text": text, "category": category}, &i)
		if i.ID == "" || i.Status != "SUBMITTED" || i.Endorsements != 0 || i.Text != text {
			t.Fatalf("created idea = %+v", i)
		}
		return i
	}
	heritage := newIdea(e.hid(0), "保留老厂区红砖墙，做成社区记忆墙", "HERITAGE")
	drying := newIdea(e.hid(1), "在院坝东侧设置集中晾晒区", "PUBLIC_SPACE")
	sheds := newIdea(e.hid(2), "加建非机动车棚并设充电桩", "PARKING")

	endorse := func(id, hid string) idea {
		t.Helper()
		var i idea
		c.call("POST", path("/v1/ideas/%s:endorse", id), map[string]any{"householdId": hid}, &i)
		return i
	}
	endorse(drying.ID, e.hid(3))
	endorse(drying.ID, e.hid(4))
	endorse(drying.ID, e.hid(5))
	if i := endorse(drying.ID, e.hid(3)); i.Endorsements != 3 {
		t.Errorf("after the same household endorsed twice: %d endorsements, want 3", i.Endorsements)
	}
	endorse(sheds.ID, e.hid(0))
	c.refused(c.do("POST", path("/v1/ideas/%s:endorse", sheds.ID), map[string]any{"householdId": other.hid(0)}), "HOUSEHOLD_NOT_IN_COMPOUND", "an endorsement from another compound")

	l := c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(e.ID) + "&orderBy=endorsements")
	if got, want := ids(l.Ideas, func(i idea) string { return i.ID }), []string{drying.ID, sheds.ID, heritage.ID}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ideas by endorsements %v, want drying, sheds, heritage %v", got, want)
	} else if l.Ideas[0].Endorsements != 3 || l.Ideas[1].Endorsements != 1 || l.Ideas[2].Endorsements != 0 {
		t.Errorf("endorsements listed %d, %d, %d; want 3, 1, 0", l.Ideas[0].Endorsements, l.Ideas[1].Endorsements, l.Ideas[2].Endorsements)
	}
	l = c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(e.ID))
	if got, want := ids(l.Ideas, func(i idea) string { return i.ID }), []string{heritage.ID, drying.ID, sheds.ID}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ideas in order of submission %v, want %v", got, want)
	}
	l = c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(other.ID))
	if len(l.Ideas) != 0 {
		t.Errorf("the other compound lists %d ideas, want none", len(l.Ideas))
	}

	var adopted idea
	c.call("POST", path("/v1/ideas/%s:adopt", drying.ID), map[string]any{"remarks": "纳入一小区一策方案"}, &adopted)
	if adopted.Status != "ADOPTED" || adopted.AdoptRemarks != "纳入一小区一策方案" || adopted.Endorsements != 3 {
		t.Errorf("adopted idea = %+v", adopted)
	}
	c.refused(c.do("POST", path("/v1/ideas/%s:endorse", drying.ID), map[string]any{"householdId": e.hid(0)}), "WRONG_STATE", "endorsing an adopted idea")

	st := c.failure(c.do("POST", path("/v1/ideas/%s:decline", heritage.ID), `{}`), http.StatusBadRequest, "decline without a reason")
	if _, ok := st.violation("reason"); !ok {
		t.Errorf("no field violation naming reason: %s", st.Raw)
	}
	var declined idea
	c.call("POST", path("/v1/ideas/%s:decline", heritage.ID), map[string]any{"reason": "红砖墙已列入历史建筑保护，由文物部门统一实施"}, &declined)
	if declined.Status != "DECLINED" || declined.DeclineReason == "" {
		t.Errorf("declined idea = %+v", declined)
	}
	var got idea
	c.call("GET", path("/v1/ideas/%s", heritage.ID), nil, &got)
	if got.Status != "DECLINED" || got.HouseholdID != e.hid(0) || got.Category != "HERITAGE" {
		t.Errorf("GET declined idea = %+v", got)
	}
	l = c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(e.ID) + "&status=SUBMITTED")
	if len(l.Ideas) != 1 || l.Ideas[0].ID != sheds.ID {
		t.Errorf("GET ideas?status=SUBMITTED = %+v, want only the bike sheds", l.Ideas)
	}

	// Paging: a page as large as what is left ends the listing (an empty nextPageToken).
	for _, order := range []string{"", "endorsements"} {
		page := c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(e.ID) + "&pageSize=3&orderBy=" + order)
		if len(page.Ideas) != 3 || page.NextPageToken != "" {
			t.Errorf("GET ideas?pageSize=3&orderBy=%q of 3 ideas: %d ideas, nextPageToken %q; want 3 and no token (AIP-158: the last page has none)", order, len(page.Ideas), page.NextPageToken)
		}
		page = c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(e.ID) + "&pageSize=2&orderBy=" + order)
		if len(page.Ideas) != 2 || page.NextPageToken == "" {
			t.Fatalf("GET ideas?pageSize=2&orderBy=%q: %d ideas, token %q; want 2 and a token", order, len(page.Ideas), page.NextPageToken)
		}
		first := page.Ideas
		page = c.listIdeas("/v1/ideas?compoundId=" + url.QueryEscape(e.ID) + "&pageSize=2&orderBy=" + order + "&pageToken=" + url.QueryEscape(page.NextPageToken))
		all := ids(append(first, page.Ideas...), func(i idea) string { return i.ID })
		if !sameSet(all, []string{heritage.ID, drying.ID, sheds.ID}) {
			t.Errorf("two pages of ideas (orderBy=%q) hold %v", order, all)
		}
	}
}

// TestRanking ranks three compounds of two communities by rule 4 (priority from the
// facilities deficit, willingness and participation), each term shown, by sub-district
// and by community; the ranking moves with responses; ties go to the older compound.
func TestRanking(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	hh := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = 50
		}
		return out
	}
	// Facilities all POOR (deficit 1); FAIR, FAIR, GOOD (1/3); GOOD, POOR (1/2).
	x := c.setupEstate(rt.community.ID, "机床厂宿舍", 1978, facilities("POOR", "POOR"), hh(10)...)
	y := c.setupEstate(rt.community.ID, "光华小区", 1985, facilities("FAIR", "FAIR", "GOOD"), hh(4)...)
	z := c.setupEstate(rt.otherCommunity.ID, "新华院坝", 1990, facilities("GOOD", "POOR"), hh(5)...)

	needs := func(e estate, yes, no int) survey {
		sv := c.createSurvey(map[string]any{"compoundId": e.ID, "title": e.Name + "需求调查", "kind": "NEEDS", "questions": []map[string]any{qWants}})
		c.transition(sv.ID, "open", "OPEN")
		for i := 0; i < yes+no; i++ {
			choice := "yes"
			if i >= yes {
				choice = "no"
			}
			c.submit(sv.ID, resp(e.hid(i), "DOOR_TO_DOOR", time.Time{}, ans("wants", choice)))
		}
		return sv
	}
	sx := needs(x, 1, 3) // willingness 1/4, participation 4/10
	sy := needs(y, 4, 0) // 1, 1
	sz := needs(z, 1, 1) // 1/2, 2/5

	type terms struct {
		e                                   estate
		survey                              string
		deficit, willingness, participation float64
	}
	score := func(tm terms) float64 { return 0.40*tm.deficit + 0.35*tm.willingness + 0.25*tm.participation }
	tx := terms{x, sx.ID, 1, 0.25, 0.4}  // 0.5875
	ty := terms{y, sy.ID, 1.0 / 3, 1, 1} // 0.7333…
	tz := terms{z, sz.ID, 0.5, 0.5, 0.4} // 0.475
	checkRanking := func(what string, r ranking, want ...terms) {
		t.Helper()
		got := ids(r.Entries, func(e rankingEntry) string { return e.CompoundName })
		names := ids(want, func(tm terms) string { return tm.e.Name })
		if strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("%s: ranking %v, want %v", what, got, names)
			return
		}
		for i, tm := range want {
			en := r.Entries[i]
			if en.Rank != i+1 || en.CompoundID != tm.e.ID || en.BuildYear != tm.e.BuildYear || en.SurveyID != tm.survey {
				t.Errorf("%s: entry %d = %+v, want rank %d of %s (%d) from survey %s", what, i, en, i+1, tm.e.ID, tm.e.BuildYear, tm.survey)
			}
			if !near(en.Deficit, tm.deficit) || !near(en.Willingness, tm.willingness) || !near(en.Participation, tm.participation) {
				t.Errorf("%s: %s terms deficit %v willingness %v participation %v, want %v %v %v",
					what, tm.e.Name, en.Deficit, en.Willingness, en.Participation, tm.deficit, tm.willingness, tm.participation)
			}
			if !near(en.Score, score(tm)) || !near(en.Score, 0.40*en.Deficit+0.35*en.Willingness+0.25*en.Participation) {
				t.Errorf("%s: %s score %v, want %v", what, tm.e.Name, en.Score, score(tm))
			}
		}
	}

	r := c.ranking("regionId=" + url.QueryEscape(rt.subdistrict.ID))
	if r.RegionID != rt.subdistrict.ID || !near(r.Weights.Deficit, 0.40) || !near(r.Weights.Willingness, 0.35) || !near(r.Weights.Participation, 0.25) {
		t.Errorf("ranking regionId %q weights %+v, want %s and 0.40/0.35/0.25", r.RegionID, r.Weights, rt.subdistrict.ID)
	}
	checkRanking("sub-district", r, ty, tx, tz)
	checkRanking("district", c.ranking("regionId="+url.QueryEscape(rt.district.ID)), ty, tx, tz)
	checkRanking("community 和平社区", c.ranking("regionId="+url.QueryEscape(rt.community.ID)), ty, tx)
	checkRanking("community 新华社区", c.ranking("regionId="+url.QueryEscape(rt.otherCommunity.ID)), tz)

	// Pages of two.
	p1 := c.ranking("regionId=" + url.QueryEscape(rt.subdistrict.ID) + "&pageSize=2")
	if len(p1.Entries) != 2 || p1.NextPageToken == "" {
		t.Errorf("first page of 2: %d entries, token %q", len(p1.Entries), p1.NextPageToken)
	} else {
		p2 := c.ranking("regionId=" + url.QueryEscape(rt.subdistrict.ID) + "&pageSize=2&pageToken=" + url.QueryEscape(p1.NextPageToken))
		if len(p2.Entries) != 1 || p2.Entries[0].CompoundID != z.ID || p2.Entries[0].Rank != 3 || p2.NextPageToken != "" {
			t.Errorf("second page of 2 = %+v, want 新华院坝 at rank 3 and no token", p2)
		}
	}

	t.Run("responses move the ranking", func(t *testing.T) {
		c := c.with(t)
		// 新华院坝's doubter changes its mind and the rest answer yes: willingness 1,
		// participation 1, score 0.2 + 0.35 + 0.25 = 0.8, ahead of 光华小区.
		for i := 1; i < 5; i++ {
			c.submit(sz.ID, resp(z.hid(i), "COURTYARD_MEETING", time.Time{}, ans("wants", "yes")))
		}
		tz := terms{z, sz.ID, 0.5, 1, 1}
		checkRanking("sub-district after more responses", c.ranking("regionId="+url.QueryEscape(rt.subdistrict.ID)), tz, ty, tx)
		checkRanking("community 新华社区 after more responses", c.ranking("regionId="+url.QueryEscape(rt.otherCommunity.ID)), tz)
	})

	t.Run("unknown region", func(t *testing.T) {
		c := c.with(t)
		st := c.failure(c.do("GET", "/v1/rankings?regionId=no-such-region", nil), http.StatusBadRequest, "ranking of an unknown region")
		if _, ok := st.violation("regionId"); !ok {
			t.Errorf("no field violation naming regionId: %s", st.Raw)
		}
		c.failure(c.do("GET", "/v1/rankings", nil), http.StatusBadRequest, "ranking without a region")
	})

	t.Run("participation counts the households of today, as the statistics do", func(t *testing.T) {
		c := c.with(t)
		sub := c.createRegion("府青路街道", "SUBDISTRICT", rt.district.ID)
		comm := c.createRegion("府青社区", "COMMUNITY", sub.ID)
		e := c.setupEstate(comm.ID, "府青小区", 1988, facilities("FAIR"), 50, 50, 50, 50)
		sv := needs(e, 2, 0)
		// Four more households are registered while the survey is open, and one more
		// household answers.
		c.addHouseholds(e, 4, 50, 50, 50, 50)
		c.submit(sv.ID, resp(e.hid(2), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")))
		st := c.surveyStats(sv.ID)
		if st.RespondedHouseholds != 3 || st.TotalHouseholds != 8 || !near(st.Participation, 3.0/8) {
			t.Fatalf("stats: %d of %d, participation %v; want 3 of 8, 0.375", st.RespondedHouseholds, st.TotalHouseholds, st.Participation)
		}
		r := c.ranking("regionId=" + url.QueryEscape(comm.ID))
		if len(r.Entries) != 1 {
			t.Fatalf("ranking of the community has %d entries, want 1", len(r.Entries))
		}
		if en := r.Entries[0]; !near(en.Participation, st.Participation) {
			t.Errorf("ranking participation %v, statistics participation %v of the same open survey; rule 4: responding households / all households (3/8)", en.Participation, st.Participation)
		}
	})

	t.Run("tie goes to the older compound", func(t *testing.T) {
		c := c.with(t)
		sub := c.createRegion("春熙路街道", "SUBDISTRICT", rt.district.ID)
		comm := c.createRegion("玉带桥社区", "COMMUNITY", sub.ID)
		// Same facilities, same answers; the younger one is registered first and its name
		// sorts first, so only the build year puts the other ahead.
		younger := c.setupEstate(comm.ID, "安居小区", 1992, facilities("POOR", "GOOD"), 50, 50)
		older := c.setupEstate(comm.ID, "幸福小区", 1981, facilities("GOOD", "POOR"), 70, 80)
		sy := needs(younger, 1, 0)
		so := needs(older, 1, 0)
		// deficit 1/2, willingness 1, participation 1/2: 0.2 + 0.35 + 0.125 = 0.675.
		r := c.ranking("regionId=" + url.QueryEscape(sub.ID))
		checkRanking("tie", r, terms{older, so.ID, 0.5, 1, 0.5}, terms{younger, sy.ID, 0.5, 1, 0.5})
		if len(r.Entries) == 2 && r.Entries[0].Score != r.Entries[1].Score {
			t.Errorf("equal terms give scores %v and %v, want equal", r.Entries[0].Score, r.Entries[1].Score)
		}
	})
}

// TestRefusalIsNotBadRequest: API.md answers a refused operation (FAILED_PRECONDITION with
// an ErrorInfo reason such as SURVEY_CLOSED) with 409 or 412, so that a web client can
// tell "the survey is closed" from "your input is malformed" (400) by the HTTP status.
func TestRefusalIsNotBadRequest(t *testing.T) {
	t.Parallel()
	c := startApp(t)
	rt := c.createRegionTree()
	e := c.setupEstate(rt.community.ID, "光华小区", 1985, nil, 50, 60)
	sv := c.createSurvey(map[string]any{"compoundId": e.ID, "title": "需求调查", "kind": "NEEDS", "questions": []map[string]any{qWants}})
	c.transition(sv.ID, "open", "OPEN")
	c.transition(sv.ID, "close", "CLOSED")
	for _, tc := range []struct {
		what, method, path string
		body               any
		reason             string
	}{
		{"a response to a CLOSED survey", "POST", path("/v1/surveys/%s/responses", sv.ID), resp(e.hid(0), "DOOR_TO_DOOR", time.Time{}, ans("wants", "yes")), "SURVEY_CLOSED"},
		{"PATCH questions of a CLOSED survey", "PATCH", path("/v1/surveys/%s", sv.ID), map[string]any{"questions": []map[string]any{qWants, qRemarks}}, "SURVEY_NOT_DRAFT"},
	} {
		r := c.do(tc.method, tc.path, tc.body)
		st := c.refused(r, tc.reason, tc.what)
		if r.status != http.StatusConflict && r.status != http.StatusPreconditionFailed {
			t.Errorf("%s: HTTP status %d for code %d reason %s; API.md answers refused operations 409/412, not 400", tc.what, r.status, st.Code, st.reason())
		}
	}
}
