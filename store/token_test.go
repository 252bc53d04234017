package store

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestHashTokenIsHexSHA256(t *testing.T) {
	for _, token := range []string{"", "a", NewToken(), NewToken()} {
		sum := sha256.Sum256([]byte(token))
		if got, want := HashToken(token), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("HashToken(%q) = %q, want %q", token, got, want)
		}
	}
}

func TestSameHash(t *testing.T) {
	h := HashToken(NewToken())
	last := h[:len(h)-1] + string(h[len(h)-1]^1)
	first := string(h[0]^1) + h[1:]
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{h, h, true},
		{"", "", true},
		{h, last, false},
		{h, first, false},
		{h, h[:len(h)-1], false},
		{h, h + "0", false},
		{h, "", false},
	} {
		if got := SameHash(c.a, c.b); got != c.want {
			t.Errorf("SameHash(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
