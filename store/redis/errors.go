package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// wrap turns an error from go-redis into a store error: the caller's
// context error when the caller gave up (canceled), store.ErrUnavailable
// when Redis could not be reached, cannot serve now, or did not answer
// within the deadline, and anything else (a script bug, say) as it is, to
// be answered as an internal error.
//
// A deadline that passed after the command was sent leaves its outcome
// unknown: it may have run. That is still ErrUnavailable, never a
// success; the client retries, with an Idempotency-Key when a duplicate
// would matter.
func (s *Store) wrap(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("redis: %w", ctx.Err())
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: no answer in time: %w", store.ErrUnavailable, ctx.Err())
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return fmt.Errorf("redis: %w", err)
}

// unreachable reports whether err says Redis cannot serve the command now
// but may soon: down, loading, failing over, out of memory, busy with a
// script, short of replicas, unable to persist, or (for the pipelines
// that talk to a slot's primary directly, such as WAIT's) the slot moved
// to another node. The client's retry then finds the new state.
func unreachable(err error) bool {
	var netErr net.Error
	_, moved := goredis.IsMovedError(err)
	_, ask := goredis.IsAskError(err)
	switch {
	case moved, ask:
		return true
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded), // go-redis's own timeouts
		errors.Is(err, goredis.ErrPoolTimeout),
		errors.Is(err, goredis.ErrClosed),
		goredis.IsLoadingError(err),
		goredis.IsClusterDownError(err),
		goredis.IsTryAgainError(err),
		goredis.IsMasterDownError(err),
		goredis.IsReadOnlyError(err),
		goredis.IsMaxClientsError(err):
		return true
	}
	for _, code := range cannotServeNow {
		if goredis.HasErrorPrefix(err, code) {
			return true
		}
	}
	return false
}

// cannotServeNow are the error codes (with the space that ends a code, so
// that BUSY is not BUSYKEY) of a server that refuses every write for a
// while, whatever the request: out of memory under noeviction, running a
// script past busy-reply-threshold, short of min-replicas-to-write, or
// failing to save with stop-writes-on-bgsave-error. A script's call that
// meets one fails with the same code.
var cannotServeNow = []string{"OOM ", "BUSY ", "NOREPLICAS ", "MISCONF "}
