package handlers

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/internal/syncbuf"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/storetest"
)

// ticketAnswer is POST /ports/{id}/tickets's answer.
type ticketAnswer struct {
	Ticket    string    `json:"ticket"`
	Ports     []string  `json:"ports"`
	ExpiresAt time.Time `json:"expires_at"`
	EventsURL string    `json:"events_url"`
}

// messageTicketAnswer is POST /ports/{id}/messages/{message_id}/tickets's
// answer.
type messageTicketAnswer struct {
	Ticket    string    `json:"ticket"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// askTicket asks for a ticket for p with the body (none when empty).
func (c *client) askTicket(p port, body string) response {
	c.t.Helper()
	r := req{method: "POST", path: "/ports/" + p.ID + "/tickets", token: p.Token, body: body}
	if body != "" {
		r.contentType = "application/json"
	}
	return c.do(r)
}

// ticket gets a ticket for p and the extra ports, in that order.
func (c *client) ticket(p port, extra ...port) ticketAnswer {
	c.t.Helper()
	body := ""
	if len(extra) > 0 {
		entries := make([]string, len(extra))
		for i, e := range extra {
			entries[i] = `{"port":"` + e.ID + `","token":"` + e.Token + `"}`
		}
		body = `{"ports":[` + strings.Join(entries, ",") + `]}`
	}
	res := c.askTicket(p, body).want(c.t, http.StatusCreated)
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		c.t.Errorf("Cache-Control %q on a ticket, want no-store", cc)
	}
	return decodeBody[ticketAnswer](c.t, res)
}

// ticketStream is an event stream opened with a ticket, read by an SSE
// client of its own (github.com/tmaxmax/go-sse) rather than ours.
type ticketStream struct {
	t      *testing.T
	status int
	body   []byte // a refusal's body
	header http.Header
	events chan gosse.Event
	closer io.Closer
}

// openURL opens the stream at path (an events_url), with a Last-Event-ID
// header unless lastEventID is empty, and with extra headers.
func (c *client) openURL(path, lastEventID string, header map[string]string) *ticketStream {
	c.t.Helper()
	hr, err := http.NewRequest("GET", c.url+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if lastEventID != "" {
		hr.Header.Set("Last-Event-ID", lastEventID)
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		c.t.Fatalf("open %s: %v", path, err)
	}
	c.t.Cleanup(func() { res.Body.Close() })
	s := &ticketStream{t: c.t, status: res.StatusCode, header: res.Header, closer: res.Body}
	if res.StatusCode != http.StatusOK {
		s.body, _ = io.ReadAll(res.Body)
		checkSpec(c.t, hr, res, s.body)
		return s
	}
	checkSpec(c.t, hr, res, nil)
	s.events = make(chan gosse.Event, 1024)
	go func() {
		defer close(s.events)
		for ev, err := range gosse.Read(res.Body, nil) {
			if err != nil {
				return
			}
			s.events <- ev
		}
	}()
	return s
}

// problem returns the refusal the stream was answered with.
func (s *ticketStream) problem(status int, code string) problem {
	s.t.Helper()
	return response{status: s.status, header: s.header, body: s.body}.wantProblem(s.t, status, code)
}

// next returns the next event.
func (s *ticketStream) next() gosse.Event {
	s.t.Helper()
	if s.events == nil {
		s.t.Fatalf("the stream was refused: %d %s", s.status, s.body)
	}
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatal("stream ended, want another event")
		}
		return ev
	case <-time.After(waitLimit):
		s.t.Fatalf("no event within %v", waitLimit)
	}
	panic("unreachable")
}

// streamedMessage is a message event: its SSE id and its data.
type streamedMessage struct {
	id string
	message
	Port string `json:"port"`
}

// nextMessage returns the next event, which must be a message.
func (s *ticketStream) nextMessage() streamedMessage {
	s.t.Helper()
	ev := s.next()
	if ev.Type != "message" {
		s.t.Fatalf("got %+v, want a message", ev)
	}
	m := streamedMessage{id: ev.LastEventID}
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
		s.t.Fatalf("message data %q: %v", ev.Data, err)
	}
	return m
}

// wantEnd fails the test unless the stream ends without another event.
func (s *ticketStream) wantEnd() {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if ok {
			s.t.Fatalf("got %+v, want the stream to end", ev)
		}
	case <-time.After(waitLimit):
		s.t.Fatalf("stream still open after %v", waitLimit)
	}
}

func (s *ticketStream) close() { s.closer.Close() }

// A ticket opens the stream of the port it was issued for: the messages
// arrive with the port they were queued at, under their plain event ids.
func TestTicketStream(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.TicketTTL = 30 * time.Second })
		ch := c.createChannel()
		id1 := c.send(ch.Port1, `"one"`)
		before := time.Now()
		tk := c.ticket(ch.Port2)
		after := time.Now()
		if len(tk.Ports) != 1 || tk.Ports[0] != ch.Port2.ID {
			t.Errorf("ticket ports %v, want [%s]", tk.Ports, ch.Port2.ID)
		}
		if want := "/ports/" + ch.Port2.ID + "/events?ticket=" + url.QueryEscape(tk.Ticket); tk.EventsURL != want {
			t.Errorf("events_url %q, want %q", tk.EventsURL, want)
		}
		// The TTL from when the ticket was issued, between before and
		// after, however long that took; a second either way for the
		// timestamp's precision.
		if tk.ExpiresAt.Before(before.Add(29*time.Second)) || tk.ExpiresAt.After(after.Add(31*time.Second)) {
			t.Errorf("expires_at %v is %v after the request began and %v after it ended, want 30s", tk.ExpiresAt, tk.ExpiresAt.Sub(before), tk.ExpiresAt.Sub(after))
		}
		s := c.openURL(tk.EventsURL, "", nil)
		if m := s.nextMessage(); m.id != id1 || m.ID != id1 || m.Port != ch.Port2.ID || string(m.Data) != `"one"` {
			t.Errorf("first message %+v, want %s at %s", m, id1, ch.Port2.ID)
		}
		id2 := c.send(ch.Port1, `"two"`)
		if m := s.nextMessage(); m.id != id2 || m.Port != ch.Port2.ID {
			t.Errorf("live message %+v, want %s", m, id2)
		}
		// Long polls tag their messages with the port too.
		l := c.list(ch.Port2, "")
		if len(l.Messages) != 2 {
			t.Errorf("long poll: %d messages, want 2", len(l.Messages))
		}
		for _, m := range l.Messages {
			if m.Port != ch.Port2.ID {
				t.Errorf("long poll: message %s tagged with port %q, want %s", m.ID, m.Port, ch.Port2.ID)
			}
		}
	})
}

// A ticket works once: the second stream it opens is refused, as is a
// stream opened with a made-up ticket.
func TestTicketSingleUse(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		tk := c.ticket(ch.Port2)
		c.openURL(tk.EventsURL, "", nil).close()
		again := c.openURL(tk.EventsURL, "", nil)
		again.problem(http.StatusUnauthorized, "invalid_ticket")
		if h := again.header.Get("WWW-Authenticate"); h != `Bearer realm="tincan"` {
			t.Errorf("WWW-Authenticate %q", h)
		}
		c.openURL("/ports/"+ch.Port2.ID+"/events?ticket="+store.NewToken(), "", nil).problem(http.StatusUnauthorized, "invalid_ticket")
		c.openURL("/ports/"+ch.Port2.ID+"/events?ticket=", "", nil).problem(http.StatusUnauthorized, "invalid_ticket")
		c.openURL("/ports/not-a-port/events?ticket="+tk.Ticket, "", nil).problem(http.StatusUnauthorized, "invalid_ticket")
	})
}

// A ticket stops working when its TTL is over (on the store's clock, which
// the test moves).
func TestTicketExpiry(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		const ttl = 50 * time.Millisecond
		clock := storetest.NewClock()
		c := e.server(t, func(o *options) {
			o.cfg.TicketTTL = ttl
			o.now = clock.Now
		})
		ch := c.createChannel()
		tk := c.ticket(ch.Port2)
		clock.Advance(2 * ttl)
		c.openURL(tk.EventsURL, "", nil).problem(http.StatusUnauthorized, "invalid_ticket")
	})
}

// A ticket presented for another port is refused and not used up: it still
// opens its own port's stream afterwards.
func TestTicketOtherPort(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		tk := c.ticket(ch.Port2)
		c.openURL("/ports/"+ch.Port1.ID+"/events?ticket="+url.QueryEscape(tk.Ticket), "", nil).problem(http.StatusUnauthorized, "invalid_ticket")
		id := c.send(ch.Port1, `1`)
		if m := c.openURL(tk.EventsURL, "", nil).nextMessage(); m.id != id {
			t.Errorf("message %+v, want %s", m, id)
		}
	})
}

// Who may have a ticket, and for how many ports: a token that may read
// (full or listen), each port once, at most MaxTicketPorts. A refused
// extra port is answered with its own error, naming its entry, and nothing
// is issued.
func TestTicketRefusals(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxTicketPorts = 3 })
		a, b := c.createChannel(), c.createChannel()
		mint := func(p port, scope string) port {
			res := c.do(req{method: "POST", path: "/ports/" + p.ID + "/tokens", token: p.Token, contentType: "application/json", body: `{"scope":"` + scope + `"}`})
			return port{ID: p.ID, Token: decodeBody[struct{ Token string }](t, res.want(t, http.StatusCreated)).Token}
		}
		listen, post := mint(a.Port2, "listen"), mint(a.Port2, "post")

		c.ticket(listen)
		c.askTicket(post, "").wantProblem(t, http.StatusForbidden, "insufficient_scope")
		c.askTicket(a.Port2, "{}").want(t, http.StatusCreated)
		c.askTicket(port{ID: a.Port2.ID, Token: "wrong"}, "").wantProblem(t, http.StatusUnauthorized, "unauthorized")

		entry := func(p port) string { return `{"port":"` + p.ID + `","token":"` + p.Token + `"}` }
		for _, tc := range []struct {
			name, body string
			status     int
			code       string
			detail     string
		}{
			{"post scope", `{"ports":[` + entry(b.Port2) + `,` + entry(mint(b.Port1, "post")) + `]}`, http.StatusForbidden, "insufficient_scope", "Entry 1 "},
			{"wrong token", `{"ports":[` + entry(port{ID: b.Port2.ID, Token: "wrong"}) + `]}`, http.StatusUnauthorized, "unauthorized", "Entry 0 "},
			{"path port again", `{"ports":[` + entry(a.Port2) + `]}`, http.StatusBadRequest, "invalid_request", "Entry 0 "},
			{"twice", `{"ports":[` + entry(b.Port2) + `,` + entry(b.Port2) + `]}`, http.StatusBadRequest, "invalid_request", "Entry 1 "},
			{"too many", `{"ports":[` + entry(b.Port1) + `,` + entry(b.Port2) + `,` + entry(a.Port1) + `]}`, http.StatusBadRequest, "invalid_request", "at most 3"},
			{"unknown field", `{"port":[]}`, http.StatusBadRequest, "invalid_request", ""},
			{"not JSON", `ports`, http.StatusBadRequest, "invalid_request", ""},
		} {
			p := c.askTicket(a.Port2, tc.body).wantProblem(t, tc.status, tc.code)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("%s: detail %q, want it to contain %q", tc.name, p.Detail, tc.detail)
			}
		}

		c.transfer(b.Port2).want(t, http.StatusOK)
		p := c.askTicket(a.Port2, `{"ports":[`+entry(b.Port2)+`]}`).wantProblem(t, http.StatusForbidden, "port_transferred")
		if !strings.Contains(p.Detail, "Entry 0 ") {
			t.Errorf("transferred entry: detail %q", p.Detail)
		}
	})
}

// A ticket is the stream's only credential: with a token as well the
// request is refused (and the ticket not used up), and it is accepted
// where ?access_token= is refused.
func TestTicketAndTokens(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.RefuseQueryTokens = true })
		ch := c.createChannel()
		res := c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID + "/events?access_token=" + ch.Port2.Token})
		res.wantProblem(t, http.StatusUnauthorized, "unauthorized")

		tk := c.ticket(ch.Port2)
		c.openURL(tk.EventsURL, "", map[string]string{"Authorization": "Bearer " + ch.Port2.Token}).problem(http.StatusBadRequest, "invalid_request")
		id := c.send(ch.Port1, `1`)
		if m := c.openURL(tk.EventsURL, "", nil).nextMessage(); m.id != id {
			t.Errorf("message %+v, want %s", m, id)
		}

		open := e.server(t)
		ch = open.createChannel()
		tk = open.ticket(ch.Port2)
		open.openURL(tk.EventsURL+"&access_token="+ch.Port2.Token, "", nil).problem(http.StatusBadRequest, "invalid_request")
		open.openURL(tk.EventsURL, "", nil).close()
	})
}

// One ticket for two ports: one stream delivers both ports' messages,
// each tagged with its port, under composite ids; resuming with a new
// ticket and the last composite id loses and repeats nothing, and
// acknowledges each port through its part.
func TestTicketManyPorts(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		a, b := c.createChannel(), c.createChannel()
		a1, a2 := c.send(a.Port1, `"a1"`), c.send(a.Port1, `"a2"`)
		b1 := c.send(b.Port1, `"b1"`)

		tk := c.ticket(a.Port2, b.Port2)
		if len(tk.Ports) != 2 || tk.Ports[0] != a.Port2.ID || tk.Ports[1] != b.Port2.ID {
			t.Fatalf("ticket ports %v, want [%s %s]", tk.Ports, a.Port2.ID, b.Port2.ID)
		}
		s := c.openURL(tk.EventsURL, "", nil)
		want := func(s *ticketStream, id, port, data, position string) {
			t.Helper()
			m := s.nextMessage()
			if m.ID != id || m.Port != port || string(m.Data) != data || m.id != position {
				t.Fatalf("got message %s at %s (%s) with SSE id %q; want %s at %s (%s) with %q", m.ID, m.Port, m.Data, m.id, id, port, data, position)
			}
		}
		want(s, a1, a.Port2.ID, `"a1"`, a1+",")
		want(s, a2, a.Port2.ID, `"a2"`, a2+",")
		want(s, b1, b.Port2.ID, `"b1"`, a2+","+b1)
		b2 := c.send(b.Port1, `"b2"`)
		want(s, b2, b.Port2.ID, `"b2"`, a2+","+b2)
		s.close()

		a3, b3 := c.send(a.Port1, `"a3"`), c.send(b.Port1, `"b3"`)
		bad := c.ticket(a.Port2, b.Port2)
		c.openURL(bad.EventsURL, a2, nil).problem(http.StatusBadRequest, "invalid_request")

		tk = c.ticket(a.Port2, b.Port2)
		s = c.openURL(tk.EventsURL, a2+","+b2, nil)
		want(s, a3, a.Port2.ID, `"a3"`, a3+","+b2)
		want(s, b3, b.Port2.ID, `"b3"`, a3+","+b3)
		if info := c.describe(a.Port2); info.AckedEventID != a2 || info.Queued != 1 {
			t.Errorf("port a after resume: acked %q queued %d, want %s and 1", info.AckedEventID, info.Queued, a2)
		}
		if info := c.describe(b.Port2); info.AckedEventID != b2 || info.Queued != 1 {
			t.Errorf("port b after resume: acked %q queued %d, want %s and 1", info.AckedEventID, info.Queued, b2)
		}
		s.close()

		// A part may be empty: that port resumes from its oldest
		// unacknowledged message, here b3.
		tk = c.ticket(a.Port2, b.Port2)
		s = c.openURL("/ports/"+a.Port2.ID+"/events?ticket="+url.QueryEscape(tk.Ticket)+"&last_event_id="+url.QueryEscape(a3+","), "", nil)
		want(s, b3, b.Port2.ID, `"b3"`, a3+","+b3)
	})
}

// In a stream of several ports, a port whose channel closes or that is
// transferred gets its event and leaves; the others go on streaming, and
// the stream ends with its last port. It is counted against each port.
func TestTicketPortsLeave(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxStreamsPerPort = 1 })
		a, b := c.createChannel(), c.createChannel()
		s := c.openURL(c.ticket(a.Port2, b.Port2).EventsURL, "", nil)
		if ports, clients := waitCounted(t, c, 2); clients != 1 {
			t.Errorf("one stream of two ports counted %d times by port and %d by client", ports, clients)
		}
		c.do(req{method: "GET", path: "/ports/" + b.Port2.ID + "/events", token: b.Port2.Token}).wantProblem(t, http.StatusTooManyRequests, "too_many_streams")

		c.closePort(b.Port1).want(t, http.StatusNoContent)
		ev := s.next()
		if ev.Type != "close" || !strings.Contains(ev.Data, `"port":"`+b.Port2.ID+`"`) {
			t.Fatalf("got %+v, want b's close", ev)
		}
		id := c.send(a.Port1, `"still here"`)
		if m := s.nextMessage(); m.ID != id || m.Port != a.Port2.ID {
			t.Fatalf("after b left: %+v, want %s at a", m, id)
		}
		newToken := decodeBody[port](t, c.transfer(a.Port2).want(t, http.StatusOK))
		ev = s.next()
		if ev.Type != "transferred" || !strings.Contains(ev.Data, `"port":"`+a.Port2.ID+`"`) {
			t.Fatalf("got %+v, want a's transferred", ev)
		}
		s.wantEnd()
		waitStreams(t, c, 0)

		// A stream whose every port is closed with nothing left after its
		// resume point is 204.
		c.closePort(a.Port1).want(t, http.StatusNoContent)
		a2 := port{ID: a.Port2.ID, Token: newToken.Token}
		if res := c.openURL(c.ticket(a2, b.Port2).EventsURL, id+",", nil); res.status != http.StatusNoContent {
			t.Errorf("stream of closed ports: %d, want 204", res.status)
		}
	})
}

// waitCounted waits until the server counts ports streams by port, and
// returns the counts.
func waitCounted(t *testing.T, c *client, ports int) (int, int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		p, cl := c.srv.streams.open()
		if p == ports || time.Now().After(deadline) {
			return p, cl
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The request log shows the query, with every token and ticket replaced
// by REDACTED, and the other parameters as they were.
func TestTicketLogRedacted(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		var logs syncbuf.Buffer
		st := e.open(t, store.Limits{})
		srv := NewServer(slog.New(slog.NewTextHandler(&logs, nil)), st, Config{KeepAlive: time.Minute})
		ts := httptest.NewServer(srv)
		t.Cleanup(func() {
			srv.CloseStreams()
			ts.Close()
		})
		c := &client{t: t, url: ts.URL, hc: ts.Client(), srv: srv, store: st}
		ch := c.createChannel()
		id := c.send(ch.Port1, `1`)

		tk := c.ticket(ch.Port2)
		s := c.openURL(tk.EventsURL+"&last_event_id="+id, "", nil)
		c.list(ch.Port2, "wait=0&access_token="+ch.Port2.Token+"&access_token=again")
		c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID + "?access_token=" + ch.Port2.Token}).want(t, http.StatusOK)
		s.close()
		// The stream's line is written once its handler has returned.
		deadline := time.Now().Add(waitLimit)
		for !strings.Contains(logs.String(), "ticket=REDACTED") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}

		log := logs.String()
		for _, secret := range []string{tk.Ticket, ch.Port2.Token, url.QueryEscape(tk.Ticket), ch.Port1.Token} {
			if strings.Contains(log, secret) {
				t.Errorf("the log holds a secret %q:\n%s", secret, log)
			}
		}
		for _, want := range []string{
			"last_event_id=" + id + "&ticket=REDACTED",
			"access_token=REDACTED&access_token=REDACTED&wait=0",
			`query="access_token=REDACTED"`,
		} {
			if !strings.Contains(log, want) {
				t.Errorf("the log lacks %s:\n%s", want, log)
			}
		}
	})
}

// redactedQuery keeps what operators need and nothing secret, even from a
// query that does not parse cleanly: a pair that does not parse is left
// out, never passed on raw.
func TestRedactedQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                 "",
		"wait=5&after=1-0":                 "after=1-0&wait=5",
		"ticket=abc&last_event_id=1-0,2-0": "last_event_id=1-0%2C2-0&ticket=REDACTED",
		"access_token=abc&access_token=":   "access_token=REDACTED&access_token=REDACTED",
		"access_token=%zzsecret&wait=1":    "wait=1",
		"ticket=abc;x=secret&wait=1":       "wait=1",
		// Whatever the case, and whatever name a client made up.
		"ACCESS_TOKEN=abc&limit=2":             "ACCESS_TOKEN=REDACTED&limit=2",
		"Access_Token=abc&Ticket=def&TICKET=g": "Access_Token=REDACTED&TICKET=REDACTED&Ticket=REDACTED",
		"access%5Ftoken=abc":                   "access_token=REDACTED",
		"token=abc&jwt=def&WAIT=1":             "WAIT=REDACTED&jwt=REDACTED&token=REDACTED",
	} {
		if got := redactedQuery(&url.URL{RawQuery: raw}); got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
}
