package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
)

// Collections: one message to many ports.
//
// A collection is a set of member ports, each added by proving the right to
// post through it. Broadcasting posts one message through every member to
// its peer, exactly as that member's own post would: the message lands in
// the peer's own queue, with its own id, cursor and acknowledgements, and
// wakes the peer's readers. A collection keeps no usable secret of its
// members: it keeps the hash of the token each member was added with,
// which is what a store checks a post against anyway. So a member whose
// token dies (the port transferred, the scoped token revoked, the channel
// expired) is refused at the next broadcast, and reported as such.
//
// A collection has its own token, returned once at creation and kept only
// as a hash. Like a channel it is forgotten after Limits.ChannelTTL without
// activity (creating it, adding or removing a member, broadcasting).

// Errors of collections.
var (
	// ErrTooManyMembers: the collection has Limits.MaxCollectionMembers
	// members already.
	ErrTooManyMembers = errors.New("too many members")
	// ErrMemberNotFound: the port is not a member of the collection.
	ErrMemberNotFound = errors.New("not a member")
	// ErrBroadcastTooLarge: the collection's members times the message's
	// bytes pass Limits.MaxBroadcastBytes; nothing was stored.
	ErrBroadcastTooLarge = errors.New("broadcast too large")
)

// DefaultMaxCollectionMembers is the default of Limits.MaxCollectionMembers.
const DefaultMaxCollectionMembers = 10_000

// NewCollection is a freshly created collection with its token, which is
// returned only here.
type NewCollection struct {
	ID        string
	Token     string
	CreatedAt time.Time
}

// CollectionInfo describes a collection to the holder of its token.
type CollectionInfo struct {
	ID        string
	CreatedAt time.Time
	// Members are the member ports' ids, in ascending order.
	Members []string
}

// MemberError refuses the port offered as a member: its credentials do not
// allow posting through it. It unwraps to the port's error
// (ErrUnauthorized, ErrTransferred, ErrInsufficientScope, ErrClosed,
// ErrBusy), so that the caller can tell the collection's credentials
// (refused with a bare error) from the member's.
type MemberError struct {
	PortID string
	Err    error
}

func (e *MemberError) Error() string { return fmt.Sprintf("member port %q: %v", e.PortID, e.Err) }

func (e *MemberError) Unwrap() error { return e.Err }

// BroadcastRefusal says why a broadcast did not reach a member's peer.
type BroadcastRefusal string

// The reasons a member is refused by a broadcast.
const (
	// BroadcastClosed: the member's channel is closed.
	BroadcastClosed BroadcastRefusal = "port_closed"
	// BroadcastTransferred: the member port was transferred since it was
	// added; the token it was added with is dead.
	BroadcastTransferred BroadcastRefusal = "port_transferred"
	// BroadcastQueueFull: the peer's queue holds Limits.MaxQueue messages.
	BroadcastQueueFull BroadcastRefusal = "queue_full"
	// BroadcastUnauthorized: the member's channel expired or was never
	// there any more, or the scoped token it was added with was revoked.
	BroadcastUnauthorized BroadcastRefusal = "unauthorized"
	// BroadcastScope: the token the member was added with may not post.
	BroadcastScope BroadcastRefusal = "insufficient_scope"
	// BroadcastBusy: the member port is in the middle of a move in a
	// message; a later broadcast may reach it.
	BroadcastBusy BroadcastRefusal = "port_busy"
	// BroadcastUnavailable: the part of the store holding the member's
	// channel could not be reached, and the message was not stored there.
	// (A post that was sent and not answered is no refusal: its member is
	// in BroadcastResult.Unknown.)
	BroadcastUnavailable BroadcastRefusal = "unavailable"
	// BroadcastKeyReused: the broadcast's Idempotency-Key was used for
	// another message through this member.
	BroadcastKeyReused BroadcastRefusal = "idempotency_key_reused"
)

// RefusalOf returns the broadcast refusal for a member's post error, and
// false for an error that is not about the member (the store's own).
func RefusalOf(err error) (BroadcastRefusal, bool) {
	switch {
	case errors.Is(err, ErrClosed):
		return BroadcastClosed, true
	case errors.Is(err, ErrTransferred):
		return BroadcastTransferred, true
	case errors.Is(err, ErrQueueFull):
		return BroadcastQueueFull, true
	case errors.Is(err, ErrUnauthorized):
		return BroadcastUnauthorized, true
	case errors.Is(err, ErrInsufficientScope):
		return BroadcastScope, true
	case errors.Is(err, ErrBusy):
		return BroadcastBusy, true
	case errors.Is(err, ErrUnavailable):
		return BroadcastUnavailable, true
	case errors.Is(err, ErrKeyReused):
		return BroadcastKeyReused, true
	}
	return "", false
}

// Delivery is a broadcast's message as stored at one member's peer.
type Delivery struct {
	// Port is the member port the message was posted through.
	Port string
	// ID is the message's event id at the peer.
	ID EventID
}

// Refused is a member a broadcast did not reach, and why.
type Refused struct {
	Port   string
	Reason BroadcastRefusal
}

// BroadcastResult accounts for every member of the collection: each is in
// exactly one of Delivered (the message is stored at its peer), Refused
// (it is not) or Unknown (the store cannot tell: the post was sent and its
// answer lost), each in ascending order of port id.
type BroadcastResult struct {
	Delivered []Delivery
	Refused   []Refused
	// Unknown are the member ports whose outcome is unknown. A retry under
	// the same idempotency key (BroadcastOnce) stores nothing twice: it
	// answers each with its first id if the message was stored.
	Unknown []string
}

// NewCollectionID returns a fresh collection id: a ULID from crypto/rand.
func NewCollectionID(now time.Time) (string, error) {
	id, err := ulid.New(ulid.Timestamp(now), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("new collection id: %w", err)
	}
	return id.String(), nil
}

// CheckBroadcastSize refuses, with ErrBroadcastTooLarge, a broadcast of msg
// to members ports that would store more than l.MaxBroadcastBytes: members
// times its Size. A store checks it once it knows the members, before it
// posts to any. l must have its defaults.
func CheckBroadcastSize(l Limits, members int, msg Outgoing) error {
	// Divided rather than multiplied, so that nothing can overflow.
	if size := msg.Size(); members > 0 && size > l.MaxBroadcastBytes/int64(members) {
		return fmt.Errorf("%d members × %d bytes is more than %d bytes: %w", members, size, l.MaxBroadcastBytes, ErrBroadcastTooLarge)
	}
	return nil
}

// CheckBroadcast refuses, with ErrInvalid, what no broadcast may post:
// what no post may (CheckOutgoing), or a transfer list, since a port can
// be given to one receiver only.
func CheckBroadcast(msg Outgoing) error {
	if err := CheckOutgoing(msg); err != nil {
		return err
	}
	if len(msg.Transfer) > 0 {
		return fmt.Errorf("a broadcast cannot carry a transfer list: %w", ErrInvalid)
	}
	return nil
}
