package handlers

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// logRequests logs each request when it ends: method, path, query, status,
// size and duration. It never logs the Authorization header, and the query
// only with its secrets redacted (see redactedQuery).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if !s.logger.Enabled(ctx, slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rw := &recordingWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		// Typed attributes, not key-value pairs: nothing is boxed on the
		// way to the handler, on every request.
		s.logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("query", redactedQuery(r.URL)),
			slog.Int("status", rw.statusOrOK()),
			slog.Int64("bytes", rw.bytes),
			slog.Duration("duration", time.Since(start)),
		)
	})
}

// secretParams are the query parameters that carry credentials.
var secretParams = []string{accessTokenParam, ticketParam}

// redactedQuery is u's query for the log, with every value of a
// secretParams parameter replaced by REDACTED and the other parameters
// kept, so that operators see last_event_id or wait but never a secret.
// It is rebuilt from the parsed parameters, so a pair that does not parse
// is left out rather than passed on raw.
func redactedQuery(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	q := u.Query()
	for _, name := range secretParams {
		for i := range q[name] {
			q[name][i] = "REDACTED"
		}
	}
	return q.Encode()
}

// recordingWriter notes the status and size of a response. It unwraps, so
// http.ResponseController still reaches the connection's Flush and write
// deadlines through it.
type recordingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
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
