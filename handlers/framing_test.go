package handlers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawConn is a connection to the test server that writes bytes as they
// are and reads answers one by one.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// dialRaw connects to the server at url for t.
func dialRaw(t *testing.T, url string) *rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: conn, br: bufio.NewReader(conn)}
}

func (rc *rawConn) write(raw string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, raw); err != nil {
		rc.t.Fatal(err)
	}
}

// answer reads the next answer and its body.
func (rc *rawConn) answer() (*http.Response, []byte) {
	rc.t.Helper()
	res, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.t.Fatalf("no answer: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		rc.t.Fatalf("the answer's body: %v", err)
	}
	res.Body.Close()
	return res, body
}

// wantClosed fails unless the server closes the connection without
// another answer.
func (rc *rawConn) wantClosed() {
	rc.t.Helper()
	if b, err := io.ReadAll(rc.br); len(b) > 0 || err != nil {
		rc.t.Errorf("after the refusal: %q, %v; want the connection closed and nothing more", b, err)
	}
}

// TestSmuggling sends requests whose framing a proxy in front could read
// differently (RFC 9112, section 6.3): each is refused with 400 before its
// body is read, the connection is closed, nothing that followed on it
// runs, and nothing is stored.
func TestSmuggling(t *testing.T) {
	c := memoryEnv().server(t)
	ch := c.createChannel()
	p := ch.Port1
	post := func(framing, body string) string {
		return fmt.Sprintf("POST /ports/%s/messages HTTP/1.1\r\nHost: tincan.test\r\nAuthorization: Bearer %s\r\n%s\r\n%s", p.ID, p.Token, framing, body)
	}
	smuggled := fmt.Sprintf("POST /ports/%s/messages HTTP/1.1\r\nHost: tincan.test\r\nAuthorization: Bearer %s\r\nContent-Length: 8\r\n\r\nsmuggled", p.ID, p.Token)
	victim := "GET /healthz HTTP/1.1\r\nHost: tincan.test\r\nAuthorization: Bearer victim-secret\r\n\r\n"
	chunked := "5\r\nhello\r\n0\r\n\r\n"
	for _, tc := range []struct{ name, raw string }{
		// A proxy that frames by Content-Length forwards the smuggled
		// request inside the body; net/http, by the chunks, would run it.
		{"Content-Length then Transfer-Encoding, a request after the chunks",
			post(fmt.Sprintf("Content-Length: %d\r\nTransfer-Encoding: chunked\r\n", len(chunked+smuggled)), chunked+smuggled)},
		{"Transfer-Encoding then Content-Length",
			post(fmt.Sprintf("Transfer-Encoding: chunked\r\nContent-Length: %d\r\n", len(chunked+smuggled)), chunked+smuggled)},
		{"odd case", post(fmt.Sprintf("content-length: %d\r\ntransfer-encoding: Chunked\r\n", len(chunked)), chunked) + smuggled},
		// The other way round: a chunk longer than the Content-Length a
		// proxy sent would swallow the next client's request, on the
		// proxy's connection, as this one's body.
		{"a chunk that would read the next request",
			post("Content-Length: 9\r\nTransfer-Encoding: chunked\r\n", "100\r\nAAAA") + victim},
		// Transfer-Encoding alone: net/http drops the Content-Length of
		// the two above before any handler runs, so it looks the same.
		{"Transfer-Encoding alone", post("Transfer-Encoding: chunked\r\n", chunked) + smuggled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, c.url)
			rc.write(tc.raw)
			res, body := rc.answer()
			var prob problem
			_ = json.Unmarshal(body, &prob)
			if res.StatusCode != http.StatusBadRequest || prob.Code != "invalid_request" || !res.Close {
				t.Errorf("%d %s, Connection: %q; want 400 invalid_request and the connection closed", res.StatusCode, body, res.Header.Get("Connection"))
			}
			rc.wantClosed()
		})
	}
	if q := c.describe(ch.Port2).Queued; q != 0 {
		t.Errorf("%d messages stored, want none", q)
	}
	// The same post framed by its Content-Length alone is taken, and the
	// connection kept.
	rc := dialRaw(t, c.url)
	rc.write(post("Content-Length: 5\r\nContent-Type: text/plain\r\n", "hello"))
	if res, body := rc.answer(); res.StatusCode != http.StatusCreated || res.Close {
		t.Errorf("a post with Content-Length: %d %s, close %v", res.StatusCode, body, res.Close)
	}
}
