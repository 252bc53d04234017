package handlers

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// TestPlainPostIsOneRedisRoundTrip: a post without a transfer list or an
// Idempotency-Key, through the whole HTTP path, costs the store exactly
// one command on the wire, FCALL of post.lua's function. It is counted twice: by
// the server (MONITOR, which marks a script's own commands "lua" and
// every other with the connection it came on) and by the client (a
// go-redis hook sees each round trip, a pipeline being one). No timing is
// involved: the window is bounded by marker commands, which MONITOR shows
// in execution order.
func TestPlainPostIsOneRedisRoundTrip(t *testing.T) {
	t.Parallel()
	// Extra arguments make Start run a server of this test's own even when
	// REDIS_URL names a shared one: other clients must not be counted.
	srv := redistest.Start(t, "--save", "")
	rc := srv.Client(t)
	hook := &roundTrips{}
	rc.AddHook(hook)
	st, err := redisstore.New(context.Background(), rc, redisstore.Options{
		Prefix: redistest.Prefix(t),
		// No sweep of abandoned moves during the test: it is a command
		// of its own, on a timer.
		SweepInterval: time.Hour,
		Logger:        slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), st, Config{})
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
	})
	ch, err := st.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	post := func() {
		t.Helper()
		r, err := http.NewRequest(http.MethodPost, ts.URL+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader(`{"data":{"n":1}}`))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		r.Header.Set("Content-Type", "application/json")
		res, err := ts.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("post: status %d", res.StatusCode)
		}
	}
	// The store loads its library when it starts; a first post still
	// warms the connections.
	post()

	mon := monitor(t, srv.Addr)
	marker := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = marker.Close() })
	// Commands on subscribed connections are the listener's, not the
	// post's (it would only ever PING there).
	subscribers := subscriberAddrs(t, marker)

	echo := func(name string) {
		t.Helper()
		if err := marker.Echo(t.Context(), name).Err(); err != nil {
			t.Fatal(err)
		}
	}
	echo("before-post")
	mon.until(t, "before-post")
	before := hook.count()
	post()
	after := hook.count()
	echo("after-post")
	lines := mon.until(t, "after-post")

	var client, script []string
	for _, l := range lines {
		switch {
		case l.addr == "lua":
			script = append(script, l.cmd)
		case !subscribers[l.addr]:
			client = append(client, l.cmd)
		}
	}
	if len(client) != 1 || client[0] != "fcall" {
		t.Errorf("the server got %q from clients for one post, want exactly [fcall]", client)
	}
	if !contains(script, "xadd") {
		t.Errorf("the script ran %q, want an XADD among them", script)
	}
	if n := after - before; n != 1 {
		t.Errorf("the client made %d round trips (%q) for one post, want 1", n, hook.names(before, after))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// roundTrips is a go-redis hook that records each round trip: a command,
// or a whole pipeline.
type roundTrips struct {
	mu    sync.Mutex
	trips []string
}

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.add(cmd.Name())
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.Name()
		}
		h.add("pipeline(" + strings.Join(names, ",") + ")")
		return next(ctx, cmds)
	}
}

func (h *roundTrips) add(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trips = append(h.trips, name)
}

func (h *roundTrips) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.trips)
}

func (h *roundTrips) names(from, to int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.trips[from:to]...)
}

// monitored is a MONITOR connection's output.
type monitored struct {
	r *bufio.Reader
}

// monitorLine is one command MONITOR reported: the connection it came on
// ("lua" for a script's own) and its name, lowercase.
type monitorLine struct {
	addr, cmd string
	args      string
}

// monitor opens a MONITOR connection to addr, closed at the test's end.
func monitor(t *testing.T, addr string) *monitored {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(waitLimit))
	if _, err := io.WriteString(conn, "*1\r\n$7\r\nMONITOR\r\n"); err != nil {
		t.Fatal(err)
	}
	m := &monitored{r: bufio.NewReader(conn)}
	if l, err := m.r.ReadString('\n'); err != nil || l != "+OK\r\n" {
		t.Fatalf("MONITOR answered %q, %v", l, err)
	}
	return m
}

// next reads the next reported command.
func (m *monitored) next(t *testing.T) monitorLine {
	t.Helper()
	l, err := m.r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading MONITOR: %v", err)
	}
	// +1732190000.123456 [0 127.0.0.1:52984] "evalsha" "..." ...
	_, rest, ok := strings.Cut(l, "[")
	conn, rest, ok2 := strings.Cut(rest, "]")
	if !ok || !ok2 {
		t.Fatalf("MONITOR line %q", l)
	}
	fields := strings.Fields(conn)
	rest = strings.TrimSpace(rest)
	cmd, args, _ := strings.Cut(rest, " ")
	return monitorLine{addr: fields[len(fields)-1], cmd: strings.ToLower(strings.Trim(cmd, `"`)), args: args}
}

// until returns the commands reported before the ECHO of marker, and
// reads that ECHO too.
func (m *monitored) until(t *testing.T, marker string) []monitorLine {
	t.Helper()
	var lines []monitorLine
	for {
		l := m.next(t)
		if l.cmd == "echo" && strings.Contains(l.args, marker) {
			return lines
		}
		lines = append(lines, l)
	}
}

// subscriberAddrs are the addresses of the server's connections in
// pub/sub mode, if any.
func subscriberAddrs(t *testing.T, c *redis.Client) map[string]bool {
	t.Helper()
	list, err := c.ClientList(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(list), "\n") {
		f := map[string]string{}
		for kv := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(kv, "=")
			f[k] = v
		}
		if f["sub"] != "0" || f["psub"] != "0" || f["ssub"] != "0" {
			addrs[f["addr"]] = true
		}
	}
	return addrs
}
