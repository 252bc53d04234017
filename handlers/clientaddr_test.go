package handlers

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

func TestParseTrustedProxies(t *testing.T) {
	good := map[string]string{
		"":                            "[]",
		" 10.0.0.0/8 , fd00::/8 ":     "[10.0.0.0/8 fd00::/8]",
		"192.0.2.7,2001:db8::1":       "[192.0.2.7/32 2001:db8::1/128]",
		"10.1.2.3/8":                  "[10.0.0.0/8]",
		"::ffff:192.0.2.7":            "[192.0.2.7/32]",
		"172.16.0.0/12,,127.0.0.1/32": "[172.16.0.0/12 127.0.0.1/32]",
	}
	for in, want := range good {
		nets, err := ParseTrustedProxies(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := sprint(nets); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "localhost", "10.0.0.*", "fe80::1%eth0", "10.0.0.0/8;"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func sprint[T interface{ String() string }](v []T) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += x.String()
	}
	return s + "]"
}

// TestClientAddress works through who the client is, for a server that
// trusts the proxies in 10.0.0.0/8 and 2001:db8:ffff::/48.
func TestClientAddress(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8,2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New(store.Limits{})
	t.Cleanup(func() { _ = st.Close() })
	s := NewServer(slog.New(slog.DiscardHandler), st, Config{TrustedProxies: trusted})
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer", "192.0.2.1:5000", []string{"198.51.100.1"}, "192.0.2.1"},
		{"no header", "10.0.0.1:5000", nil, "10.0.0.1"},
		{"one proxy", "10.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"forged entries left of the proxy's", "10.0.0.1:5000", []string{"203.0.113.9, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", "10.0.0.1:5000", []string{"198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"headers in order", "10.0.0.1:5000", []string{"203.0.113.9", "198.51.100.1, 10.0.0.2"}, "198.51.100.1"},
		{"all trusted", "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"with a port", "10.0.0.1:5000", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 counted by its /64", "[2001:db8:ffff::1]:5000", []string{"[2001:db8::7]:4711"}, "2001:db8::/64"},
		{"IPv6 peer counted by its /64", "[2001:db8:1:2:3:4:5:6]:5000", nil, "2001:db8:1:2::/64"},
		{"another /64", "[2001:db8:1:3::1]:5000", nil, "2001:db8:1:3::/64"},
		{"IPv4 in IPv6", "[::ffff:10.0.0.1]:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"garbage at the proxy's place", "10.0.0.1:5000", []string{"198.51.100.1, unknown"}, "10.0.0.1"},
		{"garbage behind a proxy", "10.0.0.1:5000", []string{"nonsense, 198.51.100.1"}, "198.51.100.1"},
		{"empty entry", "10.0.0.1:5000", []string{""}, "10.0.0.1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, h := range tt.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := s.clientAddress(r); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestClientAddressWithoutProxies checks that by default only the TCP
// peer counts.
func TestClientAddressWithoutProxies(t *testing.T) {
	st := memory.New(store.Limits{})
	t.Cleanup(func() { _ = st.Close() })
	s := NewServer(slog.New(slog.DiscardHandler), st, Config{})
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := s.clientAddress(r); got != "127.0.0.1" {
		t.Errorf("%s, want the peer 127.0.0.1", got)
	}
}

// TestRetryAfterSeconds checks the rounding of a limiter's wait to
// Retry-After's whole seconds.
func TestRetryAfterSeconds(t *testing.T) {
	for wait, want := range map[string]string{"0s": "1", "1ms": "1", "1s": "1", "1.001s": "2", "2.5s": "3", "-1s": "1"} {
		d, _ := time.ParseDuration(wait)
		if got := (&rateLimitedError{retryAfter: d}).retryAfterSeconds(); got != want {
			t.Errorf("%s: Retry-After %s, want %s", wait, got, want)
		}
	}
}
