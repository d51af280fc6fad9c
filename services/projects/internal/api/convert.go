package api

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/works"
)

// The works package's enums use the contract's numbers, so conversion is a cast;
// convert_test.go checks that names and numbers agree.

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func projectFromPB(p *pb.Project) works.Project {
	return works.Project{
		ID: p.GetId(), CompoundID: p.GetCompoundId(), Title: p.GetTitle(), Year: int(p.GetYear()), BudgetFen: p.GetBudgetFen(),
		Description: p.GetDescription(), HeritageNotes: p.GetHeritageNotes(), AcceptanceSurveyID: p.GetAcceptanceSurveyId(),
	}
}

func projectToPB(p *works.Project, items []works.Item) *pb.Project {
	out := &pb.Project{
		Id: p.ID, CompoundId: p.CompoundID, Title: p.Title, Year: int32(p.Year), BudgetFen: p.BudgetFen,
		Description: p.Description, HeritageNotes: p.HeritageNotes, Status: pb.Project_Status(p.Status),
		SuspendedFrom: pb.Project_Status(p.SuspendedFrom), ResolutionSurveyId: p.ResolutionSurveyID,
		AcceptanceSurveyId: p.AcceptanceSurveyID, CreateTime: ts(p.CreateTime), UpdateTime: ts(p.UpdateTime), Etag: p.Etag(),
		ItemCount: int32(len(items)),
	}
	for _, it := range items {
		out.EstimatedCostFen += it.EstimatedCostFen
		if it.Complete() {
			out.CompleteItemCount++
		}
	}
	for _, t := range p.History {
		out.History = append(out.History, &pb.StatusTransition{From: pb.Project_Status(t.From), To: pb.Project_Status(t.To), Actor: t.Actor, Reason: t.Reason, Time: ts(t.Time), Account: t.Account, RecordTime: ts(t.RecordTime)})
	}
	return out
}

func itemFromPB(it *pb.WorkItem) works.Item {
	return works.Item{
		ID: it.GetId(), Category: works.Category(it.GetCategory()), Kind: int(it.GetKind()), Description: it.GetDescription(),
		Quantity: it.GetQuantity(), Unit: it.GetUnit(), EstimatedCostFen: it.GetEstimatedCostFen(),
		Difficulty: works.Difficulty(it.GetDifficulty()), SafetyCritical: it.GetSafetyCritical(), ProgressPercent: int(it.GetProgressPercent()),
		After: it.GetAfter(),
	}
}

func itemToPB(it *works.Item) *pb.WorkItem {
	return &pb.WorkItem{
		Id: it.ID, ProjectId: it.ProjectID, Category: pb.WorkItem_Category(it.Category), Kind: pb.WorkItem_Kind(it.Kind),
		Description: it.Description, Quantity: it.Quantity, Unit: it.Unit, EstimatedCostFen: it.EstimatedCostFen,
		Difficulty: pb.WorkItem_Difficulty(it.Difficulty), SafetyCritical: it.SafetyCritical, ProgressPercent: int32(it.ProgressPercent),
		Complete: it.Complete(), CreateTime: ts(it.CreateTime), UpdateTime: ts(it.UpdateTime), Etag: it.Etag(),
		After: it.After,
	}
}

func progressToPB(r *works.ProgressReport) *pb.ProgressReport {
	return &pb.ProgressReport{Id: r.ID, ProjectId: r.ProjectID, ItemId: r.ItemID, ProgressPercent: int32(r.ProgressPercent), Remarks: r.Remarks, Contractor: r.Contractor, ReportTime: ts(r.ReportTime)}
}

func supervisionToPB(r *works.SupervisionReport) *pb.SupervisionReport {
	return &pb.SupervisionReport{Id: r.ID, ProjectId: r.ProjectID, HouseholdId: r.HouseholdID, ItemId: r.ItemID, Text: r.Text, ReportTime: ts(r.ReportTime)}
}

func signoffToPB(s *works.Signoff) *pb.Signoff {
	return &pb.Signoff{Id: s.ID, ProjectId: s.ProjectID, Role: pb.Signoff_Role(s.Role), Verdict: pb.Signoff_Verdict(s.Verdict), Remarks: s.Remarks, Signer: s.Signer, SignTime: ts(s.SignTime), Account: s.Account, RecordTime: ts(s.RecordTime)}
}
