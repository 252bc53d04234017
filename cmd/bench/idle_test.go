package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sseStub is a loopback server that answers every request with the header
// of an event stream and then holds the connection, noting where each
// came from and how each ended.
type sseStub struct {
	ln net.Listener
	wg sync.WaitGroup

	mu      sync.Mutex
	from    map[string]int // source address → streams
	resets  int            // connections that ended with a reset
	endings int            // connections that ended at all
}

func newSSEStub(t *testing.T) *sseStub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sseStub{ln: ln, from: map[string]int{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go s.serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *sseStub) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	s.mu.Lock()
	s.from[c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().String()]++
	s.mu.Unlock()
	if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: ok\n\n")); err != nil {
		return
	}
	// Held until the client closes it; how tells the FIN (EOF) from a
	// reset.
	_, err := br.ReadByte()
	s.mu.Lock()
	s.endings++
	if errors.Is(err, syscall.ECONNRESET) {
		s.resets++
	}
	s.mu.Unlock()
}

// ended waits until n connections have ended and returns how many of
// them were reset.
func (s *sseStub) ended(t *testing.T, n int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		endings, resets := s.endings, s.resets
		s.mu.Unlock()
		if endings >= n {
			return resets
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d connections ended", endings, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestIdleStreamsFromSeveralSources opens a few idle streams over real
// loopback from several source addresses, as S4 does at 100,000, and
// checks that they are spread evenly over 127.0.0.1, 127.0.0.2, ..., that
// each port was left for connect to pick, and that closing them resets
// them (no TIME_WAIT left holding ports).
func TestIdleStreamsFromSeveralSources(t *testing.T) {
	stub := newSSEStub(t)
	srcs, err := sourceAddrs(10, 3)
	if err != nil {
		t.Fatal(err)
	}
	chans := make([]channel, 10)
	for i := range chans {
		chans[i] = channel{eventsURL: fmt.Sprintf("http://%s/ports/p%d/events", stub.ln.Addr(), i), eventsToken: "t"}
	}
	var opened atomic.Int64
	conns, err := openIdleStreams(context.Background(), chans, srcs, &opened)
	if err != nil {
		t.Fatal(err)
	}
	if opened.Load() != int64(len(chans)) {
		t.Errorf("%d streams counted open, want %d", opened.Load(), len(chans))
	}
	want := map[string]int{"127.0.0.1": 3, "127.0.0.2": 3, "127.0.0.3": 2, "127.0.0.4": 2}
	stub.mu.Lock()
	got := fmt.Sprint(stub.from)
	stub.mu.Unlock()
	if got != fmt.Sprint(want) {
		t.Errorf("streams by source address: %s, want %v", got, want)
	}
	for i, c := range conns {
		local := c.LocalAddr().(*net.TCPAddr).AddrPort().Addr()
		if w := srcs[i%len(srcs)]; local != w {
			t.Errorf("stream %d comes from %v, want %v", i, local, w)
		}
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var noPort int
		var gerr error
		_ = raw.Control(func(fd uintptr) {
			noPort, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT)
		})
		if gerr != nil || noPort != 1 {
			t.Errorf("stream %d: IP_BIND_ADDRESS_NO_PORT %d, %v; want 1", i, noPort, gerr)
		}
	}
	closeIdle(conns)
	if resets := stub.ended(t, len(conns)); resets != len(conns) {
		t.Errorf("%d of %d closed streams were reset, want all", resets, len(conns))
	}
}

// TestIdleStreamsFailing checks that a stream the server refuses fails
// the opening with what it answered, having closed the streams opened.
func TestIdleStreamsFailing(t *testing.T) {
	stub := newSSEStub(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		_, _ = br.ReadString('\n')
		_, _ = c.Write([]byte("HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n"))
	}()
	defer func() {
		ln.Close()
		<-done
	}()
	srcs, err := sourceAddrs(3, 2)
	if err != nil {
		t.Fatal(err)
	}
	chans := []channel{
		{eventsURL: "http://" + stub.ln.Addr().String() + "/ports/a/events"},
		{eventsURL: "http://" + stub.ln.Addr().String() + "/ports/b/events"},
		{eventsURL: "http://" + ln.Addr().String() + "/ports/c/events"},
	}
	conns, err := openIdleStreams(context.Background(), chans, srcs, new(atomic.Int64))
	if err == nil || !strings.Contains(err.Error(), "429") || conns != nil {
		t.Fatalf("got %v, %v; want no streams and the 429", conns, err)
	}
	stub.mu.Lock()
	opened := stub.from["127.0.0.1"] + stub.from["127.0.0.2"]
	stub.mu.Unlock()
	stub.ended(t, opened)
}

func TestSourceAddrs(t *testing.T) {
	for _, c := range []struct {
		n, perSource int
		want         string
	}{
		{0, 100, "127.0.0.1"},
		{10000, 14116, "127.0.0.1"},
		{14117, 14116, "127.0.0.1-2"},
		{100000, 14116, "127.0.0.1-8"},
		{254, 1, "127.0.0.1-254"},
	} {
		srcs, err := sourceAddrs(c.n, c.perSource)
		if err != nil {
			t.Errorf("%d at %d each: %v", c.n, c.perSource, err)
			continue
		}
		got := srcs[0].String()
		if len(srcs) > 1 {
			got += fmt.Sprintf("-%d", srcs[len(srcs)-1].As4()[3])
		}
		for i, a := range srcs {
			if a != netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)}) {
				t.Errorf("%d at %d each: address %d is %v", c.n, c.perSource, i, a)
			}
		}
		if got != c.want {
			t.Errorf("%d at %d each: %s, want %s", c.n, c.perSource, got, c.want)
		}
	}
	for _, c := range [][2]int{{255, 1}, {10, 0}} {
		if _, err := sourceAddrs(c[0], c[1]); err == nil {
			t.Errorf("%d at %d each: want an error", c[0], c[1])
		}
	}
	if n := streamsPerSource(); n < 1 {
		t.Errorf("streams per source %d", n)
	}
}

// TestSetFileLimit checks how the bench sets its open-files limit: the
// soft one up to the hard one, the hard one raised where a run needs
// more and that is allowed, and where it is not, the hard one kept and
// the reason given.
func TestSetFileLimit(t *testing.T) {
	eperm := func(_ int, l *syscall.Rlimit) error {
		if l.Max > 20000 {
			return syscall.EPERM
		}
		return nil
	}
	for _, c := range []struct {
		name      string
		need      uint64
		nrOpen    uint64
		set       func(int, *syscall.Rlimit) error
		want      uint64
		wantSet   syscall.Rlimit
		wantShort string
	}{
		{"enough", 12048, 1048576, eperm, 20000, syscall.Rlimit{Cur: 20000, Max: 20000}, ""},
		{"raised", 102048, 1048576, nil, 102048, syscall.Rlimit{Cur: 102048, Max: 102048}, ""},
		{"not allowed", 102048, 1048576, eperm, 20000, syscall.Rlimit{Cur: 20000, Max: 20000}, "could not be raised to 102048 (operation not permitted: it takes root"},
		{"ceiling", 2000000, 1048576, nil, 1048576, syscall.Rlimit{Cur: 1048576, Max: 1048576}, "fs.nr_open is 1048576, below the 2000000 needed"},
		{"ceiling unknown", 102048, 0, nil, 102048, syscall.Rlimit{Cur: 102048, Max: 102048}, ""},
	} {
		var last syscall.Rlimit
		set := func(res int, l *syscall.Rlimit) error {
			if res != syscall.RLIMIT_NOFILE {
				t.Errorf("%s: set resource %d", c.name, res)
			}
			if c.set != nil {
				if err := c.set(res, l); err != nil {
					return err
				}
			}
			last = *l
			return nil
		}
		got, short, err := setFileLimit(syscall.Rlimit{Cur: 1024, Max: 20000}, c.need, c.nrOpen, set)
		if err != nil || got != c.want || last != c.wantSet || !strings.Contains(short, c.wantShort) || (c.wantShort == "") != (short == "") {
			t.Errorf("%s: %d, %q, %v, set %+v; want %d, %q, set %+v", c.name, got, short, err, last, c.want, c.wantShort, c.wantSet)
		}
	}
}

// TestStreamsThatFit checks that a limit short of S4's need makes it
// open fewer streams and say so, rather than fail or open them silently.
func TestStreamsThatFit(t *testing.T) {
	if n, note, err := streamsThatFit(100000, 102048, ""); n != 100000 || note != "" || err != nil {
		t.Errorf("limit enough: %d, %q, %v", n, note, err)
	}
	n, note, err := streamsThatFit(100000, 20000, "the hard limit 20000 could not be raised")
	if n != 20000-fdMargin || err != nil || !strings.Contains(note, fmt.Sprintf("S4 opens %d streams, not the 100000 asked: the hard limit", n)) {
		t.Errorf("limit short: %d, %q, %v", n, note, err)
	}
	if _, _, err := streamsThatFit(100000, fdMargin, "too low"); err == nil {
		t.Error("no room at all: want an error")
	}
}

func TestS4StreamsFlag(t *testing.T) {
	var out strings.Builder
	o, err := parseFlags([]string{"-scenarios", "S4", "-s4-streams", "100000", "-runs", "1"}, &out)
	if err != nil || o.sizes.s4Streams != 100000 || o.sizes.s1Messages != fullSizes.s1Messages || o.runs != 1 {
		t.Errorf("-s4-streams 100000: %+v, %v", o, err)
	}
	if o, err := parseFlags([]string{"-smoke"}, &out); err != nil || o.sizes.s4Streams != smokeSizes.s4Streams {
		t.Errorf("-smoke: %d streams, %v", o.sizes.s4Streams, err)
	}
	if _, err := parseFlags([]string{"-s4-streams", "-1"}, &out); err == nil {
		t.Error("-s4-streams -1: want an error")
	}
}

// TestIdleReportSaysFewer checks that a run that opened fewer streams
// than asked says so above its tables and names the count it opened.
func TestIdleReportSaysFewer(t *testing.T) {
	res := idleResult{Streams: 17952, Asked: 100000, Sources: 2, OpenSeconds: 2, OpenServerCPUus: 150, RedisClientsBefore: -1}
	rep := report{
		Machine: machine{OpenFilesShort: "S4 opens 17952 streams, not the 100000 asked: the hard limit 20000 could not be raised"},
		Rows:    []row{{Scenario: s4, Target: apiMemoryName, Run: 1, Idle: &res}},
		Load:    describeLoad(sizes{s4Streams: 100000}),
	}
	var md strings.Builder
	rep.writeMarkdown(&md, []string{s4})
	for _, want := range []string{
		"\n**Fewer streams than asked.** S4 opens 17952 streams, not the 100000 asked: ",
		"\n## S4 idle streams: 17952 on distinct ports",
		"\n| api-memory | 2 | 0.00 | 2.00 | 8976 | 150 | 0 | 0 | ",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report has no %q:\n%s", want, md.String())
		}
	}
}

// TestProgress checks that a long S4 says how far it is until stopped,
// and not after.
func TestProgress(t *testing.T) {
	var mu sync.Mutex
	var log strings.Builder
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return log.Write(p)
	})
	var n atomic.Int64
	stop := progress(w, time.Millisecond, func() string { return fmt.Sprintf("%d open", n.Add(1)) })
	for {
		mu.Lock()
		said := log.String()
		mu.Unlock()
		if strings.Contains(said, "bench: 2 open\n") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	mu.Lock()
	said := log.String()
	mu.Unlock()
	// stop returns once the goroutine has ended: a line after this would
	// come from one still running, which goleak would report too.
	if !strings.HasPrefix(said, "bench: 1 open\nbench: 2 open\n") {
		t.Errorf("progress said %q", said)
	}
	if got := n.Load(); got != int64(strings.Count(said, "\n")) {
		t.Errorf("say was called %d times, %d lines written: a call after stop, or a line lost", got, strings.Count(said, "\n"))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
