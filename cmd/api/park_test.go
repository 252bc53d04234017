package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
)

// Parked streams (PARK_STREAMS, on by default) against the whole service:
// their connections, taken over from net/http, still count against
// MAX_CONNECTIONS_PER_CLIENT at the listener; the streams count in
// tincan_streams_open and tincan_streams_parked; and shutdown ends each
// with its retry: hint and the end of its body before run returns.
func TestRunParkedStreams(t *testing.T) {
	const perClient = 3
	base, _, stop := startRun(t, "http", map[string]string{"MAX_CONNECTIONS_PER_CLIENT": "3"}, nil)
	other := from(net.IPv4(127, 0, 0, 2))
	defer other.CloseIdleConnections()
	client := from(net.IPv4(127, 0, 0, 3))
	defer client.CloseIdleConnections()

	type result struct {
		body []byte
		err  error
	}
	var ended []chan result
	for range perClient {
		ch := createChannel(t, base)
		res, err := client.Get(base + "/ports/" + ch.Port2.ID + "/events?access_token=" + ch.Port2.Token)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || !res.Close {
			t.Fatalf("stream: %d, Connection: close %v", res.StatusCode, res.Close)
		}
		done := make(chan result, 1)
		go func() {
			defer res.Body.Close()
			br := bufio.NewReader(res.Body)
			first, err := br.ReadString('\n') // the opening retry: hint
			if err != nil {
				done <- result{err: err}
				return
			}
			rest, err := io.ReadAll(br)
			done <- result{body: append([]byte(first), rest...), err: err}
		}()
		ended = append(ended, done)
	}
	waitMetric(t, other, base, "tincan_streams_parked", func(v float64) bool { return v == perClient })
	if v := metric(t, other, base, "tincan_streams_open"); v != perClient {
		t.Errorf("tincan_streams_open %v, want %d", v, perClient)
	}
	// A fourth connection from the same address is over its bound: the
	// parked streams' connections are still counted.
	if res, err := client.Get(base + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a fourth connection from the address: %d, want 429", res.StatusCode)
		}
	}

	stop() // fails the test if run returns an error
	for i, done := range ended {
		r := <-done
		if r.err != nil {
			t.Errorf("stream %d: %v", i, r.err)
		}
		if !bytes.HasSuffix(r.body, []byte("\n\nretry: 1000\n\n")) {
			t.Errorf("stream %d's last frame is not a lone retry: 1000 hint: %q", i, r.body)
		}
	}
}
