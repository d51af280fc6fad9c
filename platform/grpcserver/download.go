package grpcserver

import (
	"context"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Attachment answers a file to download (an export, a template, an import's report):
// its bytes with their content type, and the Content-Disposition header (the file's
// name, e.g. sheet.Disposition) that the gateway passes on to the browser.
func Attachment(ctx context.Context, disposition, contentType string, data []byte) *httpbody.HttpBody {
	// Setting a header fails only outside a unary call, where there is no browser to
	// name the file for.
	_ = grpc.SetHeader(ctx, metadata.Pairs("content-disposition", disposition))
	return &httpbody.HttpBody{ContentType: contentType, Data: data}
}
