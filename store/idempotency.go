package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Idempotency names a request that its client may send more than once,
// meaning it once: the client's Idempotency-Key, and a fingerprint of what
// the request asks for. Whoever makes the fingerprint decides what counts
// as the same request; the stores compare fingerprints and nothing else.
type Idempotency struct {
	Key         string
	Fingerprint [sha256.Size]byte
}

// FingerprintHex is the fingerprint as the stores keep it.
func (o Idempotency) FingerprintHex() string { return hex.EncodeToString(o.Fingerprint[:]) }

// Labels that keep the derivations of one idempotency key apart: knowing
// one derived value says nothing about the others.
const (
	postIndexLabel      = "tincan idempotency: post record\x00"
	transferIndexLabel  = "tincan idempotency: transfer record\x00"
	transferSealedLabel = "tincan idempotency: transfer answer key"
	broadcastKeyLabel   = "tincan idempotency: broadcast member key\x00"
	channelIndexLabel   = "tincan idempotency: channel record"
	channelSealedLabel  = "tincan idempotency: channel answer key"
)

// PostIndex names the record of a post made under key through the port
// portID with the token whose hash is tokenHash (see HashToken): the key
// is scoped to the credential presented, so that only the caller who made
// a post can replay it, not another holder of a token for the same port.
func PostIndex(portID, tokenHash, key string) string {
	return credentialIndex(postIndexLabel, portID, tokenHash, key)
}

// TransferIndex names the record of a transfer made under key of the port
// portID by the holder of the token whose hash is tokenHash: the token
// that the transfer kills, which its caller presents again on a retry.
func TransferIndex(portID, tokenHash, key string) string {
	return credentialIndex(transferIndexLabel, portID, tokenHash, key)
}

// credentialIndex digests a record's label, port, credential and key.
// Ids, token hashes and keys hold no NUL, so the separators keep every
// combination apart.
func credentialIndex(label, portID, tokenHash, key string) string {
	sum := sha256.Sum256([]byte(label + portID + "\x00" + tokenHash + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// BroadcastKey is the idempotency key under which a broadcast made under
// key through the collection id (presented with token) posts through each
// member (see Store.BroadcastOnce). It depends on the collection's token,
// so that only a holder of that token can replay the broadcast.
func BroadcastKey(id, token, key string) string {
	sum := sha256.Sum256([]byte(broadcastKeyLabel + id + "\x00" + HashToken(token) + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// SealTransfer encrypts the answer to a transfer for its record, as
// SealChannel does a channel's: the new token is never kept usable. Only
// the caller presenting the same key (and so the same record name) opens
// it.
func SealTransfer(once Idempotency, index string, pc PortCredentials) ([]byte, error) {
	plain, err := json.Marshal(pc)
	if err != nil {
		return nil, err
	}
	return seal(once.Key, transferSealedLabel, plain, append([]byte(index), once.Fingerprint[:]...))
}

// OpenTransfer decrypts what SealTransfer made with the same key, index and
// fingerprint.
func OpenTransfer(once Idempotency, index string, sealed []byte) (PortCredentials, error) {
	plain, err := unseal(once.Key, transferSealedLabel, sealed, append([]byte(index), once.Fingerprint[:]...))
	if err != nil {
		return PortCredentials{}, fmt.Errorf("transfer answer: %w", err)
	}
	var pc PortCredentials
	if err := json.Unmarshal(plain, &pc); err != nil {
		return PortCredentials{}, fmt.Errorf("sealed transfer answer: %w", err)
	}
	return pc, nil
}

// CreatorKey scopes a channel creation's idempotency key to its creator:
// the result is the key that CreateChannelOnce is given, so the record's
// name (ChannelIndex) and its sealing key both depend on the creator too.
// An anonymous creator ("", while creation is open) keeps the key as it
// is. Keys are printable ASCII, so the NUL separator keeps every
// (creator, key) pair apart.
func CreatorKey(creator, key string) string {
	if creator == "" {
		return key
	}
	return creator + "\x00" + key
}

// ChannelIndex names the record of a channel created under key. It is a
// derivation of the key distinct from the sealing key (see SealChannel),
// so that the record's name does not open the record.
func ChannelIndex(key string) string {
	return deriveName(key, channelIndexLabel)
}

// SealChannel encrypts the answer to a channel creation for its record.
//
// The answer holds both ports' tokens, which the stores otherwise keep only
// as hashes, so that reading the store never yields a working token. The
// record keeps that promise: it is AES-256-GCM under a key derived (HKDF)
// from the client's Idempotency-Key, which the store never keeps, and is
// named by another derivation of it (ChannelIndex). Only a client that
// presents the key again can open it. The record name and fingerprint are
// the additional data, so a sealed answer cannot be moved to another
// record. This is as strong as the key is unguessable: clients should use
// random keys (a UUIDv4, say), as every idempotency-key API asks.
func SealChannel(once Idempotency, ch NewChannel) ([]byte, error) {
	plain, err := json.Marshal(ch)
	if err != nil {
		return nil, err
	}
	return seal(once.Key, channelSealedLabel, plain, channelAAD(once))
}

// OpenChannel decrypts what SealChannel made with the same key and
// fingerprint.
func OpenChannel(once Idempotency, sealed []byte) (NewChannel, error) {
	plain, err := unseal(once.Key, channelSealedLabel, sealed, channelAAD(once))
	if err != nil {
		return NewChannel{}, fmt.Errorf("channel answer: %w", err)
	}
	var ch NewChannel
	if err := json.Unmarshal(plain, &ch); err != nil {
		return NewChannel{}, fmt.Errorf("sealed channel answer: %w", err)
	}
	return ch, nil
}

func channelAAD(once Idempotency) []byte {
	return append([]byte(ChannelIndex(once.Key)), once.Fingerprint[:]...)
}
