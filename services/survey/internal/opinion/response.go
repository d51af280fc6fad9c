package opinion

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"tongdu/platform/fault"
)

// Outcome is what became of a submitted response under rule 2 (one response per
// household, the latest collection wins); the contract uses the same numbers.
type Outcome int

const (
	// Recorded: the household's first response.
	Recorded Outcome = iota + 1
	// Replaced: a newer collection replaced the household's earlier response.
	Replaced
	// IgnoredOlder: an older collection arrived late; the newer response stays.
	IgnoredOlder
)

// Channel is how a response was collected.
type Channel int

const (
	ChannelUnspecified Channel = iota
	DoorToDoor
	Phone
	CourtyardMeeting
	Online
)

// Answer is a household's answer to one question.
type Answer struct {
	QuestionID string   `json:"questionId"`
	OptionIDs  []string `json:"optionIds,omitempty"`
	Scale      int      `json:"scale,omitempty"`
	Text       string   `json:"text,omitempty"`
}

// Response is one household's answers to a survey (rule 2: at most one per household).
// Area is the household's exclusive area (hundredths of m²) when it answered, which
// weighs its vote in a resolution.
type Response struct {
	SurveyID    string    `json:"surveyId"`
	HouseholdID string    `json:"householdId"`
	Channel     Channel   `json:"channel"`
	CollectorID string    `json:"collectorId,omitempty"`
	CollectedAt time.Time `json:"collectedAt"`
	Answers     []Answer  `json:"answers"`
	SubmitTime  time.Time `json:"submitTime"`
	Area        int64     `json:"area"`
	// Account is the signed-in account that entered the response (rule 16: who acts):
	// its token's subject, "households/ID" for a resident answering ONLINE, never taken
	// from the request. CollectorID stays a note of who collected it on paper. Responses
	// stored before it was kept decode with it empty.
	Account string `json:"account,omitempty"`
}

// CheckResponse refuses answers the survey cannot count: unknown questions or options,
// several options on a single-choice question, a scale outside its range, text where a
// choice is asked, and a missing answer to the first question (the one that carries the
// survey's meaning). field names the response in the request ("response",
// "responses[3]").
func CheckResponse(s *Survey, r *Response, field string) error {
	var vs []fault.Violation
	byID := make(map[string]*Question, len(s.Questions))
	for i := range s.Questions {
		byID[s.Questions[i].ID] = &s.Questions[i]
	}
	answeredFirst := false
	answered := make(map[string]bool, len(r.Answers))
	for i, a := range r.Answers {
		f := fmt.Sprintf("%s.answers[%d]", field, i)
		q, ok := byID[a.QuestionID]
		if !ok {
			vs = append(vs, violation(f+".questionId", fmt.Sprintf("survey has no question %q", a.QuestionID)))
			continue
		}
		if answered[q.ID] {
			// Two answers would count the household twice in the statistics.
			vs = append(vs, violation(f+".questionId", fmt.Sprintf("question %q is answered twice", q.ID)))
			continue
		}
		answered[q.ID] = true
		if len(s.Questions) > 0 && q.ID == s.Questions[0].ID {
			answeredFirst = true
		}
		switch q.Type {
		case SingleChoice, MultiChoice:
			if len(a.OptionIDs) == 0 {
				vs = append(vs, violation(f+".optionIds", fmt.Sprintf("question %q is answered by choosing options", q.ID)))
			}
			if q.Type == SingleChoice && len(a.OptionIDs) > 1 {
				vs = append(vs, violation(f+".optionIds", fmt.Sprintf("question %q takes one option, got %d", q.ID, len(a.OptionIDs))))
			}
			seen := map[string]bool{}
			for j, o := range a.OptionIDs {
				if _, ok := q.option(o); !ok {
					vs = append(vs, violation(fmt.Sprintf("%s.optionIds[%d]", f, j), fmt.Sprintf("question %q has no option %q", q.ID, o)))
				}
				if seen[o] {
					vs = append(vs, violation(fmt.Sprintf("%s.optionIds[%d]", f, j), "option chosen twice"))
				}
				seen[o] = true
			}
			if a.Scale != 0 || a.Text != "" {
				vs = append(vs, violation(f, fmt.Sprintf("question %q takes options only", q.ID)))
			}
		case Scale:
			lo, hi := q.ScaleRange()
			if a.Scale < lo || a.Scale > hi {
				vs = append(vs, violation(f+".scale", fmt.Sprintf("question %q is answered from %d to %d", q.ID, lo, hi)))
			}
			if len(a.OptionIDs) > 0 || a.Text != "" {
				vs = append(vs, violation(f, fmt.Sprintf("question %q takes a scale only", q.ID)))
			}
		case Text:
			if a.Text == "" {
				vs = append(vs, violation(f+".text", fmt.Sprintf("question %q is answered in text", q.ID)))
			}
			if len(a.OptionIDs) > 0 || a.Scale != 0 {
				vs = append(vs, violation(f, fmt.Sprintf("question %q takes text only", q.ID)))
			}
		}
	}
	if !answeredFirst && len(s.Questions) > 0 {
		vs = append(vs, violation(field+".answers", fmt.Sprintf("the first question %q must be answered", s.Questions[0].ID)))
	}
	if len(vs) > 0 {
		return fault.Fields(vs...)
	}
	return nil
}

// Counter names, kept in one tally per survey. A response adds to the counters below;
// replacing it subtracts its old contribution and adds the new one, in one atomic step.
const (
	CounterResponded = "responded"
	CounterWilling   = "willing"
	// CounterVotedArea sums the area of households that answered the first question.
	CounterVotedArea = "area"
)

func counterAnswered(q string) string      { return "q:" + q + ":answered" }
func counterOption(q, o string) string     { return "q:" + q + ":o:" + o }
func counterOptionArea(q, o string) string { return "q:" + q + ":area:" + o }
func counterScaleSum(q string) string      { return "q:" + q + ":scale-sum" }

// Delta is an amount a response adds to one counter.
type Delta struct {
	Counter string
	Amount  int64
}

// Contribution lists what a response adds to its survey's tally. Areas are only counted
// for the first question (the vote) of resolutions and acceptance surveys, where rule 3
// (turnout and consent by households and by area) weighs them.
func Contribution(s *Survey, r *Response) []Delta {
	ds := []Delta{{CounterResponded, 1}}
	for _, a := range r.Answers {
		q := s.question(a.QuestionID)
		if q == nil {
			continue
		}
		first := q.ID == s.Questions[0].ID
		ds = append(ds, Delta{counterAnswered(q.ID), 1})
		switch q.Type {
		case SingleChoice, MultiChoice:
			for _, o := range a.OptionIDs {
				ds = append(ds, Delta{counterOption(q.ID, o), 1})
				if first && s.Kind != Needs {
					ds = append(ds, Delta{counterOptionArea(q.ID, o), r.Area})
				}
			}
			if first && len(a.OptionIDs) > 0 && a.OptionIDs[0] == q.Options[0].ID {
				ds = append(ds, Delta{CounterWilling, 1})
			}
			if first && s.Kind != Needs {
				ds = append(ds, Delta{CounterVotedArea, r.Area})
			}
		case Scale:
			ds = append(ds, Delta{counterScaleSum(q.ID), int64(a.Scale)})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Counter < ds[j].Counter })
	return ds
}

func (s *Survey) question(id string) *Question {
	for i := range s.Questions {
		if s.Questions[i].ID == id {
			return &s.Questions[i]
		}
	}
	return nil
}

// Tally is a survey's counters as stored.
type Tally map[string]int64

// OptionStats is how many households chose an option, and their share of those who
// answered the question.
type OptionStats struct {
	OptionID string
	Text     string
	Count    int64
	Share    float64
}

// QuestionStats are the statistics of one question.
type QuestionStats struct {
	QuestionID string
	Text       string
	Type       QuestionType
	Answered   int64
	Options    []OptionStats
	ScaleMean  float64
}

// Stats are a survey's statistics (民意调查统计表).
type Stats struct {
	Responded     int64
	Total         int64
	Participation float64
	Willing       int64
	Willingness   float64
	Questions     []QuestionStats
}

// ComputeStats reads the statistics off the tally: its cost depends on the number of
// questions and options, never on the number of responses.
func ComputeStats(s *Survey, t Tally, e Electorate) Stats {
	st := Stats{Responded: t[CounterResponded], Total: int64(e.Households), Willing: t[CounterWilling]}
	st.Participation = ratio(st.Responded, st.Total)
	st.Willingness = ratio(st.Willing, st.Responded)
	for _, q := range s.Questions {
		qs := QuestionStats{QuestionID: q.ID, Text: q.Text, Type: q.Type, Answered: t[counterAnswered(q.ID)]}
		for _, o := range q.Options {
			n := t[counterOption(q.ID, o.ID)]
			qs.Options = append(qs.Options, OptionStats{OptionID: o.ID, Text: o.Text, Count: n, Share: ratio(n, qs.Answered)})
		}
		if q.Type == Scale && qs.Answered > 0 {
			qs.ScaleMean = float64(t[counterScaleSum(q.ID)]) / float64(qs.Answered)
		}
		st.Questions = append(st.Questions, qs)
	}
	return st
}

func ratio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// CollectedKey writes a collection time so that comparing keys as strings compares the
// times to the nanosecond (rule 2: the later collection wins), for any year 1 to 9999.
func CollectedKey(t time.Time) string {
	return fmt.Sprintf("%012d%09d", t.Unix()+62135596800, t.Nanosecond())
}

// EncodeContributionTemplate is EncodeContribution with "@" for the amounts that are the
// household's area (the area counters of rule 3's vote), for the response script, which
// reads the area from the survey's own copy of its compound's households.
func EncodeContributionTemplate(ds []Delta) string { return encodeContribution(ds, true) }

// isAreaCounter tells the counters whose amount is the household's area; question and
// option ids are letters, digits, '_' and '-', so ":area:" occurs in no other name.
func isAreaCounter(c string) bool {
	return c == CounterVotedArea || strings.Contains(c, ":area:")
}

// UnknownHouseholds names households of a request that the survey's copy of its
// compound's households does not hold: new to it, or of another compound. The survey
// service then asks governance about them, once.
type UnknownHouseholds struct{ IDs []string }

func (e *UnknownHouseholds) Error() string {
	return fmt.Sprintf("%d households not known in the compound: %s", len(e.IDs), strings.Join(e.IDs, ", "))
}

// EncodeContribution writes deltas as "counter=amount,..." for the tally script.
func EncodeContribution(ds []Delta) string { return encodeContribution(ds, false) }

func encodeContribution(ds []Delta, areaMarked bool) string {
	b := make([]byte, 0, 32*len(ds))
	for i, d := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d.Counter...)
		b = append(b, '=')
		if areaMarked && isAreaCounter(d.Counter) {
			b = append(b, '@')
		} else {
			b = strconv.AppendInt(b, d.Amount, 10)
		}
	}
	return string(b)
}
