package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
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
			writeStatusJSON(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "request body is over the size limit", nil)
			return
		case st.Code() == codes.InvalidArgument && len(st.Details()) == 0:
			field, desc := "body", "the request body is not valid JSON: "+st.Message()
			if sub := fieldInMessage.FindStringSubmatch(st.Message()); sub != nil {
				field, desc = sub[1], st.Message()
			}
			if d, derr := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: desc}}}); derr == nil {
				st = d
			}
		case st.Code() == codes.Unimplemented:
			method, _ := runtime.RPCMethod(ctx)
			st = status.New(codes.Unimplemented, method+" is part of the contract but not built yet in this version of Tongdu")
		case st.Code() == codes.Unavailable:
			log.WarnContext(ctx, "backend unavailable", "path", r.URL.Path, "cause", st.Message())
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
	body, err := protojson.Marshal(st.Proto())
	if err != nil {
		body = []byte(`{"code":13,"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpCode)
	_, _ = w.Write(body)
}
