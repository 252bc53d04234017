package redis

import "errors"

// errCrashed is what postMoving returns when a test made it stop dead.
var errCrashed = errors.New("redis store: move stopped on purpose by a test")

// crashed reports whether a test asked postMoving to stop dead at step,
// without cleaning up, as a process dying there would. Tests set
// Store.crashAfter through export_test.go; it is zero otherwise.
func (s *Store) crashed(step int32) bool {
	return s.crashAfter.Load() == step
}
