// Package idempotency remembers request ids, so a retried write answers with what the
// first one did and a reused id with another body is refused (API.md: same id + same body
// → same result; same id + other body → ALREADY_EXISTS). Each service's storage names the
// key; this package only knows how a claim is kept.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
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
