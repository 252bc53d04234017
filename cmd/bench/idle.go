package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sys/unix"
)

// idleResult is what S4 measured on one target.
type idleResult struct {
	Streams int `json:"streams"`
	// Asked is the streams the run asked for: more than Streams when the
	// open-files limit allowed fewer (the report says why).
	Asked int `json:"asked"`
	// Sources is how many loopback addresses the streams came from.
	Sources            int     `json:"sources"`
	RSSBeforeKiB       int     `json:"rss_before_kib"`
	RSSAfterKiB        int     `json:"rss_after_kib"`
	KiBPerStream       float64 `json:"kib_per_stream"`
	GoroutinesBefore   int     `json:"goroutines_before"`
	GoroutinesAfter    int     `json:"goroutines_after"`
	GoroutinesPerStrm  float64 `json:"goroutines_per_stream"`
	RedisClientsBefore int     `json:"redis_clients_before"`
	RedisClientsAfter  int     `json:"redis_clients_after"`
	// StreamsOpen and StreamsParked are what the api counts once the
	// streams are open (tincan_streams_open, tincan_streams_parked): the
	// proof that it holds them, now that a parked stream has no goroutine.
	StreamsOpen   int `json:"streams_open"`
	StreamsParked int `json:"streams_parked"`
	// CreateSeconds is the time creating the channels took, OpenSeconds
	// opening the streams (openConcurrency at a time, each until its
	// answer's header is read).
	CreateSeconds float64 `json:"create_seconds"`
	OpenSeconds   float64 `json:"open_seconds"`
	// OpenServerCPUus, OpenRedisCPUus and OpenBenchCPUus are the CPU time
	// opening the streams took, per stream, in the api, its redis-server
	// (0 on the embedded store) and the bench: unlike OpenSeconds, not
	// stretched by what else the machine runs.
	OpenServerCPUus float64 `json:"open_server_cpu_us"`
	OpenRedisCPUus  float64 `json:"open_redis_cpu_us"`
	OpenBenchCPUus  float64 `json:"open_bench_cpu_us"`
	// BenchRSSBeforeKiB and BenchRSSAfterKiB are the bench's own resident
	// memory before the channels are created and with every stream open,
	// each after collecting its garbage and returning it to the system.
	BenchRSSBeforeKiB int     `json:"bench_rss_before_kib"`
	BenchRSSAfterKiB  int     `json:"bench_rss_after_kib"`
	BenchKiBPerStream float64 `json:"bench_kib_per_stream"`
}

// idleSettle is how long open streams are left before measuring, so that
// every handler has reached its wait.
const idleSettle = time.Second

// openConcurrency bounds channel creations and stream openings in flight.
const openConcurrency = 32

// runIdle opens n event streams on n distinct ports of t, from as many
// loopback source addresses as n needs at perSource streams each, and
// measures the server's memory, goroutines and Redis connections before
// and after, and the bench's own memory. Streams are raw TCP connections
// holding a request's answer unread, with no reader and no goroutine, so
// that the bench itself stays small. Every progressEvery it says on log
// how far creating the channels and opening the streams are.
func runIdle(ctx context.Context, t *target, cl *clients, rdb *redis.Client, n, perSource int, log io.Writer) (idleResult, error) {
	srcs, err := sourceAddrs(n, perSource)
	if err != nil {
		return idleResult{}, err
	}
	res := idleResult{Streams: n, Asked: n, Sources: len(srcs), RedisClientsBefore: -1, RedisClientsAfter: -1}
	if res.BenchRSSBeforeKiB, err = benchRSS(); err != nil {
		return res, err
	}
	created := time.Now()
	chans := make([]channel, n)
	var done atomic.Int64
	stop := progress(log, progressEvery, func() string { return fmt.Sprintf("S4 on %s: %d of %d channels created", t.name, done.Load(), n) })
	err = inParallel(ctx, n, openConcurrency, func(ctx context.Context, i int) error {
		ch, err := t.newChannel(ctx, cl.post, i)
		chans[i] = ch
		done.Add(1)
		return err
	})
	stop()
	if err != nil {
		return res, err
	}
	res.CreateSeconds = time.Since(created).Seconds()
	if res.RSSBeforeKiB, res.GoroutinesBefore, err = t.snapshot(ctx, cl); err != nil {
		return res, err
	}
	if len(t.redis) > 0 {
		if res.RedisClientsBefore, err = redisClients(ctx, rdb); err != nil {
			return res, err
		}
	}
	cpuBefore, err := measureCPU(ctx, t)
	if err != nil {
		return res, err
	}
	opened := time.Now()
	done.Store(0)
	stop = progress(log, progressEvery, func() string { return fmt.Sprintf("S4 on %s: %d of %d streams open", t.name, done.Load(), n) })
	conns, err := openIdleStreams(ctx, chans, srcs, &done)
	stop()
	defer closeIdle(conns)
	if err != nil {
		return res, fmt.Errorf("%s: %w", t.name, err)
	}
	res.OpenSeconds = time.Since(opened).Seconds()
	cpuAfter, err := measureCPU(ctx, t)
	if err != nil {
		return res, err
	}
	perStream := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	res.OpenServerCPUus = perStream(cpuAfter.server - cpuBefore.server)
	res.OpenRedisCPUus = perStream(cpuAfter.redis - cpuBefore.redis)
	res.OpenBenchCPUus = perStream(cpuAfter.bench - cpuBefore.bench)
	// The channels' URLs and tokens are not the streams' cost.
	chans = nil
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if res.RSSAfterKiB, res.GoroutinesAfter, err = t.snapshot(ctx, cl); err != nil {
		return res, err
	}
	if len(t.redis) > 0 {
		if res.RedisClientsAfter, err = redisClients(ctx, rdb); err != nil {
			return res, err
		}
	}
	if res.StreamsOpen, res.StreamsParked, err = t.streamsOpen(ctx, cl); err != nil {
		return res, err
	}
	if res.BenchRSSAfterKiB, err = benchRSS(); err != nil {
		return res, err
	}
	res.KiBPerStream = float64(res.RSSAfterKiB-res.RSSBeforeKiB) / float64(n)
	res.GoroutinesPerStrm = float64(res.GoroutinesAfter-res.GoroutinesBefore) / float64(n)
	res.BenchKiBPerStream = float64(res.BenchRSSAfterKiB-res.BenchRSSBeforeKiB) / float64(n)
	return res, nil
}

// sourcesMax bounds S4's source addresses: 127.0.0.1 to 127.0.0.254.
const sourcesMax = 254

// sourceAddrs are the loopback addresses n streams come from at most
// perSource each: 127.0.0.1, 127.0.0.2 and so on. Linux routes all of
// 127.0.0.0/8 to the loopback interface, so each is a source of its own
// without any set-up, with its own ephemeral ports towards the api.
func sourceAddrs(n, perSource int) ([]netip.Addr, error) {
	if perSource < 1 {
		return nil, fmt.Errorf("%d streams per source address", perSource)
	}
	k := max(1, (n+perSource-1)/perSource)
	if k > sourcesMax {
		return nil, fmt.Errorf("%d streams at %d per source address need %d loopback addresses, more than the %d of 127.0.0.1-254", n, perSource, k, sourcesMax)
	}
	srcs := make([]netip.Addr, k)
	for i := range srcs {
		srcs[i] = netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)})
	}
	return srcs, nil
}

// streamsPerSource is how many streams S4 opens from one source address:
// half the ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range), so
// that no address comes near running out of them, or 10,000 if the range
// cannot be read.
func streamsPerSource() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 10000
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil || hi <= lo {
		return 10000
	}
	return (hi - lo + 1) / 2
}

// openIdleStreams opens a stream on each of chans, the i-th from
// srcs[i mod len(srcs)], openConcurrency at a time, counting those open
// in opened. On an error it closes what it opened and returns nil with
// the error.
func openIdleStreams(ctx context.Context, chans []channel, srcs []netip.Addr, opened *atomic.Int64) ([]net.Conn, error) {
	dialers := make([]*net.Dialer, len(srcs))
	for i, src := range srcs {
		dialers[i] = &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Control: bindWithoutPort}
	}
	conns := make([]net.Conn, len(chans))
	err := inParallel(ctx, len(chans), openConcurrency, func(ctx context.Context, i int) error {
		c, err := openIdle(ctx, dialers[i%len(dialers)], chans[i])
		conns[i] = c
		if err == nil {
			opened.Add(1)
		}
		return err
	})
	if err != nil {
		closeIdle(conns)
		return nil, err
	}
	return conns, nil
}

// bindWithoutPort sets IP_BIND_ADDRESS_NO_PORT on a socket about to be
// bound to a source address, so that its port is picked at connect, where
// only the whole four-tuple must be unique and the port stays shareable
// with the machine's other connections, instead of at bind, where the
// port becomes the address's alone.
func bindWithoutPort(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("set IP_BIND_ADDRESS_NO_PORT: %w", err)
	}
	return nil
}

// closeIdle closes S4's streams with a reset (SO_LINGER 0) rather than a
// FIN: a closed connection then leaves no TIME_WAIT behind to hold its
// port for a minute, which at 100,000 streams would crowd the ephemeral
// ports of the next target's run and of everything else on the machine.
func closeIdle(conns []net.Conn) {
	for _, c := range conns {
		if c == nil {
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
}

// openIdle sends a stream request on a connection of its own, dialled
// with d, and returns once the answer's header says 200, leaving the
// stream unread.
func openIdle(ctx context.Context, d *net.Dialer, ch channel) (net.Conn, error) {
	u, err := url.Parse(ch.eventsURL)
	if err != nil {
		return nil, err
	}
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("open an idle stream: %w", err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nAccept: text/event-stream\r\n"
	if ch.eventsToken != "" {
		req += "Authorization: Bearer " + ch.eventsToken + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		c.Close()
		return nil, fmt.Errorf("open an idle stream: %w", err)
	}
	// The reader is dropped with the header: whatever it read past it
	// is the stream's, which nobody reads.
	br := bufio.NewReaderSize(c, 1024)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		c.Close()
		return nil, fmt.Errorf("open an idle stream: answer %q: %v", strings.TrimSpace(status), err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("open an idle stream: %w", err)
		}
		if line == "\r\n" {
			break
		}
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// progressEvery is how often a long S4 says how far it is.
const progressEvery = 10 * time.Second

// progress writes what say returns to log every interval, until the stop
// it returns is called: at 100,000 streams opening takes minutes.
func progress(log io.Writer, every time.Duration, say func() string) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				fmt.Fprintf(log, "bench: %s\n", say())
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// benchRSS is the bench's own resident memory, in KiB, once its garbage
// is collected and returned to the system.
func benchRSS() (int, error) {
	debug.FreeOSMemory()
	return vmRSS(os.Getpid())
}

// snapshot collects the garbage in t's process (through pprof's heap page,
// which runs a GC first) and reads its resident memory and goroutine count.
func (t *target) snapshot(ctx context.Context, cl *clients) (rssKiB, goroutines int, err error) {
	if _, err = debugGet(ctx, cl, t.debugAddr, "/debug/pprof/heap?gc=1"); err != nil {
		return 0, 0, err
	}
	if goroutines, err = t.goroutines(ctx, cl); err != nil {
		return 0, 0, err
	}
	rssKiB, err = vmRSS(t.procs[0].Pid())
	return rssKiB, goroutines, err
}

// streamsOpen reads the api's gauges of open and parked event streams
// from its /metrics.
func (t *target) streamsOpen(ctx context.Context, cl *clients) (open, parked int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	res, err := cl.post.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("%s: GET /metrics: %d %v", t.name, res.StatusCode, err)
	}
	gauge := func(name string) (int, error) {
		for line := range strings.Lines(string(page)) {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return int(f), err
			}
		}
		return 0, fmt.Errorf("%s: /metrics has no %s", t.name, name)
	}
	if open, err = gauge("tincan_streams_open"); err != nil {
		return 0, 0, err
	}
	parked, err = gauge("tincan_streams_parked")
	return open, parked, err
}

// goroutines is the total of t's goroutine profile.
func (t *target) goroutines(ctx context.Context, cl *clients) (int, error) {
	page, err := debugGet(ctx, cl, t.debugAddr, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(page, "\n")
	n, err := strconv.Atoi(strings.TrimPrefix(first, "goroutine profile: total "))
	if err != nil {
		return 0, fmt.Errorf("%s: goroutine profile starts %q", t.name, first)
	}
	return n, nil
}

// debugGet fetches a page of the api's pprof listener.
func debugGet(ctx context.Context, cl *clients, addr, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := cl.post.Do(req)
	if err != nil {
		return "", fmt.Errorf("debug page %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("debug page %s: %d %v", path, resp.StatusCode, err)
	}
	return string(body), nil
}

// vmRSS reads a process's resident set size, in KiB, from /proc.
func vmRSS(pid int) (int, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// redisClients is INFO clients' connected_clients (the bench's own
// connection included).
func redisClients(ctx context.Context, rdb *redis.Client) (int, error) {
	info, err := rdb.Info(ctx, "clients").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO clients: %w", err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(line, "connected_clients:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("INFO clients has no connected_clients")
}

// streamsGoneTimeout bounds the wait for closed idle streams' handlers to
// end before the next measurement.
const streamsGoneTimeout = 30 * time.Second

// waitStreamsGone waits until t runs no more goroutines than it did before
// S4 opened its streams (a few more are allowed for what else runs), so
// that the next run's "before" is not S4's leftovers.
func (t *target) waitStreamsGone(ctx context.Context, cl *clients, before int) error {
	deadline := time.Now().Add(streamsGoneTimeout)
	for {
		n, err := t.goroutines(ctx, cl)
		if err != nil {
			return err
		}
		if n <= before+16 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still runs %d goroutines %v after its idle streams closed (%d before them)", t.name, n, streamsGoneTimeout, before)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
