package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Leeway is the clock skew allowed when checking a JWT's exp and nbf.
const Leeway = 30 * time.Second

// MinHS256Secret is the shortest HS256 secret accepted, in bytes: RFC 7518
// asks for a key at least as long as the hash.
const MinHS256Secret = 32

// minRSABits is the smallest RSA key accepted for RS256.
const minRSABits = 2048

// verificationKey is one configured key and the one algorithm it verifies.
type verificationKey struct {
	alg string // HS256, RS256 or ES256
	kid string // from a JWKS; empty matches any token's kid
	key jwt.VerificationKey
}

// JWT admits bearers of a JSON Web Token signed by one of its keys. Each
// key verifies exactly one algorithm, fixed by the key's type, and a token
// whose header names any other algorithm is refused before its signature
// is looked at: no "none", and no HS256 token "signed" with an RSA public
// key as the secret.
type JWT struct {
	keys     []verificationKey
	methods  []string
	audience string
	issuer   string
}

// JWTOptions are the optional checks of a JWT's claims.
type JWTOptions struct {
	// Audience, when set, must be one of the token's aud.
	Audience string
	// Issuer, when set, must be the token's iss.
	Issuer string
}

// NewHS256 verifies tokens signed with HS256 under secret, which must be
// at least MinHS256Secret bytes.
func NewHS256(secret []byte, opts JWTOptions) (*JWT, error) {
	if len(secret) < MinHS256Secret {
		return nil, fmt.Errorf("HS256 secret has %d bytes; want at least %d", len(secret), MinHS256Secret)
	}
	return newJWT([]verificationKey{{alg: jwt.SigningMethodHS256.Alg(), key: slices.Clone(secret)}}, opts)
}

func newJWT(keys []verificationKey, opts JWTOptions) (*JWT, error) {
	if len(keys) == 0 {
		return nil, errors.New("no verification keys")
	}
	v := &JWT{keys: keys, audience: opts.Audience, issuer: opts.Issuer}
	for _, k := range keys {
		if !slices.Contains(v.methods, k.alg) {
			v.methods = append(v.methods, k.alg)
		}
	}
	return v, nil
}

// publicKey returns the verification key for a parsed public key, with
// its algorithm: RS256 for RSA of at least 2048 bits, ES256 for ECDSA on
// P-256. Any other key is an error.
func publicKey(pub any, kid string) (verificationKey, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return verificationKey{}, fmt.Errorf("RSA key of %d bits; want at least %d", k.N.BitLen(), minRSABits)
		}
		return verificationKey{alg: jwt.SigningMethodRS256.Alg(), kid: kid, key: k}, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return verificationKey{}, fmt.Errorf("ECDSA key on %s; want P-256 (ES256)", k.Curve.Params().Name)
		}
		return verificationKey{alg: jwt.SigningMethodES256.Alg(), kid: kid, key: k}, nil
	}
	return verificationKey{}, fmt.Errorf("unsupported key type %T; want RSA (RS256) or ECDSA P-256 (ES256)", pub)
}

// Authenticate verifies token and returns its sub, or ErrInvalid. The
// token must name an algorithm of a configured key, have no "crit" header
// and a string kid if any, carry a valid signature by such a key, give
// each registered claim its JSON type (see claims), an exp in the future
// and no nbf in the future (with Leeway), the configured audience and
// issuer if any, and a non-empty sub.
func (v *JWT) Authenticate(token string) (string, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods),
		jwt.WithLeeway(Leeway),
		jwt.WithExpirationRequired(),
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	var c claims
	if _, err := jwt.ParseWithClaims(token, &c, v.keyFor, opts...); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if c.Subject == "" {
		return "", fmt.Errorf("%w: no sub", ErrInvalid)
	}
	return c.Subject, nil
}

// keyFor returns the keys that may have signed t: those of its algorithm
// (the parser has already refused algorithms no key has), narrowed to
// its kid when both it and the key have one. It refuses, before any
// signature is checked, a header that asks for what we do not do: a
// "crit" parameter lists extensions the recipient must understand or
// refuse the token (RFC 7515 §4.1.11), and we understand none; and a kid
// that is not a string is malformed (RFC 7515 §4.1.4).
func (v *JWT) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New(`the token's header has "crit": no extension is supported`)
	}
	kid, ok := t.Header["kid"].(string)
	if _, present := t.Header["kid"]; present && !ok {
		return nil, errors.New("the token's kid is not a string")
	}
	alg := t.Method.Alg()
	var set jwt.VerificationKeySet
	for _, k := range v.keys {
		if k.alg == alg && (kid == "" || k.kid == "" || k.kid == kid) {
			set.Keys = append(set.Keys, k.key)
		}
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("no key for the token's algorithm and kid")
	}
	return set, nil
}
