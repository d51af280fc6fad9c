package api_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"tongdu/platform/testkit"
	pb "tongdu/proto/gen/go/tongdu/survey/v1"
)

// TestResolutionResultStatesEveryFigureAndIsFrozenAtClose: while OPEN the result follows
// the registry and is provisional; closing freezes the households and areas it counts
// against (rule 3 judges a vote on them), so households registered later do not change a decided vote.
func TestResolutionResultStatesEveryFigureAndIsFrozenAtClose(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 8523, 6012, 9050, 4599, 7001, 8000) // 431.85 m²
	sv := e.open(t, c.Id, pb.Survey_RESOLUTION, pb.Survey_RENOVATION)
	for i, choice := range []string{"agree", "agree", "agree", "agree", "abstain"} {
		e.vote(t, sv.Id, hs[i], choice)
	}

	r := e.result(t, sv.Id)
	if r.Passed || r.Frozen || !r.ParticipationMet || !r.ConsentMet || r.SurveyState != pb.Survey_OPEN || r.TotalHouseholds != 6 || r.TotalAreaM2 != 431.85 {
		t.Fatalf("OPEN result: %v", r)
	}

	// A household registered while the vote is OPEN is counted against.
	e.households(t, c.Id, 5000)
	if r := e.result(t, sv.Id); r.TotalHouseholds != 7 || r.TotalAreaM2 != 481.85 {
		t.Fatalf("OPEN result does not follow the registry: %v", r)
	}

	e.close(t, sv.Id)
	want := &pb.ResolutionResult{
		SurveyId: sv.Id, CompoundId: c.Id, Matter: pb.Survey_RENOVATION, SurveyState: pb.Survey_CLOSED,
		Passed: true, Frozen: true, ParticipationMet: true, ConsentMet: true,
		TotalHouseholds: 7, TotalAreaM2: 481.85,
		VotedHouseholds: 5, VotedAreaM2: 351.85,
		AgreeHouseholds: 4, AgreeAreaM2: 281.84,
		DisagreeHouseholds: 0, DisagreeAreaM2: 0,
		AbstainHouseholds: 1, AbstainAreaM2: 70.01,
		ParticipationByHouseholds: 5.0 / 7, ParticipationByArea: 35185.0 / 48185,
		ConsentByHouseholds: 4.0 / 5, ConsentByArea: 28184.0 / 35185,
		ParticipationThreshold: 2.0 / 3, ConsentThreshold: 0.75, ConsentStrict: false,
	}
	check := func(when string) {
		t.Helper()
		got := e.result(t, sv.Id)
		if len(got.Reasons) != 4 {
			t.Fatalf("%s: reasons %q, want one per condition", when, got.Reasons)
		}
		got.Reasons = nil
		if !proto.Equal(got, want) {
			t.Fatalf("%s:\n got %v\nwant %v", when, got, want)
		}
	}
	check("at close")

	// Households registered after the vote closed change nothing.
	e.households(t, c.Id, 9000, 9000, 9000)
	check("after three more households were registered")
	if st := e.stats(t, sv.Id); st.TotalHouseholds != 7 {
		t.Fatalf("stats after close count %d households", st.TotalHouseholds)
	}
}

// TestRule3EdgesThroughTheAPI decides closed resolutions at the edges of
// rule 3 (2/3 turnout, then 3/4 or more than 1/2 consent, by households and area).
func TestRule3EdgesThroughTheAPI(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	cases := []struct {
		name          string
		matter        pb.Survey_Matter
		areas         []int64
		votes         []string // by household, "" for none
		participation bool
		consent       bool
	}{
		{"3 households, 2 vote: exactly 2/3 meets the quorum", pb.Survey_RENOVATION, []int64{6000, 6000, 6000}, []string{"agree", "agree"}, true, true},
		{"3 households, 1 votes: under 2/3", pb.Survey_RENOVATION, []int64{6000, 6000, 6000}, []string{"agree"}, false, true},
		{"2 of 3 households holding one hundredth of a m² under 2/3 of the area", pb.Survey_RENOVATION, []int64{6000, 5999, 6001}, []string{"agree", "agree"}, false, true},
		{"exactly 3/4 by households and area passes", pb.Survey_MAINTENANCE_FUND, []int64{5000, 5000, 5000, 5000}, []string{"agree", "agree", "agree", "disagree"}, true, true},
		{"exactly 3/4 by households but under 3/4 by area fails", pb.Survey_COMMON_PART_BUSINESS, []int64{5000, 5000, 5000, 10000}, []string{"agree", "agree", "agree", "disagree"}, true, false},
		{"OTHER: exactly half fails", pb.Survey_OTHER, []int64{5000, 5000, 5000, 5000}, []string{"agree", "agree", "disagree", "disagree"}, true, false},
		{"OTHER: more than half passes", pb.Survey_OTHER, []int64{5000, 5000, 5000}, []string{"agree", "agree", "disagree"}, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.compound(t, tc.name, tr.comA.Id, 1985)
			hs := e.households(t, c.Id, tc.areas...)
			sv := e.open(t, c.Id, pb.Survey_RESOLUTION, tc.matter)
			for i, v := range tc.votes {
				if v != "" {
					e.vote(t, sv.Id, hs[i], v)
				}
			}
			e.close(t, sv.Id)
			r := e.result(t, sv.Id)
			if r.ParticipationMet != tc.participation || r.ConsentMet != tc.consent || r.Passed != (tc.participation && tc.consent) {
				t.Fatalf("participation %v consent %v passed %v, want %v %v\n%s", r.ParticipationMet, r.ConsentMet, r.Passed,
					tc.participation, tc.consent, strings.Join(r.Reasons, "\n"))
			}
			if r.ConsentStrict != (tc.matter == pb.Survey_OTHER) {
				t.Fatalf("consentStrict %v for %v", r.ConsentStrict, tc.matter)
			}
		})
	}
}

func TestResolutionResultOfANeedsSurveyIsRefused(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	sv := e.draft(t, c.Id, pb.Survey_NEEDS, 0)
	_, err := e.GetResolutionResult(bg, &pb.GetResolutionResultRequest{SurveyId: sv.Id})
	testkit.WantReason(t, err, codes.FailedPrecondition, "NOT_A_RESOLUTION")
}

func TestExportSurveyStatsIsACSVTableExcelReads(t *testing.T) {
	e := start(t)
	tr := e.tree(t)
	c := e.compound(t, "幸福里", tr.comA.Id, 1985)
	hs := e.households(t, c.Id, 6000, 7000, 8000, 9000, 10000)
	sv := e.open(t, c.Id, pb.Survey_NEEDS, 0)
	e.submit(t, sv.Id, response(hs[0], answer("wants", "yes"), answer("items", "pipes", "lifts")))
	e.submit(t, sv.Id, response(hs[1], answer("wants", "yes"), answer("items", "pipes")))
	e.submit(t, sv.Id, response(hs[2], answer("wants", "no"), &pb.Answer{QuestionId: "rating", Scale: 3}))

	var header metadata.MD
	body, err := e.ExportSurveyStats(bg, &pb.ExportSurveyStatsRequest{SurveyId: sv.Id}, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	if body.ContentType != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", body.ContentType)
	}
	if !bytes.HasPrefix(body.Data, []byte("\xef\xbb\xbf")) {
		t.Fatalf("no UTF-8 byte order mark: %q", body.Data[:min(10, len(body.Data))])
	}
	if cd := header.Get("content-disposition"); len(cd) != 1 || !strings.Contains(cd[0], sv.Id) {
		t.Fatalf("content-disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(body.Data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// A header, then one row per option of each choice question: 2 + 4.
	if len(rows) != 1+6 {
		t.Fatalf("%d rows:\n%q", len(rows), rows)
	}
	if !strings.Contains(strings.Join(rows[0], ","), "户数") {
		t.Fatalf("header %q", rows[0])
	}
	want := map[string][]string{
		"yes":    {"wants", "您是否愿意改造？", "yes", "愿意", "2", "66.7%", "3", "3", "5"},
		"no":     {"wants", "您是否愿意改造？", "no", "不愿意", "1", "33.3%", "3", "3", "5"},
		"pipes":  {"items", "最希望改造的项目", "pipes", "水管", "2", "100.0%", "2", "3", "5"},
		"lifts":  {"items", "最希望改造的项目", "lifts", "加装电梯", "1", "50.0%", "2", "3", "5"},
		"roads":  {"items", "最希望改造的项目", "roads", "道路", "0", "0.0%", "2", "3", "5"},
		"lights": {"items", "最希望改造的项目", "lights", "楼道灯", "0", "0.0%", "2", "3", "5"},
	}
	for _, row := range rows[1:] {
		if w, ok := want[row[2]]; !ok || strings.Join(row, "|") != strings.Join(w, "|") {
			t.Errorf("row %q, want %q", row, w)
		}
	}
}
