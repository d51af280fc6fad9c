package e2e

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// Helpers of the survey tests: a compound with its households, surveys and their
// statistics, resolutions, meetings, ideas and the ranking as the API shows them.

// estate is a compound with one building and its households, in the order registered.
type estate struct {
	compound
	buildingID string
	households []household
}

// hid returns the id of the i-th household.
func (e estate) hid(i int) string { return e.households[i].ID }

// setupEstate registers a compound under a community with one building and one household
// of each area given, in order. facilities may be nil.
func (c *client) setupEstate(communityID, name string, buildYear int, facilities []map[string]any, areas ...float64) estate {
	c.t.Helper()
	body := map[string]any{"name": name, "communityId": communityID, "address": name + " 1 号"}
	if buildYear != 0 {
		body["buildYear"] = buildYear
	}
	if facilities != nil {
		body["facilities"] = facilities
	}
	e := estate{compound: c.createCompound(body)}
	var b building
	c.call("POST", path("/v1/compounds/%s/buildings", e.ID), `{"name":"1号楼","unitCount":2,"floorCount":6}`, &b)
	e.buildingID = b.ID
	e.households = c.addHouseholds(e, 0, areas...)
	e.compound = c.getCompound(e.ID)
	if e.HouseholdCount != len(areas) {
		c.t.Fatalf("compound %s has %d households after registering %d", name, e.HouseholdCount, len(areas))
	}
	return e
}

// addHouseholds registers households of the given areas in the estate's building, in
// rooms numbered from 101+first.
func (c *client) addHouseholds(e estate, first int, areas ...float64) []household {
	c.t.Helper()
	if len(areas) == 0 {
		return nil
	}
	hs := make([]map[string]any, len(areas))
	for i, a := range areas {
		hs[i] = map[string]any{"buildingId": e.buildingID, "unit": "1", "room": fmt.Sprint(101 + first + i), "exclusiveAreaM2": a}
	}
	var out struct {
		Households []household `json:"households"`
	}
	c.call("POST", path("/v1/compounds/%s/households:batchCreate", e.ID), map[string]any{"households": hs}, &out)
	if len(out.Households) != len(areas) {
		c.t.Fatalf("batchCreate answered %d households, want %d", len(out.Households), len(areas))
	}
	return out.Households
}

func facilities(conditions ...string) []map[string]any {
	kinds := []string{"DRAINS", "ROADS", "LIGHTING", "WATER_PIPES", "ROOF_AND_WALLS"}
	out := make([]map[string]any, len(conditions))
	for i, cond := range conditions {
		out[i] = map[string]any{"kind": kinds[i], "condition": cond}
	}
	return out
}

type surveyOption struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type surveyQuestion struct {
	ID       string         `json:"id"`
	Text     string         `json:"text"`
	Type     string         `json:"type"`
	Options  []surveyOption `json:"options"`
	ScaleMin int            `json:"scaleMin"`
	ScaleMax int            `json:"scaleMax"`
}

type survey struct {
	ID                  string           `json:"id"`
	CompoundID          string           `json:"compoundId"`
	Title               string           `json:"title"`
	Kind                string           `json:"kind"`
	Matter              string           `json:"matter"`
	State               string           `json:"state"`
	Questions           []surveyQuestion `json:"questions"`
	RespondedHouseholds int              `json:"respondedHouseholds"`
	OpenTime            string           `json:"openTime"`
	CloseTime           string           `json:"closeTime"`
	Etag                string           `json:"etag"`
}

type optionStats struct {
	OptionID string  `json:"optionId"`
	Text     string  `json:"text"`
	Count    int     `json:"count"`
	Share    float64 `json:"share"`
}

type questionStats struct {
	QuestionID string        `json:"questionId"`
	Text       string        `json:"text"`
	Type       string        `json:"type"`
	Answered   int           `json:"answered"`
	Options    []optionStats `json:"options"`
	ScaleMean  float64       `json:"scaleMean"`
}

type surveyStats struct {
	SurveyID            string          `json:"surveyId"`
	Kind                string          `json:"kind"`
	State               string          `json:"state"`
	RespondedHouseholds int             `json:"respondedHouseholds"`
	TotalHouseholds     int             `json:"totalHouseholds"`
	Participation       float64         `json:"participation"`
	WillingHouseholds   int             `json:"willingHouseholds"`
	Willingness         float64         `json:"willingness"`
	Questions           []questionStats `json:"questions"`
}

// question returns the statistics of a question, or a zero value.
func (s surveyStats) question(id string) questionStats {
	for _, q := range s.Questions {
		if q.QuestionID == id {
			return q
		}
	}
	return questionStats{}
}

// counts returns the option counts of a question by option id.
func (s surveyStats) counts(q string) map[string]int {
	out := map[string]int{}
	for _, o := range s.question(q).Options {
		out[o.OptionID] = o.Count
	}
	return out
}

type surveyResponse struct {
	SurveyID    string `json:"surveyId"`
	HouseholdID string `json:"householdId"`
	Channel     string `json:"channel"`
	CollectorID string `json:"collectorId"`
	CollectedAt string `json:"collectedAt"`
	Answers     []struct {
		QuestionID string   `json:"questionId"`
		OptionIDs  []string `json:"optionIds"`
		Scale      int      `json:"scale"`
		Text       string   `json:"text"`
	} `json:"answers"`
}

type batchResult struct {
	HouseholdID string `json:"householdId"`
	Outcome     string `json:"outcome"`
}

type resolutionResult struct {
	SurveyID                  string   `json:"surveyId"`
	CompoundID                string   `json:"compoundId"`
	Matter                    string   `json:"matter"`
	SurveyState               string   `json:"surveyState"`
	Passed                    bool     `json:"passed"`
	TotalHouseholds           int      `json:"totalHouseholds"`
	TotalAreaM2               float64  `json:"totalAreaM2"`
	VotedHouseholds           int      `json:"votedHouseholds"`
	VotedAreaM2               float64  `json:"votedAreaM2"`
	AgreeHouseholds           int      `json:"agreeHouseholds"`
	AgreeAreaM2               float64  `json:"agreeAreaM2"`
	DisagreeHouseholds        int      `json:"disagreeHouseholds"`
	DisagreeAreaM2            float64  `json:"disagreeAreaM2"`
	AbstainHouseholds         int      `json:"abstainHouseholds"`
	AbstainAreaM2             float64  `json:"abstainAreaM2"`
	ParticipationByHouseholds float64  `json:"participationByHouseholds"`
	ParticipationByArea       float64  `json:"participationByArea"`
	ConsentByHouseholds       float64  `json:"consentByHouseholds"`
	ConsentByArea             float64  `json:"consentByArea"`
	ParticipationThreshold    float64  `json:"participationThreshold"`
	ConsentThreshold          float64  `json:"consentThreshold"`
	ConsentStrict             bool     `json:"consentStrict"`
	ParticipationMet          bool     `json:"participationMet"`
	ConsentMet                bool     `json:"consentMet"`
	Frozen                    bool     `json:"frozen"`
	Reasons                   []string `json:"reasons"`
}

type meeting struct {
	ID                   string   `json:"id"`
	CompoundID           string   `json:"compoundId"`
	Title                string   `json:"title"`
	Place                string   `json:"place"`
	HeldAt               string   `json:"heldAt"`
	AttendeeHouseholdIDs []string `json:"attendeeHouseholdIds"`
	Topics               []string `json:"topics"`
	Minutes              string   `json:"minutes"`
	Decisions            []string `json:"decisions"`
	State                string   `json:"state"`
	CloseTime            string   `json:"closeTime"`
}

type idea struct {
	ID            string `json:"id"`
	CompoundID    string `json:"compoundId"`
	HouseholdID   string `json:"householdId"`
	Text          string `json:"text"`
	Category      string `json:"category"`
	Endorsements  int    `json:"endorsements"`
	Status        string `json:"status"`
	AdoptRemarks  string `json:"adoptRemarks"`
	DeclineReason string `json:"declineReason"`
}

type ideaList struct {
	Ideas         []idea `json:"ideas"`
	NextPageToken string `json:"nextPageToken"`
}

type rankingEntry struct {
	Rank          int     `json:"rank"`
	CompoundID    string  `json:"compoundId"`
	CompoundName  string  `json:"compoundName"`
	BuildYear     int     `json:"buildYear"`
	Score         float64 `json:"score"`
	Deficit       float64 `json:"deficit"`
	Willingness   float64 `json:"willingness"`
	Participation float64 `json:"participation"`
	SurveyID      string  `json:"surveyId"`
}

type ranking struct {
	RegionID string `json:"regionId"`
	Weights  struct {
		Deficit       float64 `json:"deficit"`
		Willingness   float64 `json:"willingness"`
		Participation float64 `json:"participation"`
	} `json:"weights"`
	Entries       []rankingEntry `json:"entries"`
	NextPageToken string         `json:"nextPageToken"`
}

// createSurvey posts a survey (the JSON body is the survey itself).
func (c *client) createSurvey(body map[string]any) survey {
	c.t.Helper()
	var s survey
	c.call("POST", "/v1/surveys", body, &s)
	if s.ID == "" || s.State != "DRAFT" {
		c.t.Fatalf("created survey %+v, want an id and state DRAFT", s)
	}
	return s
}

// transition calls :open or :close and checks the state reached.
func (c *client) transition(id, verb, want string) survey {
	c.t.Helper()
	var s survey
	c.call("POST", path("/v1/surveys/%s:"+verb, id), `{}`, &s)
	if s.State != want {
		c.t.Fatalf("survey after :%s is %s, want %s", verb, s.State, want)
	}
	return s
}

func (c *client) surveyStats(id string) surveyStats {
	c.t.Helper()
	var s surveyStats
	c.call("GET", path("/v1/surveys/%s/stats", id), nil, &s)
	return s
}

func (c *client) resolution(id string) resolutionResult {
	c.t.Helper()
	var r resolutionResult
	c.call("GET", path("/v1/surveys/%s/resolution", id), nil, &r)
	return r
}

// listIdeas decodes into a fresh list: an empty list is left out of the JSON, and
// decoding into a used one would keep its old ideas.
func (c *client) listIdeas(path string) ideaList {
	c.t.Helper()
	var l ideaList
	c.call("GET", path, nil, &l)
	return l
}

func (c *client) ranking(query string) ranking {
	c.t.Helper()
	var r ranking
	c.call("GET", "/v1/rankings?"+query, nil, &r)
	return r
}

// ans is one answer: choice options, a scale (0: none) or text.
func ans(question string, options ...string) map[string]any {
	a := map[string]any{"questionId": question}
	if len(options) > 0 {
		a["optionIds"] = options
	}
	return a
}

func scaleAns(question string, v int) map[string]any {
	return map[string]any{"questionId": question, "scale": v}
}

func textAns(question, text string) map[string]any {
	return map[string]any{"questionId": question, "text": text}
}

// resp is a response of a household as a collector sends it; a zero at means "now".
func resp(householdID, channel string, at time.Time, answers ...map[string]any) map[string]any {
	r := map[string]any{"householdId": householdID, "channel": channel, "answers": answers}
	if channel != "ONLINE" {
		r["collectorId"] = "grid-worker-07"
	}
	if !at.IsZero() {
		r["collectedAt"] = at.UTC().Format(time.RFC3339Nano)
	}
	return r
}

// submit posts one response that must be accepted.
func (c *client) submit(surveyID string, r map[string]any) surveyResponse {
	c.t.Helper()
	var out surveyResponse
	c.call("POST", path("/v1/surveys/%s/responses", surveyID), r, &out)
	return out
}

// vote submits a household's vote on a resolution's first question "vote".
func (c *client) vote(surveyID, householdID, choice string) {
	c.t.Helper()
	c.submit(surveyID, resp(householdID, "DOOR_TO_DOOR", time.Time{}, ans("vote", choice)))
}

// refused checks a refused operation: a google.rpc.Status with code FAILED_PRECONDITION
// and the ErrorInfo reason. API.md answers refusals 409/412; the gateway's 400 is
// accepted here so that the code and reason are checked everywhere, and
// TestRefusalIsNotBadRequest checks the HTTP status once.
func (c *client) refused(r response, reason, what string) apiStatus {
	c.t.Helper()
	if r.status != http.StatusBadRequest && r.status != http.StatusConflict && r.status != http.StatusPreconditionFailed {
		c.t.Fatalf("%s: status %d, want 409/412 (or 400) with FAILED_PRECONDITION and reason %s; body %s", what, r.status, reason, r.body)
	}
	st := c.failure(r, r.status, what)
	if st.Code != 9 {
		c.t.Errorf("%s: code %d, want 9 (FAILED_PRECONDITION): %s", what, st.Code, st.Raw)
	}
	if got := st.reason(); got != reason {
		c.t.Errorf("%s: ErrorInfo reason %q, want %s: %s", what, got, reason, st.Raw)
	}
	return st
}

// violationLike returns the first BadRequest field violation whose field contains part
// ("response.answers[0].optionIds[1]" is like "optionIds").
func (st apiStatus) violationLike(part string) (string, bool) {
	for _, d := range st.Details {
		if d.Type != badRequestType {
			continue
		}
		for _, v := range d.FieldViolations {
			if strings.Contains(v.Field, part) {
				return v.Field, true
			}
		}
	}
	return "", false
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6 }
