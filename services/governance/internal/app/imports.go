package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"tongdu/platform/auth"
	"tongdu/platform/fault"
	"tongdu/platform/ids"
	"tongdu/platform/paging"
	"tongdu/services/governance/internal/imports"
	"tongdu/services/governance/internal/registry"
	"tongdu/services/governance/internal/storage"
)

// ImportStore keeps previews of imports (internal/storage implements it).
type ImportStore interface {
	SaveImport(ctx context.Context, id string, r storage.ImportRecord, ttl time.Duration) error
	GetImport(ctx context.Context, id string, plan, file bool) (*storage.ImportRecord, error)
	ClaimImport(ctx context.Context, id string, confirm []byte) (bool, error)
	SetImportProgress(ctx context.Context, id, state string, applied int) error
	DwellingsOf(ctx context.Context, cid string) (map[string]registry.Household, map[string]string, error)
	UpdateHouseholds(ctx context.Context, cid string, before map[string]string, prev map[string]registry.Household, hs []registry.Household, evs ...string) error
}

// ImportTTL is how long a preview waits for its confirmation.
const ImportTTL = 24 * time.Hour

// importBatch is how many households one atomic write takes on confirm.
const importBatch = 1000

// Import states.
const (
	ImportPreviewed = "PREVIEWED"
	ImportApplying  = "APPLYING"
	ImportApplied   = "APPLIED"
)

// Import is a spreadsheet read and previewed and, once confirmed, applied.
type Import struct {
	ID                      string              `json:"id"`
	Kind                    registry.ImportKind `json:"kind"`
	CompoundID, CommunityID string
	FileName, Format        string
	Sheet, Encoding         string
	Header                  []string
	Summary                 registry.ImportSummary
	RowCount, Total         int
	CreateAccount           string
	CreateTime, ExpireTime  time.Time

	// Kept apart from the rest, as they move.
	State          string `json:"-"`
	Applied        int    `json:"-"`
	ConfirmAccount string `json:"-"`
	ConfirmTime    time.Time
	Rows           []registry.PlannedRow `json:"-"`
}

type confirmation struct {
	Account string    `json:"account"`
	Time    time.Time `json:"time"`
}

// plan is what a confirm writes: the preview's rows that are new or changed, in full,
// and the stored records the changed ones were compared with.
type plan struct {
	Rows   []registry.PlannedRow `json:"rows"`
	Before map[string]string     `json:"before,omitempty"`
}

// Imports are the use cases of spreadsheet imports (issue 20).
type Imports struct {
	app   *App
	store ImportStore
	log   *slog.Logger
}

// NewImports returns the import use cases over the registry's.
func NewImports(a *App, store ImportStore, log *slog.Logger) *Imports {
	return &Imports{app: a, store: store, log: log}
}

// Create reads a file and previews importing it: rows new, changed, unchanged or in
// error. Nothing in the registry changes; the preview is kept for ImportTTL. Bad input
// on file when it cannot be read (imports.Read); NotFound for an unknown compound or
// community.
func (m *Imports) Create(ctx context.Context, kind registry.ImportKind, compoundID, communityID, fileName string, data []byte) (*Import, error) {
	start := m.app.now()
	imp := &Import{Kind: kind, FileName: fileName, CreateAccount: auth.Acting(ctx), CreateTime: start, ExpireTime: start.Add(ImportTTL), State: ImportPreviewed}
	var community *registry.Region
	var buildings map[string]*registry.Building
	var existing map[string]registry.Household
	var raw map[string]string
	var compounds []registry.Compound
	switch kind {
	case registry.ImportHouseholds:
		if compoundID == "" {
			return nil, fault.Field("compoundId", "is required for a HOUSEHOLDS import")
		}
		if _, err := m.app.store.GetCompound(ctx, compoundID); err != nil {
			return nil, err
		}
		imp.CompoundID = compoundID
	case registry.ImportCompounds:
		if communityID == "" {
			return nil, fault.Field("communityId", "is required for a COMPOUNDS import")
		}
		r, err := m.app.store.GetRegion(ctx, communityID)
		if err != nil {
			return nil, err
		}
		community, imp.CommunityID = r, communityID
	default:
		return nil, fault.Field("kind", "HOUSEHOLDS or COMPOUNDS")
	}
	t, err := imports.Read(kind, fileName, data)
	if err != nil {
		return nil, err
	}
	imp.Format, imp.Sheet, imp.Encoding, imp.Header, imp.RowCount = t.Format, t.Sheet, t.Encoding, t.Header, len(t.Rows)
	var rows []registry.PlannedRow
	if kind == registry.ImportHouseholds {
		if buildings, err = m.app.store.BuildingsOf(ctx, compoundID); err != nil {
			return nil, err
		}
		if existing, raw, err = m.store.DwellingsOf(ctx, compoundID); err != nil {
			return nil, err
		}
		rows = registry.PlanHouseholds(compoundID, t.Rows, buildings, existing, start)
	} else {
		if community.Level != registry.Community {
			return nil, fault.Field("communityId", fmt.Sprintf("%s is a %s, compounds sit in a COMMUNITY", community.ID, community.Level))
		}
		if compounds, err = m.communityCompounds(ctx, communityID); err != nil {
			return nil, err
		}
		rows = registry.PlanCompounds(community, t.Rows, compounds, start)
	}
	imp.Summary = registry.Summarise(rows)
	imp.Total = imp.Summary.New + imp.Summary.Changed
	// The preview shown keeps no records (personal data stays in the plan).
	shown := make([]registry.PlannedRow, len(rows))
	p := plan{Before: map[string]string{}}
	for i, r := range rows {
		shown[i] = registry.PlannedRow{Row: r.Row, Status: r.Status, Errors: r.Errors, Key: r.Key, Changed: r.Changed}
		if r.Status == registry.RowNew || r.Status == registry.RowChanged {
			p.Rows = append(p.Rows, r)
			if r.Household != nil && r.Household.ID != "" {
				p.Before[r.Household.ID] = raw[r.Household.ID]
			}
		}
	}
	imp.ID = ids.New()
	imp.Rows = shown
	meta, err := json.Marshal(imp)
	if err != nil {
		return nil, err
	}
	rowsJSON, err := json.Marshal(shown)
	if err != nil {
		return nil, err
	}
	planJSON, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if err := m.store.SaveImport(ctx, imp.ID, storage.ImportRecord{Meta: meta, Rows: rowsJSON, Plan: planJSON, File: data, State: ImportPreviewed}, ImportTTL); err != nil {
		return nil, err
	}
	// Figures only: no cell, no name (rule 13).
	m.log.InfoContext(ctx, "import previewed", "import", imp.ID, "kind", kind.String(), "rows", len(rows),
		"new", imp.Summary.New, "changed", imp.Summary.Changed, "unchanged", imp.Summary.Unchanged, "errors", imp.Summary.Errors,
		"elapsed_ms", m.app.now().Sub(start).Milliseconds())
	return imp, nil
}

// communityCompounds are the compounds of a community (its compounds index holds those
// anywhere under it; a community has tens).
func (m *Imports) communityCompounds(ctx context.Context, community string) ([]registry.Compound, error) {
	return paging.Collect(func(token string) ([]registry.Compound, string, error) {
		return m.app.store.ListCompounds(ctx, community, func(c *registry.Compound) bool { return c.CommunityID == community }, token, 1000)
	})
}

// Get returns an import with its rows, or registry.ErrNotFound (also once expired).
func (m *Imports) Get(ctx context.Context, id string) (*Import, error) {
	rec, err := m.store.GetImport(ctx, id, false, false)
	if err != nil {
		return nil, err
	}
	return decodeImport(rec)
}

func decodeImport(rec *storage.ImportRecord) (*Import, error) {
	var imp Import
	if err := json.Unmarshal(rec.Meta, &imp); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(rec.Rows, &imp.Rows); err != nil {
		return nil, err
	}
	imp.State, imp.Applied = rec.State, rec.Applied
	if len(rec.Confirm) > 0 {
		var c confirmation
		if err := json.Unmarshal(rec.Confirm, &c); err == nil {
			imp.ConfirmAccount, imp.ConfirmTime = c.Account, c.Time
		}
	}
	return &imp, nil
}

// Report is the uploaded file as .xlsx with an error column (imports.Report).
func (m *Imports) Report(ctx context.Context, id string) ([]byte, *Import, error) {
	rec, err := m.store.GetImport(ctx, id, false, true)
	if err != nil {
		return nil, nil, err
	}
	imp, err := decodeImport(rec)
	if err != nil {
		return nil, nil, err
	}
	errs := map[int][]registry.RowError{}
	for _, r := range imp.Rows {
		if len(r.Errors) > 0 {
			errs[r.Row] = r.Errors
		}
	}
	data, err := imports.Report(&imports.Table{Format: imp.Format, Sheet: imp.Sheet, Header: imp.Header}, rec.File, errs)
	return data, imp, err
}

// Confirm applies exactly the rows previewed as new or changed (rows in error are left
// out), recording the signed-in account (rule 16). Confirming an import applied (or
// being applied) answers it as it is; registry.ErrNotFound when the preview expired;
// registry.ErrConflict when the register changed since the preview (the import may then
// be uploaded again).
func (m *Imports) Confirm(ctx context.Context, id string) (*Import, error) {
	start := m.app.now()
	c, _ := json.Marshal(confirmation{Account: auth.Acting(ctx), Time: start})
	claimed, err := m.store.ClaimImport(ctx, id, c)
	if err != nil {
		return nil, err
	}
	if !claimed {
		return m.Get(ctx, id)
	}
	rec, err := m.store.GetImport(ctx, id, true, false)
	if err != nil {
		return nil, err
	}
	imp, err := decodeImport(rec)
	if err != nil {
		return nil, err
	}
	var p plan
	if err := json.Unmarshal(rec.Plan, &p); err != nil {
		return nil, err
	}
	if imp.Kind == registry.ImportHouseholds {
		err = m.applyHouseholds(ctx, imp, p)
	} else {
		err = m.applyCompounds(ctx, imp, p)
	}
	if err != nil {
		// Nothing more is applied; what was is kept (each batch whole), and the
		// preview may be confirmed again: new rows replay with the same ids.
		if perr := m.store.SetImportProgress(context.WithoutCancel(ctx), id, ImportPreviewed, 0); perr != nil {
			m.log.WarnContext(ctx, "import progress not reset", "import", id, "cause", perr.Error())
		}
		return nil, err
	}
	if err := m.store.SetImportProgress(ctx, id, ImportApplied, imp.Total); err != nil {
		return nil, err
	}
	m.log.InfoContext(ctx, "import applied", "import", id, "kind", imp.Kind.String(), "rows", imp.Total,
		"elapsed_ms", m.app.now().Sub(start).Milliseconds())
	return m.Get(ctx, id)
}

func (m *Imports) applyHouseholds(ctx context.Context, imp *Import, p plan) error {
	cid := imp.CompoundID
	// Buildings named but not registered are created first, once each.
	var names []string
	seen := map[string]bool{}
	for _, r := range p.Rows {
		if r.Status == registry.RowNew && len(r.Household.BuildingID) > len(registry.NewBuildingPrefix) &&
			r.Household.BuildingID[:len(registry.NewBuildingPrefix)] == registry.NewBuildingPrefix && !seen[r.BuildingName] {
			seen[r.BuildingName] = true
			names = append(names, r.BuildingName)
		}
	}
	built := map[string]string{}
	if len(names) > 0 {
		// The ids follow from the import, so a confirm tried again makes the same ones.
		bids, err := m.app.idsFor(ctx, "ImportBuildings", Request{ID: imp.ID, Hash: imp.ID}, len(names))
		if err != nil {
			return err
		}
		current, err := m.app.store.BuildingsOf(ctx, cid)
		if err != nil {
			return err
		}
		byName := map[string]string{}
		for id, b := range current {
			byName[b.Name] = id
		}
		for i, name := range names {
			if id, ok := byName[name]; ok {
				built[name] = id // made by a confirm before, or by hand since
				continue
			}
			b := registry.Building{ID: bids[i], CompoundID: cid, Name: name, CreateTime: m.app.now()}
			if err := m.app.store.CreateBuilding(ctx, b); err != nil {
				return err
			}
			built[name] = b.ID
		}
	}
	var fresh, changed []registry.Household
	prev := map[string]registry.Household{}
	for _, r := range p.Rows {
		h := *r.Household
		if id, ok := built[r.BuildingName]; ok && r.Status == registry.RowNew {
			h.BuildingID = id
		}
		if r.Status == registry.RowNew {
			fresh = append(fresh, h)
		} else {
			var old registry.Household
			if err := json.Unmarshal([]byte(p.Before[h.ID]), &old); err != nil {
				return err
			}
			prev[h.ID] = old
			h.UpdateAccount, h.UpdateTime = auth.Acting(ctx), m.app.now()
			changed = append(changed, h)
		}
	}
	applied := 0
	if len(fresh) > 0 {
		hids, err := m.app.idsFor(ctx, "ImportHouseholds", Request{ID: imp.ID, Hash: imp.ID}, len(fresh))
		if err != nil {
			return err
		}
		who, now := auth.Acting(ctx), m.app.now()
		for i := range fresh {
			fresh[i].ID, fresh[i].CompoundID, fresh[i].CreateAccount, fresh[i].CreateTime = hids[i], cid, who, now
		}
		for from := 0; from < len(fresh); from += importBatch {
			to := min(from+importBatch, len(fresh))
			err := m.app.store.CreateHouseholds(ctx, cid, fresh[from:to], householdsEvent(cid, fresh[from:to])...)
			var taken *registry.DwellingTakenError
			if errors.As(err, &taken) {
				return fmt.Errorf("%w: a dwelling of the file was registered since the preview; upload the file again", registry.ErrConflict)
			}
			if err != nil {
				return err
			}
			applied += to - from
			if err := m.store.SetImportProgress(ctx, imp.ID, ImportApplying, applied); err != nil {
				return err
			}
		}
	}
	for from := 0; from < len(changed); from += importBatch {
		to := min(from+importBatch, len(changed))
		if err := m.store.UpdateHouseholds(ctx, cid, p.Before, prev, changed[from:to], householdsEvent(cid, changed[from:to])...); err != nil {
			return err
		}
		applied += to - from
		if err := m.store.SetImportProgress(ctx, imp.ID, ImportApplying, applied); err != nil {
			return err
		}
	}
	return nil
}

func (m *Imports) applyCompounds(ctx context.Context, imp *Import, p plan) error {
	for i, r := range p.Rows {
		var err error
		if r.Status == registry.RowNew {
			// One request per row, keyed by the import: a confirm tried again replays it.
			key := fmt.Sprintf("%s/%d", imp.ID, r.Row)
			_, err = m.app.CreateCompound(ctx, Request{ID: key, Hash: key}, *r.Compound)
		} else {
			_, err = m.app.UpdateCompound(ctx, *r.Compound, "", r.Mask)
		}
		if err != nil {
			return err
		}
		if err := m.store.SetImportProgress(ctx, imp.ID, ImportApplying, i+1); err != nil {
			return err
		}
	}
	return nil
}

// Template is the empty .xlsx of an import kind.
func (m *Imports) Template(kind registry.ImportKind) ([]byte, error) {
	return imports.Template(kind)
}
