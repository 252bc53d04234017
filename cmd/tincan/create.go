package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/tincan-dev/tincan/api/client"
)

const createUsage = `Usage: tincan create [-sh]

Creates a channel and prints its two ports as ID:TOKEN, the way the other
commands take them. On a terminal, one port a line; otherwise the
service's answer as one line of JSON (id, port1, port2, created_at).

  -sh   print shell assignments instead, P1='ID:TOKEN' and P2='ID:TOKEN':
        eval "$(tincan create -sh)"

Where the service asks for a key to create channels, set TINCAN_API_KEY
(an API key or a JWT). The request carries an Idempotency-Key and is sent
again under it when its answer is lost, so one channel is made.
`

// shellSafe is what -sh prints between single quotes.
var shellSafe = regexp.MustCompile(`^[0-9A-Za-z_-]+:[0-9A-Za-z_-]+$`)

func runCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("create")
	sh := fs.Bool("sh", false, "")
	rest, err := parseFlags(fs, createUsage, args, e.out.w, e.stderr, true)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usage(e.stderr, createUsage, fmt.Sprintf("create takes no arguments, got %q", rest))
	}

	var editors []client.RequestEditorFn
	if key := e.getenv("TINCAN_API_KEY"); key != "" {
		editors = append(editors, client.Bearer(key))
	}
	key := client.NewIdempotencyKey()
	a, err := e.call(ctx, "create", func(ctx context.Context) (*http.Response, error) {
		return e.api.CreateChannel(ctx, &client.CreateChannelParams{IdempotencyKey: &key}, editors...)
	})
	if err != nil {
		return err
	}
	if a.status != http.StatusCreated {
		return refusal(a)
	}
	var ch client.Channel
	if err := decode(a, &ch); err != nil {
		return err
	}
	p1 := port{ch.Port1.Id, ch.Port1.Token}
	p2 := port{ch.Port2.Id, ch.Port2.Token}
	switch {
	case *sh:
		// For eval: nothing the service answered may reach the shell
		// but ids and tokens, ULIDs and base64url.
		if !shellSafe.MatchString(p1.String()) || !shellSafe.MatchString(p2.String()) {
			return fmt.Errorf("create: the service answered ports that are not ID:TOKEN: %s", a.body)
		}
		return e.out.line("P1='%s'\nP2='%s'", p1, p2)
	case e.out.text:
		return e.out.line("channel %s\nport1   %s\nport2   %s", ch.Id, p1, p2)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, a.body); err != nil {
		return err
	}
	return e.out.line("%s", line.Bytes())
}
