package handlers

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Defaults of the limits on hostile or careless clients.
const (
	// DefaultMaxJSONDepth bounds how deeply a request body's arrays and
	// objects may nest, message data included.
	DefaultMaxJSONDepth = 64
	// DefaultMaxTransfer bounds the ports one message may carry.
	DefaultMaxTransfer = 16
	// DefaultMaxStreamsPerPort bounds the event streams open at once on
	// one port.
	DefaultMaxStreamsPerPort = 8
	// DefaultMaxStreamsPerClient bounds the event streams and waiting long
	// polls open at once from one client address (see
	// Server.clientAddress).
	DefaultMaxStreamsPerClient = 256
	// DefaultBodyReadTimeout bounds how long a request body may take to
	// arrive.
	DefaultBodyReadTimeout = 30 * time.Second
)

// Errors of the limits, answered by writeError.
var (
	errTooManyStreams = errors.New("too many open event streams")
	errRequestTimeout = errors.New("request body too slow")
)

// limitBodyTime gives a request body BodyReadTimeout to arrive, so that a
// client trickling a body cannot hold a connection and a handler. Once the
// body has been read to its end the deadline is lifted again: a read
// deadline left in place would end the request's context mid-handler.
func (s *Server) limitBodyTime(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout)); err == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the connection's read deadline when the body ends.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}
