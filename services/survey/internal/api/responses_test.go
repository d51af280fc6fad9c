package api_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"tongdu/platform/auth"
	"tongdu/platform/events"
	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// stored returns a household's stored response, or nil.
func (e *env) stored(t *testing.T, sid, h string) *pb.Response {
	t.Helper()
	resp := testkit.Must[*pb.ListResponsesResponse](t)(e.ListResponses(bg, &pb.ListResponsesRequest{SurveyId: sid, PageSize: 1000}))
	for _, r := range resp.Responses {
		if r.HouseholdId == h {
			return r
		}
	}
	return nil
}

func TestSubmitResponseRefusesAHouseholdOutsideTheCompound(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c1, c2 := e.compound(t, "幸福里", tr.comA.Id, 1985), e.compound(t, "光明里", tr.comB.Id, 1990)
	e.households(t, c1.Id, 6000, 7000)
	other := e.households(t, c2.Id, 8000)
	sv := e.open(t, c1.Id, pb.Survey_NEEDS, 0)

	for name, h := range map[string]string{"a household of another compound": other[0], "an unknown household": "no-such-household"} {
		t.Run(name, func(t *testing.T) {
			_, err := e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: response(h, answer("wants", "yes"))})
			testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
			_, err = e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: []*pb.Response{response(h, answer("wants", "yes"))}})
			testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
			if st := e.stats(t, sv.Id); st.RespondedHouseholds != 0 {
				t.Fatalf("stats moved: %v", st)
			}
		})
	}
}

func TestSubmitResponseNeedsAnOpenSurvey(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000)

	draft := e.draft(t, c.Id, pb.Survey_NEEDS, 0)
	_, err := e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: draft.Id, Response: response(hs[0], answer("wants", "yes"))})
	testkit.WantReason(t, err, codes.FailedPrecondition, "SURVEY_NOT_OPEN")
	if st := e.stats(t, draft.Id); st.RespondedHouseholds != 0 {
		t.Fatalf("a DRAFT took a response: %v", st)
	}

	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	e.submit(t, sv.Id, response(hs[0], answer("wants", "yes")))
	e.close(t, sv.Id)
	before := e.stats(t, sv.Id)
	_, err = e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: response(hs[1], answer("wants", "no"))})
	testkit.WantReason(t, err, codes.FailedPrecondition, "SURVEY_CLOSED")
	_, err = e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: []*pb.Response{response(hs[0], answer("wants", "no"))}})
	testkit.WantReason(t, err, codes.FailedPrecondition, "SURVEY_CLOSED")
	if after := e.stats(t, sv.Id); !proto.Equal(before, after) {
		t.Fatalf("a CLOSED survey's stats moved:\n%v\n%v", before, after)
	}

	_, err = e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: "no-such-survey", Response: response(hs[0], answer("wants", "yes"))})
	testkit.WantStatus(t, err, codes.NotFound)
}

// TestASurveyClosedElsewhereTakesNoMoreResponses: this process remembers an OPEN survey's
// definition for the responses that follow, but a close by another replica (here, written
// to the store behind this server's back) still refuses the next response at once: the
// response script checks the state in the same step as the write (rule 2: a CLOSED survey
// takes no responses).
func TestASurveyClosedElsewhereTakesNoMoreResponses(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	e.submit(t, sv.Id, response(hs[0], answer("wants", "yes")))

	stored, err := e.store.GetSurvey(bg, sv.Id)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := opinion.CloseSurvey(*stored, opinion.Electorate{Households: 2, Area: 13000}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.UpdateSurvey(bg, closed); err != nil {
		t.Fatal(err)
	}
	before := e.stats(t, sv.Id)
	_, err = e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: response(hs[1], answer("wants", "no"))})
	testkit.WantReason(t, err, codes.FailedPrecondition, "SURVEY_CLOSED")
	if after := e.stats(t, sv.Id); !proto.Equal(before, after) || after.RespondedHouseholds != 1 {
		t.Fatalf("a survey closed elsewhere took a response:\n%v\n%v", before, after)
	}
}

func TestBadResponsesAreRefusedWithTheFieldAndChangeNothing(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000, 8000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	first := time.Now().Add(-time.Hour).Truncate(time.Second)
	e.submit(t, sv.Id, at(response(hs[0], answer("wants", "yes"), answer("items", "pipes")), first))
	before := e.stats(t, sv.Id)
	beforeStored := e.stored(t, sv.Id, hs[0])

	cases := []struct {
		name    string
		answers []*pb.Answer
		edit    func(*pb.Response)
		field   string // "" when any INVALID_ARGUMENT will do
	}{
		{"an unknown question", []*pb.Answer{answer("wants", "yes"), answer("pets", "cat")}, nil, "response.answers[1].questionId"},
		{"an unknown option", []*pb.Answer{answer("wants", "perhaps")}, nil, "response.answers[0].optionIds[0]"},
		{"two options on a single-choice question", []*pb.Answer{answer("wants", "yes", "no")}, nil, "response.answers[0].optionIds"},
		{"a scale above its range 1..5", []*pb.Answer{answer("wants", "yes"), {QuestionId: "rating", Scale: 6}}, nil, "response.answers[1].scale"},
		{"a scale beyond what the contract allows", []*pb.Answer{answer("wants", "yes"), {QuestionId: "rating", Scale: 11}}, nil, "response.answers[1].scale"},
		{"the first question unanswered", []*pb.Answer{answer("items", "roads")}, nil, "response.answers"},
		{"text on a choice question", []*pb.Answer{{QuestionId: "wants", OptionIds: []string{"no"}, Text: "不想"}}, nil, "response.answers[0]"},
		{"a scale on a text question", []*pb.Answer{answer("wants", "no"), {QuestionId: "remarks", Scale: 2}}, nil, "response.answers[1]"},
		{"two answers to the single-choice question", []*pb.Answer{answer("wants", "no"), answer("wants", "no")}, nil, ""},
		{"no channel", []*pb.Answer{answer("wants", "no")}, func(r *pb.Response) { r.Channel = pb.Response_CHANNEL_UNSPECIFIED }, "response.channel"},
		{"a collection in the future", []*pb.Answer{answer("wants", "no")}, func(r *pb.Response) { at(r, time.Now().Add(24*time.Hour)) }, "response.collectedAt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := at(response(hs[0], c.answers...), first.Add(time.Minute))
			if c.edit != nil {
				c.edit(r)
			}
			_, err := e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: r})
			if c.field == "" {
				testkit.WantStatus(t, err, codes.InvalidArgument)
			} else {
				testkit.WantViolation(t, err, c.field)
			}
			// The same response in a batch is named by its place in the batch.
			ok := response(hs[1], answer("wants", "yes"))
			_, err = e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: []*pb.Response{ok, r}})
			if c.field == "" {
				testkit.WantStatus(t, err, codes.InvalidArgument)
			} else {
				testkit.WantViolation(t, err, "responses[1]"+c.field[len("response"):])
			}
			if after := e.stats(t, sv.Id); !proto.Equal(before, after) {
				t.Fatalf("stats moved:\n%v\n%v", before, after)
			}
			if got := e.stored(t, sv.Id, hs[0]); !proto.Equal(got, beforeStored) {
				t.Fatalf("stored response changed:\n%v\n%v", beforeStored, got)
			}
			if got := e.stored(t, sv.Id, hs[1]); got != nil {
				t.Fatalf("the good response of the refused batch was recorded: %v", got)
			}
		})
	}
}

func TestAReplacedResponseMovesTheStatistics(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000, 8000, 9000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)

	e.submit(t, sv.Id, at(response(hs[0], answer("wants", "yes"), answer("items", "pipes", "roads"), &pb.Answer{QuestionId: "rating", Scale: 2}), t0))
	e.submit(t, sv.Id, at(response(hs[1], answer("wants", "yes"), &pb.Answer{QuestionId: "remarks", Text: "楼道太暗"}), t0))
	st := e.stats(t, sv.Id)
	if st.RespondedHouseholds != 2 || st.TotalHouseholds != 4 || st.Participation != 0.5 || st.WillingHouseholds != 2 || st.Willingness != 1 {
		t.Fatalf("stats %v", st)
	}

	// A newer collection of household 0 replaces its response: the counters move with it.
	e.submit(t, sv.Id, at(response(hs[0], answer("wants", "no"), answer("items", "lights"), &pb.Answer{QuestionId: "rating", Scale: 4}), t0.Add(time.Minute)))
	st = e.stats(t, sv.Id)
	if st.RespondedHouseholds != 2 || st.WillingHouseholds != 1 || st.Willingness != 0.5 {
		t.Fatalf("after replacement: %v", st)
	}
	items := st.Questions[1]
	counts := map[string]int32{}
	for _, o := range items.Options {
		counts[o.OptionId] = o.Count
	}
	if items.Answered != 1 || !reflect.DeepEqual(counts, map[string]int32{"pipes": 0, "roads": 0, "lights": 1, "lifts": 0}) {
		t.Fatalf("items after replacement: %v", items)
	}
	if st.Questions[2].ScaleMean != 4 {
		t.Fatalf("rating after replacement: %v", st.Questions[2])
	}

	// An older collection arriving late leaves the newer one, and says so by returning it.
	got := e.submit(t, sv.Id, at(response(hs[0], answer("wants", "yes")), t0.Add(30*time.Second)))
	if got.Answers[0].OptionIds[0] != "no" || !got.CollectedAt.AsTime().Equal(t0.Add(time.Minute)) {
		t.Fatalf("late older collection answered with %v", got)
	}
	if after := e.stats(t, sv.Id); !proto.Equal(after, st) {
		t.Fatalf("an older collection moved the stats:\n%v\n%v", st, after)
	}
	if g := testkit.Must[*pb.Survey](t)(e.GetSurvey(bg, &pb.GetSurveyRequest{Id: sv.Id})); g.RespondedHouseholds != 2 {
		t.Fatalf("survey shows %d responded", g.RespondedHouseholds)
	}
}

// TestABatchOfAThousandIsAllOrNone: 1,000 responses collected offline are recorded
// together or, if one is refused, not at all.
func TestABatchOfAThousandIsAllOrNone(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	stranger := e.households(t, e.compound(t, "光明里", tr.comB.Id, 1990).Id, 6000)[0]
	areas := make([]int64, 1000)
	for i := range areas {
		areas[i] = int64(4500 + (i*7919)%7600)
	}
	hs := e.households(t, c.Id, areas...)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	collected := time.Now().Add(-time.Hour).Truncate(time.Second)
	batch := func() []*pb.Response {
		out := make([]*pb.Response, len(hs))
		for i, h := range hs {
			choice := "yes"
			if i%4 == 0 {
				choice = "no"
			}
			out[i] = at(response(h, answer("wants", choice)), collected)
		}
		return out
	}
	empty := e.stats(t, sv.Id)

	t.Run("one unknown option refuses the batch", func(t *testing.T) {
		rs := batch()
		rs[537].Answers[0].OptionIds = []string{"maybe"}
		_, err := e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: rs})
		testkit.WantViolation(t, err, "responses[537].answers[0].optionIds[0]")
		if st := e.stats(t, sv.Id); !proto.Equal(st, empty) {
			t.Fatalf("stats moved: %v", st)
		}
	})
	t.Run("one household of another compound refuses the batch", func(t *testing.T) {
		rs := batch()
		rs[999].HouseholdId = stranger
		_, err := e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: rs})
		testkit.WantReason(t, err, codes.FailedPrecondition, "HOUSEHOLD_NOT_IN_COMPOUND")
		if st := e.stats(t, sv.Id); !proto.Equal(st, empty) {
			t.Fatalf("stats moved: %v", st)
		}
		if r := e.stored(t, sv.Id, hs[0]); r != nil {
			t.Fatalf("recorded %v", r)
		}
	})
	t.Run("a good batch is recorded whole", func(t *testing.T) {
		resp := testkit.Must[*pb.BatchSubmitResponsesResponse](t)(e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: batch()}))
		if len(resp.Results) != 1000 {
			t.Fatalf("%d results", len(resp.Results))
		}
		for i, r := range resp.Results {
			if r.HouseholdId != hs[i] || r.Outcome != pb.BatchSubmitResponsesResponse_Result_RECORDED {
				t.Fatalf("result %d: %v", i, r)
			}
		}
		st := e.stats(t, sv.Id)
		if st.RespondedHouseholds != 1000 || st.TotalHouseholds != 1000 || st.Participation != 1 || st.WillingHouseholds != 750 || st.Willingness != 0.75 {
			t.Fatalf("stats %v", st)
		}
	})
	t.Run("the same batch collected earlier is ignored, response by response", func(t *testing.T) {
		before := e.stats(t, sv.Id)
		rs := batch()
		for _, r := range rs {
			r.Answers[0].OptionIds = []string{"no"}
			at(r, collected.Add(-time.Minute))
		}
		resp := testkit.Must[*pb.BatchSubmitResponsesResponse](t)(e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, Responses: rs}))
		for i, r := range resp.Results {
			if r.Outcome != pb.BatchSubmitResponsesResponse_Result_IGNORED_OLDER {
				t.Fatalf("result %d: %v", i, r)
			}
		}
		if after := e.stats(t, sv.Id); !proto.Equal(before, after) {
			t.Fatalf("stats moved:\n%v\n%v", before, after)
		}
	})
}

// TestConcurrentSubmissionsThroughTheAPI: many clients submit and replace responses of
// 200 households at once; the statistics then equal a recount of the stored responses.
func TestConcurrentSubmissionsThroughTheAPI(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	areas := make([]int64, 200)
	for i := range areas {
		areas[i] = int64(5000 + 37*i)
	}
	hs := e.households(t, c.Id, areas...)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Second)

	const clients, calls = 8, 40
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < calls; i++ {
				r := response(hs[rng.IntN(len(hs))], answer("wants", []string{"yes", "no"}[rng.IntN(2)]))
				if rng.IntN(2) == 0 {
					r.Answers = append(r.Answers, answer("items", []string{"pipes", "roads", "lights"}[:1+rng.IntN(3)]...))
				}
				if rng.IntN(2) == 0 {
					r.Answers = append(r.Answers, &pb.Answer{QuestionId: "rating", Scale: int32(1 + rng.IntN(5))})
				}
				at(r, base.Add(time.Duration(rng.IntN(3600))*time.Second))
				if _, err := e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: r}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()

	stored, err := e.store.GetSurvey(bg, sv.Id)
	if err != nil {
		t.Fatal(err)
	}
	recount, err := e.store.Recount(bg, stored)
	if err != nil {
		t.Fatal(err)
	}
	tally, err := e.store.Tally(bg, sv.Id)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range tally {
		if v != recount[k] {
			t.Fatalf("counter %s: tally %d, recount %d", k, v, recount[k])
		}
	}
	for k, v := range recount {
		if v != tally[k] {
			t.Fatalf("counter %s: tally %d, recount %d", k, tally[k], v)
		}
	}
	want := opinion.ComputeStats(stored, recount, opinion.Electorate{Households: 200})
	got := e.stats(t, sv.Id)
	if int64(got.RespondedHouseholds) != want.Responded || int64(got.WillingHouseholds) != want.Willing || got.Questions[2].ScaleMean != want.Questions[2].ScaleMean {
		t.Fatalf("stats %v, recount says %+v", got, want)
	}
}

func TestSurveyLifecycleThroughTheAPI(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	e.households(t, c.Id, 6000, 7000)
	sv := e.draft(t, c.Id, pb.Survey_NEEDS, 0)
	if sv.State != pb.Survey_DRAFT || sv.Etag == "" {
		t.Fatalf("created %v", sv)
	}

	t.Run("questions change while DRAFT", func(t *testing.T) {
		qs := append(needsQuestions(), &pb.Question{Id: "extra", Text: "加一题", Type: pb.Question_TEXT})
		got := testkit.Must[*pb.Survey](t)(e.UpdateSurvey(bg, &pb.UpdateSurveyRequest{Survey: &pb.Survey{Id: sv.Id, Questions: qs}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"questions"}}}))
		if len(got.Questions) != 5 || got.Etag == sv.Etag {
			t.Fatalf("updated %v", got)
		}
	})
	t.Run("a stale etag is refused", func(t *testing.T) {
		_, err := e.UpdateSurvey(bg, &pb.UpdateSurveyRequest{Survey: &pb.Survey{Id: sv.Id, Title: "新标题", Etag: sv.Etag}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
		testkit.WantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
	})
	opened := testkit.Must[*pb.Survey](t)(e.OpenSurvey(bg, &pb.OpenSurveyRequest{Id: sv.Id}))
	if opened.State != pb.Survey_OPEN || opened.OpenTime == nil {
		t.Fatalf("opened %v", opened)
	}
	t.Run("questions do not change once OPEN", func(t *testing.T) {
		_, err := e.UpdateSurvey(bg, &pb.UpdateSurveyRequest{Survey: &pb.Survey{Id: sv.Id, Questions: needsQuestions()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"questions"}}})
		testkit.WantReason(t, err, codes.FailedPrecondition, "SURVEY_NOT_DRAFT")
	})
	t.Run("the title changes once OPEN", func(t *testing.T) {
		got := testkit.Must[*pb.Survey](t)(e.UpdateSurvey(bg, &pb.UpdateSurveyRequest{Survey: &pb.Survey{Id: sv.Id, Title: "新标题", Etag: opened.Etag}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
		if got.Title != "新标题" || len(got.Questions) != 5 {
			t.Fatalf("updated %v", got)
		}
	})
	t.Run("an OPEN survey does not open again", func(t *testing.T) {
		_, err := e.OpenSurvey(bg, &pb.OpenSurveyRequest{Id: sv.Id})
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	})
	closed := e.close(t, sv.Id)
	if closed.State != pb.Survey_CLOSED || closed.CloseTime == nil {
		t.Fatalf("closed %v", closed)
	}
	t.Run("listing by compound, kind and state", func(t *testing.T) {
		e.draft(t, c.Id, pb.Survey_RESOLUTION, pb.Survey_RENOVATION)
		all := testkit.Must[*pb.ListSurveysResponse](t)(e.ListSurveys(bg, &pb.ListSurveysRequest{CompoundId: c.Id}))
		if len(all.Surveys) != 2 {
			t.Fatalf("%d surveys", len(all.Surveys))
		}
		closedOnes := testkit.Must[*pb.ListSurveysResponse](t)(e.ListSurveys(bg, &pb.ListSurveysRequest{CompoundId: c.Id, State: pb.Survey_CLOSED}))
		if len(closedOnes.Surveys) != 1 || closedOnes.Surveys[0].Id != sv.Id {
			t.Fatalf("closed surveys %v", closedOnes.Surveys)
		}
	})
	t.Run("a survey of an unknown compound is refused", func(t *testing.T) {
		_, err := e.CreateSurvey(bg, &pb.CreateSurveyRequest{Survey: &pb.Survey{CompoundId: "nope", Title: "t", Kind: pb.Survey_NEEDS, Questions: needsQuestions()}})
		testkit.WantViolation(t, err, "survey.compoundId")
	})
	t.Run("a resolution without a matter is refused", func(t *testing.T) {
		_, err := e.CreateSurvey(bg, &pb.CreateSurveyRequest{Survey: &pb.Survey{CompoundId: c.Id, Title: "t", Kind: pb.Survey_RESOLUTION, Questions: voteQuestions()}})
		testkit.WantStatus(t, err, codes.InvalidArgument)
	})
}

func TestIdempotency(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000)
	req := &pb.CreateSurveyRequest{RequestId: "req-1", Survey: &pb.Survey{CompoundId: c.Id, Title: "意愿调查", Kind: pb.Survey_NEEDS, Questions: needsQuestions()}}

	t.Run("the same request id and body make one survey", func(t *testing.T) {
		a := testkit.Must[*pb.Survey](t)(e.CreateSurvey(bg, req))
		b := testkit.Must[*pb.Survey](t)(e.CreateSurvey(bg, req))
		if a.Id != b.Id {
			t.Fatalf("two surveys %s and %s", a.Id, b.Id)
		}
		list := testkit.Must[*pb.ListSurveysResponse](t)(e.ListSurveys(bg, &pb.ListSurveysRequest{CompoundId: c.Id}))
		if len(list.Surveys) != 1 {
			t.Fatalf("%d surveys", len(list.Surveys))
		}
	})
	t.Run("the same request id with another body is refused", func(t *testing.T) {
		other := proto.Clone(req).(*pb.CreateSurveyRequest)
		other.Survey.Title = "另一个调查"
		_, err := e.CreateSurvey(bg, other)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	})
	sv := testkit.Must[*pb.Survey](t)(e.CreateSurvey(bg, req))
	t.Run("a retried open answers with the open survey", func(t *testing.T) {
		open := &pb.OpenSurveyRequest{Id: sv.Id, RequestId: "open-1"}
		testkit.Must[*pb.Survey](t)(e.OpenSurvey(bg, open))
		again := testkit.Must[*pb.Survey](t)(e.OpenSurvey(bg, open))
		if again.State != pb.Survey_OPEN {
			t.Fatalf("retried open: %v", again)
		}
	})
	t.Run("a response's request id cannot be reused for another response", func(t *testing.T) {
		first := &pb.SubmitResponseRequest{SurveyId: sv.Id, RequestId: "resp-1", Response: response(hs[0], answer("wants", "yes"))}
		testkit.Must[*pb.Response](t)(e.SubmitResponse(bg, first))
		testkit.Must[*pb.Response](t)(e.SubmitResponse(bg, first)) // a retry records it again: no change
		before := e.stats(t, sv.Id)
		_, err := e.SubmitResponse(bg, &pb.SubmitResponseRequest{SurveyId: sv.Id, RequestId: "resp-1", Response: response(hs[1], answer("wants", "no"))})
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
		if after := e.stats(t, sv.Id); !proto.Equal(before, after) || after.RespondedHouseholds != 1 {
			t.Fatalf("stats moved:\n%v\n%v", before, after)
		}
	})
	t.Run("a retried response never undoes a newer answer", func(t *testing.T) {
		old := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
		first := &pb.SubmitResponseRequest{SurveyId: sv.Id, RequestId: "resp-2", Response: at(response(hs[1], answer("wants", "yes")), old)}
		testkit.Must[*pb.Response](t)(e.SubmitResponse(bg, first))
		e.submit(t, sv.Id, at(response(hs[1], answer("wants", "no")), old.Add(time.Hour)))
		before := e.stats(t, sv.Id)
		got := testkit.Must[*pb.Response](t)(e.SubmitResponse(bg, first))
		if got.Answers[0].OptionIds[0] != "no" {
			t.Fatalf("the retry answered %v", got)
		}
		if after := e.stats(t, sv.Id); !proto.Equal(before, after) {
			t.Fatalf("the retry moved the stats:\n%v\n%v", before, after)
		}
	})
	t.Run("a retry after closing answers as before; a new response is refused", func(t *testing.T) {
		other := e.open(t, c.Id, pb.Survey_NEEDS, 0)
		first := &pb.BatchSubmitResponsesRequest{SurveyId: other.Id, RequestId: "batch-1", Responses: []*pb.Response{response(hs[0], answer("wants", "yes"))}}
		testkit.Must[*pb.BatchSubmitResponsesResponse](t)(e.BatchSubmitResponses(bg, first))
		e.close(t, other.Id)
		again := testkit.Must[*pb.BatchSubmitResponsesResponse](t)(e.BatchSubmitResponses(bg, first))
		if len(again.Results) != 1 || again.Results[0].Outcome != pb.BatchSubmitResponsesResponse_Result_RECORDED {
			t.Fatalf("retry after close: %v", again)
		}
		_, err := e.BatchSubmitResponses(bg, &pb.BatchSubmitResponsesRequest{SurveyId: other.Id, RequestId: "batch-2", Responses: first.Responses})
		testkit.WantReason(t, err, codes.FailedPrecondition, "SURVEY_CLOSED")
	})
	t.Run("ideas too", func(t *testing.T) {
		ireq := &pb.CreateIdeaRequest{RequestId: "idea-1", Idea: &pb.Idea{CompoundId: c.Id, HouseholdId: hs[0], Text: "保留老墙的花砖"}}
		a := testkit.Must[*pb.Idea](t)(e.CreateIdea(bg, ireq))
		b := testkit.Must[*pb.Idea](t)(e.CreateIdea(bg, ireq))
		if a.Id != b.Id {
			t.Fatalf("two ideas %s and %s", a.Id, b.Id)
		}
		ireq.Idea.Text = "另一个点子"
		_, err := e.CreateIdea(bg, ireq)
		testkit.WantReason(t, err, codes.AlreadyExists, "REQUEST_ID_REUSED")
	})
}

// Opening a NEEDS survey tells governance once, on the compound events stream (issue 16:
// the opening and its event are one step, relayed from the survey's outbox): of
// concurrent openings only the one that lands publishes, and opening a survey of another
// kind publishes nothing.
func TestOpeningANeedsSurveyPublishesItsFactOnce(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	e.households(t, c.Id, 6000, 7000)
	needs := e.draft(t, c.Id, pb.Survey_NEEDS, 0)
	vote := e.draft(t, c.Id, pb.Survey_RESOLUTION, pb.Survey_RENOVATION)
	opened := make([]error, 20)
	var wg sync.WaitGroup
	for i := range opened {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := []string{needs.Id, vote.Id}[i%2]
			_, opened[i] = e.OpenSurvey(bg, &pb.OpenSurveyRequest{Id: id})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range opened {
		if err == nil {
			won++
			continue
		}
		testkit.WantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
	}
	if won != 2 {
		t.Fatalf("%d openings of two surveys landed", won)
	}
	facts := func() (out []string) {
		msgs, err := e.rdb.XRange(bg, events.CompoundTopic, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Values["compound"] == c.Id {
				out = append(out, fmt.Sprint(m.Values["fact"], " ", m.Values["survey"]))
			}
		}
		return out
	}
	want := []string{"NEEDS_SURVEY_OPENED " + needs.Id}
	for deadline := time.Now().Add(5 * time.Second); !slices.Equal(facts(), want) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // nothing more follows
	if got := facts(); !slices.Equal(got, want) {
		t.Fatalf("compound facts published %q, want %q", got, want)
	}
}

// Rule 16 (who acts): each response records the signed-in account that entered it, one
// by one or in a batch: the grid worker's account for a paper response, the household
// itself ("households/ID") for a resident answering ONLINE. A retried request answers
// with the account that entered the response, whoever retries it.
func TestResponsesRecordWhoActs(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 6000, 6000, 6000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, pb.Survey_MATTER_UNSPECIFIED)
	community := "regions/" + tr.comA.Id
	gridWorker := auth.WithPrincipal(bg, auth.Principal{Subject: "accounts/acct-grid", Role: auth.GridWorker, Scope: community})
	colleague := auth.WithPrincipal(bg, auth.Principal{Subject: "accounts/acct-colleague", Role: auth.GridWorker, Scope: community})
	resident := auth.WithPrincipal(bg, auth.Principal{Subject: "households/" + hs[1], Role: auth.Resident, Scope: "households/" + hs[1]})

	paper := response(hs[0], answer("wants", "yes"))
	paper.Account = "accounts/forged"
	req := &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: paper, RequestId: "resp-who"}
	if got := testkit.Must[*pb.Response](t)(e.handlers.SubmitResponse(gridWorker, req)); got.Account != "accounts/acct-grid" {
		t.Fatalf("paper response entered by %q", got.Account)
	}
	if again := testkit.Must[*pb.Response](t)(e.handlers.SubmitResponse(colleague, req)); again.Account != "accounts/acct-grid" {
		t.Fatalf("a retried submission answers with the account that entered it, not %q", again.Account)
	}
	online := &pb.Response{HouseholdId: hs[1], Channel: pb.Response_ONLINE, Answers: []*pb.Answer{answer("wants", "no")}}
	if got := testkit.Must[*pb.Response](t)(e.handlers.SubmitResponse(resident, &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: online})); got.Account != "households/"+hs[1] {
		t.Fatalf("online response entered by %q", got.Account)
	}
	batch := &pb.BatchSubmitResponsesRequest{SurveyId: sv.Id, RequestId: "batch-who", Responses: []*pb.Response{
		response(hs[2], answer("wants", "yes")), response(hs[3], answer("wants", "no"))}}
	testkit.Must[*pb.BatchSubmitResponsesResponse](t)(e.handlers.BatchSubmitResponses(gridWorker, batch))
	testkit.Must[*pb.BatchSubmitResponsesResponse](t)(e.handlers.BatchSubmitResponses(colleague, batch)) // replayed: writes nothing

	want := map[string]string{hs[0]: "accounts/acct-grid", hs[1]: "households/" + hs[1], hs[2]: "accounts/acct-grid", hs[3]: "accounts/acct-grid"}
	for h, account := range want {
		if r := e.stored(t, sv.Id, h); r == nil || r.Account != account {
			t.Fatalf("household %s: stored %v, want account %q", h, r, account)
		}
	}
}

// GetResponse answers the response the survey keeps for a household (the latest
// collected), and NOT_FOUND for a household that has not answered.
func TestGetResponseIsTheKeptAnswer(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	e.submit(t, sv.Id, at(response(hs[0], answer("wants", "yes")), t0))
	e.submit(t, sv.Id, at(response(hs[0], answer("wants", "no")), t0.Add(time.Minute)))

	got := testkit.Must[*pb.Response](t)(e.GetResponse(bg, &pb.GetResponseRequest{SurveyId: sv.Id, HouseholdId: hs[0]}))
	if got.HouseholdId != hs[0] || got.Answers[0].OptionIds[0] != "no" {
		t.Fatalf("kept response %v", got)
	}
	_, err := e.GetResponse(bg, &pb.GetResponseRequest{SurveyId: sv.Id, HouseholdId: hs[1]})
	testkit.WantStatus(t, err, codes.NotFound)
	_, err = e.GetResponse(bg, &pb.GetResponseRequest{SurveyId: "no-such-survey", HouseholdId: hs[0]})
	testkit.WantStatus(t, err, codes.NotFound)
}
