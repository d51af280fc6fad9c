package opinion

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"tongdu/platform/fault"
)

// Rule 10: a COMMON_PART_BUSINESS resolution names at least one use it authorises, each
// once; no other survey names any; the uses change only while DRAFT.
func TestBusinessUsesBelongToBusinessResolutions(t *testing.T) {
	vote := []Question{{ID: "vote", Text: "v", Type: SingleChoice, Options: []Option{{ID: "agree"}, {ID: "disagree"}}}}
	now := time.Now()
	cases := []struct {
		name  string
		s     Survey
		errOn string
	}{
		{"business without uses", Survey{Kind: Resolution, Matter: CommonPartBusiness, Questions: vote}, "survey.businessUses"},
		{"business with uses", Survey{Kind: Resolution, Matter: CommonPartBusiness, Questions: vote, BusinessUses: []BusinessUse{ParkingPublic, OtherUse}}, ""},
		{"a use twice", Survey{Kind: Resolution, Matter: CommonPartBusiness, Questions: vote, BusinessUses: []BusinessUse{ShopRent, ShopRent}}, "survey.businessUses[1]"},
		{"an unknown use", Survey{Kind: Resolution, Matter: CommonPartBusiness, Questions: vote, BusinessUses: []BusinessUse{7}}, "survey.businessUses[0]"},
		{"renovation with uses", Survey{Kind: Resolution, Matter: Renovation, Questions: vote, BusinessUses: []BusinessUse{ShopRent}}, "survey.businessUses"},
		{"needs with uses", Survey{Kind: Needs, BusinessUses: []BusinessUse{ShopRent}}, "survey.businessUses"},
	}
	for _, c := range cases {
		_, err := NewSurvey(c.s, now)
		if c.errOn == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if vs := fault.ViolationsOf(err); len(vs) == 0 || vs[0].Field != c.errOn {
			t.Errorf("%s: %v, want a violation on %s", c.name, err, c.errOn)
		}
	}
	sv, err := NewSurvey(cases[1].s, now)
	if err != nil {
		t.Fatal(err)
	}
	sv.State = Open
	if _, err := ApplyUpdate(sv, Survey{BusinessUses: []BusinessUse{ShopRent}}, []string{"businessUses"}, now); !errors.Is(err, ErrNotDraft) {
		t.Fatalf("an open survey's uses changed: %v", err)
	}
}

// Rule 4 ranks by default the compounds waiting for a plan; asked statuses come once each.
func TestRankedStatuses(t *testing.T) {
	if got := RankedStatuses(nil); !reflect.DeepEqual(got, []CompoundStatus{Inventoried, Surveying}) {
		t.Fatalf("default %v", got)
	}
	if got := RankedStatuses([]CompoundStatus{Planned, Inventoried, Planned}); !reflect.DeepEqual(got, []CompoundStatus{Inventoried, Planned}) {
		t.Fatalf("asked %v", got)
	}
	if Planned.WaitingForPlan() || !Surveying.WaitingForPlan() || CompoundStatus(42).Known() != StatusUnspecified {
		t.Fatal("waiting statuses")
	}
}
