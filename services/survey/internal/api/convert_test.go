package api_test

import (
	"testing"

	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// The opinion package numbers its enums as the contract does, so the API converts by
// casting; these tables keep the two in step.
func TestDomainEnumsUseTheContractsNumbers(t *testing.T) {
	type pair struct {
		name           string
		domain, contra int32
	}
	pairs := []pair{
		{"Kind NEEDS", int32(opinion.Needs), int32(pb.Survey_NEEDS)},
		{"Kind RESOLUTION", int32(opinion.Resolution), int32(pb.Survey_RESOLUTION)},
		{"Kind ACCEPTANCE", int32(opinion.Acceptance), int32(pb.Survey_ACCEPTANCE)},
		{"QuestionType SINGLE_CHOICE", int32(opinion.SingleChoice), int32(pb.Question_SINGLE_CHOICE)},
		{"QuestionType MULTI_CHOICE", int32(opinion.MultiChoice), int32(pb.Question_MULTI_CHOICE)},
		{"QuestionType SCALE", int32(opinion.Scale), int32(pb.Question_SCALE)},
		{"QuestionType TEXT", int32(opinion.Text), int32(pb.Question_TEXT)},
		{"Channel DOOR_TO_DOOR", int32(opinion.DoorToDoor), int32(pb.Response_DOOR_TO_DOOR)},
		{"Channel PHONE", int32(opinion.Phone), int32(pb.Response_PHONE)},
		{"Channel COURTYARD_MEETING", int32(opinion.CourtyardMeeting), int32(pb.Response_COURTYARD_MEETING)},
		{"Channel ONLINE", int32(opinion.Online), int32(pb.Response_ONLINE)},
		{"IdeaStatus SUBMITTED", int32(opinion.Submitted), int32(pb.Idea_SUBMITTED)},
		{"IdeaStatus ADOPTED", int32(opinion.Adopted), int32(pb.Idea_ADOPTED)},
		{"IdeaStatus DECLINED", int32(opinion.Declined), int32(pb.Idea_DECLINED)},
		{"MeetingState OPEN", int32(opinion.MeetingOpen), int32(pb.Meeting_OPEN)},
		{"MeetingState CLOSED", int32(opinion.MeetingClosed), int32(pb.Meeting_CLOSED)},
		{"Outcome RECORDED", int32(opinion.Recorded), int32(pb.BatchSubmitResponsesResponse_Result_RECORDED)},
		{"Outcome REPLACED", int32(opinion.Replaced), int32(pb.BatchSubmitResponsesResponse_Result_REPLACED)},
		{"Outcome IGNORED_OLDER", int32(opinion.IgnoredOlder), int32(pb.BatchSubmitResponsesResponse_Result_IGNORED_OLDER)},
		{"Condition GOOD", int32(opinion.Good), int32(govpb.Facility_GOOD)},
		{"Condition FAIR", int32(opinion.Fair), int32(govpb.Facility_FAIR)},
		{"Condition POOR", int32(opinion.Poor), int32(govpb.Facility_POOR)},
		{"BusinessUse PARKING_PUBLIC", int32(opinion.ParkingPublic), int32(pb.Survey_PARKING_PUBLIC)},
		{"BusinessUse SHOP_RENT", int32(opinion.ShopRent), int32(pb.Survey_SHOP_RENT)},
		{"BusinessUse OTHER_USE", int32(opinion.OtherUse), int32(pb.Survey_OTHER_USE)},
		{"CompoundStatus INVENTORIED", int32(opinion.Inventoried), int32(govpb.Compound_INVENTORIED)},
		{"CompoundStatus SURVEYING", int32(opinion.Surveying), int32(govpb.Compound_SURVEYING)},
		{"CompoundStatus PLANNED", int32(opinion.Planned), int32(govpb.Compound_PLANNED)},
		{"CompoundStatus RENOVATING", int32(opinion.Renovating), int32(govpb.Compound_RENOVATING)},
		{"CompoundStatus ACCEPTED", int32(opinion.Accepted), int32(govpb.Compound_ACCEPTED)},
		{"CompoundStatus MAINTAINING", int32(opinion.Maintaining), int32(govpb.Compound_MAINTAINING)},
	}
	for _, p := range pairs {
		if p.domain != p.contra {
			t.Errorf("%s: domain %d, contract %d", p.name, p.domain, p.contra)
		}
	}
	for _, m := range []opinion.Matter{opinion.Renovation, opinion.MaintenanceFund, opinion.CommonPartBusiness, opinion.OtherMatter} {
		if got := pb.Survey_Matter(m).String(); got != m.String() {
			t.Errorf("matter %d: contract %s, domain %s", m, got, m)
		}
	}
	for _, s := range []opinion.State{opinion.Draft, opinion.Open, opinion.Closed} {
		if got := pb.Survey_State(s).String(); got != s.String() {
			t.Errorf("state %d: contract %s, domain %s", s, got, s)
		}
	}
}
