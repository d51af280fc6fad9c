package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"tongdu/platform/jsonname"
	"tongdu/platform/ratelimit"
)

// fieldInMessage finds the field a JSON or query decoding error is about, e.g.
// `unknown field "colour"` or `invalid value for enum field level: "CASTLE"`.
var fieldInMessage = regexp.MustCompile(`field "?([A-Za-z_][A-Za-z0-9_.]*)"?`)

// errorHandler writes google.rpc.Status JSON for every failed call. It adds what the
// generated handlers leave out: a BadRequest field violation when the body or the query
// could not be decoded (malformed JSON, an unknown enum name), 413 for an oversized body,
// and a plain word on methods that later issues will build.
func errorHandler(log *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		st := status.Convert(err)
		switch {
		case strings.Contains(st.Message(), "request body too large"):
			writeTooLarge(w, -1)
			return
		case st.Code() == codes.InvalidArgument && len(st.Details()) == 0:
			field, desc := "body", "the request body is not valid JSON: "+st.Message()
			if sub := fieldInMessage.FindStringSubmatch(st.Message()); sub != nil {
				field, desc = jsonname.FromProto(sub[1]), st.Message()
			}
			if d, derr := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: desc}}}); derr == nil {
				st = d
			}
		case st.Code() == codes.Unimplemented:
			if method, ok := runtime.RPCMethod(ctx); ok {
				st = status.New(codes.Unimplemented, method+" is part of the contract but not built yet in this version of Tongdu")
			}
		case st.Code() == codes.Unavailable:
			log.WarnContext(ctx, "backend unavailable", "path", r.URL.Path, "cause", st.Message())
			// A service or its Redis is down for a moment (a restart, a failover): say
			// when to try again rather than leave clients to hammer it.
			w.Header().Set("Retry-After", "1")
		case st.Code() == codes.ResourceExhausted:
			// A service's gRPC port limited the caller (429, as grpc-gateway maps it):
			// say when to try again, as the gateway's own limit does.
			if wait, ok := ratelimit.RetryDelay(st); ok {
				w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
			}
		case st.Code() == codes.FailedPrecondition:
			// API.md: a refusal by a rule is 412, not the 400 of bad input, so a client
			// can tell "fix your request" from "the state does not allow this".
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: http.StatusPreconditionFailed, Err: st.Err()})
			return
		}
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
	}
}

// writeStatusJSON answers with a google.rpc.Status body for errors the gateway raises
// itself, before any handler runs.
func writeStatusJSON(w http.ResponseWriter, httpCode int, code codes.Code, msg string, br *errdetails.BadRequest) {
	st := status.New(code, msg)
	if br != nil {
		if d, err := st.WithDetails(br); err == nil {
			st = d
		}
	}
	writeStatus(w, httpCode, st)
}

// writeStatus answers httpCode with st as a google.rpc.Status body.
func writeStatus(w http.ResponseWriter, httpCode int, st *status.Status) {
	body, err := protojson.Marshal(st.Proto())
	if err != nil {
		body = []byte(`{"code":13,"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpCode)
	_, _ = w.Write(body)
}

// routingErrorHandler answers requests no route takes: 404 for an unknown path, 405 with
// the Allow-less Status body for a known path asked with the wrong HTTP method.
func routingErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		writeStatusJSON(w, http.StatusMethodNotAllowed, codes.Unimplemented, r.Method+" is not a method of "+r.URL.Path, nil)
	case http.StatusNotFound:
		writeStatusJSON(w, http.StatusNotFound, codes.NotFound, "no route "+r.Method+" "+r.URL.Path, nil)
	default:
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
	}
}

// writeTooLarge answers 413; size is the declared length, or -1 when the body was cut
// short while being read.
func writeTooLarge(w http.ResponseWriter, size int64) {
	msg := "the request body is over the size limit"
	if size >= 0 {
		msg = fmt.Sprintf("the request body of %d bytes is over the size limit", size)
	}
	writeStatusJSON(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, msg, nil)
}
