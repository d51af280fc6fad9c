package console

import (
	"errors"
	"google.golang.org/protobuf/types/known/timestamppb"
	"net/http"
	"net/url"
	"strings"
	"time"
	"tongdu/web/internal/i18n"

	financepb "tongdu/proto/gen/go/tongdu/finance/v1"
	projectspb "tongdu/proto/gen/go/tongdu/projects/v1"
	"tongdu/web/internal/view"
)

// A project's money page (group "projects"): its funding plan (rule 8), its book and
// entries (rule 7), the collection list, and the forms that record money coming in.
func init() {
	route("GET /projects/{id}/money", (*Server).moneyPage)
	route("POST /projects/{id}/receipts", (*Server).createReceipt)
	route("POST /projects/{id}/contributions", (*Server).createContribution)
}

func (s *Server) moneyPage(w http.ResponseWriter, r *http.Request) {
	s.renderMoney(w, r, http.StatusOK, projectForm{})
}

func (s *Server) renderMoney(w http.ResponseWriter, r *http.Request, code int, form projectForm) {
	ctx, id, lang := call(r), r.PathValue("id"), visitOf(r).lang
	pr, err := s.c.Projects.GetProject(ctx, &projectspb.GetProjectRequest{Id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.MoneyView{Project: pr, Form: form.name, Vals: form.vals, Errs: form.errs, RequestID: view.NewRequestID(), ReceiptID: view.NewRequestID()}
	// Sent back with its errors, a form keeps its request id: corrected and sent again,
	// or sent twice, it is still one request (rule 7).
	if id := form.vals.Get("requestId"); id != "" && form.name == "contribution" {
		v.RequestID = id
	} else if id != "" && form.name == "receipt" {
		v.ReceiptID = id
	}
	plan, err := s.c.Finance.GetFundingPlan(ctx, &financepb.GetFundingPlanRequest{ProjectId: id})
	switch {
	case err == nil:
		v.Plan = plan
	case projectsOptional(err):
		// No plan yet (or not the viewer's to read): the page says so.
	default:
		s.fail(w, r, err)
		return
	}
	if v.Plan != nil && v.Plan.GetBookId() != "" {
		book := v.Plan.GetBookId()
		if b, err := s.c.Finance.GetBook(ctx, &financepb.GetBookRequest{BookId: book}); err == nil {
			v.Book = b
		}
		if as, err := listAll(func(tok string) ([]*financepb.Account, string, error) {
			got, err := s.c.Finance.ListAccounts(ctx, &financepb.ListAccountsRequest{BookId: book, PageSize: 1000, PageToken: tok})
			return got.GetAccounts(), got.GetNextPageToken(), err
		}); err == nil {
			v.Accounts = as
		}
		if ts, err := listAll(func(tok string) ([]*financepb.Transaction, string, error) {
			got, err := s.c.Finance.ListTransactions(ctx, &financepb.ListTransactionsRequest{BookId: book, PageSize: 1000, PageToken: tok})
			return got.GetTransactions(), got.GetNextPageToken(), err
		}); err == nil {
			v.Transactions = ts
		}
		if c, err := s.c.Finance.GetCollection(ctx, &financepb.GetCollectionRequest{ProjectId: id, PageSize: 1000}); err == nil {
			v.Collection = c
		}
		if hs, err := s.households(ctx, lang, pr.GetCompoundId()); err == nil {
			v.Households = hs
		}
	}
	if code == http.StatusUnprocessableEntity {
		// htmx would show the POST's address; the page's own is the one to come back to.
		w.Header().Set("HX-Push-Url", "/projects/"+url.PathEscape(id)+"/money")
	}
	p := s.page(r, "money.title", "compounds")
	p.Title = p.T("money.heading", pr.GetTitle())
	s.render(w, r, code, view.MoneyPage(p, v))
}

// moneySent finishes a POST of the money page.
func (s *Server) moneySent(w http.ResponseWriter, r *http.Request, form, done string, err error) {
	if err == nil {
		http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("id"))+"/money?done="+done+"#"+form, http.StatusSeeOther)
		return
	}
	if errs, ok := formErrors(visitOf(r).lang, err); ok {
		// The receipt form picks party and funder together, in one field.
		if e, ok := errs["receipt.party"]; ok && errs["receipt.funder"] == "" {
			errs["receipt.funder"] = e
		}
		s.renderMoney(w, r, http.StatusUnprocessableEntity, projectForm{name: form, vals: r.PostForm, errs: errs})
		return
	}
	s.fail(w, r, err)
}

// createReceipt records money received from a funder of the plan; the request id came
// with the form, so the same form sent twice is one receipt (rule 7).
func (s *Server) createReceipt(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	errs := view.Errors{}
	amount := moneyField(lang, errs, "receipt.amountFen", r.PostFormValue("receipt.amountFen"), true)
	// The funder is picked as "PARTY|name" from the plan's sources.
	party, funder, _ := strings.Cut(r.PostFormValue("receipt.funder"), "|")
	if funder == "" {
		errs["receipt.funder"] = lang.T("money.error.funder")
	}
	at := dayField(lang, errs, "receipt.effectiveTime", r.PostFormValue("receipt.effectiveTime"))
	if errs.Any() {
		s.renderMoney(w, r, http.StatusUnprocessableEntity, projectForm{name: "receipt", vals: r.PostForm, errs: errs})
		return
	}
	_, err := s.c.Finance.CreateReceipt(call(r), &financepb.CreateReceiptRequest{ProjectId: r.PathValue("id"), Receipt: &financepb.Receipt{
		Party: financepb.FundingSource_Party(financepb.FundingSource_Party_value[party]), Funder: funder, AmountFen: amount,
		Memo: strings.TrimSpace(r.PostFormValue("receipt.memo")), RequestId: r.PostFormValue("requestId"), EffectiveTime: at}})
	s.moneySent(w, r, "receipt", "money.receipt", err)
}

// createContribution records a household's payment toward its quota (rule 8).
func (s *Server) createContribution(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	errs := view.Errors{}
	amount := moneyField(lang, errs, "contribution.amountFen", r.PostFormValue("contribution.amountFen"), true)
	if r.PostFormValue("contribution.householdId") == "" {
		errs["contribution.householdId"] = lang.T("money.error.household")
	}
	at := dayField(lang, errs, "contribution.effectiveTime", r.PostFormValue("contribution.effectiveTime"))
	if errs.Any() {
		s.renderMoney(w, r, http.StatusUnprocessableEntity, projectForm{name: "contribution", vals: r.PostForm, errs: errs})
		return
	}
	_, err := s.c.Finance.CreateContribution(call(r), &financepb.CreateContributionRequest{ProjectId: r.PathValue("id"), Contribution: &financepb.Contribution{
		HouseholdId: r.PostFormValue("contribution.householdId"), AmountFen: amount,
		Method: financepb.Contribution_Method(financepb.Contribution_Method_value[r.PostFormValue("contribution.method")]),
		Memo:   strings.TrimSpace(r.PostFormValue("contribution.memo")), RequestId: r.PostFormValue("requestId"), EffectiveTime: at}})
	s.moneySent(w, r, "contribution", "money.contribution", err)
}

// parseYuan reads an amount typed in yuan ("1,234.50", "¥80", "１２３") into fen exactly,
// without floating point: at most two decimals, thousands separators allowed only as
// such. The error's text is the catalog key under "money.error.".
func parseYuan(typed string) (int64, error) {
	s := strings.TrimSpace(typed)
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９': // full-width digits, as Chinese input methods type them
			return r - '０' + '0'
		case r == '．' || r == '。':
			return '.'
		case r == '，':
			return ','
		case r == '¥' || r == '￥' || r == ' ':
			return -1
		}
		return r
	}, s)
	s = strings.TrimSuffix(s, "元")
	whole, frac, dotted := strings.Cut(s, ".")
	if whole == "" || (dotted && frac == "") {
		return 0, errors.New("format")
	}
	if strings.Contains(whole, ",") {
		// Separators must group by three: "1,234,567".
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, errors.New("format")
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, errors.New("format")
			}
		}
		whole = strings.Join(groups, "")
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, errors.New("format")
		}
	}
	if len(frac) > 2 {
		return 0, errors.New("decimals")
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 12 { // a thousand billion yuan: beyond any project, and int64 stays safe
		return 0, errors.New("large")
	}
	var fen int64
	for _, c := range whole {
		fen = fen*10 + int64(c-'0')
	}
	frac = (frac + "00")[:2]
	fen = fen*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	return fen, nil
}

// dayField reads an optional day of record (rule 15: money paid before it is entered),
// a district day "2021-05-10", as noon of that day in the district's time; nil when
// empty. A malformed day is an error beside field.
func dayField(lang i18n.Lang, errs view.Errors, field, typed string) *timestamppb.Timestamp {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return nil
	}
	d, err := time.ParseInLocation(time.DateOnly, typed, view.China)
	if err != nil {
		errs[field] = lang.T("notices.error.date")
		return nil
	}
	return timestamppb.New(d.Add(12 * time.Hour))
}
