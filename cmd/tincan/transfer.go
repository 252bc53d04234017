package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tincan-dev/tincan/api/client"
)

const transferUsage = `Usage: tincan transfer PORT

Gives PORT (ID:TOKEN) a new token, as handing a port over does: the old
token stops working at once (its streams end with "transferred"), and
whoever holds the new one holds the port, its queue and its peer. Prints
the new credentials, as ID:TOKEN on a terminal, as {"id":...,"token":...}
otherwise.

The request carries an Idempotency-Key and is sent again under the same
key when its answer is lost, so it answers the same new token rather than
a refusal for the token it just replaced.
`

func runTransfer(ctx context.Context, e *env, args []string) error {
	p, err := portOnly(e, "transfer", transferUsage, args)
	if err != nil {
		return err
	}
	key := client.NewIdempotencyKey()
	a, err := e.call(ctx, "transfer", func(ctx context.Context) (*http.Response, error) {
		return e.api.TransferPort(ctx, p.id, &client.TransferPortParams{IdempotencyKey: key}, client.Bearer(p.token))
	})
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return refusal(a)
	}
	var c client.PortCredentials
	if err := decode(a, &c); err != nil {
		return err
	}
	if e.out.text {
		return e.out.line("%s", port{c.Id, c.Token})
	}
	return e.out.json(c)
}

const closeUsage = `Usage: tincan close PORT

Closes the channel of PORT (ID:TOKEN), for both of its ports, as
port.close() does: messages already queued can still be read, later posts
are refused with port_closed, and listeners end once they have printed
what was queued. Closing a closed channel is not an error.
`

func runClose(ctx context.Context, e *env, args []string) error {
	p, err := portOnly(e, "close", closeUsage, args)
	if err != nil {
		return err
	}
	// Closing twice is closing once: safe to send again.
	a, err := e.call(ctx, "close", func(ctx context.Context) (*http.Response, error) {
		return e.api.ClosePort(ctx, p.id, client.Bearer(p.token))
	})
	if err != nil {
		return err
	}
	if a.status != http.StatusNoContent {
		return refusal(a)
	}
	if e.out.text {
		return e.out.line("closed the channel of %s", p.id)
	}
	return e.out.json(map[string]string{"port": p.id, "state": "closed"})
}

// portOnly parses the arguments of a command that takes a PORT and
// nothing else.
func portOnly(e *env, name, text string, args []string) (port, error) {
	fs := newFlagSet(name)
	rest, err := parseFlags(fs, text, args, e.out.w, e.stderr, true)
	if err != nil {
		return port{}, err
	}
	if len(rest) != 1 {
		return port{}, usage(e.stderr, text, fmt.Sprintf("%s takes one PORT, got %d arguments", name, len(rest)))
	}
	p, err := parsePort(rest[0], e.getenv)
	if err != nil {
		return port{}, usage(e.stderr, text, name+": "+err.Error())
	}
	return p, nil
}
