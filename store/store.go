// Package store is tincan's domain: channels, their two entangled ports, the
// messages queued at each port, and the rules of posting, acknowledging,
// closing and transferring. It knows nothing of HTTP or of Redis; the
// implementations live in store/memory and store/redis and both pass the
// conformance suite in store/storetest.
//
// The model follows the HTML Channel Messaging API. A Channel is what
// `new MessageChannel()` makes: two ports, each the other's entangled peer.
// A message posted through one port is queued at its peer. A port is used by
// whoever holds its token (a bearer capability); transferring a port mints a
// new token in the same atomic step that kills the old one.
package store

import (
	"context"
	"encoding/json"
	"time"
)

// Store is everything the HTTP layer needs from a storage engine. Every
// method that acts on a port takes the caller's credentials and checks them
// in the same atomic step as the change it makes, so a token that dies
// concurrently can never slip a change through.
//
// Unless a method says otherwise, its errors are (wrapped) ErrUnauthorized
// for an unknown port or a wrong token, ErrTransferred for a token that was
// valid before the port was transferred, ErrInsufficientScope for a scoped
// token whose scope does not allow the method (see Scope.Allows),
// ErrInvalid for malformed input
// (a bad event id, for example), ErrUnavailable when the engine cannot be
// reached, and ctx's error when ctx ends first.
type Store interface {
	// CreateChannel makes a new open channel and returns it with both
	// ports' tokens. The tokens are returned only here; the store keeps
	// only their hashes. creator, who creates the channel ("" for an
	// anonymous creation, as on a deployment where creation is open), is
	// recorded with it, for the deployment (audit, quotas): Describe
	// reports it in PortInfo.Creator.
	CreateChannel(ctx context.Context, creator string) (NewChannel, error)

	// CreateChannelOnce is CreateChannel under an idempotency key, which is
	// global to the store (the HTTP layer scopes a client's key to its
	// creator first, see CreatorKey). The first call with a key creates; a
	// later call with the same key and fingerprint within
	// Limits.IdempotencyWindow creates nothing and answers the same
	// channel, tokens included, with replayed true. The answer is kept
	// sealed under a key derived from the idempotency key (see
	// SealChannel), never in plain text.
	//
	// Errors: ErrKeyReused when the key was used with another fingerprint;
	// ErrInFlight while an earlier call with the key is still creating.
	CreateChannelOnce(ctx context.Context, creator string, once Idempotency) (ch NewChannel, replayed bool, err error)

	// Describe returns what the holder of a port may know about it.
	Describe(ctx context.Context, port Credentials) (PortInfo, error)

	// Post queues a message at the peer of the port `from` and returns the
	// stored message's id once it is durably stored. The ports listed in
	// msg.Transfer move to the peer's holder in the same atomic step: their
	// old tokens die and the stored message carries fresh ones.
	//
	// Errors: ErrClosed when the channel is closed; ErrQueueFull when the
	// peer's queue holds Limits.MaxQueue messages, or ErrQueueBytesFull
	// (which is ErrQueueFull too) when msg's data would take the bytes
	// queued there past Limits.MaxQueueBytes (see Limits.Admit; a
	// message's bytes are its Size); ErrInvalid when msg does not pass
	// CheckOutgoing; a *TransferError when the
	// transfer list is refused (nothing is stored then, and no port moves);
	// ErrBusy when a listed port is in the middle of another move.
	Post(ctx context.Context, from Credentials, msg Outgoing) (EventID, error)

	// PostOnce is Post under an idempotency key, so that a client may
	// retry a post whose answer it never got. Keys are scoped to the
	// sending port. The first call with a key posts; a later call with the
	// same key and fingerprint, within Limits.IdempotencyWindow, stores
	// nothing and answers the first call's event id with replayed true.
	// Only a stored message is remembered: a refused post leaves no record,
	// so the key may be used again.
	//
	// Errors: those of Post; ErrKeyReused when the key was used with
	// another fingerprint; ErrInFlight while an earlier call with the key
	// is still moving the ports of its transfer list.
	PostOnce(ctx context.Context, from Credentials, msg Outgoing, once Idempotency) (id EventID, replayed bool, err error)

	// Read returns the messages queued at the port with ids after `after`
	// (the zero EventID means from the oldest unacknowledged message),
	// oldest first, as many as limit allows (see ReadLimit: a count, and
	// bytes of data, past the first message). It neither waits nor
	// acknowledges.
	//
	// Errors: ErrInvalid for a limit of no messages.
	Read(ctx context.Context, port Credentials, after EventID, limit ReadLimit) (Batch, error)

	// Message returns the one message id queued at the port, not yet
	// acknowledged, as Read would return it, with the same authentication
	// and scope (OpRead); like Read it keeps the channel alive. It is
	// how a binary message's bytes are fetched alone.
	//
	// Errors: ErrMessageNotFound when no message id is queued at the
	// port: acknowledged, never there, or the zero EventID.
	Message(ctx context.Context, port Credentials, id EventID) (Message, error)

	// Ack acknowledges every message at the port up to and including
	// through: they are deleted and never delivered again. Acknowledging
	// an id at or before an earlier acknowledgement is a no-op.
	//
	// Errors: ErrInvalid when through is after the newest message ever
	// queued at the port.
	Ack(ctx context.Context, port Credentials, through EventID) error

	// ClosePort closes the port's channel, for both ports. Messages already
	// queued stay readable; later posts from either end fail with
	// ErrClosed. Closing a closed channel is a no-op.
	//
	// Errors: ErrBusy when the port is in the middle of a move.
	ClosePort(ctx context.Context, port Credentials) error

	// Transfer gives the port a new token and kills the old one in one
	// atomic step; queued messages stay with the port. Of concurrent
	// transfers of one port exactly one succeeds; the others see the old
	// token dead (ErrTransferred).
	//
	// Errors: ErrClosed when the channel is closed; ErrBusy when the port
	// is in the middle of a move.
	Transfer(ctx context.Context, port Credentials) (PortCredentials, error)

	// TransferOnce is Transfer under an idempotency key, so that a client
	// whose answer was lost (a timeout, a 503 while the store stalled) can
	// ask again and get the new token instead of finding the port
	// transferred by its own first call and lost to everybody. The record
	// is written in the same atomic step as the transfer, named by
	// TransferIndex (the port, the hash of the token presented and the
	// key, so only the caller who made the call can replay it) and holds
	// the answer sealed (SealTransfer), never a usable token. A later call
	// with the same key, the same (now dead) token and the same
	// fingerprint within Limits.IdempotencyWindow changes nothing and
	// answers the same new token with replayed true.
	//
	// Errors: those of Transfer; ErrKeyReused when the key was used with
	// another fingerprint.
	TransferOnce(ctx context.Context, port Credentials, once Idempotency) (pc PortCredentials, replayed bool, err error)

	// MintToken makes a new token for the port with a narrower scope
	// (ScopePost or ScopeListen; anything else is ErrInvalid) and an
	// optional label (see ValidLabel). Only a ScopeFull token may mint,
	// list or revoke. Scoped tokens live until revoked, until the port is
	// transferred (which kills every token of the port), or until the
	// channel expires; closing the channel leaves them.
	//
	// Errors: ErrInsufficientScope for a scoped caller; ErrTooManyTokens
	// when the port has MaxScopedTokens already.
	MintToken(ctx context.Context, port Credentials, scope Scope, label string) (MintedToken, error)

	// ListTokens returns the port's live scoped tokens, oldest first,
	// without their secrets.
	ListTokens(ctx context.Context, port Credentials) ([]ScopedToken, error)

	// RevokeToken kills the port's scoped token with id tokenID: later use
	// of it is ErrUnauthorized.
	//
	// Errors: ErrTokenNotFound when the port has no live scoped token with
	// that id.
	RevokeToken(ctx context.Context, port Credentials, tokenID string) error

	// IssueTicket returns a fresh single-use ticket standing for the given
	// ports' credentials (at least one; the first is the port the ticket is
	// bound to), valid for ttl. Every credential must allow reading
	// (OpRead): otherwise the error is a *TicketError naming the first
	// refused entry, unwrapping to ErrUnauthorized, ErrTransferred or
	// ErrInsufficientScope.
	//
	// Errors: ErrInvalid for no ports, a port listed twice or a ttl under
	// a millisecond; a *TicketError unwrapping to ErrBusy when a port is
	// in the middle of a move. Issuing is not activity: it keeps no
	// channel alive.
	IssueTicket(ctx context.Context, ports []Credentials, ttl time.Duration) (Ticket, error)

	// RedeemTicket uses up a ticket presented for the port portID and
	// returns the credentials it stands for, in the order they were given.
	// A ticket works once and only for its first port: an unknown, used,
	// expired or other port's ticket is ErrTicketInvalid (and a ticket
	// presented for another port is NOT used up by that).
	//
	// The credentials are those given to IssueTicket, checked then: the
	// caller's next call with them checks them again.
	RedeemTicket(ctx context.Context, portID, ticket string) ([]Credentials, error)

	// IssueMessageTicket returns a ticket for one message queued at the
	// port (as Message finds it), valid for ttl: a capability for a
	// client that cannot send headers (an <img>, a download link) to
	// fetch that message's bytes. It stands for the credentials c, which
	// must allow reading (OpRead). Ticket.Ports is the port alone.
	// Issuing is not activity: it keeps no channel alive.
	//
	// Errors: ErrMessageNotFound when the message is not queued at the
	// port; ErrInvalid for a ttl under a millisecond.
	IssueMessageTicket(ctx context.Context, port Credentials, id EventID, ttl time.Duration) (Ticket, error)

	// RedeemMessageTicket returns the credentials a message ticket stands
	// for, presented for the port portID and the message id. Unlike a
	// stream ticket it is not used up: it works any number of times
	// until it expires (a player asks again for each range of a video),
	// but only for the port and message it was issued for. An unknown or
	// expired ticket, or one presented for another port or message, is
	// ErrTicketInvalid.
	//
	// The credentials are those given to IssueMessageTicket, checked
	// then: the caller passes them to Message, which checks them again,
	// so a ticket of a port transferred or expired since stops working.
	RedeemMessageTicket(ctx context.Context, portID string, id EventID, secret string) (Credentials, error)

	// CreateCollection makes a new, empty collection (see collection.go)
	// and returns it with its token, which the store keeps only as a hash.
	CreateCollection(ctx context.Context) (NewCollection, error)

	// AddMember adds the port `member` to the collection id, whose token
	// is token. The member's credentials must allow posting through it:
	// the port's own token or a scoped token of ScopePost; a ScopeListen
	// token does not. The collection keeps the hash of that token, never
	// the token, and a broadcast posts with it: the member keeps working
	// exactly as long as the token does. Adding a member again replaces
	// the token it was added with. added is false for such a replacement.
	//
	// Errors: ErrUnauthorized for an unknown or expired collection or a
	// wrong collection token; a *MemberError for a refused member (an
	// unknown port, a wrong, dead or listen-only token, a closed channel,
	// a port in the middle of a move); ErrTooManyMembers when the
	// collection has Limits.MaxCollectionMembers members already.
	AddMember(ctx context.Context, id, token string, member Credentials) (added bool, err error)

	// RemoveMember removes the port portID from the collection.
	//
	// Errors: ErrUnauthorized as for AddMember; ErrMemberNotFound when the
	// port is not a member.
	RemoveMember(ctx context.Context, id, token, portID string) error

	// DescribeCollection returns the collection and its members. Looking
	// is not activity: it does not keep the collection alive.
	//
	// Errors: ErrUnauthorized as for AddMember.
	DescribeCollection(ctx context.Context, id, token string) (CollectionInfo, error)

	// DeleteCollection forgets the collection. Its members' ports are
	// not touched.
	//
	// Errors: ErrUnauthorized as for AddMember.
	DeleteCollection(ctx context.Context, id, token string) error

	// Broadcast posts msg (its data, or its bytes and content type, and
	// its origin; a transfer list is refused: a port cannot be given to
	// many) through every member, each
	// exactly as
	// Post through that member with the token it was added with: queued
	// at the member's peer with the peer's own next id, bounded by
	// Limits.MaxQueue, pushed to the peer's readers. Every member ends in
	// the result, either delivered (with the message's id at the peer) or
	// refused with the reason; a member is never skipped silently. Members
	// are posted to independently: one's refusal does not stop the others.
	//
	// A member whose post the store cannot tell the outcome of (its
	// answer was lost: a timeout, a dropped connection) is reported as
	// Unknown, never as refused: the message may be at its peer. A member
	// is Delivered only when stored, Refused only when not.
	//
	// The check of Limits.MaxBroadcastBytes (CheckBroadcastSize) comes
	// before anything is stored.
	//
	// Errors: ErrUnauthorized as for AddMember; ErrInvalid when msg does
	// not pass CheckOutgoing or has ports; ErrBroadcastTooLarge when the
	// members times the message's Size pass Limits.MaxBroadcastBytes.
	Broadcast(ctx context.Context, id, token string, msg Outgoing) (BroadcastResult, error)

	// BroadcastOnce is Broadcast under an idempotency key: each member's
	// post is made as PostOnce through that member, under the key
	// BroadcastKey(id, token, once.Key) and once.Fingerprint, so that a
	// retry of a broadcast whose answer was lost (or that reported members
	// unknown or unavailable) stores nothing twice: a member already
	// reached answers its first id, the others are posted to now.
	//
	// Errors: those of Broadcast. A member whose key was used with another
	// fingerprint is refused with BroadcastKeyReused.
	BroadcastOnce(ctx context.Context, id, token string, msg Outgoing, once Idempotency) (BroadcastResult, error)

	// Subscribe returns a Subscription that is woken whenever something
	// happens at any of the ports that a reader should look at: a message
	// queued, the channel closed, the port transferred, a token revoked.
	// Its notices say which port to Read, or hand over a message (see
	// Notice), in the order things happened. One doorbell serves all the
	// ports, and subscribing costs no connection to the engine per
	// subscriber nor a goroutine per port. Subscribe returns once the
	// subscription is in place (on Redis, once the engine confirmed it), so
	// subscribe before the first Read: nothing happening between the two
	// is missed. It checks no credentials; a port that does not exist
	// never rings.
	//
	// Errors: ErrUnavailable when the engine cannot confirm the
	// subscription in time (nothing stays subscribed then), and ctx's
	// error when ctx ends first; no other of the list above.
	Subscribe(ctx context.Context, portIDs ...string) (*Subscription, error)

	// Ready reports whether the engine is reachable and its schema is the
	// one this build expects.
	Ready(ctx context.Context) error

	// Close releases the store's resources. Subscriptions stop firing.
	Close() error
}

// Limits are the bounds a store enforces. The zero value of a field means
// its Default*.
type Limits struct {
	// MaxQueue is the most messages that may wait at one port; a post
	// beyond it fails with ErrQueueFull.
	MaxQueue int
	// MaxQueueBytes is the most bytes of message data that may wait at
	// one port; a post whose data would pass it fails with
	// ErrQueueBytesFull. Only the data counts (a message's Size: its
	// JSON as stored and delivered, or a binary message's bytes): the
	// rest of a message is small and bounded, and MaxQueue bounds how
	// many there are.
	MaxQueueBytes int64
	// MaxBroadcastBytes is the most bytes one broadcast may store: its
	// collection's members times the message's Size. A broadcast
	// beyond it fails with ErrBroadcastTooLarge before anything is
	// stored.
	MaxBroadcastBytes int64
	// ChannelTTL is how long a channel may go without activity before the
	// store forgets it with everything it holds.
	ChannelTTL time.Duration
	// IdempotencyWindow is how long the answer to a request made under an
	// idempotency key is remembered for its retries.
	IdempotencyWindow time.Duration
	// MaxCollectionMembers is the most members one collection may have.
	MaxCollectionMembers int
}

// Defaults for Limits.
const (
	DefaultMaxQueue = 10_000
	// DefaultMaxQueueBytes holds 256 messages of the largest size the
	// HTTP layer takes by default (256 KiB), or the whole DefaultMaxQueue
	// of messages up to 6 KiB: a reader that falls behind has room, and
	// one port cannot hold gigabytes (10,000 messages of 256 KiB would be
	// 2.6 GB).
	DefaultMaxQueueBytes = 64 << 20
	// DefaultMaxBroadcastBytes lets one broadcast store what one full
	// queue may hold: a 4 KiB message to 10,000 members (40 MiB), a
	// 256 KiB one to 256.
	DefaultMaxBroadcastBytes = 64 << 20
	DefaultChannelTTL        = 7 * 24 * time.Hour

	DefaultIdempotencyWindow = 24 * time.Hour
)

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxQueue <= 0 {
		l.MaxQueue = DefaultMaxQueue
	}
	if l.MaxQueueBytes <= 0 {
		l.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if l.MaxBroadcastBytes <= 0 {
		l.MaxBroadcastBytes = DefaultMaxBroadcastBytes
	}
	if l.ChannelTTL <= 0 {
		l.ChannelTTL = DefaultChannelTTL
	}
	if l.IdempotencyWindow <= 0 {
		l.IdempotencyWindow = DefaultIdempotencyWindow
	}
	if l.MaxCollectionMembers <= 0 {
		l.MaxCollectionMembers = DefaultMaxCollectionMembers
	}
	return l
}

// Admit is the rule of a queue's bounds, which every store applies to every
// post (a broadcast's included): it returns nil when a queue holding n
// messages with queued bytes of data may take one more of size bytes (its
// Size), else ErrQueueFull (n is MaxQueue already) or ErrQueueBytesFull
// (the bytes would pass MaxQueueBytes). l must have its defaults.
func (l Limits) Admit(n int, queued, size int64) error {
	switch {
	case n >= l.MaxQueue:
		return ErrQueueFull
	case queued+size > l.MaxQueueBytes:
		return ErrQueueBytesFull
	}
	return nil
}

// ReadLimit bounds what one Read returns.
type ReadLimit struct {
	// Messages is the most messages returned; below 1 is ErrInvalid.
	Messages int
	// Bytes bounds the bytes of data (Message.Size) of the messages
	// returned, past the
	// first: the first message after `after` is returned whatever its
	// size, so that a message larger than the bound can still be read.
	// 0 means DefaultReadBytes.
	Bytes int64
}

// DefaultReadBytes is ReadLimit.Bytes when none is given: 16 messages of
// 256 KiB.
const DefaultReadBytes = 4 << 20

// Credentials identify a port and prove the right to use it.
type Credentials struct {
	PortID string
	Token  string
}

// PortCredentials are a port's id and a token for it, as handed to whoever
// now holds the port.
type PortCredentials struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// NewChannel is a freshly created channel with both ports' tokens.
type NewChannel struct {
	ID        string
	CreatedAt time.Time
	Port1     PortCredentials
	Port2     PortCredentials
}

// State is the state of a channel, and so of both of its ports.
type State string

// The states of a channel.
const (
	StateOpen   State = "open"
	StateClosed State = "closed"
)

// PortInfo describes a port to its holder.
type PortInfo struct {
	ID        string
	ChannelID string
	// Peer is the id of the entangled port.
	Peer      string
	State     State
	CreatedAt time.Time
	// ClosedAt is set when State is StateClosed.
	ClosedAt time.Time
	// Queued is how many messages wait at the port, unacknowledged, and
	// QueuedBytes the bytes of their data (see Limits.MaxQueueBytes).
	Queued      int
	QueuedBytes int64
	// LastID is the id of the newest message ever queued at the port, or
	// the zero EventID when none was.
	LastID EventID
	// Acked is the newest acknowledged id, or the zero EventID.
	Acked EventID
	// Posted counts the messages ever queued at the port, and
	// Acknowledged those ever deleted by an acknowledgement. Nothing else
	// deletes a message short of the whole channel's expiry, so Queued is
	// always Posted - Acknowledged: a difference would be a loss.
	Posted       int64
	Acknowledged int64
	// Creator is who created the channel, as given to CreateChannel, or
	// "". It is for the deployment (audit, quotas), not necessarily for
	// the port's holder: the HTTP layer does not show it.
	Creator string
}

// Outgoing is a message as posted: a JSON (or text) message, whose Data is
// a JSON value, or a binary one, whose Bytes are any bytes at all, kept
// with their ContentType (see Binary). The two are exclusive: a binary
// message has no Data, a JSON one no Bytes and no ContentType (see
// CheckOutgoing).
type Outgoing struct {
	// Data is any JSON value, for a JSON message. It is stored and
	// delivered byte for byte.
	Data json.RawMessage
	// ContentType is a binary message's media type (see
	// ValidContentType), "" for a JSON message. A message is binary
	// exactly when it is set.
	ContentType string
	// Bytes are a binary message's exact bytes, of any length, 0
	// included. A store keeps them as they are, never through a text or
	// JSON encoding, and keeps a copy of its own: the caller may reuse
	// the slice once the call returns.
	Bytes []byte
	// Transfer lists ports to hand to the receiver with the message, with
	// the sender's tokens for them.
	Transfer []Credentials
	// Origin is the origin the posting request claimed (its Origin
	// header), "" for none. The HTTP layer checks its form (see
	// ValidOrigin); the store keeps it as given.
	Origin string
}

// Message is a message as delivered: JSON (Data set) or binary
// (ContentType and Bytes set, Data nil), as it was posted (see Outgoing).
type Message struct {
	// ID is the message's event id at the receiving port.
	ID EventID
	// Data is a JSON message's data, nil for a binary message.
	Data json.RawMessage
	// ContentType is a binary message's media type, "" for a JSON
	// message (see Binary).
	ContentType string
	// Bytes are a binary message's bytes, exactly as posted: never nil
	// for a binary message, though perhaps empty; nil for a JSON one.
	// They are the caller's own: changing them changes nothing stored.
	Bytes []byte
	// Ports are the ports transferred with the message, with the fresh
	// tokens that are now the receiver's.
	Ports []PortCredentials
	// Source is the id of the port the message was posted through.
	Source string
	SentAt time.Time
	// Origin is Outgoing.Origin as posted, "" for none.
	Origin string
	// Undecodable is set, to a short reason, when the stored message
	// could not be decoded: it is corrupt, or was written by a newer
	// schema. Then only ID is known for sure (Source and SentAt when
	// they could be read) and Data, ContentType, Bytes and Ports are
	// empty. Such a message
	// is delivered as an error in its place (the Web API's
	// messageerror event) and acknowledged like any other.
	Undecodable string
}

// Batch is what one Read returns.
type Batch struct {
	Messages []Message
	// State is the channel's state when the batch was read. A reader that
	// gets an empty batch from a closed channel has seen everything that
	// will ever arrive at the port.
	State State
	// ClosedAt is set when State is StateClosed.
	ClosedAt time.Time
	// Acked is the port's acknowledged-through id when the batch was
	// read. A reader whose `after` is before it has missed messages that
	// were acknowledged (by another reader) and deleted since.
	Acked EventID
	// LastID is the id of the newest message ever queued at the port (the
	// zero EventID when none was). A reader whose `after` is past it asks
	// to resume from a point the store does not know: its messages were
	// lost with a Redis that failed over or restarted without them, and
	// ids up to `after` may be issued again (see the handlers' reset).
	LastID EventID
	// Truncated is set when the read stopped at its ReadLimit.Bytes: more
	// messages follow the last one returned, though the batch holds fewer
	// than ReadLimit.Messages.
	Truncated bool
}
