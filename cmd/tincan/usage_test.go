package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/api/client"
)

// TestUsage checks that a wrong command line exits 2 with the reason and
// the usage on stderr, and asks the service nothing (its URL answers
// nothing), and that help goes to stdout with 0.
func TestUsage(t *testing.T) {
	t.Parallel()
	const nowhere = "http://127.0.0.1:1"
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{nil, "no command given"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"-format", "xml", "create"}, `-format "xml"`},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
		{[]string{"-url", "localhost:8080", "create"}, `-url "localhost:8080": give the service as http://HOST:PORT`},
		{[]string{"create", "extra"}, "create takes no arguments"},
		{[]string{"post"}, "no PORT given"},
		{[]string{"post", "P:T"}, "give exactly one of TEXT, -json or -file"},
		{[]string{"post", "P:T", "hi", "-json", "1"}, "give exactly one of TEXT, -json or -file"},
		{[]string{"post", "P:T", "-json", "{"}, "-json: not a JSON value"},
		{[]string{"post", "P:T", "-type", "a/b", "hi"}, "-type goes with -file"},
		{[]string{"post", "P", "hi"}, `port "P" has no token`},
		{[]string{"post", "P:", "hi"}, "the token after the colon is empty"},
		{[]string{"post", ":T", "hi"}, "give it as ID:TOKEN"},
		{[]string{"post", "P:T", "-nope", "hi"}, "flag provided but not defined: -nope"},
		{[]string{"post", "-transfer", "X", "P:T", "hi"}, `invalid value "X" for flag -transfer: port "X" has no token`},
		{[]string{"listen"}, "listen takes one PORT, got 0"},
		{[]string{"listen", "A:B", "C:D"}, "listen takes one PORT, got 2"},
		{[]string{"listen", "-n", "-1", "A:B"}, "-n must not be negative"},
		{[]string{"transfer"}, "transfer takes one PORT"},
		{[]string{"close", "A:B", "x"}, "close takes one PORT"},
		{[]string{"help", "nope"}, "the commands are close, create, listen, post, transfer"},
	} {
		r := tincan(t, nowhere, "", tc.args...)
		if !errors.As(r.err, new(usageError)) || exitCode(r.err) != exitUsage {
			t.Errorf("tincan %q: %v, want a usage error", tc.args, r.err)
			continue
		}
		if !strings.HasPrefix(r.stderr, "tincan: ") || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "Usage: tincan") {
			t.Errorf("tincan %q: stderr\n%s\nwant the reason %q and the usage", tc.args, r.stderr, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("tincan %q printed %q", tc.args, r.stdout)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-help"}, topUsage},
		{[]string{"-h"}, topUsage},
		{[]string{"help"}, topUsage},
		{[]string{"help", "listen"}, listenUsage},
		{[]string{"post", "-help"}, postUsage},
		{[]string{"transfer", "-h"}, transferUsage},
		{[]string{"close", "--help"}, closeUsage},
		{[]string{"create", "-help"}, createUsage},
	} {
		r := tincan(t, nowhere, "", tc.args...)
		if r.err != nil || r.stdout != tc.want || r.stderr != "" {
			t.Errorf("tincan %q: %v, stdout %q, stderr %q", tc.args, r.err, r.stdout, r.stderr)
		}
	}
	if r := tincan(t, nowhere, "", "-version"); r.err != nil || !strings.HasPrefix(r.stdout, "tincan (command line) ") {
		t.Errorf("tincan -version: %+v", r)
	}
	// Every command has help, and the top usage names each.
	for name, cmd := range commands {
		if !strings.HasPrefix(cmd.usage, "Usage: tincan "+name) || !strings.Contains(topUsage, "\n  "+name+" ") {
			t.Errorf("%s: usage %q", name, cmd.usage)
		}
	}
}

// TestUnreachable: a service that does not answer is tried maxAttempts
// times, waiting longer each time, and is exit 1. The waits are counted,
// not slept.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	api, err := client.NewClient("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	out, _ := newOutput("json", &stdout, &stderr)
	var waits []time.Duration
	e := &env{api: api, getenv: envOf("", nil), out: out, stderr: &stderr,
		wait: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		}}
	err = runTransfer(context.Background(), e, []string{"A:B"})
	if err == nil || exitCode(err) != exitFailure || !strings.Contains(err.Error(), "no answer after 6 attempts") {
		t.Errorf("transfer with nothing listening: %v", err)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if !slices.Equal(waits, want) || strings.Count(stderr.String(), "trying again") != len(want) || stdout.Len() != 0 {
		t.Errorf("waited %v, want %v; stderr:\n%s", waits, want, stderr.String())
	}
}

// TestBackoff checks the waits between attempts: doubling up to the cap,
// or what Retry-After says, capped too.
func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt    int
		retryAfter string
		want       time.Duration
	}{
		{1, "", firstBackoff},
		{2, "", 2 * firstBackoff},
		{6, "", 8 * time.Second},
		{7, "", maxBackoff},
		{40, "", maxBackoff},
		{1, "3", 3 * time.Second},
		{5, "0", 0},
		{1, "3600", maxBackoff},
		{3, "soon", 4 * firstBackoff},
	} {
		h := http.Header{}
		if tc.retryAfter != "" {
			h.Set("Retry-After", tc.retryAfter)
		}
		if got := backoff(tc.attempt, h); got != tc.want {
			t.Errorf("backoff(%d, Retry-After %q) = %v, want %v", tc.attempt, tc.retryAfter, got, tc.want)
		}
	}
}
