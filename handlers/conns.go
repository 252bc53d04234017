package handlers

import (
	"errors"
	"net/http"
	"net/netip"
)

// ClientConns counts what one client holds open, in the table the
// listener keeps (connlimit.Limiter.Acquire).
type ClientConns interface {
	// Acquire counts one more connection for the client at addr, or
	// refuses it (ok false) when the client holds as many as it may;
	// release ends what it counted.
	Acquire(addr netip.Addr) (release func(), ok bool)
}

// errTooManyConnections is answered 429 too_many_connections.
var errTooManyConnections = errors.New("too many connections")

// countForwardedClient counts a request a trusted proxy forwards as a
// connection of the client it names, for as long as the request lasts
// (streams and long polls included): the listener exempts the proxy's
// own connections, which carry many clients, so this is where those
// clients meet MAX_CONNECTIONS_PER_CLIENT. A client that connects directly
// was counted at accept and is not counted again. Health checks and
// metrics are never refused.
func (s *Server) countForwardedClient(next http.Handler) http.Handler {
	if s.cfg.ClientConns == nil || len(s.cfg.TrustedProxies) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, ok := peerAddr(r)
		if !ok || !s.trusted(peer) || unlimitedPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		release, ok := s.cfg.ClientConns.Acquire(s.forwardedClient(r, peer))
		if !ok {
			s.writeError(w, r, errTooManyConnections)
			return
		}
		handedOn := false
		defer func() {
			if !handedOn {
				release()
			}
		}()
		next.ServeHTTP(w, r)
		if tail := requestTailOf(r); tail != nil {
			// A parked stream holds its client's count until it ends.
			handedOn = true
			tail.later(func(int64) { release() })
		}
	})
}
