package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The pages: the demo page at /, the API reference at /docs, the error
// catalogue at /docs/errors, and every file of Config.Pages at its own
// path. They need no credential and are not rate limited; each answer is
// validated by ETag (Cache-Control: no-cache, so an edit shows at once)
// and carries a Content-Security-Policy that lets a page load nothing but
// tincan's own files.

// pageCSP allows a page tincan's own scripts, styles, images and API, and
// nothing else: no inline script, no other origin, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsCSP is pageCSP for the API reference page, less strict on styles
// only: the vendored renderer (Redoc) makes its styles at run time, as
// inline <style> elements, and renders nothing without them, and embeds
// an icon font as a data: URL. Neither runs code; scripts are held to
// 'self' all the same. (Its "Redocly" badge, an image on Redoc's CDN, is
// refused by img-src, and Redoc then leaves it out.)
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsFile is the file of the API reference page.
const docsFile = "docs.html"

// asset is one file as it is answered.
type asset struct {
	body        []byte
	etag        string
	contentType string
	csp         string
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	ct := contentTypes[path.Ext(name)]
	if ct == "" {
		ct = http.DetectContentType(body)
	}
	csp := pageCSP
	if name == docsFile {
		csp = docsCSP
	}
	return &asset{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`, contentType: ct, csp: csp}
}

// contentTypes are the types of the files the pages use, so that they do
// not depend on the host's MIME tables; anything else is sniffed once,
// when the server starts.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".map":   "application/json",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/plain; charset=utf-8",
	".woff2": "font/woff2",
}

// pageFiles are the pages' files by their URL path ("/app.js"), read once.
type pageFiles map[string]*asset

// loadPages reads every regular file of fsys; nil reads none. A file that
// cannot be read is left out (and answered 404), with an error naming it.
func loadPages(fsys fs.FS) (pageFiles, error) {
	files := pageFiles{}
	if fsys == nil {
		return files, nil
	}
	var failed []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			failed = append(failed, name)
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			failed = append(failed, name)
			return nil
		}
		files["/"+name] = newAsset(name, body)
		return nil
	})
	if err == nil && len(failed) > 0 {
		err = &pagesError{failed}
	}
	return files, err
}

type pagesError struct{ names []string }

func (e *pagesError) Error() string { return "cannot read page files: " + strings.Join(e.names, ", ") }

// pagePaths are the pages of routes.go, never rate limited.
var pagePaths = map[string]bool{"/": true, "/docs": true, "/docs/errors": true}

// isPage says whether r asks for a page or a page's file, which the rate
// limits leave alone: they are tincan's own static files, cheap to
// answer, and a page loads several of them at once.
func (s *Server) isPage(r *http.Request) bool {
	if !readsOnly(r) {
		return false
	}
	return pagePaths[r.URL.Path] || s.pages[r.URL.Path] != nil
}

// handlePage answers the file name of the pages.
func (s *Server) handlePage(name string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		a := s.pages["/"+name]
		if a == nil {
			return errNotFound
		}
		serveAsset(w, r, a)
		return nil
	}
}

// readsOnly says whether r is a GET or a HEAD, the methods a file of the
// pages answers.
func readsOnly(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead
}

// handleFileOrNotFound answers a path no route has: the pages' file of
// that path for a GET or a HEAD, else 404 not_found.
func (s *Server) handleFileOrNotFound(w http.ResponseWriter, r *http.Request) error {
	if a := s.pages[r.URL.Path]; a != nil && readsOnly(r) {
		serveAsset(w, r, a)
		return nil
	}
	return s.handleNotFound(w, r)
}

// handleErrorCatalogue answers the catalogue of problem codes.
func (s *Server) handleErrorCatalogue(w http.ResponseWriter, r *http.Request) error {
	serveAsset(w, r, errorCatalogue)
	return nil
}

// serveAsset answers a, or 304 when the client's copy is current. It
// states the length, which net/http would leave out of a GET of a file
// larger than its buffer, so that a HEAD tells the size too; a HEAD's
// body is dropped by net/http.
func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", a.csp)
	if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", a.contentType)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.body) // a failed write means the client went away
}

// etagMatches is the weak comparison of If-None-Match (RFC 9110 13.1.2)
// against etag.
func etagMatches(ifNoneMatch, etag string) bool {
	for candidate := range strings.SplitSeq(ifNoneMatch, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}

// problemDoc is one code of the error catalogue.
type problemDoc struct {
	Code     string
	Status   int
	Title    string
	Meanings []string
}

// problemDocs lists every code of the problem table once, by status (in
// the table's order within one), with every meaning it has there.
func problemDocs() []problemDoc {
	var docs []problemDoc
	at := map[string]int{}
	for _, k := range append(problemKinds[:len(problemKinds):len(problemKinds)], internalError) {
		i, ok := at[k.code]
		if !ok {
			i = len(docs)
			at[k.code] = i
			docs = append(docs, problemDoc{Code: k.code, Status: k.status, Title: k.title})
		}
		docs[i].Meanings = append(docs[i].Meanings, k.detail)
	}
	slices.SortStableFunc(docs, func(a, b problemDoc) int { return a.Status - b.Status })
	return docs
}

var catalogueTemplate = template.Must(template.New("errors").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tincan problem codes</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/style.css">
</head>
<body class="catalogue">
<header><h1>tincan problem codes</h1>
<p>Every refusal is an <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a> problem
(<code>application/problem+json</code>) whose <code>code</code> is one of these. Clients should branch on
<code>code</code>, not on the wording of <code>title</code> or <code>detail</code>.
See also the <a href="/docs">API reference</a>.</p></header>
<main>
<table>
<thead><tr><th>Status</th><th>Code</th><th>Meaning</th></tr></thead>
<tbody>
{{range .}}<tr id="{{.Code}}" data-testid="problem-{{.Code}}">
<td>{{.Status}}</td>
<td><a href="#{{.Code}}"><code>{{.Code}}</code></a><br>{{.Title}}</td>
<td>{{range .Meanings}}<p>{{.}}</p>{{end}}</td>
</tr>
{{end}}</tbody>
</table>
</main>
</body>
</html>
`))

// errorCatalogue is /docs/errors, made once from the problem table.
var errorCatalogue = func() *asset {
	var b bytes.Buffer
	if err := catalogueTemplate.Execute(&b, problemDocs()); err != nil {
		panic(err) // the template and its data are fixed at build time
	}
	return newAsset("errors.html", b.Bytes())
}()
