package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// Bounds in bytes over HTTP (see docs/SECURITY.md, API4): a port's queue
// (MAX_QUEUE_BYTES, the store's), a long poll's answer (LONG_POLL_MAX_BYTES),
// a broadcast (MAX_BROADCAST_BYTES, the store's) and the bytes of messages
// the whole process handles at once (MAX_INFLIGHT_BYTES). The HTTP layer is
// tested on the embedded store; the stores' own suite holds Redis to the
// same rules.

// memoryServer starts a server over a fresh memory store.
func memoryServer(t *testing.T, opts ...func(*options)) *client {
	t.Helper()
	return memoryEnv().server(t, opts...)
}

// textOf returns a text body of n bytes, which the server stores as a JSON
// string of n+2.
func textOf(n int, letter byte) string { return strings.Repeat(string(letter), n) }

// postText posts a text body through p.
func (c *client) postText(p port, body string) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: "text/plain", body: body})
}

// A post that would take the receiver's queue past MAX_QUEUE_BYTES is 429
// queue_full, with a detail that names the bytes, and stores nothing;
// GET /ports/{id} shows the bytes queued, and an ack gives them back.
func TestQueueBytesOverHTTP(t *testing.T) {
	t.Parallel()
	c := memoryServer(t, func(o *options) { o.limits.MaxQueueBytes = 1000 })
	ch := c.createChannel()
	first := decodeBody[struct{ ID string }](t, c.postText(ch.Port1, textOf(598, 'a')).want(t, http.StatusCreated)).ID
	c.postText(ch.Port1, textOf(398, 'b')).want(t, http.StatusCreated) // 600 + 400: full to the byte
	p := c.postText(ch.Port1, "c").wantProblem(t, http.StatusTooManyRequests, "queue_full")
	if !strings.Contains(p.Detail, "MAX_QUEUE_BYTES") {
		t.Errorf("detail %q does not name MAX_QUEUE_BYTES", p.Detail)
	}
	if info := c.describe(ch.Port2); info.Queued != 2 || info.QueuedBytes != 1000 {
		t.Errorf("port2 queued %d messages of %d bytes, want 2 of 1000", info.Queued, info.QueuedBytes)
	}
	c.ack(ch.Port2, first).want(t, http.StatusNoContent)
	if info := c.describe(ch.Port2); info.QueuedBytes != 400 {
		t.Errorf("after the ack: %d bytes queued, want 400", info.QueuedBytes)
	}
	c.postText(ch.Port1, textOf(598, 'c')).want(t, http.StatusCreated)
}

// Contract of LONG_POLL_MAX_BYTES: with large messages queued, a long poll
// with limit=1000 answers fewer messages rather than more bytes, never a
// body over the budget, but always the first message, however large; and
// reading on with `next` reaches every message, in order.
func TestLongPollAnswerBounded(t *testing.T) {
	t.Parallel()
	const budget = 1 << 20
	c := memoryServer(t, func(o *options) { o.cfg.LongPollMaxBytes = budget })
	ch := c.createChannel()
	var ids []string
	for i := range 30 {
		size := 200 << 10
		if i%3 == 2 {
			size = 100 // small ones in between
		}
		res := c.postText(ch.Port1, textOf(size, byte('a'+i%26))).want(t, http.StatusCreated)
		ids = append(ids, decodeBody[struct{ ID string }](t, res).ID)
	}
	var got []string
	after, answers := "", 0
	for len(got) < len(ids) && answers < len(ids) {
		res := c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID + "/messages?limit=1000&after=" + after, token: ch.Port2.Token}).want(t, http.StatusOK)
		answers++
		if len(res.body) > budget {
			t.Errorf("answer %d: %d bytes, over the budget of %d", answers, len(res.body), budget)
		}
		l := decodeBody[list](t, res)
		if len(l.Messages) == 0 {
			t.Fatalf("answer %d holds no message, with %d of %d still to read", answers, len(ids)-len(got), len(ids))
		}
		for _, m := range l.Messages {
			got = append(got, m.ID)
		}
		if l.Next != l.Messages[len(l.Messages)-1].ID {
			t.Errorf("answer %d: next %q is not its last message %q", answers, l.Next, l.Messages[len(l.Messages)-1].ID)
		}
		after = l.Next
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("reading on with next reached %d messages, want all %d in order", len(got), len(ids))
	}
	t.Logf("%d messages (%d of 200 KiB) read in %d answers of at most %d bytes", len(ids), 20, answers, budget)

	// A message larger than the whole budget still comes, alone.
	big := memoryServer(t, func(o *options) { o.cfg.LongPollMaxBytes = 100 << 10 })
	bch := big.createChannel()
	big.postText(bch.Port1, textOf(200<<10, 'x')).want(t, http.StatusCreated)
	big.postText(bch.Port1, "small").want(t, http.StatusCreated)
	if l := big.list(bch.Port2, "limit=1000"); len(l.Messages) != 1 || len(l.Messages[0].Data) != 200<<10+2 {
		t.Errorf("a message over the budget: %d messages answered, want it alone", len(l.Messages))
	}
}

// TestLongPollsMeasured queues large messages and has 4 clients read the
// whole queue at once with limit=1000, paging with next. It prints the
// peak of the Go heap against the heap with the queue held, and asserts
// that each answer holds at most LONG_POLL_MAX_BYTES and that the heap
// grows with the answers, not with the queue: under a ceiling that 4
// answers of the whole queue would pass (at the suite's size, +11 MiB with
// the bound against +80 MiB with a bound over the queue).
//
// With TINCAN_MEASURE=1 it measures the defaults, the figures of
// docs/SECURITY.md: 250 messages of 250 KiB, up to the default
// MAX_QUEUE_BYTES (62.5 MiB), and the default bound of 4 MiB, where before
// one answer held the whole queue (the issue measured 4 such reads taking
// a process from 478 MB to a 4.18 GB peak, with 1,000 messages of 256 KiB
// queued). The suite runs the same reads at a sixteenth of the size: a
// quarter of the messages, a quarter as large, against a bound of 256 KiB;
// the race detector makes the full size take a minute.
func TestLongPollsMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("queues 4 MiB")
	}
	n, size, bound, ceiling := 64, 250<<8, 256<<10, uint64(32<<20)
	if os.Getenv("TINCAN_MEASURE") == "1" {
		n, size, bound, ceiling = 250, 250<<10, DefaultLongPollMaxBytes, 256<<20
	}
	c := memoryServer(t, func(o *options) { o.cfg.LongPollMaxBytes = int64(bound) })
	ch := c.createChannel()
	body := textOf(size, 'm')
	for range n {
		c.postText(ch.Port1, body).want(t, http.StatusCreated)
	}
	if info := c.describe(ch.Port2); info.Queued != n {
		t.Fatalf("queued %d, want %d", info.Queued, n)
	}
	base := liveHeap()
	peak := watchHeap(t)
	start := time.Now()

	const readers, rounds = 4, 1
	var wg sync.WaitGroup
	var answers, largest atomic.Int64
	errs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			for range rounds {
				after, read := "", 0
				for read < n {
					b, err := getBody(c, "/ports/"+ch.Port2.ID+"/messages?limit=1000&after="+after, ch.Port2.Token)
					if err != nil {
						errs <- err
						return
					}
					var l list
					if err := json.Unmarshal(b, &l); err != nil || len(l.Messages) == 0 {
						errs <- errors.New("an answer without messages")
						return
					}
					answers.Add(1)
					if int64(len(b)) > largest.Load() {
						largest.Store(int64(len(b)))
					}
					read += len(l.Messages)
					after = l.Next
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	took := time.Since(start)
	top := peak()
	// The heap is the test process's: the readers' copies of the answers
	// count too.
	t.Logf("%d readers × %d rounds of a %.1f MiB queue (limit=1000) in %v: %d answers, the largest %.2f MiB; heap %.0f MiB with the queue, peak %.0f MiB (+%.0f MiB, the readers' copies included)",
		readers, rounds, float64(n*size)/(1<<20), took.Round(time.Millisecond), answers.Load(), float64(largest.Load())/(1<<20),
		float64(base)/(1<<20), float64(top)/(1<<20), float64(top-base)/(1<<20))
	if largest.Load() > int64(bound) {
		t.Errorf("an answer of %d bytes, over LONG_POLL_MAX_BYTES (%d)", largest.Load(), bound)
	}
	if top-base > ceiling {
		t.Errorf("the heap grew %d MiB over the queue's for 4 long polls at a time, answers of at most %d KiB", (top-base)>>20, bound>>10)
	}
}

// getBody GETs path with token and returns the body of a 200; it may run
// on any goroutine.
func getBody(c *client, path, token string) ([]byte, error) {
	hr, err := http.NewRequest("GET", c.url+path, nil)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	res, err := c.hc.Do(hr)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = errors.New(res.Status + ": " + string(b))
	}
	return b, err
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// watchHeap samples the heap in use every few milliseconds until the
// returned function is called, which returns the highest sample.
func watchHeap(t *testing.T) func() uint64 {
	stop := make(chan struct{})
	var top atomic.Uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > top.Load() {
				top.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	var once sync.Once
	done := func() uint64 {
		once.Do(func() {
			close(stop)
			wg.Wait()
		})
		return top.Load()
	}
	t.Cleanup(func() { done() })
	return done
}

// membersOf makes n channels in c's store and a collection of their ports
// 1, straight through the store (10,000 requests would only slow the
// test), and returns it with the peers.
func membersOf(t *testing.T, c *client, n int) (store.NewCollection, []store.Credentials) {
	t.Helper()
	ctx := t.Context()
	coll, err := c.store.CreateCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	peers := make([]store.Credentials, n)
	for i := range n {
		ch, err := c.store.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.store.AddMember(ctx, coll.ID, coll.Token, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}); err != nil {
			t.Fatal(err)
		}
		peers[i] = store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
	}
	return coll, peers
}

// TestBroadcastBytesMeasured: a broadcast of 256 KiB to 10,000 members
// (2.5 GB, where the issue measured 42-67 s and +2.5 GB of RSS) is 413
// broadcast_too_large before anything is stored, and the heap does not
// grow for it; one of 4 KiB (40 MiB, within the default
// MAX_BROADCAST_BYTES) is made, while a post through another channel is
// served in the middle of it. Figures are printed; only the refusal, the
// deliveries and a wide ceiling on the heap are asserted. Those are the
// figures of docs/SECURITY.md, with TINCAN_MEASURE=1; the suite runs the
// same with an eighth of the members (the refused broadcast still 312 MiB,
// five times MAX_BROADCAST_BYTES and ten times the heap's ceiling).
func TestBroadcastBytesMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 1,250 channels")
	}
	c := memoryServer(t)
	n := 1_250
	if os.Getenv("TINCAN_MEASURE") == "1" {
		n = 10_000
	}
	coll, peers := membersOf(t, c, n)
	path := "/collections/" + coll.ID + "/messages"
	base := liveHeap()

	p := c.do(req{method: "POST", path: path, token: coll.Token, contentType: "text/plain", body: textOf(256<<10-2, 'x')}).
		wantProblem(t, http.StatusRequestEntityTooLarge, "broadcast_too_large")
	refusedHeap := liveHeap()
	for _, i := range []int{0, n / 2, n - 1} {
		if info, _ := c.store.Describe(t.Context(), peers[i]); info.Posted != 0 {
			t.Errorf("peer %d was posted %d messages by a refused broadcast", i, info.Posted)
		}
	}
	t.Logf("256 KiB to %d members: %s (%s); heap %+.1f MiB", n, p.Code, p.Detail, (float64(refusedHeap)-float64(base))/(1<<20))
	if refusedHeap > base+32<<20 {
		t.Errorf("the heap grew %d MiB for a refused broadcast", (refusedHeap-base)>>20)
	}

	other := c.createChannel()
	var during []time.Duration
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			start := time.Now()
			hr, _ := http.NewRequest("POST", c.url+"/ports/"+other.Port1.ID+"/messages", strings.NewReader("meanwhile"))
			hr.Header.Set("Authorization", "Bearer "+other.Port1.Token)
			hr.Header.Set("Content-Type", "text/plain")
			res, err := c.hc.Do(hr)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			during = append(during, time.Since(start))
		}
	})
	start := time.Now()
	res := c.do(req{method: "POST", path: path, token: coll.Token, contentType: "text/plain", body: textOf(4<<10-2, 'y')}).want(t, http.StatusOK)
	took := time.Since(start)
	close(done)
	wg.Wait()
	out := decodeBody[struct {
		Reached int      `json:"reached"`
		Unknown []string `json:"unknown"`
	}](t, res)
	if out.Reached != n || len(out.Unknown) != 0 {
		t.Errorf("reached %d, unknown %d; want all %d reached", out.Reached, len(out.Unknown), n)
	}
	var slowest time.Duration
	for _, d := range during {
		slowest = max(slowest, d)
	}
	t.Logf("4 KiB to %d members: %v; %d posts through another channel meanwhile, the slowest %v; heap %+.1f MiB",
		n, took.Round(time.Millisecond), len(during), slowest.Round(time.Millisecond), (float64(liveHeap())-float64(base))/(1<<20))
}

// gatedPosts holds every Post until open is closed (let, once).
type gatedPosts struct {
	store.Store
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

// let opens the gate; again is harmless. A test registers it as a cleanup
// after its server's, so that a failed test lets the held posts go and
// the server can close.
func (g *gatedPosts) let() { g.once.Do(func() { close(g.open) }) }

func (g *gatedPosts) Post(ctx context.Context, from store.Credentials, msg store.Outgoing) (store.EventID, error) {
	g.entered <- struct{}{}
	<-g.open
	return g.Store.Post(ctx, from, msg)
}

// Contract of MAX_INFLIGHT_BYTES: the bodies of posts being handled count
// against it, so that a post that would pass it is 503 server_busy with
// Retry-After and changes nothing, as is a long poll whose answer would;
// once the posts in flight are done, their bytes are given back.
func TestInflightBound(t *testing.T) {
	t.Parallel()
	g := &gatedPosts{entered: make(chan struct{}, 4), open: make(chan struct{})}
	c := memoryEnv().wrap(func(st store.Store) store.Store {
		g.Store = st
		return g // posts wait at the gate; everything else passes
	}).server(t, func(o *options) {
		o.cfg.MaxInflightBytes = 300 << 10
		o.cfg.LongPollMaxBytes = 200 << 10
	})
	t.Cleanup(g.let)
	ch := c.createChannel()

	first := make(chan response, 1)
	go func() {
		hr, _ := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader(textOf(200<<10, 'a')))
		hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		hr.Header.Set("Content-Type", "text/plain")
		res, err := c.hc.Do(hr)
		if err != nil {
			t.Error(err)
			first <- response{}
			return
		}
		defer res.Body.Close()
		first <- response{status: res.StatusCode}
	}()
	select {
	case <-g.entered:
	case <-time.After(waitLimit):
		t.Fatal("the first post never reached the store")
	}
	if got := c.srv.inflight.inUse(); got != 200<<10 {
		t.Errorf("%d bytes in flight with one post of 200 KiB held, want %d", got, 200<<10)
	}
	res := c.postText(ch.Port1, textOf(200<<10, 'b'))
	res.wantProblem(t, http.StatusServiceUnavailable, "server_busy")
	if res.header.Get("Retry-After") == "" {
		t.Error("server_busy without Retry-After")
	}
	c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID + "/messages", token: ch.Port2.Token}).
		wantProblem(t, http.StatusServiceUnavailable, "server_busy")
	// A small body still fits beside the held one.
	small := make(chan int, 1)
	go func() {
		hr, _ := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader("small"))
		hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		hr.Header.Set("Content-Type", "text/plain")
		res, err := c.hc.Do(hr)
		if err != nil {
			small <- 0
			return
		}
		res.Body.Close()
		small <- res.StatusCode
	}()
	<-g.entered
	g.let()
	if r := <-first; r.status != http.StatusCreated {
		t.Errorf("the held post: %d, want 201", r.status)
	}
	if s := <-small; s != http.StatusCreated {
		t.Errorf("the small post: %d, want 201", s)
	}
	if info := c.describe(ch.Port2); info.Queued != 2 {
		t.Errorf("port2 holds %d messages, want the two posts let through", info.Queued)
	}
	c.postText(ch.Port1, textOf(200<<10, 'c')).want(t, http.StatusCreated)
	if l := c.list(ch.Port2, "limit=1000"); len(l.Messages) == 0 {
		t.Error("a long poll once the bytes were given back: no message")
	}
	if got := c.srv.inflight.inUse(); got != 0 {
		t.Errorf("%d bytes still in flight with nothing under way", got)
	}
}

// An event stream counts against MAX_INFLIGHT_BYTES too: with the bytes
// in flight held by a post, opening one is 503 server_busy, and one that is
// open waits its turn rather than fail: the message that arrives meanwhile
// is delivered once the post is done.
func TestInflightStreamWaits(t *testing.T) {
	t.Parallel()
	g := &gatedPosts{entered: make(chan struct{}, 4), open: make(chan struct{})}
	c := memoryEnv().wrap(func(st store.Store) store.Store {
		g.Store = st
		return g
	}).server(t, func(o *options) {
		o.cfg.MaxInflightBytes = 300 << 10
		o.cfg.LongPollMaxBytes = 200 << 10
	})
	t.Cleanup(g.let)
	ch, other := c.createChannel(), c.createChannel()
	s := c.open(ch.Port2, streamReq{})
	defer s.close()
	if ev := s.nextAny(); ev.retry == "" {
		t.Fatalf("the stream opened with %+v, want its retry hint", ev)
	}

	held := make(chan int, 1)
	go func() {
		hr, _ := http.NewRequest("POST", c.url+"/ports/"+other.Port1.ID+"/messages", strings.NewReader(textOf(200<<10, 'a')))
		hr.Header.Set("Authorization", "Bearer "+other.Port1.Token)
		hr.Header.Set("Content-Type", "text/plain")
		res, err := c.hc.Do(hr)
		if err != nil {
			held <- 0
			return
		}
		res.Body.Close()
		held <- res.StatusCode
	}()
	<-g.entered
	c.do(req{method: "GET", path: "/ports/" + other.Port2.ID + "/events", token: other.Port2.Token}).
		wantProblem(t, http.StatusServiceUnavailable, "server_busy")

	id, err := g.Store.Post(t.Context(), store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}, store.Outgoing{Data: json.RawMessage(`"waited"`)})
	if err != nil {
		t.Fatal(err)
	}
	s.wantQuiet(3 * busyRetry) // the stream's read waits for room
	g.let()
	if m := s.nextMessage(); m.ID != id.String() {
		t.Errorf("the stream delivered %s, want %s", m.ID, id)
	}
	if code := <-held; code != http.StatusCreated {
		t.Errorf("the held post: %d", code)
	}
}

// An event stream whose port holds large messages reads them a batch of
// at most streamBatchBytes at a time, and reads again at once after a
// batch its bytes cut short, without waiting for a doorbell: every
// message arrives, in order.
func TestStreamLargeMessages(t *testing.T) {
	t.Parallel()
	c := memoryServer(t)
	ch := c.createChannel()
	const n = 12
	var ids []string
	for i := range n {
		res := c.postText(ch.Port1, textOf(200<<10, byte('a'+i))).want(t, http.StatusCreated)
		ids = append(ids, decodeBody[struct{ ID string }](t, res).ID)
	}
	s := c.open(ch.Port2, streamReq{})
	defer s.close()
	for i := range n {
		m := s.nextMessage()
		if m.ID != ids[i] || len(m.Data) != 200<<10+2 {
			t.Fatalf("message %d: %s of %d bytes, want %s", i, m.ID, len(m.Data), ids[i])
		}
	}
	if got := c.srv.inflight.inUse(); got > streamBatchBytes+300<<10 {
		t.Errorf("%d bytes in flight with one stream caught up", got)
	}
}

// unknownBroadcasts answers every broadcast with its members unknown, as
// a Redis store does when a pipeline's answers are lost.
type unknownBroadcasts struct{ store.Store }

func (u unknownBroadcasts) Broadcast(ctx context.Context, id, token string, msg store.Outgoing) (store.BroadcastResult, error) {
	info, err := u.Store.DescribeCollection(ctx, id, token)
	if err != nil {
		return store.BroadcastResult{}, err
	}
	return store.BroadcastResult{Unknown: info.Members}, nil
}

// A broadcast whose members' outcome the store cannot tell answers them in
// `unknown`, neither reached nor refused, as the spec says.
func TestBroadcastUnknownAnswered(t *testing.T) {
	t.Parallel()
	c := memoryEnv().wrap(func(st store.Store) store.Store { return unknownBroadcasts{st} }).server(t)
	coll, _ := membersOf(t, c, 3)
	res := c.do(req{method: "POST", path: "/collections/" + coll.ID + "/messages", token: coll.Token, contentType: "text/plain", body: "hi"}).want(t, http.StatusOK)
	out := decodeBody[struct {
		Reached int      `json:"reached"`
		Refused []any    `json:"refused"`
		Unknown []string `json:"unknown"`
	}](t, res)
	if out.Reached != 0 || len(out.Refused) != 0 || len(out.Unknown) != 3 {
		t.Errorf("answer %s, want the 3 members unknown", res.body)
	}
}

// inflight: reservations add up to the bound and no further, shrink and
// release give back once, and one larger than the bound is cut to it.
func TestInflightReservations(t *testing.T) {
	t.Parallel()
	f := newInflight(100)
	a, err := f.reserve(60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reserve(41); !errors.Is(err, errServerBusy) {
		t.Errorf("60 + 41 of 100: %v, want errServerBusy", err)
	}
	b, err := f.reserve(40)
	if err != nil {
		t.Fatalf("60 + 40 of 100: %v", err)
	}
	a.shrink(10)
	a.shrink(50) // growing is not shrinking
	if got := f.inUse(); got != 50 {
		t.Errorf("after shrinking 60 to 10: %d in use, want 50", got)
	}
	a.release()
	a.release()
	b.release()
	a.shrink(0)
	if got := f.inUse(); got != 0 {
		t.Errorf("after releasing everything: %d in use", got)
	}
	c, err := f.reserve(1000)
	if err != nil || f.inUse() != 100 {
		t.Errorf("a reservation over the bound: %v, %d in use; want it cut to 100", err, f.inUse())
	}
	c.release()
	var none *reservation
	none.shrink(1)
	none.release()
	if _, err := f.reserve(-5); err != nil || f.inUse() != 0 {
		t.Errorf("a negative reservation: %v, %d in use", err, f.inUse())
	}
}

// heldPosts holds every Post until open is closed, and stores nothing: a
// store as slow as can be, so that every body admitted stays in flight.
type heldPosts struct {
	store.Store
	open    chan struct{}
	entered atomic.Int64
}

func (h *heldPosts) Post(ctx context.Context, from store.Credentials, msg store.Outgoing) (store.EventID, error) {
	h.entered.Add(1)
	select {
	case <-h.open:
	case <-ctx.Done():
		return store.EventID{}, ctx.Err()
	}
	return store.EventID{Ms: 1}, nil
}

// TestInflightMeasured sends 400 posts of 256 KiB at once to a store that
// holds every post, with MAX_INFLIGHT_BYTES at 16 MiB: the bodies admitted
// fit in it (64 of them), the others are 503 server_busy at once, and the
// heap grows by a small multiple of the bound, not of what was sent
// (100 MiB). It prints the figures; the multiple is what docs/SECURITY.md
// states the ceiling with.
func TestInflightMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 100 MiB")
	}
	const bound, size, n = 16 << 20, 256 << 10, 400
	h := &heldPosts{open: make(chan struct{})}
	c := memoryEnv().wrap(func(st store.Store) store.Store {
		h.Store = st
		return h
	}).server(t, func(o *options) { o.cfg.MaxInflightBytes = bound })
	ch := c.createChannel()
	body := strings.Repeat("x", size)
	c.hc.Transport.(*http.Transport).MaxIdleConnsPerHost = n
	base := liveHeap()
	peak := watchHeap(t)

	var wg sync.WaitGroup
	var busy, created, other atomic.Int64
	for range n {
		wg.Go(func() {
			hr, _ := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader(body))
			hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
			hr.Header.Set("Content-Type", "text/plain")
			res, err := c.hc.Do(hr)
			if err != nil {
				other.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			switch res.StatusCode {
			case http.StatusServiceUnavailable:
				busy.Add(1)
			case http.StatusCreated:
				created.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	// Once every request is either held or refused, the heap is at its
	// fullest: then let the held ones through.
	deadline := time.Now().Add(time.Minute)
	for h.entered.Load()+busy.Load()+other.Load() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	held, inUse := h.entered.Load(), c.srv.inflight.inUse()
	top := peak()
	close(h.open)
	wg.Wait()
	t.Logf("%d posts of %d KiB at once, %d MiB in flight at most: %d held (%.1f MiB reserved), %d refused server_busy, %d other; heap %+.0f MiB at the peak (%.1f × the bound)",
		n, size>>10, bound>>20, held, float64(inUse)/(1<<20), busy.Load(), other.Load(),
		float64(top-base)/(1<<20), float64(top-base)/bound)
	if held > bound/size || held+busy.Load() != n || created.Load() != held {
		t.Errorf("%d held, %d refused, %d created of %d; want at most %d held, the rest refused", held, busy.Load(), created.Load(), n, bound/size)
	}
	if top-base > 8*bound {
		t.Errorf("the heap grew %d MiB with %d MiB in flight at most", (top-base)>>20, bound>>20)
	}
	if got := c.srv.inflight.inUse(); got != 0 {
		t.Errorf("%d bytes still in flight", got)
	}
}
