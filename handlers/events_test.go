package handlers

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// An event stream sends its headers at once (text/event-stream, no-cache,
// no proxy buffering, no compression), then a retry: hint before any message.
func TestStreamHeaders(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.Retry = 1500 * time.Millisecond })
		ch := c.createChannel()
		s := c.open(ch.Port2, streamReq{})
		for k, v := range map[string]string{
			"Content-Type":      "text/event-stream",
			"Cache-Control":     "no-cache",
			"X-Accel-Buffering": "no",
		} {
			if got := s.header.Get(k); got != v {
				t.Errorf("%s: %q, want %q", k, got, v)
			}
		}
		if enc := s.header.Get("Content-Encoding"); enc != "" {
			t.Errorf("Content-Encoding %q on a stream", enc)
		}
		// The headers and the retry hint arrive before any message.
		first := s.nextAny()
		if first.retry != "1500" || first.hasID || first.typ != "" {
			t.Errorf("first frame %+v, want retry: 1500 alone", first)
		}
	})
}

// 500 messages posted while a stream is open arrive in order,
// each once.
func TestStreamInOrder(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		s := c.open(ch.Port2, streamReq{})
		const n = 500
		done := make(chan []string, 1)
		go func() {
			// A second client, since t.Fatal belongs to the test goroutine.
			var ids []string
			for i := range n {
				hr, _ := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/messages", stringsReader(`{"data":`+strconv.Itoa(i)+`}`))
				hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
				hr.Header.Set("Content-Type", "application/json")
				res, err := c.hc.Do(hr)
				if err != nil {
					t.Errorf("post %d: %v", i, err)
					break
				}
				var body struct{ ID string }
				decodeInto(t, res, &body)
				ids = append(ids, body.ID)
			}
			done <- ids
		}()
		for i := range n {
			m := s.nextMessage()
			if string(m.Data) != strconv.Itoa(i) {
				t.Fatalf("message %d has data %s", i, m.Data)
			}
		}
		ids := <-done
		if len(ids) != n {
			t.Fatalf("posted %d", len(ids))
		}
		s.wantQuiet(100 * time.Millisecond)
	})
}

// Resuming with Last-Event-ID (header) or last_event_id
// (query) starts right after that event, with no gap and no duplicate,
// and acknowledges everything up to it.
func TestStreamResume(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		for _, how := range []string{"header", "query"} {
			t.Run(how, func(t *testing.T) {
				c := e.server(t)
				ch := c.createChannel()
				var ids []string
				for i := range 10 {
					ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
				}
				s := c.open(ch.Port2, streamReq{})
				for i := range 4 {
					if m := s.nextMessage(); m.ID != ids[i] {
						t.Fatalf("message %d: %s, want %s", i, m.ID, ids[i])
					}
				}
				s.close()
				sr := streamReq{lastEventID: ids[3]}
				if how == "query" {
					sr = streamReq{query: "last_event_id=" + ids[3], queryToken: true}
				}
				s = c.open(ch.Port2, sr)
				for i := 4; i < 10; i++ {
					if m := s.nextMessage(); m.ID != ids[i] || string(m.Data) != strconv.Itoa(i) {
						t.Fatalf("after resume, message %d: %+v, want %s", i, m, ids[i])
					}
				}
				s.wantQuiet(50 * time.Millisecond)
				info := c.describe(ch.Port2)
				if info.AckedEventID != ids[3] || info.Queued != 6 {
					t.Errorf("after resume: acked %q queued %d, want %q and 6", info.AckedEventID, info.Queued, ids[3])
				}
				// Messages posted now follow without a gap.
				id := c.send(ch.Port1, `"later"`)
				if m := s.nextMessage(); m.ID != id {
					t.Errorf("live message %s, want %s", m.ID, id)
				}
			})
		}
	})
}

// Contracts 5 and 7: without a resume point the stream starts after the
// last acknowledged message: unacknowledged messages are delivered again,
// acknowledged ones never.
func TestStreamRedelivery(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var ids []string
		for i := range 3 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		for range 2 {
			s := c.open(ch.Port2, streamReq{})
			for i := range 3 {
				if m := s.nextMessage(); m.ID != ids[i] {
					t.Fatalf("message %d: %s, want %s", i, m.ID, ids[i])
				}
			}
			s.close()
		}
		c.ack(ch.Port2, ids[1]).want(t, http.StatusNoContent)
		s := c.open(ch.Port2, streamReq{})
		if m := s.nextMessage(); m.ID != ids[2] {
			t.Fatalf("after ack: %s, want %s", m.ID, ids[2])
		}
		s.wantQuiet(50 * time.Millisecond)
	})
}

// Resume points that are not event ids are refused before the
// stream starts, and change nothing. (One after the newest message is
// well-formed: it gets a reset, see TestStreamUnknownResume.)
func TestStreamBadResume(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		id := c.send(ch.Port1, `1`)
		for _, sr := range []streamReq{
			{lastEventID: "x"},
			{lastEventID: "1-"},
			{lastEventID: "01-1"},
			{lastEventID: "-1-0"},
			{query: "last_event_id=abc"},
			{query: "last_event_id=99999999999999999999999-0"},
			{lastEventID: "1-99999999999999999999999"},
		} {
			s := c.open(ch.Port2, sr)
			if s.status != http.StatusBadRequest {
				t.Errorf("%+v: status %d, want 400", sr, s.status)
			}
		}
		if info := c.describe(ch.Port2); info.AckedEventID != "" || info.Queued != 1 || info.LastEventID != id {
			t.Errorf("refused resumes changed the port: %+v", info)
		}
	})
}

// An idle stream gets keep-alive comments; only message events
// carry an id.
func TestStreamKeepAlive(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.KeepAlive = 30 * time.Millisecond })
		ch := c.createChannel()
		s := c.open(ch.Port2, streamReq{})
		comments := 0
		for comments < 2 {
			ev := s.nextAny()
			if ev.hasID {
				t.Fatalf("a non-message frame has an id: %+v", ev)
			}
			if ev.comment == "keep-alive" {
				comments++
			}
		}
	})
}

// The shutdown path: CloseStreams ends open streams (with no event, only a
// short retry: hint, so clients reconnect elsewhere at once) and answers
// waiting long polls at once.
func TestCloseStreams(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		s := c.open(ch.Port2, streamReq{})
		s.nextAny() // retry: the stream is open
		polled := make(chan response, 1)
		go func() {
			hr, _ := http.NewRequest("GET", c.url+"/ports/"+ch.Port1.ID+"/messages?wait=30", nil)
			hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
			res, err := c.hc.Do(hr)
			if err != nil {
				t.Errorf("long poll: %v", err)
				polled <- response{}
				return
			}
			var l list
			decodeInto(t, res, &l)
			polled <- response{status: res.StatusCode}
		}()
		waitOpenCounts(t, c, 1, 2) // the stream, and the poll that waits
		start := time.Now()
		c.srv.CloseStreams()
		if ev := s.nextAny(); ev.retry != strconv.Itoa(int(shutdownRetry.Milliseconds())) || ev.typ+ev.data+ev.id != "" {
			t.Errorf("last frame %+v, want retry: %d alone", ev, shutdownRetry.Milliseconds())
		}
		s.wantEnd()
		if res := <-polled; res.status != http.StatusOK {
			t.Errorf("long poll after CloseStreams: %d", res.status)
		}
		// At once, not after the poll's 30 s.
		if d := time.Since(start); d >= answeredAtOnce {
			t.Errorf("streams took %v to end", d)
		}
	})
}
