//go:build linux || darwin

package connlimit

import (
	"syscall"
	"testing"
)

// RaiseFileLimit lifts a lowered soft limit back to the hard one and
// reports both.
func TestRaiseFileLimit(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < 1024 {
		t.Skipf("hard limit %d: too low to lower for the test", lim.Max)
	}
	lowered := lim
	lowered.Cur = lim.Max / 2
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	soft, hard, err := RaiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if soft != hard || hard != lim.Max || lim.Cur != lim.Max {
		t.Errorf("raised from %d: reported soft %d, hard %d; the process has %d, %d", lowered.Cur, soft, hard, lim.Cur, lim.Max)
	}
	t.Logf("RLIMIT_NOFILE raised from %d to soft %d, hard %d", lowered.Cur, soft, hard)
}
