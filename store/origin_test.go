package store

import (
	"strings"
	"testing"
)

func TestValidOrigin(t *testing.T) {
	good := []string{
		"", "null",
		"https://example.com", "http://localhost:8080", "http://127.0.0.1:1",
		"https://[::1]:443", "https://[2001:db8::7]", "chrome-extension://abcdefghijklmnop",
		"https://xn--bcher-kva.example", "http://a:65535", "web+app://x.y",
	}
	for _, s := range good {
		if !ValidOrigin(s) {
			t.Errorf("ValidOrigin(%q) = false, want true", s)
		}
	}
	bad := []string{
		"NULL", "Null", "example.com", "https://", "https:///x", "://example.com", "1http://x",
		"https://Example.com", "HTTPS://example.com", "https://example.com/", "https://example.com/path",
		"https://example.com?q", "https://example.com#f", "https://user@example.com",
		"https://example.com:", "https://example.com:65536", "https://example.com:1234567",
		"https://example.com:8o", "https://[::1", "https://[]", "https://[::g]", "https://exa mple.com",
		"https://example.com\x00", "https://b\u00fccher.example", "https://example.com, https://other.com",
		"https://" + strings.Repeat("a", MaxOriginLen),
	}
	for _, s := range bad {
		if ValidOrigin(s) {
			t.Errorf("ValidOrigin(%q) = true, want false", s)
		}
	}
}
