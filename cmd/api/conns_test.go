package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/connlimit"
)

func TestConnLimitSettings(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"MAX_CONNECTIONS_PER_CLIENT": "0",
		"MAX_CONNECTIONS":            "100",
		"MAX_PENDING_CONNECTIONS":    "7",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConnectionsPerClient != 0 || cfg.MaxConnections != 100 || cfg.MaxPendingConnections != 7 {
		t.Errorf("from env: %d %d %d", cfg.MaxConnectionsPerClient, cfg.MaxConnections, cfg.MaxPendingConnections)
	}
	bad := map[string]string{"MAX_CONNECTIONS_PER_CLIENT": "-1", "MAX_CONNECTIONS": "many", "MAX_PENDING_CONNECTIONS": "1.5"}
	_, err = loadConfig(env(bad))
	for name := range bad {
		if err == nil || !strings.Contains(err.Error(), name+"=") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

// from is an HTTP client whose connections come from the loopback
// address ip, so that a test can be two clients at once.
func from(ip net.IP) *http.Client {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 10 * time.Second}
}

// scrape reads base/metrics through hc.
func scrape(t *testing.T, hc *http.Client, base string) string {
	t.Helper()
	res, err := hc.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", res.StatusCode, err)
	}
	return string(b)
}

// metric is the value of the series named by prefix in base/metrics.
func metric(t *testing.T, hc *http.Client, base, prefix string) float64 {
	t.Helper()
	v, ok := sample(scrape(t, hc, base), prefix)
	if !ok {
		t.Fatalf("no %s in /metrics", prefix)
	}
	return v
}

// waitMetric polls base/metrics until cond holds for the series named by
// prefix, and returns its value.
func waitMetric(t *testing.T, hc *http.Client, base, prefix string, cond func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := metric(t, hc, base, prefix)
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed at %v", prefix, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// openFDs counts this process's open descriptors, or -1 where
// /proc/self/fd does not exist.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// A flood of connections that send nothing, from one address, against the
// whole service on its default bounds: it holds MAX_CONNECTIONS_PER_CLIENT
// of them and answers the rest 429 at accept, while another address still
// gets /healthz and /readyz answered. Start-up logs the descriptor limit it
// raised. The figures are printed, not asserted.
func TestRunConnectionFlood(t *testing.T) {
	const flood = 5000
	// Both ends live in this process: the flood's sockets, the server's
	// share of them, and room for the rest.
	if soft, _, err := connlimit.RaiseFileLimit(); err == nil && soft < flood+DefaultMaxConnectionsPerClient+1000 {
		t.Skipf("the descriptor limit is %d; the flood needs about %d", soft, flood+DefaultMaxConnectionsPerClient+1000)
	}
	base, logs, _ := startRun(t, "http", map[string]string{"LOG_LEVEL": "info"}, nil)
	addr := strings.TrimPrefix(base, "http://")
	for _, want := range []string{`"msg":"file descriptor limit"`, `"soft":`, `"hard":`, `"msg":"connection limits","per_client":512`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("start-up logs lack %s:\n%s", want, logs)
		}
	}
	other := from(net.IPv4(127, 0, 0, 2))
	defer other.CloseIdleConnections()
	// Only the scraping connection from 127.0.0.2 is left once
	// waitHealthy's has been closed and counted out.
	http.DefaultClient.CloseIdleConnections()
	waitMetric(t, other, base, "tincan_connections_open", func(v float64) bool { return v == 1 })
	accepted0 := metric(t, other, base, "tincan_connections_accepted_total")
	fdsBefore := openFDs()

	start := time.Now()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, Timeout: 10 * time.Second}
	conns := make([]net.Conn, 0, flood)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range flood {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	dialed := time.Since(start)
	refused := waitMetric(t, other, base, `tincan_connections_refused_total{bound="client"}`, func(v float64) bool {
		return v >= flood-DefaultMaxConnectionsPerClient
	})
	settled := time.Since(start)
	exposition := scrape(t, other, base)
	open, _ := sample(exposition, "tincan_connections_open")
	accepted, _ := sample(exposition, "tincan_connections_accepted_total")
	fdsPeak := openFDs()
	if refused != flood-DefaultMaxConnectionsPerClient || open != DefaultMaxConnectionsPerClient+1 {
		t.Errorf("held %v (the flood's and the scraper's), refused %v; want %d and %d", open, refused, DefaultMaxConnectionsPerClient+1, flood-DefaultMaxConnectionsPerClient)
	}

	// Health checks from another address, each on a new connection.
	probe := from(net.IPv4(127, 0, 0, 2))
	probe.Transport.(*http.Transport).DisableKeepAlives = true
	took := map[string]time.Duration{}
	for _, path := range []string{"/healthz", "/readyz"} {
		t0 := time.Now()
		res, err := probe.Get(base + path)
		if err != nil {
			t.Fatalf("%s from 127.0.0.2 during the flood: %v", path, err)
		}
		res.Body.Close()
		took[path] = time.Since(t0)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s from 127.0.0.2 during the flood: %d", path, res.StatusCode)
		}
	}
	// The last connection of the flood was refused: it reads the 429.
	last := conns[len(conns)-1]
	_ = last.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(last), nil)
	if err != nil || res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("the last connection of the flood: %v %v", res, err)
	}

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	waitMetric(t, other, base, "tincan_connections_open", func(v float64) bool { return v <= 2 })
	t.Logf("flood of %d idle connections from 127.0.0.1 on the defaults (MAX_CONNECTIONS_PER_CLIENT=%d):", flood, DefaultMaxConnectionsPerClient)
	t.Logf("  dialed in %v, all admitted or refused after %v: %v admitted, %v refused with 429",
		dialed.Round(time.Millisecond), settled.Round(time.Millisecond), accepted-accepted0, refused)
	t.Logf("  /healthz from 127.0.0.2 in %v, /readyz in %v, each on a new connection",
		took["/healthz"].Round(time.Microsecond), took["/readyz"].Round(time.Microsecond))
	t.Logf("  open descriptors of the process (client and server sides): before %d, during %d, after %d",
		fdsBefore, fdsPeak, openFDs())
}

// Behind a trusted proxy, a forwarded client's long polls count as its
// connections: past MAX_CONNECTIONS_PER_CLIENT, 429 too_many_connections,
// while another client behind the same proxy is served.
func TestRunForwardedClientConnections(t *testing.T) {
	base, _, _ := startRun(t, "http", map[string]string{"MAX_CONNECTIONS_PER_CLIENT": "2", "TRUSTED_PROXIES": "127.0.0.1", "LOG_LEVEL": "error"}, nil)
	ch := createChannel(t, base)
	poll := func(client, wait string) *http.Response {
		req, _ := http.NewRequest("GET", base+"/ports/"+ch.Port1.ID+"/messages?wait="+wait, nil)
		req.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		req.Header.Set("X-Forwarded-For", client)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var polls sync.WaitGroup
	statuses := make(chan int, 2)
	for range 2 {
		polls.Go(func() {
			res := poll("203.0.113.5", "30")
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses <- res.StatusCode
		})
	}
	waitMetric(t, http.DefaultClient, base, "tincan_connections_forwarded", func(v float64) bool { return v == 2 })

	res := poll("203.0.113.5", "30")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), `"too_many_connections"`) || res.Header.Get("Retry-After") == "" {
		t.Errorf("a third long poll of the same client: %d %s %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	res = poll("203.0.113.6", "0")
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("another client behind the same proxy: %d", res.StatusCode)
	}

	// A message ends the two long polls, which count out.
	post(t, base, ch.Port2, "wake up")
	polls.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("a long poll: %d", s)
		}
	}
	waitMetric(t, http.DefaultClient, base, "tincan_connections_forwarded", func(v float64) bool { return v == 0 })
}
