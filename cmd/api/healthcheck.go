package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// healthcheckCommand is the argument that runs the health check instead
// of the service: `api healthcheck`. A distroless image has no shell and
// no curl, so its HEALTHCHECK (and docker-compose's) runs the binary
// itself.
const healthcheckCommand = "healthcheck"

// defaultHealthcheckTimeout bounds the whole check, connecting included;
// the Dockerfile's HEALTHCHECK gives it more than this, so that a slow
// answer is this command's failure, with its message, rather than
// Docker's timeout.
const defaultHealthcheckTimeout = 3 * time.Second

// healthcheck asks the service of this environment for GET /healthz (or
// the -url flag's URL) and returns nil for a 200 and an error, so exit
// status 1, for anything else, within -timeout. Without -url it reads ADDR
// as the service does and asks its port on the loopback address (the
// address itself when ADDR names one); with TLS_CERT_FILE it speaks HTTPS
// and does not verify the certificate, which names the service's public
// host, not the loopback address, and no secret goes out.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet(healthcheckCommand, flag.ContinueOnError)
	fs.SetOutput(stdout)
	target := fs.String("url", "", "URL to GET instead of /healthz on the port of ADDR")
	timeout := fs.Duration("timeout", defaultHealthcheckTimeout, "bound on the whole check")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: api healthcheck [-url URL] [-timeout D]\n\n"+
			"Exits 0 when the service of this environment (ADDR, TLS_CERT_FILE) answers\n"+
			"GET /healthz with 200, and 1 otherwise.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("healthcheck: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected arguments %q", fs.Args())
	}
	if *timeout <= 0 {
		return fmt.Errorf("healthcheck: -timeout %v: want a positive duration", *timeout)
	}

	transport := &http.Transport{
		// Straight to the service: a proxy of the environment is not
		// what is being checked.
		Proxy:             nil,
		DisableKeepAlives: true,
	}
	url := *target
	if url == "" {
		cfg, err := loadConfig(getenv)
		if err != nil {
			return fmt.Errorf("healthcheck: configuration: %w", err)
		}
		if url, err = localHealthURL(cfg.Addr, cfg.TLSCertFile != ""); err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		if cfg.TLSCertFile != "" {
			// The certificate names the public host (see above).
			transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		}
	}
	hc := &http.Client{
		Transport: transport,
		Timeout:   *timeout,
		// A redirect is not the service answering 200.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", url, res.Status)
	}
	_, err = fmt.Fprintf(stdout, "healthy: GET %s: %s\n", url, res.Status)
	return err
}

// localHealthURL is the /healthz URL of a service listening on addr:
// 127.0.0.1 for an address that listens on every interface (":8080",
// "0.0.0.0:8080", "[::]:8080"), else addr's own host.
func localHealthURL(addr string, tls bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("ADDR=%q: %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 {
		return "", fmt.Errorf("ADDR=%q: no fixed port to check", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/healthz", nil
}
