package handlers

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The tests of this file are not parallel: they count the goroutines of
// the process, which no other test adds to while they run. The package's
// other tests run on parked streams too with TINCAN_TEST_PARK=1.

// parkedServer starts a server that parks every stream, with no leak of
// goroutines once it and its streams are done.
func parkedServer(t *testing.T, opts ...func(*options)) *client {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	opts = append([]func(*options){func(o *options) { o.cfg.ParkStreams = true }}, opts...)
	return memoryEnv().server(t, opts...)
}

// waitParked waits until n streams are parked.
func waitParked(t *testing.T, c *client, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for c.srv.parker.parkedStreams() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams parked, want %d", c.srv.parker.parkedStreams(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// streamGoroutines counts the goroutines that serve a stream on the
// standard path: its handler's (in stream.wait) and net/http's background
// read of its connection.
func streamGoroutines(t *testing.T) int {
	var b strings.Builder
	if err := pprof.Lookup("goroutine").WriteTo(&b, 2); err != nil {
		t.Fatal(err)
	}
	dump := b.String()
	return strings.Count(dump, "handlers.(*stream).wait") + strings.Count(dump, "(*connReader).backgroundRead")
}

// A parked stream holds no goroutine while idle, and delivers, keeps
// alive and ends as a stream on the standard path does.
func TestParkedStream(t *testing.T) {
	c := parkedServer(t, func(o *options) { o.cfg.KeepAlive = 50 * time.Millisecond })
	ch := c.createChannel()
	s := c.open(ch.Port2, streamReq{})
	if ev := s.nextAny(); ev.retry == "" {
		t.Fatalf("first frame %+v, want the retry hint", ev)
	}
	waitParked(t, c, 1)
	if n := streamGoroutines(t); n != 0 {
		t.Errorf("%d goroutines serve a parked stream", n)
	}
	if m := c.scrape(); m.value("tincan_streams_parked") != 1 || m.value("tincan_streams_open") != 1 {
		t.Errorf("streams_parked %v, streams_open %v, want 1 and 1", m.value("tincan_streams_parked"), m.value("tincan_streams_open"))
	}
	id := c.send(ch.Port1, `"one"`)
	if m := s.nextMessage(); m.ID != id {
		t.Fatalf("got message %s, want %s", m.ID, id)
	}
	for ev := s.nextAny(); ev.comment != "keep-alive"; ev = s.nextAny() {
	}
	waitParked(t, c, 1)
	if n := streamGoroutines(t); n != 0 {
		t.Errorf("%d goroutines serve a parked stream after a delivery", n)
	}
	// Not to be reused: the connection closes with the stream
	// (net/http takes Connection: close out of the header, into Close).
	hr, _ := http.NewRequest("GET", c.url+"/ports/"+ch.Port1.ID+"/events", nil)
	hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
	res, err := c.hc.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Close {
		t.Errorf("a parked stream's answer does not say Connection: close")
	}
	c.closePort(ch.Port1).want(t, http.StatusNoContent)
	_, _ = io.Copy(io.Discard, res.Body) // its close event, then the end
	res.Body.Close()
	if ev := s.next(); ev.typ != "close" {
		t.Fatalf("got %+v, want the close event", ev)
	}
	s.wantEnd()
	waitParked(t, c, 0)
	waitOpenCounts(t, c, 0, 0)
}

// A client that hangs up while its stream is parked is noticed at once,
// without a write (the keep-alive is a minute away): the stream is
// uncounted and leaves nothing behind.
func TestParkedStreamClientGone(t *testing.T) {
	c := parkedServer(t)
	ch := c.createChannel()
	s := c.open(ch.Port2, streamReq{})
	s.nextAny()
	waitParked(t, c, 1)
	waitOpenCounts(t, c, 1, 1)
	s.close()
	waitParked(t, c, 0)
	waitOpenCounts(t, c, 0, 0)
}

// Shutdown ends parked streams as it ends the others: a short retry hint,
// then the end; WaitStreams returns once they are gone.
func TestParkedStreamShutdown(t *testing.T) {
	c := parkedServer(t)
	var streams []*sseStream
	for range 3 {
		ch := c.createChannel()
		s := c.open(ch.Port2, streamReq{})
		s.nextAny()
		streams = append(streams, s)
	}
	waitParked(t, c, 3)
	c.srv.CloseStreams()
	for _, s := range streams {
		if ev := s.nextAny(); ev.retry != strconv.Itoa(int(shutdownRetry.Milliseconds())) || ev.typ+ev.data+ev.id != "" {
			t.Errorf("last frame %+v, want retry: %d alone", ev, shutdownRetry.Milliseconds())
		}
		s.wantEnd()
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.srv.WaitStreams(ctx); err != nil {
		t.Fatal(err)
	}
	waitOpenCounts(t, c, 0, 0)
}

// A stream that opens after shutdown began ends at once when it parks.
func TestParkedStreamAfterShutdown(t *testing.T) {
	c := parkedServer(t)
	ch := c.createChannel()
	c.srv.CloseStreams()
	s := c.open(ch.Port2, streamReq{})
	s.nextAny() // the retry hint that opens every stream
	if ev := s.nextAny(); ev.retry != strconv.Itoa(int(shutdownRetry.Milliseconds())) {
		t.Errorf("last frame %+v, want retry: %d alone", ev, shutdownRetry.Milliseconds())
	}
	s.wantEnd()
	waitParked(t, c, 0)
	waitOpenCounts(t, c, 0, 0)
}

// WaitStreams past its deadline cuts the parked streams rather than wait
// for clients that do not read.
func TestParkedStreamWaitCut(t *testing.T) {
	c := parkedServer(t)
	ch := c.createChannel()
	s := c.open(ch.Port2, streamReq{})
	s.nextAny()
	waitParked(t, c, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.srv.WaitStreams(ctx); err == nil {
		t.Fatal("WaitStreams past its deadline returned no error")
	}
	s.wantEnd()
	waitOpenCounts(t, c, 0, 0)
}

// The chunk writer frames each flush as one chunk and writes nothing for
// an empty flush, which would end the body.
func TestChunkWriter(t *testing.T) {
	var got strings.Builder
	cw := &chunkWriter{conn: &recordConn{w: &got}}
	if err := cw.FlushError(); err != nil {
		t.Fatal(err)
	}
	_, _ = cw.Write([]byte("data: a\n\n"))
	_, _ = cw.Write([]byte(strings.Repeat("x", 20)))
	if err := cw.FlushError(); err != nil {
		t.Fatal(err)
	}
	want := "1d\r\ndata: a\n\n" + strings.Repeat("x", 20) + "\r\n"
	if got.String() != want || cw.written != 29 {
		t.Fatalf("wrote %q (%d counted), want %q", got.String(), cw.written, want)
	}
}

// recordConn is a connection that records what is written to it.
type recordConn struct {
	net.Conn
	w io.Writer
}

func (c *recordConn) Write(b []byte) (int, error) { return c.w.Write(b) }

// A client that stops reading is cut by the write deadline, on either
// stream path (TestMain runs this on both): the stream ends and is
// uncounted, rather than hold its writer forever.
func TestStreamWriteDeadline(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.WriteTimeout = 200 * time.Millisecond })
		ch := c.createChannel()
		conn, err := net.Dial("tcp", strings.TrimPrefix(c.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		fmt.Fprintf(conn, "GET /ports/%s/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", ch.Port2.ID, ch.Port2.Token)
		// The headers and the opening retry hint; then it reads no more.
		buf := make([]byte, 512)
		if _, err := conn.Read(buf); err != nil {
			t.Fatal(err)
		}
		waitOpenCounts(t, c, 1, 1)
		data := `"` + strings.Repeat("x", 200<<10) + `"`
		for i := 0; ; i++ {
			if p, _ := c.srv.streams.open(); p == 0 {
				break // the stream ended: its write waited past the deadline
			}
			if i == 300 {
				t.Fatal("the stream is still open after 60 MiB posted to a client that does not read")
			}
			c.postJSON(ch.Port1, `{"data":`+data+`}`)
		}
		waitOpenCounts(t, c, 0, 0)
	})
}
