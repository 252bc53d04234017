// Package web holds tincan's pages: the demo page, the API reference page
// and the files they load, all under web/static and embedded in the
// binary, so that nothing a page needs comes from anywhere but tincan
// itself. handlers serves them (Config.Pages).
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Static returns the files of web/static, rooted there: "index.html" is
// web/static/index.html, served at /.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is a valid path; fs.Sub cannot refuse it
	}
	return sub
}
