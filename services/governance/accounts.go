package governance

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc/codes"

	"tongdu/platform/audit"
	"tongdu/platform/auth"
	"tongdu/platform/events"
	pb "tongdu/proto/gen/go/tongdu/governance/v1"
	"tongdu/services/governance/internal/accounts"
	"tongdu/services/governance/internal/app"
	"tongdu/services/governance/internal/storage"
)

// NewAccount is a staff account made at the machine (`tongdu user add`), not over the
// API: how a new install gets its first administrator.
type NewAccount struct {
	Login, DisplayName string
	Role               auth.Role
	Scope              string // empty: the whole district (DISTRICT_ADMIN and AUDITOR only)
	Password           string
	// CreatedBy names the operator, e.g. "cli:alice".
	CreatedBy string
}

// AddAccount makes a staff account on rdb through the same use case as CreateAccount
// (the login, password, role and scope rules; ACCOUNT_EXISTS; never RESIDENT), with no
// caller's token: the operator at the machine acts for the whole district. It returns
// the account's id and its login as stored.
func AddAccount(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger, a NewAccount) (id, login string, err error) {
	store := storage.New(rdb, events.NewOutbox(rdb, log))
	places := auth.NewResolver()
	teach(places, store)
	accts := app.NewAccounts(store, log, time.Now, nil, accounts.SessionSettings{}, places.Ancestry)
	operator := auth.Principal{Subject: a.CreatedBy, Role: auth.DistrictAdmin}
	acc, err := accts.CreateAccount(ctx, operator, app.Request{},
		accounts.Account{Login: a.Login, DisplayName: a.DisplayName, Role: a.Role, Scope: a.Scope}, a.Password)
	if err != nil {
		return "", "", err
	}
	// Made beside the API, so no interceptor records it: the account says so itself, under
	// the operator's name, as CreateAccount would. (A refusal changed nothing and is told
	// to the operator at the terminal.)
	if err := audit.Record(ctx, rdb, nil, audit.Entry{
		Actor: a.CreatedBy, Role: auth.DistrictAdmin, Method: pb.AccountService_CreateAccount_FullMethodName,
		Resource: "accounts/" + acc.ID, Outcome: codes.OK,
	}); err != nil {
		return "", "", fmt.Errorf("account %s made, but the audit trail could not record it: %w", acc.Login, err)
	}
	return acc.ID, acc.Login, nil
}
