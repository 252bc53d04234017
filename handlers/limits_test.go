package handlers

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestJSONDepthLimit(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxJSONDepth = 8 })
		ch := c.createChannel()
		// The body's own object is one level: data may nest 7 more.
		ok := strings.Repeat("[", 7) + strings.Repeat("]", 7)
		c.postJSON(ch.Port1, `{"data":`+ok+`}`).want(t, http.StatusCreated)
		deep := strings.Repeat("[", 8) + strings.Repeat("]", 8)
		p := c.postJSON(ch.Port1, `{"data":`+deep+`}`).wantProblem(t, http.StatusBadRequest, "invalid_request")
		if !strings.Contains(p.Detail, "more than 8 deep") {
			t.Errorf("detail %q", p.Detail)
		}
		// Far deeper than the decoder would like, and never closed.
		c.postJSON(ch.Port1, `{"data":`+strings.Repeat(`{"a":[`, 20000)).wantProblem(t, http.StatusBadRequest, "invalid_request")
		c.do(req{method: "POST", path: "/ports/" + ch.Port2.ID + "/ack", token: ch.Port2.Token, contentType: "application/json",
			body: `{"through":` + deep + `}`}).wantProblem(t, http.StatusBadRequest, "invalid_request")
		// Brackets inside strings do not count.
		c.postJSON(ch.Port1, `{"data":"`+strings.Repeat(`[{\"`, 50)+`"}`).want(t, http.StatusCreated)
		if got := c.describe(ch.Port2).Queued; got != 2 {
			t.Errorf("queued %d, want 2: the refused posts stored something", got)
		}
	})
}

func TestTransferListLimit(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxTransfer = 2 })
		ch := c.createChannel()
		var list []string
		for range 3 {
			other := c.createChannel()
			list = append(list, fmt.Sprintf(`{"port":%q,"token":%q}`, other.Port1.ID, other.Port1.Token))
		}
		p := c.postJSON(ch.Port1, `{"data":1,"transfer":[`+strings.Join(list, ",")+`]}`).wantProblem(t, http.StatusBadRequest, "invalid_request")
		if !strings.Contains(p.Detail, "at most 2") {
			t.Errorf("detail %q", p.Detail)
		}
		c.postJSON(ch.Port1, `{"data":1,"transfer":[`+strings.Join(list[:2], ",")+`]}`).want(t, http.StatusCreated)
	})
}

// waitStreams waits until the server counts want open streams.
func waitStreams(t *testing.T, c *client, want int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		ports, clients := c.srv.streams.open()
		if ports == want && clients == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("open streams counted: %d by port, %d by client; want %d", ports, clients, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStreamsPerPortLimit(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxStreamsPerPort = 2 })
		ch := c.createChannel()
		a := c.open(ch.Port2, streamReq{})
		b := c.open(ch.Port2, streamReq{})
		if a.status != http.StatusOK || b.status != http.StatusOK {
			t.Fatalf("statuses %d %d", a.status, b.status)
		}
		third := c.open(ch.Port2, streamReq{})
		if third.status != http.StatusTooManyRequests || third.header.Get("Retry-After") == "" {
			t.Fatalf("third stream: status %d, Retry-After %q", third.status, third.header.Get("Retry-After"))
		}
		// The other port of the channel has its own count.
		if o := c.open(ch.Port1, streamReq{}); o.status != http.StatusOK {
			t.Fatalf("other port: status %d", o.status)
		} else {
			o.close()
		}
		a.close()
		waitStreams(t, c, 1)
		if again := c.open(ch.Port2, streamReq{}); again.status != http.StatusOK {
			t.Fatalf("after a close: status %d", again.status)
		} else {
			again.close()
		}
		b.close()
		waitStreams(t, c, 0)
	})
}

func TestStreamsPerClientLimit(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxStreamsPerClient = 3 })
		var open []*sseStream
		for range 3 {
			s := c.open(c.createChannel().Port1, streamReq{})
			if s.status != http.StatusOK {
				t.Fatalf("status %d", s.status)
			}
			open = append(open, s)
		}
		// An X-Forwarded-For header changes nothing: the TCP peer counts.
		ch := c.createChannel()
		hr, _ := http.NewRequest("GET", c.url+"/ports/"+ch.Port1.ID+"/events", nil)
		hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		hr.Header.Set("X-Forwarded-For", "203.0.113.9")
		res, err := c.hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("fourth stream: status %d, want 429", res.StatusCode)
		}
		c.open(ch.Port1, streamReq{}).wantProblemStatus(t, http.StatusTooManyRequests)
		for _, s := range open {
			s.close()
		}
		waitStreams(t, c, 0)
	})
}

// wantProblemStatus fails unless a stream was refused with status.
func (s *sseStream) wantProblemStatus(t *testing.T, status int) {
	t.Helper()
	if s.status != status {
		t.Fatalf("stream status %d, want %d", s.status, status)
	}
}

// TestStreamCountsUnderConcurrency opens and ends many streams at once:
// never more than the limit are admitted, and the counts return to zero.
func TestStreamCountsUnderConcurrency(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		const limit, tries = 4, 40
		c := e.server(t, func(o *options) { o.cfg.MaxStreamsPerPort = limit })
		ch := c.createChannel()
		var mu sync.Mutex
		admitted := 0
		var wg sync.WaitGroup
		streams := make(chan *sseStream, tries)
		for range tries {
			wg.Go(func() {
				s := c.open(ch.Port2, streamReq{})
				if s.status == http.StatusOK {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
				streams <- s
			})
		}
		wg.Wait()
		close(streams)
		if admitted != limit {
			t.Errorf("%d streams admitted, want exactly %d", admitted, limit)
		}
		for s := range streams {
			s.close()
		}
		waitStreams(t, c, 0)
	})
}

func TestStreamCounterExact(t *testing.T) {
	sc := newStreamCounter(3, 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	held, most := 0, 0
	for i := range 64 {
		wg.Go(func() {
			for range 200 {
				release, err := sc.acquire([]string{"p"}, fmt.Sprint(i%4))
				if err != nil {
					continue
				}
				mu.Lock()
				held++
				most = max(most, held)
				mu.Unlock()
				mu.Lock()
				held--
				mu.Unlock()
				release()
				release() // a second release is harmless
			}
		})
	}
	wg.Wait()
	if most > 3 {
		t.Errorf("%d held at once, limit 3", most)
	}
	if p, cl := sc.open(); p != 0 || cl != 0 || len(sc.byPort) != 0 || len(sc.byClient) != 0 {
		t.Errorf("left counted: %d %d", p, cl)
	}
}

// TestBodyReadTimeout trickles a body: the answer is 408, once the
// timeout has passed, and the server holds nothing afterwards. (The test
// server has no other timeout: without this one the body would be waited
// for until the client gives up, after 30 s.) How long it took is logged.
func TestBodyReadTimeout(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.BodyReadTimeout = 300 * time.Millisecond })
		ch := c.createChannel()
		conn, err := net.Dial("tcp", strings.TrimPrefix(c.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST /ports/%s/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\":", ch.Port1.ID, ch.Port1.Token)
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("status %d, want 408", res.StatusCode)
		}
		d := time.Since(start)
		if d < 300*time.Millisecond {
			t.Errorf("answered after %v, before the timeout", d)
		}
		t.Logf("408 after %v (BodyReadTimeout 300ms)", d.Round(time.Millisecond))
		// A body that arrives in time is fine, and a slow handler after it
		// is not cut by the lifted deadline.
		c.postJSON(ch.Port1, `{"data":1}`).want(t, http.StatusCreated)
		if got := c.describe(ch.Port2).Queued; got != 1 {
			t.Errorf("queued %d, want 1", got)
		}
	})
}

// A long poll counts toward MAX_STREAMS_PER_CLIENT while it waits, beside
// the client's event streams: over HTTP/2 many share one connection, so
// the bound on connections would not hold them. A poll with something to
// answer at once waits for nothing and is not refused.
func TestLongPollsCountPerClient(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxStreamsPerClient = 2 })
		ch, other := c.createChannel(), c.createChannel()
		stream := c.open(other.Port1, streamReq{})
		if stream.status != http.StatusOK {
			t.Fatalf("stream: %d", stream.status)
		}
		polled := make(chan int, 1)
		go func() {
			hr, _ := http.NewRequest("GET", c.url+"/ports/"+ch.Port2.ID+"/messages?wait=30", nil)
			hr.Header.Set("Authorization", "Bearer "+ch.Port2.Token)
			res, err := c.hc.Do(hr)
			if err != nil {
				t.Errorf("long poll: %v", err)
				polled <- 0
				return
			}
			res.Body.Close()
			polled <- res.StatusCode
		}()
		waitOpenCounts(t, c, 1, 2)

		wait := func(p port) response {
			return c.do(req{method: "GET", path: "/ports/" + p.ID + "/messages?wait=30", token: p.Token})
		}
		wait(other.Port2).wantProblem(t, http.StatusTooManyRequests, "too_many_streams")
		c.open(other.Port2, streamReq{}).wantProblemStatus(t, http.StatusTooManyRequests)
		c.send(ch.Port2, `"queued"`)
		wait(ch.Port1).want(t, http.StatusOK)

		c.send(ch.Port1, `"wake up"`)
		if s := <-polled; s != http.StatusOK {
			t.Errorf("the waiting long poll: %d", s)
		}
		stream.close()
		waitStreams(t, c, 0)
	})
}

// waitOpenCounts waits until the server counts ports streams by port and
// clients streams and long polls by client.
func waitOpenCounts(t *testing.T, c *client, ports, clients int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, cl := c.srv.streams.open()
		if p == ports && cl == clients {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counted %d by port, %d by client; want %d and %d", p, cl, ports, clients)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
