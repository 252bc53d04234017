package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// derive returns n bytes derived (HKDF-SHA-256) from secret for the purpose
// named by label. Distinct labels give unrelated values, so one derivation
// of a secret says nothing about another.
func derive(secret, label string, n int) []byte {
	b, err := hkdf.Key(sha256.New, []byte(secret), nil, label, n)
	if err != nil {
		panic(err) // only for lengths beyond what HKDF-SHA-256 can make
	}
	return b
}

// deriveName returns a record name derived from secret under label, in hex.
func deriveName(secret, label string) string {
	return hex.EncodeToString(derive(secret, label, sha256.Size))
}

// seal encrypts plain with AES-256-GCM under the key derived from secret
// under label, binding aad to it. The random nonce leads the result.
func seal(secret, label string, plain, aad []byte) ([]byte, error) {
	aead, err := sealer(secret, label)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(nonce) // never fails; see crypto/rand
	return aead.Seal(nonce, nonce, plain, aad), nil
}

// unseal opens what seal made with the same secret, label and aad.
func unseal(secret, label string, sealed, aad []byte) ([]byte, error) {
	aead, err := sealer(secret, label)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed record too short")
	}
	nonce, box := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, box, aad)
	if err != nil {
		return nil, fmt.Errorf("open sealed record: %w", err)
	}
	return plain, nil
}

func sealer(secret, label string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(derive(secret, label, 32))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
