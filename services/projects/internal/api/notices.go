package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/idempotency"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/services/projects/internal/works"
)

// CreateNotice posts a notice on a compound's board (app.CreateNotice).
func (s *Server) CreateNotice(ctx context.Context, req *pb.CreateNoticeRequest) (*pb.Notice, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	in := req.GetNotice()
	n, err := s.app.CreateNotice(ctx, works.Notice{
		CompoundID: in.GetCompoundId(), Kind: works.NoticeKind(in.GetKind()), SubjectID: in.GetSubjectId(),
		Title: in.GetTitle(), Body: in.GetBody(), OpensAt: timeOf(in.GetOpensAt()), ClosesAt: timeOf(in.GetClosesAt()),
	}, rq)
	if err != nil {
		return nil, err
	}
	return s.noticeToPB(&n), nil
}

// GetNotice reads a notice that has gone up (app.GetNotice).
func (s *Server) GetNotice(ctx context.Context, req *pb.GetNoticeRequest) (*pb.Notice, error) {
	n, err := s.app.GetNotice(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return s.noticeToPB(&n), nil
}

// ListNotices pages through a compound's board (app.ListNotices).
func (s *Server) ListNotices(ctx context.Context, req *pb.ListNoticesRequest) (*pb.ListNoticesResponse, error) {
	ns, next, err := s.app.ListNotices(ctx, req.GetCompoundId(), works.NoticeKind(req.GetKind()), req.GetSubjectId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListNoticesResponse{NextPageToken: next}
	for i := range ns {
		out.Notices = append(out.Notices, s.noticeToPB(&ns[i]))
	}
	return out, nil
}

// CreateObjection lodges a household's objection (app.CreateObjection).
func (s *Server) CreateObjection(ctx context.Context, req *pb.CreateObjectionRequest) (*pb.Objection, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	in := req.GetObjection()
	o, err := s.app.CreateObjection(ctx, req.GetNoticeId(), works.Objection{HouseholdID: in.GetHouseholdId(), Text: in.GetText()}, rq)
	if err != nil {
		return nil, err
	}
	return objectionToPB(req.GetNoticeId(), &o), nil
}

// AnswerObjection records the staff's answer (app.AnswerObjection).
func (s *Server) AnswerObjection(ctx context.Context, req *pb.AnswerObjectionRequest) (*pb.Objection, error) {
	rq, err := idempotency.Of(req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	o, err := s.app.AnswerObjection(ctx, req.GetNoticeId(), req.GetObjectionId(), req.GetAnswer(), rq)
	if err != nil {
		return nil, err
	}
	return objectionToPB(req.GetNoticeId(), &o), nil
}

func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func (s *Server) noticeToPB(n *works.Notice) *pb.Notice {
	out := &pb.Notice{
		Id: n.ID, CompoundId: n.CompoundID, Kind: pb.Notice_Kind(n.Kind), SubjectId: n.SubjectID, Title: n.Title, Body: n.Body,
		OpensAt: ts(n.OpensAt), ClosesAt: ts(n.ClosesAt), State: pb.Notice_State(n.State(s.app.Now())),
		UnansweredObjections: int32(n.Unanswered()), CompoundName: n.CompoundName, CommunityName: n.CommunityName,
		RecordedTime: ts(n.RecordedTime), CreateAccount: n.CreateAccount,
	}
	for _, f := range n.Figures {
		out.Figures = append(out.Figures, &pb.NoticeFigure{Key: f.Key, Value: f.Value})
	}
	for _, t := range n.Tables {
		pt := &pb.NoticeTable{Key: t.Key, Columns: t.Columns}
		for _, r := range t.Rows {
			pt.Rows = append(pt.Rows, &pb.NoticeRow{Cells: r})
		}
		out.Tables = append(out.Tables, pt)
	}
	for i := range n.Objections {
		out.Objections = append(out.Objections, objectionToPB(n.ID, &n.Objections[i]))
	}
	return out
}

func objectionToPB(noticeID string, o *works.Objection) *pb.Objection {
	return &pb.Objection{
		Id: o.ID, NoticeId: noticeID, HouseholdId: o.HouseholdID, Text: o.Text, LodgeTime: ts(o.LodgeTime),
		Answer: o.Answer, AnswerTime: ts(o.AnswerTime), AnswerAccount: o.AnswerAccount,
	}
}
