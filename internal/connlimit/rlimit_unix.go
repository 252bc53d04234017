//go:build linux || darwin

package connlimit

import "syscall"

// RaiseFileLimit raises the process's soft limit on open files
// (RLIMIT_NOFILE) to its hard limit, and returns both as they are
// afterwards, for the start-up log. Go's runtime already raises it at
// start on these systems; this makes the figure explicit and visible, and
// holds if that ever changes. Every connection holds one descriptor, so
// Limits.Global belongs below the soft limit, with room for the store's
// connections, log files and the like.
func RaiseFileLimit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = raised.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return lim.Cur, lim.Max, err
		}
		lim = raised
	}
	return lim.Cur, lim.Max, nil
}
