package handlers

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReadBody: readBody returns the body exactly, whatever Content-Length
// says of it (exact, unknown, larger or smaller than bodyHintCap), and
// refuses one over the limit as http.MaxBytesReader does.
func TestReadBody(t *testing.T) {
	const limit = 3 * bodyHintCap
	for _, c := range []struct {
		name          string
		size          int
		contentLength int64 // -1: unknown (chunked); -2: the body's size
		tooLarge      bool
	}{
		{"empty", 0, -2, false},
		{"short", 100, -2, false},
		{"short, length unknown", 100, -1, false},
		{"past the hint cap", bodyHintCap*2 + 7, -2, false},
		{"past the hint cap, length unknown", bodyHintCap*2 + 7, -1, false},
		{"exactly the limit", limit, -2, false},
		{"over the limit", limit + 1, -2, true},
		{"over the limit, length unknown", limit + 1, -1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(strings.Repeat("0123456789", c.size/10+1)[:c.size])
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(bytes.NewReader(body)))
			r.ContentLength = c.contentLength
			if c.contentLength == -2 {
				r.ContentLength = int64(len(body))
			}
			got, err := readBody(httptest.NewRecorder(), r, limit)
			var tooLarge *http.MaxBytesError
			switch {
			case c.tooLarge && !errors.As(err, &tooLarge):
				t.Fatalf("err %v, want a *http.MaxBytesError", err)
			case !c.tooLarge && err != nil:
				t.Fatalf("err %v", err)
			case !c.tooLarge && !bytes.Equal(got, body):
				t.Fatalf("read %d bytes, want the %d sent", len(got), len(body))
			}
		})
	}
}
