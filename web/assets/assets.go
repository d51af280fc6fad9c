// Package assets holds the console's browser files, embedded in the binary: our own
// stylesheet and script, and the vendored libraries (htmx, ECharts) at the versions
// scripts/vendor-assets.sh pins and checks. Nothing is loaded from another host.
package assets

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed app.css app.js favicon.svg vendor/htmx.min.js vendor/echarts.min.js
var files embed.FS

// FS is the embedded files.
func FS() fs.FS { return files }

// Handler serves the files. They change only with a new binary, so browsers may keep
// them for a day without asking.
func Handler() http.Handler {
	h := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}
