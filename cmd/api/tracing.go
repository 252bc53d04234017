package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// tracingShutdownTimeout bounds the export of the last spans on exit.
const tracingShutdownTimeout = 5 * time.Second

// tracing is OpenTelemetry tracing, on when an OTLP endpoint is set: spans
// for HTTP requests (named by route pattern, see handlers'
// observeRequests) and Redis commands, exported over OTLP/HTTP. Its zero
// value is tracing off, and every method is then a no-op.
type tracing struct {
	tp *sdktrace.TracerProvider
}

// tracesURL is where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it
// is, else OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended (what the
// OpenTelemetry specification says of the two); "" when neither is set.
func tracesURL(cfg Config) string {
	if cfg.OTLPTracesEndpoint != "" {
		return cfg.OTLPTracesEndpoint
	}
	if cfg.OTLPEndpoint != "" {
		return strings.TrimSuffix(cfg.OTLPEndpoint, "/") + "/v1/traces"
	}
	return ""
}

// startTracing starts exporting spans when cfg names an OTLP endpoint.
// The exporter reads the other standard variables (OTEL_EXPORTER_OTLP_
// HEADERS, _TIMEOUT, _COMPRESSION, their _TRACES_ forms, the certificate
// ones) itself, and the resource takes OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES; the service name is tincan unless they say
// otherwise.
func startTracing(ctx context.Context, cfg Config, logger *slog.Logger) (tracing, error) {
	url := tracesURL(cfg)
	if url == "" {
		return tracing{}, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(url))
	if err != nil {
		return tracing{}, fmt.Errorf("tracing: the OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "tincan")),
		resource.WithFromEnv(), // later detectors win: OTEL_SERVICE_NAME beats the default
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		logger.Warn("tracing: part of the resource could not be read", "err", err)
	}
	if res == nil {
		res = resource.Default()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	logger.Info("tracing on: spans go to the OTLP endpoint over HTTP", "endpoint", redactURL(url))
	return tracing{tp: tp}, nil
}

// redactURL is an endpoint for the log and for start-up errors: scheme,
// host and path, without user info or query, which may hold credentials.
// Everything up to the last "@" is dropped, not only what a URL parser
// would take for user info: a password pasted raw, with a "/", "?" or "#"
// in it (base64 has "/"), ends the parser's host early and would
// otherwise be logged whole, as the URL it makes invalid.
func redactURL(raw string) string {
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + rest
}

// wrap makes a span for every request h serves, continuing the caller's
// trace (W3C traceparent and baggage). The span is named by method at
// first; handlers renames it with the route pattern once routed.
func (t tracing) wrap(h http.Handler) http.Handler {
	if t.tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, "tincan",
		otelhttp.WithTracerProvider(t.tp),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// instrumentRedis makes a span for every Redis command and pipeline of
// client, without the commands' arguments: they hold token hashes and
// message data.
func (t tracing) instrumentRedis(client goredis.UniversalClient) error {
	if t.tp == nil {
		return nil
	}
	return redisotel.InstrumentTracing(client, redisotel.WithTracerProvider(t.tp), redisotel.WithDBStatement(false))
}

// shutdown exports the spans still buffered and stops the exporter,
// within ctx.
func (t tracing) shutdown(ctx context.Context) error {
	if t.tp == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}
