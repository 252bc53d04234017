package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/tincan-dev/tincan/api/client"
)

const postUsage = `Usage: tincan post [-transfer PORT]... PORT TEXT...
       tincan post [-transfer PORT]... PORT -json JSON
       tincan post [-transfer PORT]... PORT -file PATH [-type TYPE]

Posts one message through PORT (ID:TOKEN) to its peer, and prints its
event id (as {"id":...} when not on a terminal).

  TEXT...      a text message: the words, joined by spaces; "-" reads the
               text from stdin (it must be UTF-8)
  -json JSON   a JSON message: any JSON value, sent as it is; "-" reads
               it from stdin
  -file PATH   a binary message: the file's bytes, with its content type;
               "-" reads them from stdin
  -type TYPE   the content type for -file (default: from the file name's
               extension, else from the first bytes)
  -transfer P  hand the port P (ID:TOKEN, of another channel) over with the
               message, as postMessage(message, [port]) does: its token
               dies, and the receiver gets it with a new one; repeatable

The post carries an Idempotency-Key and is sent again under the same key
when its answer is lost (no answer, 503), so the message is stored once.
`

func runPost(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("post")
	jsonArg := fs.String("json", "", "")
	file := fs.String("file", "", "")
	contentType := fs.String("type", "", "")
	var transfer []client.TransferEntry
	fs.Func("transfer", "", func(arg string) error {
		p, err := parsePort(arg, e.getenv)
		if err != nil {
			return err
		}
		transfer = append(transfer, client.TransferEntry{Port: p.id, Token: p.token})
		return nil
	})
	rest, err := parseFlags(fs, postUsage, args, e.out.w, e.stderr, true)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usage(e.stderr, postUsage, "post: no PORT given")
	}
	p, err := parsePort(rest[0], e.getenv)
	if err != nil {
		return usage(e.stderr, postUsage, "post: "+err.Error())
	}
	words := rest[1:]
	given := 0
	for _, b := range []bool{len(words) > 0, *jsonArg != "", *file != ""} {
		if b {
			given++
		}
	}
	if given != 1 {
		return usage(e.stderr, postUsage, "post: give exactly one of TEXT, -json or -file")
	}
	if *contentType != "" && *file == "" {
		return usage(e.stderr, postUsage, "post: -type goes with -file")
	}

	var send func(ctx context.Context, params *client.PostMessageParams) (*http.Response, error)
	switch {
	case *file != "":
		b, err := readArg(*file, e.stdin)
		if err != nil {
			return fmt.Errorf("post: %w", err)
		}
		ct := *contentType
		if ct == "" {
			ct = guessType(*file, b)
		}
		// As JSON, with the bytes in base64 under "binary": a body of its
		// own type would be read as text or JSON for text/* and JSON
		// types, and this way every file is sent as bytes.
		req := client.PostMessageRequest{Binary: b, ContentType: &ct, Transfer: transfer}
		send = func(ctx context.Context, params *client.PostMessageParams) (*http.Response, error) {
			return e.api.PostMessage(ctx, p.id, params, req, client.Bearer(p.token))
		}
	case *jsonArg != "":
		b := []byte(*jsonArg)
		if *jsonArg == "-" {
			if b, err = io.ReadAll(e.stdin); err != nil {
				return fmt.Errorf("post: stdin: %w", err)
			}
		}
		if !json.Valid(b) {
			return usage(e.stderr, postUsage, "post: -json: not a JSON value")
		}
		req := client.PostMessageRequest{Data: json.RawMessage(b), Transfer: transfer}
		send = func(ctx context.Context, params *client.PostMessageParams) (*http.Response, error) {
			return e.api.PostMessage(ctx, p.id, params, req, client.Bearer(p.token))
		}
	default:
		text := []byte(strings.Join(words, " "))
		if len(words) == 1 && words[0] == "-" {
			if text, err = io.ReadAll(e.stdin); err != nil {
				return fmt.Errorf("post: stdin: %w", err)
			}
		}
		if !utf8.Valid(text) {
			return usage(e.stderr, postUsage, "post: the text is not UTF-8: send bytes with -file")
		}
		if len(transfer) > 0 {
			// A transfer list needs the JSON body: the text goes as a
			// JSON string, which is what a text body becomes anyway.
			data, err := json.Marshal(string(text))
			if err != nil {
				return err
			}
			req := client.PostMessageRequest{Data: data, Transfer: transfer}
			send = func(ctx context.Context, params *client.PostMessageParams) (*http.Response, error) {
				return e.api.PostMessage(ctx, p.id, params, req, client.Bearer(p.token))
			}
			break
		}
		send = func(ctx context.Context, params *client.PostMessageParams) (*http.Response, error) {
			return e.api.PostMessageWithBody(ctx, p.id, params, "text/plain; charset=utf-8", bytes.NewReader(text), client.Bearer(p.token))
		}
	}

	key := client.NewIdempotencyKey()
	a, err := e.call(ctx, "post", func(ctx context.Context) (*http.Response, error) {
		return send(ctx, &client.PostMessageParams{IdempotencyKey: &key})
	})
	if err != nil {
		return err
	}
	if a.status != http.StatusCreated {
		return refusal(a)
	}
	var m client.MessageCreated
	if err := decode(a, &m); err != nil {
		return err
	}
	if e.out.text {
		return e.out.line("posted %s", m.Id)
	}
	return e.out.json(m)
}

// readArg reads the file a flag names, or stdin for "-".
func readArg(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("stdin: %w", err)
		}
		return b, nil
	}
	return os.ReadFile(path)
}

// guessType is a file's content type: its extension's, else what its
// first bytes look like (application/octet-stream when nothing fits).
func guessType(path string, b []byte) string {
	if path != "-" {
		if t := mime.TypeByExtension(filepath.Ext(path)); t != "" {
			return t
		}
	}
	return http.DetectContentType(b)
}
