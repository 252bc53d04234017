package connlimit

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"
)

// Refusal answers, written to a refused connection before it is closed
// (unless Limits.TLS): no request has been read, so this is all a client
// can be told, and it is more than a reset, which looks like a crash. A
// client over its own bound is told 429, as the HTTP layer tells a
// forwarded one; a full server is 503. Retry-After matches what the API
// answers with its other refusals. It is a best effort: a client that has
// already sent its request may see the reset that closing a socket with
// unread input causes rather than the answer, and then it sees what a
// silent close would have shown it anyway.
var refusals = [numReasons][]byte{
	perClient: []byte("HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"),
	pending:   []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"),
	global:    []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"),
}

// refusalWriteTimeout bounds the write of a refusal, which runs in the
// accept loop. A fresh socket's send buffer takes the few bytes at once;
// the bound only guards against a kernel that would not.
const refusalWriteTimeout = 50 * time.Millisecond

// Listen wraps ln so that its Accept returns only connections within l's
// bounds; any other is closed at once (after a refusal answer, unless
// Limits.TLS) and counted in Stats. A connection counts until it is
// closed, whoever closes it. Serve HTTP on it with ConnState set as the
// server's hook, or a connection counts as pending until it closes.
func (l *Limiter) Listen(ln net.Listener) net.Listener {
	return &listener{Listener: ln, l: l}
}

type listener struct {
	net.Listener
	l *Limiter
}

// Accept returns the next connection within the bounds. Connections
// refused on the way are handled here, so the server never sees them.
func (ln *listener) Accept() (net.Conn, error) {
	for {
		nc, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c, why, ok := ln.l.admit(nc)
		if ok {
			return c, nil
		}
		ln.l.refuse(nc, why)
	}
}

// refuse closes a connection refused for why, then counts it.
func (l *Limiter) refuse(nc net.Conn, why reason) {
	if !l.limits.TLS {
		_ = nc.SetWriteDeadline(time.Now().Add(refusalWriteTimeout))
		_, _ = nc.Write(refusals[why])
	}
	_ = nc.Close()
	l.refused[why].Add(1)
}

// ConnState is the http.Server.ConnState hook that tells l when a
// connection is past its first request's headers: any state after
// http.StateNew means so. net/http reports http.StateActive once it has
// read a request's headers (or given up on them, and then closes the
// connection), and http.StateIdle only after a request; HTTP/2 reports
// them once the client's preface is read. Idle keep-alive connections
// are therefore not pending: they are bounded by PerClient, Global and the
// server's IdleTimeout, and counting them as pending would let a pool of
// quiet keep-alive connections shut new clients out. A connection that
// goes idle and then sends its next headers slowly is bounded by the
// server's ReadHeaderTimeout.
//
// Connections of other listeners are ignored; a *tls.Conn is looked
// through to the connection under it.
func (l *Limiter) ConnState(nc net.Conn, state http.ConnState) {
	if state == http.StateNew {
		return
	}
	c, ok := nc.(*conn)
	if u, isTLS := nc.(interface{ NetConn() net.Conn }); !ok && isTLS {
		c, ok = u.NetConn().(*conn)
	}
	if ok && c.l == l {
		c.donePending()
	}
}

// conn is an admitted connection: it counts until its first Close.
type conn struct {
	net.Conn
	l       *Limiter
	client  netip.Prefix
	counted bool
	pending atomic.Bool
	closed  atomic.Bool
}

// donePending takes c out of the pending count, once.
func (c *conn) donePending() {
	if c.pending.CompareAndSwap(true, false) {
		c.l.pending.Add(-1)
	}
}

// Close closes the connection, then counts it out: after, so that a slot
// is never handed on while its descriptor is still open.
func (c *conn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.donePending()
		if c.counted {
			c.l.releaseClient(c.client)
		}
		c.l.open.Add(-1)
	}
	return err
}

// CloseWrite half-closes the connection when the one under it can:
// net/http uses it to close a connection without a reset that could
// destroy its last answer.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// NetConn returns the connection under c, as tls.Conn's does: a handler
// that takes a connection over (a parked event stream) watches its
// descriptor for the client's hang-up.
func (c *conn) NetConn() net.Conn { return c.Conn }

// peerAddr is the IP of a connection's remote address, or the zero Addr
// when it has none (a Unix socket).
func peerAddr(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap().WithZone("")
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}
