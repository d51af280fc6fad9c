package opinion

import (
	"fmt"
	"time"
)

// IdeaStatus is where a golden idea (金点子) stands.
type IdeaStatus int

const (
	IdeaUnspecified IdeaStatus = iota
	Submitted
	Adopted
	Declined
)

// Idea is a resident's golden idea on what and how to renovate.
type Idea struct {
	ID            string     `json:"id"`
	CompoundID    string     `json:"compoundId"`
	HouseholdID   string     `json:"householdId"`
	Text          string     `json:"text"`
	Category      string     `json:"category,omitempty"`
	Status        IdeaStatus `json:"status"`
	AdoptRemarks  string     `json:"adoptRemarks,omitempty"`
	DeclineReason string     `json:"declineReason,omitempty"`
	CreateTime    time.Time  `json:"createTime"`
	DecideTime    time.Time  `json:"decideTime,omitzero"`
	// DecideAccount is the signed-in account (its token's subject) that adopted or
	// declined the idea (rule 16: who acts).
	DecideAccount string `json:"decideAccount,omitempty"`

	Endorsements int64 `json:"-"` // kept beside the record
}

// Decide adopts or declines a submitted idea; a decided idea stays decided.
func Decide(i Idea, adopt bool, text string, now time.Time) (Idea, error) {
	if i.Status != Submitted {
		return Idea{}, fmt.Errorf("%w: idea %s is decided already", ErrWrongState, i.ID)
	}
	if adopt {
		i.Status, i.AdoptRemarks = Adopted, text
	} else {
		if text == "" {
			return Idea{}, invalid("reason", "a declined idea needs the reason, for the resident who sent it")
		}
		i.Status, i.DeclineReason = Declined, text
	}
	i.DecideTime = now
	return i, nil
}

// MeetingState is OPEN until the minutes are closed.
type MeetingState int

const (
	MeetingUnspecified MeetingState = iota
	MeetingOpen
	MeetingClosed
)

// Meeting is a courtyard meeting (院坝会).
type Meeting struct {
	ID         string       `json:"id"`
	CompoundID string       `json:"compoundId"`
	Title      string       `json:"title"`
	Place      string       `json:"place,omitempty"`
	HeldAt     time.Time    `json:"heldAt"`
	Attendees  []string     `json:"attendees,omitempty"`
	Topics     []string     `json:"topics,omitempty"`
	Minutes    string       `json:"minutes,omitempty"`
	Decisions  []string     `json:"decisions,omitempty"`
	State      MeetingState `json:"state"`
	CreateTime time.Time    `json:"createTime"`
	CloseTime  time.Time    `json:"closeTime,omitzero"`
	// CreateAccount and CloseAccount are the signed-in accounts (their tokens' subjects)
	// that recorded the meeting and closed it with its minutes (rule 16: who acts).
	CreateAccount string `json:"createAccount,omitempty"`
	CloseAccount  string `json:"closeAccount,omitempty"`
}

// CloseMeeting closes an open meeting; what the close states (attendees, minutes,
// decisions) replaces what the meeting had, what it leaves empty stays.
func CloseMeeting(m Meeting, attendees []string, minutes string, decisions []string, now time.Time) (Meeting, error) {
	if m.State != MeetingOpen {
		return Meeting{}, fmt.Errorf("%w: meeting %s is closed already", ErrWrongState, m.ID)
	}
	if len(attendees) > 0 {
		m.Attendees = attendees
	}
	if minutes != "" {
		m.Minutes = minutes
	}
	if len(decisions) > 0 {
		m.Decisions = decisions
	}
	m.State, m.CloseTime = MeetingClosed, now
	return m, nil
}
