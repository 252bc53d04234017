package store

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
)

// TagLength is how many leading characters a channel's id and both of its
// port ids share. That shared prefix is the channel's tag: a storage engine
// can find every key of a channel from any of its port ids without a lookup
// (in Redis it is the hash tag that keeps a channel's keys in one slot).
// Twenty characters are the 10-character ULID time and 50 random bits, so
// two channels made in the same millisecond share a tag with a chance of
// about one in 2^50; CreateChannel refuses, and retries, on a clash.
const TagLength = 20

// NewChannelIDs returns fresh ids for a channel and its two ports. All three
// are ULIDs, drawn from crypto/rand, sharing their first TagLength
// characters and otherwise distinct.
func NewChannelIDs(now time.Time) (channel, port1, port2 string, err error) {
	id, err := ulid.New(ulid.Timestamp(now), rand.Reader)
	if err != nil {
		return "", "", "", fmt.Errorf("new channel id: %w", err)
	}
	channel = id.String()
	tag := channel[:TagLength]
	for port1 == "" || port1 == channel {
		if port1, err = withTag(tag); err != nil {
			return "", "", "", err
		}
	}
	for port2 == "" || port2 == channel || port2 == port1 {
		if port2, err = withTag(tag); err != nil {
			return "", "", "", err
		}
	}
	return channel, port1, port2, nil
}

// withTag returns a ULID that starts with tag and ends with random
// characters of ULID's Crockford base32 alphabet.
func withTag(tag string) (string, error) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [ulid.EncodedSize - TagLength]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new port id: %w", err)
	}
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return tag + string(b[:]), nil
}

// Tag returns the tag of a channel id or port id: the prefix that a
// channel's ids share. It returns "" for a string that is not a valid id.
func Tag(id string) string {
	if !ValidID(id) {
		return ""
	}
	return id[:TagLength]
}

// ValidID reports whether s is a canonical ULID string (26 characters of
// upper-case Crockford base32, within ULID's range).
func ValidID(s string) bool {
	if len(s) != ulid.EncodedSize {
		return false
	}
	id, err := ulid.ParseStrict(s)
	return err == nil && id.String() == s
}
