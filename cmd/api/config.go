package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tincan-dev/tincan/handlers"
	"github.com/tincan-dev/tincan/store"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// Defaults for Config, one per environment variable.
const (
	DefaultAddr           = ":8080"
	DefaultRedisKeyPrefix = "tincan:"
	DefaultRedisMode      = redisSingle
	DefaultMaxMessageSize = handlers.DefaultMaxMessageSize
	DefaultMaxQueueLength = store.DefaultMaxQueue
	// DefaultMaxCollectionMembers bounds a port collection.
	DefaultMaxCollectionMembers = store.DefaultMaxCollectionMembers
	DefaultChannelIdleTTL       = store.DefaultChannelTTL
	DefaultKeepAlive            = handlers.DefaultKeepAlive
	DefaultSSERetry             = handlers.DefaultRetry
	DefaultLongPollMaxWait      = handlers.DefaultLongPollMaxWait
	DefaultShutdownTimeout      = 10 * time.Second
	DefaultLogLevel             = slog.LevelInfo
	DefaultLogFormat            = "text"
	DefaultMetrics              = "on"
	DefaultParkStreams          = "on"
)

// Defaults of the bounds in bytes (see docs/SECURITY.md, API4 for the
// ceiling they hold memory to, and each constant for why its value).
const (
	DefaultMaxQueueBytes     = store.DefaultMaxQueueBytes
	DefaultMaxBroadcastBytes = store.DefaultMaxBroadcastBytes
	DefaultLongPollMaxBytes  = handlers.DefaultLongPollMaxBytes
	DefaultMaxInflightBytes  = handlers.DefaultMaxInflightBytes
)

// DefaultIdempotencyWindow is how long answers to requests with an
// Idempotency-Key are kept.
const DefaultIdempotencyWindow = store.DefaultIdempotencyWindow

// Defaults of the settings for Redis trouble and durability.
const (
	DefaultRedisTimeout        = redisstore.DefaultTimeout
	DefaultRedisWaitReplicas   = 0
	DefaultRedisWaitTimeout    = redisstore.DefaultWaitTimeout
	DefaultRedisStartupTimeout = 30 * time.Second
	// DefaultRedisAllowEviction refuses to start on a Redis that evicts
	// keys when full.
	DefaultRedisAllowEviction = false
)

// waitAll is how REDIS_WAIT_REPLICAS asks for every promotable replica.
const waitAll = "all"

// Defaults of the access settings: channel creation is open, which suits
// local use only (start-up warns), and ?access_token= is accepted while it
// is (see Config.RefuseQueryTokens).
const (
	DefaultCreateAuth         = createOpen
	DefaultAccessTokenInQuery = queryAuto
)

// Limits on hostile or careless clients. There is deliberately no
// server-wide WriteTimeout: it would cut event streams, which live for
// hours; each stream write has its own deadline instead.
const (
	DefaultMaxJSONDepth        = handlers.DefaultMaxJSONDepth
	DefaultMaxTransfer         = handlers.DefaultMaxTransfer
	DefaultMaxStreamsPerPort   = handlers.DefaultMaxStreamsPerPort
	DefaultMaxStreamsPerClient = handlers.DefaultMaxStreamsPerClient
	DefaultBodyReadTimeout     = handlers.DefaultBodyReadTimeout
	DefaultMaxHeaderBytes      = 64 << 10
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultIdleTimeout         = 2 * time.Minute
)

// Defaults of the rate limits: requests a second and bursts; see the
// ratelimit package. Out of the box only the requests that create
// something are limited, per client address; posting, reading and
// acknowledging go as fast as the server answers. The limits on every
// request, per client address and per credential, are off until set; their
// bursts apply then.
const (
	DefaultRateLimitCreatePerClient      = 20
	DefaultRateLimitCreatePerClientBurst = 100
	DefaultRateLimitPerClient            = 0
	DefaultRateLimitPerClientBurst       = 200
	DefaultRateLimitPerToken             = 0
	DefaultRateLimitPerTokenBurst        = 100
	DefaultRateLimitBackend              = rateLimitAuto
)

// Defaults of the connection bounds. A held connection costs
// about 15-20 KiB of heap and stack (connlimit's TestHeldConnectionCost),
// an idle stream 30-40 KiB (docs/PERFORMANCE.md), a pending one up to
// MAX_HEADER_BYTES more: 10,000 connections stay under ~400 MiB even if
// all are streams, and 1,024 pending ones under ~70 MiB of headers.
const (
	// DefaultMaxConnectionsPerClient is twice MAX_STREAMS_PER_CLIENT, so
	// that a client holding all the event streams and long polls it may
	// still has connections for its other requests.
	DefaultMaxConnectionsPerClient = 512
	DefaultMaxConnections          = 10000
	DefaultMaxPendingConnections   = 1024
)

// Defaults of the stream tickets (POST /ports/{id}/tickets).
const (
	DefaultTicketTTL      = handlers.DefaultTicketTTL
	DefaultMaxTicketPorts = handlers.DefaultMaxTicketPorts
)

// Config is everything the service reads from its environment.
type Config struct {
	// Addr is the listen address (ADDR).
	Addr string
	// RedisURL selects the Redis store (REDIS_URL); empty means the
	// embedded memory store.
	RedisURL string
	// RedisMode is how REDIS_URL is read: single, sentinel or cluster
	// (REDIS_MODE).
	RedisMode string
	// RedisKeyPrefix starts every Redis key (REDIS_KEY_PREFIX).
	RedisKeyPrefix string
	// MaxMessageSize bounds a message in bytes: its data or its bytes
	// (MAX_MESSAGE_SIZE).
	MaxMessageSize int64
	// MaxQueueLength bounds the messages waiting at a port (MAX_QUEUE_LENGTH).
	MaxQueueLength int
	// MaxQueueBytes bounds the bytes of data waiting at a port
	// (MAX_QUEUE_BYTES), MaxBroadcastBytes a broadcast's members times
	// its bytes (MAX_BROADCAST_BYTES), LongPollMaxBytes a long poll's
	// answer (LONG_POLL_MAX_BYTES), and MaxInflightBytes the bytes of
	// messages the process handles at once (MAX_INFLIGHT_BYTES).
	MaxQueueBytes, MaxBroadcastBytes, LongPollMaxBytes, MaxInflightBytes int64
	// MaxCollectionMembers bounds the ports of one collection
	// (MAX_COLLECTION_MEMBERS).
	MaxCollectionMembers int
	// ChannelIdleTTL is how long an idle channel lives (CHANNEL_IDLE_TTL).
	ChannelIdleTTL time.Duration
	// IdempotencyWindow is how long the answer to a request with an
	// Idempotency-Key is kept for its retries (IDEMPOTENCY_WINDOW).
	IdempotencyWindow time.Duration
	// KeepAlive is the keep-alive interval of idle event streams
	// (KEEPALIVE_INTERVAL).
	KeepAlive time.Duration
	// SSERetry is the reconnection delay suggested to SSE clients (SSE_RETRY).
	SSERetry time.Duration
	// LongPollMaxWait caps the wait of a long poll (LONG_POLL_MAX_WAIT).
	LongPollMaxWait time.Duration
	// ShutdownTimeout bounds a graceful shutdown (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// RedisTimeout bounds each round trip to Redis (REDIS_TIMEOUT); past
	// it a request is answered 503.
	RedisTimeout time.Duration
	// RedisWaitReplicas is how many replicas must have a post before it
	// is acknowledged (REDIS_WAIT_REPLICAS); 0 acknowledges after the
	// primary's write, and redisstore.WaitAll ("all") waits for every
	// replica a failover could promote.
	RedisWaitReplicas int
	// RedisWaitTimeout bounds the wait for those replicas
	// (REDIS_WAIT_TIMEOUT); fewer in time is a 503.
	RedisWaitTimeout time.Duration
	// RedisStartupTimeout is how long start-up waits for an unreachable
	// Redis before giving up (REDIS_STARTUP_TIMEOUT).
	RedisStartupTimeout time.Duration
	// RedisAllowEviction lets the service start on a Redis whose
	// maxmemory-policy evicts keys, with a warning (REDIS_ALLOW_EVICTION).
	RedisAllowEviction bool
	// CreateAuth is who may create channels: open, apikey or jwt
	// (CREATE_AUTH).
	CreateAuth string
	// APIKeys are the SHA-256 hashes, in hex and comma-separated, of the
	// API keys that may create channels (API_KEYS, with CREATE_AUTH=apikey).
	APIKeys string
	// JWTHS256Secret, JWTPublicKeys (a PEM file's path) and JWTJWKSFile
	// (a JWKS file's path) are the JWT verification keys; exactly one is
	// set with CREATE_AUTH=jwt (JWT_HS256_SECRET, JWT_PUBLIC_KEYS,
	// JWT_JWKS_FILE).
	JWTHS256Secret, JWTPublicKeys, JWTJWKSFile string
	// JWTAudience and JWTIssuer, when set, must be a token's aud and iss
	// (JWT_AUDIENCE, JWT_ISSUER).
	JWTAudience, JWTIssuer string
	// AccessTokenInQuery is whether GET routes take ?access_token=: auto,
	// allow or deny (ACCESS_TOKEN_IN_QUERY); auto allows it only while
	// CreateAuth is open.
	AccessTokenInQuery string
	// TLSCertFile and TLSKeyFile, both or neither, make the listener serve
	// HTTPS (TLS_CERT_FILE, TLS_KEY_FILE).
	TLSCertFile, TLSKeyFile string
	// MaxJSONDepth bounds the nesting of a JSON body (MAX_JSON_DEPTH).
	MaxJSONDepth int
	// MaxTransfer bounds a message's transfer list (MAX_TRANSFER).
	MaxTransfer int
	// MaxStreamsPerPort bounds the event streams open on one port
	// (MAX_STREAMS_PER_PORT).
	MaxStreamsPerPort int
	// MaxStreamsPerClient bounds the event streams and waiting long polls
	// open from one client IP (MAX_STREAMS_PER_CLIENT).
	MaxStreamsPerClient int
	// MaxHeaderBytes bounds a request's header (MAX_HEADER_BYTES); Go's
	// server answers larger ones 431 itself.
	MaxHeaderBytes int
	// ReadHeaderTimeout bounds how long a request's header may take to
	// arrive (READ_HEADER_TIMEOUT).
	ReadHeaderTimeout time.Duration
	// BodyReadTimeout bounds how long a request's body may take to arrive
	// (BODY_READ_TIMEOUT).
	BodyReadTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request (IDLE_TIMEOUT).
	IdleTimeout time.Duration
	// CORSOrigins is the comma-separated list of origins browsers may call
	// the API from (CORS_ORIGINS); empty means no CORS headers at all.
	CORSOrigins string
	// RateLimitCreatePerClient is the requests a second that create
	// something (a channel, a collection, a ticket, a token, an event
	// stream) each client address may send (RATE_LIMIT_CREATE_PER_CLIENT);
	// 0 turns the limit off.
	RateLimitCreatePerClient int
	// RateLimitCreatePerClientBurst is how many such requests a client
	// address may send at once (RATE_LIMIT_CREATE_PER_CLIENT_BURST).
	RateLimitCreatePerClientBurst int
	// RateLimitPerClient is the requests of any kind a second each client
	// address may send (RATE_LIMIT_PER_CLIENT); 0 turns the limit off.
	RateLimitPerClient int
	// RateLimitPerClientBurst is how many requests a client address may
	// send at once (RATE_LIMIT_PER_CLIENT_BURST).
	RateLimitPerClientBurst int
	// RateLimitPerToken is the requests a second each credential may be
	// used for (RATE_LIMIT_PER_TOKEN); 0 turns the limit off.
	RateLimitPerToken int
	// RateLimitPerTokenBurst is how many requests a credential may be
	// used for at once (RATE_LIMIT_PER_TOKEN_BURST).
	RateLimitPerTokenBurst int
	// RateLimitBackend is where the limits are kept: auto, memory or
	// redis (RATE_LIMIT_BACKEND); auto is redis when REDIS_URL is set.
	RateLimitBackend string
	// TrustedProxies is the comma-separated list of CIDRs of the proxies
	// whose X-Forwarded-For names the client (TRUSTED_PROXIES).
	TrustedProxies string
	// MaxConnectionsPerClient, MaxConnections and MaxPendingConnections
	// bound the connections open at once from one client, in all, and
	// before their first request's headers (MAX_CONNECTIONS_PER_CLIENT,
	// MAX_CONNECTIONS, MAX_PENDING_CONNECTIONS); 0 is no bound.
	MaxConnectionsPerClient, MaxConnections, MaxPendingConnections int
	// TicketTTL is how long a stream ticket or a message ticket stays
	// usable (TICKET_TTL).
	TicketTTL time.Duration
	// MaxTicketPorts bounds the ports one ticket, and so one event
	// stream, serves (MAX_TICKET_PORTS).
	MaxTicketPorts int
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel slog.Level
	// LogFormat is text or json (LOG_FORMAT).
	LogFormat string
	// Metrics is whether GET /metrics answers (METRICS: on or off).
	Metrics bool
	// ParkStreams is whether plaintext HTTP/1.1 event streams are parked
	// once their first batches are written (PARK_STREAMS: on or off; see
	// handlers.Config.ParkStreams).
	ParkStreams bool
	// OTLPEndpoint and OTLPTracesEndpoint, the standard
	// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
	// turn tracing on when either is set (see tracesURL).
	OTLPEndpoint, OTLPTracesEndpoint string
	// DebugAddr, when set, is the loopback address on which net/http/pprof
	// is served (DEBUG_ADDR); empty, the default, serves no profiles.
	DebugAddr string
}

// loadConfig reads Config from getenv. An unset or empty variable takes
// its default; a set but invalid one is an error, never a silent default.
// Every invalid variable is reported at once.
func loadConfig(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	return l.config()
}

// settings lists every setting the service reads, in the order it reads
// them, with its default and meaning: what the loader notes while it
// loads the defaults. -help prints it, so the list is never written twice.
func settings() []setting {
	l := loader{getenv: func(string) string { return "" }, noted: []setting{}}
	_, _ = l.config() // the defaults load; TestConfigDefaults checks it
	return l.noted
}

// config reads every setting.
func (l *loader) config() (Config, error) {
	cfg := Config{
		Addr:           l.str("ADDR", DefaultAddr, "address to listen on"),
		RedisURL:       l.str("REDIS_URL", "", "Redis to keep everything in (read as REDIS_MODE says); empty keeps it in memory"),
		RedisKeyPrefix: l.str("REDIS_KEY_PREFIX", DefaultRedisKeyPrefix, "prefix of every Redis key"),
		MaxMessageSize: int64(l.positiveInt("MAX_MESSAGE_SIZE", DefaultMaxMessageSize, "largest message, in bytes: its data or its bytes")),
		MaxQueueLength: l.positiveInt("MAX_QUEUE_LENGTH", DefaultMaxQueueLength, "most unacknowledged messages waiting at one port"),
		MaxQueueBytes:  int64(l.positiveInt("MAX_QUEUE_BYTES", DefaultMaxQueueBytes, "most bytes of message data waiting at one port")),
		MaxCollectionMembers: l.positiveInt("MAX_COLLECTION_MEMBERS", DefaultMaxCollectionMembers,
			"most ports in one collection (a broadcast posts through each)"),
		MaxBroadcastBytes: int64(l.positiveInt("MAX_BROADCAST_BYTES", DefaultMaxBroadcastBytes,
			"most bytes one broadcast may store: its members times its data's bytes")),
		ChannelIdleTTL:  l.duration("CHANNEL_IDLE_TTL", DefaultChannelIdleTTL, "an idle channel is deleted after this long"),
		KeepAlive:       l.duration("KEEPALIVE_INTERVAL", DefaultKeepAlive, "keep-alive comment interval of a silent event stream"),
		SSERetry:        l.duration("SSE_RETRY", DefaultSSERetry, "reconnection delay suggested to EventSource"),
		LongPollMaxWait: l.duration("LONG_POLL_MAX_WAIT", DefaultLongPollMaxWait, "longest wait a long poll may ask for"),
		LongPollMaxBytes: int64(l.positiveInt("LONG_POLL_MAX_BYTES", DefaultLongPollMaxBytes,
			"largest long-poll answer, in bytes; it holds fewer messages, but always one")),
		MaxInflightBytes: int64(l.positiveInt("MAX_INFLIGHT_BYTES", DefaultMaxInflightBytes,
			"most bytes of message bodies and answers handled at once; more is 503")),
		ShutdownTimeout: l.duration("SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, "bound on a graceful shutdown"),
		LogLevel:        l.level("LOG_LEVEL", DefaultLogLevel, "debug, info, warn or error"),
		LogFormat:       l.oneOf("LOG_FORMAT", DefaultLogFormat, "text or json", "text", "json"),
	}
	cfg.RedisMode = l.oneOf("REDIS_MODE", DefaultRedisMode, "how REDIS_URL is read: single, sentinel or cluster", redisSingle, redisSentinel, redisCluster)
	cfg.IdempotencyWindow = l.duration("IDEMPOTENCY_WINDOW", DefaultIdempotencyWindow, "how long answers to Idempotency-Key requests are kept")
	cfg.RedisTimeout = l.duration("REDIS_TIMEOUT", DefaultRedisTimeout, "bound on each Redis round trip; slower is 503")
	cfg.RedisWaitReplicas = l.waitReplicas("REDIS_WAIT_REPLICAS", DefaultRedisWaitReplicas,
		"replicas that must hold a write before it is acknowledged; all: every replica a failover could promote")
	cfg.RedisWaitTimeout = l.duration("REDIS_WAIT_TIMEOUT", DefaultRedisWaitTimeout, "how long a write waits for those replicas")
	cfg.RedisStartupTimeout = l.duration("REDIS_STARTUP_TIMEOUT", DefaultRedisStartupTimeout, "how long start-up waits for an unreachable Redis")
	cfg.RedisAllowEviction = l.oneOf("REDIS_ALLOW_EVICTION", strconv.FormatBool(DefaultRedisAllowEviction),
		"true starts (with a warning) on a Redis whose maxmemory-policy evicts keys", "true", "false") == "true"
	l.access(&cfg)
	cfg.MaxJSONDepth = l.positiveInt("MAX_JSON_DEPTH", DefaultMaxJSONDepth, "deepest nesting of a JSON body")
	cfg.MaxTransfer = l.positiveInt("MAX_TRANSFER", DefaultMaxTransfer, "most ports in one message's transfer list")
	cfg.MaxStreamsPerPort = l.positiveInt("MAX_STREAMS_PER_PORT", DefaultMaxStreamsPerPort, "most event streams open on one port")
	cfg.MaxStreamsPerClient = l.positiveInt("MAX_STREAMS_PER_CLIENT", DefaultMaxStreamsPerClient, "most event streams and waiting long polls open from one client address")
	cfg.MaxHeaderBytes = l.positiveInt("MAX_HEADER_BYTES", DefaultMaxHeaderBytes, "largest request header, in bytes")
	cfg.ReadHeaderTimeout = l.duration("READ_HEADER_TIMEOUT", DefaultReadHeaderTimeout, "how long a request header may take to arrive")
	cfg.BodyReadTimeout = l.duration("BODY_READ_TIMEOUT", DefaultBodyReadTimeout, "how long a request body may take to arrive; slower is 408")
	cfg.IdleTimeout = l.duration("IDLE_TIMEOUT", DefaultIdleTimeout, "how long a kept-alive connection may wait for its next request")
	cfg.CORSOrigins = l.str("CORS_ORIGINS", "", "comma-separated origins whose pages may call the API; empty: no CORS")
	cfg.TicketTTL = l.duration("TICKET_TTL", DefaultTicketTTL, "how long a stream ticket or a message ticket stays usable")
	cfg.MaxTicketPorts = l.positiveInt("MAX_TICKET_PORTS", DefaultMaxTicketPorts, "most ports one stream ticket may serve")
	if _, err := handlers.ParseCORSOrigins(cfg.CORSOrigins); err != nil {
		l.errs = append(l.errs, fmt.Errorf("CORS_ORIGINS: %w", err))
	}
	l.rateLimits(&cfg)
	l.connLimits(&cfg)
	cfg.Metrics = l.oneOf("METRICS", DefaultMetrics, "serve Prometheus metrics at GET /metrics: on or off", "on", "off") == "on"
	cfg.ParkStreams = l.oneOf("PARK_STREAMS", DefaultParkStreams, "park idle plaintext HTTP/1.1 event streams, with no goroutine or buffers of their own: on or off", "on", "off") == "on"
	cfg.OTLPEndpoint = l.str("OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/HTTP base URL; set, traces are exported to it + /v1/traces")
	cfg.OTLPTracesEndpoint = l.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "OTLP/HTTP URL for traces, used as is; overrides the one above")
	for _, e := range []struct{ name, v string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", cfg.OTLPEndpoint},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", cfg.OTLPTracesEndpoint},
	} {
		name, v := e.name, e.v
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			// The exporter would drop a bad URL with a log line and
			// trace nothing: refuse it at start-up instead.
			l.fail(name, redactURL(v), "an http:// or https:// URL such as http://collector:4318")
		}
	}
	cfg.DebugAddr = l.str("DEBUG_ADDR", "", "loopback host:port for pprof profiles; empty serves none")
	if err := checkDebugAddr(cfg.DebugAddr); err != nil {
		l.fail("DEBUG_ADDR", cfg.DebugAddr, "a loopback host:port such as 127.0.0.1:6060 ("+err.Error()+")")
	}
	if cfg.RedisURL != "" || cfg.RedisMode != DefaultRedisMode {
		if _, err := parseRedisTarget(cfg.RedisMode, cfg.RedisURL); err != nil {
			l.errs = append(l.errs, err)
		}
	}
	if cfg.SSERetry < time.Millisecond {
		l.fail("SSE_RETRY", cfg.SSERetry.String(), "at least 1ms")
	}
	if cfg.TicketTTL < time.Millisecond {
		l.fail("TICKET_TTL", cfg.TicketTTL.String(), "at least 1ms")
	}
	if cfg.LongPollMaxWait < time.Second {
		l.fail("LONG_POLL_MAX_WAIT", cfg.LongPollMaxWait.String(), "at least 1s (waits are whole seconds)")
	}
	// A bound smaller than one message would refuse the largest message
	// even alone.
	for _, b := range []struct {
		name string
		v    int64
	}{{"MAX_QUEUE_BYTES", cfg.MaxQueueBytes}, {"MAX_BROADCAST_BYTES", cfg.MaxBroadcastBytes}, {"MAX_INFLIGHT_BYTES", cfg.MaxInflightBytes}} {
		if b.v < cfg.MaxMessageSize {
			l.fail(b.name, strconv.FormatInt(b.v, 10), fmt.Sprintf("at least MAX_MESSAGE_SIZE (%d)", cfg.MaxMessageSize))
		}
	}
	if cfg.MaxInflightBytes < cfg.LongPollMaxBytes {
		l.fail("MAX_INFLIGHT_BYTES", strconv.FormatInt(cfg.MaxInflightBytes, 10), fmt.Sprintf("at least LONG_POLL_MAX_BYTES (%d)", cfg.LongPollMaxBytes))
	}
	return cfg, errors.Join(l.errs...)
}

// loader reads typed variables and collects what is wrong with them.
// Every reader takes the variable's name, its default and a one-line
// meaning, so that the calls in config are the table of settings.
type loader struct {
	getenv func(string) string
	errs   []error
	// noted, when not nil, collects the settings as they are read.
	noted []setting
}

// setting is one environment variable the service reads.
type setting struct {
	name, def, meaning string
}

// note records a setting being read, when the loader collects them.
func (l *loader) note(name, def, meaning string) {
	if l.noted != nil {
		l.noted = append(l.noted, setting{name: name, def: def, meaning: meaning})
	}
}

func (l *loader) fail(name, value, want string) {
	l.errs = append(l.errs, fmt.Errorf("%s=%q: want %s", name, value, want))
}

func (l *loader) str(name, def, meaning string) string {
	l.note(name, def, meaning)
	if v := l.getenv(name); v != "" {
		return v
	}
	return def
}

func (l *loader) positiveInt(name string, def int, meaning string) int {
	l.note(name, strconv.Itoa(def), meaning)
	v := l.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		l.fail(name, v, "a positive integer")
		return def
	}
	return n
}

func (l *loader) nonNegativeInt(name string, def int, meaning string) int {
	l.note(name, strconv.Itoa(def), meaning)
	v := l.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		l.fail(name, v, "a whole number, 0 or more")
		return def
	}
	return n
}

// waitReplicas reads a whole number of replicas, or "all" (redisstore.WaitAll).
func (l *loader) waitReplicas(name string, def int, meaning string) int {
	l.note(name, strconv.Itoa(def), meaning)
	v := l.getenv(name)
	if v == "" {
		return def
	}
	if strings.EqualFold(v, waitAll) {
		return redisstore.WaitAll
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n >= redisstore.WaitAll {
		l.fail(name, v, "a whole number, 0 or more, or all")
		return def
	}
	return n
}

func (l *loader) duration(name string, def time.Duration, meaning string) time.Duration {
	l.note(name, shortDuration(def), meaning)
	v := l.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		l.fail(name, v, `a positive Go duration such as "15s" or "168h"`)
		return def
	}
	return d
}

func (l *loader) level(name string, def slog.Level, meaning string) slog.Level {
	l.note(name, strings.ToLower(def.String()), meaning)
	v := l.getenv(name)
	if v == "" {
		return def
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(v)); err != nil {
		l.fail(name, v, "debug, info, warn or error")
		return def
	}
	return lv
}

func (l *loader) oneOf(name, def, meaning string, allowed ...string) string {
	l.note(name, def, meaning)
	v := l.getenv(name)
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	l.fail(name, v, strings.Join(allowed, " or "))
	return def
}

// shortDuration is d as an operator would write it: 168h, 2m, 1m30s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
