package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/events"
	"tongdu/platform/fault"
	"tongdu/platform/testkit"
	"tongdu/services/survey/internal/opinion"
	"tongdu/services/survey/internal/storage"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var (
	bg = context.Background()
	t0 = time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
)

func opts(ids ...string) []opinion.Option {
	out := make([]opinion.Option, len(ids))
	for i, id := range ids {
		out[i] = opinion.Option{ID: id, Text: id}
	}
	return out
}

// needsQuestions: wants (the first, yes means willing), items (multi), rating (1..5).
var needsQuestions = []opinion.Question{
	{ID: "wants", Text: "想改造吗", Type: opinion.SingleChoice, Options: opts("yes", "no")},
	{ID: "items", Text: "改什么", Type: opinion.MultiChoice, Options: opts("pipes", "roads", "lifts", "lights")},
	{ID: "rating", Text: "满意度", Type: opinion.Scale},
}

var voteQuestions = []opinion.Question{
	{ID: "vote", Text: "同意改造吗", Type: opinion.SingleChoice, Options: opts("agree", "disagree", "abstain")},
}

type fixture struct {
	store *storage.Store
	rdb   redis.UniversalClient
}

func newFixture(t testing.TB) fixture {
	rdb := testkit.Redis(t)
	// No relay runs: the events a write makes stay in its outbox, where tests read them.
	return fixture{store: storage.New(rdb, events.NewOutbox(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))), rdb: rdb}
}

// survey creates a survey and moves it to state (DRAFT, OPEN or CLOSED).
func (f fixture) survey(t testing.TB, id string, kind opinion.Kind, state opinion.State) *opinion.Survey {
	t.Helper()
	in := opinion.Survey{ID: id, CompoundID: "c1", Title: id, Kind: kind, Questions: needsQuestions}
	if kind == opinion.Resolution {
		in.Matter, in.Questions = opinion.Renovation, voteQuestions
	}
	sv, err := opinion.NewSurvey(in, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateSurvey(bg, sv); err != nil {
		t.Fatal(err)
	}
	e := opinion.Electorate{Households: 200, Area: 200 * 8000}
	for _, next := range []opinion.State{opinion.Open, opinion.Closed} {
		if state < next {
			break
		}
		cur, err := f.store.GetSurvey(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		var changed opinion.Survey
		if next == opinion.Open {
			changed, err = opinion.OpenSurvey(*cur, e, t0)
		} else {
			changed, err = opinion.CloseSurvey(*cur, e, t0)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpdateSurvey(bg, changed); err != nil {
			t.Fatal(err)
		}
	}
	sv2, err := f.store.GetSurvey(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	return sv2
}

func wants(h string, yes bool, at time.Time) opinion.Response {
	o := "no"
	if yes {
		o = "yes"
	}
	return opinion.Response{HouseholdID: h, Channel: opinion.DoorToDoor, CollectedAt: at, SubmitTime: at, Area: 7500,
		Answers: []opinion.Answer{{QuestionID: "wants", OptionIDs: []string{o}}}}
}

func (f fixture) submit(t testing.TB, sv *opinion.Survey, rs ...opinion.Response) []opinion.Outcome {
	t.Helper()
	out, _, err := f.store.SubmitResponses(bg, sv, rs, "", "", learnedOf(rs))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f fixture) tally(t testing.TB, id string) opinion.Tally {
	t.Helper()
	tl, err := f.store.Tally(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	return nonZero(tl)
}

// nonZero drops counters at 0: a replaced response leaves its old counters at 0 in the
// stored tally, which a recount never mentions.
func nonZero(t opinion.Tally) opinion.Tally {
	out := opinion.Tally{}
	for k, v := range t {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func (f fixture) wantTallyIsRecount(t testing.TB, sv *opinion.Survey) opinion.Tally {
	t.Helper()
	got := f.tally(t, sv.ID)
	want, err := f.store.Recount(bg, sv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, nonZero(want)) {
		t.Fatalf("tally %v\nrecount %v", got, nonZero(want))
	}
	return got
}

func TestSubmitResponsesOutcomesFollowCollectedAt(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	at := t0.Add(time.Hour)

	steps := []struct {
		name    string
		resp    opinion.Response
		outcome opinion.Outcome
		willing int64
		stored  bool // whether the household's stored response says yes afterwards
	}{
		{"a household's first response is recorded", wants("h1", true, at), opinion.Recorded, 1, true},
		{"a newer collection replaces it and the statistics move (rule 2)", wants("h1", false, at.Add(time.Minute)), opinion.Replaced, 0, false},
		{"an older collection arriving late is ignored", wants("h1", true, at), opinion.IgnoredOlder, 0, false},
		{"an older collection by a microsecond is ignored", wants("h1", true, at.Add(time.Minute-time.Microsecond)), opinion.IgnoredOlder, 0, false},
		{"a collection at the same time replaces", wants("h1", true, at.Add(time.Minute)), opinion.Replaced, 1, true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out := f.submit(t, sv, s.resp)
			if out[0] != s.outcome {
				t.Fatalf("outcome %v, want %v", out[0], s.outcome)
			}
			tl := f.wantTallyIsRecount(t, sv)
			if tl[opinion.CounterResponded] != 1 || tl[opinion.CounterWilling] != s.willing {
				t.Fatalf("tally %v: want 1 responded, %d willing", tl, s.willing)
			}
			r, err := f.store.GetResponse(bg, sv.ID, "h1")
			if err != nil {
				t.Fatal(err)
			}
			if (r.Answers[0].OptionIDs[0] == "yes") != s.stored {
				t.Fatalf("stored response %+v", r)
			}
		})
	}
}

func TestCollectedAtOrdersBeyondTheMicrosecond(t *testing.T) {
	// Rule 2: the later collected_at wins. The script compares microseconds while the
	// record keeps nanoseconds, so of two collections within one microsecond the one that
	// arrives last wins, whichever was collected later.
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	later, earlier := t0.Add(900*time.Nanosecond), t0.Add(100*time.Nanosecond)
	f.submit(t, sv, wants("h1", true, later))
	out := f.submit(t, sv, wants("h1", false, earlier))
	r, err := f.store.GetResponse(bg, sv.ID, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if !r.CollectedAt.Equal(later) {
		t.Errorf("outcome %v: the collection of %v replaced the later one of %v", out[0], r.CollectedAt, later)
	}
}

func TestSubmitResponsesReplaysARequestIDInsteadOfRecordingAgain(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	first := []opinion.Response{wants("h1", true, t0), wants("h2", true, t0)}
	out, replayed, err := f.store.SubmitResponses(bg, sv, first, "req-1", "hash-1", learnedOf(first))
	if err != nil || replayed || !reflect.DeepEqual(out, []opinion.Outcome{opinion.Recorded, opinion.Recorded}) {
		t.Fatalf("first: %v %v %v", out, replayed, err)
	}
	// A newer answer of h1 arrives; then the first request is retried.
	f.submit(t, sv, wants("h1", false, t0.Add(time.Hour)))
	before := f.tally(t, sv.ID)
	out, replayed, err = f.store.SubmitResponses(bg, sv, first, "req-1", "hash-1", learnedOf(first))
	if err != nil || !replayed || !reflect.DeepEqual(out, []opinion.Outcome{opinion.Recorded, opinion.Recorded}) {
		t.Fatalf("retry: %v %v %v", out, replayed, err)
	}
	if after := f.tally(t, sv.ID); !reflect.DeepEqual(after, before) {
		t.Fatalf("the retry moved the tally from %v to %v", before, after)
	}
	if r, _ := f.store.GetResponse(bg, sv.ID, "h1"); r.Answers[0].OptionIDs[0] != "no" {
		t.Fatalf("the retry undid the newer answer: %+v", r)
	}
	if _, _, err := f.store.SubmitResponses(bg, sv, []opinion.Response{wants("h3", true, t0)}, "req-1", "hash-2", learnedOf([]opinion.Response{wants("h3", true, t0)})); !errors.Is(err, opinion.ErrRequestReused) {
		t.Fatalf("another body under the same request id: %v", err)
	}
	if after := f.tally(t, sv.ID); !reflect.DeepEqual(after, before) {
		t.Fatalf("a reused request id moved the tally from %v to %v", before, after)
	}
	// Once closed, a retry still answers as the first time; a new request is refused.
	cur, _ := f.store.GetSurvey(bg, sv.ID)
	closed, _ := opinion.CloseSurvey(*cur, opinion.Electorate{Households: 200}, t0)
	if err := f.store.UpdateSurvey(bg, closed); err != nil {
		t.Fatal(err)
	}
	if out, replayed, err := f.store.SubmitResponses(bg, sv, first, "req-1", "hash-1", learnedOf(first)); err != nil || !replayed || len(out) != 2 {
		t.Fatalf("retry after close: %v %v %v", out, replayed, err)
	}
	if _, _, err := f.store.SubmitResponses(bg, sv, first, "req-2", "hash-1", learnedOf(first)); !errors.Is(err, opinion.ErrSurveyClosed) {
		t.Fatalf("new request after close: %v", err)
	}
	f.wantTallyIsRecount(t, sv)
}

func TestSubmitResponsesAppliesABatchInOrder(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	out := f.submit(t, sv,
		wants("h1", true, t0.Add(2*time.Hour)),
		wants("h2", true, t0),
		wants("h1", false, t0.Add(time.Hour)), // older than the first in the batch
		wants("h2", false, t0.Add(time.Hour)), // newer
		wants("h3", false, t0),
	)
	want := []opinion.Outcome{opinion.Recorded, opinion.Recorded, opinion.IgnoredOlder, opinion.Replaced, opinion.Recorded}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("outcomes %v, want %v", out, want)
	}
	tl := f.wantTallyIsRecount(t, sv)
	if tl[opinion.CounterResponded] != 3 || tl[opinion.CounterWilling] != 1 || tl["q:wants:o:no"] != 2 {
		t.Fatalf("tally %v", tl)
	}
}

func TestSubmitResponsesRefusedUnlessOpenChangesNothing(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		state opinion.State
		want  error
	}{
		{opinion.Draft, opinion.ErrSurveyNotOpen},
		{opinion.Closed, opinion.ErrSurveyClosed},
	} {
		t.Run(c.state.String(), func(t *testing.T) {
			id := "s-" + c.state.String()
			sv := f.survey(t, id, opinion.Needs, c.state)
			_, _, err := f.store.SubmitResponses(bg, sv, []opinion.Response{wants("h1", true, t0), wants("h2", true, t0)}, "", "", learnedOf([]opinion.Response{wants("h1", true, t0), wants("h2", true, t0)}))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			var closed *storage.ClosedError
			if !errors.As(err, &closed) || closed.State != c.state.String() {
				t.Fatalf("got %v, want a ClosedError saying %s", err, c.state)
			}
			if tl := f.tally(t, id); len(tl) != 0 {
				t.Fatalf("tally moved: %v", tl)
			}
			if _, err := f.store.GetResponse(bg, id, "h1"); !errors.Is(err, opinion.ErrNotFound) {
				t.Fatalf("response stored: %v", err)
			}
			rs, _, err := f.store.ListResponses(bg, id, func(*opinion.Response) bool { return true }, "", 10)
			if err != nil || len(rs) != 0 {
				t.Fatalf("listed %d responses, %v", len(rs), err)
			}
		})
	}
}

func TestSubmitResponsesClosedInBetweenKeepsWhatWasRecorded(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	f.submit(t, sv, wants("h1", true, t0))
	before := f.tally(t, sv.ID)
	cur, _ := f.store.GetSurvey(bg, sv.ID)
	closed, err := opinion.CloseSurvey(*cur, opinion.Electorate{Households: 200}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.UpdateSurvey(bg, closed); err != nil {
		t.Fatal(err)
	}
	// The caller read the survey while it was OPEN; the script checks again.
	if _, _, err := f.store.SubmitResponses(bg, sv, []opinion.Response{wants("h1", false, t0.Add(time.Hour))}, "", "", learnedOf([]opinion.Response{wants("h1", false, t0.Add(time.Hour))})); !errors.Is(err, opinion.ErrSurveyClosed) {
		t.Fatalf("got %v, want ErrSurveyClosed", err)
	}
	if after := f.tally(t, sv.ID); !reflect.DeepEqual(after, before) {
		t.Fatalf("tally moved from %v to %v", before, after)
	}
}

func TestSubmitResponsesWeighsResolutionVotesByArea(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "r1", opinion.Resolution, opinion.Open)
	vote := func(h, choice string, area int64, at time.Time) opinion.Response {
		return opinion.Response{HouseholdID: h, CollectedAt: at, Area: area, Answers: []opinion.Answer{{QuestionID: "vote", OptionIDs: []string{choice}}}}
	}
	f.submit(t, sv, vote("h1", "agree", 8523, t0), vote("h2", "disagree", 6012, t0), vote("h3", "abstain", 9050, t0))
	f.submit(t, sv, vote("h2", "agree", 6012, t0.Add(time.Hour)))
	tl := f.wantTallyIsRecount(t, sv)
	want := opinion.Tally{
		"responded": 3, "willing": 2, "area": 8523 + 6012 + 9050,
		"q:vote:answered": 3, "q:vote:o:agree": 2, "q:vote:area:agree": 8523 + 6012,
		"q:vote:o:abstain": 1, "q:vote:area:abstain": 9050,
	}
	if !reflect.DeepEqual(tl, want) {
		t.Fatalf("tally %v\nwant  %v", tl, want)
	}
}

// randomResponse answers the NEEDS questions at random, collected at a random second of
// one day, so replacements and late arrivals both happen.
func randomResponse(rng *rand.Rand, h string) opinion.Response {
	r := opinion.Response{
		HouseholdID: h, Channel: opinion.Channel(1 + rng.IntN(4)), Area: int64(4500 + rng.IntN(8000)),
		CollectedAt: t0.Add(time.Duration(rng.IntN(86400)) * time.Second),
	}
	r.SubmitTime = r.CollectedAt
	r.Answers = append(r.Answers, opinion.Answer{QuestionID: "wants", OptionIDs: []string{[]string{"yes", "no"}[rng.IntN(2)]}})
	if rng.IntN(3) > 0 {
		var items []string
		for _, o := range []string{"pipes", "roads", "lifts", "lights"} {
			if rng.IntN(2) == 0 {
				items = append(items, o)
			}
		}
		if len(items) > 0 {
			r.Answers = append(r.Answers, opinion.Answer{QuestionID: "items", OptionIDs: items})
		}
	}
	if rng.IntN(2) == 0 {
		r.Answers = append(r.Answers, opinion.Answer{QuestionID: "rating", Scale: 1 + rng.IntN(5)})
	}
	return r
}

// TestConcurrentSubmissionsKeepTheTallyEqualToARecount: 16 writers submit and replace
// responses of 200 households at once, singly and in batches, with random answers and
// collection times. Afterwards the counters equal a recount of the stored responses, and
// each household's stored response is its latest collection (rule 2: the later
// collection wins).
func TestConcurrentSubmissionsKeepTheTallyEqualToARecount(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	const writers, rounds, households = 16, 60, 200

	var mu sync.Mutex
	latest := map[string]time.Time{}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for i := 0; i < rounds; i++ {
				n := 1
				if i%5 == 0 {
					n = 1 + rng.IntN(20) // a batch, possibly naming a household twice
				}
				rs := make([]opinion.Response, n)
				for j := range rs {
					rs[j] = randomResponse(rng, fmt.Sprintf("h%03d", rng.IntN(households)))
				}
				if _, _, err := f.store.SubmitResponses(bg, sv, rs, "", "", learnedOf(rs)); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, r := range rs {
					if r.CollectedAt.After(latest[r.HouseholdID]) {
						latest[r.HouseholdID] = r.CollectedAt
					}
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	tl := f.wantTallyIsRecount(t, sv)
	if tl[opinion.CounterResponded] != int64(len(latest)) {
		t.Fatalf("responded %d, households that answered %d", tl[opinion.CounterResponded], len(latest))
	}
	rs, _, err := f.store.ListResponses(bg, sv.ID, func(*opinion.Response) bool { return true }, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(latest) {
		t.Fatalf("listed %d responses, want %d", len(rs), len(latest))
	}
	for _, r := range rs {
		if !r.CollectedAt.Equal(latest[r.HouseholdID]) {
			t.Fatalf("household %s keeps the collection of %v, its latest was %v", r.HouseholdID, r.CollectedAt, latest[r.HouseholdID])
		}
	}
}

func TestListResponsesPagesByHouseholdAndFilters(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	var rs []opinion.Response
	for i := 0; i < 25; i++ {
		r := wants(fmt.Sprintf("h%02d", i), i%2 == 0, t0)
		if i%3 == 0 {
			r.Channel = opinion.Phone
		}
		rs = append(rs, r)
	}
	f.submit(t, sv, rs...)

	all := func(*opinion.Response) bool { return true }
	var seen []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, next, err := f.store.ListResponses(bg, sv.ID, all, token, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			seen = append(seen, r.HouseholdID)
		}
		if next == "" {
			break
		}
		token = next
	}
	if len(seen) != 25 || seen[0] != "h00" || seen[24] != "h24" {
		t.Fatalf("paged through %v", seen)
	}
	phone, _, err := f.store.ListResponses(bg, sv.ID, func(r *opinion.Response) bool { return r.Channel == opinion.Phone }, "", 100)
	if err != nil || len(phone) != 9 {
		t.Fatalf("%d phone responses, %v; want 9", len(phone), err)
	}
	if _, _, err := f.store.ListResponses(bg, sv.ID, all, "not base64!", 10); !fault.IsKind(err, fault.Invalid) {
		t.Fatalf("bad token: got %v, want bad input", err)
	}
}

// A change and its event are one step (issue 16): a write that lands leaves its event in
// the survey's outbox, in the survey's hash slot; a refused write (stale revision, or a
// survey that is gone) leaves neither its change nor its event, and a write without an
// event leaves the outbox alone.
func TestASurveysEventIsWrittenOnlyWithItsChange(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Draft)
	outbox := events.OutboxKey("svy:{s:s1}:survey") // the survey's record key (storage.go)
	opened := *sv
	opened.State = opinion.Open
	if err := f.store.UpdateSurvey(bg, opened, events.Event("topic", map[string]string{"survey": "s1", "fact": "OPENED"})); err != nil {
		t.Fatal(err)
	}
	stale := *sv
	stale.Title = "lost update"
	if err := f.store.UpdateSurvey(bg, stale, events.Event("topic", map[string]string{"survey": "s1", "fact": "STALE"})); !errors.Is(err, opinion.ErrConflict) {
		t.Fatalf("stale revision: got %v, want ErrConflict", err)
	}
	missing := *sv
	missing.ID = "nope"
	if err := f.store.UpdateSurvey(bg, missing, events.Event("topic", map[string]string{"survey": "nope"})); !errors.Is(err, opinion.ErrNotFound) {
		t.Fatalf("update of a missing survey: %v", err)
	}
	got, _ := f.store.GetSurvey(bg, "s1")
	evs, err := f.rdb.LRange(bg, outbox, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got.State != opinion.Open || got.Title == "lost update" || len(evs) != 1 || !strings.Contains(evs[0], `"fact":"OPENED"`) {
		t.Fatalf("stored %s %q, outbox %q: want the one change that happened and its event", got.State, got.Title, evs)
	}
	if n := f.rdb.LLen(bg, events.OutboxKey("svy:{s:nope}:survey")).Val(); n != 0 {
		t.Fatalf("a missing survey's outbox holds %d events", n)
	}
	renamed := *got
	renamed.Title = "renamed"
	if err := f.store.UpdateSurvey(bg, renamed); err != nil {
		t.Fatal(err)
	}
	if n := f.rdb.LLen(bg, outbox).Val(); n != 1 {
		t.Fatalf("outbox holds %d events after a write without one, want 1", n)
	}
}

func TestSurveysRecordRevisions(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Draft)
	if sv.Revision != 1 {
		t.Fatalf("revision %d, want 1", sv.Revision)
	}
	if _, err := f.store.GetSurvey(bg, "nope"); !errors.Is(err, opinion.ErrNotFound) {
		t.Fatalf("missing survey: %v", err)
	}
	changed := *sv
	changed.Title = "new"
	if err := f.store.UpdateSurvey(bg, changed); err != nil {
		t.Fatal(err)
	}
	stale := *sv
	stale.Title = "lost update"
	if err := f.store.UpdateSurvey(bg, stale); !errors.Is(err, opinion.ErrConflict) {
		t.Fatalf("stale revision: got %v, want ErrConflict", err)
	}
	got, _ := f.store.GetSurvey(bg, "s1")
	if got.Title != "new" || got.Revision != 2 {
		t.Fatalf("survey %+v", got)
	}
	missing := *sv
	missing.ID = "nope"
	if err := f.store.UpdateSurvey(bg, missing); !errors.Is(err, opinion.ErrNotFound) {
		t.Fatalf("update of a missing survey: %v", err)
	}
	// Creating it again (a replayed request) keeps what is stored.
	again := *sv
	again.Title = "replayed"
	if err := f.store.CreateSurvey(bg, again); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.GetSurvey(bg, "s1"); got.Title != "new" {
		t.Fatalf("replayed create overwrote the survey: %+v", got)
	}
}

func TestListSurveysByCompound(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 5; i++ {
		sv, _ := opinion.NewSurvey(opinion.Survey{ID: fmt.Sprintf("s%d", i), CompoundID: []string{"c1", "c2"}[i%2], Title: "t", Kind: opinion.Needs, Questions: needsQuestions}, t0)
		if err := f.store.CreateSurvey(bg, sv); err != nil {
			t.Fatal(err)
		}
	}
	all := func(*opinion.Survey) bool { return true }
	c1, next, err := f.store.ListSurveys(bg, "c1", all, "", 2)
	if err != nil || len(c1) != 2 || c1[0].ID != "s0" || c1[1].ID != "s2" || next == "" {
		t.Fatalf("first page %v next %q err %v", c1, next, err)
	}
	rest, next, err := f.store.ListSurveys(bg, "c1", all, next, 2)
	if err != nil || len(rest) != 1 || rest[0].ID != "s4" || next != "" {
		t.Fatalf("second page %v next %q err %v", rest, next, err)
	}
	everything, _, err := f.store.ListSurveys(bg, "", all, "", 100)
	if err != nil || len(everything) != 5 {
		t.Fatalf("all surveys %d, %v", len(everything), err)
	}
}

// Rule 16 (who acts): a response is stored with the account that entered it, in the same
// step; a replayed request keeps the account first stored, and a response stored before
// accounts were kept still reads, with none.
func TestResponsesKeepTheAccountThatEnteredThem(t *testing.T) {
	f := newFixture(t)
	sv := f.survey(t, "s1", opinion.Needs, opinion.Open)
	entered := wants("h1", true, t0)
	entered.Account = "accounts/acct-grid"
	if _, _, err := f.store.SubmitResponses(bg, sv, []opinion.Response{entered}, "req-1", "hash-1", learnedOf([]opinion.Response{entered})); err != nil {
		t.Fatal(err)
	}
	retried := entered
	retried.Account = "accounts/acct-colleague"
	if _, replayed, err := f.store.SubmitResponses(bg, sv, []opinion.Response{retried}, "req-1", "hash-1", learnedOf([]opinion.Response{retried})); err != nil || !replayed {
		t.Fatalf("retry: replayed %v, %v", replayed, err)
	}
	if r, err := f.store.GetResponse(bg, sv.ID, "h1"); err != nil || r.Account != "accounts/acct-grid" {
		t.Fatalf("stored %+v, %v", r, err)
	}

	old := `{"surveyId":"s1","householdId":"h2","channel":1,"collectorId":"grid-7","collectedAt":"2024-05-06T09:00:00Z",` +
		`"answers":[{"questionId":"wants","optionIds":["no"]}],"submitTime":"2024-05-06T09:00:00Z","area":7500}`
	if err := f.rdb.HSet(bg, "svy:{s:s1}:responses", "h2", old).Err(); err != nil { // the responses key (storage.go)
		t.Fatal(err)
	}
	r, err := f.store.GetResponse(bg, sv.ID, "h2")
	if err != nil || r.Account != "" || r.CollectorID != "grid-7" || r.Answers[0].OptionIDs[0] != "no" {
		t.Fatalf("an old response reads as %+v, %v", r, err)
	}
}

// learnedOf is the households of rs with their areas, as the app passes what it learned
// from governance: the store weighs responses by the electorate, not by rs' Area.
func learnedOf(rs []opinion.Response) map[string]int64 {
	out := make(map[string]int64, len(rs))
	for _, r := range rs {
		out[r.HouseholdID] = r.Area
	}
	return out
}
