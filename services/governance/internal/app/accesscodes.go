package app

import (
	"context"
	"sort"
	"strconv"
	"time"

	"tongdu/platform/fault"
	"tongdu/services/governance/internal/accounts"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

func faultFields(field, desc string) error { return fault.Field(field, desc) }

// Door is one household's line of a compound's access-code sheet.
type Door struct {
	HouseholdID, Building, Unit, Room, Code string
}

// IssueAccessCode gives a household a new access code, shown only in this answer, and
// revokes the one before (its sessions end).
func (a *Accounts) IssueAccessCode(ctx context.Context, hid string) (string, time.Time, error) {
	if _, err := a.store.GetHousehold(ctx, hid); err != nil {
		return "", time.Time{}, err
	}
	codes, err := a.issue(ctx, []string{hid})
	if err != nil {
		return "", time.Time{}, err
	}
	return codes[0], a.now().UTC(), nil
}

// issue makes a code for each household, revokes their codes before and ends the
// sessions those opened.
func (a *Accounts) issue(ctx context.Context, hids []string) ([]string, error) {
	codes := make([]string, len(hids))
	issues := make([]storage.CodeIssue, len(hids))
	for i, hid := range hids {
		code, err := accounts.NewAccessCode()
		if err != nil {
			return nil, err
		}
		n, _ := accounts.NormaliseAccessCode(code)
		codes[i], issues[i] = code, storage.CodeIssue{Household: hid, Hash: accounts.HashAccessCode(n)}
	}
	if err := a.store.IssueCodes(ctx, issues); err != nil {
		return nil, err
	}
	return codes, a.store.EndHouseholdSessions(ctx, hids...)
}

// IssueCompoundAccessCodes gives every household of a compound a new code, as a sheet in
// building name, unit and room order; every earlier code of theirs is revoked.
func (a *Accounts) IssueCompoundAccessCodes(ctx context.Context, cid string) (*registry.Compound, []Door, time.Time, error) {
	c, err := a.store.GetCompound(ctx, cid)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	buildings, err := a.store.BuildingsOf(ctx, cid)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	var doors []Door
	for token := ""; ; {
		page, next, err := a.store.ListHouseholds(ctx, cid, "", token, 1000)
		if err != nil {
			return nil, nil, time.Time{}, err
		}
		for _, h := range page {
			name := h.BuildingID
			if b := buildings[h.BuildingID]; b != nil {
				name = b.Name
			}
			doors = append(doors, Door{HouseholdID: h.ID, Building: name, Unit: h.Unit, Room: h.Room})
		}
		if next == "" {
			break
		}
		token = next
	}
	sort.SliceStable(doors, func(i, j int) bool {
		x, y := doors[i], doors[j]
		if x.Building != y.Building {
			return naturalLess(x.Building, y.Building)
		}
		if x.Unit != y.Unit {
			return naturalLess(x.Unit, y.Unit)
		}
		return naturalLess(x.Room, y.Room)
	})
	hids := make([]string, len(doors))
	for i, d := range doors {
		hids[i] = d.HouseholdID
	}
	codes, err := a.issue(ctx, hids)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	for i := range doors {
		doors[i].Code = codes[i]
	}
	return c, doors, a.now().UTC(), nil
}

// naturalLess orders runs of digits by value ("2栋" before "10栋", "3-2" before "3-10"),
// anything else as text.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			x, _ := strconv.Atoi(a[:da])
			y, _ := strconv.Atoi(b[:db])
			if x != y {
				return x < y
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// RevokeAccessCode leaves a household without a code and ends its sessions.
func (a *Accounts) RevokeAccessCode(ctx context.Context, hid string) error {
	if _, err := a.store.GetHousehold(ctx, hid); err != nil {
		return err
	}
	if err := a.store.RevokeCode(ctx, hid); err != nil {
		return err
	}
	return a.store.EndHouseholdSessions(ctx, hid)
}
