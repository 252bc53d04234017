package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseSchedstat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1725000000 1415000000 53611\n", 1415 * time.Millisecond, true},
		{"0 0 0", 0, true},
		{"", 0, false},
		{"1 2", 0, false},
		{"1 x 3", 0, false},
	} {
		got, ok := parseSchedstat([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("parseSchedstat(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestRunQueueWaitOfSelf reads this process's own wait, where the kernel
// keeps it: known, and not negative.
func TestRunQueueWaitOfSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/schedstat"); err != nil {
		t.Skip("no /proc/<pid>/schedstat here")
	}
	if w, ok := runQueueWait(os.Getpid()); !ok || w < 0 {
		t.Errorf("runQueueWait(self) = %v, %v", w, ok)
	}
	if _, ok := runQueueWait(-1); ok {
		t.Error("runQueueWait of no process: want unknown")
	}
}

func TestCommandMax(t *testing.T) {
	latest := []any{
		[]any{"command", int64(1796697383), int64(120), int64(482)},
		[]any{"fast-command", int64(1796697383), int64(250), int64(250)},
		[]any{"expire-cycle", int64(1796697383), int64(900), int64(900)},
		"not an event",
		[]any{"command"},
	}
	if got := commandMax(latest); got != 482 {
		t.Errorf("commandMax = %d, want 482 (expire-cycle is no command)", got)
	}
	if got := commandMax(nil); got != 0 {
		t.Errorf("commandMax(nil) = %d, want 0", got)
	}
}

func TestStallNote(t *testing.T) {
	r := flowResult{Messages: 50000, DeliverPerS: 5000, RunQueueWaitMs: 12345, RedisSlowestMs: 0}
	if got := r.stallNote(); !strings.Contains(got, "waited 12.3 s") || !strings.Contains(got, "in the flow's 10.0 s") || !strings.Contains(got, "no Redis command took 100 ms or more") {
		t.Errorf("stallNote = %q", got)
	}
	r.RedisSlowestMs = 2500
	if got := r.stallNote(); !strings.Contains(got, "the slowest Redis command took 2500 ms") {
		t.Errorf("stallNote = %q", got)
	}
	r.RunQueueWaitMs = -1
	if got := r.stallNote(); !strings.Contains(got, "unknown") {
		t.Errorf("stallNote = %q", got)
	}
}
