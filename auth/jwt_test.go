package auth

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// hsSecret is the HS256 key of the tests of claims and headers.
var hsSecret = []byte("0123456789abcdef0123456789abcdef")

// hsToken signs claims with hsSecret, with extra header parameters.
func hsToken(t *testing.T, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(hsSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// with returns a valid token's claims with the given ones set over them.
func with(set jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "s", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix()}
	for k, v := range set {
		c[k] = v
	}
	return c
}

// A registered claim of the wrong JSON type refuses a correctly signed
// token (RFC 7519 §4.1): a NumericDate is a number, never a string that
// reads as one; aud is a string or an array of strings; sub, iss and jti
// are strings; null is none of these. Other claims are not looked at.
func TestJWTClaimTypes(t *testing.T) {
	v, err := NewHS256(hsSecret, JWTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	soon := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	for name, claims := range map[string]jwt.MapClaims{
		"exp string":        with(jwt.MapClaims{"exp": soon}),
		"exp null":          with(jwt.MapClaims{"exp": nil}),
		"exp bool":          with(jwt.MapClaims{"exp": true}),
		"nbf string":        with(jwt.MapClaims{"nbf": past}),
		"iat string":        with(jwt.MapClaims{"iat": past}),
		"iat array":         with(jwt.MapClaims{"iat": []int64{1}}),
		"aud number":        with(jwt.MapClaims{"aud": 5}),
		"aud object":        with(jwt.MapClaims{"aud": map[string]any{"a": "b"}}),
		"aud null":          with(jwt.MapClaims{"aud": nil}),
		"aud number inside": with(jwt.MapClaims{"aud": []any{"a", 1}}),
		"aud null inside":   with(jwt.MapClaims{"aud": []any{"a", nil}}),
		"sub number":        with(jwt.MapClaims{"sub": 7}),
		"sub array":         with(jwt.MapClaims{"sub": []string{"s"}}),
		"sub null":          with(jwt.MapClaims{"sub": nil}),
		"iss number":        with(jwt.MapClaims{"iss": 1}),
		"jti object":        with(jwt.MapClaims{"jti": map[string]any{}}),
	} {
		if who, err := v.Authenticate(hsToken(t, nil, claims)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted as %q (%v)", name, who, err)
		}
	}
	for name, claims := range map[string]jwt.MapClaims{
		"plain":            with(nil),
		"exp fractional":   with(jwt.MapClaims{"exp": float64(time.Now().Add(time.Minute).UnixMilli()) / 1000}),
		"aud string":       with(jwt.MapClaims{"aud": "a"}),
		"aud array":        with(jwt.MapClaims{"aud": []string{"a", "b"}}),
		"aud empty array":  with(jwt.MapClaims{"aud": []string{}}),
		"no iat nor nbf":   {"sub": "s", "exp": time.Now().Add(time.Minute).Unix()},
		"private of types": with(jwt.MapClaims{"role": 5, "tags": nil, "exp_note": "soon"}),
	} {
		if who, err := v.Authenticate(hsToken(t, nil, claims)); err != nil || who != "s" {
			t.Errorf("%s: %q %v", name, who, err)
		}
	}
}

// A token with a crit header is refused, whatever it lists: tincan
// understands no JWS extension, and RFC 7515 §4.1.11 says a recipient
// must then refuse the token. A kid that is not a string is malformed.
func TestJWTHeader(t *testing.T) {
	v, err := NewHS256(hsSecret, JWTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, header := range map[string]map[string]any{
		"crit exp":    {"crit": []string{"exp"}, "exp": 1},
		"crit b64":    {"crit": []string{"b64"}, "b64": true},
		"crit empty":  {"crit": []string{}},
		"crit string": {"crit": "x"},
		"crit null":   {"crit": nil},
		"kid number":  {"kid": 1},
	} {
		if who, err := v.Authenticate(hsToken(t, header, with(nil))); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted as %q (%v)", name, who, err)
		}
	}
	if who, err := v.Authenticate(hsToken(t, map[string]any{"kid": "k", "typ": "JWT", "x-other": 1}, with(nil))); err != nil || who != "s" {
		t.Errorf("a header with a string kid and unknown parameters: %q %v", who, err)
	}
}
