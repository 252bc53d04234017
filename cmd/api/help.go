package main

import (
	"fmt"
	"io"
	"net"
	"slices"
	"text/tabwriter"
)

// helpFlags are the arguments that ask for the help text.
var helpFlags = []string{"-h", "-help", "--help"}

// wantsHelp reports whether the command line asks for help.
func wantsHelp(args []string) bool {
	return len(args) == 2 && slices.Contains(helpFlags, args[1])
}

// printHelp writes what the command does and every setting, with its
// default and meaning, from the loader itself (see settings).
func printHelp(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, `Usage: api                 serve
       api -version        print the version and exit
       api healthcheck     exit 0 if the service of this environment
                           answers GET /healthz with 200, else 1
                           (-url URL, -timeout D; for images without a shell)

tincan serves the Channel Messaging API over HTTP: channels of two
entangled ports, messages delivered in order through REST and event
streams. It takes no arguments: every setting is an environment variable,
and an unset or empty one takes its default. Once it runs, open
http://localhost:8080/ for the demo page, /docs for the API reference and
/openapi.yaml for the spec. docs/SETTINGS.md says more about each setting.

SETTING	DEFAULT	MEANING
`)
	for _, s := range settings() {
		def := s.def
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.name, def, s.meaning)
	}
	return tw.Flush()
}

// baseURL is the URL the service answers at on the listener's address:
// localhost for an address that listens on every interface.
func baseURL(addr net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + "://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
