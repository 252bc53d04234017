// Command api serves tincan's HTTP API. Every setting comes from the
// environment; see config.go. With REDIS_URL unset it keeps everything in
// memory, which suits trying it out, not production.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/handlers"
	"github.com/tincan-dev/tincan/web"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "tincan: %v\n", err)
		os.Exit(1)
	}
}

// run starts the service and serves until ctx ends or the process gets
// SIGINT or SIGTERM, then shuts down gracefully: it stops accepting, ends
// open streams with a short retry: hint (clients reconnect, elsewhere,
// with Last-Event-ID), lets requests in flight finish, and closes the
// store. Whatever is still running after SHUTDOWN_TIMEOUT is cut, so the
// process always exits within it, plus, with tracing on, up to
// tracingShutdownTimeout to export the last spans. A Redis unreachable at
// start-up is waited for, up to REDIS_STARTUP_TIMEOUT.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch {
	case wantsHelp(args):
		return printHelp(stdout)
	case len(args) == 2 && slices.Contains(versionFlags, args[1]):
		_, err := fmt.Fprintln(stdout, readBuild())
		return err
	case len(args) > 1 && args[1] == healthcheckCommand:
		return healthcheck(ctx, args[2:], getenv, stdout)
	case len(args) > 1:
		return fmt.Errorf("unexpected arguments %q: tincan takes its settings from environment variables only (see %s -help)", args[1:], args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger, flushLog := newLogger(cfg, stdout)
	defer flushLog()
	b := readBuild()
	logger.Info("starting", "version", b.Version, "revision", b.Revision, "go", b.GoVersion)
	acc, err := loadAccess(cfg, logger)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	stopDebug, err := startDebug(cfg, logger)
	if err != nil {
		return err
	}
	defer stopDebug()

	tr, err := startTracing(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() {
		// After the store's close (deferred below, so run before this):
		// the last spans are exported, within a bound of their own.
		ctx, cancel := context.WithTimeout(context.Background(), tracingShutdownTimeout)
		defer cancel()
		if err := tr.shutdown(ctx); err != nil {
			logger.Warn("tracing: export the last spans", "err", err)
		}
	}()

	registry := newRegistry()
	registry.MustRegister(buildInfoMetric(b))
	redisMetrics := newRedisMetrics(registry)
	st, redisClient, closeStore, err := openStore(ctx, cfg, logger,
		func(c goredis.UniversalClient) error { c.AddHook(redisMetrics); return nil },
		tr.instrumentRedis)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeStore(); err != nil {
			logger.Warn("close the store", "err", err)
		}
	}()
	registerStoreMetrics(registry, st)

	// Validated by loadConfig already.
	origins, _ := handlers.ParseCORSOrigins(cfg.CORSOrigins)
	proxies, _ := handlers.ParseTrustedProxies(cfg.TrustedProxies)
	conns := newConnLimiter(cfg, proxies, acc.tls != nil, logger)
	registerConnMetrics(registry, conns)
	api := handlers.NewServer(logger, st, handlers.Config{
		MaxMessageSize:  cfg.MaxMessageSize,
		KeepAlive:       cfg.KeepAlive,
		Retry:           cfg.SSERetry,
		LongPollMaxWait: cfg.LongPollMaxWait,

		LongPollMaxBytes: cfg.LongPollMaxBytes,
		MaxInflightBytes: cfg.MaxInflightBytes,

		CreateAuth:          acc.createAuth,
		RefuseQueryTokens:   cfg.RefuseQueryTokens(),
		MaxJSONDepth:        cfg.MaxJSONDepth,
		MaxTransfer:         cfg.MaxTransfer,
		MaxStreamsPerPort:   cfg.MaxStreamsPerPort,
		MaxStreamsPerClient: cfg.MaxStreamsPerClient,
		BodyReadTimeout:     cfg.BodyReadTimeout,
		CORSOrigins:         origins,
		RateLimiter:         newRateLimiter(cfg, redisClient, logger),
		TrustedProxies:      proxies,
		ClientConns:         conns,
		TicketTTL:           cfg.TicketTTL,
		MaxTicketPorts:      cfg.MaxTicketPorts,
		Pages:               web.Static(),
		Metrics:             registry,
		DisableMetrics:      !cfg.Metrics,
		ParkStreams:         cfg.ParkStreams,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Counted where connections are accepted, so that idle ones, streams,
	// long polls and hijacked ones all count (internal/connlimit).
	ln = conns.Listen(ln)
	srv := &http.Server{
		Handler:           tr.wrap(api),
		ConnState:         conns.ConnState,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// OPTIONS * would be answered by net/http itself, past every
		// check of the handler's: refusing a body framed by
		// Transfer-Encoding among them.
		DisableGeneralOptionsHandler: true,
	}
	// Shutdown closes the listeners first and then runs this, so no new
	// stream can open after the open ones were told to end.
	srv.RegisterOnShutdown(api.CloseStreams)

	served := make(chan error, 1)
	srv.TLSConfig = acc.tls
	go func() { served <- serve(srv, ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "tls", acc.tls != nil, "version", b.Version)
	base := baseURL(ln.Addr(), acc.tls != nil)
	logger.Info("tincan listening on "+base+" — demo page "+base+"/, API docs "+base+"/docs, spec "+base+"/openapi.yaml",
		"url", base)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal now kills the process at once
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if err != nil {
		// Requests still running: cut them rather than outlive the bound.
		_ = srv.Close()
	}
	// Parked streams' connections are not the http.Server's to wait for
	// (handlers/park.go): they end with the same retry hint, and are cut
	// at the bound too.
	if perr := api.WaitStreams(shutdownCtx); err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("shutdown: requests still running after %v were cut: %w", cfg.ShutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// newLogger logs to w at cfg's level, as text or JSON; request lines go
// through a logBuffer, whose Flush is flush.
func newLogger(cfg Config, w io.Writer) (logger *slog.Logger, flush func()) {
	buf := newLogBuffer(w, stoppedTimer)
	return loggerOn(cfg, buf), buf.Flush
}

// loggerOn logs through buf at cfg's level, as text or JSON.
func loggerOn(cfg Config, buf *logBuffer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	handler := func(w io.Writer) slog.Handler {
		if cfg.LogFormat == "json" {
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	return slog.New(accessSplit{requests: handler(buffered{buf}), others: handler(through{buf})})
}
