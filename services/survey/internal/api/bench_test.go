package api_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	pb "tongdu/proto/gen/go/tongdu/survey/v1"
	"tongdu/services/survey/internal/opinion"
)

// BenchmarkSubmitResponse records responses through gRPC against real Redis, each one
// checked against the registry (a governance call) and moving the statistics and the
// ranking. Households are cycled, so after the first pass every response replaces one.
//
//	go test -run XXX -bench SubmitResponse -benchtime 2000x ./services/survey/api/
func BenchmarkSubmitResponse(b *testing.B) {
	e := start(b)
	tr := e.tree(b)
	c := e.compound(b, "幸福里", tr.comA.Id, 1985)
	hs := e.households(b, c.Id, equalAreas(1000, 7500)...)
	sv := e.open(b, c.Id, pb.Survey_NEEDS, 0)
	req := func(i int) *pb.SubmitResponseRequest {
		choice := "yes"
		if i%3 == 0 {
			choice = "no"
		}
		return &pb.SubmitResponseRequest{SurveyId: sv.Id, Response: response(hs[i%len(hs)],
			answer("wants", choice), answer("items", "pipes", "lights"), &pb.Answer{QuestionId: "rating", Scale: int32(1 + i%5)})}
	}

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := e.SubmitResponse(bg, req(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(4)
		b.ResetTimer()
		var next atomic.Int64
		b.RunParallel(func(p *testing.PB) {
			for p.Next() {
				i := int(next.Add(1))
				if _, err := e.SubmitResponse(bg, req(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
	})
}

// BenchmarkGetSurveyStats reads the statistics of a survey with 1,000 and with 100,000
// responses: they are read off counters kept with each response, so the latency should
// not grow with the number of responses. The responses are seeded straight through the
// store, 1,000 per atomic step (the API would check 100,000 households with governance).
func BenchmarkGetSurveyStats(b *testing.B) {
	e := start(b)
	tr := e.tree(b)
	c := e.compound(b, "幸福里", tr.comA.Id, 1985)
	e.households(b, c.Id, equalAreas(10, 7500)...)

	seed := func(n int) string {
		sv := e.open(b, c.Id, pb.Survey_NEEDS, 0)
		stored, err := e.store.GetSurvey(bg, sv.Id)
		if err != nil {
			b.Fatal(err)
		}
		at := time.Now().Add(-time.Hour)
		for start := 0; start < n; start += 1000 {
			rs := make([]opinion.Response, 0, 1000)
			for i := start; i < min(start+1000, n); i++ {
				choice := "yes"
				if i%4 == 0 {
					choice = "no"
				}
				rs = append(rs, opinion.Response{
					SurveyID: sv.Id, HouseholdID: fmt.Sprintf("h%06d", i), Channel: opinion.DoorToDoor, CollectedAt: at, SubmitTime: at, Area: 7500,
					Answers: []opinion.Answer{
						{QuestionID: "wants", OptionIDs: []string{choice}},
						{QuestionID: "items", OptionIDs: []string{[]string{"pipes", "roads", "lights", "lifts"}[i%4]}},
						{QuestionID: "rating", Scale: 1 + i%5},
					},
				})
			}
			if _, _, err := e.store.SubmitResponses(bg, stored, rs, "", "", electorateOf(rs)); err != nil {
				b.Fatal(err)
			}
		}
		if st := e.stats(b, sv.Id); st.RespondedHouseholds != int32(n) {
			b.Fatalf("seeded %d responses, stats show %d", n, st.RespondedHouseholds)
		}
		return sv.Id
	}
	surveys := []struct {
		name string
		id   string
	}{{"1k", seed(1_000)}, {"100k", seed(100_000)}}

	for _, s := range surveys {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.GetSurveyStats(bg, &pb.GetSurveyStatsRequest{SurveyId: s.id}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// electorateOf is the households of rs with their areas, added to the survey's electorate
// as the app adds what it learned from governance (these households are made up).
func electorateOf(rs []opinion.Response) map[string]int64 {
	out := make(map[string]int64, len(rs))
	for _, r := range rs {
		out[r.HouseholdID] = r.Area
	}
	return out
}
