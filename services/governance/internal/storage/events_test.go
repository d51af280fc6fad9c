package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"tongdu/platform/events"
	"tongdu/services/governance/internal/registry"
)

// fact is a registry fact's event as the app writes it.
func fact(cid, f string) string {
	return events.Event(events.RegistryTopic, map[string]string{"compound": cid, "fact": f})
}

// outboxFacts lists the facts waiting in a compound's outbox, as "topic compound fact".
func outboxFacts(t *testing.T, s *Store, cid string) []string {
	t.Helper()
	raw, err := s.rdb.LRange(context.Background(), events.OutboxKey(compoundKey(cid)), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range raw {
		var e struct {
			Topic  string            `json:"topic"`
			Fields map[string]string `json:"fields"`
		}
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(e.Topic, " ", e.Fields["compound"], " ", e.Fields["fact"]))
	}
	return out
}

// A registry change and its facts are one step (issue 16: a crash between them loses
// nothing and publishes nothing that did not happen): each write that is made leaves
// exactly its facts in the compound's outbox, in the compound's hash slot; a write that
// is refused (stale revision, unknown compound, dwelling taken) or a replay that changes
// nothing leaves none. The relay then moves exactly those to the registry topic.
func TestRegistryFactsAreWrittenWithTheirChangeAndOnlyWithIt(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTree(t, s)
	c := registry.Compound{ID: "c1", Name: "幸福里", CommunityID: tr.communityA.ID, Status: registry.Inventoried,
		RegionPath: []string{tr.district.ID, tr.sub.ID, tr.communityA.ID}, CreateTime: t0, UpdateTime: t0}
	var want []string
	// written checks the outbox after a step: the facts before it and those named.
	written := func(t *testing.T, what string, facts ...string) {
		t.Helper()
		for _, f := range facts {
			want = append(want, events.RegistryTopic+" c1 "+f)
		}
		if got := outboxFacts(t, s, "c1"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: outbox %v, want %v", what, got, want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(s.CreateCompound(ctx, c, fact("c1", registry.FactCreated)))
	written(t, "created", registry.FactCreated)
	must(s.CreateCompound(ctx, c, fact("c1", registry.FactCreated)))
	written(t, "create replayed")

	read := mustCompound(t, s, "c1")
	edit := *read
	edit.Name = "幸福里小区"
	_, err := s.UpdateCompound(ctx, edit, fact("c1", registry.FactClassified))
	must(err)
	written(t, "updated", registry.FactClassified)
	stale := *read
	stale.Name = "过时的修改"
	if _, err := s.UpdateCompound(ctx, stale, fact("c1", registry.FactStatusChanged)); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("an update on a stale revision: %v, want ErrConflict", err)
	}
	written(t, "stale update")
	if got := mustCompound(t, s, "c1"); got.Name != "幸福里小区" || got.Revision != 2 {
		t.Fatalf("a refused update changed the compound: %q at revision %d", got.Name, got.Revision)
	}
	next := *mustCompound(t, s, "c1")
	next.Address = "东川路 1 号"
	_, err = s.UpdateCompound(ctx, next)
	must(err)
	written(t, "an update without facts")
	missing := edit
	missing.ID = "nope"
	if _, err := s.UpdateCompound(ctx, missing, fact("nope", registry.FactClassified)); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("update of an unknown compound: %v", err)
	}
	if got := outboxFacts(t, s, "nope"); len(got) != 0 {
		t.Fatalf("an update of an unknown compound wrote %v", got)
	}

	b := building(t, s, "c1", "1栋", 6)
	hs := households("c1", b, "r", 3)
	must(s.CreateHouseholds(ctx, "c1", hs, fact("c1", registry.FactHouseholdsChanged)))
	written(t, "households added", registry.FactHouseholdsChanged)
	must(s.CreateHouseholds(ctx, "c1", hs, fact("c1", registry.FactHouseholdsChanged)))
	written(t, "households replayed")
	if err := s.CreateHouseholds(ctx, "c1", households("c1", b, "r", 1), fact("c1", registry.FactHouseholdsChanged)); !errors.As(err, new(*DwellingTakenError)) {
		t.Fatalf("a dwelling registered twice: %v", err)
	}
	written(t, "a dwelling taken")
	if err := s.CreateHouseholds(ctx, "nope", households("nope", b, "x", 1), fact("nope", registry.FactHouseholdsChanged)); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("households of an unknown compound: %v", err)
	}
	if got := outboxFacts(t, s, "nope"); len(got) != 0 {
		t.Fatalf("households of an unknown compound wrote %v", got)
	}

	// The relay moves exactly the facts of the changes made to the stream, in order.
	run, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.outbox.Run(run)
	var published []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		msgs, err := s.rdb.XRange(ctx, events.RegistryTopic, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		published = published[:0]
		for _, m := range msgs {
			published = append(published, fmt.Sprint(events.RegistryTopic, " ", m.Values["compound"], " ", m.Values["fact"]))
		}
		if len(published) >= len(want) || time.Now().After(deadline) {
			break
		}
	}
	if fmt.Sprint(published) != fmt.Sprint(want) {
		t.Fatalf("published %v, want %v", published, want)
	}
	if got := outboxFacts(t, s, "c1"); len(got) != 0 {
		t.Fatalf("the outbox still holds %v after the relay", got)
	}
}
