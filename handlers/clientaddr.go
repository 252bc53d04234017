package handlers

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/tincan-dev/tincan/internal/connlimit"
)

// ParseTrustedProxies reads a comma-separated list of the networks whose
// proxies may name the client in X-Forwarded-For: CIDRs such as
// 10.0.0.0/8 or fd00::/8, or single addresses. An empty list trusts no
// proxy.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var nets []netip.Prefix
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q: want a CIDR such as 10.0.0.0/8 or an IP address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		nets = append(nets, p.Masked())
	}
	return nets, nil
}

// clientAddress is the address a request is counted under, for rate limits
// and open streams: the TCP peer's IP, unless the peer is a trusted proxy
// (Config.TrustedProxies). Then it is the right-most X-Forwarded-For
// address that is not itself a trusted proxy: each proxy appends the
// address it got the request from, so everything left of that could have
// been written by the client and is not believed. An IPv6 client is
// counted by its /64 (see clientGroup).
func (s *Server) clientAddress(r *http.Request) string {
	peer, ok := peerAddr(r)
	if !ok {
		return r.RemoteAddr
	}
	if !s.trusted(peer) {
		return clientGroup(peer)
	}
	return clientGroup(s.forwardedClient(r, peer))
}

// forwardedClient is the client a trusted proxy at peer forwards r for:
// the right-most X-Forwarded-For address that is not itself a trusted
// proxy (see clientAddress).
func (s *Server) forwardedClient(r *http.Request, peer netip.Addr) netip.Addr {
	client := peer
	hops := forwardedFor(r)
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(hops[i])
		if !ok {
			// A trusted proxy writes addresses; anything else was written
			// further out, so the nearest trusted hop is all we know.
			break
		}
		client = hop
		if !s.trusted(hop) {
			break
		}
	}
	return client
}

// clientGroup is what a client address is counted as, written as rate
// limit keys have it: the group connlimit counts its connections under
// (an IPv4 address on its own, an IPv6 address by its /64), so that one
// rule decides who a client is for every bound. An IPv4 address is
// written without its /32.
func clientGroup(a netip.Addr) string {
	g := connlimit.Group(a)
	if g.Addr().Is4() {
		return g.Addr().String()
	}
	return g.String()
}

// trusted reports whether a is in one of the trusted proxies' networks.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the TCP peer's IP.
func peerAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// forwardedFor lists the X-Forwarded-For entries of every such header, in
// order.
func forwardedFor(r *http.Request) []string {
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(h, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseHop reads one X-Forwarded-For entry: an IP, or an IP with a port
// ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
