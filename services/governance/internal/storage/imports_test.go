package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"tongdu/platform/ids"
	"tongdu/services/governance/internal/registry"
)

func TestImportPreviewIsClaimedOnceAndExpires(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	id := ids.New()
	if _, err := s.GetImport(ctx, id, false, false); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("an unknown import: %v", err)
	}
	rec := ImportRecord{Meta: []byte(`{"CompoundID":"c1"}`), Rows: []byte(`[]`), Plan: []byte(`{}`), File: []byte("PK\x03\x04…"), State: "PREVIEWED"}
	if err := s.SaveImport(ctx, id, rec, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ttl := s.rdb.TTL(ctx, importKey(id)).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("the preview keeps for %v, want at most an hour", ttl)
	}
	got, err := s.GetImport(ctx, id, true, true)
	if err != nil || string(got.File) != string(rec.File) || string(got.Plan) != "{}" || got.State != "PREVIEWED" {
		t.Fatalf("GetImport: %+v %v", got, err)
	}
	if place, err := s.ImportPlace(ctx, id); err != nil || len(place) != 1 || place[0] != "compounds/c1" {
		t.Fatalf("ImportPlace: %v %v", place, err)
	}
	first, err := s.ClaimImport(ctx, id, []byte(`{"account":"a"}`))
	if err != nil || !first {
		t.Fatalf("the first claim: %v %v", first, err)
	}
	if again, err := s.ClaimImport(ctx, id, []byte(`{"account":"b"}`)); err != nil || again {
		t.Fatalf("a second claim while applying: %v %v", again, err)
	}
	if err := s.SetImportProgress(ctx, id, "APPLIED", 3); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetImport(ctx, id, false, false)
	if got.State != "APPLIED" || got.Applied != 3 || string(got.Confirm) != `{"account":"a"}` {
		t.Fatalf("after applying: %+v", got)
	}
	if again, _ := s.ClaimImport(ctx, id, nil); again {
		t.Fatal("an applied import was claimed again")
	}
}

func TestUpdateHouseholdsOnlyAsRead(t *testing.T) {
	s, ctx := newStore(t), context.Background()
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, nil)
	b := building(t, s, c.ID, "1号楼", 0)
	h := registry.Household{ID: ids.New(), CompoundID: c.ID, BuildingID: b.ID, Unit: "1", Room: "101", ExclusiveArea: 6000, CreateTime: t0}
	if err := s.CreateHouseholds(ctx, c.ID, []registry.Household{h}); err != nil {
		t.Fatal(err)
	}
	byDwelling, raw, err := s.DwellingsOf(ctx, c.ID)
	if err != nil || len(byDwelling) != 1 || raw[h.ID] == "" {
		t.Fatalf("DwellingsOf: %v %v %v", byDwelling, raw, err)
	}
	next := h
	next.ExclusiveArea, next.PartyMember = 6550, true
	prev := map[string]registry.Household{h.ID: h}
	if err := s.UpdateHouseholds(ctx, c.ID, raw, prev, []registry.Household{next}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetCompound(ctx, c.ID)
	gb, _ := s.GetBuilding(ctx, b.ID)
	if got.TotalArea != 6550 || gb.PartyMembers != 1 {
		t.Fatalf("derived counts: area %d, party members %d; want 6550 and 1", got.TotalArea, gb.PartyMembers)
	}
	// The same change again, on the record as first read: it was changed since.
	if err := s.UpdateHouseholds(ctx, c.ID, raw, prev, []registry.Household{next}); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("an update of a household changed since it was read: %v, want a conflict", err)
	}
}
