package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
)

// credentials returns the port named in the path and the caller's token
// for it: from "Authorization: Bearer", or, on GET routes (and the HEAD
// beside a GET, which must answer as the GET does) only, from the
// access_token query parameter, because a browser's EventSource cannot set
// headers. The header wins when both are given.
//
// A missing token and a malformed port id are store.ErrUnauthorized, like
// a wrong token, so that the answer tells nothing about which ports exist.
func credentials(r *http.Request) (store.Credentials, error) {
	c := store.Credentials{PortID: chi.URLParam(r, "id")}
	if r.Header.Get("Authorization") != "" {
		c.Token = bearerToken(r)
	} else if r.Method == http.MethodGet || r.Method == http.MethodHead {
		c.Token = r.URL.Query().Get(accessTokenParam)
	}
	if c.Token == "" {
		return c, fmt.Errorf("no bearer token: %w", store.ErrUnauthorized)
	}
	if !store.ValidID(c.PortID) {
		return c, fmt.Errorf("malformed port id: %w", store.ErrUnauthorized)
	}
	return c, nil
}

// bearerToken returns the credential of the request's "Authorization: Bearer"
// header (the scheme in any case), or "" when there is none.
func bearerToken(r *http.Request) string {
	scheme, credential, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(credential)
}
