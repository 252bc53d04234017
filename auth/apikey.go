package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// APIKeys admits the holders of a fixed list of keys. It keeps only the
// keys' SHA-256 hashes, so the configuration never holds a working key.
type APIKeys struct {
	hashes [][sha256.Size]byte
}

// ParseAPIKeys reads a comma-separated list of keys' SHA-256 hashes in
// hex (`printf %s "$KEY" | sha256sum`). Spaces around entries are ignored;
// an empty list or a malformed entry is an error, which names the entry's
// position, never its text.
func ParseAPIKeys(list string) (*APIKeys, error) {
	var k APIKeys
	for i, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		b, err := hex.DecodeString(entry)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("entry %d is not a SHA-256 hash in hex (64 hex digits)", i+1)
		}
		k.hashes = append(k.hashes, [sha256.Size]byte(b))
	}
	return &k, nil
}

// Authenticate returns the creator a key stands for,
// "apikey:<first 8 hex digits of its hash>", or ErrInvalid. The hash is
// compared with every configured hash in constant time, and with all of
// them whatever matches, so timing tells nothing about the list.
func (k *APIKeys) Authenticate(key string) (string, error) {
	sum := sha256.Sum256([]byte(key))
	match := 0
	for _, h := range k.hashes {
		match |= subtle.ConstantTimeCompare(sum[:], h[:])
	}
	if key == "" || match != 1 {
		return "", ErrInvalid
	}
	return "apikey:" + hex.EncodeToString(sum[:4]), nil
}
