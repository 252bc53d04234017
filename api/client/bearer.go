package client

import (
	"context"
	"net/http"
)

// Bearer returns a RequestEditorFn that sends token as the request's
// "Authorization: Bearer" credential: a port's token on the /ports routes,
// or an API key or JWT on createChannel where the deployment asks for one.
// Pass it to each call (tokens belong to ports, not to the client), or to
// WithRequestEditorFn for a client that always speaks for one port.
func Bearer(token string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}
