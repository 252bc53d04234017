package redis

import (
	"fmt"

	"github.com/tincan-dev/tincan/store"
)

// The statuses a script answers: the first element of its reply. The Lua
// side knows them only as ST_<NAME> (see preamble.go), so a script can
// answer no status this file does not list.
const (
	stOK = "ok"

	// Refusals (see statuses for their errors).
	stUnauthorized      = "unauthorized"
	stTransferred       = "transferred"
	stInsufficientScope = "insufficient_scope"
	stLocked            = "locked" // a move holds the port: {'locked', port, move, mover, deadline}
	stClosed            = "closed"
	stQueueFull         = "queue_full"
	stQueueBytesFull    = "queue_bytes_full"
	stFenced            = "fenced" // a move's decision was taken without this post
	stInvalid           = "invalid"
	stTooManyTokens     = "too_many_tokens"
	stTooManyMembers    = "too_many_members"
	stNotFound          = "not_found" // no scoped token of that id
	stNotMember         = "not_member"
	stIdemReused        = "idem_reused"
	stIdemInFlight      = "idem_in_flight"

	// Outcomes that are no refusal: the caller reads them.
	stClash   = "clash"   // create.lua: the channel's tag is taken
	stExists  = "exists"  // coll_create.lua: the collection's id is taken
	stNew     = "new"     // idem_begin.lua: the record is now this attempt's
	stDone    = "done"    // idem_begin.lua: answered before
	stReused  = "reused"  // idem_begin.lua: answered for another fingerprint
	stPending = "pending" // idem_begin.lua: another attempt holds the record
	stLost    = "lost"    // idem_finish.lua: another attempt took the record
	stGone    = "gone"    // move_commit.lua, move_abort.lua: no such lock
)

// verdict is what a status means to Go: the store error of a refusal,
// and the reason a transfer list entry refused with it is given.
type verdict struct {
	err     error
	refusal store.TransferRefusal
}

// statuses is the one table of script statuses. A status whose verdict has
// no error is an outcome its caller reads; result.ok answers it as a bug.
var statuses = map[string]verdict{
	stOK:                {},
	stUnauthorized:      {store.ErrUnauthorized, store.RefusedUnauthorized},
	stTransferred:       {store.ErrTransferred, store.RefusedTransferred},
	stInsufficientScope: {store.ErrInsufficientScope, store.RefusedScope},
	stLocked:            {store.ErrBusy, store.RefusedBusy},
	stClosed:            {store.ErrClosed, store.RefusedClosed},
	stQueueFull:         {err: store.ErrQueueFull},
	stQueueBytesFull:    {err: store.ErrQueueBytesFull},
	stFenced:            {err: store.ErrBusy},
	stInvalid:           {err: store.ErrInvalid},
	stTooManyTokens:     {err: store.ErrTooManyTokens},
	stTooManyMembers:    {err: store.ErrTooManyMembers},
	stNotFound:          {err: store.ErrTokenNotFound},
	stNotMember:         {err: store.ErrMemberNotFound},
	stIdemReused:        {err: store.ErrKeyReused},
	stIdemInFlight:      {err: store.ErrInFlight},
	stClash:             {},
	stExists:            {},
	stNew:               {},
	stDone:              {},
	stReused:            {},
	stPending:           {},
	stLost:              {},
	stGone:              {},
}

// statusError is the store error of a refusal, about its subject, or an
// error saying the status was not expected.
func statusError(about subject, status string) error {
	if v := statuses[status]; v.err != nil {
		return fmt.Errorf("%s: %w", about, v.err)
	}
	return fmt.Errorf("%s: unexpected script status %q", about, status)
}

// transferError is the refusal of transfer list entry i for a script
// status; a status that refuses nothing in a transfer list (which a
// script never gives) counts as unauthorized.
func transferError(i int, port, status string) *store.TransferError {
	reason := statuses[status].refusal
	if reason == "" {
		reason = store.RefusedUnauthorized
	}
	return &store.TransferError{Index: i, PortID: port, Reason: reason}
}

// A move's decision, as decide.lua answers it and its decision key D holds
// it (DECIDED_* in Lua).
const (
	decidedDone    = "done:" // followed by the message's event id
	decidedAborted = "aborted"
	undecided      = "pending"
)

// The marks a channel script puts third in an 'ok' reply answered from a
// write made before, not by this run (MARK_* in Lua): post.lua's and
// transfer.lua's replays and resent runs, token_mint.lua's resent runs.
// exec fences them when it waits for replicas (see durability.go).
const (
	markReplayed = "replayed" // an idempotency key's earlier answer
	markResent   = "resent"   // this very call's earlier run, sent again
)
