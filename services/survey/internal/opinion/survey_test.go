package opinion

import (
	"errors"
	"slices"
	"testing"
	"time"

	"tongdu/platform/fault"
)

var (
	t0 = time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

func opts(ids ...string) []Option {
	out := make([]Option, len(ids))
	for i, id := range ids {
		out[i] = Option{ID: id, Text: id}
	}
	return out
}

func single(id string, options ...string) Question {
	return Question{ID: id, Text: id, Type: SingleChoice, Options: opts(options...)}
}

func multi(id string, options ...string) Question {
	return Question{ID: id, Text: id, Type: MultiChoice, Options: opts(options...)}
}

var (
	wantsQ     = single("wants", "yes", "no")
	voteQ      = single("vote", "agree", "disagree", "abstain")
	verdictQ   = single("verdict", "satisfied", "unsatisfied")
	itemsQ     = multi("items", "pipes", "roads", "lifts")
	ratingQ    = Question{ID: "rating", Text: "rating", Type: Scale}
	wideScaleQ = Question{ID: "noise", Text: "noise", Type: Scale, ScaleMin: 1, ScaleMax: 10}
	remarksQ   = Question{ID: "remarks", Text: "remarks", Type: Text}
)

// fields lists the fields an error's violations name, or nil when it is no bad input.
func fields(err error) []string {
	var out []string
	for _, v := range fault.ViolationsOf(err) {
		out = append(out, v.Field)
	}
	return out
}

// errInvalid stands for bad input in a table of wanted errors (checked with wantField).
var errInvalid = errors.New("bad input")

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if !fault.IsKind(err, fault.Invalid) {
		t.Fatalf("got %v, want bad input naming %s", err, field)
	}
	if !slices.Contains(fields(err), field) {
		t.Fatalf("violations %q do not name %s", fields(err), field)
	}
}

func TestNewSurveyChecksTheFirstQuestionOfEachKind(t *testing.T) {
	cases := []struct {
		name      string
		kind      Kind
		matter    Matter
		questions []Question
		field     string // "" when the survey is accepted
	}{
		{"a NEEDS survey asks a single-choice question first", Needs, 0, []Question{wantsQ, itemsQ, ratingQ, remarksQ}, ""},
		{"a NEEDS survey may be drafted without questions", Needs, 0, nil, ""},
		{"a NEEDS survey whose first question is multi-choice is refused", Needs, 0, []Question{itemsQ, wantsQ}, "survey.questions[0].type"},
		{"a NEEDS survey whose first question is a scale is refused", Needs, 0, []Question{ratingQ}, "survey.questions[0].type"},
		{"a RESOLUTION votes agree, disagree, abstain", Resolution, Renovation, []Question{voteQ, remarksQ}, ""},
		{"a RESOLUTION may leave out abstain", Resolution, OtherMatter, []Question{single("v", "agree", "disagree")}, ""},
		{"a RESOLUTION may list abstain before disagree", Resolution, OtherMatter, []Question{single("v", "agree", "abstain", "disagree")}, ""},
		{"a RESOLUTION vote must put agree first", Resolution, Renovation, []Question{single("v", "disagree", "agree")}, "survey.questions[0]"},
		{"a RESOLUTION vote needs disagree", Resolution, Renovation, []Question{single("v", "agree", "abstain")}, "survey.questions[0]"},
		{"a RESOLUTION vote takes no other option", Resolution, Renovation, []Question{single("v", "agree", "disagree", "maybe")}, "survey.questions[0]"},
		{"a RESOLUTION vote is single choice", Resolution, Renovation, []Question{multi("v", "agree", "disagree")}, "survey.questions[0]"},
		{"a RESOLUTION vote comes first", Resolution, Renovation, []Question{remarksQ, voteQ}, "survey.questions[0]"},
		{"a RESOLUTION needs its matter", Resolution, 0, []Question{voteQ}, "survey.matter"},
		{"only a RESOLUTION has a matter", Needs, Renovation, []Question{wantsQ}, "survey.matter"},
		{"an ACCEPTANCE asks satisfied, unsatisfied", Acceptance, 0, []Question{verdictQ, ratingQ}, ""},
		{"an ACCEPTANCE verdict puts satisfied first", Acceptance, 0, []Question{single("v", "unsatisfied", "satisfied")}, "survey.questions[0]"},
		{"an ACCEPTANCE verdict has exactly two options", Acceptance, 0, []Question{single("v", "satisfied", "unsatisfied", "unsure")}, "survey.questions[0]"},
		{"a survey needs a kind", KindUnspecified, 0, []Question{wantsQ}, "survey.kind"},
		{"question ids are unique", Needs, 0, []Question{wantsQ, single("wants", "a", "b")}, "survey.questions[1].id"},
		{"a choice question has at least two options", Needs, 0, []Question{wantsQ, single("one", "only")}, "survey.questions[1].options"},
		{"a scale question has no options", Needs, 0, []Question{wantsQ, {ID: "s", Type: Scale, Options: opts("a", "b")}}, "survey.questions[1].options"},
		{"a text question has no options", Needs, 0, []Question{wantsQ, {ID: "t", Type: Text, Options: opts("a", "b")}}, "survey.questions[1].options"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Survey{ID: "s1", CompoundID: "c1", Title: "t", Kind: c.kind, Matter: c.matter, Questions: c.questions}
			got, err := NewSurvey(in, t0)
			if c.field != "" {
				wantField(t, err, c.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != Draft || got.CreateTime != t0 || got.UpdateTime != t0 {
				t.Fatalf("new survey %+v: want DRAFT created at %v", got, t0)
			}
		})
	}
}

func TestNewSurveyIgnoresWhatTheServerOwns(t *testing.T) {
	in := Survey{
		Kind: Needs, Questions: []Question{wantsQ}, State: Closed, Frozen: true,
		Electorate: Electorate{Households: 9, Area: 900}, OpenTime: t1, CloseTime: t1,
	}
	got, err := NewSurvey(in, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Draft || got.Frozen || got.Electorate != (Electorate{}) || !got.OpenTime.IsZero() || !got.CloseTime.IsZero() {
		t.Fatalf("server-owned fields kept from the request: %+v", got)
	}
}

func TestApplyUpdate(t *testing.T) {
	draft, err := NewSurvey(Survey{Title: "old", Kind: Resolution, Matter: Renovation, Questions: []Question{voteQ}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	open, err := OpenSurvey(draft, Electorate{Households: 3, Area: 300}, t0)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := CloseSurvey(open, Electorate{Households: 3, Area: 300}, t0)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		current Survey
		patch   Survey
		mask    []string
		wantErr error
		field   string
		check   func(Survey) bool
	}{
		{"the title changes in any state", open, Survey{Title: "new"}, []string{"title"}, nil, "", func(s Survey) bool { return s.Title == "new" && s.State == Open }},
		{"the description may be emptied", closed, Survey{}, []string{"description"}, nil, "", func(s Survey) bool { return s.Description == "" }},
		{"questions change in DRAFT", draft, Survey{Questions: []Question{voteQ, remarksQ}}, []string{"questions"}, nil, "", func(s Survey) bool { return len(s.Questions) == 2 }},
		{"the matter changes in DRAFT", draft, Survey{Matter: OtherMatter}, []string{"matter"}, nil, "", func(s Survey) bool { return s.Matter == OtherMatter }},
		{"questions do not change once OPEN (rule 2: they are what residents answered)", open, Survey{Questions: []Question{voteQ, remarksQ}}, []string{"questions"}, ErrNotDraft, "", nil},
		{"the matter does not change once CLOSED", closed, Survey{Matter: OtherMatter}, []string{"matter"}, ErrNotDraft, "", nil},
		{"new questions are checked like a new survey's", draft, Survey{Questions: []Question{single("v", "disagree", "agree")}}, []string{"questions"}, errInvalid, "survey.questions[0]", nil},
		{"a resolution keeps a matter", draft, Survey{}, []string{"matter"}, errInvalid, "survey.matter", nil},
		{"the title cannot be emptied", draft, Survey{}, []string{"title"}, errInvalid, "survey.title", nil},
		{"the kind cannot be updated", draft, Survey{Kind: Needs}, []string{"kind"}, errInvalid, "updateMask", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ApplyUpdate(c.current, c.patch, c.mask, t1)
			if c.wantErr == errInvalid {
				wantField(t, err, c.field)
				return
			}
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("got %v, want %v", err, c.wantErr)
				}
				if c.field != "" {
					wantField(t, err, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) || got.UpdateTime != t1 {
				t.Fatalf("updated survey %+v", got)
			}
		})
	}
}

func TestSurveyLifecycle(t *testing.T) {
	e1 := Electorate{Households: 10, Area: 80000}
	e2 := Electorate{Households: 12, Area: 95000}
	draft, err := NewSurvey(Survey{Kind: Needs, Questions: []Question{wantsQ}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := NewSurvey(Survey{Kind: Needs}, t0)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a DRAFT without questions does not open", func(t *testing.T) {
		_, err := OpenSurvey(empty, e1, t1)
		wantField(t, err, "survey.questions")
	})
	open, err := OpenSurvey(draft, e1, t1)
	t.Run("a DRAFT opens and notes the electorate of the moment", func(t *testing.T) {
		if err != nil {
			t.Fatal(err)
		}
		if open.State != Open || open.OpenTime != t1 || open.Electorate != e1 || open.Frozen {
			t.Fatalf("opened survey %+v", open)
		}
	})
	t.Run("an OPEN survey does not open again", func(t *testing.T) {
		if _, err := OpenSurvey(open, e1, t1); !errors.Is(err, ErrWrongState) {
			t.Fatalf("got %v, want ErrWrongState", err)
		}
	})
	t.Run("a DRAFT does not close", func(t *testing.T) {
		if _, err := CloseSurvey(draft, e1, t1); !errors.Is(err, ErrWrongState) {
			t.Fatalf("got %v, want ErrWrongState", err)
		}
	})
	closed, err := CloseSurvey(open, e2, t1.Add(time.Hour))
	t.Run("an OPEN survey closes and freezes the electorate (rule 3)", func(t *testing.T) {
		if err != nil {
			t.Fatal(err)
		}
		if closed.State != Closed || !closed.Frozen || closed.Electorate != e2 || closed.CloseTime != t1.Add(time.Hour) {
			t.Fatalf("closed survey %+v", closed)
		}
	})
	t.Run("a CLOSED survey neither closes nor opens again", func(t *testing.T) {
		if _, err := CloseSurvey(closed, e1, t1); !errors.Is(err, ErrWrongState) {
			t.Fatalf("close: got %v, want ErrWrongState", err)
		}
		if _, err := OpenSurvey(closed, e1, t1); !errors.Is(err, ErrWrongState) {
			t.Fatalf("open: got %v, want ErrWrongState", err)
		}
	})
}

func TestEtagFollowsTheRevision(t *testing.T) {
	s := Survey{Revision: 7}
	if s.Etag() != "r7" {
		t.Fatalf("etag %q", s.Etag())
	}
}

func TestInvalidIsBadInputNamingTheField(t *testing.T) {
	err := invalid("a.b", "is wrong")
	if !fault.IsKind(err, fault.Invalid) || errors.Is(err, ErrNotFound) {
		t.Fatalf("kind mismatched for %v", err)
	}
	if err.Error() != "invalid a.b: is wrong" {
		t.Fatalf("message %q", err.Error())
	}
	if fault.Fields().Error() != "invalid request" {
		t.Fatal("empty bad input message")
	}
}
