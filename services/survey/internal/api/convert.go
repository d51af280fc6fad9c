package api

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	govpb "tongdu/proto/gen/go/tongdu/governance/v1"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// The opinion package's enums use the contract's numbers, so conversion is a cast;
// convert_test.go checks that names and numbers agree.

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func surveyFromPB(s *pb.Survey) opinion.Survey {
	out := opinion.Survey{
		ID: s.GetId(), CompoundID: s.GetCompoundId(), ProjectID: s.GetProjectId(), Title: s.GetTitle(),
		Description: s.GetDescription(), Kind: opinion.Kind(s.GetKind()), Matter: opinion.Matter(s.GetMatter()),
	}
	for _, u := range s.GetBusinessUses() {
		out.BusinessUses = append(out.BusinessUses, opinion.BusinessUse(u))
	}
	for _, q := range s.GetQuestions() {
		oq := opinion.Question{ID: q.GetId(), Text: q.GetText(), Type: opinion.QuestionType(q.GetType()), ScaleMin: int(q.GetScaleMin()), ScaleMax: int(q.GetScaleMax())}
		for _, o := range q.GetOptions() {
			oq.Options = append(oq.Options, opinion.Option{ID: o.GetId(), Text: o.GetText()})
		}
		out.Questions = append(out.Questions, oq)
	}
	return out
}

func surveyToPB(s *opinion.Survey, responded int64) *pb.Survey {
	out := &pb.Survey{
		Id: s.ID, CompoundId: s.CompoundID, ProjectId: s.ProjectID, Title: s.Title, Description: s.Description,
		Kind: pb.Survey_Kind(s.Kind), Matter: pb.Survey_Matter(s.Matter), State: pb.Survey_State(s.State),
		RespondedHouseholds: int32(responded), OpenTime: ts(s.OpenTime), CloseTime: ts(s.CloseTime),
		CreateTime: ts(s.CreateTime), UpdateTime: ts(s.UpdateTime), Etag: s.Etag(),
		OpenAccount: s.OpenAccount, CloseAccount: s.CloseAccount,
	}
	for _, u := range s.BusinessUses {
		out.BusinessUses = append(out.BusinessUses, pb.Survey_BusinessUse(u))
	}
	for _, q := range s.Questions {
		pq := &pb.Question{Id: q.ID, Text: q.Text, Type: pb.Question_Type(q.Type), ScaleMin: int32(q.ScaleMin), ScaleMax: int32(q.ScaleMax)}
		for _, o := range q.Options {
			pq.Options = append(pq.Options, &pb.QuestionOption{Id: o.ID, Text: o.Text})
		}
		out.Questions = append(out.Questions, pq)
	}
	return out
}

// responseFromPB leaves the survey id and submit time to the use case, and CollectedAt
// zero when the request names none (the use case takes it as now).
func responseFromPB(r *pb.Response) opinion.Response {
	out := opinion.Response{
		HouseholdID: r.GetHouseholdId(), Channel: opinion.Channel(r.GetChannel()), CollectorID: r.GetCollectorId(),
	}
	if r.GetCollectedAt() != nil {
		out.CollectedAt = r.GetCollectedAt().AsTime()
	}
	for _, a := range r.GetAnswers() {
		out.Answers = append(out.Answers, opinion.Answer{QuestionID: a.GetQuestionId(), OptionIDs: a.GetOptionIds(), Scale: int(a.GetScale()), Text: a.GetText()})
	}
	return out
}

func responseToPB(r *opinion.Response) *pb.Response {
	out := &pb.Response{
		SurveyId: r.SurveyID, HouseholdId: r.HouseholdID, Channel: pb.Response_Channel(r.Channel),
		CollectorId: r.CollectorID, CollectedAt: ts(r.CollectedAt), SubmitTime: ts(r.SubmitTime),
		Account: r.Account,
	}
	for _, a := range r.Answers {
		out.Answers = append(out.Answers, &pb.Answer{QuestionId: a.QuestionID, OptionIds: a.OptionIDs, Scale: int32(a.Scale), Text: a.Text})
	}
	return out
}

func statsToPB(s *opinion.Survey, st opinion.Stats) *pb.SurveyStats {
	out := &pb.SurveyStats{
		SurveyId: s.ID, Kind: pb.Survey_Kind(s.Kind), State: pb.Survey_State(s.State),
		RespondedHouseholds: int32(st.Responded), TotalHouseholds: int32(st.Total), Participation: st.Participation,
		WillingHouseholds: int32(st.Willing), Willingness: st.Willingness,
	}
	for _, q := range st.Questions {
		pq := &pb.QuestionStats{QuestionId: q.QuestionID, Text: q.Text, Type: pb.Question_Type(q.Type), Answered: int32(q.Answered), ScaleMean: q.ScaleMean}
		for _, o := range q.Options {
			pq.Options = append(pq.Options, &pb.OptionStats{OptionId: o.OptionID, Text: o.Text, Count: int32(o.Count), Share: o.Share})
		}
		out.Questions = append(out.Questions, pq)
	}
	return out
}

func m2(centi int64) float64 { return float64(centi) / 100 }

func resolutionToPB(s *opinion.Survey, r opinion.ResolutionResult) *pb.ResolutionResult {
	return &pb.ResolutionResult{
		SurveyId: s.ID, CompoundId: s.CompoundID, Matter: pb.Survey_Matter(r.Matter), SurveyState: pb.Survey_State(r.State),
		Passed: r.Passed, TotalHouseholds: int32(r.TotalHouseholds), TotalAreaM2: m2(r.TotalArea),
		VotedHouseholds: int32(r.VotedHouseholds), VotedAreaM2: m2(r.VotedArea),
		AgreeHouseholds: int32(r.AgreeHouseholds), AgreeAreaM2: m2(r.AgreeArea),
		DisagreeHouseholds: int32(r.DisagreeHouseholds), DisagreeAreaM2: m2(r.DisagreeArea),
		AbstainHouseholds: int32(r.AbstainHouseholds), AbstainAreaM2: m2(r.AbstainArea),
		ParticipationByHouseholds: r.ParticipationByHouseholds, ParticipationByArea: r.ParticipationByArea,
		ConsentByHouseholds: r.ConsentByHouseholds, ConsentByArea: r.ConsentByArea,
		ParticipationThreshold: r.ParticipationThreshold, ConsentThreshold: r.ConsentThreshold,
		ConsentStrict: r.ConsentStrict, ParticipationMet: r.ParticipationMet, ConsentMet: r.ConsentMet,
		Frozen: r.Frozen, Reasons: r.Reasons,
	}
}

// meetingFromPB takes what a client may set; id, state and times are the server's.
func meetingFromPB(m *pb.Meeting) opinion.Meeting {
	return opinion.Meeting{
		CompoundID: m.GetCompoundId(), Title: m.GetTitle(), Place: m.GetPlace(), HeldAt: m.GetHeldAt().AsTime(),
		Attendees: m.GetAttendeeHouseholdIds(), Topics: m.GetTopics(), Minutes: m.GetMinutes(), Decisions: m.GetDecisions(),
	}
}

func meetingToPB(m *opinion.Meeting) *pb.Meeting {
	return &pb.Meeting{
		Id: m.ID, CompoundId: m.CompoundID, Title: m.Title, Place: m.Place, HeldAt: ts(m.HeldAt),
		AttendeeHouseholdIds: m.Attendees, Topics: m.Topics, Minutes: m.Minutes, Decisions: m.Decisions,
		State: pb.Meeting_State(m.State), CreateTime: ts(m.CreateTime), CloseTime: ts(m.CloseTime),
		CreateAccount: m.CreateAccount, CloseAccount: m.CloseAccount,
	}
}

// ideaFromPB takes what a client may set; id, status, endorsements and times are the
// server's.
func ideaFromPB(i *pb.Idea) opinion.Idea {
	return opinion.Idea{CompoundID: i.GetCompoundId(), HouseholdID: i.GetHouseholdId(), Text: i.GetText(), Category: i.GetCategory()}
}

func ideaToPB(i *opinion.Idea) *pb.Idea {
	return &pb.Idea{
		Id: i.ID, CompoundId: i.CompoundID, HouseholdId: i.HouseholdID, Text: i.Text, Category: i.Category,
		Endorsements: int32(i.Endorsements), Status: pb.Idea_Status(i.Status), AdoptRemarks: i.AdoptRemarks,
		DeclineReason: i.DeclineReason, CreateTime: ts(i.CreateTime), DecideTime: ts(i.DecideTime),
		DecideAccount: i.DecideAccount,
	}
}

func rankEntryToPB(rank int, e *opinion.RankEntry) *pb.RankingEntry {
	return &pb.RankingEntry{
		Rank: int32(rank), CompoundId: e.CompoundID, CompoundName: e.Name, BuildYear: int32(e.BuildYear),
		Score: e.Score, Deficit: e.Deficit, Willingness: e.Willingness, Participation: e.Participation, SurveyId: e.SurveyID,
		Status: govpb.Compound_Status(e.Status),
	}
}

// timeOf is a request's time of record (rule 15), zero when it gives none.
func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}
