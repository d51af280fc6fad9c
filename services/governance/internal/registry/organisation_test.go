package registry_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"tongdu/services/governance/internal/registry"
)

var orgNow = time.Date(2021, 11, 20, 15, 0, 0, 0, time.UTC)

func TestNewPartyBranch(t *testing.T) {
	compound := &registry.Compound{ID: "c1", CommunityID: "comA"}
	community := &registry.Region{ID: "comA", Level: registry.Community}
	sub := &registry.Region{ID: "sub", Level: registry.Subdistrict}
	tests := []struct {
		name      string
		in        registry.PartyBranch
		compound  *registry.Compound
		community *registry.Region
		field     string // "" when accepted
	}{
		{"a compound branch takes its compound's community", registry.PartyBranch{Kind: registry.CompoundBranch, CompoundID: "c1"}, compound, nil, ""},
		{"a compound branch may state its compound's community", registry.PartyBranch{Kind: registry.CompoundBranch, CompoundID: "c1", CommunityID: "comA"}, compound, nil, ""},
		{"a compound branch without its compound", registry.PartyBranch{Kind: registry.CompoundBranch}, nil, community, "partyBranch.compoundId"},
		{"a compound branch in another community than its compound's", registry.PartyBranch{Kind: registry.CompoundBranch, CompoundID: "c1", CommunityID: "comB"}, compound, nil, "partyBranch.communityId"},
		{"a general branch of a community", registry.PartyBranch{Kind: registry.CommunityGeneralBranch, CommunityID: "comA"}, nil, community, ""},
		{"a general branch naming a compound", registry.PartyBranch{Kind: registry.CommunityGeneralBranch, CompoundID: "c1", CommunityID: "comA"}, compound, community, "partyBranch.compoundId"},
		{"a general branch without a community", registry.PartyBranch{Kind: registry.CommunityGeneralBranch}, nil, nil, "partyBranch.communityId"},
		{"a general branch of a sub-district", registry.PartyBranch{Kind: registry.CommunityGeneralBranch, CommunityID: "sub"}, nil, sub, "partyBranch.communityId"},
		{"no kind", registry.PartyBranch{CompoundID: "c1"}, compound, community, "partyBranch.kind"},
		{"an unknown kind", registry.PartyBranch{Kind: 7, CompoundID: "c1"}, compound, community, "partyBranch.kind"},
		{"a negative member count", registry.PartyBranch{Kind: registry.CompoundBranch, CompoundID: "c1", MemberCount: -1}, compound, nil, "partyBranch.memberCount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := registry.NewPartyBranch(tt.in, tt.compound, tt.community, orgNow)
			if tt.field != "" {
				wantErr(t, err, errInvalid, tt.field)
				if !reflect.DeepEqual(got, registry.PartyBranch{}) {
					t.Fatalf("a refused branch came back as %+v", got)
				}
				return
			}
			wantErr(t, err, nil)
			if got.CommunityID != "comA" || !got.CreateTime.Equal(orgNow) || got.Kind != tt.in.Kind {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestNewGridCell(t *testing.T) {
	community := &registry.Region{ID: "comA", Level: registry.Community}
	communityOf := map[string]string{"b1": "comA", "b2": "comA", "b3": "comA", "x1": "comB"}
	tests := []struct {
		name      string
		buildings []string
		community *registry.Region
		fields    []string // nil when accepted
	}{
		{"buildings of the community", []string{"b1", "b2"}, community, nil},
		{"a grid with no buildings yet", nil, community, nil},
		{"no community", []string{"b1"}, nil, []string{"gridCell.communityId"}},
		{"a sub-district is not a community", []string{"b1"}, &registry.Region{ID: "sub", Level: registry.Subdistrict}, []string{"gridCell.communityId"}},
		{"an unknown building", []string{"b1", "nope"}, community, []string{"gridCell.buildingIds[1]"}},
		{"a building of another community", []string{"x1", "b2"}, community, []string{"gridCell.buildingIds[0]"}},
		{"a building named twice", []string{"b1", "b2", "b1"}, community, []string{"gridCell.buildingIds[2]"}},
		{"every bad building is named", []string{"nope", "b1", "x1", "b1"}, community, []string{"gridCell.buildingIds[0]", "gridCell.buildingIds[2]", "gridCell.buildingIds[3]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := registry.GridCell{Name: "一网格", CommunityID: "comA", BuildingIDs: tt.buildings}
			got, err := registry.NewGridCell(in, tt.community, communityOf, orgNow)
			if tt.fields != nil {
				wantErr(t, err, errInvalid, tt.fields...)
				return
			}
			wantErr(t, err, nil)
			if !reflect.DeepEqual(got.BuildingIDs, tt.buildings) || !got.CreateTime.Equal(orgNow) {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestNewServiceRecord(t *testing.T) {
	// orgNow is 2021-11-20 15:00 UTC.
	tests := []struct {
		name  string
		date  string
		hours registry.Hours
		field string // "" when accepted
	}{
		{"a day past", "2021-11-06", 250, ""},
		{"today", "2021-11-20", 100, ""},
		{"a hundredth of an hour", "2021-11-06", 1, ""},
		{"a whole day", "2021-11-06", 2400, ""},
		{"tomorrow", "2021-11-21", 100, "serviceRecord.date"},
		{"next year", "2022-01-01", 100, "serviceRecord.date"},
		{"no hours", "2021-11-06", 0, "serviceRecord.hours"},
		{"negative hours", "2021-11-06", -100, "serviceRecord.hours"},
		{"more than a day", "2021-11-06", 2401, "serviceRecord.hours"},
		{"25 hours", "2021-11-06", 2500, "serviceRecord.hours"},
		{"no date", "", 100, "serviceRecord.date"},
		{"a date without leading zeros", "2021-11-6", 100, "serviceRecord.date"},
		{"a date with slashes", "2021/11/06", 100, "serviceRecord.date"},
		{"a date with a time", "2021-11-06T10:00:00Z", 100, "serviceRecord.date"},
		{"the 30th of February", "2021-02-30", 100, "serviceRecord.date"},
		{"month 13", "2021-13-01", 100, "serviceRecord.date"},
		{"day 00", "2021-11-00", 100, "serviceRecord.date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := registry.ServiceRecord{PartyMemberID: "m1", Date: tt.date, Hours: tt.hours, Activity: "清理楼道"}
			got, err := registry.NewServiceRecord(in, orgNow)
			if tt.field != "" {
				wantErr(t, err, errInvalid, tt.field)
				return
			}
			wantErr(t, err, nil)
			if got.Date != tt.date || got.Hours != tt.hours || !got.CreateTime.Equal(orgNow) {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

// A day of service is a day of the district's calendar (China, UTC+8), whatever zone the
// server's clock runs in: a record dated today is not "in the future" because UTC is
// still on yesterday (every morning before 08:00 in China), and a day that has not begun
// in China is in the future even where it has begun elsewhere.
func TestNewServiceRecordReadsTheDateInTheDistrictsZone(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name  string
		date  string
		now   time.Time
		field string
	}{
		{"today, early in the morning in UTC+8", "2021-11-06", time.Date(2021, 11, 6, 7, 30, 0, 0, shanghai), ""},
		{"today, just after midnight in UTC+8", "2021-11-06", time.Date(2021, 11, 6, 0, 5, 0, 0, shanghai), ""},
		{"today in China on a UTC server still on yesterday", "2021-11-07", time.Date(2021, 11, 6, 20, 0, 0, 0, time.UTC), ""},
		{"tomorrow in China, on a UTC server", "2021-11-08", time.Date(2021, 11, 6, 20, 0, 0, 0, time.UTC), "serviceRecord.date"},
		{"tomorrow in China, late in the evening in UTC-5", "2021-11-08", time.Date(2021, 11, 6, 22, 0, 0, 0, time.FixedZone("EST", -5*3600)), "serviceRecord.date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry.NewServiceRecord(registry.ServiceRecord{PartyMemberID: "m1", Date: tt.date, Hours: 100, Activity: "x"}, tt.now)
			if tt.field == "" {
				wantErr(t, err, nil)
				return
			}
			wantErr(t, err, errInvalid, tt.field)
		})
	}
}

func TestHoursFromKeepsHundredths(t *testing.T) {
	tests := []struct {
		in   float64
		want registry.Hours
	}{
		{1, 100}, {2.5, 250}, {0.01, 1}, {0.29, 29}, {1.15, 115}, {24, 2400}, {0.004, 0}, {23.999, 2400}, {0, 0},
	}
	for _, tt := range tests {
		if got := registry.HoursFrom(tt.in); got != tt.want {
			t.Errorf("HoursFrom(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
	for h, want := range map[registry.Hours]float64{250: 2.5, 1: 0.01, 330: 3.3, 2400: 24} {
		if got := h.Float(); got != want {
			t.Errorf("Hours(%d).Float() = %v, want %v", int64(h), got, want)
		}
	}
}

func TestMonths(t *testing.T) {
	year := make([]string, 12)
	for i := range year {
		year[i] = fmt.Sprintf("2021-%02d", i+1)
	}
	tests := []struct {
		period string
		want   []string // nil: refused
	}{
		{"2021", year},
		{"2021-Q1", []string{"2021-01", "2021-02", "2021-03"}},
		{"2021-Q2", []string{"2021-04", "2021-05", "2021-06"}},
		{"2021-Q3", []string{"2021-07", "2021-08", "2021-09"}},
		{"2021-Q4", []string{"2021-10", "2021-11", "2021-12"}},
		{"2021-01", []string{"2021-01"}},
		{"2021-11", []string{"2021-11"}},
		{"2021-12", []string{"2021-12"}},
		{"0999", []string{"0999-01", "0999-02", "0999-03", "0999-04", "0999-05", "0999-06", "0999-07", "0999-08", "0999-09", "0999-10", "0999-11", "0999-12"}},
		{"", nil},
		{"21", nil},
		{"20211", nil},
		{"2021-Q0", nil},
		{"2021-Q5", nil},
		{"2021-q4", nil},
		{"2021-Qx", nil},
		{"2021-00", nil},
		{"2021-13", nil},
		{"2021-1", nil},
		{"2021-11-06", nil},
		{"Q4-2021", nil},
		{"2021/11", nil},
		// Not periods at all, which the contract's pattern refuses too; the domain must
		// not read them as some other period.
		{"20a1", nil},
		{"+021", nil},
		{"-123", nil},
		{"202 ", nil},
		{"2021-1x", nil},
		{"2021- 1", nil},
		{"2021-+1", nil},
		{"+021-11", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.period), func(t *testing.T) {
			got, err := registry.Months(tt.period)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Months(%q) = %q, want refused", tt.period, got)
				}
				wantErr(t, err, errInvalid, "period")
				return
			}
			wantErr(t, err, nil)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Months(%q) = %q, want %q", tt.period, got, tt.want)
			}
		})
	}
}
