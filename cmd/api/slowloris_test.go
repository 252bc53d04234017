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
// finish them: the server closes every one (READ_HEADER_TIMEOUT is the
// only bound on them; without it they would trickle on for ever), while
// ordinary requests go on being answered. How long the slowest took is
// logged, not asserted: on a loaded machine a 1 s timer fires late, and
// the figure says nothing about the service.
func TestSlowloris(t *testing.T) {
	// notClosed is the patience for a connection the server should have
	// closed after headerTimeout: a bound that no loaded machine reaches.
	const conns, headerTimeout, notClosed = 500, time.Second, 30 * time.Second
	base, _, stopRun := startRun(t, "http", map[string]string{"LOG_LEVEL": "error", "READ_HEADER_TIMEOUT": headerTimeout.String()}, nil)
	addr := strings.TrimPrefix(base, "http://")

	stop := make(chan struct{})
	var opened, wg sync.WaitGroup
	var open, stillOpen, dialFailed atomic.Int64
	var slowest atomic.Int64
	opened.Add(conns)
	for range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				dialFailed.Add(1)
				opened.Done()
				return
			}
			defer c.Close()
			open.Add(1)
			defer open.Add(-1)
			start := time.Now()
			opened.Done()
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
			_ = c.SetReadDeadline(start.Add(notClosed))
			// Returns when the server closes, or at our deadline.
			_, err = io.Copy(io.Discard, c)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				stillOpen.Add(1)
				return
			}
			took := int64(time.Since(start))
			for {
				old := slowest.Load()
				if took <= old || slowest.CompareAndSwap(old, took) {
					break
				}
			}
		})
	}

	// Meanwhile, ordinary requests are answered: from when all the
	// trickling connections are open for as long as any still is, and at
	// least one.
	opened.Wait()
	served, failed, servedWhileOpen := 0, 0, 0
	hc := &http.Client{Timeout: notClosed}
	for first := true; first || open.Load() > 0; first = false {
		res, err := hc.Post(base+"/channels", "application/json", nil)
		if err != nil || res.StatusCode != http.StatusCreated {
			failed++
		} else {
			served++
			if open.Load() > 0 {
				servedWhileOpen++
			}
		}
		if res != nil {
			res.Body.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(stop)

	t.Logf("%d trickling connections: the slowest was closed after %v (READ_HEADER_TIMEOUT %v); %d ordinary requests served meanwhile, %d of them while some were still open",
		conns, time.Duration(slowest.Load()).Round(time.Millisecond), headerTimeout, served, servedWhileOpen)
	if dialFailed.Load() != 0 || stillOpen.Load() != 0 {
		t.Errorf("%d connections failed to open, %d were still open after %v", dialFailed.Load(), stillOpen.Load(), notClosed)
	}
	if failed != 0 || served == 0 {
		t.Errorf("ordinary requests: %d served, %d failed", served, failed)
	}
	stopRun()
}
