package api

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/internal/app"
	"tongdu/services/finance/internal/ledger"
)

// CreateFundingPlan calls app.CreateFundingPlan.
func (s *Server) CreateFundingPlan(ctx context.Context, req *pb.CreateFundingPlanRequest) (*pb.FundingPlan, error) {
	in := req.GetFundingPlan()
	plan := app.PlanRequest{ProjectID: in.GetProjectId(), Quota: ledger.Quota{FlatFen: in.GetQuota().GetFlatFen(), PerM2Fen: in.GetQuota().GetPerM2Fen()}}
	for _, src := range in.GetSources() {
		plan.Sources = append(plan.Sources, ledger.Source{Party: ledger.Party(src.GetParty()), Funder: src.GetFunder(), CommittedFen: src.GetCommittedFen()})
	}
	hash := ""
	if req.GetRequestId() != "" {
		var err error
		if hash, err = bodyHash(req); err != nil {
			return nil, err
		}
	}
	p, err := s.app.CreateFundingPlan(ctx, plan, req.GetRequestId(), hash)
	if err != nil {
		return nil, err
	}
	return fundingPlanToPB(p), nil
}

// GetFundingPlan calls app.GetFundingPlan.
func (s *Server) GetFundingPlan(ctx context.Context, req *pb.GetFundingPlanRequest) (*pb.FundingPlan, error) {
	p, err := s.app.GetFundingPlan(ctx, req.GetProjectId())
	if err != nil {
		return nil, err
	}
	return fundingPlanToPB(p), nil
}

func fundingPlanToPB(fp *app.FundingPlan) *pb.FundingPlan {
	p := &fp.Plan
	out := &pb.FundingPlan{
		ProjectId: p.ProjectID, CompoundId: p.CompoundID, BudgetFen: fp.BudgetFen, BookId: fp.BookID,
		CommittedTotalFen: p.Committed(), HouseholdCount: int32(len(p.Quotas)), TargetFen: p.Target(),
		CreateTime: timestamppb.New(p.CreateTime), UpdateTime: timestamppb.New(p.CreateTime),
		ReceivedTotalFen: fp.ReceivedFen, CoversBudget: fp.CoversBudget, ShortfallFen: fp.ShortfallFen,
		Account: p.Account,
	}
	if p.Quota.FlatFen > 0 {
		out.Quota = &pb.Quota{Amount: &pb.Quota_FlatFen{FlatFen: p.Quota.FlatFen}}
	} else if p.Quota.PerM2Fen > 0 {
		out.Quota = &pb.Quota{Amount: &pb.Quota_PerM2Fen{PerM2Fen: p.Quota.PerM2Fen}}
	}
	for i, src := range p.Sources {
		out.Sources = append(out.Sources, &pb.FundingSource{Party: pb.FundingSource_Party(src.Party), Funder: src.Funder, CommittedFen: src.CommittedFen, ReceivedFen: fp.Received[i]})
	}
	return out
}

// CreateReceipt calls app.CreateReceipt.
func (s *Server) CreateReceipt(ctx context.Context, req *pb.CreateReceiptRequest) (*pb.Receipt, error) {
	hash, err := bodyHash(req)
	if err != nil {
		return nil, err
	}
	in := req.GetReceipt()
	e, err := s.app.CreateReceipt(ctx, req.GetProjectId(), app.ReceiptRequest{
		Party: ledger.Party(in.GetParty()), Funder: in.GetFunder(), AmountFen: in.GetAmountFen(), Memo: in.GetMemo(), RequestID: in.GetRequestId(), At: timeOf(in.GetEffectiveTime())}, hash)
	if err != nil {
		return nil, err
	}
	rec := e.Record
	return &pb.Receipt{
		Id: e.Tx.ID, ProjectId: rec.ProjectID, Party: pb.FundingSource_Party(rec.Party), Funder: rec.Funder, AmountFen: rec.AmountFen,
		RequestId: e.Tx.RequestID, Memo: e.Tx.Memo, BookId: e.Tx.BookID, TransactionId: e.Tx.ID, ReceiptNumber: e.ReceiptNumber(),
		CreateTime: timestamppb.New(e.Tx.CreateTime), EffectiveTime: timestamppb.New(e.Tx.EffectiveTime),
	}, nil
}

// CreateContribution calls app.CreateContribution.
func (s *Server) CreateContribution(ctx context.Context, req *pb.CreateContributionRequest) (*pb.Contribution, error) {
	hash, err := bodyHash(req)
	if err != nil {
		return nil, err
	}
	in := req.GetContribution()
	c, err := s.app.CreateContribution(ctx, req.GetProjectId(), app.ContributionRequest{
		HouseholdID: in.GetHouseholdId(), AmountFen: in.GetAmountFen(), Method: int(in.GetMethod()), Memo: in.GetMemo(), RequestID: in.GetRequestId(), At: timeOf(in.GetEffectiveTime())}, hash)
	if err != nil {
		return nil, err
	}
	rec := c.Record
	return &pb.Contribution{
		Id: c.Tx.ID, ProjectId: rec.ProjectID, HouseholdId: rec.HouseholdID, AmountFen: rec.AmountFen,
		Method: pb.Contribution_Method(rec.Method), RequestId: c.Tx.RequestID, Memo: c.Tx.Memo, BookId: c.Tx.BookID,
		TransactionId: c.Tx.ID, ReceiptNumber: c.ReceiptNumber(), HouseholdQuota: standingToPB(c.Standing),
		CreateTime: timestamppb.New(c.Tx.CreateTime), EffectiveTime: timestamppb.New(c.Tx.EffectiveTime),
	}, nil
}

func standingToPB(s ledger.Standing) *pb.HouseholdQuota {
	return &pb.HouseholdQuota{HouseholdId: s.HouseholdID, QuotaFen: s.QuotaFen, PaidFen: s.PaidFen, Status: pb.HouseholdQuota_Status(s.Status)}
}

// GetCollection calls app.GetCollection.
func (s *Server) GetCollection(ctx context.Context, req *pb.GetCollectionRequest) (*pb.Collection, error) {
	c, err := s.app.GetCollection(ctx, req.GetProjectId(), ledger.QuotaStatus(req.GetStatus()), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.Collection{
		ProjectId: c.ProjectID, HouseholdCount: int32(c.HouseholdCount), TargetFen: c.TargetFen, CollectedFen: c.CollectedFen,
		PaidHouseholds: int32(c.PaidHouseholds), PartiallyPaidHouseholds: int32(c.PartiallyPaidHouseholds),
		DueHouseholds: int32(c.DueHouseholds), RefundedHouseholds: int32(c.RefundedHouseholds), NextPageToken: c.NextPageToken,
	}
	for _, h := range c.Households {
		out.Households = append(out.Households, standingToPB(h))
	}
	return out, nil
}

// GetHouseholdQuota calls app.GetHouseholdQuota.
func (s *Server) GetHouseholdQuota(ctx context.Context, req *pb.GetHouseholdQuotaRequest) (*pb.HouseholdQuota, error) {
	h, err := s.app.GetHouseholdQuota(ctx, req.GetProjectId(), req.GetHouseholdId())
	if err != nil {
		return nil, err
	}
	return standingToPB(h), nil
}

// CreateContract calls app.CreateContract.
func (s *Server) CreateContract(ctx context.Context, req *pb.CreateContractRequest) (*pb.Contract, error) {
	hash, err := bodyHash(req)
	if err != nil {
		return nil, err
	}
	in := req.GetContract()
	c, err := s.app.CreateContract(ctx, req.GetProjectId(), app.ContractRequest{
		Payee: in.GetPayee(), AmountFen: in.GetAmountFen(), ItemIDs: in.GetItemIds(), RequestID: in.GetRequestId()}, hash)
	if err != nil {
		return nil, err
	}
	return contractToPB(c, in.GetRequestId()), nil
}

// ListContracts calls app.ListContracts.
func (s *Server) ListContracts(ctx context.Context, req *pb.ListContractsRequest) (*pb.ListContractsResponse, error) {
	cs, next, err := s.app.ListContracts(ctx, req.GetProjectId(), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListContractsResponse{NextPageToken: next}
	for i := range cs {
		out.Contracts = append(out.Contracts, contractToPB(&cs[i], ""))
	}
	return out, nil
}

func contractToPB(c *app.ContractState, requestID string) *pb.Contract {
	return &pb.Contract{
		Id: c.ID, ProjectId: c.ProjectID, Payee: c.Payee, AmountFen: c.AmountFen, ItemIds: c.ItemIDs, RequestId: requestID,
		PaidFen: c.PaidFen, HeldFen: c.HeldFen, CreateTime: timestamppb.New(c.CreateTime), Account: c.Account,
	}
}

// CreateDisbursement calls app.CreateDisbursement.
func (s *Server) CreateDisbursement(ctx context.Context, req *pb.CreateDisbursementRequest) (*pb.Disbursement, error) {
	hash, err := bodyHash(req)
	if err != nil {
		return nil, err
	}
	in := req.GetDisbursement()
	d, err := s.app.CreateDisbursement(ctx, req.GetProjectId(), app.DisbursementRequest{
		ContractID: in.GetContractId(), AmountFen: in.GetAmountFen(),
		ItemID: in.GetItemId(), Purpose: in.GetPurpose(), RequestID: in.GetRequestId(), At: timeOf(in.GetEffectiveTime())}, hash)
	if err != nil {
		return nil, err
	}
	rec := d.Record
	return &pb.Disbursement{
		Id: d.Tx.ID, ProjectId: rec.ProjectID, ContractId: rec.ContractID, Payee: rec.Payee, ContractAmountFen: rec.ContractFen, AmountFen: rec.AmountFen,
		Purpose: rec.Purpose, ItemId: rec.ItemID, RequestId: d.Tx.RequestID, BookId: d.Tx.BookID, TransactionId: d.Tx.ID,
		PaidToPayeeFen: d.PaidToPayeeFen, RetentionFen: d.RetentionFen,
		FundBalanceFen: d.FundBalanceFen(), CreateTime: timestamppb.New(d.Tx.CreateTime), EffectiveTime: timestamppb.New(d.Tx.EffectiveTime),
	}, nil
}
