package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

	"google.golang.org/protobuf/types/known/timestamppb"

	surveypb "tongdu/proto/gen/go/tongdu/survey/v1"
)

func choice(id, text string, options ...[2]string) *surveypb.Question {
	q := &surveypb.Question{Id: id, Text: text, Type: surveypb.Question_SINGLE_CHOICE}
	for _, o := range options {
		q.Options = append(q.Options, &surveypb.QuestionOption{Id: o[0], Text: o[1]})
	}
	return q
}

// answers is what each responding household answered to the first question.
type answers func(i int) string

// dates are when a survey opened and closed (rule 15), for one entered after the fact;
// nil: now.
type dates [2]*timestamppb.Timestamp

// survey drafts a survey, opens it unless it stays a draft, takes answers from the
// households chosen (collected the day after it opened, when it is dated), and closes it
// when asked.
func (l *loader) survey(ctx context.Context, key string, c *compound, sv *surveypb.Survey, respond []int, answer answers, extra func(i int) []*surveypb.Answer, close bool, draft bool, when dates) (string, error) {
	sv.CompoundId = c.id
	created, err := l.svy.CreateSurvey(ctx, &surveypb.CreateSurveyRequest{Survey: sv, RequestId: key})
	if err != nil {
		return "", fmt.Errorf("survey %s of %s: %w", sv.GetTitle(), c.name, err)
	}
	l.count(func(s *Summary) { s.Surveys++ })
	if draft {
		return created.GetId(), nil
	}
	if _, err := l.svy.OpenSurvey(ctx, &surveypb.OpenSurveyRequest{Id: created.GetId(), EffectiveTime: when[0], RequestId: key + "-open"}); err != nil {
		return "", fmt.Errorf("open %s: %w", sv.GetTitle(), err)
	}
	channels := []surveypb.Response_Channel{surveypb.Response_DOOR_TO_DOOR, surveypb.Response_COURTYARD_MEETING, surveypb.Response_PHONE}
	var collected *timestamppb.Timestamp
	if when[0] != nil {
		collected = timestamppb.New(when[0].AsTime().AddDate(0, 0, 1))
	}
	for start := 0; start < len(respond); start += 1000 {
		var batch []*surveypb.Response
		for _, i := range respond[start:min(start+1000, len(respond))] {
			as := []*surveypb.Answer{{QuestionId: sv.GetQuestions()[0].GetId(), OptionIds: []string{answer(i)}}}
			if extra != nil {
				as = append(as, extra(i)...)
			}
			batch = append(batch, &surveypb.Response{HouseholdId: c.households[i], Channel: channels[i%len(channels)], CollectorId: "grid-worker-" + c.community[len(c.community)-4:], Answers: as, CollectedAt: collected})
		}
		if _, err := l.svy.BatchSubmitResponses(ctx, &surveypb.BatchSubmitResponsesRequest{SurveyId: created.GetId(), Responses: batch, RequestId: fmt.Sprintf("%s-responses-%d", key, start)}); err != nil {
			return "", fmt.Errorf("responses to %s: %w", sv.GetTitle(), err)
		}
		l.count(func(s *Summary) { s.Responses += len(batch) })
	}
	if close {
		if _, err := l.svy.CloseSurvey(ctx, &surveypb.CloseSurveyRequest{Id: created.GetId(), EffectiveTime: when[1], RequestId: key + "-close"}); err != nil {
			return "", fmt.Errorf("close %s: %w", sv.GetTitle(), err)
		}
	}
	return created.GetId(), nil
}

// share picks a share of a compound's households, the same ones for the same seed.
func share(rnd *rand.Rand, n int, f float64) []int {
	idx := rnd.Perm(n)
	k := int(float64(n)*f + 0.5)
	return idx[:min(k, n)]
}

// needs surveys the compound's needs and willingness.
func (l *loader) needs(ctx context.Context, key string, c *compound, rnd *rand.Rand, participation, willingness float64, close, draft bool, when dates) (string, error) {
	sv := &surveypb.Survey{Title: "改造需求与意愿调查", Kind: surveypb.Survey_NEEDS, Questions: []*surveypb.Question{
		choice("want", "您是否同意对本小区进行改造？", [2]string{"yes", "同意"}, [2]string{"no", "不同意"}),
		{Id: "needs", Text: "您最希望改造的项目（可多选）", Type: surveypb.Question_MULTI_CHOICE, Options: []*surveypb.QuestionOption{
			{Id: "road", Text: "道路"}, {Id: "drain", Text: "排水"}, {Id: "light", Text: "楼道照明"}, {Id: "charge", Text: "电动车充电"}, {Id: "green", Text: "绿化"}}},
		{Id: "satisfaction", Text: "您对小区现状的满意度", Type: surveypb.Question_SCALE},
	}}
	respond := share(rnd, len(c.households), participation)
	willing := map[int]bool{}
	for _, i := range share(rnd, len(respond), willingness) {
		willing[respond[i]] = true
	}
	picks := []string{"road", "drain", "light", "charge", "green"}
	return l.survey(ctx, key, c, sv, respond, func(i int) string {
		if willing[i] {
			return "yes"
		}
		return "no"
	}, func(i int) []*surveypb.Answer {
		return []*surveypb.Answer{
			{QuestionId: "needs", OptionIds: []string{picks[i%5], picks[(i+2)%5]}},
			{QuestionId: "satisfaction", Scale: int32(1 + i%3)},
		}
	}, close, draft, when)
}

// resolution holds an owners' vote on a matter; agree of the households agree, all of
// them vote (rule 3's quorum, 2/3 of households and area, is met).
func (l *loader) resolution(ctx context.Context, key string, c *compound, rnd *rand.Rand, matter surveypb.Survey_Matter, title string, agree float64, when dates) (string, error) {
	sv := &surveypb.Survey{Title: title, Kind: surveypb.Survey_RESOLUTION, Matter: matter, Questions: []*surveypb.Question{
		choice("vote", title+"：您的意见", [2]string{"agree", "同意"}, [2]string{"disagree", "不同意"}, [2]string{"abstain", "弃权"}),
	}}
	if matter == surveypb.Survey_COMMON_PART_BUSINESS {
		// Rule 10: the resolution names each use of common parts it allows (the demo's
		// parking let to outsiders and its shop).
		sv.BusinessUses = []surveypb.Survey_BusinessUse{surveypb.Survey_PARKING_PUBLIC, surveypb.Survey_SHOP_RENT}
	}
	all := rnd.Perm(len(c.households))
	agreeing := map[int]bool{}
	for _, i := range all[:int(float64(len(all))*agree+0.5)] {
		agreeing[i] = true
	}
	return l.survey(ctx, key, c, sv, all, func(i int) string {
		if agreeing[i] {
			return "agree"
		}
		return "disagree"
	}, nil, true, false, when)
}

// acceptance asks the residents whether they are satisfied with the works.
func (l *loader) acceptance(ctx context.Context, key string, c *compound, rnd *rand.Rand, satisfied float64, when dates) (string, error) {
	sv := &surveypb.Survey{Title: "改造工程居民满意度验收", Kind: surveypb.Survey_ACCEPTANCE, Questions: []*surveypb.Question{
		choice("satisfied", "您对改造工程是否满意？", [2]string{"satisfied", "满意"}, [2]string{"unsatisfied", "不满意"}),
	}}
	respond := share(rnd, len(c.households), 0.8)
	ok := map[int]bool{}
	for _, i := range share(rnd, len(respond), satisfied) {
		ok[respond[i]] = true
	}
	return l.survey(ctx, key, c, sv, respond, func(i int) string {
		if ok[i] {
			return "satisfied"
		}
		return "unsatisfied"
	}, nil, true, false, when)
}
