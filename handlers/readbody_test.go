package handlers

import (
	"bytes"
	"errors"
	"fmt"
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

// TestExpectContinue: a client that sends Expect: 100-continue hears 100
// Continue only when its declared Content-Length is within the route's
// limit; over it, it hears 413 at once, without sending the body, and the
// connection is closed, since the body will never come.
func TestExpectContinue(t *testing.T) {
	c := memoryEnv().server(t, func(o *options) { o.cfg.MaxMessageSize = 1000 })
	ch := c.createChannel()
	p := ch.Port1
	head := func(path string, length int) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: tincan.test\r\nAuthorization: Bearer %s\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", path, p.Token, length)
	}
	for _, tc := range []struct {
		path  string
		limit int
	}{
		{"/ports/" + p.ID + "/messages", 1000},
		{"/ports/" + p.ID + "/tokens", maxMintBody},
	} {
		rc := dialRaw(t, c.url)
		rc.write(head(tc.path, tc.limit+1))
		res, body := rc.answer()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !res.Close {
			t.Errorf("POST %s declaring %d bytes: %d %s, close %v; want 413 at once and the connection closed", tc.path, tc.limit+1, res.StatusCode, body, res.Close)
		}
		rc.wantClosed()
	}

	rc := dialRaw(t, c.url)
	rc.write(head("/ports/"+p.ID+"/messages", 1000))
	if res, _ := rc.answer(); res.StatusCode != http.StatusContinue {
		t.Fatalf("a declared length within the limit: %d, want 100 Continue", res.StatusCode)
	}
	rc.write(strings.Repeat("x", 1000))
	if res, body := rc.answer(); res.StatusCode != http.StatusCreated {
		t.Errorf("the post after 100 Continue: %d %s", res.StatusCode, body)
	}
}
