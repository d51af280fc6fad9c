package storage

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/audit"
	"tongdu/services/governance/internal/registry"
)

// AuditEntry is registry.AuditEntry.
type AuditEntry = registry.AuditEntry

// AuditScanLimit is how many recent changes per service a query reads at most: the trail
// is for looking back over recent work; older entries stay in the stream for export.
// A query stops sooner once it has the page it was asked for.
const AuditScanLimit = 50_000

// auditChunk is how many entries one read of a stream takes.
const auditChunk = 1000

// Audit returns the newest changes of every service that match, newest first, from
// offset on.
func (s *Store) Audit(ctx context.Context, service string, match func(*AuditEntry) bool, offset, size int) ([]AuditEntry, bool, error) {
	services := audit.Services
	if service != "" {
		services = []string{service}
	}
	// Each stream is newest first, so the newest offset+size+1 matches of each are
	// enough to merge the page and to know whether more follow.
	want := offset + size + 1
	var all []AuditEntry
	for _, svc := range services {
		found, err := s.newestMatches(ctx, svc, match, want)
		if err != nil {
			return nil, false, err
		}
		all = append(all, found...)
	}
	sort.SliceStable(all, func(i, j int) bool { return streamLess(all[j].ID, all[i].ID) })
	if offset >= len(all) {
		return nil, false, nil
	}
	end := min(offset+size, len(all))
	return all[offset:end], end < len(all), nil
}

// newestMatches reads one service's trail backwards in chunks until it has want matches,
// reaches the start, or has read AuditScanLimit entries.
func (s *Store) newestMatches(ctx context.Context, service string, match func(*AuditEntry) bool, want int) ([]AuditEntry, error) {
	var found []AuditEntry
	from := "+"
	for read := 0; read < AuditScanLimit && len(found) < want; {
		msgs, err := s.rdb.XRevRangeN(ctx, audit.StreamKey(service), from, "-", auditChunk).Result()
		if err != nil && !isNil(err) {
			return nil, err
		}
		for _, m := range msgs {
			e := entryOf(service, m)
			if match(&e) {
				found = append(found, e)
			}
		}
		read += len(msgs)
		if len(msgs) < auditChunk {
			break
		}
		from = "(" + msgs[len(msgs)-1].ID // exclusive: the next chunk starts below this one
	}
	return found, nil
}

func entryOf(service string, m redis.XMessage) AuditEntry {
	get := func(k string) string { v, _ := m.Values[k].(string); return v }
	t, _ := time.Parse(time.RFC3339Nano, get("time"))
	return AuditEntry{ID: m.ID, Service: service, Actor: get("actor"), Role: get("role"), Method: get("method"),
		Resource: get("resource"), RequestID: get("requestId"), Outcome: get("outcome"), Time: t}
}

// streamLess orders stream ids "ms-seq" by time, then sequence.
func streamLess(a, b string) bool {
	am, as := splitID(a)
	bm, bs := splitID(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

func splitID(id string) (int64, int64) {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' {
			ms, _ := strconv.ParseInt(id[:i], 10, 64)
			seq, _ := strconv.ParseInt(id[i+1:], 10, 64)
			return ms, seq
		}
	}
	ms, _ := strconv.ParseInt(id, 10, 64)
	return ms, 0
}
