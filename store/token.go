package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns a fresh port token: 256 bits from crypto/rand, encoded
// as unpadded base64url, so it is safe in a header or a URL as it is.
func NewToken() string {
	var b [32]byte
	// crypto/rand.Read never fails on the platforms Go supports; it
	// crashes the program rather than return short.
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken returns what a store keeps of a token: its SHA-256, in hex. A
// token has 256 bits of entropy, so an unsalted fast hash is enough: there
// is no dictionary to try.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	// Encoded on the stack, so the result is the one allocation.
	var text [2 * sha256.Size]byte
	hex.Encode(text[:], sum[:])
	return string(text[:])
}

// SameHash compares two token hashes in constant time. It is
// subtle.ConstantTimeCompare on the strings themselves: converting them to
// byte slices would copy both on every authenticated request.
func SameHash(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var diff byte
	for i := 0; i < len(a); i++ {
		diff |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(diff, 0) == 1
}
