package opinion

import (
	"math"
	"reflect"
	"testing"

	"tongdu/platform/fault"
)

// needsSurvey asks every type of question: wants (single, first), items (multi), rating
// (scale 1..5 by default), noise (scale 1..10), remarks (text).
func needsSurvey() *Survey {
	return &Survey{ID: "s1", Kind: Needs, State: Open, Questions: []Question{wantsQ, itemsQ, ratingQ, wideScaleQ, remarksQ}}
}

func resolutionSurvey(m Matter, st State) *Survey {
	return &Survey{ID: "r1", Kind: Resolution, Matter: m, State: st, Questions: []Question{voteQ, single("when", "spring", "autumn")}}
}

func choose(q string, options ...string) Answer { return Answer{QuestionID: q, OptionIDs: options} }

func TestCheckResponse(t *testing.T) {
	cases := []struct {
		name    string
		answers []Answer
		field   string // "" when the response is accepted
	}{
		{"every question answered in its own way", []Answer{choose("wants", "yes"), choose("items", "pipes", "lifts"), {QuestionID: "rating", Scale: 5}, {QuestionID: "noise", Scale: 10}, {QuestionID: "remarks", Text: "修好楼道灯"}}, ""},
		{"only the first question answered", []Answer{choose("wants", "no")}, ""},
		{"answers in any order", []Answer{{QuestionID: "rating", Scale: 1}, choose("wants", "yes")}, ""},
		{"the first question must be answered (it carries the survey's meaning)", []Answer{choose("items", "pipes")}, "response.answers"},
		{"no answers at all", nil, "response.answers"},
		{"an unknown question", []Answer{choose("wants", "yes"), choose("pets", "cat")}, "response.answers[1].questionId"},
		{"an unknown option", []Answer{choose("wants", "perhaps")}, "response.answers[0].optionIds[0]"},
		{"an unknown option among known ones", []Answer{choose("wants", "yes"), choose("items", "roads", "pool")}, "response.answers[1].optionIds[1]"},
		{"two options on a single-choice question", []Answer{choose("wants", "yes", "no")}, "response.answers[0].optionIds"},
		{"a choice question answered without options", []Answer{{QuestionID: "wants"}}, "response.answers[0].optionIds"},
		{"an option chosen twice", []Answer{choose("wants", "yes"), choose("items", "roads", "roads")}, "response.answers[1].optionIds[1]"},
		{"text on a choice question", []Answer{{QuestionID: "wants", OptionIDs: []string{"yes"}, Text: "yes please"}}, "response.answers[0]"},
		{"a scale on a choice question", []Answer{{QuestionID: "wants", OptionIDs: []string{"yes"}, Scale: 3}}, "response.answers[0]"},
		{"a scale below its default range 1..5", []Answer{choose("wants", "yes"), {QuestionID: "rating", Scale: 0}}, "response.answers[1].scale"},
		{"a scale above its default range 1..5", []Answer{choose("wants", "yes"), {QuestionID: "rating", Scale: 6}}, "response.answers[1].scale"},
		{"a scale at the bottom of its range", []Answer{choose("wants", "yes"), {QuestionID: "rating", Scale: 1}}, ""},
		{"a scale above a set range 1..10", []Answer{choose("wants", "yes"), {QuestionID: "noise", Scale: 11}}, "response.answers[1].scale"},
		{"a negative scale", []Answer{choose("wants", "yes"), {QuestionID: "noise", Scale: -1}}, "response.answers[1].scale"},
		{"options on a scale question", []Answer{choose("wants", "yes"), {QuestionID: "rating", Scale: 3, OptionIDs: []string{"yes"}}}, "response.answers[1]"},
		{"text on a scale question", []Answer{choose("wants", "yes"), {QuestionID: "rating", Scale: 3, Text: "ok"}}, "response.answers[1]"},
		{"an empty text answer", []Answer{choose("wants", "yes"), {QuestionID: "remarks"}}, "response.answers[1].text"},
		{"options on a text question", []Answer{choose("wants", "yes"), {QuestionID: "remarks", Text: "x", OptionIDs: []string{"yes"}}}, "response.answers[1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckResponse(needsSurvey(), &Response{HouseholdID: "h1", Answers: c.answers}, "response")
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantField(t, err, c.field)
		})
	}
}

func TestCheckResponseNamesTheResponseInTheRequest(t *testing.T) {
	err := CheckResponse(needsSurvey(), &Response{Answers: []Answer{choose("wants", "maybe")}}, "responses[3]")
	wantField(t, err, "responses[3].answers[0].optionIds[0]")
}

func TestCheckResponseListsEveryViolation(t *testing.T) {
	err := CheckResponse(needsSurvey(), &Response{Answers: []Answer{choose("items", "pool"), {QuestionID: "rating", Scale: 9}}}, "response")
	got := fields(err)
	want := []string{"response.answers[0].optionIds[0]", "response.answers[1].scale", "response.answers"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("violations %q, want %q", got, want)
	}
}

func TestScaleRangeDefaultsToOneToFive(t *testing.T) {
	if lo, hi := ratingQ.ScaleRange(); lo != 1 || hi != 5 {
		t.Fatalf("default range %d..%d", lo, hi)
	}
	if lo, hi := wideScaleQ.ScaleRange(); lo != 1 || hi != 10 {
		t.Fatalf("set range %d..%d", lo, hi)
	}
}

func deltas(ds []Delta) map[string]int64 {
	m := map[string]int64{}
	for _, d := range ds {
		m[d.Counter] += d.Amount
	}
	return m
}

func TestContribution(t *testing.T) {
	acceptance := &Survey{ID: "a1", Kind: Acceptance, Questions: []Question{verdictQ, ratingQ}}
	cases := []struct {
		name   string
		survey *Survey
		resp   Response
		want   map[string]int64
	}{
		{
			"a NEEDS response moves option, scale and willingness counters, never areas",
			needsSurvey(),
			Response{Area: 8523, Answers: []Answer{choose("wants", "yes"), choose("items", "pipes", "lifts"), {QuestionID: "rating", Scale: 4}, {QuestionID: "remarks", Text: "x"}}},
			map[string]int64{
				"responded": 1, "willing": 1,
				"q:wants:answered": 1, "q:wants:o:yes": 1,
				"q:items:answered": 1, "q:items:o:pipes": 1, "q:items:o:lifts": 1,
				"q:rating:answered": 1, "q:rating:scale-sum": 4,
				"q:remarks:answered": 1,
			},
		},
		{
			"a NEEDS household that does not want the renovation is not willing",
			needsSurvey(),
			Response{Area: 8523, Answers: []Answer{choose("wants", "no")}},
			map[string]int64{"responded": 1, "q:wants:answered": 1, "q:wants:o:no": 1},
		},
		{
			"an agreeing vote weighs its area (rule 3)",
			resolutionSurvey(Renovation, Open),
			Response{Area: 8523, Answers: []Answer{choose("vote", "agree"), choose("when", "spring")}},
			map[string]int64{
				"responded": 1, "willing": 1, "area": 8523,
				"q:vote:answered": 1, "q:vote:o:agree": 1, "q:vote:area:agree": 8523,
				"q:when:answered": 1, "q:when:o:spring": 1,
			},
		},
		{
			"an abstaining household has voted: its area counts in the turnout",
			resolutionSurvey(Renovation, Open),
			Response{Area: 6001, Answers: []Answer{choose("vote", "abstain")}},
			map[string]int64{"responded": 1, "area": 6001, "q:vote:answered": 1, "q:vote:o:abstain": 1, "q:vote:area:abstain": 6001},
		},
		{
			"a resolution response without the vote moves no area",
			resolutionSurvey(Renovation, Open),
			Response{Area: 6001, Answers: []Answer{choose("when", "autumn")}},
			map[string]int64{"responded": 1, "q:when:answered": 1, "q:when:o:autumn": 1},
		},
		{
			"an ACCEPTANCE verdict weighs its area",
			acceptance,
			Response{Area: 7000, Answers: []Answer{choose("verdict", "unsatisfied"), {QuestionID: "rating", Scale: 2}}},
			map[string]int64{
				"responded": 1, "area": 7000,
				"q:verdict:answered": 1, "q:verdict:o:unsatisfied": 1, "q:verdict:area:unsatisfied": 7000,
				"q:rating:answered": 1, "q:rating:scale-sum": 2,
			},
		},
		{
			"answers to unknown questions move nothing",
			needsSurvey(),
			Response{Answers: []Answer{choose("wants", "yes"), choose("pets", "cat")}},
			map[string]int64{"responded": 1, "willing": 1, "q:wants:answered": 1, "q:wants:o:yes": 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := Contribution(c.survey, &c.resp)
			if got := deltas(ds); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("contribution\n got %v\nwant %v", got, c.want)
			}
			for i := 1; i < len(ds); i++ {
				if ds[i-1].Counter > ds[i].Counter {
					t.Fatalf("deltas not sorted by counter: %v", ds)
				}
			}
		})
	}
}

func TestEncodeContribution(t *testing.T) {
	got := EncodeContribution([]Delta{{"area", 8523}, {"q:vote:o:agree", 1}, {"x", -2}})
	if got != "area=8523,q:vote:o:agree=1,x=-2" {
		t.Fatalf("encoded %q", got)
	}
	if EncodeContribution(nil) != "" {
		t.Fatal("empty contribution encodes to something")
	}
}

// The response script puts the household's area where the template says "@": the vote's
// area counters (rule 3), and nothing else.
func TestEncodeContributionTemplate(t *testing.T) {
	got := EncodeContributionTemplate([]Delta{{"area", 8523}, {"q:vote:area:agree", 8523}, {"q:vote:o:agree", 1}, {"q:area-q:o:x", 1}, {"x", -2}})
	if got != "area=@,q:vote:area:agree=@,q:vote:o:agree=1,q:area-q:o:x=1,x=-2" {
		t.Fatalf("template %q", got)
	}
}

func TestComputeStats(t *testing.T) {
	s := needsSurvey()
	tally := Tally{}
	for _, r := range []Response{
		{Answers: []Answer{choose("wants", "yes"), choose("items", "pipes", "roads"), {QuestionID: "rating", Scale: 5}}},
		{Answers: []Answer{choose("wants", "yes"), choose("items", "pipes"), {QuestionID: "rating", Scale: 2}}},
		{Answers: []Answer{choose("wants", "no")}},
		{Answers: []Answer{choose("wants", "yes"), {QuestionID: "remarks", Text: "电梯"}}},
	} {
		for _, d := range Contribution(s, &r) {
			tally[d.Counter] += d.Amount
		}
	}
	st := ComputeStats(s, tally, Electorate{Households: 10})
	if st.Responded != 4 || st.Total != 10 || st.Willing != 3 || st.Participation != 0.4 || st.Willingness != 0.75 {
		t.Fatalf("totals %+v", st)
	}
	if len(st.Questions) != 5 {
		t.Fatalf("%d question stats, want 5", len(st.Questions))
	}
	wants, items, rating, noise, remarks := st.Questions[0], st.Questions[1], st.Questions[2], st.Questions[3], st.Questions[4]
	if wants.Answered != 4 || wants.Options[0] != (OptionStats{"yes", "yes", 3, 0.75}) || wants.Options[1] != (OptionStats{"no", "no", 1, 0.25}) {
		t.Fatalf("wants %+v", wants)
	}
	// Shares of a multi-choice question are of those who answered it, and may add up to
	// more than 1; options nobody chose are listed with 0.
	if items.Answered != 2 || items.Options[0].Count != 2 || items.Options[0].Share != 1 || items.Options[1].Share != 0.5 || items.Options[2] != (OptionStats{"lifts", "lifts", 0, 0}) {
		t.Fatalf("items %+v", items)
	}
	if rating.Answered != 2 || rating.ScaleMean != 3.5 || rating.Options != nil {
		t.Fatalf("rating %+v", rating)
	}
	if noise.Answered != 0 || noise.ScaleMean != 0 {
		t.Fatalf("unanswered scale %+v", noise)
	}
	if remarks.Answered != 1 || remarks.Type != Text {
		t.Fatalf("remarks %+v", remarks)
	}
}

func TestComputeStatsOfNothingIsZeroNotNaN(t *testing.T) {
	st := ComputeStats(needsSurvey(), Tally{}, Electorate{})
	if st.Participation != 0 || st.Willingness != 0 || math.IsNaN(st.Questions[0].Options[0].Share) {
		t.Fatalf("empty stats %+v", st)
	}
}

func TestCheckResponseRefusesTwoAnswersToOneQuestion(t *testing.T) {
	// Contribution counts every answer, so a response answering the vote twice would
	// count its household (and area) twice in the turnout of rule 3. The contract refuses
	// it (response.question_ids_unique); the rule that guards the tally should too.
	s := resolutionSurvey(Renovation, Open)
	err := CheckResponse(s, &Response{Area: 5000, Answers: []Answer{choose("vote", "agree"), choose("vote", "agree")}}, "response")
	if !fault.IsKind(err, fault.Invalid) {
		t.Errorf("two answers to the vote accepted; they would count the household twice: %v",
			deltas(Contribution(s, &Response{Area: 5000, Answers: []Answer{choose("vote", "agree"), choose("vote", "agree")}})))
	}
}
