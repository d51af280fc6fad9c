package app

import (
	"context"
	"fmt"
	"strconv"

	"tongdu/platform/sheet"
	"tongdu/services/survey/internal/opinion"
)

// GetSurveyStats returns a survey's statistics. They are read off counters kept with
// every response, so the cost does not grow with the number of responses.
func (a *App) GetSurveyStats(ctx context.Context, id string) (*opinion.Survey, opinion.Stats, error) {
	sv, err := a.store.GetSurvey(ctx, id)
	if err != nil {
		return nil, opinion.Stats{}, err
	}
	t, err := a.store.Tally(ctx, id)
	if err != nil {
		return nil, opinion.Stats{}, err
	}
	e, err := a.electorate(ctx, sv)
	if err != nil {
		return nil, opinion.Stats{}, err
	}
	return sv, opinion.ComputeStats(sv, t, e), nil
}

// ExportSurveyStats returns the statistics table (民意调查统计表) as CSV: one row per
// option of each choice question, with counts and shares.
func (a *App) ExportSurveyStats(ctx context.Context, id string) (*opinion.Survey, []byte, error) {
	sv, st, err := a.GetSurveyStats(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rows := [][]string{{"问题编号 question", "问题 text", "选项编号 option", "选项 text", "户数 households", "占比 share", "作答户数 answered", "应答户数 responded", "总户数 total"}}
	for _, q := range st.Questions {
		for _, o := range q.Options {
			rows = append(rows, []string{q.QuestionID, q.Text, o.OptionID, o.Text, strconv.FormatInt(o.Count, 10),
				fmt.Sprintf("%.1f%%", o.Share*100), strconv.FormatInt(q.Answered, 10),
				strconv.FormatInt(st.Responded, 10), strconv.FormatInt(st.Total, 10)})
		}
	}
	// Question and option texts are the survey writer's: sheet keeps a text such as
	// "=HYPERLINK(…)" from running as a formula in the clerk's spreadsheet.
	out, err := sheet.CSV(rows)
	if err != nil {
		return nil, nil, err
	}
	return sv, out, nil
}

// GetResolutionResult states a resolution's result with every figure behind it (rule 3:
// 2/3 turnout by households and area, then 3/4 or more than 1/2 consent of each); a
// survey that is no resolution is opinion.ErrNotAResolution.
func (a *App) GetResolutionResult(ctx context.Context, id string) (*opinion.Survey, opinion.ResolutionResult, error) {
	sv, err := a.store.GetSurvey(ctx, id)
	if err != nil {
		return nil, opinion.ResolutionResult{}, err
	}
	t, err := a.store.Tally(ctx, sv.ID)
	if err != nil {
		return nil, opinion.ResolutionResult{}, err
	}
	e, err := a.electorate(ctx, sv)
	if err != nil {
		return nil, opinion.ResolutionResult{}, err
	}
	r, err := opinion.Resolve(sv, t, e)
	return sv, r, err
}
