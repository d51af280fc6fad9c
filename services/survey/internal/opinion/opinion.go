// Package opinion holds the rules of what residents say: surveys and their lifecycle,
// one response per household (rule 2: the later collection wins), the statistics a
// response moves, owners' resolutions (rule 3: 2/3 turnout, then 3/4 or more than 1/2
// consent, by households and by area), the priority ranking (rule 4: 0.40·deficit +
// 0.35·willingness + 0.25·participation), courtyard meetings and golden ideas.
// Plain Go and platform/fault errors: no protobuf, no Redis.
package opinion

import (
	"fmt"
	"time"

	"tongdu/platform/fault"
)

// Errors the service answers with: each carries its API kind and ErrorInfo reason, and is
// wrapped with fmt.Errorf("%w: …") where it occurs, so the message names the case.
var (
	ErrNotFound       = fault.New(fault.NotFound, "", "not found")
	ErrConflict       = fault.New(fault.Conflict, "ETAG_MISMATCH", "changed since read")
	ErrRequestReused  = fault.New(fault.Exists, "REQUEST_ID_REUSED", "request id reused with another request")
	ErrSurveyClosed   = fault.New(fault.Refused, "SURVEY_CLOSED", "survey closed")
	ErrSurveyNotOpen  = fault.New(fault.Refused, "SURVEY_NOT_OPEN", "survey not open")
	ErrNotDraft       = fault.New(fault.Refused, "SURVEY_NOT_DRAFT", "survey not in draft")
	ErrNotInCompound  = fault.New(fault.Refused, "HOUSEHOLD_NOT_IN_COMPOUND", "household not in compound")
	ErrWrongState     = fault.New(fault.Refused, "WRONG_STATE", "wrong state")
	ErrNotAResolution = fault.New(fault.Refused, "NOT_A_RESOLUTION", "not a resolution")
)

// invalid is bad input on one field, named as the API names it.
func invalid(field, reason string) error { return fault.Field(field, reason) }

// violation is one offending field, for checks that name every one.
func violation(field, reason string) fault.Violation {
	return fault.Violation{Field: field, Description: reason}
}

// Kind is what a survey asks.
type Kind int

const (
	KindUnspecified Kind = iota
	Needs                // needs and willingness; feeds the ranking
	Resolution           // an owners' vote on a matter (rule 3: turnout and consent by households and area)
	Acceptance           // residents' satisfaction after the works
)

// Matter is what a resolution decides.
type Matter int

const (
	MatterUnspecified Matter = iota
	Renovation
	MaintenanceFund
	CommonPartBusiness
	OtherMatter
)

func (m Matter) String() string {
	switch m {
	case Renovation:
		return "RENOVATION"
	case MaintenanceFund:
		return "MAINTENANCE_FUND"
	case CommonPartBusiness:
		return "COMMON_PART_BUSINESS"
	case OtherMatter:
		return "OTHER"
	}
	return "UNSPECIFIED"
}

// BusinessUse is a use of common parts for business that a resolution authorises (rule
// 10: income from such a use needs a passed resolution naming it).
type BusinessUse int

const (
	BusinessUseUnspecified BusinessUse = iota
	ParkingPublic                      // parking let to outsiders
	ShopRent                           // rooms of the common parts let as shops
	OtherUse                           // anything else, said in the description
)

// checkBusinessUses: a COMMON_PART_BUSINESS resolution names at least one use it
// authorises, and no other survey names any (rule 10 reads them to let income in).
func checkBusinessUses(s Survey) error {
	business := s.Kind == Resolution && s.Matter == CommonPartBusiness
	if business && len(s.BusinessUses) == 0 {
		return invalid("survey.businessUses", "a COMMON_PART_BUSINESS resolution names at least one use it authorises")
	}
	if !business && len(s.BusinessUses) > 0 {
		return invalid("survey.businessUses", "only a COMMON_PART_BUSINESS resolution names business uses")
	}
	seen := map[BusinessUse]bool{}
	for i, u := range s.BusinessUses {
		if u <= BusinessUseUnspecified || u > OtherUse {
			return invalid(fmt.Sprintf("survey.businessUses[%d]", i), "is not a business use")
		}
		if seen[u] {
			return invalid(fmt.Sprintf("survey.businessUses[%d]", i), "is named twice")
		}
		seen[u] = true
	}
	return nil
}

// State is a survey's place in its lifecycle DRAFT → OPEN → CLOSED.
type State int

const (
	StateUnspecified State = iota
	Draft
	Open
	Closed
)

func (s State) String() string {
	switch s {
	case Draft:
		return "DRAFT"
	case Open:
		return "OPEN"
	case Closed:
		return "CLOSED"
	}
	return "UNSPECIFIED"
}

// QuestionType is how a question is answered.
type QuestionType int

const (
	TypeUnspecified QuestionType = iota
	SingleChoice
	MultiChoice
	Scale
	Text
)

// Option is one choice of a question.
type Option struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Question is one question of a survey.
type Question struct {
	ID       string       `json:"id"`
	Text     string       `json:"text"`
	Type     QuestionType `json:"type"`
	Options  []Option     `json:"options,omitempty"`
	ScaleMin int          `json:"scaleMin,omitempty"`
	ScaleMax int          `json:"scaleMax,omitempty"`
}

// ScaleRange is the question's scale, 1 to 5 unless set.
func (q *Question) ScaleRange() (int, int) {
	if q.ScaleMin == 0 && q.ScaleMax == 0 {
		return 1, 5
	}
	return q.ScaleMin, q.ScaleMax
}

func (q *Question) option(id string) (int, bool) {
	for i, o := range q.Options {
		if o.ID == id {
			return i, true
		}
	}
	return 0, false
}

// Electorate is what a survey counts against: the compound's households and their total
// exclusive area (hundredths of m²). It is frozen when the survey closes, so later
// registry edits do not change a decided vote (rule 3 counts against the compound's
// households and area).
type Electorate struct {
	Households int   `json:"households"`
	Area       int64 `json:"area"`
}

// Survey is a survey of one compound's households.
type Survey struct {
	ID          string `json:"id"`
	CompoundID  string `json:"compoundId"`
	ProjectID   string `json:"projectId,omitempty"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Kind        Kind   `json:"kind"`
	Matter      Matter `json:"matter,omitempty"`
	// BusinessUses are what a COMMON_PART_BUSINESS resolution authorises (rule 10).
	BusinessUses []BusinessUse `json:"businessUses,omitempty"`
	Questions    []Question    `json:"questions"`
	State        State         `json:"state"`
	// Electorate is taken from the registry when the survey opens and again, for good,
	// when it closes (Frozen).
	Electorate Electorate `json:"electorate"`
	Frozen     bool       `json:"frozen,omitempty"`
	OpenTime   time.Time  `json:"openTime,omitzero"`
	CloseTime  time.Time  `json:"closeTime,omitzero"`
	CreateTime time.Time  `json:"createTime"`
	UpdateTime time.Time  `json:"updateTime"`
	// OpenAccount and CloseAccount are the signed-in accounts (their tokens' subjects)
	// that opened and closed the survey (rule 16: who acts).
	OpenAccount  string `json:"openAccount,omitempty"`
	CloseAccount string `json:"closeAccount,omitempty"`

	Revision int64 `json:"-"` // kept beside the record
}

// Etag is the survey's revision as the API shows it.
func (s *Survey) Etag() string { return fmt.Sprintf("r%d", s.Revision) }

// NewSurvey checks a survey to be created and fills what the server owns.
func NewSurvey(s Survey, now time.Time) (Survey, error) {
	if s.Kind == KindUnspecified {
		return Survey{}, invalid("survey.kind", "is required")
	}
	if (s.Kind == Resolution) != (s.Matter != MatterUnspecified) {
		return Survey{}, invalid("survey.matter", "is required for a RESOLUTION survey and only there")
	}
	if err := checkBusinessUses(s); err != nil {
		return Survey{}, err
	}
	if err := checkQuestions(s.Kind, s.Questions); err != nil {
		return Survey{}, err
	}
	s.State = Draft
	s.Electorate, s.Frozen = Electorate{}, false
	s.CreateTime, s.UpdateTime = now, now
	s.OpenTime, s.CloseTime = time.Time{}, time.Time{}
	s.OpenAccount, s.CloseAccount = "", ""
	return s, nil
}

// checkQuestions enforces what gives a survey its meaning: ids unique, choice questions
// with options, and a first question that carries the kind (yes first for NEEDS; agree,
// disagree, abstain for RESOLUTION; satisfied, unsatisfied for ACCEPTANCE).
func checkQuestions(kind Kind, qs []Question) error {
	var vs []fault.Violation
	seen := map[string]bool{}
	for i, q := range qs {
		f := fmt.Sprintf("survey.questions[%d]", i)
		if seen[q.ID] {
			vs = append(vs, violation(f+".id", "question ids must be unique"))
		}
		seen[q.ID] = true
		choice := q.Type == SingleChoice || q.Type == MultiChoice
		if choice && len(q.Options) < 2 {
			vs = append(vs, violation(f+".options", "a choice question needs at least two options"))
		}
		if !choice && len(q.Options) > 0 {
			vs = append(vs, violation(f+".options", "only choice questions have options"))
		}
	}
	if len(qs) > 0 {
		first := qs[0]
		ids := make([]string, len(first.Options))
		for i, o := range first.Options {
			ids[i] = o.ID
		}
		switch kind {
		case Needs:
			if first.Type != SingleChoice {
				vs = append(vs, violation("survey.questions[0].type", "the first question of a NEEDS survey is SINGLE_CHOICE, its first option meaning yes"))
			}
		case Resolution:
			if first.Type != SingleChoice || !voteOptions(ids) {
				vs = append(vs, violation("survey.questions[0]", "the first question of a RESOLUTION survey is the vote: SINGLE_CHOICE with options agree, disagree and optionally abstain, agree first"))
			}
		case Acceptance:
			if first.Type != SingleChoice || len(ids) != 2 || ids[0] != "satisfied" || ids[1] != "unsatisfied" {
				vs = append(vs, violation("survey.questions[0]", "the first question of an ACCEPTANCE survey is SINGLE_CHOICE with options satisfied and unsatisfied"))
			}
		}
	}
	if len(vs) > 0 {
		return fault.Fields(vs...)
	}
	return nil
}

func voteOptions(ids []string) bool {
	if len(ids) < 2 || ids[0] != "agree" {
		return false
	}
	hasDisagree := false
	for _, id := range ids {
		switch id {
		case "disagree":
			hasDisagree = true
		case "agree", "abstain":
		default:
			return false
		}
	}
	return hasDisagree
}

// UpdatableFields are the fields PATCH may replace, by their API names. Questions and the
// matter and business uses change only in DRAFT: once residents answer, the questions are
// what they answered (and the uses what they voted on, rule 10).
var UpdatableFields = map[string]bool{"title": true, "description": true, "questions": true, "matter": true, "businessUses": true, "projectId": true}

// ApplyUpdate replaces the masked fields of current with those of patch.
func ApplyUpdate(current, patch Survey, mask []string, now time.Time) (Survey, error) {
	next := current
	for _, f := range mask {
		switch f {
		case "title":
			if patch.Title == "" {
				return Survey{}, invalid("survey.title", "cannot be emptied")
			}
			next.Title = patch.Title
		case "description":
			next.Description = patch.Description
		case "projectId":
			next.ProjectID = patch.ProjectID
		case "questions", "matter", "businessUses":
			if current.State != Draft {
				return Survey{}, fmt.Errorf("%w: %s change only while the survey is DRAFT; it is %s", ErrNotDraft, f, current.State)
			}
			switch f {
			case "questions":
				next.Questions = patch.Questions
			case "matter":
				next.Matter = patch.Matter
			default:
				next.BusinessUses = patch.BusinessUses
			}
		default:
			return Survey{}, invalid("updateMask", fmt.Sprintf("%q cannot be updated", f))
		}
	}
	if (next.Kind == Resolution) != (next.Matter != MatterUnspecified) {
		return Survey{}, invalid("survey.matter", "is required for a RESOLUTION survey and only there")
	}
	if err := checkBusinessUses(next); err != nil {
		return Survey{}, err
	}
	if err := checkQuestions(next.Kind, next.Questions); err != nil {
		return Survey{}, err
	}
	next.UpdateTime = now
	return next, nil
}

// OpenSurvey moves a DRAFT survey with questions to OPEN, noting the electorate of the
// moment.
func OpenSurvey(s Survey, e Electorate, now time.Time) (Survey, error) {
	if s.State != Draft {
		return Survey{}, fmt.Errorf("%w: only a DRAFT survey opens; it is %s", ErrWrongState, s.State)
	}
	if len(s.Questions) == 0 {
		return Survey{}, invalid("survey.questions", "a survey opens with at least one question")
	}
	s.State, s.OpenTime, s.UpdateTime = Open, now, now
	s.Electorate = e
	return s, nil
}

// CloseSurvey moves an OPEN survey to CLOSED and freezes its electorate.
func CloseSurvey(s Survey, e Electorate, now time.Time) (Survey, error) {
	if s.State != Open {
		return Survey{}, fmt.Errorf("%w: only an OPEN survey closes; it is %s", ErrWrongState, s.State)
	}
	s.State, s.CloseTime, s.UpdateTime = Closed, now, now
	s.Electorate, s.Frozen = e, true
	return s, nil
}
