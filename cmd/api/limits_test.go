package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// withLimitDefaults sets c's client limits to their defaults.
func withLimitDefaults(c Config) Config {
	c.MaxJSONDepth, c.MaxTransfer = 64, 16
	c.MaxStreamsPerPort, c.MaxStreamsPerClient = 8, 256
	c.MaxHeaderBytes = 64 << 10
	c.ReadHeaderTimeout, c.BodyReadTimeout, c.IdleTimeout = 10*time.Second, 30*time.Second, 2*time.Minute
	c.TicketTTL, c.MaxTicketPorts = time.Minute, 16
	c.MaxConnectionsPerClient, c.MaxConnections, c.MaxPendingConnections = 512, 10000, 1024
	return c
}

func TestLimitSettings(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"MAX_JSON_DEPTH":         "10",
		"MAX_TRANSFER":           "2",
		"MAX_STREAMS_PER_PORT":   "3",
		"MAX_STREAMS_PER_CLIENT": "4",
		"MAX_HEADER_BYTES":       "4096",
		"READ_HEADER_TIMEOUT":    "2s",
		"BODY_READ_TIMEOUT":      "5s",
		"IDLE_TIMEOUT":           "1m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxJSONDepth != 10 || cfg.MaxTransfer != 2 || cfg.MaxStreamsPerPort != 3 || cfg.MaxStreamsPerClient != 4 ||
		cfg.MaxHeaderBytes != 4096 || cfg.ReadHeaderTimeout != 2*time.Second || cfg.BodyReadTimeout != 5*time.Second || cfg.IdleTimeout != time.Minute {
		t.Errorf("limits from env: %+v", cfg)
	}
	bad := map[string]string{
		"MAX_JSON_DEPTH": "0", "MAX_TRANSFER": "-1", "MAX_STREAMS_PER_PORT": "many", "MAX_STREAMS_PER_CLIENT": "1.5",
		"MAX_HEADER_BYTES": "64k", "READ_HEADER_TIMEOUT": "0s", "BODY_READ_TIMEOUT": "30", "IDLE_TIMEOUT": "-1m",
	}
	_, err = loadConfig(env(bad))
	for name := range bad {
		if err == nil || !strings.Contains(err.Error(), name+"=") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

// TestHeaderTooLarge checks that Go's server itself answers a header over
// MaxHeaderBytes with 431, as docs/SETTINGS.md says.
func TestHeaderTooLarge(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.MaxHeaderBytes = 1024
	ts.Start()
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Go allows 4 KiB of slack over MaxHeaderBytes; 64 KiB is well past it.
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 64<<10))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", res.StatusCode)
	}
}

func TestCORSSetting(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"CORS_ORIGINS": "https://app.example.com,http://localhost:3000"}))
	if err != nil || cfg.CORSOrigins != "https://app.example.com,http://localhost:3000" {
		t.Errorf("%q, %v", cfg.CORSOrigins, err)
	}
	for _, bad := range []string{"null", "*,https://a.example.com", "https://*.example.com", "example.com"} {
		if _, err := loadConfig(env(map[string]string{"CORS_ORIGINS": bad})); err == nil || !strings.Contains(err.Error(), "CORS_ORIGINS") {
			t.Errorf("CORS_ORIGINS=%q: %v", bad, err)
		}
	}
}

// TestRunSmuggling sends, through the whole service, requests framed by
// both Content-Length and Transfer-Encoding (RFC 9112, section 6.3), one
// of them to OPTIONS *, which net/http would answer itself: each is 400
// and the connection closed, before the request hidden in its body runs.
func TestRunSmuggling(t *testing.T) {
	base, _, _ := startRun(t, "http", map[string]string{"LOG_LEVEL": "error"}, nil)
	hidden := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	body := "0\r\n\r\n" + hidden
	for _, target := range []string{"*", "/healthz", "/channels"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "OPTIONS %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%s", target, len(body), body)
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("OPTIONS %s: %v", target, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !res.Close {
			t.Errorf("OPTIONS %s: %d, close %v; want 400 and the connection closed", target, res.StatusCode, res.Close)
		}
		if rest, err := io.ReadAll(br); len(rest) > 0 || err != nil {
			t.Errorf("OPTIONS %s: then %q, %v; want nothing more", target, rest, err)
		}
	}
}
