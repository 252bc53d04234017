package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// The raw body of one queued message, for a program or a page that wants
// the bytes themselves (fetch() into an ArrayBuffer, an <img>, a <video>)
// rather than base64 inside JSON.
//
// What is served here was written by whoever holds the peer port, and it
// is served from tincan's own origin, so it must never run there as a
// page: every answer is sandboxed (bodyCSP), carries nosniff (set for
// every answer by securityHeaders), and is a download (Content-Disposition:
// attachment) unless its type is one a browser only ever displays
// (inlineTypes).

// bodyCSP is the Content-Security-Policy of every raw body. sandbox alone
// makes a document opened from it a unique origin that runs no script,
// submits no form and opens no window; default-src 'none' lets it load
// nothing either (no tracking pixel, no style that leaks what it shows);
// frame-ancestors 'none' keeps another site from framing it.
const bodyCSP = "sandbox; default-src 'none'; frame-ancestors 'none'"

// bodyCacheControl keeps a raw body out of every cache: it is one port
// holder's message, fetched with a token or a ticket in the URL that a
// shared cache must not keep; and once the message is acknowledged it is
// deleted, which a cached copy would outlive.
const bodyCacheControl = "private, no-store"

// inlineTypes are the media types a raw body is shown inline with: raster
// images, which a browser only decodes and draws, plus every audio/* and
// video/* type (see inline). Any other type, text/html, image/svg+xml
// (which may hold scripts) and application/pdf (whose viewer is a program
// of its own) among them, is served as an attachment.
var inlineTypes = map[string]bool{
	"image/png":  true,
	"image/jpeg": true,
	"image/gif":  true,
	"image/webp": true,
	"image/avif": true,
}

// inline reports whether a raw body of contentType may be shown inline.
func inline(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return inlineTypes[mediaType] || strings.HasPrefix(mediaType, "audio/") || strings.HasPrefix(mediaType, "video/")
}

// errMessageUndecodable refuses the raw body of a message the store could
// not decode (store.Message.Undecodable): there is nothing to serve. The
// event stream and the long poll deliver it as a message error.
var errMessageUndecodable = errors.New("message undecodable")

// Content types of the raw body of a JSON message.
const (
	textContentType = "text/plain; charset=utf-8"
	jsonContentType = "application/json"
)

// rawBody is what the body route serves for m: a binary message's bytes
// with its content type; a text message's text (its data is a JSON
// string) as UTF-8 text/plain; any other JSON message's data as it is
// stored, application/json.
func rawBody(m store.Message) (contentType string, content []byte, err error) {
	switch {
	case m.Binary():
		return m.ContentType, m.Bytes, nil
	case len(m.Data) > 0 && m.Data[0] == '"':
		var text string
		if err := json.Unmarshal(m.Data, &text); err != nil {
			return "", nil, fmt.Errorf("message %s: text data: %w", m.ID, err)
		}
		return textContentType, []byte(text), nil
	}
	return jsonContentType, m.Data, nil
}

// bodyETag names a raw body by its content: the store may, after losing
// writes (a failover), give a message id again to another message, so the
// id alone would not name one content.
func bodyETag(contentType string, content []byte) string {
	h := sha256.New()
	h.Write([]byte(contentType))
	h.Write([]byte{0})
	h.Write(content)
	return `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// handleMessageBody answers the content of one message queued at the port,
// as it is (see rawBody), to the port's token or to a message ticket
// (messageCredentials). It neither acknowledges nor changes the message,
// so HEAD answers beside it, and a Range asks for part of it (a video
// player seeks so).
func (s *Server) handleMessageBody(w http.ResponseWriter, r *http.Request) error {
	c, id, err := s.messageCredentials(r)
	if err != nil {
		return err
	}
	// Reserved before the read, as a long poll's batch is; a message is
	// at most the largest post, and a text message is held twice.
	rsv, err := s.inflight.reserve(2 * s.cfg.MaxMessageSize)
	if err != nil {
		return err
	}
	defer rsv.release()
	m, err := s.store.Message(r.Context(), c, id)
	if err != nil {
		return err
	}
	rsv.shrink(2 * m.Size())
	if m.Undecodable != "" {
		s.reportUndecodable(r.Context(), c.PortID, m)
		return fmt.Errorf("message %s at %s: %s: %w", m.ID, c.PortID, m.Undecodable, errMessageUndecodable)
	}
	contentType, content, err := rawBody(m)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", bodyCSP)
	if inline(contentType) {
		h.Set("Content-Disposition", "inline")
	} else {
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("Cache-Control", bodyCacheControl)
	h.Set("ETag", bodyETag(contentType, content))
	return serveContent(w, r, content)
}

// Refusals of a Range or a precondition the body cannot meet, which
// http.ServeContent would answer on its own, in plain text or with no
// body at all.
var (
	errRangeNotSatisfiable = errors.New("range not satisfiable")
	errPreconditionFailed  = errors.New("precondition failed")
)

// serveContent answers content with http.ServeContent, for its handling
// of Range, If-Range, If-None-Match (304) and HEAD, but returns its two
// refusals (416, 412) as errors instead, so that they are problems like
// every other refusal.
func serveContent(w http.ResponseWriter, r *http.Request, content []byte) error {
	cw := &contentWriter{ResponseWriter: w}
	http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(content))
	if cw.refused == 0 {
		return nil
	}
	// What ServeContent set for the content it did not serve.
	h := w.Header()
	for _, k := range []string{"Content-Disposition", "ETag", "Accept-Ranges", "Content-Length"} {
		h.Del(k)
	}
	if cw.refused == http.StatusRequestedRangeNotSatisfiable {
		// ServeContent gives the length only for a range past the end;
		// a malformed one is answered the same (RFC 9110, 15.5.17).
		h.Set("Content-Range", "bytes */"+strconv.Itoa(len(content)))
		return errRangeNotSatisfiable
	}
	return errPreconditionFailed
}

// contentWriter passes on what http.ServeContent writes, except a 416 or
// a 412 and the body written with it, which it notes in refused.
type contentWriter struct {
	http.ResponseWriter
	refused int
}

func (cw *contentWriter) WriteHeader(status int) {
	if status == http.StatusRequestedRangeNotSatisfiable || status == http.StatusPreconditionFailed {
		cw.refused = status
		return
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *contentWriter) Write(b []byte) (int, error) {
	if cw.refused != 0 {
		return len(b), nil
	}
	return cw.ResponseWriter.Write(b)
}

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (cw *contentWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }
