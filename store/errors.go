package store

import (
	"errors"
	"fmt"
)

// The errors a Store returns, wrapped with context. Handlers map each to one
// HTTP status and problem code; anything else is an internal error.
var (
	// ErrUnauthorized: the port does not exist, or the token is wrong. The
	// two are deliberately one error, so that port ids cannot be probed.
	ErrUnauthorized = errors.New("unknown port or wrong token")
	// ErrTransferred: the token was the port's before it was transferred.
	ErrTransferred = errors.New("port transferred")
	// ErrClosed: the port's channel is closed.
	ErrClosed = errors.New("channel closed")
	// ErrQueueFull: the receiving port's queue is at its limit.
	ErrQueueFull = errors.New("queue full")
	// ErrQueueBytesFull: the message's data does not fit in the bytes the
	// receiving port's queue has left (Limits.MaxQueueBytes). It is
	// ErrQueueFull too (errors.Is): the remedy is the same, reading and
	// acknowledging.
	ErrQueueBytesFull = fmt.Errorf("%w: no room for the message's bytes", ErrQueueFull)
	// ErrInvalid: the input is malformed or out of range.
	ErrInvalid = errors.New("invalid input")
	// ErrBusy: the port is in the middle of being moved inside a message;
	// retrying shortly will see the move finished or undone.
	ErrBusy = errors.New("port busy")
	// ErrUnavailable: the storage engine cannot be reached.
	ErrUnavailable = errors.New("store unavailable")
	// ErrKeyReused: an idempotency key came again with a request other
	// than the one it was first used with.
	ErrKeyReused = errors.New("idempotency key reused for another request")
	// ErrInFlight: the first request with an idempotency key is still
	// being carried out; retrying shortly gets its answer.
	ErrInFlight = errors.New("idempotency key in flight")
	// ErrMessageNotFound: no message with the id asked for is queued at
	// the port: it was acknowledged (and so deleted), or never there.
	ErrMessageNotFound = errors.New("message not found")
)

// TransferRefusal says why a port in a transfer list was refused. The names
// follow the cases in which a browser's postMessage throws DataCloneError.
type TransferRefusal string

// The reasons a transfer list is refused.
const (
	// RefusedSelf: the listed port is the sending port itself.
	RefusedSelf TransferRefusal = "self"
	// RefusedPeer: the listed port is the sending port's entangled peer.
	RefusedPeer TransferRefusal = "peer"
	// RefusedDuplicate: the port is listed more than once.
	RefusedDuplicate TransferRefusal = "duplicate"
	// RefusedClosed: the listed port's channel is closed.
	RefusedClosed TransferRefusal = "closed"
	// RefusedUnauthorized: the port is unknown or its token is wrong.
	RefusedUnauthorized TransferRefusal = "unauthorized"
	// RefusedTransferred: the token was the port's before a transfer.
	RefusedTransferred TransferRefusal = "transferred"
	// RefusedBusy: the port is in the middle of another move.
	RefusedBusy TransferRefusal = "busy"
)

// TransferError refuses a transfer list. When Post returns it, nothing was
// stored and no port moved.
type TransferError struct {
	// Index is the position of the refused entry in the transfer list.
	Index int
	// PortID is the refused entry's port id, as given.
	PortID string
	Reason TransferRefusal
}

func (e *TransferError) Error() string {
	return fmt.Sprintf("transfer[%d] (port %q): refused: %s", e.Index, e.PortID, e.Reason)
}

// Unwrap lets errors.Is(err, ErrBusy) hold for a port busy with another
// move, which is worth retrying, unlike the other refusals.
func (e *TransferError) Unwrap() error {
	if e.Reason == RefusedBusy {
		return ErrBusy
	}
	return nil
}
