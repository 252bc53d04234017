package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Crash points of a move, for tests that stop the sender between steps.
const (
	CrashAfterIndex = int32(stepIndexed)
	CrashAfterLock  = int32(stepLocked)
	CrashAfterPost  = int32(stepPosted)
	CrashMidCommit  = int32(stepPosted + 1) // after committing the first listed port only
)

// ErrCrashed is what Post returns when stopped at a crash point.
var ErrCrashed = errors.New("redis store: move stopped on purpose by a test")

// SetCrash makes the store's next moves stop dead at step (0: never), as
// if their process died there, leaving the move to the others. It must
// not be called while a move is under way.
func SetCrash(s *Store, step int32) {
	if step == 0 {
		s.moveHook = nil
		return
	}
	s.moveHook = func(ctx context.Context, m *move, done moveStep) error {
		switch {
		case step == CrashMidCommit && done == stepPosted:
			m.s.exec(ctx, m.commitOps()[:1]...)
			return ErrCrashed
		case step == int32(done):
			return ErrCrashed
		}
		return nil
	}
}

// Unreachable reports whether err means the server cannot be reached now
// (see unreachable).
func Unreachable(err error) bool { return unreachable(err) }

// SweepOnce runs one pass of the sweeper.
func SweepOnce(ctx context.Context, s *Store) (int, error) { return s.sweepOnce(ctx) }

// CommandCalls is how many times the server behind c ran the command name
// since its last CONFIG RESETSTAT (INFO commandstats).
func CommandCalls(t *testing.T, c *goredis.Client, name string) int { return commandCalls(t, c, name) }

// LibraryName is the name of the store's Redis Functions library.
func LibraryName(s *Store) string { return s.scripts.lib.name }

// SetLuaSource makes the store's library of the files read returns (by
// name under lua/), instead of the build's own.
func SetLuaSource(o *Options, read func(name string) string) { o.luaSource = read }

// ReadLua returns the build's own file name under lua/.
func ReadLua(name string) string { return mustRead(name) }

// SetListenerPing shortens how long the listener lets its connection stay
// silent before pinging it.
func SetListenerPing(o *Options, d time.Duration) { o.listenerPing = d }

// SetBatchInFlight sets how many round trips each batcher of s has in
// flight at once (batch.go): a large n turns group commit off, every call
// sending its own ops at once. It must be called before s is used.
func SetBatchInFlight(s *Store, n int) { s.batchInFlight = n }

// RoundTrips is how many round trips s has sent.
func RoundTrips(s *Store) int64 { return s.trips.Load() }
