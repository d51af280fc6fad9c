package app

import (
	"context"
	"strconv"

	"tongdu/platform/fault"
	"tongdu/platform/paging"
	"tongdu/services/governance/internal/registry"
)

// AuditFilter narrows ListAuditEntries ("" for any).
type AuditFilter struct{ Service, Resource, Actor string }

// ListAuditEntries reads the audit trail of the four services, newest first, by
// resource, actor and service. Its page token wraps an offset into the trail.
func (a *App) ListAuditEntries(ctx context.Context, f AuditFilter, token string, size int) ([]registry.AuditEntry, string, error) {
	offset := 0
	if raw, err := paging.DecodeToken(token); err != nil {
		return nil, "", err
	} else if raw != "" {
		if offset, err = strconv.Atoi(raw); err != nil || offset < 0 {
			return nil, "", fault.Field("pageToken", "is not a token this service issued")
		}
	}
	entries, more, err := a.store.Audit(ctx, f.Service, func(e *registry.AuditEntry) bool {
		return (f.Resource == "" || e.Resource == f.Resource) && (f.Actor == "" || e.Actor == f.Actor)
	}, offset, size)
	if err != nil || !more {
		return entries, "", err
	}
	return entries, paging.EncodeToken(strconv.Itoa(offset + size)), nil
}
