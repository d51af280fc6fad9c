package api

import (
	"context"
	"fmt"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"tongdu/platform/grpcserver"
	"tongdu/platform/sheet"
	pb "tongdu/proto/gen/go/tongdu/finance/v1"
	"tongdu/services/finance/internal/ledger"
)

// Exports as workbooks (issue 20): the collection list and a book's entries, each as
// GET …:export?format=xlsx, saved by the browser under a Chinese name. Each reads its
// report page by page, as the report's own pages are read, into a streamed sheet.

// exportPage is how many households or transactions an export reads at a time.
const exportPage = 1000

// quotaStatuses are the households' standings as the console names them.
var quotaStatuses = map[ledger.QuotaStatus]string{
	ledger.Due:           "未缴",
	ledger.PartiallyPaid: "部分缴纳",
	ledger.Paid:          "已缴清",
	ledger.Refunded:      "已退还",
}

// ExportCollection is the collection list (rule 8) as a workbook: each household's
// quota, what it paid and owes, and its status, named as the caller may see it (rule
// 13: the registry masks the residents' names for a role that does not need them).
func (s *Server) ExportCollection(ctx context.Context, req *pb.ExportCollectionRequest) (*httpbody.HttpBody, error) {
	want := ledger.QuotaStatus(req.GetStatus())
	first, err := s.app.GetCollection(ctx, req.GetProjectId(), want, "", exportPage)
	if err != nil {
		return nil, err
	}
	names, err := s.app.CollectionNames(ctx, req.GetProjectId())
	if err != nil {
		return nil, err
	}
	cols := []sheet.Column{{Header: "住户编号", Kind: sheet.Text}, {Header: "住户", Kind: sheet.Text, Width: 24}}
	if names != nil {
		cols = append(cols, sheet.Column{Header: "居民", Kind: sheet.Text})
	}
	cols = append(cols, sheet.Column{Header: "应缴（元）", Kind: sheet.Yuan, Width: 14}, sheet.Column{Header: "已缴（元）", Kind: sheet.Yuan, Width: 14},
		sheet.Column{Header: "未缴（元）", Kind: sheet.Yuan, Width: 14}, sheet.Column{Header: "状态", Kind: sheet.Text})
	w, err := sheet.NewWorkbook("收款清单", cols)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	for c := first; ; {
		for _, h := range c.Households {
			row := []any{h.HouseholdID, names[h.HouseholdID].Label}
			if names != nil {
				row = append(row, names[h.HouseholdID].Resident)
			}
			row = append(row, h.QuotaFen, h.PaidFen, max(h.QuotaFen-h.PaidFen, 0), quotaStatuses[h.Status])
			if err := w.Row(row...); err != nil {
				return nil, err
			}
		}
		if c.NextPageToken == "" {
			break
		}
		if c, err = s.app.GetCollection(ctx, req.GetProjectId(), want, c.NextPageToken, exportPage); err != nil {
			return nil, err
		}
	}
	data, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	return grpcserver.Attachment(ctx, sheet.Disposition(fmt.Sprintf("收款清单-%s.xlsx", first.ProjectID), fmt.Sprintf("collection-%s.xlsx", first.ProjectID)), sheet.XLSXType, data), nil
}

// txKinds are the entries' kinds as the console names them.
var txKinds = map[ledger.TxKind]string{
	ledger.TxReceipt:      "资金到账",
	ledger.TxContribution: "居民出资",
	ledger.TxDisbursement: "付款",
	ledger.TxIncome:       "收入",
	ledger.TxExpense:      "支出",
	ledger.TxReversal:     "冲正",
}

// ExportTransactions is a book's entries (rule 7) as a workbook, in log order: one row
// per posting, each with its transaction's sequence, id, kind, when the money moved and
// when it was entered, request id, memo, reversal links and who entered it.
func (s *Server) ExportTransactions(ctx context.Context, req *pb.ExportTransactionsRequest) (*httpbody.HttpBody, error) {
	w, err := sheet.NewWorkbook("账目明细", []sheet.Column{
		{Header: "序号", Kind: sheet.Integer}, {Header: "交易编号", Kind: sheet.Text, Width: 28},
		{Header: "类型", Kind: sheet.Text}, {Header: "发生时间", Kind: sheet.DateTime, Width: 20},
		{Header: "录入时间", Kind: sheet.DateTime, Width: 20}, {Header: "科目", Kind: sheet.Text, Width: 24},
		{Header: "金额（元）", Kind: sheet.Yuan, Width: 14}, {Header: "请求编号", Kind: sheet.Text, Width: 28},
		{Header: "摘要", Kind: sheet.Text, Width: 30}, {Header: "冲正的交易", Kind: sheet.Text, Width: 28},
		{Header: "被冲正于", Kind: sheet.Text, Width: 28}, {Header: "录入账户", Kind: sheet.Text, Width: 20},
	})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	kind, token := ledger.TxKind(req.GetKind()), ""
	for {
		txs, next, err := s.app.ListTransactions(ctx, req.GetBookId(), kind, token, exportPage)
		if err != nil {
			return nil, err
		}
		for i := range txs {
			if err := txRows(w, &txs[i]); err != nil {
				return nil, err
			}
		}
		if token = next; token == "" {
			break
		}
	}
	data, err := w.Bytes()
	if err != nil {
		return nil, err
	}
	return grpcserver.Attachment(ctx, sheet.Disposition(fmt.Sprintf("账目明细-%s.xlsx", req.GetBookId()), fmt.Sprintf("book-%s-entries.xlsx", req.GetBookId())), sheet.XLSXType, data), nil
}

// txRows writes a transaction's postings.
func txRows(w *sheet.Workbook, t *ledger.Transaction) error {
	effective := t.EffectiveTime
	if effective.IsZero() {
		effective = t.CreateTime
	}
	for _, p := range t.Postings {
		if err := w.Row(t.Sequence, t.ID, txKinds[t.Kind], effective, t.CreateTime, p.Account, p.AmountFen,
			t.RequestID, t.Memo, t.Reverses, t.ReversedBy, t.Account); err != nil {
			return err
		}
	}
	return nil
}
