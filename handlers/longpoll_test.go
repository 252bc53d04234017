package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/logscan"
)

// answeredAtOnce bounds a long poll (or a shutdown) that must answer at
// once rather than wait out its 30 s: half of that, so that a test tells
// the two apart without failing for a loaded machine's slowness.
const answeredAtOnce = 15 * time.Second

// GET /ports/{id}/messages reads the queue as JSON, pages with
// after/limit/next, never acknowledges, and long-polls with wait.
func TestListPages(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		empty := c.list(ch.Port2, "")
		if empty.Messages == nil || len(empty.Messages) != 0 || empty.Next != "" || empty.State != "open" {
			t.Errorf("empty list: %+v", empty)
		}
		var ids []string
		for i := range 5 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		page := c.list(ch.Port2, "limit=2")
		if len(page.Messages) != 2 || page.Messages[0].ID != ids[0] || page.Next != ids[1] {
			t.Fatalf("first page: %+v", page)
		}
		page = c.list(ch.Port2, "limit=2&after="+page.Next)
		if len(page.Messages) != 2 || page.Messages[0].ID != ids[2] || page.Next != ids[3] {
			t.Fatalf("second page: %+v", page)
		}
		page = c.list(ch.Port2, "after="+page.Next)
		if len(page.Messages) != 1 || page.Messages[0].ID != ids[4] || page.Next != ids[4] {
			t.Fatalf("last page: %+v", page)
		}
		page = c.list(ch.Port2, "after="+page.Next)
		if len(page.Messages) != 0 || page.Next != ids[4] {
			t.Fatalf("past the end: next %q, want the after given", page.Next)
		}
		// Nothing was acknowledged.
		if info := c.describe(ch.Port2); info.Queued != 5 || info.AckedEventID != "" {
			t.Errorf("listing acknowledged: %+v", info)
		}
		if all := c.list(ch.Port2, "limit=1000"); len(all.Messages) != 5 {
			t.Errorf("list again: %d messages", len(all.Messages))
		}
	})
}

// A long poll answers as soon as a message arrives.
func TestLongPollWakes(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		first := c.send(ch.Port1, `"old"`)
		start := time.Now()
		polled := c.pollAsync(ch.Port2, "wait=30&after="+first)
		waitOpenCounts(t, c, 0, 1) // the poll found nothing and waits
		res := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "text/plain", body: "new"}).want(t, http.StatusCreated)
		id := decodeBody[struct{ ID string }](t, res).ID
		l := <-polled
		elapsed := time.Since(start)
		if len(l.Messages) != 1 || l.Messages[0].ID != id || l.Next != id || string(l.Messages[0].Data) != `"new"` {
			t.Fatalf("long poll: %+v, want the new message %s", l, id)
		}
		// Woken, it answers in moments; not woken, after the 30 s wait.
		if elapsed >= answeredAtOnce {
			t.Errorf("long poll took %v", elapsed)
		}
	})
}

// An idle long poll waits as long as asked, capped by the
// maximum, and answers empty. A wait is never short (timers do not fire
// early), so the lower bounds hold on any machine; the upper one is
// answeredAtOnce, half the 30 s that a wait=1 or wait=0 taken for the
// maximum would last. The polls wait side by side, each on a channel of
// its own.
func TestLongPollTimesOut(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		// The default maximum (30 s) for wait=0 and wait=1; 1.5 s for the
		// clamps, whose waits would otherwise be an hour and more.
		c := e.server(t)
		clamped := e.server(t, func(o *options) { o.cfg.LongPollMaxWait = 1500 * time.Millisecond })
		type answer struct {
			l list
			d time.Duration
		}
		cases := []struct {
			c        *client
			wait     string
			min, max time.Duration
			answered chan answer
		}{
			{c: c, wait: "0", min: 0, max: answeredAtOnce},
			{c: c, wait: "1", min: 900 * time.Millisecond, max: answeredAtOnce},
			{c: clamped, wait: "3600", min: 1400 * time.Millisecond, max: answeredAtOnce},
			{c: clamped, wait: "99999999999999999", min: 1400 * time.Millisecond, max: answeredAtOnce}, // no overflow
		}
		for i := range cases {
			tc := &cases[i]
			ch := tc.c.createChannel()
			tc.answered = make(chan answer, 1)
			start := time.Now()
			polled := tc.c.pollAsync(ch.Port2, "wait="+tc.wait)
			go func() {
				l := <-polled
				tc.answered <- answer{l, time.Since(start)}
			}()
		}
		for _, tc := range cases {
			a := <-tc.answered
			if len(a.l.Messages) != 0 || a.l.State != "open" {
				t.Errorf("wait=%s: %+v", tc.wait, a.l)
			}
			if a.d < tc.min || a.d > tc.max {
				t.Errorf("wait=%s took %v, want %v to %v", tc.wait, a.d, tc.min, tc.max)
			}
		}
	})
}

// A long poll answers when the channel closes.
func TestLongPollClose(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		start := time.Now()
		polled := c.pollAsync(ch.Port2, "wait=30")
		waitOpenCounts(t, c, 0, 1) // the poll found nothing and waits
		c.closePort(ch.Port1).want(t, http.StatusNoContent)
		if l := <-polled; l.State != "closed" || len(l.Messages) != 0 || time.Since(start) >= answeredAtOnce {
			t.Errorf("long poll on close: %+v after %v", l, time.Since(start))
		}
	})
}

// Bad query values are 400 invalid_request.
func TestListBadQuery(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		c.send(ch.Port1, `1`)
		for _, q := range []string{
			"after=x", "after=1", "after=1-x", "after=01-0", "after=1-0-0",
			"limit=0", "limit=1001", "limit=x", "limit=-1", "limit=1.5", "limit=",
			"wait=-1", "wait=x", "wait=1.5", "wait=1s",
		} {
			res := c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID + "/messages?" + q, token: ch.Port2.Token})
			if q == "limit=" {
				// An empty value is the default, like an absent one.
				res.want(t, http.StatusOK)
				continue
			}
			if res.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", q, res.status)
				continue
			}
			res.wantProblem(t, http.StatusBadRequest, "invalid_request")
		}
	})
}

// pollAsync starts a long poll of p with the query (without '?') and
// returns where its answer arrives, checked against the spec as do checks
// one. It fails the test from its own goroutine, so only with Errorf, and
// then sends what it could decode.
func (c *client) pollAsync(p port, query string) <-chan list {
	polled := make(chan list, 1)
	go func() {
		var l list
		defer func() { polled <- l }()
		hr, err := http.NewRequest("GET", c.url+"/ports/"+p.ID+"/messages?"+query, nil)
		if err != nil {
			c.t.Error(err)
			return
		}
		hr.Header.Set("Authorization", "Bearer "+p.Token)
		res, err := c.hc.Do(hr)
		if err != nil {
			c.t.Errorf("long poll: %v", err)
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			c.t.Errorf("long poll: read body: %v", err)
			return
		}
		checkSpec(c.t, hr, res, b)
		logscan.SecretsInJSON(b)
		if res.StatusCode != http.StatusOK {
			c.t.Errorf("long poll: status %d, want 200; body %s", res.StatusCode, b)
			return
		}
		if err := json.Unmarshal(b, &l); err != nil {
			c.t.Errorf("long poll: decode %q: %v", b, err)
		}
	}()
	return polled
}
