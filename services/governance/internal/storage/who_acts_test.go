package storage

import (
	"context"
	"encoding/json"
	"testing"

	"tongdu/platform/ids"
	"tongdu/services/governance/internal/registry"
)

// asStoredBefore rewrites a stored record (JSON, at key, in the hash field "data" or, with
// field "", the whole string) as it was written before rule 16 (who acts): without its
// accounts.
func asStoredBefore(t *testing.T, s *Store, key, field string, accounts ...string) {
	t.Helper()
	ctx := context.Background()
	var data string
	var err error
	if field == "" {
		data, err = s.rdb.Get(ctx, key).Result()
	} else {
		data, err = s.rdb.HGet(ctx, key, field).Result()
	}
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(data), &rec); err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		if _, ok := rec[a]; !ok {
			t.Fatalf("%s was stored without %s: %s", key, a, data)
		}
		delete(rec, a)
	}
	old, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if field == "" {
		err = s.rdb.Set(ctx, key, old, 0).Err()
	} else {
		err = s.rdb.HSet(ctx, key, field, old).Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// The accounts are stored with each record, and a record stored before they were reads
// with none.
func TestAccountsAreStoredAndOldRecordsReadWithout(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := compound(t, s, tr, tr.communityA, func(c *registry.Compound) {
		c.CreateAccount, c.UpdateAccount = "accounts/registrar", "accounts/editor"
	})
	b := building(t, s, c.ID, "1栋", 1)
	hs := []registry.Household{
		{ID: ids.New(), CompoundID: c.ID, BuildingID: b.ID, Unit: "1", Room: "101", ExclusiveArea: 7000, CreateTime: t0, CreateAccount: "accounts/grid"},
		{ID: ids.New(), CompoundID: c.ID, BuildingID: b.ID, Unit: "1", Room: "102", ExclusiveArea: 7000, CreateTime: t0, CreateAccount: "accounts/grid"},
	}
	if err := s.CreateHouseholds(ctx, c.ID, hs); err != nil {
		t.Fatal(err)
	}
	e := registry.Election{
		ID: ids.New(), CompoundID: c.ID, BuildingID: b.ID, Candidates: []string{hs[0].ID}, State: registry.ElectionOpen,
		CreateTime: t0, CreateAccount: "accounts/opener",
	}
	if err := s.CreateElection(ctx, e); err != nil {
		t.Fatal(err)
	}
	cur, _, err := s.GetElection(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	closed := *cur
	closed.State, closed.CloseTime, closed.CloseAccount = registry.ElectionClosed, t0, "accounts/closer"
	if err := s.CloseElection(ctx, closed); err != nil {
		t.Fatal(err)
	}
	v := registry.Convention{
		ID: ids.New(), CompoundID: c.ID, Kind: registry.ResidentsConvention, Title: "居民公约", Text: "全文", CreateTime: t0,
		Adopted: true, ResolutionSurveyID: "s1", AdoptTime: t0, CreateAccount: "accounts/drafter", AdoptAccount: "accounts/committee",
	}
	if _, err := s.CreateConvention(ctx, v); err != nil {
		t.Fatal(err)
	}

	read := func() (*registry.Compound, *registry.Household, *registry.Election, *registry.Convention) {
		t.Helper()
		gc, err := s.GetCompound(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		gh, err := s.GetHousehold(ctx, hs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		ge, _, err := s.GetElection(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		gv, err := s.GetConvention(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return gc, gh, ge, gv
	}

	gc, gh, ge, gv := read()
	if gc.CreateAccount != "accounts/registrar" || gc.UpdateAccount != "accounts/editor" || gh.CreateAccount != "accounts/grid" ||
		ge.CreateAccount != "accounts/opener" || ge.CloseAccount != "accounts/closer" ||
		gv.CreateAccount != "accounts/drafter" || gv.AdoptAccount != "accounts/committee" {
		t.Fatalf("read back %+v\n%+v\n%+v\n%+v", gc, gh, ge, gv)
	}

	asStoredBefore(t, s, compoundKey(c.ID), "data", "createAccount", "updateAccount")
	asStoredBefore(t, s, householdKey(c.ID, hs[0].ID), "", "createAccount")
	asStoredBefore(t, s, electionKey(c.ID, e.ID), "data", "createAccount", "closeAccount")
	asStoredBefore(t, s, conventionKey(c.ID, v.ID), "data", "createAccount", "adoptAccount")
	gc, gh, ge, gv = read()
	if gc.CreateAccount != "" || gc.UpdateAccount != "" || gh.CreateAccount != "" || ge.CreateAccount != "" || ge.CloseAccount != "" ||
		gv.CreateAccount != "" || gv.AdoptAccount != "" {
		t.Fatalf("an old record read with accounts: %+v\n%+v\n%+v\n%+v", gc, gh, ge, gv)
	}
	if gc.Name != c.Name || gh.Room != "101" || ge.State != registry.ElectionClosed || !gv.Adopted {
		t.Fatalf("an old record lost more than its accounts: %+v\n%+v\n%+v\n%+v", gc, gh, ge, gv)
	}
}
