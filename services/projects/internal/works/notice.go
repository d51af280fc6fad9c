package works

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"tongdu/platform/fault"
)

// NoticeKind is what a notice publishes (rule 14).
type NoticeKind int

const (
	NoticeKindUnspecified NoticeKind = iota
	NoticePlan
	NoticeFundDisclosure
	NoticeResolutionResult
	NoticeElectionResult
	NoticeConvention
)

var noticeKindNames = [...]string{"KIND_UNSPECIFIED", "PLAN", "FUND_DISCLOSURE", "RESOLUTION_RESULT", "ELECTION_RESULT", "CONVENTION"}

func (k NoticeKind) String() string { return nameOf(k, noticeKindNames[:], "NoticeKind(%d)") }

// NoticeState follows the clock: a notice is up between OpensAt and ClosesAt.
type NoticeState int

const (
	NoticeStateUnspecified NoticeState = iota
	NoticeScheduled
	NoticeOpen
	NoticeClosed
)

// DefaultNoticePeriod is rule 14's default: a plan stays up a week before approval.
const DefaultNoticePeriod = 7 * 24 * time.Hour

// ErrorInfo reasons of rule 14's refusals.
const (
	ReasonNoticePeriodOpen    = "NOTICE_PERIOD_OPEN"
	ReasonObjectionUnanswered = "OBJECTION_UNANSWERED"
	ReasonNoticeNotPublished  = "NOTICE_NOT_PUBLISHED"
	ReasonNoticeClosed        = "NOTICE_CLOSED"
	ReasonObjectionAnswered   = "OBJECTION_ANSWERED"
)

// Notice is one notice on a compound's board. What it publishes (Figures, Tables) is
// taken from its subject when it is posted and never changes afterwards; PlanPrint is the
// fingerprint of the plan a PLAN notice published, so approval can tell a plan changed
// since.
type Notice struct {
	ID            string         `json:"id"`
	CompoundID    string         `json:"compoundId"`
	Kind          NoticeKind     `json:"kind"`
	SubjectID     string         `json:"subjectId"`
	Title         string         `json:"title"`
	Body          string         `json:"body,omitempty"`
	OpensAt       time.Time      `json:"opensAt"`
	ClosesAt      time.Time      `json:"closesAt"`
	Figures       []NoticeFigure `json:"figures,omitempty"`
	Tables        []NoticeTable  `json:"tables,omitempty"`
	Objections    []Objection    `json:"objections,omitempty"`
	CompoundName  string         `json:"compoundName,omitempty"`
	CommunityName string         `json:"communityName,omitempty"`
	RecordedTime  time.Time      `json:"recordedTime"`
	CreateAccount string         `json:"createAccount,omitempty"`
	PlanPrint     string         `json:"planPrint,omitempty"`
	RequestID     string         `json:"requestId,omitempty"`

	Revision int64 `json:"-"` // kept beside the record
}

// NoticeFigure is one headline figure (budgetFen, households, …).
type NoticeFigure struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// NoticeTable is one published table; columns are keys screens translate.
type NoticeTable struct {
	Key     string     `json:"key"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Objection is a household's objection to a notice and the staff's answer. The household
// is kept for the office; the board never shows it.
type Objection struct {
	ID            string    `json:"id"`
	HouseholdID   string    `json:"householdId"`
	Text          string    `json:"text"`
	LodgeTime     time.Time `json:"lodgeTime"`
	LodgeAccount  string    `json:"lodgeAccount,omitempty"`
	Answer        string    `json:"answer,omitempty"`
	AnswerTime    time.Time `json:"answerTime,omitzero"`
	AnswerAccount string    `json:"answerAccount,omitempty"`
	RequestID     string    `json:"requestId,omitempty"`
	AnswerRequest string    `json:"answerRequest,omitempty"`
}

// Answered reports whether staff have answered the objection.
func (o *Objection) Answered() bool { return o.Answer != "" }

// State is where the notice stands at now.
func (n *Notice) State(now time.Time) NoticeState {
	switch {
	case now.Before(n.OpensAt):
		return NoticeScheduled
	case now.Before(n.ClosesAt):
		return NoticeOpen
	}
	return NoticeClosed
}

// Unanswered counts the objections still waiting for an answer.
func (n *Notice) Unanswered() int {
	c := 0
	for i := range n.Objections {
		if !n.Objections[i].Answered() {
			c++
		}
	}
	return c
}

// maxNoticeAhead bounds how far ahead a notice may be scheduled: a board plans weeks,
// not years; a date further out is a typing mistake.
const maxNoticeAhead = 366 * 24 * time.Hour

// ScheduleNotice fills in and checks a new notice's period: it opens at OpensAt (zero: now)
// and closes at ClosesAt (zero: after period). A PLAN stays up at least period (rule 14).
// A notice may have gone up on paper before it is recorded (rule 15); RecordedTime keeps
// when it was entered.
func ScheduleNotice(n Notice, now time.Time, period time.Duration) (Notice, error) {
	var c fault.Collect
	if n.Kind == NoticeKindUnspecified || n.Kind > NoticeConvention {
		c.Violation("notice.kind", "say what the notice publishes: PLAN, FUND_DISCLOSURE, RESOLUTION_RESULT, ELECTION_RESULT or CONVENTION")
	}
	if n.OpensAt.IsZero() {
		n.OpensAt = now
	}
	if n.OpensAt.After(now.Add(maxNoticeAhead)) {
		c.Violation("notice.opensAt", "a notice is scheduled at most a year ahead")
	}
	if n.ClosesAt.IsZero() {
		n.ClosesAt = n.OpensAt.Add(period)
	}
	switch {
	case !n.ClosesAt.After(n.OpensAt):
		c.Violation("notice.closesAt", "a notice closes after it opens")
	case n.Kind == NoticePlan && n.ClosesAt.Sub(n.OpensAt) < period:
		c.Violation("notice.closesAt", fmt.Sprintf("a plan stays up at least %s (rule 14); this one would stay %s", days(period), days(n.ClosesAt.Sub(n.OpensAt))))
	}
	if err := c.Err(); err != nil {
		return Notice{}, err
	}
	n.RecordedTime = now
	n.Objections = nil
	return n, nil
}

// days writes a period in days and hours, as a notice board counts it.
func days(d time.Duration) string {
	d = d.Round(time.Hour)
	dd, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case h == 0:
		return fmt.Sprintf("%d days", dd)
	case dd == 0:
		return fmt.Sprintf("%d hours", h)
	}
	return fmt.Sprintf("%d days %d hours", dd, h)
}

// Lodge adds a household's objection while the notice is up.
func (n *Notice) Lodge(o Objection, now time.Time) error {
	switch n.State(now) {
	case NoticeScheduled:
		return fault.Refuse(ReasonNoticeNotPublished, fmt.Sprintf("notice %s goes up on %s; objections are taken while it is up", n.ID, n.OpensAt.Format(time.DateOnly)), map[string]string{"opensAt": n.OpensAt.Format(time.RFC3339)})
	case NoticeClosed:
		return fault.Refuse(ReasonNoticeClosed, fmt.Sprintf("notice %s came down on %s; objections were taken while it was up", n.ID, n.ClosesAt.Format(time.DateOnly)), map[string]string{"closesAt": n.ClosesAt.Format(time.RFC3339)})
	}
	if strings.TrimSpace(o.Text) == "" {
		return fault.Field("objection.text", "say what you object to")
	}
	o.LodgeTime = now
	n.Objections = append(slices.Clone(n.Objections), o)
	return nil
}

// AnswerObjection records the staff's answer to an objection, once: an answer on the
// board is not rewritten (a further answer is a new notice's business).
func (n *Notice) AnswerObjection(id, answer, account, requestID string, now time.Time) (Objection, error) {
	if strings.TrimSpace(answer) == "" {
		return Objection{}, fault.Field("answer", "write the answer")
	}
	for i := range n.Objections {
		o := &n.Objections[i]
		if o.ID != id {
			continue
		}
		if o.Answered() {
			return Objection{}, fault.Refuse(ReasonObjectionAnswered, fmt.Sprintf("objection %s was answered on %s", id, o.AnswerTime.Format(time.DateOnly)), nil)
		}
		n.Objections = slices.Clone(n.Objections)
		o = &n.Objections[i]
		o.Answer, o.AnswerTime, o.AnswerAccount, o.AnswerRequest = answer, now, account, requestID
		return *o, nil
	}
	return Objection{}, fmt.Errorf("%w: objection %s of notice %s", ErrNotFound, id, n.ID)
}

// PlanPrint fingerprints a plan as posted: its budget and every item's published facts.
// Approval compares it with the plan as it stands, so a plan changed after its notice
// went up must be posted again.
func PlanPrint(p *Project, items []Item) string {
	h := sha256.New()
	fmt.Fprintf(h, "budget=%d\n", p.BudgetFen)
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b Item) int { return strings.Compare(a.ID, b.ID) })
	for _, it := range sorted {
		fmt.Fprintf(h, "%s|%d|%d|%q|%s|%s|%d\n", it.ID, it.Category, it.Kind, it.Description, strconv.FormatFloat(it.Quantity, 'f', -1, 64), it.Unit, it.EstimatedCostFen)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// CheckPlanNotice is approve's notice guard (rules 6 and 14): the plan as it stands was
// posted (the latest PLAN notice of the project, which may be nil), every objection has
// an answer, and the period is over. Unanswered objections are named before the period,
// since answering them is what the office can do now.
func CheckPlanNotice(n *Notice, planPrint string, now time.Time) error {
	switch {
	case n == nil:
		return fault.Refuse(ReasonNoticeNotPublished, "cannot approve: the plan has not been posted on the compound's notice board (rule 14); post a PLAN notice first", nil)
	case n.State(now) == NoticeScheduled:
		return fault.Refuse(ReasonNoticeNotPublished, fmt.Sprintf("cannot approve: the plan's notice %s goes up only on %s", n.ID, n.OpensAt.Format(time.DateOnly)), map[string]string{"notice": n.ID, "opensAt": n.OpensAt.Format(time.RFC3339)})
	case n.PlanPrint != planPrint:
		return fault.Refuse(ReasonNoticeNotPublished, fmt.Sprintf("cannot approve: the plan changed (items or budget) after notice %s went up; post it again", n.ID), map[string]string{"notice": n.ID})
	}
	if u := n.Unanswered(); u > 0 {
		return fault.Refuse(ReasonObjectionUnanswered, fmt.Sprintf("cannot approve: %d objection(s) to notice %s have no answer yet", u, n.ID), map[string]string{"notice": n.ID, "unanswered": strconv.Itoa(u)})
	}
	if left := n.ClosesAt.Sub(now); left > 0 {
		return fault.Refuse(ReasonNoticePeriodOpen, fmt.Sprintf("cannot approve: the plan's notice %s is up until %s (%s left)", n.ID, n.ClosesAt.Format(time.RFC3339), days(left)), map[string]string{"notice": n.ID, "closesAt": n.ClosesAt.Format(time.RFC3339)})
	}
	return nil
}

// personalDigits finds runs that look like phone (11 digits) or ID numbers (17 digits
// and a check character), which a resident may write into an objection.
var personalDigits = regexp.MustCompile(`\d{17}[\dXx]|1\d{10}`)

// Public is what anyone may read of an objection: no household, no account, and digits
// that look like a phone or ID number masked (rule 13).
func (o Objection) Public() Objection {
	mask := func(s string) string {
		return personalDigits.ReplaceAllStringFunc(s, func(d string) string {
			return d[:3] + strings.Repeat("*", len(d)-7) + d[len(d)-4:]
		})
	}
	return Objection{ID: o.ID, Text: mask(o.Text), LodgeTime: o.LodgeTime, Answer: mask(o.Answer), AnswerTime: o.AnswerTime, AnswerAccount: o.AnswerAccount}
}

// Place is where a household lives in its compound: no name, no phone, only the door.
type Place struct {
	Building, Unit, Room string
	AreaM2               float64
}

// PlanShares is what finance's funding plan says each household pays (rule 8); HasPlan is
// false while no plan with a residents' quota exists.
type PlanShares struct {
	HasPlan   bool
	FlatFen   int64 // a flat quota per household, or
	PerM2Fen  int64 // a quota per m² of exclusive area
	TargetFen int64
	Shares    map[string]int64 // household id → quota in fen
}

// PlanContent is what a PLAN notice publishes (rule 14): the budget and every item in
// the order of works (rule 5), and each household's share by its door (rule 8), with no
// names.
func PlanContent(p *Project, schedule []Item, shares PlanShares, places map[string]Place) ([]NoticeFigure, []NoticeTable) {
	var est int64
	items := NoticeTable{Key: "items", Columns: []string{"position", "category", "kind", "description", "quantity", "measure", "estimatedCostFen"}}
	for i, it := range schedule {
		est += it.EstimatedCostFen
		items.Rows = append(items.Rows, []string{strconv.Itoa(i + 1), strings.ToUpper(it.Category.String()), KindName(it.Kind), it.Description, strconv.FormatFloat(it.Quantity, 'f', -1, 64), it.Unit, strconv.FormatInt(it.EstimatedCostFen, 10)})
	}
	figures := []NoticeFigure{
		{"title", p.Title}, {"year", strconv.Itoa(p.Year)},
		{"budgetFen", strconv.FormatInt(p.BudgetFen, 10)},
		{"items", strconv.Itoa(len(schedule))}, {"estimatedCostFen", strconv.FormatInt(est, 10)},
	}
	tables := []NoticeTable{items}
	if !shares.HasPlan {
		return append(figures, NoticeFigure{"shares", "NO_FUNDING_PLAN"}), tables
	}
	switch {
	case shares.PerM2Fen > 0:
		figures = append(figures, NoticeFigure{"quotaPerM2Fen", strconv.FormatInt(shares.PerM2Fen, 10)})
	default:
		figures = append(figures, NoticeFigure{"quotaFlatFen", strconv.FormatInt(shares.FlatFen, 10)})
	}
	figures = append(figures, NoticeFigure{"households", strconv.Itoa(len(shares.Shares))}, NoticeFigure{"targetFen", strconv.FormatInt(shares.TargetFen, 10)})
	t := NoticeTable{Key: "shares", Columns: []string{"building", "unit", "room", "areaM2", "shareFen"}}
	for id, fen := range shares.Shares {
		pl := places[id]
		t.Rows = append(t.Rows, []string{pl.Building, pl.Unit, pl.Room, strconv.FormatFloat(pl.AreaM2, 'f', 2, 64), strconv.FormatInt(fen, 10)})
	}
	slices.SortFunc(t.Rows, func(a, b []string) int {
		for i := range 3 {
			if c := naturalCompare(a[i], b[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return figures, append(tables, t)
}

// naturalCompare orders door numbers as people read them: 2 before 10, then as text.
func naturalCompare(a, b string) int {
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	if ea == nil && eb == nil && na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}
