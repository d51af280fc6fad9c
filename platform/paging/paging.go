// Package paging is the one way Tongdu's stores page through Redis: opaque page tokens,
// the page size a request may ask for, pages of a lexically ordered index, and filtered
// pages that read on until a page is full. Records are JSON; Decode reads one.
package paging

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"tongdu/platform/fault"
)

// The page sizes of API.md: 50 when a request names none, 1,000 at the most.
const (
	DefaultSize = 50
	MaxSize     = 1000
)

// Size is the page size to serve for a request's page_size.
func Size(n int32) int {
	switch {
	case n <= 0:
		return DefaultSize
	case n > MaxSize:
		return MaxSize
	}
	return int(n)
}

// EncodeToken keeps page tokens opaque to clients: it wraps the last id (or offset) of a
// page.
func EncodeToken(last string) string {
	if last == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(last))
}

// DecodeToken returns what EncodeToken wrapped; a token this service did not issue is bad
// input on pageToken.
func DecodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return "", fault.Field("pageToken", "is not a token this service issued")
	}
	return string(b), nil
}

// Lex reads up to size members after the token's from a sorted set whose members share
// one score (so they are in lexical order), and the token of the next page ("" when this
// is the last).
func Lex(ctx context.Context, rdb redis.Cmdable, key, token string, size int) ([]string, string, error) {
	after, err := DecodeToken(token)
	if err != nil {
		return nil, "", err
	}
	min := "-"
	if after != "" {
		min = "(" + after
	}
	// One more than asked tells whether a next page exists.
	ids, err := rdb.ZRangeByLex(ctx, key, &redis.ZRangeBy{Min: min, Max: "+", Count: int64(size + 1)}).Result()
	if err != nil {
		return nil, "", err
	}
	if len(ids) > size {
		return ids[:size], EncodeToken(ids[size-1]), nil
	}
	return ids, "", nil
}

// Loader reads the records of ids in one round trip; a record that is gone is nil.
type Loader[T any] func(ctx context.Context, ids []string) ([]*T, error)

// Filtered pages through the records named by a lexically ordered index, keeping those
// that match, and reads on until size of them are found or the index ends. The token
// returned resumes after the last record kept.
func Filtered[T any](ctx context.Context, rdb redis.Cmdable, index, token string, size int, load Loader[T], match func(*T) bool) ([]T, string, error) {
	var out []T
	for {
		ids, next, err := Lex(ctx, rdb, index, token, size)
		if err != nil || len(ids) == 0 {
			return out, "", err
		}
		recs, err := load(ctx, ids)
		if err != nil {
			return nil, "", err
		}
		for i, rec := range recs {
			if rec == nil || !match(rec) {
				continue
			}
			out = append(out, *rec)
			if len(out) == size {
				if i == len(ids)-1 && next == "" {
					return out, "", nil
				}
				return out, EncodeToken(ids[i]), nil
			}
		}
		if next == "" {
			return out, "", nil
		}
		token = next
	}
}

// JSON loads records stored as JSON strings under key(id), with one MGET (on a cluster,
// key must keep every id in one hash slot).
func JSON[T any](rdb redis.Cmdable, key func(id string) string) Loader[T] {
	return func(ctx context.Context, ids []string) ([]*T, error) {
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = key(id)
		}
		vals, err := rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, err
		}
		out := make([]*T, len(vals))
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			if out[i], err = Decode[T](s); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

// Decode reads one stored record.
func Decode[T any](data string) (*T, error) {
	var v T
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return nil, fmt.Errorf("corrupt record: %w", err)
	}
	return &v, nil
}

// All is a filter that keeps every record.
func All[T any](*T) bool { return true }

// Collect reads every page of a list whose pages page returns (from the token of the
// one before, "" first), for lists known to be short (a building's households, a
// community's compounds).
func Collect[T any](page func(token string) ([]T, string, error)) ([]T, error) {
	var out []T
	token := ""
	for {
		got, next, err := page(token)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if next == "" {
			return out, nil
		}
		token = next
	}
}
