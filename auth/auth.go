// Package auth decides who may create channels: holders of an API key, or
// bearers of a JWT signed by a configured key. Ports need none of this;
// their tokens are capabilities checked by the store.
package auth

import "errors"

// ErrInvalid is every refusal of a credential. Callers answer each the
// same way, so that a client learns nothing about which check failed.
var ErrInvalid = errors.New("invalid credentials")
