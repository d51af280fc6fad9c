// Package fault is Tongdu's one error model, in plain Go so that domain packages can use
// it: an Error has a kind (what went wrong, in API terms), a reason (the rule-specific
// ErrorInfo reason, such as SURVEY_CLOSED), field violations for bad input, failed
// preconditions with their figures, and metadata. grpcserver turns it into a
// google.rpc.Status in one interceptor; no handler maps errors itself.
//
// Domain packages declare their sentinels as *Error values and wrap them with
// fmt.Errorf("%w: …"): the wrapping text is the message a client reads, errors.Is still
// finds the sentinel, and the interceptor finds the kind and reason with errors.As.
package fault

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says what went wrong, in the terms of the API's status codes.
type Kind uint8

const (
	// Internal: nothing explains it; the client is told no more than that.
	Internal Kind = iota
	// Invalid: bad input (INVALID_ARGUMENT, 400), with the offending fields.
	Invalid
	// NotFound: the named resource does not exist (404).
	NotFound
	// Exists: a resource or request id is taken already (ALREADY_EXISTS, 409).
	Exists
	// Conflict: a concurrent change won, e.g. a stale etag (ABORTED, 409).
	Conflict
	// Refused: a rule refuses the operation in the resource's present state
	// (FAILED_PRECONDITION, 400 with a reason).
	Refused
	// Unavailable: a store or peer is out of reach; retry later (503).
	Unavailable
	// Denied: the caller may not do this (PERMISSION_DENIED, 403).
	Denied
	// Unauthenticated: the caller's credentials are wrong or missing (UNAUTHENTICATED,
	// 401); the message says no more than that, so it tells no login apart.
	Unauthenticated
	// Exhausted: the caller has used up what it may try for a while, e.g. sign-ins
	// (RESOURCE_EXHAUSTED, 429); RetryAfter says when to try again.
	Exhausted
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not found"
	case Exists:
		return "already exists"
	case Conflict:
		return "conflict"
	case Refused:
		return "refused"
	case Unavailable:
		return "unavailable"
	case Denied:
		return "denied"
	case Unauthenticated:
		return "unauthenticated"
	case Exhausted:
		return "exhausted"
	}
	return "internal"
}

// Violation is one offending field of a request, named by its JSON path
// (lowerCamelCase, as the REST contract names it), and what is wrong with it.
type Violation struct {
	Field       string
	Description string
}

// Precondition is one failed guard: its type (e.g. RESOLUTION_PASSED), the resource it
// concerns, and the figures.
type Precondition struct {
	Type, Subject, Description string
}

// Error is an error a client can act on.
type Error struct {
	Kind          Kind
	Reason        string // ErrorInfo reason; empty for plain not-found or invalid input
	Message       string
	Violations    []Violation
	Preconditions []Precondition
	Metadata      map[string]string
	// RetryAfter, when positive, is how long the client should wait before trying again
	// (a google.rpc.RetryInfo detail; the gateway's Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// New returns an error of kind with a reason (may be empty) and a message. Sentinels are
// made with it once, at package level, and wrapped where they occur.
func New(kind Kind, reason, msg string) *Error {
	return &Error{Kind: kind, Reason: reason, Message: msg}
}

// Refuse is a refusal by a rule, with the figures behind it.
func Refuse(reason, msg string, metadata map[string]string) *Error {
	return &Error{Kind: Refused, Reason: reason, Message: msg, Metadata: metadata}
}

// Field is bad input on one field.
func Field(field, description string) *Error {
	return Fields(Violation{Field: field, Description: description})
}

// Fields is bad input on every field listed; its message names the first.
func Fields(vs ...Violation) *Error {
	msg := "invalid request"
	if len(vs) > 0 {
		msg = fmt.Sprintf("invalid %s: %s", vs[0].Field, vs[0].Description)
	}
	return &Error{Kind: Invalid, Message: msg, Violations: vs}
}

// As finds the *Error in err's chain.
func As(err error) (*Error, bool) {
	var f *Error
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool {
	f, ok := As(err)
	return ok && f.Kind == k
}

// ViolationsOf returns the field violations of err, if it is bad input.
func ViolationsOf(err error) []Violation {
	if f, ok := As(err); ok && f.Kind == Invalid {
		return f.Violations
	}
	return nil
}

// Collect gathers field violations from several checks so that one answer names every
// offending field: Add takes a check's error, keeping violations and returning any other
// error unchanged; Err is nil when nothing was wrong.
type Collect struct{ vs []Violation }

// Add keeps err's violations; an error that is not bad input is returned for the caller
// to stop on.
func (c *Collect) Add(err error) error {
	if err == nil {
		return nil
	}
	if f, ok := As(err); ok && f.Kind == Invalid {
		if len(f.Violations) == 0 {
			c.vs = append(c.vs, Violation{Description: f.Message})
		}
		c.vs = append(c.vs, f.Violations...)
		return nil
	}
	return err
}

// Violation adds one offending field.
func (c *Collect) Violation(field, description string) {
	c.vs = append(c.vs, Violation{Field: field, Description: description})
}

// Err is the collected bad input, or nil.
func (c *Collect) Err() error {
	if len(c.vs) == 0 {
		return nil
	}
	return Fields(c.vs...)
}

// Prefix returns the violations with prefix+"." before each field (prefix "" leaves them):
// a domain check names fields of its own record, the request nests them.
func Prefix(prefix string, vs []Violation) []Violation {
	if prefix == "" {
		return vs
	}
	out := make([]Violation, len(vs))
	for i, v := range vs {
		out[i] = v
		if v.Field == "" {
			out[i].Field = prefix
		} else if !strings.HasPrefix(v.Field, "[") {
			out[i].Field = prefix + "." + v.Field
		} else {
			out[i].Field = prefix + v.Field
		}
	}
	return out
}
