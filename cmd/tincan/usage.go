package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// topUsage is tincan -help.
const topUsage = `Usage: tincan [-url URL] [-format auto|text|json] COMMAND [ARGS]

A command-line client for tincan, the Channel Messaging API over HTTP.

Commands:
  create     create a channel and print its two ports
  post       post a message (text, JSON, a file, or stdin) through a port
  listen     print the messages arriving at a port, acknowledging each
  transfer   give a port a new token (the old one stops working)
  close      close a port's channel, for both ports

A PORT is ID:TOKEN, as create prints it, or an ID alone with its token in
TINCAN_TOKEN. Try:

  eval "$(tincan create -sh)"     # sets P1 and P2
  tincan post "$P1" hello
  tincan listen "$P2"

Flags:
  -url URL      the service (TINCAN_URL; default http://localhost:8080)
  -format F     auto (text on a terminal, JSON lines otherwise), text, json
  -version      print the version and exit

Exit status: 0 done, 1 the service refused (code: detail on stderr) or
could not be reached, 2 a wrong command line.
"tincan help COMMAND" or "tincan COMMAND -help" says more.
`

// usageError is a command line tincan cannot carry out. Its message and
// the usage went to stderr already; main exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errHelped says help was asked for and printed: run returns nil.
var errHelped = errors.New("help printed")

// usage writes msg and then text to w, and returns a usageError.
func usage(w io.Writer, text, msg string) error {
	fmt.Fprintf(w, "tincan: %s\n\n%s", msg, text)
	return usageError{msg}
}

// newFlagSet returns a flag set that prints nothing itself: parseFlags
// says what went wrong.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs and returns the arguments that are not
// flags. With interleaved, flags may come after those arguments too
// (tincan post "$P1" -json '{}'), up to a "--", after which everything is
// an argument; without, parsing stops at the first argument (the
// command's name). -help prints text to stdout and returns errHelped; a
// wrong flag prints text to stderr and returns a usageError.
func parseFlags(fs *flag.FlagSet, text string, args []string, stdout, stderr io.Writer, interleaved bool) ([]string, error) {
	var rest []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, text)
			return nil, errHelped
		}
		if err != nil {
			return nil, usage(stderr, text, err.Error())
		}
		left := fs.Args()
		if !interleaved {
			return left, nil
		}
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// help prints tincan's usage, or a command's.
func help(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, topUsage)
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok || len(args) > 1 {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		return usage(stderr, topUsage, fmt.Sprintf("help %s: the commands are %s", strings.Join(args, " "), strings.Join(names, ", ")))
	}
	fmt.Fprint(stdout, cmd.usage)
	return nil
}
