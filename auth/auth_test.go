package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func pubPEM(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Malformed key material is refused when it is loaded, with an error that
// says what is wrong and never quotes an API key.
func TestKeyMaterialRefused(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, err := range map[string]error{
		"api key not hex": second(ParseAPIKeys("sk_live_secret")),
		"api key short":   second(ParseAPIKeys("abcd")),
		"api keys empty":  second(ParseAPIKeys("")),
		"hs256 short":     second(NewHS256([]byte("short"), JWTOptions{})),
		"pem none":        second(NewPEM([]byte("junk"), JWTOptions{})),
		"pem rsa 1024":    second(NewPEM([]byte(pubPEM(t, &small.PublicKey)), JWTOptions{})),
		"pem p384":        second(NewPEM([]byte(pubPEM(t, &p384.PublicKey)), JWTOptions{})),
		"pem private":     second(NewPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), JWTOptions{})),
		"jwks not json":   second(NewJWKS([]byte("{"), JWTOptions{})),
		"jwks empty":      second(NewJWKS([]byte(`{"keys":[]}`), JWTOptions{})),
		"jwks oct":        second(NewJWKS([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`), JWTOptions{})),
		"jwks off curve":  second(NewJWKS([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}]}`), JWTOptions{})),
		"jwks p384":       second(NewJWKS([]byte(`{"keys":[{"kty":"EC","crv":"P-384","x":"AQ","y":"AQ"}]}`), JWTOptions{})),
		"jwks rsa bad n":  second(NewJWKS([]byte(`{"keys":[{"kty":"RSA","n":"!!","e":"AQAB"}]}`), JWTOptions{})),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "sk_live_secret") {
			t.Errorf("%s: the error quotes the key: %v", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// An API key is found among several hashes; its creator names the first
// 8 hex digits of its hash; anything else is ErrInvalid.
func TestAPIKeys(t *testing.T) {
	sum := sha256.Sum256([]byte("k1"))
	h := hex.EncodeToString(sum[:])
	other := sha256.Sum256([]byte("k2"))
	keys, err := ParseAPIKeys(hex.EncodeToString(other[:]) + " , " + strings.ToUpper(h))
	if err != nil {
		t.Fatal(err)
	}
	if who, err := keys.Authenticate("k1"); err != nil || who != "apikey:"+h[:8] {
		t.Errorf("k1: %q %v", who, err)
	}
	for _, k := range []string{"", "k3", h, "k1 "} {
		if _, err := keys.Authenticate(k); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", k, err)
		}
	}
}

// A JWKS with an RSA key never accepts HS256 tokens, whatever secret they
// were made with (the RSA modulus, the PEM of the public key); a token's
// kid picks among keys; a key meant for encryption is skipped.
func TestJWKSAlgorithms(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	b64 := base64.RawURLEncoding.EncodeToString
	doc := fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"a","n":%q,"e":"AQAB"},{"kty":"RSA","use":"enc","kid":"b","n":"AQ","e":"AQAB"}]}`, b64(k.N.Bytes()))
	v, err := NewJWKS([]byte(doc), JWTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"HS256", "RS512", "none"} {
		bad := fmt.Sprintf(`{"keys":[{"kty":"RSA","alg":%q,"n":%q,"e":"AQAB"}]}`, alg, b64(k.N.Bytes()))
		if _, err := NewJWKS([]byte(bad), JWTOptions{}); err == nil {
			t.Errorf("an RSA key with alg %s was accepted", alg)
		}
	}
	claims := jwt.MapClaims{"sub": "s", "exp": time.Now().Add(time.Minute).Unix()}
	good := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	good.Header["kid"] = "a"
	tok, _ := good.SignedString(k)
	if who, err := v.Authenticate(tok); err != nil || who != "s" {
		t.Fatalf("valid: %q %v", who, err)
	}
	other := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	other.Header["kid"] = "b"
	tok, _ = other.SignedString(k)
	if _, err := v.Authenticate(tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("kid of a skipped key: %v", err)
	}
	for _, secret := range [][]byte{k.N.Bytes(), []byte(pubPEM(t, &k.PublicKey))} {
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if _, err := v.Authenticate(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("HS256 with the public key as secret: %v", err)
		}
	}
	for _, m := range []jwt.SigningMethod{jwt.SigningMethodPS256, jwt.SigningMethodRS512} {
		tok, _ := jwt.NewWithClaims(m, claims).SignedString(k)
		if _, err := v.Authenticate(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", m.Alg(), err)
		}
	}
}
