package registry_test

import (
	"strings"
	"testing"
	"time"

	"tongdu/services/governance/internal/registry"
)

func TestNewLinkageMeeting(t *testing.T) {
	whistles := map[string]string{"w1": "c1", "w2": "c1", "w9": "c2"}
	everyone := []registry.LinkageAttendee{
		{Party: registry.LinkageCommunityPartyCommittee, Attendee: "社区党委书记"},
		{Party: registry.LinkageResidentsCommittee, Attendee: "居委会主任"},
		{Party: registry.LinkageCompoundBranch, Attendee: "小区党支部"},
		{Party: registry.LinkageOwnersCommittee, Attendee: "业委会"},
		{Party: registry.LinkageBuildingLeaders, Attendee: "楼栋长代表"},
	}
	tests := []struct {
		name   string
		m      registry.LinkageMeeting
		fields []string
	}{
		{"all five parties and follow-ups of the compound", registry.LinkageMeeting{CompoundID: "c1", Attendees: everyone, Agenda: []string{"加装电梯"}, FollowUpWhistleIDs: []string{"w1", "w2"}}, nil},
		{"a meeting with some parties only", registry.LinkageMeeting{CompoundID: "c1", Attendees: everyone[:2]}, nil},
		{"a party twice", registry.LinkageMeeting{CompoundID: "c1", Attendees: append(append([]registry.LinkageAttendee{}, everyone...), registry.LinkageAttendee{Party: registry.LinkageOwnersCommittee, Attendee: "另一位"})}, []string{"linkageMeeting.attendees[5].party"}},
		{"no party", registry.LinkageMeeting{CompoundID: "c1", Attendees: []registry.LinkageAttendee{{Attendee: "谁"}}}, []string{"linkageMeeting.attendees[0].party"}},
		{"a sixth party", registry.LinkageMeeting{CompoundID: "c1", Attendees: []registry.LinkageAttendee{{Party: 6, Attendee: "物业"}}}, []string{"linkageMeeting.attendees[0].party"}},
		{"nobody named for a party", registry.LinkageMeeting{CompoundID: "c1", Attendees: []registry.LinkageAttendee{{Party: registry.LinkageBuildingLeaders, Attendee: " "}}}, []string{"linkageMeeting.attendees[0].attendee"}},
		{"an unknown whistle", registry.LinkageMeeting{CompoundID: "c1", FollowUpWhistleIDs: []string{"w1", "nope"}}, []string{"linkageMeeting.followUpWhistleIds[1]"}},
		{"a whistle of another compound", registry.LinkageMeeting{CompoundID: "c1", FollowUpWhistleIDs: []string{"w9"}}, []string{"linkageMeeting.followUpWhistleIds[0]"}},
		{"a whistle named twice", registry.LinkageMeeting{CompoundID: "c1", FollowUpWhistleIDs: []string{"w1", "w1"}}, []string{"linkageMeeting.followUpWhistleIds[1]"}},
		{"an empty agenda item and decision", registry.LinkageMeeting{CompoundID: "c1", Agenda: []string{"a", ""}, Decisions: []string{" "}}, []string{"linkageMeeting.agenda[1]", "linkageMeeting.decisions[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := registry.NewLinkageMeeting(tt.m, whistles, raised)
			if tt.fields != nil {
				wantErr(t, err, errInvalid, tt.fields...)
				return
			}
			wantErr(t, err, nil)
			if !m.HeldTime.Equal(raised) {
				t.Fatalf("an unset held time is now: %v", m.HeldTime)
			}
		})
	}
	t.Run("a given held time is kept", func(t *testing.T) {
		held := raised.Add(-48 * time.Hour)
		m, err := registry.NewLinkageMeeting(registry.LinkageMeeting{CompoundID: "c1", HeldTime: held}, nil, raised)
		wantErr(t, err, nil)
		if !m.HeldTime.Equal(held) {
			t.Fatalf("held time %v", m.HeldTime)
		}
	})
}

func TestNewConvention(t *testing.T) {
	tests := []struct {
		name   string
		c      registry.Convention
		fields []string
	}{
		{"a residents' convention", registry.Convention{Kind: registry.ResidentsConvention, Title: "居民公约", Text: "爱护公共设施"}, nil},
		{"parking fee rules", registry.Convention{Kind: registry.ParkingFeeRules, Title: "停车收费办法", Text: "每月 100 元"}, nil},
		{"no kind", registry.Convention{Title: "x", Text: "y"}, []string{"convention.kind"}},
		{"an unknown kind", registry.Convention{Kind: 4, Title: "x", Text: "y"}, []string{"convention.kind"}},
		{"no title and no text", registry.Convention{Kind: registry.CleaningRules}, []string{"convention.title", "convention.text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.c
			in.Adopted, in.ResolutionSurveyID, in.Version = true, "forged", 9 // the server's to set
			c, err := registry.NewConvention(in, "c1", raised)
			if tt.fields != nil {
				wantErr(t, err, errInvalid, tt.fields...)
				return
			}
			wantErr(t, err, nil)
			if c.CompoundID != "c1" || c.Adopted || c.ResolutionSurveyID != "" || c.Version != 0 || !c.CreateTime.Equal(raised) {
				t.Fatalf("created %+v", c)
			}
		})
	}
}

func TestAdoptConvention(t *testing.T) {
	draft := registry.Convention{ID: "v1", CompoundID: "c1", Kind: registry.ResidentsConvention, Title: "居民公约", Text: "…", Version: 1}
	figures := []string{"voted area 70.0% ≥ 66.7%", "agree households 40.0% ≤ 50%"}
	passed := registry.Resolution{SurveyID: "s1", Found: true, Passed: true, CompoundID: "c1", Matter: "OTHER"}
	adopted, changed, err := registry.AdoptConvention(draft, passed, raised)
	wantErr(t, err, nil)
	if !changed || !adopted.Adopted || adopted.ResolutionSurveyID != "s1" || !adopted.AdoptTime.Equal(raised) {
		t.Fatalf("adopted %+v", adopted)
	}
	tests := []struct {
		name    string
		c       registry.Convention
		r       registry.Resolution
		want    error
		mention string
	}{
		{"an unknown survey", draft, registry.Resolution{SurveyID: "s9"}, registry.ErrResolution, "s9"},
		{"a resolution of another compound", draft, registry.Resolution{SurveyID: "s2", Found: true, Passed: true, CompoundID: "c2"}, registry.ErrResolution, "c2"},
		{"a resolution that did not pass states its figures", draft, registry.Resolution{SurveyID: "s3", Found: true, CompoundID: "c1", Figures: figures}, registry.ErrResolution, "agree households 40.0% ≤ 50%"},
		{"adopting again by the same resolution", adopted, registry.Resolution{SurveyID: "s1"}, nil, ""},
		{"adopting an adopted text by another resolution", adopted, registry.Resolution{SurveyID: "s4", Found: true, Passed: true, CompoundID: "c1"}, registry.ErrWrongState, "s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := registry.AdoptConvention(tt.c, tt.r, raised.Add(time.Hour))
			wantErr(t, err, tt.want)
			if err != nil && !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("%v does not mention %q", err, tt.mention)
			}
			if err == nil && (changed || !got.AdoptTime.Equal(raised)) {
				t.Fatalf("a repeated adoption changed the text: %+v", got)
			}
		})
	}
}

func TestNewLeaderContact(t *testing.T) {
	compounds := map[string]bool{"c1": true, "c2": true}
	regions := map[string]*registry.Region{
		"com": {ID: "com", Level: registry.Community},
		"sub": {ID: "sub", Level: registry.Subdistrict},
	}
	tests := []struct {
		name   string
		l      registry.LeaderContact
		fields []string
	}{
		{"a leader tied to compounds and a community", registry.LeaderContact{LeaderName: "李副区长", CompoundIDs: []string{"c1", "c2"}, CommunityIDs: []string{"com"}, Tasks: []string{"示范点"}}, nil},
		{"a leader tied to a community only", registry.LeaderContact{LeaderName: "李副区长", CommunityIDs: []string{"com"}}, nil},
		{"tied to nothing", registry.LeaderContact{LeaderName: "李副区长"}, []string{"leaderContact.compoundIds"}},
		{"an unknown compound", registry.LeaderContact{LeaderName: "x", CompoundIDs: []string{"c1", "c9"}}, []string{"leaderContact.compoundIds[1]"}},
		{"a sub-district is not a community", registry.LeaderContact{LeaderName: "x", CommunityIDs: []string{"sub"}}, []string{"leaderContact.communityIds[0]"}},
		{"an unknown community", registry.LeaderContact{LeaderName: "x", CommunityIDs: []string{"com", "nope"}}, []string{"leaderContact.communityIds[1]"}},
		{"a compound named twice", registry.LeaderContact{LeaderName: "x", CompoundIDs: []string{"c1", "c1"}}, []string{"leaderContact.compoundIds[1]"}},
		{"an empty task", registry.LeaderContact{LeaderName: "x", CompoundIDs: []string{"c1"}, Tasks: []string{""}}, []string{"leaderContact.tasks[0]"}},
		{"no name", registry.LeaderContact{CompoundIDs: []string{"c1"}}, []string{"leaderContact.leaderName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := registry.NewLeaderContact(tt.l, compounds, regions, raised)
			if tt.fields != nil {
				wantErr(t, err, errInvalid, tt.fields...)
				return
			}
			wantErr(t, err, nil)
			if !l.CreateTime.Equal(raised) {
				t.Fatalf("create time %v", l.CreateTime)
			}
		})
	}
}

func TestLinkageEnumNames(t *testing.T) {
	if registry.LinkageBuildingLeaders.String() != "BUILDING_LEADERS" || registry.LinkageParty(8).String() != "LinkageParty(8)" {
		t.Error("party names")
	}
	if registry.ParkingFeeRules.String() != "PARKING_FEE_RULES" || registry.ConventionKind(-1).String() != "ConventionKind(-1)" {
		t.Error("kind names")
	}
}
