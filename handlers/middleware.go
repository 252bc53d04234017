package handlers

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tincan-dev/tincan/store"
)

// requestIDHeader carries a request's id: taken from the request when it
// is sane (see sanitizeRequestID), made up otherwise, and always echoed
// in the answer, so that a client's report can be matched to the log.
const requestIDHeader = "X-Request-ID"

// RequestLogMessage is the message of the line logged, at Info, for every
// request when it ends: the access log.
const RequestLogMessage = "request"

// requestIDCanonical is requestIDHeader as a key of http.Header.
var requestIDCanonical = http.CanonicalHeaderKey(requestIDHeader)

// maxRequestIDLen bounds an incoming request id.
const maxRequestIDLen = 128

// observeRequests gives each request its id and, when it ends, records
// it in the metrics, names its trace span (if any) by route, and logs it:
// route pattern, method, path, query, status, size, duration and id. It
// never logs the Authorization header, and the path and query only with
// anything that could be a secret redacted (see loggedPath and
// redactedQuery); the span's url.path is the logged path too.
func (s *Server) observeRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := sanitizeRequestID(r.Header.Get(requestIDHeader))
		if id == "" {
			id = rand.Text()
		}
		// Set under the canonical key directly: Header.Set would make
		// the canonical form of requestIDHeader anew on every request.
		w.Header()[requestIDCanonical] = []string{id}
		rw := &recordingWriter{ResponseWriter: w, id: id}
		// The context holds the writer, a pointer, rather than the id: a
		// string in an interface is one more allocation per request.
		ctx := context.WithValue(r.Context(), requestIDKey{}, rw)
		r = r.WithContext(ctx)
		next.ServeHTTP(rw, r)
		// chi fills the route pattern in as it routes: it is known now.
		route := routePattern(r)
		status := rw.statusOrOK()
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			// A tracing middleware outside the router (cmd/api) cannot
			// see the route; name its span here, before it ends.
			span.SetName(methodLabel(r.Method) + " " + route)
			span.SetAttributes(attribute.String("http.route", route), attribute.String("url.path", s.loggedPath(r)))
		}
		if rw.tail != nil {
			// A parked stream: the request ends with it (park.go). Only
			// what the log needs is kept, not the request, whose
			// context holds net/http's connection and its buffers.
			s.observeLater(rw, r, route, status, start)
			return
		}
		took := time.Since(start)
		s.metrics.observeRequest(r, route, status, took)
		if !s.logger.Enabled(ctx, slog.LevelInfo) {
			return // nor are the path and query made fit to log
		}
		s.logRequest(ctx, route, r.Method, s.loggedPath(r), redactedQuery(r.URL), status, rw.bytes, took)
	})
}

// logRequest writes a request's line in the access log, at Info, unless
// Info is off. The record is made here rather than by Logger.LogAttrs,
// which looks up its caller's program counter for every line
// (runtime.Callers), a cost the profiles showed and no handler of ours
// reads. Typed attributes, not key-value pairs: nothing is boxed on the
// way to the handler. The request id comes from ctx (see
// requestIDHandler).
func (s *Server) logRequest(ctx context.Context, route, method, path, query string, status int, bytes int64, took time.Duration) {
	h := s.logger.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	rec := slog.NewRecord(time.Now(), slog.LevelInfo, RequestLogMessage, 0)
	rec.AddAttrs(
		slog.String("route", route),
		slog.String("method", method),
		slog.String("path", path),
		slog.String("query", query),
		slog.Int("status", status),
		slog.Int64("bytes", bytes),
		slog.Duration("duration", took),
	)
	_ = h.Handle(ctx, rec)
}

// sanitizeRequestID returns id if it is fit to log and echo: 1 to
// maxRequestIDLen letters, digits and - _ . : / + =, nothing that could
// break a log line or a header; otherwise "".
func sanitizeRequestID(id string) string {
	if id == "" || len(id) > maxRequestIDLen {
		return ""
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.:/+=", c) >= 0:
		default:
			return ""
		}
	}
	return id
}

// requestIDKey is the context key of a request's *recordingWriter, which
// knows the request's id.
type requestIDKey struct{}

// requestIDHandler adds the id of the request whose context a log entry
// was made with, as request_id, to the entry.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if rw, ok := ctx.Value(requestIDKey{}).(*recordingWriter); ok {
		rec.AddAttrs(slog.String("request_id", rw.id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// loggedParams are the query parameters whose values the log shows: the
// API's own, none of which carries a secret (TestLoggedParams holds the
// list to the spec's). Any other is logged with its value REDACTED:
// access_token and ticket in whatever case (the API reads them in lower
// case only, but a client that wrote ACCESS_TOKEN still put its token in
// the URL), and any name a client made up.
var loggedParams = map[string]bool{"after": true, "limit": true, "wait": true, "last_event_id": true}

// redactedQuery is u's query for the log, with the value of every
// parameter but loggedParams replaced by REDACTED, so that operators see
// last_event_id or wait but never a secret. It is rebuilt from the parsed
// parameters, so a pair that does not parse is left out rather than passed
// on raw.
func redactedQuery(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	q := u.Query()
	for name, values := range q {
		if !loggedParams[name] {
			for i := range values {
				values[i] = "REDACTED"
			}
		}
	}
	return q.Encode()
}

// loggedPath is r's path as the log and traces show it, with nothing a
// client wrote there that could be a secret: a segment is kept when it is
// a word of the route table (ports, messages, ...) or an id (a ULID, which
// names a resource and opens nothing, or an event id), and written
// REDACTED otherwise, so that a token put in the path by mistake (/ports/<token>) is never
// written down. A file of the pages keeps its path: it is one of ours. A
// path with nothing to redact is returned as it is.
func (s *Server) loggedPath(r *http.Request) string {
	p := r.URL.Path
	if s.pages[p] != nil || s.pathIsLoggable(p) {
		return p
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if !s.segmentIsLoggable(seg) {
			segs[i] = "REDACTED"
		}
	}
	return strings.Join(segs, "/")
}

// pathIsLoggable reports whether every segment of p may be logged.
func (s *Server) pathIsLoggable(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if !s.segmentIsLoggable(seg) {
			return false
		}
	}
	return true
}

func (s *Server) segmentIsLoggable(seg string) bool {
	return seg == "" || s.routeWords[seg] || store.ValidID(seg) || isEventID(seg)
}

// isEventID reports whether seg is the wire form of an event id (a
// message's, in the path of its raw body): digits and a dash, no secret.
func isEventID(seg string) bool {
	id, err := store.ParseEventID(seg)
	return err == nil && !id.IsZero()
}

// routeWords are the literal segments of the patterns of routes.
func routeWords(routes chi.Routes) map[string]bool {
	words := map[string]bool{}
	_ = chi.Walk(routes, func(_, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		for seg := range strings.SplitSeq(route, "/") {
			if seg != "" && !strings.HasPrefix(seg, "{") {
				words[seg] = true
			}
		}
		return nil
	})
	return words
}

// observeLater records and logs a parked stream's request, as
// observeRequests does, when the stream ends. The trace span has ended
// with the handler.
func (s *Server) observeLater(rw *recordingWriter, r *http.Request, route string, status int, start time.Time) {
	method, path, query := r.Method, s.loggedPath(r), redactedQuery(r.URL)
	long := &http.Request{Method: method} // what observeRequest reads of a stream's request
	ctx := context.WithValue(context.Background(), requestIDKey{}, &recordingWriter{id: rw.id})
	before := rw.bytes
	rw.tail.later(func(after int64) {
		took := time.Since(start)
		s.metrics.observeRequest(long, route, status, took)
		s.logRequest(ctx, route, method, path, query, status, before+after, took)
	})
}

// recordingWriter notes the status and size of a response, and holds
// its request's id. It unwraps, so http.ResponseController still reaches
// the connection's Flush and write deadlines through it.
type recordingWriter struct {
	http.ResponseWriter
	id     string
	status int
	bytes  int64
	// tail is set when the handler parked the request's stream: what
	// is done at the request's end waits for the stream's.
	tail *requestTail
}

func (rw *recordingWriter) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recordingWriter) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (rw *recordingWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

func (rw *recordingWriter) statusOrOK() int {
	if rw.status == 0 {
		return http.StatusOK
	}
	return rw.status
}
