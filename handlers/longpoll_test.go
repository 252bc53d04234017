package handlers

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Contract 6: GET /ports/{id}/messages reads the queue as JSON, pages with
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

// Contract 6: a long poll answers as soon as a message arrives.
func TestLongPollWakes(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		first := c.send(ch.Port1, `"old"`)
		sent := make(chan string, 1)
		go func() {
			time.Sleep(200 * time.Millisecond)
			hr, _ := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/messages", stringsReader("new"))
			hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
			res, err := c.hc.Do(hr)
			if err != nil {
				t.Errorf("post: %v", err)
				sent <- ""
				return
			}
			var body struct{ ID string }
			decodeInto(t, res, &body)
			sent <- body.ID
		}()
		start := time.Now()
		l := c.list(ch.Port2, "wait=20&after="+first)
		elapsed := time.Since(start)
		id := <-sent
		if len(l.Messages) != 1 || l.Messages[0].ID != id || l.Next != id || string(l.Messages[0].Data) != `"new"` {
			t.Fatalf("long poll: %+v, want the new message %s", l, id)
		}
		if elapsed > 5*time.Second {
			t.Errorf("long poll took %v", elapsed)
		}
	})
}

// Contract 6: an idle long poll waits as long as asked, capped by the
// maximum, and answers empty.
func TestLongPollTimesOut(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.LongPollMaxWait = 1500 * time.Millisecond })
		ch := c.createChannel()
		for _, tc := range []struct {
			wait     string
			min, max time.Duration
		}{
			{"0", 0, 500 * time.Millisecond},
			{"1", 900 * time.Millisecond, 3 * time.Second},
			{"3600", 1400 * time.Millisecond, 4 * time.Second},              // clamped
			{"99999999999999999", 1400 * time.Millisecond, 4 * time.Second}, // clamped, no overflow
		} {
			start := time.Now()
			l := c.list(ch.Port2, "wait="+tc.wait)
			d := time.Since(start)
			if len(l.Messages) != 0 || l.State != "open" {
				t.Errorf("wait=%s: %+v", tc.wait, l)
			}
			if d < tc.min || d > tc.max {
				t.Errorf("wait=%s took %v, want %v to %v", tc.wait, d, tc.min, tc.max)
			}
		}
	})
}

// Contract 6: a long poll answers when the channel closes.
func TestLongPollClose(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		go func() {
			time.Sleep(100 * time.Millisecond)
			hr, _ := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/close", nil)
			hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
			if res, err := c.hc.Do(hr); err == nil {
				res.Body.Close()
			}
		}()
		start := time.Now()
		l := c.list(ch.Port2, "wait=20")
		if l.State != "closed" || len(l.Messages) != 0 || time.Since(start) > 5*time.Second {
			t.Errorf("long poll on close: %+v after %v", l, time.Since(start))
		}
	})
}

// Contract 13: bad query values are 400 invalid_request.
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
