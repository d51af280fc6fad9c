package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Spool keeps, in a file on disk, the trail entries that could not be written while Redis
// was away, and appends them to their trails when it is back, so the trail has no gap
// during an outage. It is bounded: when full, changes are refused (the interceptor checks
// before the handler runs) rather than made without a trail.
type Spool struct {
	path string
	max  int

	mu sync.Mutex
	n  int // entries waiting

	// waiting is n for the gauges (metrics.go), which must not wait for mu while a
	// drain holds it.
	waiting atomic.Int64
}

// SpoolMax is how many trail entries may wait on disk while Redis is away; beyond it,
// changes are refused until Redis is back.
const SpoolMax = 100_000

// ErrSpoolFull is returned by Add when the spool holds max entries.
var ErrSpoolFull = errors.New("audit spool full")

// spooled is one waiting entry: the trail it belongs to and its fields.
type spooled struct {
	Stream string            `json:"stream"`
	Values map[string]string `json:"values"`
}

// OpenSpool opens (or creates) the spool file in dir, holding at most max entries; what
// an earlier run left there waits to be drained.
func OpenSpool(dir string, max int) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &Spool{path: filepath.Join(dir, "audit-spool.jsonl"), max: max}
	data, err := os.ReadFile(s.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s.n = bytes.Count(data, []byte("\n"))
	s.waiting.Store(int64(s.n))
	observe(s)
	return s, nil
}

// Full reports whether the spool can take no more entries.
func (s *Spool) Full() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n >= s.max
}

// Len is the number of entries waiting.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Add appends an entry for stream, on disk before it returns.
func (s *Spool) Add(stream string, values map[string]any) error {
	line := spooled{Stream: stream, Values: make(map[string]string, len(values))}
	for k, v := range values {
		line.Values[k], _ = v.(string)
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n >= s.max {
		return ErrSpoolFull
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(append(b, '\n')); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	s.n++
	s.waiting.Store(int64(s.n))
	return nil
}

// Drain appends the waiting entries to their trails in the order they were spooled (each
// keeps the time of its change) and keeps on disk only those Redis did not take.
func (s *Spool) Drain(ctx context.Context, rdb redis.UniversalClient) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return 0, nil
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return 0, err
	}
	var rest [][]byte
	written := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var werr error
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		if werr != nil {
			rest = append(rest, line)
			continue
		}
		var e spooled
		if err := json.Unmarshal(line, &e); err != nil {
			continue // a torn last line of a crash: nothing to recover
		}
		values := make(map[string]any, len(e.Values))
		for k, v := range e.Values {
			values[k] = v
		}
		if werr = rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.Stream, MaxLen: MaxLen, Approx: true, Values: values}).Err(); werr != nil {
			rest = append(rest, line)
			continue
		}
		written++
	}
	tmp := s.path + ".tmp"
	out := bytes.Join(rest, []byte("\n"))
	if len(rest) > 0 {
		out = append(out, '\n')
	}
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return written, err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return written, err
	}
	s.n = len(rest)
	s.waiting.Store(int64(s.n))
	return written, werr
}

// Run drains the spool every interval until ctx ends.
func (s *Spool) Run(ctx context.Context, rdb redis.UniversalClient, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.Len() == 0 {
			continue
		}
		n, err := s.Drain(ctx, rdb)
		if n > 0 {
			log.InfoContext(ctx, "audit entries appended from the spool", "entries", n, "waiting", s.Len())
		}
		if err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "audit spool not drained yet", "waiting", s.Len(), "cause", err.Error())
		}
	}
}
