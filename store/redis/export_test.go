package redis

import (
	"context"
	"time"
)

// Crash points of a move, for tests that stop the sender between steps.
const (
	CrashAfterIndex = crashAfterIndex
	CrashAfterLock  = crashAfterLock
	CrashAfterPost  = crashAfterPost
	CrashMidCommit  = crashMidCommit
)

// ErrCrashed is what Post returns when stopped at a crash point.
var ErrCrashed = errCrashed

// SetCrash makes the store's next moves stop dead at step (0: never).
func SetCrash(s *Store, step int32) { s.crashAfter.Store(step) }

// SweepOnce runs one pass of the sweeper.
func SweepOnce(ctx context.Context, s *Store) (int, error) { return s.sweepOnce(ctx) }

// SetListenerPing shortens how long the listener lets its connection stay
// silent before pinging it.
func SetListenerPing(o *Options, d time.Duration) { o.listenerPing = d }
