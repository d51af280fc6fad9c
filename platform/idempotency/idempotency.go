// Package idempotency remembers request ids, so a retried write answers with what the
// first one did and a reused id with another body is refused (API.md: same id + same body
// → same result; same id + other body → ALREADY_EXISTS). Each service's storage names the
// key; this package only knows how a claim is kept.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"tongdu/platform/auth"
	"tongdu/platform/ids"
)

// MetadataKey is the gRPC metadata key that carries a request id when the request's own
// field is empty; the gateway fills it from the Idempotency-Key header or ?requestId=.
const MetadataKey = "idempotency-key"

// TTL is how long a request id is remembered.
const TTL = 7 * 24 * time.Hour

// Claim is what a request left behind: the hash of its body and the ids it made.
type Claim struct {
	Hash string
	IDs  []string
}

// Take records claim c under key unless the key holds one already. It returns the claim
// that stands (c, or the earlier one) and whether c was new.
func Take(ctx context.Context, rdb redis.UniversalClient, key string, c Claim) (Claim, bool, error) {
	ok, err := rdb.SetNX(ctx, key, c.Hash+"|"+strings.Join(c.IDs, ","), TTL).Result()
	if err != nil || ok {
		return c, ok, err
	}
	prev, err := rdb.Get(ctx, key).Result()
	if err != nil {
		return Claim{}, false, err
	}
	hash, list, _ := strings.Cut(prev, "|")
	var ids []string
	if list != "" {
		ids = strings.Split(list, ",")
	}
	return Claim{Hash: hash, IDs: ids}, false, nil
}

// BodyHash fingerprints a request without its request_id field.
func BodyHash(req proto.Message) (string, error) {
	c := proto.Clone(req)
	if f := c.ProtoReflect().Descriptor().Fields().ByName("request_id"); f != nil {
		c.ProtoReflect().Clear(f)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

// RequestIDField finds the request_id a request carries: its own field, or (for writes
// whose body is the record, like a contribution) the field of its one message field that
// has one. ok is false when the request has none.
func RequestIDField(req proto.Message) (m protoreflect.Message, f protoreflect.FieldDescriptor, ok bool) {
	if req == nil {
		return nil, nil, false
	}
	m = req.ProtoReflect()
	if f = m.Descriptor().Fields().ByName("request_id"); f != nil && f.Kind() == protoreflect.StringKind {
		return m, f, true
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() || !m.Has(fd) {
			continue // an absent record has no id to read or fill, and must stay absent
		}
		inner := fd.Message().Fields().ByName("request_id")
		if inner != nil && inner.Kind() == protoreflect.StringKind {
			return m.Mutable(fd).Message(), inner, true
		}
	}
	return nil, nil, false
}

// RequestID reads the request id a request carries ("" for none).
func RequestID(req proto.Message) string {
	if req == nil {
		return ""
	}
	m, f, ok := RequestIDField(req) // the record is present, so nothing is created
	if !ok {
		return ""
	}
	return m.Get(f).String()
}

// Request names a write that may be retried: its request id ("" for none) and the
// fingerprint of its body (BodyHash; "" without a request id), which tells a retry from
// another request reusing the id.
type Request struct{ ID, Hash string }

// Of is the Request of a write with requestID; its body is fingerprinted only when it
// has a request id.
func Of(requestID string, req proto.Message) (Request, error) {
	if requestID == "" {
		return Request{}, nil
	}
	hash, err := BodyHash(req)
	return Request{ID: requestID, Hash: hash}, err
}

// Scoped is the name a request id is claimed under: the id within the signed-in caller's
// scope (a community's region, a household, a project...), so that one community can
// neither see nor block another's ids. Callers without a scope (the district's own
// staff, auditors, calls with no caller) share one namespace. Ids kept under a parent
// resource (a survey's responses, a book's transactions) need no more than that parent.
func Scoped(ctx context.Context, requestID string) string {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Scope == "" {
		return requestID
	}
	return p.Scope + "|" + requestID
}

// Claims is a store that keeps claims per method and request id (each service's storage
// names the key and calls Take).
type Claims interface {
	ClaimRequest(ctx context.Context, method, requestID string, c Claim) (Claim, bool, error)
}

// NewIDs returns n new ids for a create, or the ids that an earlier request with the same
// request id made (replayed reports true), so a retried create answers with what the
// first one created. The same request id with another body (or another count) is
// refused with reused, the service's REQUEST_ID_REUSED error.
func NewIDs(ctx context.Context, store Claims, method string, r Request, n int, reused error) (idList []string, replayed bool, err error) {
	fresh := make([]string, n)
	for i := range fresh {
		fresh[i] = ids.New()
	}
	if r.ID == "" {
		return fresh, false, nil
	}
	c, isNew, err := store.ClaimRequest(ctx, method, Scoped(ctx, r.ID), Claim{Hash: r.Hash, IDs: fresh})
	if err != nil {
		return nil, false, err
	}
	if !isNew && (c.Hash != r.Hash || len(c.IDs) != n) {
		return nil, false, fmt.Errorf("%w: request id %q was used for a different %s", reused, r.ID, method)
	}
	return c.IDs, !isNew, nil
}
