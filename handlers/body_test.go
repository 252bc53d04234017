package handlers

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/storetest"
)

// A message's raw body: GET /ports/{id}/messages/{message_id}/body, its
// HEAD, and the message tickets that open it.

// binaryBodies are the byte strings the raw body must answer unchanged:
// sizes 0, 1, 255, 64 KiB and the largest message, each starting with
// what a path that is not binary-safe would trip on (SSE field lines,
// JSON, CR/LF, NUL, invalid UTF-8), then every byte value, then random
// bytes; each with a content type of its own.
func binaryBodies() []store.Outgoing {
	seq := []byte("data: {\"x\":1}\r\n\r\nid: 1\nevent: close\n\x00\xc3\x28\xff\xfe\xed\xa0\x80\r")
	for b := range 256 {
		seq = append(seq, byte(b))
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for len(seq) < DefaultMaxMessageSize {
		seq = append(seq, byte(rng.Uint32()))
	}
	types := []string{"application/octet-stream", "image/png", `application/x-thing; name="a b"`, "video/mp4", "text/html; charset=utf-8"}
	var out []store.Outgoing
	for i, n := range []int{0, 1, 255, 64 << 10, DefaultMaxMessageSize} {
		out = append(out, store.Outgoing{ContentType: types[i%len(types)], Bytes: seq[:n:n]})
	}
	return out
}

// postStored queues msg at p's peer through the store itself (the HTTP
// post takes bytes in a later change), and returns its id.
func (c *client) postStored(from port, msg store.Outgoing) string {
	c.t.Helper()
	id, err := c.store.Post(context.Background(), store.Credentials{PortID: from.ID, Token: from.Token}, msg)
	if err != nil {
		c.t.Fatalf("post %d bytes of %s: %v", len(msg.Bytes), msg.ContentType, err)
	}
	return id.String()
}

// bodyPath is the raw body's path of the message id at p.
func bodyPath(p port, id string) string {
	return "/ports/" + p.ID + "/messages/" + id + "/body"
}

// getBody fetches the raw body of the message id at p with p's token.
func (c *client) getBody(p port, id string, header map[string]string) response {
	c.t.Helper()
	return c.do(req{method: "GET", path: bodyPath(p, id), token: p.Token, header: header})
}

// messageTicket asks for a ticket for the message id at p with token.
func (c *client) messageTicket(p port, id, token string) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/ports/" + p.ID + "/messages/" + id + "/tickets", token: token})
}

// issueMessageTicket gets a ticket for the message id at p with p's token.
func (c *client) issueMessageTicket(p port, id string) messageTicketAnswer {
	c.t.Helper()
	res := c.messageTicket(p, id, p.Token).want(c.t, http.StatusCreated)
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		c.t.Errorf("Cache-Control %q on a message ticket, want no-store", cc)
	}
	return decodeBody[messageTicketAnswer](c.t, res)
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, sha256 %x", len(b), sum[:8])
}

// wantBody fails unless res is the whole raw body content, of
// contentType, with the headers every raw body carries.
func wantBody(t *testing.T, what string, res response, contentType string, content []byte) {
	t.Helper()
	res.want(t, http.StatusOK)
	if got, want := sha(res.body), sha(content); got != want {
		t.Errorf("%s: body %s, want %s", what, got, want)
	}
	h := res.header
	if got := h.Get("Content-Type"); got != contentType {
		t.Errorf("%s: Content-Type %q, want %q", what, got, contentType)
	}
	if got := h.Get("Content-Length"); got != strconv.Itoa(len(content)) {
		t.Errorf("%s: Content-Length %q, want %d", what, got, len(content))
	}
	wantBodyHeaders(t, what, h, contentType)
}

// etagShape is the raw body's ETag.
var etagShape = regexp.MustCompile(`^"[0-9a-f]{32}"$`)

// wantBodyHeaders fails unless h has the headers that keep a raw body of
// contentType from running as a page, and out of caches.
func wantBodyHeaders(t *testing.T, what string, h http.Header, contentType string) {
	t.Helper()
	disposition := "attachment"
	if inline(contentType) {
		disposition = "inline"
	}
	for name, want := range map[string]string{
		"Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Content-Disposition":     disposition,
		"Cache-Control":           "private, no-store",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s %q, want %q", what, name, got, want)
		}
	}
	if etag := h.Get("ETag"); !etagShape.MatchString(etag) {
		t.Errorf("%s: ETag %q", what, etag)
	}
	for _, name := range []string{"Access-Control-Allow-Origin", "X-Frame-Options"} {
		if v := h.Get(name); v != "" {
			t.Errorf("%s: %s %q, want none", what, name, v)
		}
	}
}

// Bytes of every size and value come back byte for byte, with their
// content type: with the port's token, through a message ticket (as often
// as asked), and as a HEAD with the same headers and no body.
func TestRawBodyRoundTrip(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		for i, msg := range binaryBodies() {
			what := fmt.Sprintf("payload %d (%d bytes of %s)", i, len(msg.Bytes), msg.ContentType)
			id := c.postStored(ch.Port1, msg)
			get := c.getBody(ch.Port2, id, nil)
			wantBody(t, what, get, msg.ContentType, msg.Bytes)

			tk := c.issueMessageTicket(ch.Port2, id)
			if want := bodyPath(ch.Port2, id) + "?ticket=" + url.QueryEscape(tk.Ticket); tk.URL != want {
				t.Errorf("%s: ticket url %q, want %q", what, tk.URL, want)
			}
			for n := range 2 {
				wantBody(t, fmt.Sprintf("%s, through its ticket (%d)", what, n), c.do(req{method: "GET", path: tk.URL}), msg.ContentType, msg.Bytes)
			}
			head := c.head(req{path: bodyPath(ch.Port2, id), token: ch.Port2.Token})
			wantSameHeaders(t, what+", HEAD", get, head)
			wantSameHeaders(t, what+", HEAD through its ticket", get, c.head(req{path: tk.URL}))
			// Read, not acknowledged: the message is still there.
			c.ack(ch.Port2, id).want(t, http.StatusNoContent)
			c.getBody(ch.Port2, id, nil).wantProblem(t, http.StatusNotFound, "message_not_found")
		}
	})
}

// A JSON message has a body too: text as UTF-8 text, other data as the
// JSON it is stored as.
func TestRawBodyJSONMessages(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		for _, tc := range []struct {
			data, contentType, body string
		}{
			{`"héllo\n\u2603 \"x\" \\ \u0000"`, "text/plain; charset=utf-8", "héllo\n☃ \"x\" \\ \x00"},
			{`""`, "text/plain; charset=utf-8", ""},
			{`{"a": [1, 2.5, null], "b": "<script>"}`, "application/json", `{"a":[1,2.5,null],"b":"<script>"}`},
			{`null`, "application/json", "null"},
			{`42`, "application/json", "42"},
		} {
			id := c.send(ch.Port1, tc.data)
			wantBody(t, tc.data, c.getBody(ch.Port2, id, nil), tc.contentType, []byte(tc.body))
		}
		// A raw text post is a JSON string too.
		res := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "text/plain", body: "plain\r\ntext"})
		id := decodeBody[struct{ ID string }](t, res.want(t, http.StatusCreated)).ID
		wantBody(t, "a text post", c.getBody(ch.Port2, id, nil), "text/plain; charset=utf-8", []byte("plain\r\ntext"))
	})
}

// Only inert media are shown inline: what could run as a page (HTML, SVG,
// XML, PDF, anything unknown) is a download, and every body is sandboxed
// whatever its type.
func TestRawBodyDisposition(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		for contentType, want := range map[string]string{
			"image/png":                  "inline",
			"image/jpeg":                 "inline",
			"image/gif":                  "inline",
			"image/webp":                 "inline",
			"image/avif":                 "inline",
			"IMAGE/PNG":                  "inline",
			"image/png; name=x":          "inline",
			"audio/ogg":                  "inline",
			"video/mp4":                  "inline",
			"video/webm; codecs=vp9":     "inline",
			"text/html":                  "attachment",
			"text/html; charset=utf-8":   "attachment",
			"image/svg+xml":              "attachment",
			"application/xhtml+xml":      "attachment",
			"application/xml":            "attachment",
			"text/xml":                   "attachment",
			"application/pdf":            "attachment",
			"text/javascript":            "attachment",
			"application/octet-stream":   "attachment",
			"image/bmp":                  "attachment",
			"image/x-icon":               "attachment",
			"multipart/x-mixed-replace":  "attachment",
			"application/x-unknown-kind": "attachment",
		} {
			content := []byte(`<html><script>parent.postMessage(1,"*")</script><svg onload="alert(1)"/></html>`)
			id := c.postStored(ch.Port1, store.Outgoing{ContentType: contentType, Bytes: content})
			res := c.getBody(ch.Port2, id, nil)
			wantBody(t, contentType, res, contentType, content)
			if got := res.header.Get("Content-Disposition"); got != want {
				t.Errorf("%s: Content-Disposition %q, want %q", contentType, got, want)
			}
		}
	})
}

// What names no queued message is message_not_found, once the token has
// been checked: an acknowledged message, an id never used, an id that is
// no event id; a wrong token is unauthorized whatever the id.
func TestRawBodyNotFound(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		first := c.send(ch.Port1, `"first"`)
		second := c.send(ch.Port1, `"second"`)
		c.ack(ch.Port2, first).want(t, http.StatusNoContent)
		for _, id := range []string{first, "1-0", "0-0", "abc", "01-0", "1-", "99999999999999999999999-0"} {
			c.getBody(ch.Port2, id, nil).wantProblem(t, http.StatusNotFound, "message_not_found")
			c.messageTicket(ch.Port2, id, ch.Port2.Token).wantProblem(t, http.StatusNotFound, "message_not_found")
			wrong := port{ID: ch.Port2.ID, Token: store.NewToken()}
			c.getBody(wrong, id, nil).wantProblem(t, http.StatusUnauthorized, "unauthorized")
			c.messageTicket(wrong, id, wrong.Token).wantProblem(t, http.StatusUnauthorized, "unauthorized")
		}
		c.getBody(ch.Port2, second, nil).want(t, http.StatusOK)
	})
}

// A message ticket works for its port and its message, as often as asked,
// until it expires, and as long as the token it was issued with does; it
// is never a stream ticket, nor a stream ticket one.
func TestRawBodyTickets(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		const ttl = 30 * time.Second
		c := e.server(t, func(o *options) { o.cfg.TicketTTL = ttl })
		ch, other := c.createChannel(), c.createChannel()
		msg := store.Outgoing{ContentType: "image/png", Bytes: []byte("\x89PNG\r\n\x1a\n")}
		id := c.postStored(ch.Port1, msg)
		next := c.postStored(ch.Port1, msg)
		elsewhere := c.postStored(other.Port1, msg)

		before := time.Now()
		tk := c.issueMessageTicket(ch.Port2, id)
		if d := tk.ExpiresAt.Sub(before.Add(ttl)); d < -5*time.Second || d > 5*time.Second {
			t.Errorf("ticket expires at %v, want about %v", tk.ExpiresAt, before.Add(ttl))
		}
		wantBody(t, "through the ticket", c.do(req{method: "GET", path: tk.URL}), msg.ContentType, msg.Bytes)

		refused := func(what, path, code string, status int) {
			t.Helper()
			p := c.do(req{method: "GET", path: path}).wantProblem(t, status, code)
			t.Logf("%s: %s", what, p.Detail)
		}
		q := "?ticket=" + url.QueryEscape(tk.Ticket)
		refused("for the next message", bodyPath(ch.Port2, next)+q, "invalid_ticket", http.StatusUnauthorized)
		refused("for the peer", bodyPath(ch.Port1, id)+q, "invalid_ticket", http.StatusUnauthorized)
		refused("for another channel's port", bodyPath(other.Port2, elsewhere)+q, "invalid_ticket", http.StatusUnauthorized)
		refused("a malformed message id", bodyPath(ch.Port2, "x")+q, "invalid_ticket", http.StatusUnauthorized)
		refused("a malformed port id", "/ports/nope/messages/"+id+"/body"+q, "invalid_ticket", http.StatusUnauthorized)
		refused("empty", bodyPath(ch.Port2, id)+"?ticket=", "invalid_ticket", http.StatusUnauthorized)
		refused("a port token as a ticket", bodyPath(ch.Port2, id)+"?ticket="+ch.Port2.Token, "invalid_ticket", http.StatusUnauthorized)
		stream := c.ticket(ch.Port2)
		refused("a stream ticket", bodyPath(ch.Port2, id)+"?ticket="+url.QueryEscape(stream.Ticket), "invalid_ticket", http.StatusUnauthorized)
		refused("as a stream ticket", "/ports/"+ch.Port2.ID+"/events"+q, "invalid_ticket", http.StatusUnauthorized)
		refused("with access_token", tk.URL+"&access_token="+ch.Port2.Token, "invalid_request", http.StatusBadRequest)
		c.do(req{method: "GET", path: tk.URL, token: ch.Port2.Token}).wantProblem(t, http.StatusBadRequest, "invalid_request")
		// None of that used it up.
		wantBody(t, "after the refusals", c.do(req{method: "GET", path: tk.URL}), msg.ContentType, msg.Bytes)

		// Scopes: a listen token may read, and so get a ticket; a post
		// token may not.
		listen := port{ID: ch.Port2.ID, Token: c.mint(ch.Port2, "listen", "").Token}
		post := c.mint(ch.Port2, "post", "").Token
		lt := decodeBody[messageTicketAnswer](t, c.messageTicket(ch.Port2, id, listen.Token).want(t, http.StatusCreated))
		wantBody(t, "a listen token's ticket", c.do(req{method: "GET", path: lt.URL}), msg.ContentType, msg.Bytes)
		wantBody(t, "with a listen token", c.getBody(listen, id, nil), msg.ContentType, msg.Bytes)
		c.messageTicket(ch.Port2, id, post).wantProblem(t, http.StatusForbidden, "insufficient_scope")
		c.getBody(port{ID: ch.Port2.ID, Token: post}, id, nil).wantProblem(t, http.StatusForbidden, "insufficient_scope")

		// Acknowledged: the message is gone, and the ticket finds none.
		nextTk := c.issueMessageTicket(ch.Port2, next)
		c.ack(ch.Port2, id).want(t, http.StatusNoContent)
		refused("after the acknowledgement", tk.URL, "message_not_found", http.StatusNotFound)

		// Transferred: the ticket stood for the token that died.
		moved := decodeBody[port](t, c.transfer(ch.Port2).want(t, http.StatusOK))
		refused("after a transfer", nextTk.URL, "port_transferred", http.StatusForbidden)
		refused("a listen token's, after a transfer", lt.URL, "port_transferred", http.StatusForbidden)
		wantBody(t, "with the new token", c.getBody(moved, next, nil), msg.ContentType, msg.Bytes)
		wantBody(t, "a new ticket", c.do(req{method: "GET", path: c.issueMessageTicket(moved, next).URL}), msg.ContentType, msg.Bytes)

		// A closed channel's messages may still be read.
		c.closePort(ch.Port1).want(t, http.StatusNoContent)
		wantBody(t, "after the close", c.do(req{method: "GET", path: c.issueMessageTicket(moved, next).URL}), msg.ContentType, msg.Bytes)
	})
}

// A message ticket stops working when it expires.
func TestRawBodyTicketExpiry(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		const ttl = 50 * time.Millisecond
		clock := storetest.NewClock()
		c := e.server(t, func(o *options) {
			o.cfg.TicketTTL = ttl
			o.now = clock.Now
		})
		ch := c.createChannel()
		id := c.postStored(ch.Port1, store.Outgoing{ContentType: "application/octet-stream", Bytes: []byte{0, 1, 2}})
		tk := c.issueMessageTicket(ch.Port2, id)
		c.do(req{method: "GET", path: tk.URL}).want(t, http.StatusOK)
		clock.Advance(2 * ttl)
		c.do(req{method: "GET", path: tk.URL}).wantProblem(t, http.StatusUnauthorized, "invalid_ticket")
		c.head(req{path: tk.URL}).want(t, http.StatusUnauthorized)
		c.getBody(ch.Port2, id, nil).want(t, http.StatusOK)
	})
}

// A body's ticket request may be empty or {}; anything else is refused.
func TestRawBodyTicketRequest(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		id := c.send(ch.Port1, `1`)
		path := "/ports/" + ch.Port2.ID + "/messages/" + id + "/tickets"
		for _, body := range []string{"", "{}", " { } \n"} {
			c.do(req{method: "POST", path: path, token: ch.Port2.Token, contentType: "application/json", body: body}).want(t, http.StatusCreated)
		}
		for _, body := range []string{`{"ttl":5}`, `[]`, `{} {}`, `{`} {
			c.do(req{method: "POST", path: path, token: ch.Port2.Token, contentType: "application/json", body: body}).wantProblem(t, http.StatusBadRequest, "invalid_request")
		}
		c.do(req{method: "POST", path: path, token: ch.Port2.Token, contentType: "application/json", body: "{}" + strings.Repeat(" ", 2000)}).
			wantProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	})
}

// Ranges, as a media player asks for them, and the conditions on the
// ETag: a part is 206, a range past the end 416 and a failed If-Match 412,
// both problems; a matching If-None-Match is 304.
func TestRawBodyRange(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		content := binaryBodies()[3].Bytes
		id := c.postStored(ch.Port1, store.Outgoing{ContentType: "video/mp4", Bytes: content})
		whole := c.getBody(ch.Port2, id, nil).want(t, http.StatusOK)
		etag := whole.header.Get("ETag")
		if got := whole.header.Get("Accept-Ranges"); got != "bytes" {
			t.Errorf("Accept-Ranges %q, want bytes", got)
		}

		part := c.getBody(ch.Port2, id, map[string]string{"Range": "bytes=10-19"}).want(t, http.StatusPartialContent)
		if string(part.body) != string(content[10:20]) || part.header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(content)) {
			t.Errorf("bytes=10-19: %q, Content-Range %q", part.body, part.header.Get("Content-Range"))
		}
		wantBodyHeaders(t, "a part", part.header, "video/mp4")
		tail := c.getBody(ch.Port2, id, map[string]string{"Range": "bytes=-5"}).want(t, http.StatusPartialContent)
		if string(tail.body) != string(content[len(content)-5:]) {
			t.Errorf("bytes=-5: %q", tail.body)
		}
		c.getBody(ch.Port2, id, map[string]string{"Range": "bytes=0-1,4-5"}).want(t, http.StatusPartialContent)
		c.getBody(ch.Port2, id, map[string]string{"Range": "bytes=0-1", "If-Range": etag}).want(t, http.StatusPartialContent)
		wantBody(t, "If-Range with another ETag", c.getBody(ch.Port2, id, map[string]string{"Range": "bytes=0-1", "If-Range": `"x"`}), "video/mp4", content)
		c.head(req{path: bodyPath(ch.Port2, id), token: ch.Port2.Token, header: map[string]string{"Range": "bytes=0-1"}}).want(t, http.StatusPartialContent)

		for _, r := range []string{fmt.Sprintf("bytes=%d-", len(content)), "bytes=x-y"} {
			res := c.getBody(ch.Port2, id, map[string]string{"Range": r})
			res.wantProblem(t, http.StatusRequestedRangeNotSatisfiable, "range_not_satisfiable")
			if got := res.header.Get("Content-Range"); got != fmt.Sprintf("bytes */%d", len(content)) {
				t.Errorf("%s: Content-Range %q", r, got)
			}
			if cd := res.header.Get("Content-Disposition"); cd != "" {
				t.Errorf("%s: a problem with Content-Disposition %q", r, cd)
			}
		}
		c.head(req{path: bodyPath(ch.Port2, id), token: ch.Port2.Token, header: map[string]string{"Range": "bytes=x-"}}).want(t, http.StatusRequestedRangeNotSatisfiable)

		nm := c.getBody(ch.Port2, id, map[string]string{"If-None-Match": etag}).want(t, http.StatusNotModified)
		if len(nm.body) != 0 || nm.header.Get("ETag") != etag {
			t.Errorf("304: %d bytes, ETag %q", len(nm.body), nm.header.Get("ETag"))
		}
		c.getBody(ch.Port2, id, map[string]string{"If-Match": etag}).want(t, http.StatusOK)
		c.getBody(ch.Port2, id, map[string]string{"If-Match": `"other"`}).wantProblem(t, http.StatusPreconditionFailed, "precondition_failed")
		c.head(req{path: bodyPath(ch.Port2, id), token: ch.Port2.Token, header: map[string]string{"If-Match": `"other"`}}).want(t, http.StatusPreconditionFailed)

		// The ETag names the content, not the id: another content, another
		// ETag.
		other := c.postStored(ch.Port1, store.Outgoing{ContentType: "video/mp4", Bytes: content[1:]})
		if e2 := c.getBody(ch.Port2, other, nil).want(t, http.StatusOK).header.Get("ETag"); e2 == etag {
			t.Errorf("two contents with one ETag %s", etag)
		}
	})
}

// testRawBodyUndecodable: a message the store cannot decode has no body:
// message_undecodable, reported like one a stream meets (run by TestRedis:
// only a Redis store holds what it cannot decode).
func testRawBodyUndecodable(t *testing.T, e env) {
	c := e.server(t)
	ch := c.createChannel()
	for i := range corruptEntries {
		c.getBody(ch.Port2, appendCorrupt(t, c, ch.Port2, i), nil).wantProblem(t, http.StatusUnprocessableEntity, "message_undecodable")
	}
	id := appendCorrupt(t, c, ch.Port2, 0)
	c.getBody(ch.Port2, id, nil).wantProblem(t, http.StatusUnprocessableEntity, "message_undecodable")
	c.head(req{path: bodyPath(ch.Port2, id), token: ch.Port2.Token}).want(t, http.StatusUnprocessableEntity)
	tk := c.issueMessageTicket(ch.Port2, id)
	c.do(req{method: "GET", path: tk.URL}).wantProblem(t, http.StatusUnprocessableEntity, "message_undecodable")
	c.ack(ch.Port2, id).want(t, http.StatusNoContent)
	c.getBody(ch.Port2, id, nil).wantProblem(t, http.StatusNotFound, "message_not_found")
}

// The request log names the message by its id, which is no secret, and
// never the ticket.
func TestRawBodyLogged(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		id := c.send(ch.Port1, `"logged"`)
		tk := c.issueMessageTicket(ch.Port2, id)
		c.do(req{method: "GET", path: tk.URL}).want(t, http.StatusOK)
		want := "path=" + bodyPath(ch.Port2, id) + ` query="ticket=REDACTED"`
		deadline := time.Now().Add(waitLimit)
		for !strings.Contains(c.logs.scan.String(), want) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		log := c.logs.scan.String()
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
		if strings.Contains(log, tk.Ticket) {
			t.Errorf("the log holds the ticket")
		}
	})
}
