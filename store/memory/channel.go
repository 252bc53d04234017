package memory

import (
	"time"

	"github.com/tincan-dev/tincan/store"
)

// channel is one MessageChannel: two entangled ports.
type channel struct {
	id        string
	createdAt time.Time // UTC wall clock, as reported
	closedAt  time.Time // zero while open
	// touched is the last activity, with its monotonic reading, so that a
	// wall-clock jump neither expires nor revives channels.
	touched time.Time
	ports   [2]*port
	creator string // see store.PortInfo.Creator
}

func (c *channel) isClosed() bool { return !c.closedAt.IsZero() }

func (c *channel) state() store.State {
	if c.isClosed() {
		return store.StateClosed
	}
	return store.StateOpen
}

// port is one end of a channel and the queue of messages waiting at it.
type port struct {
	id        string
	ch        *channel
	peer      *port
	tokenHash string
	// former are the hashes of tokens this port had before, oldest first,
	// at most store.MaxFormerTokens of them: a holder transferring a port
	// in a loop cannot grow it without end.
	former []string
	// scoped are the port's live scoped tokens, oldest first.
	scoped []*scopedToken

	queue []store.Message // unacknowledged, ids ascending
	// queuedBytes is the bytes of the queued messages' data (see
	// store.Limits.MaxQueueBytes).
	queuedBytes int64
	lastID      store.EventID // newest id ever queued here
	acked       store.EventID
	// posted and acknowledged count the messages ever queued here and
	// those ever deleted by Ack (see store.PortInfo).
	posted, acknowledged int64
}

// scopedToken is a scoped token as kept: its hash, never the secret.
type scopedToken struct {
	store.ScopedToken
	hash string
}

// rekey mints the port's next token and kills the current one and every
// scoped token: whoever holds the port now decides who else may use it.
func (p *port) rekey() string {
	token := store.NewToken()
	p.rekeyTo(token)
	return token
}

// rekeyTo is rekey with the next token given, for a caller that must
// prepare what it keeps of the token before anything changes.
func (p *port) rekeyTo(token string) {
	p.former = append(p.former, p.tokenHash)
	for _, t := range p.scoped {
		p.former = append(p.former, t.hash)
	}
	p.scoped = nil
	if len(p.former) > store.MaxFormerTokens {
		p.former = append(p.former[:0], p.former[len(p.former)-store.MaxFormerTokens:]...)
	}
	p.tokenHash = store.HashToken(token)
}

// nextID returns the id for the next message queued at p: the current
// millisecond, or the one after p's newest id if the clock has not moved on
// (or went back), the way a Redis stream assigns ids.
func (p *port) nextID(now time.Time) store.EventID {
	ms := uint64(now.UnixMilli())
	if ms > p.lastID.Ms {
		return store.EventID{Ms: ms}
	}
	return p.lastID.Next()
}

func (p *port) info() store.PortInfo {
	info := store.PortInfo{
		ID:        p.id,
		ChannelID: p.ch.id,
		Peer:      p.peer.id,
		State:     p.ch.state(),
		CreatedAt: p.ch.createdAt,
		ClosedAt:  p.ch.closedAt,
		Queued:    len(p.queue),
		LastID:    p.lastID,
		Acked:     p.acked,

		QueuedBytes:  p.queuedBytes,
		Posted:       p.posted,
		Acknowledged: p.acknowledged,
		Creator:      p.ch.creator,
	}
	return info
}
