package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	governancepb "tongdu/proto/gen/go/tongdu/governance/v1"
)

// MaxImportBytes caps an uploaded spreadsheet (POST /v1/imports), apart from the
// gateway's body cap. A register of 10,000 households is about 0.5 MB as .xlsx, 1 MB as
// CSV; the cap stays below gRPC's default message size (4 MiB), so no server takes
// larger messages for it.
const MaxImportBytes = 4_000_000

// importPath is the upload's route; the rest of the import API is generated.
const importPath = "/v1/imports"

// bodyCap is the most a request's body may hold: the upload's own cap (with room for
// the multipart framing and the other fields), else the gateway's.
func (g *Gateway) bodyCap(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == importPath {
		return MaxImportBytes + 64<<10
	}
	return g.cfg.MaxBodyBytes
}

// upload answers POST /v1/imports: a multipart form with the file (`file`), `kind`
// (HOUSEHOLDS or COMPOUNDS), `compoundId` or `communityId` and `dryRun` (every upload is
// a dry run: the answer is the preview, confirmed by POST /v1/imports/{id}:confirm). It
// calls ImportService.CreateImport with the file's bytes as the caller.
func (g *Gateway) upload(imports governancepb.ImportServiceClient) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		bad := func(msg string) {
			writeStatusJSON(w, http.StatusBadRequest, codes.InvalidArgument, msg, nil)
		}
		mr, err := r.MultipartReader()
		if err != nil {
			bad("the upload is a multipart/form-data body with the spreadsheet in the field file")
			return
		}
		req := &governancepb.CreateImportRequest{}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeTooLarge(w, r.ContentLength)
				return
			}
			if err != nil {
				bad("the multipart body cannot be read")
				return
			}
			name := part.FormName()
			if name == "file" {
				req.FileName = part.FileName()
				data, err := io.ReadAll(io.LimitReader(part, MaxImportBytes+1))
				if errors.As(err, &tooBig) || len(data) > MaxImportBytes {
					writeStatusJSON(w, http.StatusRequestEntityTooLarge, codes.ResourceExhausted,
						fmt.Sprintf("the file is over %d bytes: split it", MaxImportBytes), nil)
					return
				}
				if err != nil {
					bad("the file cannot be read")
					return
				}
				req.Content = data
				continue
			}
			v, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				bad("the multipart body cannot be read")
				return
			}
			value := strings.TrimSpace(string(v))
			switch name {
			case "kind":
				k, ok := governancepb.Import_Kind_value[strings.ToUpper(value)]
				if !ok {
					bad("kind is HOUSEHOLDS or COMPOUNDS")
					return
				}
				req.Kind = governancepb.Import_Kind(k)
			case "compoundId", "compound_id":
				req.CompoundId = value
			case "communityId", "community_id":
				req.CommunityId = value
			case "dryRun", "dry_run":
				if value == "false" {
					bad("every upload is first a dry run: confirm the preview with POST /v1/imports/{id}:confirm")
					return
				}
			}
		}
		if len(req.Content) == 0 {
			bad("the field file holds no spreadsheet")
			return
		}
		ctx := r.Context()
		if a := r.Header.Get("Authorization"); a != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", a)
		}
		if id := r.Header.Get("X-Request-Id"); id != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", id)
		}
		imp, err := imports.CreateImport(ctx, req)
		if err != nil {
			g.fail(w, r, err)
			return
		}
		body, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(imp)
		if err != nil {
			g.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", importPath+"/"+imp.GetId())
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}

// documentUpload adds POST /v1/imports to the OpenAPI paths: the generator knows only
// the contract's routes, and the upload is a multipart form served here.
func documentUpload(paths map[string]any) {
	field := func(name, typ, desc string, required bool) map[string]any {
		return map[string]any{"name": name, "in": "formData", "type": typ, "required": required, "description": desc}
	}
	paths[importPath] = map[string]any{"post": map[string]any{
		"summary": "Uploads a spreadsheet and previews importing it (a dry run: nothing changes until POST /v1/imports/{id}:confirm).",
		"description": "A household register of a compound (kind HOUSEHOLDS, compoundId) or a compound inventory of a community " +
			"(kind COMPOUNDS, communityId), as .xlsx or CSV in UTF-8 or GB18030, at most 4,000,000 bytes. Answers the import: " +
			"its id, summary {new, changed, unchanged, errors} and rows[] {row, status, errors[] {column, reason}}.",
		"operationId": "ImportService_Upload",
		"consumes":    []any{"multipart/form-data"},
		"parameters": []any{
			field("file", "file", "the spreadsheet", true),
			map[string]any{"name": "kind", "in": "formData", "type": "string", "required": true, "enum": []any{"HOUSEHOLDS", "COMPOUNDS"}},
			field("compoundId", "string", "the compound whose households the file registers (kind HOUSEHOLDS)", false),
			field("communityId", "string", "the community whose compounds the file lists (kind COMPOUNDS)", false),
			field("dryRun", "boolean", "every upload is a dry run; false is refused", false),
		},
		"responses": map[string]any{
			"200": map[string]any{"description": "the preview", "schema": map[string]any{"$ref": "#/definitions/v1Import"}},
			"400": map[string]any{"description": "the file cannot be read (violation on file)", "schema": map[string]any{"$ref": "#/definitions/googleRpcStatus"}},
			"413": map[string]any{"description": "the file is too large", "schema": map[string]any{"$ref": "#/definitions/googleRpcStatus"}},
		},
		"tags": []any{"ImportService"},
	}}
}
