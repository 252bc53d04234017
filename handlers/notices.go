package handlers

import (
	"github.com/tincan-dev/tincan/store"
)

// takeNotices handles a ring: the subscription's notices, in the order
// they happened. A message pushed at a port right after the stream's
// position there is written as it comes, with no read; anything else (a
// look, a message after a gap) has the port read from the store, which
// checks the stream's credentials again, before the notices after it are
// used: so a port transferred, closed or revoked leaves the stream before
// any message posted after that could reach it. A port is read at most
// once per ring. Everything written goes out in one flush. takeNotices
// reports whether the stream has ended.
func (st *stream) takeNotices() bool {
	st.notices = st.sub.Take(st.notices[:0])
	defer st.dropNotices()
	for _, p := range st.ports {
		p.read = false
	}
	wrote := false
	for _, n := range st.notices {
		if n.Port == "" {
			if st.deliverFrom(st.ports) {
				return true
			}
			continue
		}
		p := st.port(n.Port)
		if p == nil || p.left || p.read || p.owed {
			// Not ours; gone; read since the notice was given, so the
			// read saw what it announces; or a read is due anyway,
			// which the retry timer makes.
			continue
		}
		if n.Pushed && n.Message.ID.Compare(p.after) <= 0 {
			continue // delivered already
		}
		if n.Pushed && n.Prev == p.after {
			if st.writeMessage(p, n.Message) {
				return true
			}
			wrote = true
			continue
		}
		if st.deliverFrom([]*streamPort{p}) {
			return true
		}
	}
	return wrote && st.flush()
}

// dropNotices lets the taken notices' data go, and a burst's room too,
// which would otherwise stay with the stream while it idles.
func (st *stream) dropNotices() {
	clear(st.notices)
	if cap(st.notices) > 8 {
		st.notices = nil
	}
}

// port returns the stream's port with the id, or nil.
func (st *stream) port(id string) *streamPort {
	for _, p := range st.ports {
		if p.PortID == id {
			return p
		}
	}
	return nil
}

// writeMessage writes m, queued at p, without flushing, and moves p's
// position to it: an `event: message` whose data is m as toMessageJSON
// makes it, the same object a long poll answers, or, for a message the
// store could not decode, an `event: messageerror`, which the client can
// acknowledge away. It reports whether the stream has ended.
func (st *stream) writeMessage(p *streamPort, m store.Message) bool {
	p.after = m.ID
	if m.Undecodable != "" {
		st.s.reportUndecodable(st.r, p.PortID, m)
		return st.event(st.position(), "messageerror", toMessageErrorJSON(p.PortID, m))
	}
	// Encoded from the stream's own field, so that writing a message
	// allocates no copy of it.
	st.message = toMessageJSON(p.PortID, m)
	ended := st.event(st.position(), "message", &st.message)
	st.message = messageJSON{} // the data is the store's batch's, let go with it
	if ended {
		return true
	}
	st.messages++
	st.s.metrics.deliveredStream.Inc()
	return false
}
