package handlers

import (
	"errors"
	"net/http"
)

// Authenticator decides who may create channels. Authenticate is given
// the bearer credential of a POST /channels (an API key or a JWT) and
// returns the creator it stands for, or an error. Every error is answered
// with the same 401, so an implementation may say in it what was wrong:
// the client is never told, and it is logged at debug level only, so it
// must not quote the credential.
type Authenticator interface {
	Authenticate(credential string) (creator string, err error)
}

// Errors of the deployment's own authentication, both 401 unauthorized.
var (
	// errCreateUnauthorized refuses a channel creation without valid
	// credentials, whatever was wrong with them.
	errCreateUnauthorized = errors.New("channel creation needs valid credentials")
	// errQueryToken refuses ?access_token= where the deployment allows
	// tokens only in the Authorization header.
	errQueryToken = errors.New("access_token in the URL refused")
)

// creator returns who creates a channel: "" while creation is open (no
// Authenticator), else what the Authenticator makes of the request's
// bearer credential.
func (s *Server) creator(r *http.Request) (string, error) {
	if s.cfg.CreateAuth == nil {
		return "", nil
	}
	credential := bearerToken(r)
	if credential == "" {
		return "", errCreateUnauthorized
	}
	who, err := s.cfg.CreateAuth.Authenticate(credential)
	if err != nil || who == "" {
		return "", errors.Join(errCreateUnauthorized, err)
	}
	return who, nil
}
