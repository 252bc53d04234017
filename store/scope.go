package store

import (
	"crypto/rand"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
)

// Scope is what a port token lets its holder do. The port's own token
// (from the channel's creation, a transfer, or a transfer list) is
// ScopeFull; its holder may mint extra tokens with a narrower scope, so
// that, say, many clients may post to one worker without being able to
// read its messages or give its port away.
type Scope string

// The scopes of a port token.
const (
	// ScopeFull is the port's own token: everything.
	ScopeFull Scope = "full"
	// ScopePost may send through the port and look at it, nothing else.
	ScopePost Scope = "post"
	// ScopeListen may read and acknowledge the port's messages and look at
	// it, nothing else.
	ScopeListen Scope = "listen"
)

// Op is an operation on a port, as far as scopes are concerned.
type Op string

// The operations a token's scope is checked against.
const (
	OpDescribe Op = "describe"
	OpPost     Op = "post"
	OpRead     Op = "read"
	// OpAck is part of reading: a listener that could not acknowledge
	// would see everything again on every reconnection.
	OpAck      Op = "ack"
	OpClose    Op = "close"
	OpTransfer Op = "transfer"
	// OpGiveAway is listing the port in a message's transfer list: like
	// OpTransfer, it hands the port to someone else.
	OpGiveAway Op = "give_away"
	// OpTokens is minting, listing and revoking scoped tokens.
	OpTokens Op = "tokens"
)

// scopes is the one table of what each scope allows. The Redis store's
// scripts get it as their ALLOWS table, written from Allows by
// store/redis/preamble.go; the conformance suite checks both stores
// against Allows.
var scopes = map[Scope]map[Op]bool{
	ScopePost:   {OpDescribe: true, OpPost: true},
	ScopeListen: {OpDescribe: true, OpRead: true, OpAck: true},
}

// Allows reports whether a token of scope s may do op.
func (s Scope) Allows(op Op) bool {
	if s == ScopeFull {
		return true
	}
	return scopes[s][op]
}

// Mintable reports whether s is a scope a holder may mint: the narrow ones.
func (s Scope) Mintable() bool { return s == ScopePost || s == ScopeListen }

// Bounds of scoped tokens.
const (
	// MaxScopedTokens is the most scoped tokens one port may have at once;
	// minting more fails with ErrTooManyTokens.
	MaxScopedTokens = 100
	// MaxFormerTokens is the most dead tokens (transferred away, or killed
	// with a transfer) one port remembers, to answer their holders
	// ErrTransferred rather than ErrUnauthorized; older ones are forgotten
	// first. It bounds what a client looping on transfer can make a store
	// keep.
	MaxFormerTokens = 256
	// MaxTokenLabel is the longest label, in bytes.
	MaxTokenLabel = 64
)

// ValidLabel reports whether label may name a scoped token: valid UTF-8 of
// at most MaxTokenLabel bytes without control characters.
func ValidLabel(label string) bool {
	if len(label) > MaxTokenLabel || !utf8.ValidString(label) {
		return false
	}
	for _, r := range label {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// More errors a Store returns about scopes.
var (
	// ErrInsufficientScope: the token is valid for the port, but its scope
	// does not allow the operation.
	ErrInsufficientScope = errors.New("insufficient scope")
	// ErrTooManyTokens: the port already has MaxScopedTokens scoped tokens.
	ErrTooManyTokens = errors.New("too many scoped tokens")
	// ErrTokenNotFound: no scoped token of the port has that id.
	ErrTokenNotFound = errors.New("no such scoped token")
)

// RefusedScope: a transfer list names a port with a token whose scope does
// not allow giving it away.
const RefusedScope TransferRefusal = "insufficient_scope"

// ScopedToken describes a scoped token to the port's holder; the secret
// itself is only ever returned by MintToken.
type ScopedToken struct {
	// ID is a ULID naming the token, for revoking it.
	ID        string
	Scope     Scope
	Label     string
	CreatedAt time.Time
}

// MintedToken is a scoped token just minted, with its secret.
type MintedToken struct {
	ScopedToken
	Token string
}

// NewTokenID returns a fresh id for a scoped token: a ULID drawn from
// crypto/rand. It names the token; it proves nothing.
func NewTokenID(now time.Time) string {
	// ulid.New fails only when the entropy source does, and crypto/rand
	// does not return short.
	return ulid.MustNew(ulid.Timestamp(now), rand.Reader).String()
}
