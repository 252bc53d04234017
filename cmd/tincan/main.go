// Command tincan is a command-line client for a tincan service: create a
// channel, post through one port, listen at the other. It speaks to the
// service through the generated Go client (api/client); the service
// itself is cmd/api.
//
//	eval "$(tincan create -sh)"
//	tincan post "$P1" hello
//	tincan listen "$P2"
//
// A port on the command line carries its token, as ID:TOKEN. The service
// is -url or TINCAN_URL (http://localhost:8080 by default). Output is for
// people on a terminal and JSON lines otherwise. Run tincan -help.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tincan-dev/tincan/api/client"
)

// Exit statuses, as docs/CLI.md lists them.
const (
	exitFailure = 1 // the service refused, or could not be reached
	exitUsage   = 2 // the command line is wrong
)

func main() {
	err := run(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil && !errors.As(err, new(usageError)) {
		// A usage error was said already, with the usage.
		fmt.Fprintf(os.Stderr, "tincan: %v\n", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is the exit status run's answer stands for.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(usageError)):
		return exitUsage
	}
	return exitFailure
}

// run carries out the command line args (args[0] is the program's name)
// until it is done or ctx ends, or the process gets SIGINT or SIGTERM.
// It reads TINCAN_URL, TINCAN_TOKEN and TINCAN_API_KEY through getenv. A
// usageError means the command line is wrong (the usage went to stderr);
// an error with a problem's code and detail means the service refused.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	g := &globals{url: getenv("TINCAN_URL"), format: "auto"}
	if g.url == "" {
		g.url = DefaultURL
	}
	fs := newFlagSet("tincan")
	fs.StringVar(&g.url, "url", g.url, "")
	fs.StringVar(&g.format, "format", g.format, "")
	showVersion := fs.Bool("version", false, "")
	rest, err := parseFlags(fs, topUsage, args[1:], stdout, stderr, false)
	if errors.Is(err, errHelped) {
		return nil
	}
	if err != nil {
		return err
	}
	if *showVersion {
		_, err := fmt.Fprintln(stdout, versionLine())
		return err
	}
	if len(rest) == 0 {
		return usage(stderr, topUsage, "no command given")
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		return help(rest, stdout, stderr)
	}
	cmd, ok := commands[name]
	if !ok {
		return usage(stderr, topUsage, fmt.Sprintf("unknown command %q", name))
	}
	if u, err := url.Parse(g.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usage(stderr, topUsage, fmt.Sprintf("-url %q: give the service as http://HOST:PORT or https://HOST", g.url))
	}
	out, err := newOutput(g.format, stdout, stderr)
	if err != nil {
		return usage(stderr, topUsage, err.Error())
	}

	// A transport of the run's own, whose idle connections go when it
	// returns: nothing outlives the command.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	defer transport.CloseIdleConnections()
	api, err := client.NewClient(g.url, client.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		return usage(stderr, topUsage, fmt.Sprintf("-url %q: %v", g.url, err))
	}
	e := &env{
		api:    api,
		getenv: getenv,
		stdin:  stdin,
		out:    out,
		stderr: stderr,
		wait:   sleep,
	}
	if err := cmd.run(ctx, e, rest); !errors.Is(err, errHelped) {
		return err
	}
	return nil
}

// DefaultURL is the service a command speaks to unless -url or
// TINCAN_URL says otherwise: cmd/api's default address.
const DefaultURL = "http://localhost:8080"

// globals are the flags before the command's name.
type globals struct {
	url    string
	format string
}

// env is what a command runs with.
type env struct {
	api    *client.Client
	getenv func(string) string
	stdin  io.Reader
	out    *output
	stderr io.Writer
	// wait pauses for d, or less when ctx ends (sleep; a test may count).
	wait func(ctx context.Context, d time.Duration) error
}

// command is one of tincan's subcommands.
type command struct {
	// usage is its help text, from "Usage:" on.
	usage string
	// run carries it out with its arguments (after its name).
	run func(ctx context.Context, e *env, args []string) error
}

// commands are the subcommands by name.
var commands = map[string]command{
	"create":   {createUsage, runCreate},
	"post":     {postUsage, runPost},
	"listen":   {listenUsage, runListen},
	"transfer": {transferUsage, runTransfer},
	"close":    {closeUsage, runClose},
}
