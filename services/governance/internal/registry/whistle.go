package registry

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"tongdu/platform/fault"
)

// Whistles (吹哨报到, rule 11): the community raises a ticket naming the departments it
// calls; each department must acknowledge and then resolve it within the limits of its
// priority, measured from the raise time. Overdue and escalation are not stored: they
// follow from the recorded times and the clock, so they are right at any instant without
// a background job, and the same record always reads the same at the same instant.

// Department is a functional department that whistles may call (water, housing, police).
type Department struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreateTime time.Time `json:"createTime"`
}

// departmentIDPattern is the contract's pattern of a caller's department id ("water").
var departmentIDPattern = regexp.MustCompile(`^[a-z0-9-]*$`)

// NewDepartment checks a department to be registered.
func NewDepartment(d Department, now time.Time) (Department, error) {
	if d.Name == "" {
		return Department{}, fault.Field("department.name", "is required")
	}
	if !departmentIDPattern.MatchString(d.ID) {
		return Department{}, fault.Field("department.id", "is lower-case letters, digits and '-'")
	}
	d.CreateTime = now
	return d, nil
}

// Priority sets a whistle's limits.
type Priority int

const (
	PriorityUnspecified Priority = iota
	Urgent
	Normal
)

func (p Priority) String() string {
	switch p {
	case Urgent:
		return "URGENT"
	case Normal:
		return "NORMAL"
	}
	return "UNSPECIFIED"
}

// WhistleStatus follows a whistle from raised to closed.
type WhistleStatus int

const (
	WhistleStatusUnspecified WhistleStatus = iota
	WhistleOpen                            // raised; some called department has not acknowledged
	WhistleAcknowledged                    // every called department acknowledged
	WhistleResolved                        // every called department resolved
	WhistleClosed                          // the community closed it with its ratings
	WhistleReported                        // reported by anyone, awaiting the community's triage
)

var whistleStatusNames = []string{"UNSPECIFIED", "OPEN", "ACKNOWLEDGED", "RESOLVED", "CLOSED", "REPORTED"}

func (s WhistleStatus) String() string { return nameOf(whistleStatusNames, s, "WhistleStatus") }

// Escalation is the level of the three-level linkage a whistle has reached. Its numbers
// run upwards from the community (unlike Level, which runs down from the district).
type Escalation int

const (
	EscalationUnspecified Escalation = iota
	AtCommunity
	AtSubdistrict
	AtDistrict
)

func (e Escalation) String() string {
	switch e {
	case AtCommunity:
		return "COMMUNITY"
	case AtSubdistrict:
		return "SUBDISTRICT"
	case AtDistrict:
		return "DISTRICT"
	}
	return "UNSPECIFIED"
}

// WhistleLimits are the limits of rule 11 (called departments acknowledge and resolve
// within limits by priority): how long after the raise time each
// called department has to acknowledge and to resolve.
type WhistleLimits struct {
	UrgentAcknowledge, UrgentResolve time.Duration
	NormalAcknowledge, NormalResolve time.Duration
}

// Of returns the acknowledge and resolve limits of priority p.
func (l WhistleLimits) Of(p Priority) (acknowledge, resolve time.Duration) {
	if p == Urgent {
		return l.UrgentAcknowledge, l.UrgentResolve
	}
	return l.NormalAcknowledge, l.NormalResolve
}

// WhistleTime is the precision of every time a whistle records. Deadlines are kept in
// Redis sorted sets, whose scores are doubles: microseconds since the epoch are exact
// there, nanoseconds are not. Recording at that precision keeps the indexes and the
// records in exact agreement.
const WhistleTime = time.Microsecond

// DepartmentResponse is one called department's part in a whistle.
type DepartmentResponse struct {
	DepartmentID       string    `json:"departmentId"`
	AcknowledgeTime    time.Time `json:"acknowledgeTime,omitzero"`
	AcknowledgeRemarks string    `json:"acknowledgeRemarks,omitempty"`
	ResolveTime        time.Time `json:"resolveTime,omitzero"`
	ResolveRemarks     string    `json:"resolveRemarks,omitempty"`
	Rating             int       `json:"rating,omitempty"`
	// AcknowledgeAccount and ResolveAccount are the signed-in accounts (their tokens'
	// subjects) that acknowledged and resolved the department's part (rule 16: who acts).
	AcknowledgeAccount string `json:"acknowledgeAccount,omitempty"`
	ResolveAccount     string `json:"resolveAccount,omitempty"`
}

func (r *DepartmentResponse) acknowledged() bool { return !r.AcknowledgeTime.IsZero() }
func (r *DepartmentResponse) resolved() bool     { return !r.ResolveTime.IsZero() }

// Whistle is a ticket the community raised (吹哨) and the departments' answers (报到).
// The deadlines are fixed when it is raised, from the limits then in force, so a later
// change of configuration does not move the goalposts of whistles already raised.
type Whistle struct {
	ID                  string               `json:"id"`
	CompoundID          string               `json:"compoundId"`
	Category            string               `json:"category"`
	Description         string               `json:"description"`
	DepartmentIDs       []string             `json:"departmentIds"`
	Priority            Priority             `json:"priority"`
	Status              WhistleStatus        `json:"status"`
	Responses           []DepartmentResponse `json:"responses"` // one per department, in DepartmentIDs order
	RaiseTime           time.Time            `json:"raiseTime"`
	AcknowledgeDeadline time.Time            `json:"acknowledgeDeadline"`
	ResolveDeadline     time.Time            `json:"resolveDeadline"`
	CloseTime           time.Time            `json:"closeTime,omitzero"`
	LinkageMeetingID    string               `json:"linkageMeetingId,omitempty"`
	// RaiseAccount and CloseAccount are the signed-in accounts (their tokens' subjects)
	// that raised and closed the whistle (rule 16: who acts).
	RaiseAccount string `json:"raiseAccount,omitempty"`
	CloseAccount string `json:"closeAccount,omitempty"`

	// Reports from anyone (ReportWhistle): where, in the reporter's words; who reported
	// ("households/ID", an app's subject, or an account's); the triage that called the
	// departments, and the reporting household's rating once closed.
	Address        string    `json:"address,omitempty"`
	Reporter       string    `json:"reporter,omitempty"`
	TriageTime     time.Time `json:"triageTime,omitzero"`
	TriageRemarks  string    `json:"triageRemarks,omitempty"`
	TriageAccount  string    `json:"triageAccount,omitempty"`
	ReporterRating int       `json:"reporterRating,omitempty"`
	RateAccount    string    `json:"rateAccount,omitempty"`

	Revision int64 `json:"-"`
}

// ClockStart is when the whistle's limits started to run: its triage for a reported
// whistle (nobody was called before), its raise time otherwise.
func (w *Whistle) ClockStart() time.Time {
	if !w.TriageTime.IsZero() {
		return w.TriageTime
	}
	return w.RaiseTime
}

// ReporterHousehold is the id of the household that reported the whistle, or "".
func (w *Whistle) ReporterHousehold() string {
	id, ok := strings.CutPrefix(w.Reporter, "households/")
	if !ok {
		return ""
	}
	return id
}

// MaxAddress is the longest address a report may give, in characters.
const MaxAddress = 200

// NewReportedWhistle checks a whistle reported by anyone (a household, an Open311 app,
// staff) in a compound the caller found to exist, and fills what the server owns. It is
// REPORTED: it calls no department and has no priority, so no limit runs (rule 11's
// clocks start at the triage) and it counts in no department's report. reporter is who
// reported it ("households/ID" or a subject).
func NewReportedWhistle(w Whistle, reporter string, now time.Time) (Whistle, error) {
	var vs []fault.Violation
	if w.Category == "" {
		vs = append(vs, violation("category", "is required"))
	}
	if w.Description == "" {
		vs = append(vs, violation("description", "is required"))
	}
	if utf8.RuneCountInString(w.Address) > MaxAddress {
		vs = append(vs, violation("address", fmt.Sprintf("is at most %d characters", MaxAddress)))
	}
	if len(vs) > 0 {
		return Whistle{}, fault.Fields(vs...)
	}
	now = now.Truncate(WhistleTime)
	return Whistle{
		CompoundID: w.CompoundID, Category: w.Category, Description: w.Description, Address: w.Address,
		Status: WhistleReported, RaiseTime: now, Reporter: reporter, Responses: []DepartmentResponse{},
	}, nil
}

// TriageWhistle is the community's triage of a REPORTED whistle: it calls registered
// departments with a priority, and rule 11's limits run from now. It reports whether
// anything changed: the same triage of a whistle triaged already (a retried request) is
// a no-op; any other triage of a whistle not REPORTED is ErrWrongState (it was triaged
// otherwise, or raised with its departments already). registered holds the registered
// departments among those named.
func TriageWhistle(w Whistle, departments []string, priority Priority, remarks string, registered map[string]bool, limits WhistleLimits, now time.Time) (Whistle, bool, error) {
	var vs []fault.Violation
	if len(departments) == 0 {
		vs = append(vs, violation("departmentIds", "call at least one department"))
	}
	seen := map[string]bool{}
	for i, d := range departments {
		f := fmt.Sprintf("departmentIds[%d]", i)
		switch {
		case seen[d]:
			vs = append(vs, violation(f, "department "+d+" is called twice"))
		case !registered[d]:
			vs = append(vs, violation(f, "no registered department "+d))
		}
		seen[d] = true
	}
	if priority != Urgent && priority != Normal {
		vs = append(vs, violation("priority", "is URGENT or NORMAL"))
	}
	if len(vs) > 0 {
		return Whistle{}, false, fault.Fields(vs...)
	}
	if w.Status != WhistleReported {
		if !w.TriageTime.IsZero() && slices.Equal(w.DepartmentIDs, departments) && w.Priority == priority && w.TriageRemarks == remarks {
			return w, false, nil
		}
		return Whistle{}, false, fmt.Errorf("%w: whistle %s is %s; only a REPORTED whistle awaits triage", ErrWrongState, w.ID, w.Status)
	}
	w = cloneWhistle(w)
	now = now.Truncate(WhistleTime)
	ack, resolve := limits.Of(priority)
	w.DepartmentIDs = slices.Clone(departments)
	w.Priority = priority
	w.Status = WhistleOpen
	w.TriageTime, w.TriageRemarks = now, remarks
	w.AcknowledgeDeadline = now.Add(ack.Truncate(WhistleTime))
	w.ResolveDeadline = now.Add(resolve.Truncate(WhistleTime))
	w.Responses = make([]DepartmentResponse, len(departments))
	for i, d := range departments {
		w.Responses[i] = DepartmentResponse{DepartmentID: d}
	}
	return w, true, nil
}

// RateWhistle records the reporting household's 1–5 rating of a CLOSED whistle it
// reported, and reports whether anything changed. Another household is ErrNotEligible; a
// whistle not yet closed is ErrWrongState. A rating is given once: the same rating again
// (a retried request) is a no-op, another one ErrWrongState.
func RateWhistle(w Whistle, household string, rating int) (Whistle, bool, error) {
	if rating < 1 || rating > 5 {
		return Whistle{}, false, fault.Field("rating", "runs from 1 to 5")
	}
	if household == "" || w.ReporterHousehold() != household {
		return Whistle{}, false, fmt.Errorf("%w: household %s did not report whistle %s; only the reporting household rates it", ErrNotEligible, household, w.ID)
	}
	switch {
	case w.Status != WhistleClosed:
		return Whistle{}, false, fmt.Errorf("%w: whistle %s is %s; it is rated once closed", ErrWrongState, w.ID, w.Status)
	case w.ReporterRating == rating:
		return w, false, nil
	case w.ReporterRating != 0:
		return Whistle{}, false, fmt.Errorf("%w: whistle %s is rated already (%d)", ErrWrongState, w.ID, w.ReporterRating)
	}
	w = cloneWhistle(w)
	w.ReporterRating = rating
	return w, true, nil
}

// NewWhistle checks a whistle to be raised in a compound (which the caller found to
// exist) and fills what the server owns. registered holds the registered departments the
// request names; meeting is the linkage meeting it names (nil when it names none or an
// unknown one).
func NewWhistle(w Whistle, registered map[string]bool, meeting *LinkageMeeting, limits WhistleLimits, now time.Time) (Whistle, error) {
	var vs []fault.Violation
	if w.Category == "" {
		vs = append(vs, violation("whistle.category", "is required"))
	}
	if w.Description == "" {
		vs = append(vs, violation("whistle.description", "is required"))
	}
	if len(w.DepartmentIDs) == 0 {
		vs = append(vs, violation("whistle.departmentIds", "call at least one department"))
	}
	seen := map[string]bool{}
	for i, d := range w.DepartmentIDs {
		f := fmt.Sprintf("whistle.departmentIds[%d]", i)
		switch {
		case seen[d]:
			vs = append(vs, violation(f, "department "+d+" is called twice"))
		case !registered[d]:
			vs = append(vs, violation(f, "no registered department "+d))
		}
		seen[d] = true
	}
	if w.Priority != Urgent && w.Priority != Normal {
		vs = append(vs, violation("whistle.priority", "is URGENT or NORMAL"))
	}
	if id := w.LinkageMeetingID; id != "" {
		switch {
		case meeting == nil:
			vs = append(vs, violation("whistle.linkageMeetingId", "no linkage meeting "+id))
		case meeting.CompoundID != w.CompoundID:
			vs = append(vs, violation("whistle.linkageMeetingId", fmt.Sprintf("linkage meeting %s met for compound %s, not %s", id, meeting.CompoundID, w.CompoundID)))
		}
	}
	if len(vs) > 0 {
		return Whistle{}, fault.Fields(vs...)
	}
	now = now.Truncate(WhistleTime)
	ack, resolve := limits.Of(w.Priority)
	w.Status = WhistleOpen
	w.RaiseTime = now
	w.AcknowledgeDeadline = now.Add(ack.Truncate(WhistleTime))
	w.ResolveDeadline = now.Add(resolve.Truncate(WhistleTime))
	w.CloseTime = time.Time{}
	w.RaiseAccount, w.CloseAccount = "", ""
	w.Responses = make([]DepartmentResponse, len(w.DepartmentIDs))
	for i, d := range w.DepartmentIDs {
		w.Responses[i] = DepartmentResponse{DepartmentID: d}
	}
	return w, nil
}

// response returns the called department's response, or ErrNotEligible.
func (w *Whistle) response(department string) (*DepartmentResponse, error) {
	for i := range w.Responses {
		if w.Responses[i].DepartmentID == department {
			return &w.Responses[i], nil
		}
	}
	return nil, fmt.Errorf("%w: department %s is not called by whistle %s", ErrNotEligible, department, w.ID)
}

// cloneWhistle copies w deeply enough that editing the copy's responses leaves w alone.
func cloneWhistle(w Whistle) Whistle {
	w.Responses = slices.Clone(w.Responses)
	w.DepartmentIDs = slices.Clone(w.DepartmentIDs)
	return w
}

// settle moves the status after a department's act: ACKNOWLEDGED once every called
// department acknowledged, RESOLVED once every one resolved.
func (w *Whistle) settle() {
	acked, resolved := true, true
	for i := range w.Responses {
		acked = acked && w.Responses[i].acknowledged()
		resolved = resolved && w.Responses[i].resolved()
	}
	switch {
	case resolved:
		w.Status = WhistleResolved
	case acked:
		w.Status = WhistleAcknowledged
	default:
		w.Status = WhistleOpen
	}
}

// AcknowledgeWhistle records that department acknowledged (报到). It reports whether
// anything changed: acknowledging again is a no-op that keeps the first time and remarks,
// so a retried request is harmless. A department the whistle does not call is
// ErrNotEligible.
func AcknowledgeWhistle(w Whistle, department, remarks string, now time.Time) (Whistle, bool, error) {
	w = cloneWhistle(w)
	r, err := w.response(department)
	if err != nil {
		return Whistle{}, false, err
	}
	if r.acknowledged() {
		return w, false, nil
	}
	r.AcknowledgeTime, r.AcknowledgeRemarks = now.Truncate(WhistleTime), remarks
	w.settle()
	return w, true, nil
}

// ResolveWhistle records that department resolved its part. Rule 11 (a department
// resolves only what it has acknowledged): one that has not acknowledged is
// ErrNotAcknowledged and nothing changes, so the record always shows the call was heard
// before the work was done, and the acknowledge limit is judged on a real acknowledgement.
// Resolving again is a no-op. A department the whistle does not call is ErrNotEligible.
func ResolveWhistle(w Whistle, department, remarks string, now time.Time) (Whistle, bool, error) {
	w = cloneWhistle(w)
	r, err := w.response(department)
	if err != nil {
		return Whistle{}, false, err
	}
	if r.resolved() {
		return w, false, nil
	}
	if !r.acknowledged() {
		return Whistle{}, false, fmt.Errorf("%w: department %s has not acknowledged whistle %s; it resolves only what it has acknowledged", ErrNotAcknowledged, department, w.ID)
	}
	r.ResolveTime, r.ResolveRemarks = now.Truncate(WhistleTime), remarks
	w.settle()
	return w, true, nil
}

// DepartmentRating is the community's 1–5 score of one department's work on a whistle.
type DepartmentRating struct {
	DepartmentID string
	Score        int
}

// CloseWhistle closes a RESOLVED whistle with a rating of every department it called,
// each rated once (rule 11: called departments acknowledge and resolve within limits by
// priority). A whistle not yet RESOLVED is ErrWrongState. Closing a
// CLOSED whistle again with the same ratings is a no-op (a retried request); with other
// ratings it is ErrWrongState: ratings are not rewritten.
func CloseWhistle(w Whistle, ratings []DepartmentRating, now time.Time) (Whistle, bool, error) {
	w = cloneWhistle(w)
	var vs []fault.Violation
	given := map[string]int{}
	for i, rt := range ratings {
		f := fmt.Sprintf("ratings[%d]", i)
		_, err := w.response(rt.DepartmentID)
		_, twice := given[rt.DepartmentID]
		switch {
		case err != nil:
			vs = append(vs, violation(f+".departmentId", "department "+rt.DepartmentID+" is not called by this whistle"))
		case twice:
			vs = append(vs, violation(f+".departmentId", "department "+rt.DepartmentID+" is rated twice"))
		}
		if rt.Score < 1 || rt.Score > 5 {
			vs = append(vs, violation(f+".score", "runs from 1 to 5"))
		}
		given[rt.DepartmentID] = rt.Score
	}
	for _, d := range w.DepartmentIDs {
		if _, ok := given[d]; !ok {
			vs = append(vs, violation("ratings", "department "+d+" is not rated; the community rates every department it called"))
		}
	}
	if len(vs) > 0 {
		return Whistle{}, false, fault.Fields(vs...)
	}
	switch w.Status {
	case WhistleClosed:
		for _, r := range w.Responses {
			if r.Rating != given[r.DepartmentID] {
				return Whistle{}, false, fmt.Errorf("%w: whistle %s is closed already with other ratings", ErrWrongState, w.ID)
			}
		}
		return w, false, nil
	case WhistleResolved:
	default:
		return Whistle{}, false, fmt.Errorf("%w: whistle %s is %s; it closes once every department resolved it", ErrWrongState, w.ID, w.Status)
	}
	for i := range w.Responses {
		w.Responses[i].Rating = given[w.Responses[i].DepartmentID]
	}
	w.Status = WhistleClosed
	w.CloseTime = now.Truncate(WhistleTime)
	return w, true, nil
}

// ackLate and resolveLate say whether a department's recorded act came after its
// deadline; an act at the deadline itself meets it.
func (w *Whistle) ackLate(r *DepartmentResponse) bool {
	return r.acknowledged() && r.AcknowledgeTime.After(w.AcknowledgeDeadline)
}

func (w *Whistle) resolveLate(r *DepartmentResponse) bool {
	return r.resolved() && r.ResolveTime.After(w.ResolveDeadline)
}

// breaches says which of its limits one department has broken at now: by a recorded act
// after the deadline, or by no act and the deadline passed.
func (w *Whistle) breaches(r *DepartmentResponse, now time.Time) (acknowledge, resolve bool) {
	acknowledge = w.ackLate(r) || (!r.acknowledged() && now.After(w.AcknowledgeDeadline))
	resolve = w.resolveLate(r) || (!r.resolved() && now.After(w.ResolveDeadline))
	return acknowledge, resolve
}

// WhistleAssessment is what the clock makes of a whistle at one instant.
type WhistleAssessment struct {
	Overdue    bool
	Escalation Escalation
	// DepartmentOverdue holds the departments that broke a limit.
	DepartmentOverdue map[string]bool
}

// Assess applies rule 11 (a breached limit marks the whistle overdue and escalates it
// one level per breached limit) at now. A whistle has two limits, to acknowledge and to
// resolve; each one breached, by any of its departments, lifts it one level from the
// COMMUNITY: one limit to the SUB-DISTRICT, both to the DISTRICT. Levels count limits, not
// departments (three departments late to acknowledge are one breached limit) nor elapsed
// time (a whistle acknowledged in time and resolved late broke one limit). The marks stay
// after the late act: a whistle resolved late remains overdue in the record and in the
// reports.
func (w *Whistle) Assess(now time.Time) WhistleAssessment {
	a := WhistleAssessment{Escalation: AtCommunity, DepartmentOverdue: map[string]bool{}}
	var ackLate, resolveLate bool
	for i := range w.Responses {
		r := &w.Responses[i]
		ack, res := w.breaches(r, now)
		ackLate, resolveLate = ackLate || ack, resolveLate || res
		if ack || res {
			a.DepartmentOverdue[r.DepartmentID] = true
		}
	}
	a.Overdue = ackLate || resolveLate
	for _, breached := range []bool{ackLate, resolveLate} {
		if breached {
			a.Escalation++ // one level per breached limit; two limits reach the DISTRICT
		}
	}
	return a
}

// OverdueAt is the instant after which the whistle is overdue: the first deadline some
// department broke, or will break if nothing more is done. It is zero when no deadline
// can be broken any more (every department acted in time). Assess(now).Overdue holds
// exactly when OverdueAt is set and before now, which is what lets storage keep one
// sorted set of these instants and answer "overdue now" with a range query.
func (w *Whistle) OverdueAt() time.Time {
	var at time.Time
	for i := range w.Responses {
		if t := w.breachAt(&w.Responses[i]); !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	return at
}

// breachAt is the earliest deadline at which one department is or becomes overdue: a
// deadline it met late, or one it has not met yet. It is zero when it met both in time.
// (A department resolves only once it acknowledged, so every open act lies ahead.)
func (w *Whistle) breachAt(r *DepartmentResponse) time.Time {
	var at time.Time
	if !r.acknowledged() || w.ackLate(r) {
		at = w.AcknowledgeDeadline
	}
	if (!r.resolved() || w.resolveLate(r)) && (at.IsZero() || w.ResolveDeadline.Before(at)) {
		at = w.ResolveDeadline
	}
	return at
}

// DepartmentTally is what whistles contribute to one department's report (rule 11: called
// departments acknowledge and resolve within limits by priority). Each
// whistle's contribution is a function of its record alone, so storage keeps running
// sums and adds the difference each change makes (WhistleChangeOf).
type DepartmentTally struct {
	DepartmentID string
	Whistles     int64 // whistles calling the department
	Acknowledged int64
	Resolved     int64
	Rated        int64
	Breached     int64 // whistles where a recorded act of the department came after its deadline
	// Sums in microseconds from the clock's start (ClockStart), and of ratings.
	AcknowledgeMicros, ResolveMicros, RatingSum int64
	// Pending is the deadline the department will break if it does nothing more; zero
	// when it has resolved, or when the whistle counts in Breached already. Pending
	// deadlines that have passed are the rest of the department's overdue count.
	Pending time.Time
}

// Tallies returns the whistle's contribution to each department it calls.
func (w *Whistle) Tallies() []DepartmentTally {
	out := make([]DepartmentTally, len(w.Responses))
	for i := range w.Responses {
		r := &w.Responses[i]
		t := DepartmentTally{DepartmentID: r.DepartmentID, Whistles: 1}
		if r.acknowledged() {
			t.Acknowledged = 1
			t.AcknowledgeMicros = r.AcknowledgeTime.Sub(w.ClockStart()).Microseconds()
		}
		if r.resolved() {
			t.Resolved = 1
			t.ResolveMicros = r.ResolveTime.Sub(w.ClockStart()).Microseconds()
		}
		if r.Rating > 0 {
			t.Rated, t.RatingSum = 1, int64(r.Rating)
		}
		// A recorded late act is a breach for good; otherwise the breach, if any, is
		// still to come and is left to the clock.
		switch {
		case w.ackLate(r) || w.resolveLate(r):
			t.Breached = 1
		case !r.resolved():
			t.Pending = w.breachAt(r)
		}
		out[i] = t
	}
	return out
}

// Minus returns t − u counter by counter; Pending stays t's.
func (t DepartmentTally) Minus(u DepartmentTally) DepartmentTally {
	t.Whistles -= u.Whistles
	t.Acknowledged -= u.Acknowledged
	t.Resolved -= u.Resolved
	t.Rated -= u.Rated
	t.Breached -= u.Breached
	t.AcknowledgeMicros -= u.AcknowledgeMicros
	t.ResolveMicros -= u.ResolveMicros
	t.RatingSum -= u.RatingSum
	return t
}

// WhistleChange is what storage must move, beside the record, when a whistle goes from
// one state to the next: where it sits in the overdue index, and each called
// department's counters (as differences) and pending deadline.
type WhistleChange struct {
	OverdueAt   time.Time // zero: not in the overdue index
	Departments []DepartmentTally
}

// WhistleChangeOf returns the change from prev to next; prev is nil for a new whistle.
// The departments a whistle calls never change once called, so the tallies pair up by
// position; a triage calls them (a REPORTED whistle calls none), and then the change is
// the whole of next's, as for a new whistle.
func WhistleChangeOf(prev, next *Whistle) WhistleChange {
	c := WhistleChange{OverdueAt: next.OverdueAt(), Departments: next.Tallies()}
	if prev != nil && len(prev.Responses) > 0 {
		before := prev.Tallies()
		for i := range c.Departments {
			c.Departments[i] = c.Departments[i].Minus(before[i])
		}
	}
	return c
}

// DepartmentPerformance is a department's report of rule 11: counts, mean times from the
// raise time, the overdue rate and the mean rating.
type DepartmentPerformance struct {
	DepartmentID           string
	Whistles               int64
	Acknowledged           int64
	Resolved               int64
	Overdue                int64
	OverdueRate            float64
	MeanAcknowledgeSeconds float64
	MeanResolveSeconds     float64
	MeanRating             float64
}

// Performance turns a department's summed tally into its report. pendingPast is the
// number of its pending deadlines that have passed (whistles it is overdue on now but has
// not yet acted on late). Means over no cases are 0.
func Performance(t DepartmentTally, pendingPast int64) DepartmentPerformance {
	mean := func(sum, n int64, unit float64) float64 {
		if n == 0 {
			return 0
		}
		return float64(sum) / unit / float64(n)
	}
	p := DepartmentPerformance{
		DepartmentID: t.DepartmentID, Whistles: t.Whistles, Acknowledged: t.Acknowledged, Resolved: t.Resolved,
		Overdue:                t.Breached + pendingPast,
		MeanAcknowledgeSeconds: mean(t.AcknowledgeMicros, t.Acknowledged, 1e6),
		MeanResolveSeconds:     mean(t.ResolveMicros, t.Resolved, 1e6),
		MeanRating:             mean(t.RatingSum, t.Rated, 1),
	}
	p.OverdueRate = mean(p.Overdue, p.Whistles, 1)
	return p
}
