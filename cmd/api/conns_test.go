package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client that holds MAX_CONNECTIONS_PER_CLIENT idle connections is
// refused one more with 429 at accept; another address still gets
// /healthz.
func TestRunConnectionsPerClient(t *testing.T) {
	base, _, _ := startRun(t, "http", map[string]string{"MAX_CONNECTIONS_PER_CLIENT": "5", "LOG_LEVEL": "error"}, nil)
	http.DefaultClient.CloseIdleConnections() // waitHealthy's connection
	addr := strings.TrimPrefix(base, "http://")
	var got []string
	for range 8 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		b, _ := io.ReadAll(c)
		got = append(got, strings.SplitN(string(b), "\r\n", 2)[0])
	}
	t.Logf("%q", got)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	defer hc.CloseIdleConnections()
	res, err := hc.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz from another address: %v %v", res, err)
	}
	res.Body.Close()
}

// Behind a trusted proxy, a forwarded client's long polls count as its
// connections: past MAX_CONNECTIONS_PER_CLIENT, 429 too_many_connections.
func TestRunForwardedClientConnections(t *testing.T) {
	base, _, _ := startRun(t, "http", map[string]string{"MAX_CONNECTIONS_PER_CLIENT": "2", "TRUSTED_PROXIES": "127.0.0.1", "LOG_LEVEL": "error"}, nil)
	ch := createChannel(t, base)
	poll := func() *http.Response {
		req, _ := http.NewRequest("GET", base+"/ports/"+ch.Port1.ID+"/messages?wait=2", nil)
		req.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		req.Header.Set("X-Forwarded-For", "203.0.113.5")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	done := make(chan int, 2)
	for range 2 {
		go func() { r := poll(); io.Copy(io.Discard, r.Body); r.Body.Close(); done <- r.StatusCode }()
	}
	time.Sleep(300 * time.Millisecond)
	res := poll()
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	t.Logf("third: %d %s", res.StatusCode, b)
	if res.StatusCode != 429 || !strings.Contains(string(b), "too_many_connections") {
		t.Errorf("third long poll: %d %s", res.StatusCode, b)
	}
	t.Log(<-done, <-done)
}
