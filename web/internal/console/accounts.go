package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/web/internal/i18n"
	"tongdu/web/internal/view"
)

// Staff accounts (rule 16): the accounts within the viewer's scope, making one no wider
// than the viewer's own, disabling, enabling and resetting passwords; and the audit
// trail of every change, for the district's administrators and auditors.

var (
	accountsKeepers = []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF"}
	auditReaders    = []string{"DISTRICT_ADMIN", "AUDITOR"}
)

const (
	accountsPageSize = 100
	auditPageSize    = 50
)

func init() {
	route("GET /accounts", (*Server).accountsPage)
	route("POST /accounts", (*Server).accountsCreate)
	route("POST /accounts/{id}/disable", (*Server).accountsDisable)
	route("POST /accounts/{id}/enable", (*Server).accountsEnable)
	route("POST /accounts/{id}/password", (*Server).accountsResetPassword)
	route("GET /audit", (*Server).auditPage)
	addMenu(80, "accounts", "/accounts", accountsKeepers...)
	addMenu(90, "audit", "/audit", auditReaders...)
}

// accountsRoles are the roles a viewer of role may give a new account, as the account
// service's rule has it: none above their own; auditors and departments only from the
// district's administrators; never residents (they sign in with access codes).
func accountsRoles(role string) []string {
	switch role {
	case "DISTRICT_ADMIN":
		return []string{"DISTRICT_ADMIN", "SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER", "CONTRACTOR", "SUPERVISOR", "AUDITOR", "DEPARTMENT"}
	case "SUBDISTRICT_STAFF":
		return []string{"SUBDISTRICT_STAFF", "COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER", "CONTRACTOR", "SUPERVISOR"}
	case "COMMUNITY_STAFF":
		return []string{"COMMUNITY_STAFF", "GRID_WORKER", "BRANCH_SECRETARY", "OWNERS_COMMITTEE", "BUILDING_LEADER", "CONTRACTOR", "SUPERVISOR"}
	}
	return nil
}

// accountsScopes are the scopes a viewer may give: the regions and compounds within
// their own scope (and, for the whole district, the district itself and the
// departments), as {scope, label}.
func (s *Server) accountsScopes(ctx context.Context, lang i18n.Lang, scope string) ([][2]string, error) {
	gov := s.c.Governance
	var out [][2]string
	if scope == "" {
		out = append(out, [2]string{"", lang.T("accounts.scope.district")})
	}
	var walk func(r *governancepb.Region) error
	walk = func(r *governancepb.Region) error {
		out = append(out, [2]string{"regions/" + r.GetId(), lang.T("accounts.level."+r.GetLevel().String()) + " " + r.GetName()})
		if r.GetLevel() == governancepb.Region_COMMUNITY {
			token := ""
			for {
				got, err := gov.ListCompounds(ctx, &governancepb.ListCompoundsRequest{RegionId: r.GetId(), PageSize: 1000, PageToken: token})
				if err != nil {
					return err
				}
				for _, c := range got.GetCompounds() {
					out = append(out, [2]string{"compounds/" + c.GetId(), lang.T("accounts.level.COMPOUND") + " " + c.GetName()})
				}
				if token = got.GetNextPageToken(); token == "" {
					return nil
				}
			}
		}
		got, err := gov.ListRegions(ctx, &governancepb.ListRegionsRequest{Parent: r.GetId(), PageSize: 1000})
		if err != nil {
			return err
		}
		for _, k := range got.GetRegions() {
			if err := walk(k); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case scope == "":
		got, err := gov.ListRegions(ctx, &governancepb.ListRegionsRequest{PageSize: 1000})
		if err != nil {
			return nil, err
		}
		for _, d := range got.GetRegions() {
			if err := walk(d); err != nil {
				return nil, err
			}
		}
		deps, err := gov.ListDepartments(ctx, &governancepb.ListDepartmentsRequest{PageSize: 1000})
		if err != nil {
			return nil, err
		}
		for _, d := range deps.GetDepartments() {
			out = append(out, [2]string{"departments/" + d.GetId(), lang.T("accounts.level.DEPARTMENT") + " " + d.GetName()})
		}
	case strings.HasPrefix(scope, "regions/"):
		r, err := gov.GetRegion(ctx, &governancepb.GetRegionRequest{Id: strings.TrimPrefix(scope, "regions/")})
		if err != nil {
			return nil, err
		}
		if err := walk(r); err != nil {
			return nil, err
		}
	case strings.HasPrefix(scope, "compounds/"):
		c, err := gov.GetCompound(ctx, &governancepb.GetCompoundRequest{Id: strings.TrimPrefix(scope, "compounds/")})
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{scope, lang.T("accounts.level.COMPOUND") + " " + c.GetName()})
	}
	return out, nil
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) {
	s.accountsRender(w, r, http.StatusOK, view.AccountsForm{})
}

// accountsRender lists the accounts (a page of them, ?page= for the next) with the forms,
// f holding a refused form's state.
func (s *Server) accountsRender(w http.ResponseWriter, r *http.Request, code int, f view.AccountsForm) {
	ctx := call(r)
	p := s.page(r, "accounts.title", "accounts")
	if !p.Viewer.Can(accountsKeepers...) {
		s.fail(w, r, status.Error(codes.PermissionDenied, "accounts are kept by staff"))
		return
	}
	token := r.URL.Query().Get("page")
	got, err := s.c.Accounts.ListAccounts(ctx, &governancepb.ListAccountsRequest{PageSize: accountsPageSize, PageToken: token})
	if err != nil {
		if status.Code(err) == codes.InvalidArgument && token != "" {
			http.Redirect(w, r, "/accounts", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	scopes, err := s.accountsScopes(ctx, p.Lang, p.Viewer.Scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := view.AccountsView{Accounts: got.GetAccounts(), Scopes: scopes, ScopeNames: map[string]string{}, Form: f, RequestID: randomToken()}
	for _, sc := range scopes {
		v.ScopeNames[sc[0]] = sc[1]
	}
	for _, role := range accountsRoles(p.Viewer.Role) {
		v.Roles = append(v.Roles, [2]string{role, p.T("role." + role)})
	}
	if next := got.GetNextPageToken(); next != "" {
		v.Next = "/accounts?page=" + url.QueryEscape(next)
	}
	v.Me = visitOf(r).session.GetAccount().GetId()
	s.render(w, r, code, view.AccountsPage(p, v))
}

// accountsPasswordErrors puts the service's words on a password in the viewer's
// language (the rule is the service's; these are its three refusals).
func accountsPasswordErrors(lang i18n.Lang, errs view.Errors, field string) {
	d, ok := errs["password"]
	if !ok {
		return
	}
	delete(errs, "password")
	var n int
	switch {
	case strings.HasPrefix(d, "must be at least"):
		if _, err := fmt.Sscanf(d, "must be at least %d characters", &n); err == nil {
			d = lang.T("accounts.password.short", n)
		}
	case strings.HasPrefix(d, "must be at most"):
		if _, err := fmt.Sscanf(d, "must be at most %d characters", &n); err == nil {
			d = lang.T("accounts.password.long", n)
		}
	case d == "must not contain the login":
		d = lang.T("accounts.password.login")
	case d == "must not contain the display name":
		d = lang.T("accounts.password.name")
	}
	errs[field] = d
}

// accountsErrors turns a refusal of an account's change into the form's errors: the
// rules' reasons beside the field they concern (a taken login beside the login) or
// above the form, in the catalog's words. ok is false for what is not about the form.
func accountsErrors(lang i18n.Lang, err error, passwordField string) (view.Errors, bool) {
	st := status.Convert(err)
	reason := ""
	for _, d := range st.Details() {
		if ei, isInfo := d.(*errdetails.ErrorInfo); isInfo {
			reason = ei.GetReason()
		}
	}
	switch reason {
	case "ACCOUNT_EXISTS":
		return view.Errors{"login": lang.T("reason.ACCOUNT_EXISTS")}, true
	case "ACCOUNT_TOO_WIDE", "OWN_ACCOUNT", "ACCOUNT_SIGNS_ON":
		return view.Errors{"": lang.T("reason." + reason)}, true
	}
	if st.Code() == codes.PermissionDenied {
		return view.Errors{"": lang.T("error.denied.text")}, true
	}
	errs, ok := formErrors(lang, err)
	if !ok {
		return nil, false
	}
	accountsPasswordErrors(lang, errs, passwordField)
	return errs, true
}

// accountsCreate makes an account. The two passwords are compared here (the service
// takes one); neither is ever written back into the form.
func (s *Server) accountsCreate(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	f := view.AccountsForm{Which: "create", Login: strings.TrimSpace(r.PostFormValue("login")), DisplayName: strings.TrimSpace(r.PostFormValue("displayName")),
		Role: r.PostFormValue("role"), Scope: r.PostFormValue("scope")}
	password, again := r.PostFormValue("password"), r.PostFormValue("passwordAgain")
	errs := view.Errors{}
	if password == "" {
		errs["password"] = lang.T("accounts.password.missing")
	} else if password != again {
		errs["passwordAgain"] = lang.T("accounts.password.mismatch")
	}
	if errs.Any() {
		f.Errs = errs
		s.accountsRender(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	_, err := s.c.Accounts.CreateAccount(call(r), &governancepb.CreateAccountRequest{Login: f.Login, DisplayName: f.DisplayName, Role: f.Role, Scope: f.Scope,
		Password: password, RequestId: r.PostFormValue("requestId")})
	if err != nil {
		errs, ok := accountsErrors(lang, err, "password")
		if !ok {
			s.fail(w, r, err)
			return
		}
		f.Errs = errs
		s.accountsRender(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/accounts?done=accounts.created", http.StatusSeeOther)
}

func (s *Server) accountsDisable(w http.ResponseWriter, r *http.Request) {
	_, err := s.c.Accounts.DisableAccount(call(r), &governancepb.DisableAccountRequest{Id: r.PathValue("id")})
	s.accountsAfter(w, r, err, "accounts.disabled")
}

func (s *Server) accountsEnable(w http.ResponseWriter, r *http.Request) {
	_, err := s.c.Accounts.EnableAccount(call(r), &governancepb.EnableAccountRequest{Id: r.PathValue("id")})
	s.accountsAfter(w, r, err, "accounts.enabled")
}

// accountsAfter goes back to the list after a change of an account, or shows its
// refusal above the account's row.
func (s *Server) accountsAfter(w http.ResponseWriter, r *http.Request, err error, done string) {
	if err != nil {
		errs, ok := accountsErrors(visitOf(r).lang, err, "newPassword")
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.accountsRender(w, r, http.StatusUnprocessableEntity, view.AccountsForm{Which: "row", Account: r.PathValue("id"), Errs: errs})
		return
	}
	http.Redirect(w, r, "/accounts?done="+done, http.StatusSeeOther)
}

func (s *Server) accountsResetPassword(w http.ResponseWriter, r *http.Request) {
	lang := visitOf(r).lang
	password, again := r.PostFormValue("newPassword"), r.PostFormValue("newPasswordAgain")
	errs := view.Errors{}
	if password == "" {
		errs["newPassword"] = lang.T("accounts.password.missing")
	} else if password != again {
		errs["newPasswordAgain"] = lang.T("accounts.password.mismatch")
	}
	if errs.Any() {
		s.accountsRender(w, r, http.StatusUnprocessableEntity, view.AccountsForm{Which: "row", Account: r.PathValue("id"), Errs: errs})
		return
	}
	_, err := s.c.Accounts.ResetAccountPassword(call(r), &governancepb.ResetAccountPasswordRequest{Id: r.PathValue("id"), Password: password})
	s.accountsAfter(w, r, err, "accounts.reset")
}

// auditPage is the audit trail, newest first, filtered by service, actor and resource
// (a GET form), a page at a time.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	ctx := call(r)
	q := r.URL.Query()
	p := s.page(r, "audit.title", "audit")
	f := view.AuditFilter{Service: q.Get("service"), Actor: strings.TrimSpace(q.Get("actor")), Resource: strings.TrimSpace(q.Get("resource"))}
	switch f.Service {
	case "", "governance", "survey", "projects", "finance":
	default:
		f.Service = ""
	}
	got, err := s.c.Governance.ListAuditEntries(ctx, &governancepb.ListAuditEntriesRequest{Service: f.Service, Actor: f.Actor, Resource: f.Resource,
		PageSize: auditPageSize, PageToken: q.Get("page")})
	if err != nil {
		if status.Code(err) == codes.InvalidArgument && q.Get("page") != "" {
			q.Del("page")
			http.Redirect(w, r, "/audit?"+q.Encode(), http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	v := view.AuditView{Filter: f, Entries: got.GetEntries(), Actors: map[string]string{}}
	// The accounts name the actors, for a viewer who may list them (the district's
	// administrators; an auditor sees the subjects).
	token := ""
	for range 20 {
		accounts, err := s.c.Accounts.ListAccounts(ctx, &governancepb.ListAccountsRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			break
		}
		for _, a := range accounts.GetAccounts() {
			v.Actors["accounts/"+a.GetId()] = a.GetDisplayName() + "（" + a.GetLogin() + "）"
			v.ActorOptions = append(v.ActorOptions, [2]string{"accounts/" + a.GetId(), a.GetDisplayName() + "（" + a.GetLogin() + "）"})
		}
		if token = accounts.GetNextPageToken(); token == "" {
			break
		}
	}
	if next := got.GetNextPageToken(); next != "" {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("page", next)
		v.Next = "/audit?" + nq.Encode()
	}
	if q.Get("page") != "" {
		fq := url.Values{}
		for k, vs := range q {
			fq[k] = vs
		}
		fq.Del("page")
		v.First = "/audit?" + fq.Encode()
	}
	s.render(w, r, http.StatusOK, view.AuditPage(p, v))
}
