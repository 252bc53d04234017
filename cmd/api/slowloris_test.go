package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowloris opens 500 connections that trickle header lines and never
// finish them: every one is closed within READ_HEADER_TIMEOUT and a
// second, while ordinary requests go on being answered.
func TestSlowloris(t *testing.T) {
	const conns, headerTimeout = 500, time.Second
	base, _, stopRun := startRun(t, "http", map[string]string{"LOG_LEVEL": "error", "READ_HEADER_TIMEOUT": headerTimeout.String()}, nil)
	addr := strings.TrimPrefix(base, "http://")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var late, dialFailed atomic.Int64
	var slowest atomic.Int64
	for range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				dialFailed.Add(1)
				return
			}
			defer c.Close()
			opened := time.Now()
			go func() {
				// One header line every 100ms, never the blank line that
				// would end the header.
				if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
					return
				}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := fmt.Fprintf(c, "X-Slow-%d: y\r\n", i); err != nil {
						return
					}
				}
			}()
			_ = c.SetReadDeadline(opened.Add(10 * time.Second))
			_, _ = io.Copy(io.Discard, c) // returns when the server closes
			took := time.Since(opened)
			if took > headerTimeout+time.Second {
				late.Add(1)
			}
			for {
				old := slowest.Load()
				if int64(took) <= old || slowest.CompareAndSwap(old, int64(took)) {
					break
				}
			}
		})
	}

	// Meanwhile, ordinary requests are served promptly.
	served, failed := 0, 0
	hc := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(headerTimeout + 500*time.Millisecond); time.Now().Before(deadline); {
		res, err := hc.Post(base+"/channels", "application/json", nil)
		if err != nil || res.StatusCode != http.StatusCreated {
			failed++
		} else {
			served++
		}
		if res != nil {
			res.Body.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(stop)

	t.Logf("%d trickling connections: the slowest was closed after %v; %d ordinary requests served meanwhile",
		conns, time.Duration(slowest.Load()).Round(time.Millisecond), served)
	if dialFailed.Load() != 0 || late.Load() != 0 {
		t.Errorf("%d connections failed to open, %d were closed later than %v", dialFailed.Load(), late.Load(), headerTimeout+time.Second)
	}
	if failed != 0 || served < 10 {
		t.Errorf("ordinary requests: %d served, %d failed", served, failed)
	}
	stopRun()
}
