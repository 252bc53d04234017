// Package connlimit bounds the connections a server holds, where they are
// accepted: per client, in all, and those that have not yet finished their
// first request's headers. Counting at accept sees every connection, idle
// ones, streams, long polls and connections a handler hijacks included, so
// no kind of request can take the process's file descriptors.
//
// A Limiter keeps the counts; Limiter.Listen wraps the server's listener,
// and Limiter.ConnState, set as http.Server.ConnState, tells it when a
// connection is past its headers. A connection over a bound is closed as
// soon as it is accepted. Clients behind a trusted proxy are counted by the
// HTTP layer, once the headers name them, with Limiter.Acquire, in the
// same table as the clients that connect directly.
package connlimit

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Limits are the bounds a Limiter keeps. Zero is no bound.
type Limits struct {
	// PerClient bounds what one client (see Group) holds at once: its
	// open connections plus the requests trusted proxies forward for it
	// (Limiter.Acquire).
	PerClient int
	// Global bounds the connections open at once, whoever holds them.
	Global int
	// Pending bounds the connections open at once that have not finished
	// their first request's headers (the TLS handshake included). Each
	// may hold up to http.Server.MaxHeaderBytes of headers being read,
	// so this bounds that memory too.
	Pending int
	// TrustedProxies are the networks of proxies whose connections are
	// exempt from PerClient: they carry many clients, which the HTTP
	// layer counts with Acquire. Their connections count toward Global
	// and Pending like any other.
	TrustedProxies []netip.Prefix
	// TLS says the server speaks TLS on the listener. A refused
	// connection is then closed without an answer, since the client,
	// waiting for a handshake, could not read a plain one.
	TLS bool
}

// Limiter counts connections and forwarded clients against Limits. It is
// safe for concurrent use.
type Limiter struct {
	limits Limits

	// mu guards clients and every admission: the check of a bound and the
	// count that follows happen together, so no bound is overshot. A
	// count only ever goes down outside mu, which can only make a check
	// more lenient afterwards, never overshoot.
	mu sync.Mutex
	// clients counts, per client group, open connections and forwarded
	// requests; a group at zero is deleted, so the map holds only the
	// clients present now.
	clients map[netip.Prefix]int

	open, pending, forwarded atomic.Int64
	accepted                 atomic.Uint64
	refused                  [numReasons]atomic.Uint64
	refusedForwarded         atomic.Uint64
}

// New returns a Limiter that keeps limits.
func New(limits Limits) *Limiter {
	return &Limiter{limits: limits, clients: map[netip.Prefix]int{}}
}

// reason is the bound a refused connection met.
type reason int

const (
	perClient reason = iota
	pending
	global
	numReasons
)

// Group is the client an address is counted as: an IPv4 address on its
// own (/32), an IPv6 address by its /64, the smallest network a
// subscriber is usually given, so that one subscriber cannot multiply its
// budget by the 2^64 addresses it holds. An IPv4-mapped IPv6 address
// counts as its IPv4 address; a zone is dropped. An invalid address gives
// the zero Prefix.
func Group(a netip.Addr) netip.Prefix {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	return netip.PrefixFrom(a, 64).Masked()
}

// Acquire counts one more connection for the client at addr, for a
// request a trusted proxy forwards: call it once the request's headers
// name the client, and call release when the request ends (for a stream
// or a long poll, when it closes). It refuses, counting nothing, when the
// client already holds Limits.PerClient connections and forwarded
// requests. An address in TrustedProxies, or an invalid one, is neither
// counted nor refused. release may be called more than once; it counts
// down once.
func (l *Limiter) Acquire(addr netip.Addr) (release func(), ok bool) {
	if !addr.IsValid() || l.trusted(addr) {
		return func() {}, true
	}
	g := Group(addr)
	l.mu.Lock()
	if over(l.clients[g], l.limits.PerClient) {
		l.mu.Unlock()
		l.refusedForwarded.Add(1)
		return nil, false
	}
	l.clients[g]++
	l.forwarded.Add(1)
	l.mu.Unlock()
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			l.forwarded.Add(-1)
			l.releaseClient(g)
		}
	}, true
}

// admit counts a connection just accepted, as pending, or says which
// bound refuses it. A peer that is a trusted proxy, or has no IP address,
// is not counted per client.
func (l *Limiter) admit(nc net.Conn) (c *conn, refused reason, ok bool) {
	c = &conn{Conn: nc, l: l}
	if peer := peerAddr(nc.RemoteAddr()); peer.IsValid() && !l.trusted(peer) {
		c.client, c.counted = Group(peer), true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	// The client's own bound first: when it is the one to blame, it is
	// the one to say so.
	case c.counted && over(l.clients[c.client], l.limits.PerClient):
		return nil, perClient, false
	case over(int(l.pending.Load()), l.limits.Pending):
		return nil, pending, false
	case over(int(l.open.Load()), l.limits.Global):
		return nil, global, false
	}
	if c.counted {
		l.clients[c.client]++
	}
	c.pending.Store(true)
	l.open.Add(1)
	l.pending.Add(1)
	l.accepted.Add(1)
	return c, 0, true
}

// releaseClient counts down a client's connections by one.
func (l *Limiter) releaseClient(g netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients[g]--; l.clients[g] <= 0 {
		delete(l.clients, g)
	}
}

// trusted reports whether a is in one of the trusted proxies' networks.
func (l *Limiter) trusted(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range l.limits.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// over reports whether n already meets the bound max, 0 being none.
func over(n, max int) bool { return max > 0 && n >= max }

// Stats are a Limiter's counts, for metrics: the gauges are what is held
// now, the counters only grow.
type Stats struct {
	// Open is the connections open now (accepted and not yet closed).
	Open int64
	// Pending is those of them not yet past their first request's
	// headers.
	Pending int64
	// Forwarded is the forwarded requests counted now (Acquire).
	Forwarded int64
	// Clients is the client groups holding at least one connection or
	// forwarded request.
	Clients int
	// Accepted counts the connections admitted.
	Accepted uint64
	// RefusedPerClient, RefusedPending and RefusedGlobal count the
	// connections closed at accept, by the bound they met (the client's
	// own first).
	RefusedPerClient, RefusedPending, RefusedGlobal uint64
	// RefusedForwarded counts the refusals of Acquire.
	RefusedForwarded uint64
}

// Stats returns the counts now.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	clients := len(l.clients)
	l.mu.Unlock()
	return Stats{
		Open:             l.open.Load(),
		Pending:          l.pending.Load(),
		Forwarded:        l.forwarded.Load(),
		Clients:          clients,
		Accepted:         l.accepted.Load(),
		RefusedPerClient: l.refused[perClient].Load(),
		RefusedPending:   l.refused[pending].Load(),
		RefusedGlobal:    l.refused[global].Load(),
		RefusedForwarded: l.refusedForwarded.Load(),
	}
}
