package connlimit

import (
	"net/netip"
	"testing"
)

// A client is an IPv4 address, or an IPv6 address's /64; a mapped IPv4
// address is its IPv4 address; zones do not matter.
func TestGroup(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                   "192.0.2.7/32",
		"::ffff:192.0.2.7":            "192.0.2.7/32",
		"2001:db8:1:2:3:4:5:6":        "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:ff:1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":             "2001:db8:1:3::/64",
		"fe80::1%eth0":                "fe80::/64",
		"::1":                         "::/64",
	} {
		if got := Group(netip.MustParseAddr(in)); got.String() != want {
			t.Errorf("Group(%s) = %s, want %s", in, got, want)
		}
	}
	if got := Group(netip.Addr{}); got.IsValid() {
		t.Errorf("Group of the zero Addr = %s, want the zero Prefix", got)
	}
}

// Forwarded clients share one bound per client, IPv6 by its /64; a
// release frees the slot, once however often it is called; a trusted
// proxy's own address and an invalid one are never counted.
func TestAcquire(t *testing.T) {
	l := New(Limits{PerClient: 2, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	a := netip.MustParseAddr("203.0.113.9")
	r1, ok1 := l.Acquire(a)
	_, ok2 := l.Acquire(a)
	if !ok1 || !ok2 {
		t.Fatalf("the first two of a client: %v %v", ok1, ok2)
	}
	if _, ok := l.Acquire(a); ok {
		t.Fatal("the third of a client with PerClient 2 was counted")
	}
	if _, ok := l.Acquire(netip.MustParseAddr("::ffff:203.0.113.9")); ok {
		t.Fatal("the mapped form of a full client's address was counted")
	}
	r1()
	r1()
	if _, ok := l.Acquire(a); !ok {
		t.Fatal("a released slot was not freed")
	}
	if _, ok := l.Acquire(a); ok {
		t.Fatal("a second call of release freed a second slot")
	}

	v6 := netip.MustParseAddr("2001:db8:0:1::1")
	l.Acquire(v6)
	l.Acquire(netip.MustParseAddr("2001:db8:0:1:ffff::2"))
	if _, ok := l.Acquire(netip.MustParseAddr("2001:db8:0:1::3")); ok {
		t.Error("a third address of a full /64 was counted")
	}
	if _, ok := l.Acquire(netip.MustParseAddr("2001:db8:0:2::1")); !ok {
		t.Error("another /64 was refused")
	}

	for _, exempt := range []netip.Addr{netip.MustParseAddr("10.1.2.3"), {}} {
		for range 5 {
			if _, ok := l.Acquire(exempt); !ok {
				t.Fatalf("%v was refused", exempt)
			}
		}
	}
	s := l.Stats()
	if s.Forwarded != 5 || s.Clients != 3 || s.RefusedForwarded != 4 {
		t.Errorf("stats %+v, want 5 forwarded from 3 clients, 4 refused", s)
	}
}
