package handlers

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tincan-dev/tincan/auth"
	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/store"
)

// authKeys are the keys the creation-auth tests sign and verify with,
// made once: RSA key generation is slow under the race detector.
var authKeys = struct {
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	secret []byte
}{
	rsa:    must(rsa.GenerateKey(rand.Reader, 2048)),
	ec:     must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
	secret: []byte("an HS256 secret of at least 32 bytes, for tests"),
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func pemPublic(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func jwksOf(t *testing.T) []byte {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	ec := authKeys.ec.PublicKey
	raw := must(ec.Bytes())
	doc := map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "r1", "use": "sig", "alg": "RS256", "n": b64(authKeys.rsa.N.Bytes()), "e": b64([]byte{1, 0, 1})},
		{"kty": "EC", "kid": "e1", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])},
	}}
	return must(json.Marshal(doc))
}

// claims are a valid token's claims for sub, with changes applied.
func claims(sub string, change func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": sub, "aud": "tincan", "iss": "https://issuer.test", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix()}
	if change != nil {
		change(c)
	}
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	logscan.Secret("JWT", s)
	return s
}

// authMode is one way to configure creation auth, with a valid
// credential and the creator it stands for.
type authMode struct {
	name    string
	auth    func(t *testing.T) Authenticator
	valid   func(t *testing.T) string
	creator string
	// refused are credentials that must get the same 401.
	refused func(t *testing.T) map[string]string
}

const apiKey = "tk_live_4f9c2e1a7b3d8e6f0a1b2c3d4e5f6a7b"

func jwtOpts() auth.JWTOptions {
	return auth.JWTOptions{Audience: "tincan", Issuer: "https://issuer.test"}
}

// jwtRefusals are the bad tokens every JWT mode refuses, for a mode
// signing with m and key.
func jwtRefusals(t *testing.T, m jwt.SigningMethod, key any, kid string) map[string]string {
	none := must(jwt.NewWithClaims(jwt.SigningMethodNone, claims("mallory", nil)).SignedString(jwt.UnsafeAllowNoneSignatureType))
	return map[string]string{
		"expired":       sign(t, m, key, claims("alice", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }), kid),
		"not yet valid": sign(t, m, key, claims("alice", func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(2 * time.Minute).Unix() }), kid),
		"no exp":        sign(t, m, key, claims("alice", func(c jwt.MapClaims) { delete(c, "exp") }), kid),
		"wrong aud":     sign(t, m, key, claims("alice", func(c jwt.MapClaims) { c["aud"] = "elsewhere" }), kid),
		"wrong iss":     sign(t, m, key, claims("alice", func(c jwt.MapClaims) { c["iss"] = "https://evil.test" }), kid),
		"no sub":        sign(t, m, key, claims("", nil), kid),
		"alg none":      none,
		"malformed":     "not.a.jwt",
		"tampered":      sign(t, m, key, claims("alice", nil), kid) + "x",
		"hs256 other":   sign(t, jwt.SigningMethodHS256, []byte("another secret, also 32 bytes long!!"), claims("alice", nil), kid),
		// Alg confusion: HS256 "signed" with the RSA public key's PEM as
		// the secret, which a verifier trusting the header would accept.
		"alg confusion": sign(t, jwt.SigningMethodHS256, pemPublic(t, &authKeys.rsa.PublicKey), claims("alice", nil), kid),
		"other rsa key": sign(t, jwt.SigningMethodRS256, otherRSA, claims("alice", nil), kid),
	}
}

var otherRSA = must(rsa.GenerateKey(rand.Reader, 2048))

var authModes = []authMode{
	{
		name: "apikey",
		auth: func(t *testing.T) Authenticator {
			sum := sha256.Sum256([]byte(apiKey))
			k, err := auth.ParseAPIKeys("0000000000000000000000000000000000000000000000000000000000000000, " + hex.EncodeToString(sum[:]))
			if err != nil {
				t.Fatal(err)
			}
			return k
		},
		valid:   func(*testing.T) string { return apiKey },
		creator: "apikey:" + sha256hex(apiKey)[:8],
		refused: func(t *testing.T) map[string]string {
			return map[string]string{"wrong key": apiKey + "x", "hash as key": sha256hex(apiKey), "malformed": "not a key"}
		},
	},
	{
		name: "jwt-hs256",
		auth: func(t *testing.T) Authenticator { return must(auth.NewHS256(authKeys.secret, jwtOpts())) },
		valid: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, authKeys.secret, claims("alice", nil), "")
		},
		creator: "alice",
		refused: func(t *testing.T) map[string]string {
			return jwtRefusals(t, jwt.SigningMethodHS256, authKeys.secret, "")
		},
	},
	{
		name: "jwt-rs256",
		auth: func(t *testing.T) Authenticator {
			return must(auth.NewPEM(pemPublic(t, &authKeys.rsa.PublicKey), jwtOpts()))
		},
		valid: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, authKeys.rsa, claims("bob", nil), "")
		},
		creator: "bob",
		refused: func(t *testing.T) map[string]string {
			return jwtRefusals(t, jwt.SigningMethodRS256, authKeys.rsa, "")
		},
	},
	{
		name: "jwt-es256",
		auth: func(t *testing.T) Authenticator {
			return must(auth.NewPEM(pemPublic(t, &authKeys.ec.PublicKey), jwtOpts()))
		},
		valid: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, authKeys.ec, claims("carol", nil), "")
		},
		creator: "carol",
		refused: func(t *testing.T) map[string]string {
			r := jwtRefusals(t, jwt.SigningMethodES256, authKeys.ec, "")
			r["rs256 by the right holder of another alg"] = sign(t, jwt.SigningMethodRS256, authKeys.rsa, claims("carol", nil), "")
			return r
		},
	},
	{
		name: "jwt-jwks",
		auth: func(t *testing.T) Authenticator { return must(auth.NewJWKS(jwksOf(t), jwtOpts())) },
		valid: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, authKeys.ec, claims("dave", nil), "e1")
		},
		creator: "dave",
		refused: func(t *testing.T) map[string]string {
			r := jwtRefusals(t, jwt.SigningMethodRS256, authKeys.rsa, "r1")
			r["wrong kid"] = sign(t, jwt.SigningMethodRS256, authKeys.rsa, claims("dave", nil), "e1")
			return r
		},
	},
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// With creation auth on, a valid credential creates a channel for its
// creator, and anything else (missing, wrong scheme, every kind of bad
// key or token) gets one and the same 401, body and header alike. Port
// routes keep their own tokens and need no creation credential.
func TestCreateAuth(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		for _, m := range authModes {
			t.Run(m.name, func(t *testing.T) {
				c := e.server(t, func(o *options) { o.cfg.CreateAuth = m.auth(t) })

				res := c.do(req{method: "POST", path: "/channels", token: m.valid(t)}).want(t, http.StatusCreated)
				ch := decodeBody[channel](t, res)
				c.send(ch.Port1, `"hello"`)
				checkCreator(t, c, ch, m.creator)
				if l := c.list(ch.Port2, ""); len(l.Messages) != 1 {
					t.Errorf("port routes with auth on: %+v", l)
				}

				first := c.do(req{method: "POST", path: "/channels"})
				first.wantProblem(t, http.StatusUnauthorized, "unauthorized")
				if got := first.header.Get("WWW-Authenticate"); got != `Bearer realm="tincan"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
				bad := m.refused(t)
				bad["empty bearer"] = " "
				bad["port token"] = ch.Port1.Token
				for name, cred := range bad {
					res := c.do(req{method: "POST", path: "/channels", header: map[string]string{"Authorization": "Bearer " + cred}})
					res.wantProblem(t, http.StatusUnauthorized, "unauthorized")
					if !bytes.Equal(res.body, first.body) || res.header.Get("WWW-Authenticate") != first.header.Get("WWW-Authenticate") {
						t.Errorf("%s: answer differs from a missing credential's: %s", name, res.body)
					}
				}
				basic := c.do(req{method: "POST", path: "/channels", header: map[string]string{"Authorization": "Basic " + m.valid(t)}})
				if basic.status != http.StatusUnauthorized || !bytes.Equal(basic.body, first.body) {
					t.Errorf("Basic scheme: %d %s", basic.status, basic.body)
				}
			})
		}
	})
}

// checkCreator fails the test unless both of ch's ports were recorded
// with creator, which GET /ports/{id} does not show.
func checkCreator(t *testing.T, c *client, ch channel, creator string) {
	t.Helper()
	for _, p := range []port{ch.Port1, ch.Port2} {
		info, err := c.store.Describe(context.Background(), store.Credentials{PortID: p.ID, Token: p.Token})
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if info.Creator != creator {
			t.Errorf("port %s: creator %q, want %q", p.ID, info.Creator, creator)
		}
		res := c.do(req{method: "GET", path: "/ports/" + p.ID, token: p.Token}).want(t, http.StatusOK)
		if creator != "" && bytes.Contains(res.body, []byte(creator)) {
			t.Errorf("GET /ports/{id} shows the creator: %s", res.body)
		}
	}
}

// With creation open, channels have no creator, also when created under
// an Idempotency-Key.
func TestCreateOpenNoCreator(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		checkCreator(t, c, c.createChannel(), "")
		res := c.do(req{method: "POST", path: "/channels", header: map[string]string{"Idempotency-Key": "open-1"}}).want(t, http.StatusCreated)
		checkCreator(t, c, decodeBody[channel](t, res), "")
	})
}

// A channel creation's Idempotency-Key is scoped to its creator: the same
// creator's retry is replayed, another creator's use of the same key
// makes another channel.
func TestCreateAuthIdempotencyPerCreator(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		a := must(auth.NewHS256(authKeys.secret, auth.JWTOptions{}))
		c := e.server(t, func(o *options) { o.cfg.CreateAuth = a })
		alice := sign(t, jwt.SigningMethodHS256, authKeys.secret, claims("alice", nil), "")
		bob := sign(t, jwt.SigningMethodHS256, authKeys.secret, claims("bob", nil), "")
		create := func(tok string) (channel, string) {
			res := c.do(req{method: "POST", path: "/channels", token: tok, header: map[string]string{"Idempotency-Key": "k-1"}}).want(t, http.StatusCreated)
			return decodeBody[channel](t, res), res.header.Get("Idempotent-Replayed")
		}
		a1, _ := create(alice)
		checkCreator(t, c, a1, "alice")
		a2, replayed := create(alice)
		if a2.ID != a1.ID || replayed != "true" {
			t.Errorf("alice's retry: %s (replayed %q), want %s replayed", a2.ID, replayed, a1.ID)
		}
		b1, replayed := create(bob)
		checkCreator(t, c, b1, "bob")
		if b1.ID == a1.ID || replayed != "" {
			t.Errorf("bob's use of alice's key got %s (replayed %q)", b1.ID, replayed)
		}
	})
}

// The creation 401 says nothing of what was wrong, and the log at debug
// level holds no credential.
func TestCreateAuthLogsNoCredential(t *testing.T) {
	var logs bytes.Buffer
	s := NewServer(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil, Config{CreateAuth: must(auth.ParseAPIKeys(sha256hex(apiKey)))})
	for _, cred := range []string{apiKey + "-wrong", "eyJhbGciOiJub25lIn0.e30."} {
		r, _ := http.NewRequest("POST", "/channels", nil)
		r.Header.Set("Authorization", "Bearer "+cred)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("status %d", w.Code)
		}
		if strings.Contains(logs.String(), cred) || strings.Contains(logs.String(), apiKey) {
			t.Errorf("a credential was logged: %s", logs.String())
		}
	}
}
