package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// healthcheckRun runs `api healthcheck args...` in-process with the
// settings e, as a container's HEALTHCHECK runs it beside the service.
func healthcheckRun(t *testing.T, e map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"api", healthcheckCommand}, args...), env(e), &out)
	return out.String(), err
}

// TestHealthcheck: against a running service the check passes, found
// through ADDR as the service reads it; against a closed port, a route
// that is not 200, or bad arguments, it fails, which main turns into exit
// status 1.
func TestHealthcheck(t *testing.T) {
	base, _, _ := startRun(t, "http", nil, nil)
	addr := strings.TrimPrefix(base, "http://")
	_, port, _ := net.SplitHostPort(addr)

	for _, e := range []map[string]string{
		{"ADDR": addr},
		{"ADDR": ":" + port},          // every interface: asks 127.0.0.1
		{"ADDR": "0.0.0.0:" + port},   // likewise
		{"ADDR": "localhost:" + port}, // a host of its own: asks it
	} {
		out, err := healthcheckRun(t, e)
		if err != nil {
			t.Errorf("ADDR=%s: %v", e["ADDR"], err)
		} else if !strings.Contains(out, "/healthz: 200 OK") {
			t.Errorf("ADDR=%s: printed %q", e["ADDR"], out)
		}
	}
	if _, err := healthcheckRun(t, nil, "-url", base+"/readyz"); err != nil {
		t.Errorf("-url /readyz: %v", err)
	}

	closed := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	for _, tc := range []struct {
		name string
		e    map[string]string
		args []string
		want string
	}{
		{"closed port", map[string]string{"ADDR": closed}, nil, "connection refused"},
		{"not 200", nil, []string{"-url", base + "/nowhere"}, "404 Not Found"},
		{"no fixed port", map[string]string{"ADDR": "127.0.0.1:0"}, nil, "no fixed port"},
		{"bad settings", map[string]string{"ADDR": addr, "MAX_CONNECTIONS": "many"}, nil, "MAX_CONNECTIONS"},
		{"unknown flag", nil, []string{"-nope"}, "-nope"},
		{"extra argument", map[string]string{"ADDR": addr}, []string{"now"}, "unexpected arguments"},
		{"no timeout", map[string]string{"ADDR": addr}, []string{"-timeout", "0s"}, "positive"},
	} {
		_, err := healthcheckRun(t, tc.e, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestHealthcheckTimeout: a service that accepts but never answers fails
// the check when -timeout runs out, rather than hanging it.
func TestHealthcheckTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	_, err = healthcheckRun(t, nil, "-url", "http://"+ln.Addr().String()+"/healthz", "-timeout", "200ms")
	if err == nil || !strings.Contains(err.Error(), "Timeout") && !strings.Contains(err.Error(), "deadline") {
		t.Errorf("a silent service: %v, want a timeout", err)
	}
}

// TestHealthcheckTLS: with TLS_CERT_FILE the check speaks HTTPS, to a
// service whose certificate it could not verify (self-signed here; in
// production one that names the public host, not the loopback address).
func TestHealthcheckTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	tlsEnv := map[string]string{"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base, _, _ := startRun(t, "https", tlsEnv, hc)
	tlsEnv["ADDR"] = strings.TrimPrefix(base, "https://")
	if out, err := healthcheckRun(t, tlsEnv); err != nil || !strings.HasPrefix(out, "healthy: GET https://") {
		t.Errorf("over TLS: %q, %v", out, err)
	}
}

// TestLocalHealthURL is the address a check without -url asks.
func TestLocalHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://127.0.0.1:8080/healthz",
		"10.1.2.3:9000":  "http://10.1.2.3:9000/healthz",
		"[::1]:8080":     "http://[::1]:8080/healthz",
		"tincan.lan:443": "http://tincan.lan:443/healthz",
	} {
		if got, err := localHealthURL(addr, false); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", addr, got, err, want)
		}
	}
	if got, _ := localHealthURL(":8443", true); got != "https://127.0.0.1:8443/healthz" {
		t.Errorf("TLS: %q", got)
	}
	for _, addr := range []string{"8080", ":http", ":0", ""} {
		if got, err := localHealthURL(addr, false); err == nil {
			t.Errorf("%q: %q, want an error", addr, got)
		}
	}
}
