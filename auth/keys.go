package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// NewPEM verifies tokens signed by any of the public keys in a PEM file
// ("PUBLIC KEY" blocks): RSA keys for RS256, ECDSA P-256 keys for ES256.
func NewPEM(data []byte, opts JWTOptions) (*JWT, error) {
	var keys []verificationKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("PEM block %d is %q; want PUBLIC KEY", n, block.Type)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		k, err := publicKey(pub, "")
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PUBLIC KEY block in the PEM file")
	}
	return newJWT(keys, opts)
}

// jwk is the part of a JSON Web Key (RFC 7517) read here.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	// RSA
	N string `json:"n"`
	E string `json:"e"`
	// EC
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// NewJWKS verifies tokens signed by the keys of a JWKS document (RFC 7517
// §5), read once: RSA keys for RS256 and EC P-256 keys for ES256. A key
// whose "use" is not "sig" is skipped; a key whose "alg" is not the one
// its type allows, a symmetric key, or any other key type is an error, so
// a mistake in the file is found at start-up rather than at the first
// refused token.
func NewJWKS(data []byte, opts JWTOptions) (*JWT, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	var keys []verificationKey
	for i, j := range doc.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue
		}
		pub, err := j.publicKey()
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d: %w", i, err)
		}
		k, err := publicKey(pub, j.Kid)
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d: %w", i, err)
		}
		if j.Alg != "" && j.Alg != k.alg {
			return nil, fmt.Errorf("JWKS key %d: alg %q, but its key type allows only %s", i, j.Alg, k.alg)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no signing key")
	}
	return newJWT(keys, opts)
}

func (j jwk) publicKey() (any, error) {
	switch j.Kty {
	case "RSA":
		n, err1 := b64int(j.N)
		e, err2 := b64int(j.E)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, errors.New("RSA exponent out of range")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		if j.Crv != "P-256" {
			return nil, fmt.Errorf("EC curve %q; want P-256", j.Crv)
		}
		x, err1 := b64int(j.X)
		y, err2 := b64int(j.Y)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		// Going through the uncompressed encoding checks that the point
		// is on the curve, which a bare ecdsa.PublicKey literal would not.
		if x.BitLen() > 256 || y.BitLen() > 256 {
			return nil, errors.New("EC coordinates too long")
		}
		raw := append([]byte{4}, append(x.FillBytes(make([]byte, 32)), y.FillBytes(make([]byte, 32))...)...)
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	}
	return nil, fmt.Errorf("key type %q; want RSA or EC", j.Kty)
}

// b64int decodes a JWK's base64url (unpadded) big-endian integer.
func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("malformed base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}
