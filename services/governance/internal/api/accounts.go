package api

import (
	"context"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/emptypb"

	"tongdu/platform/auth"
	"tongdu/platform/paging"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/accounts"
	"tongdu/services/governance/internal/app"
)

// SessionHeader is the gRPC metadata key that carries a session's id (auth.SessionMetadata):
// CreateSession sends the new id to the caller in a response header of this name (never
// in the message), and DeleteSession reads it from the request's metadata when
// session_id is empty. The gateway and the console turn it into and out of the HttpOnly
// session cookie.
const SessionHeader = auth.SessionMetadata

// AccountServer implements tongdu.governance.v1.AccountService.
type AccountServer struct {
	pb.UnimplementedAccountServiceServer
	app *app.Accounts
}

var _ pb.AccountServiceServer = (*AccountServer)(nil)

// NewAccounts returns the server over the account use cases.
func NewAccounts(a *app.Accounts) *AccountServer { return &AccountServer{app: a} }

// caller is the authenticated caller (none on a server without auth: the zero principal,
// which may make no account).
func caller(ctx context.Context) auth.Principal {
	p, _ := auth.FromContext(ctx)
	return p
}

func (s *AccountServer) CreateAccount(ctx context.Context, req *pb.CreateAccountRequest) (*pb.Account, error) {
	r, err := request(req)
	if err != nil {
		return nil, err
	}
	in := accounts.Account{Login: req.GetLogin(), DisplayName: req.GetDisplayName(), Role: auth.Role(req.GetRole()), Scope: req.GetScope()}
	return encoded(accountToPB)(s.app.CreateAccount(ctx, caller(ctx), r, in, req.GetPassword()))
}

func (s *AccountServer) ListAccounts(ctx context.Context, req *pb.ListAccountsRequest) (*pb.ListAccountsResponse, error) {
	accs, next, err := s.app.ListAccounts(ctx, caller(ctx), req.GetPageToken(), paging.Size(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &pb.ListAccountsResponse{Accounts: encodeAll(accs, func(a *accounts.Account) *pb.Account { return accountToPB(a) }), NextPageToken: next}, nil
}

func (s *AccountServer) DisableAccount(ctx context.Context, req *pb.DisableAccountRequest) (*pb.Account, error) {
	return encoded(accountToPB)(s.app.DisableAccount(ctx, caller(ctx), req.GetId()))
}

func (s *AccountServer) EnableAccount(ctx context.Context, req *pb.EnableAccountRequest) (*pb.Account, error) {
	return encoded(accountToPB)(s.app.EnableAccount(ctx, caller(ctx), req.GetId()))
}

func (s *AccountServer) ResetAccountPassword(ctx context.Context, req *pb.ResetAccountPasswordRequest) (*pb.Account, error) {
	return encoded(accountToPB)(s.app.ResetAccountPassword(ctx, caller(ctx), req.GetId(), req.GetPassword()))
}

func (s *AccountServer) CreateSession(ctx context.Context, req *pb.CreateSessionRequest) (*pb.Session, error) {
	o, err := s.app.CreateSession(ctx, app.Credentials{
		Login: req.GetLogin(), Password: req.GetPassword(), AccessCode: req.GetAccessCode(),
		OIDCCode: req.GetOidcCode(), OIDCState: req.GetOidcState(), Address: address(ctx),
	})
	if err != nil {
		return nil, err
	}
	if err := grpc.SetHeader(ctx, metadata.Pairs(SessionHeader, o.ID)); err != nil {
		return nil, err
	}
	acc := o.Account
	return &pb.Session{Token: o.Token, ExpireTime: ts(o.TokenExpire), Account: accountToPB(&acc), CsrfToken: o.CSRF, SessionExpireTime: ts(o.SessionEnd)}, nil
}

func (s *AccountServer) DeleteSession(ctx context.Context, req *pb.DeleteSessionRequest) (*emptypb.Empty, error) {
	id := req.GetSessionId()
	if id == "" {
		if vs := metadata.ValueFromIncomingContext(ctx, SessionHeader); len(vs) > 0 {
			id = vs[0]
		}
	}
	return &emptypb.Empty{}, s.app.DeleteSession(ctx, id)
}

func (s *AccountServer) ResolveSession(ctx context.Context, req *pb.ResolveSessionRequest) (*pb.ResolvedSession, error) {
	r, err := s.app.ResolveSession(ctx, req.GetSessionId())
	if err != nil {
		return nil, err
	}
	acc := r.Account
	return &pb.ResolvedSession{Token: r.Token, ExpireTime: ts(r.TokenExpire), CsrfToken: r.CSRF, Account: accountToPB(&acc)}, nil
}

func (s *AccountServer) StartSignOn(ctx context.Context, _ *pb.StartSignOnRequest) (*pb.SignOnStart, error) {
	url, state, err := s.app.StartSignOn(ctx)
	if err != nil {
		return nil, err
	}
	return &pb.SignOnStart{AuthorizeUrl: url, State: state}, nil
}

func (s *AccountServer) IssueAccessCode(ctx context.Context, req *pb.IssueAccessCodeRequest) (*pb.AccessCode, error) {
	code, at, err := s.app.IssueAccessCode(ctx, req.GetHouseholdId())
	if err != nil {
		return nil, err
	}
	return &pb.AccessCode{HouseholdId: req.GetHouseholdId(), Code: code, IssueTime: ts(at)}, nil
}

func (s *AccountServer) IssueCompoundAccessCodes(ctx context.Context, req *pb.IssueCompoundAccessCodesRequest) (*pb.AccessCodeSheet, error) {
	c, doors, at, err := s.app.IssueCompoundAccessCodes(ctx, req.GetCompoundId())
	if err != nil {
		return nil, err
	}
	out := &pb.AccessCodeSheet{CompoundId: c.ID, CompoundName: c.Name, IssueTime: ts(at)}
	for _, d := range doors {
		out.Doors = append(out.Doors, &pb.AccessCodeSheet_Door{HouseholdId: d.HouseholdID, Building: d.Building, Unit: d.Unit, Room: d.Room, Code: d.Code})
	}
	return out, nil
}

func (s *AccountServer) RevokeAccessCode(ctx context.Context, req *pb.RevokeAccessCodeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, s.app.RevokeAccessCode(ctx, req.GetHouseholdId())
}

// accountToPB shows an account without its secrets.
func accountToPB(a *accounts.Account) *pb.Account {
	out := &pb.Account{
		Id: a.ID, Login: a.Login, DisplayName: a.DisplayName, Role: string(a.Role), Scope: a.Scope,
		Enabled: a.Enabled, CreatedBy: a.CreatedBy, SingleSignOn: a.SingleSignOn,
	}
	if !a.CreateTime.IsZero() {
		out.CreateTime = ts(a.CreateTime)
	}
	if !a.LastSignIn.IsZero() {
		out.LastSignInTime = ts(a.LastSignIn)
	}
	return out
}

// address is where a sign-in comes from, for counting failures per address. Through the
// gateway it is the last x-forwarded-for entry (grpc-gateway appends the client address
// it saw); called directly, the peer's address.
func address(ctx context.Context) string {
	if vs := metadata.ValueFromIncomingContext(ctx, "x-forwarded-for"); len(vs) > 0 {
		parts := strings.Split(vs[len(vs)-1], ",")
		if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
			return a
		}
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
			return host
		}
		return p.Addr.String()
	}
	return "unknown"
}
