package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// closeEvent is the data of `event: close`.
type closeEvent struct {
	Port     string    `json:"port"`
	ClosedAt time.Time `json:"closed_at"`
}

// wantClose reads the next event, which must be `event: close` for p,
// without an id, and then the end of the stream.
func (s *sseStream) wantClose(p port) closeEvent {
	s.t.Helper()
	ev := s.next()
	if ev.typ != "close" || ev.hasID {
		s.t.Fatalf("got %+v, want event: close without an id", ev)
	}
	var ce closeEvent
	if err := json.Unmarshal([]byte(ev.data), &ce); err != nil || ce.Port != p.ID || ce.ClosedAt.IsZero() {
		s.t.Fatalf("close data %q: %+v, %v", ev.data, ce, err)
	}
	s.wantEnd()
	return ce
}

// Closing delivers everything queued before the close, then
// event: close, then ends the stream; later posts are 410; a stream on a
// closed port with nothing left is 204.
func TestClose(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		listener := c.open(ch.Port2, streamReq{})
		closer := c.open(ch.Port1, streamReq{})
		var ids []string
		for i := range 3 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		c.closePort(ch.Port1).want(t, http.StatusNoContent)
		for i := range 3 {
			if m := listener.nextMessage(); m.ID != ids[i] {
				t.Fatalf("message %d: %s, want %s", i, m.ID, ids[i])
			}
		}
		ce := listener.wantClose(ch.Port2)
		// The closing side's stream ends too.
		closer.wantClose(ch.Port1)

		c.closePort(ch.Port1).want(t, http.StatusNoContent) // idempotent
		c.closePort(ch.Port2).want(t, http.StatusNoContent)
		for _, p := range []port{ch.Port1, ch.Port2} {
			c.postJSON(p, `{"data":1}`).wantProblem(t, http.StatusGone, "port_closed")
			c.do(req{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: "text/plain", body: "text"}).
				wantProblem(t, http.StatusGone, "port_closed")
			info := c.describe(p)
			if info.State != "closed" || info.ClosedAt == nil || !info.ClosedAt.Equal(ce.ClosedAt) {
				t.Errorf("describe %s: %+v, closed_at want %v", p.ID, info, ce.ClosedAt)
			}
		}
		// Queued messages stay readable after the close.
		l := c.list(ch.Port2, "")
		if len(l.Messages) != 3 || l.State != "closed" {
			t.Fatalf("list after close: %+v", l)
		}
		// Reopened, the stream delivers what is left, then closes.
		s := c.open(ch.Port2, streamReq{lastEventID: ids[1]})
		if m := s.nextMessage(); m.ID != ids[2] {
			t.Fatalf("after reopen: %s, want %s", m.ID, ids[2])
		}
		s.wantClose(ch.Port2)
		// Nothing left after the resume point: 204, on either port.
		for _, sr := range []struct {
			p  port
			sr streamReq
		}{
			{ch.Port2, streamReq{lastEventID: ids[2]}},
			{ch.Port2, streamReq{}}, // everything is acknowledged now
			{ch.Port1, streamReq{}},
		} {
			if s := c.open(sr.p, sr.sr); s.status != http.StatusNoContent {
				t.Errorf("stream on %s with nothing left: %d, want 204", sr.p.ID, s.status)
			}
		}
		// A long poll on a closed channel answers at once.
		start := time.Now()
		if l := c.list(ch.Port2, "wait=30"); l.State != "closed" || time.Since(start) >= answeredAtOnce {
			t.Errorf("long poll on a closed port: %+v after %v", l, time.Since(start))
		}
	})
}
