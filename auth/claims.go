package auth

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// claims are a JWT's registered claims, read strictly. jwt's own reading
// is lenient where it matters: a NumericDate is read through json.Number,
// which also takes a string holding a number, so {"exp":"1700000000"}
// passed for an expiry; and an aud of null passed as no audience. RFC 7519
// §4.1 gives each registered claim one JSON type, and a token that breaks
// that was not made by anyone we should believe, so it is refused before
// its claims are read.
type claims struct {
	jwt.RegisteredClaims
}

// claimTypes are the registered claims and the JSON type each must have.
var claimTypes = map[string]func(json.RawMessage) bool{
	"exp": isNumber,
	"nbf": isNumber,
	"iat": isNumber,
	"sub": isString,
	"iss": isString,
	"jti": isString,
	"aud": isAudience,
}

// UnmarshalJSON reads the registered claims of a JWT's payload, after
// checking that each present has its type. Duplicate names are read as
// encoding/json reads them, the last one wins, in the check as in the
// claims.
func (c *claims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for name, is := range claimTypes {
		if v, ok := raw[name]; ok && !is(v) {
			return fmt.Errorf("claim %q has the wrong JSON type", name)
		}
	}
	return json.Unmarshal(b, &c.RegisteredClaims)
}

// isNumber reports whether v is a JSON number.
func isNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

// isString reports whether v is a JSON string.
func isString(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] == '"'
}

// isAudience reports whether v is a JSON string or an array of strings.
func isAudience(v json.RawMessage) bool {
	if isString(v) {
		return true
	}
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil || list == nil {
		return false
	}
	for _, s := range list {
		if !isString(s) {
			return false
		}
	}
	return true
}
