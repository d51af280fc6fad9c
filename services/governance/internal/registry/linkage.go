package registry

import (
	"fmt"
	"strings"
	"time"

	"tongdu/platform/fault"
)

// The five-party linkage (五方联动) and what it decides: meetings of the five parties,
// the compound's conventions that owners adopt by resolution, and district leaders tied
// to compounds and communities (领导挂钩).

// LinkageParty is one of the five parties of the linkage (DOMAIN glossary).
type LinkageParty int

const (
	LinkagePartyUnspecified LinkageParty = iota
	LinkageCommunityPartyCommittee
	LinkageResidentsCommittee
	LinkageCompoundBranch
	LinkageOwnersCommittee
	LinkageBuildingLeaders
)

var linkagePartyNames = []string{"UNSPECIFIED", "COMMUNITY_PARTY_COMMITTEE", "RESIDENTS_COMMITTEE", "COMPOUND_BRANCH", "OWNERS_COMMITTEE", "BUILDING_LEADERS"}

func (p LinkageParty) String() string { return nameOf(linkagePartyNames, p, "LinkageParty") }

// LinkageAttendee is who came for one party.
type LinkageAttendee struct {
	Party    LinkageParty `json:"party"`
	Attendee string       `json:"attendee"`
}

// LinkageMeeting is a joint meeting of the five parties about one compound: who came for
// each party, the agenda, the decisions, and the whistles raised to follow it up.
type LinkageMeeting struct {
	ID                 string            `json:"id"`
	CompoundID         string            `json:"compoundId"`
	HeldTime           time.Time         `json:"heldTime"`
	Attendees          []LinkageAttendee `json:"attendees,omitempty"`
	Agenda             []string          `json:"agenda,omitempty"`
	Decisions          []string          `json:"decisions,omitempty"`
	FollowUpWhistleIDs []string          `json:"followUpWhistleIds,omitempty"`
}

// NewLinkageMeeting checks a meeting of a compound (which the caller found to exist).
// Each party attends at most once, as one voice; follow-up whistles must be whistles of
// the same compound: whistleCompound gives the compound of each whistle named ("" for an
// unknown one). An unset held time is now.
func NewLinkageMeeting(m LinkageMeeting, whistleCompound map[string]string, now time.Time) (LinkageMeeting, error) {
	var vs []fault.Violation
	parties := map[LinkageParty]int{}
	for i, a := range m.Attendees {
		f := fmt.Sprintf("linkageMeeting.attendees[%d]", i)
		switch j, twice := parties[a.Party]; {
		case a.Party <= LinkagePartyUnspecified || a.Party > LinkageBuildingLeaders:
			vs = append(vs, violation(f+".party", "is one of the five parties of the linkage"))
		case twice:
			vs = append(vs, violation(f+".party", fmt.Sprintf("%s attends already as entry %d; each party attends once", a.Party, j)))
		default:
			parties[a.Party] = i
		}
		if strings.TrimSpace(a.Attendee) == "" {
			vs = append(vs, violation(f+".attendee", "is required"))
		}
	}
	vs = append(vs, blankEntries("linkageMeeting.agenda", m.Agenda)...)
	vs = append(vs, blankEntries("linkageMeeting.decisions", m.Decisions)...)
	seen := map[string]bool{}
	for i, id := range m.FollowUpWhistleIDs {
		f := fmt.Sprintf("linkageMeeting.followUpWhistleIds[%d]", i)
		switch c := whistleCompound[id]; {
		case seen[id]:
			vs = append(vs, violation(f, "whistle "+id+" is named twice"))
		case c == "":
			vs = append(vs, violation(f, "no whistle "+id))
		case c != m.CompoundID:
			vs = append(vs, violation(f, fmt.Sprintf("whistle %s was raised in compound %s, not %s", id, c, m.CompoundID)))
		}
		seen[id] = true
	}
	if len(vs) > 0 {
		return LinkageMeeting{}, fault.Fields(vs...)
	}
	if m.HeldTime.IsZero() {
		m.HeldTime = now
	}
	return m, nil
}

// blankEntries names the entries of a list of texts that hold nothing.
func blankEntries(field string, texts []string) []fault.Violation {
	var vs []fault.Violation
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			vs = append(vs, violation(fmt.Sprintf("%s[%d]", field, i), "is empty"))
		}
	}
	return vs
}

// ConventionKind is which of a compound's rules a convention text is.
type ConventionKind int

const (
	ConventionKindUnspecified ConventionKind = iota
	ResidentsConvention                      // 居民公约
	CleaningRules                            // 保洁制度
	ParkingFeeRules                          // 停车收费办法
)

var conventionKindNames = []string{"UNSPECIFIED", "RESIDENTS_CONVENTION", "CLEANING_RULES", "PARKING_FEE_RULES"}

func (k ConventionKind) String() string { return nameOf(conventionKindNames, k, "ConventionKind") }

// Convention is one version of a compound's rules of one kind. Versions count up per
// compound and kind (storage assigns them, atomically); a text is in force once the
// owners adopt it by a passed resolution, and the highest adopted version of a kind is
// the one in force.
type Convention struct {
	ID                 string         `json:"id"`
	CompoundID         string         `json:"compoundId"`
	Kind               ConventionKind `json:"kind"`
	Title              string         `json:"title"`
	Text               string         `json:"text"`
	Adopted            bool           `json:"adopted,omitempty"`
	ResolutionSurveyID string         `json:"resolutionSurveyId,omitempty"`
	AdoptTime          time.Time      `json:"adoptTime,omitzero"`
	CreateTime         time.Time      `json:"createTime"`
	// CreateAccount is the signed-in account (its token's subject) that put the text
	// forward; AdoptAccount the one that recorded its adoption (rule 16: who acts).
	CreateAccount string `json:"createAccount,omitempty"`
	AdoptAccount  string `json:"adoptAccount,omitempty"`

	// Kept beside the record by storage.
	Version  int   `json:"-"`
	Revision int64 `json:"-"`
}

// NewConvention checks a new text of a compound's convention (the caller found the
// compound to exist).
func NewConvention(c Convention, compoundID string, now time.Time) (Convention, error) {
	var vs []fault.Violation
	if c.Kind <= ConventionKindUnspecified || c.Kind > ParkingFeeRules {
		vs = append(vs, violation("convention.kind", "is RESIDENTS_CONVENTION, CLEANING_RULES or PARKING_FEE_RULES"))
	}
	if strings.TrimSpace(c.Title) == "" {
		vs = append(vs, violation("convention.title", "is required"))
	}
	if strings.TrimSpace(c.Text) == "" {
		vs = append(vs, violation("convention.text", "is required"))
	}
	if len(vs) > 0 {
		return Convention{}, fault.Fields(vs...)
	}
	c.CompoundID = compoundID
	c.Adopted, c.ResolutionSurveyID, c.AdoptTime = false, "", time.Time{}
	c.CreateAccount, c.AdoptAccount = "", ""
	c.Version, c.Revision = 0, 0
	c.CreateTime = now
	return c, nil
}

// Resolution is what the survey service says of an owners' resolution.
type Resolution struct {
	SurveyID      string
	Found, Passed bool
	CompoundID    string
	Matter        string
	Figures       []string
}

// AdoptedBy reports whether c was adopted by the survey already: adopting it again by the
// same resolution is a retry and changes nothing, so the caller need not ask the survey
// service again.
func (c *Convention) AdoptedBy(surveyID string) bool {
	return c.Adopted && c.ResolutionSurveyID == surveyID
}

// AdoptConvention records that the owners adopted c by resolution r. The resolution must
// be one the survey service knows, voted in c's compound, and passed (rule 3: resolutions
// pass by the Civil Code's majorities of area and households); otherwise
// ErrResolution with the figures behind the result. A text adopted by another
// resolution already is ErrWrongState: its adoption is history, and a new decision makes
// a new version.
func AdoptConvention(c Convention, r Resolution, now time.Time) (Convention, bool, error) {
	if c.AdoptedBy(r.SurveyID) {
		return c, false, nil
	}
	if c.Adopted {
		return Convention{}, false, fmt.Errorf("%w: convention %s was adopted by resolution %s already", ErrWrongState, c.ID, c.ResolutionSurveyID)
	}
	figures := ""
	if len(r.Figures) > 0 {
		figures = " (" + strings.Join(r.Figures, "; ") + ")"
	}
	switch {
	case !r.Found:
		return Convention{}, false, fmt.Errorf("%w: survey %s is no resolution the survey service knows%s", ErrResolution, r.SurveyID, figures)
	case r.CompoundID != c.CompoundID:
		return Convention{}, false, fmt.Errorf("%w: resolution %s was voted in compound %s; convention %s is compound %s's%s", ErrResolution, r.SurveyID, r.CompoundID, c.ID, c.CompoundID, figures)
	case !r.Passed:
		return Convention{}, false, fmt.Errorf("%w: resolution %s did not pass%s", ErrResolution, r.SurveyID, figures)
	}
	c.Adopted, c.ResolutionSurveyID, c.AdoptTime = true, r.SurveyID, now
	return c, true, nil
}

// LeaderContact ties a district leader to compounds and communities (领导挂钩), with the
// tasks the leader guides.
type LeaderContact struct {
	ID           string    `json:"id"`
	LeaderName   string    `json:"leaderName"`
	LeaderTitle  string    `json:"leaderTitle,omitempty"`
	CompoundIDs  []string  `json:"compoundIds,omitempty"`
	CommunityIDs []string  `json:"communityIds,omitempty"`
	Tasks        []string  `json:"tasks,omitempty"`
	CreateTime   time.Time `json:"createTime"`
}

// NewLeaderContact checks a leader contact. compoundExists says which of the named
// compounds exist; regions holds the named regions that exist, each of which must be a
// COMMUNITY. A leader is tied to at least one compound or community.
func NewLeaderContact(l LeaderContact, compoundExists map[string]bool, regions map[string]*Region, now time.Time) (LeaderContact, error) {
	var vs []fault.Violation
	if strings.TrimSpace(l.LeaderName) == "" {
		vs = append(vs, violation("leaderContact.leaderName", "is required"))
	}
	if len(l.CompoundIDs) == 0 && len(l.CommunityIDs) == 0 {
		vs = append(vs, violation("leaderContact.compoundIds", "tie the leader to at least one compound or community"))
	}
	seen := map[string]bool{}
	for i, id := range l.CompoundIDs {
		f := fmt.Sprintf("leaderContact.compoundIds[%d]", i)
		switch {
		case seen[id]:
			vs = append(vs, violation(f, "compound "+id+" is named twice"))
		case !compoundExists[id]:
			vs = append(vs, violation(f, "no compound "+id))
		}
		seen[id] = true
	}
	seen = map[string]bool{}
	for i, id := range l.CommunityIDs {
		f := fmt.Sprintf("leaderContact.communityIds[%d]", i)
		switch r := regions[id]; {
		case seen[id]:
			vs = append(vs, violation(f, "community "+id+" is named twice"))
		case r == nil:
			vs = append(vs, violation(f, "no community "+id))
		case r.Level != Community:
			vs = append(vs, violation(f, fmt.Sprintf("%s is a %s, not a COMMUNITY", id, r.Level)))
		}
		seen[id] = true
	}
	vs = append(vs, blankEntries("leaderContact.tasks", l.Tasks)...)
	if len(vs) > 0 {
		return LeaderContact{}, fault.Fields(vs...)
	}
	l.CreateTime = now
	return l, nil
}
