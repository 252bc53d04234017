// Package handlers is tincan's HTTP layer: it turns requests into calls on
// a store.Store and the results into JSON, problem details and event
// streams. routes.go lists the whole API.
package handlers

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tincan-dev/tincan/store"
)

// Defaults for Config.
const (
	// DefaultMaxMessageSize bounds a message, in bytes (see
	// Config.MaxMessageSize).
	DefaultMaxMessageSize = 256 << 10
	// DefaultKeepAlive is how long an event stream may stay silent before
	// a keep-alive comment is sent.
	DefaultKeepAlive = 15 * time.Second
	// DefaultRetry is the reconnection delay suggested to SSE clients.
	DefaultRetry = 2 * time.Second
	// DefaultLongPollMaxWait caps the wait of a long poll.
	DefaultLongPollMaxWait = 30 * time.Second
	// DefaultLongPollMaxBytes bounds a long poll's answer: 16 messages of
	// the largest default size, or all 1,000 a poll may ask for up to
	// 4 KiB each.
	DefaultLongPollMaxBytes = store.DefaultReadBytes
	// DefaultWriteTimeout bounds each write to an event stream, so a client
	// that stops reading cannot hold its stream forever.
	DefaultWriteTimeout = 10 * time.Second
)

// Config tunes a Server. The zero value of a field means its Default*.
type Config struct {
	// MaxMessageSize bounds a message, in bytes: a post's text or bytes
	// (its body), or the data or bytes a JSON post holds, whose body may
	// be larger by base64 and a transfer list (maxPostBody); and a
	// request body elsewhere. Larger is 413.
	MaxMessageSize int64
	// KeepAlive is how long an event stream stays silent before it gets
	// a keep-alive comment.
	KeepAlive time.Duration
	// Retry is the "retry:" hint that opens every event stream.
	Retry time.Duration
	// LongPollMaxWait caps a long poll's wait parameter.
	LongPollMaxWait time.Duration
	// LongPollMaxBytes bounds the body of a long poll's answer, in bytes
	// as written: it holds fewer messages than asked for rather than
	// more bytes, but always one, however large.
	LongPollMaxBytes int64
	// MaxInflightBytes bounds the bytes of message bodies and of messages
	// read for answers that the process handles at once (see inflight);
	// a request that would pass it is 503.
	MaxInflightBytes int64
	// WriteTimeout bounds each write and flush of an event stream.
	WriteTimeout time.Duration
	// CreateAuth decides who may create channels; nil leaves creation
	// open to anyone who can reach the server.
	CreateAuth Authenticator
	// RefuseQueryTokens refuses ?access_token= (401) on every route, so
	// that tokens travel only in the Authorization header.
	RefuseQueryTokens bool
	// MaxJSONDepth bounds the nesting of a JSON request body; deeper is
	// 400.
	MaxJSONDepth int
	// MaxTransfer bounds a message's transfer list; longer is 400.
	MaxTransfer int
	// MaxStreamsPerPort bounds the event streams open at once on one
	// port, MaxStreamsPerClient the event streams and waiting long polls
	// from one client address; one more is 429.
	MaxStreamsPerPort, MaxStreamsPerClient int
	// BodyReadTimeout bounds how long a request body takes to arrive;
	// slower is 408.
	BodyReadTimeout time.Duration
	// CORSOrigins are the origins browsers may call the API from, as
	// ParseCORSOrigins returns them; none means no CORS headers at all.
	CORSOrigins []string
	// RateLimiter limits requests per client address and per credential;
	// nil limits nothing. Health checks are never limited.
	RateLimiter RateLimiter
	// TrustedProxies are the networks whose proxies' X-Forwarded-For
	// names the client, as ParseTrustedProxies returns them; none means
	// the client is always the TCP peer.
	TrustedProxies []netip.Prefix
	// ClientConns counts the clients trusted proxies forward, in the
	// table where the listener counts the connections of the others
	// (connlimit.Limiter); nil counts none.
	ClientConns ClientConns
	// TicketTTL is how long a stream ticket or a message ticket stays
	// usable.
	TicketTTL time.Duration
	// MaxTicketPorts bounds the ports one ticket serves; more is 400.
	MaxTicketPorts int
	// Pages are the files of the pages (web.Static()): index.html is
	// served at /, docs.html at /docs, every file at its own path. Nil
	// serves none of them; /docs/errors is served all the same.
	Pages fs.FS
	// Metrics is the registry GET /metrics serves and the server's
	// collectors join; nil gives the server a registry of its own.
	Metrics *prometheus.Registry
	// DisableMetrics makes GET /metrics a 404; the counting goes on.
	DisableMetrics bool
	// ParkStreams parks plaintext HTTP/1.1 event streams once their first
	// batches are written: their connections are taken over and served
	// with no goroutine of their own while idle (see park.go). Call
	// WaitStreams after http.Server.Shutdown then.
	ParkStreams bool
}

func (c Config) withDefaults() Config {
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.Retry <= 0 {
		c.Retry = DefaultRetry
	}
	if c.LongPollMaxWait <= 0 {
		c.LongPollMaxWait = DefaultLongPollMaxWait
	}
	if c.LongPollMaxBytes <= 0 {
		c.LongPollMaxBytes = DefaultLongPollMaxBytes
	}
	if c.MaxInflightBytes <= 0 {
		c.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxJSONDepth <= 0 {
		c.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if c.MaxTransfer <= 0 {
		c.MaxTransfer = DefaultMaxTransfer
	}
	if c.MaxStreamsPerPort <= 0 {
		c.MaxStreamsPerPort = DefaultMaxStreamsPerPort
	}
	if c.MaxStreamsPerClient <= 0 {
		c.MaxStreamsPerClient = DefaultMaxStreamsPerClient
	}
	if c.BodyReadTimeout <= 0 {
		c.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if c.TicketTTL <= 0 {
		c.TicketTTL = DefaultTicketTTL
	}
	if c.MaxTicketPorts <= 0 {
		c.MaxTicketPorts = DefaultMaxTicketPorts
	}
	return c
}

// Server is tincan's HTTP API. It is an http.Handler.
type Server struct {
	logger *slog.Logger
	store  store.Store
	cfg    Config
	router *chi.Mux
	// streams counts the open event streams, for their limits.
	streams *streamCounter
	// inflight counts the bytes of bodies and answers under way.
	inflight *inflight
	// pages are Config.Pages, read once.
	pages pageFiles
	// routeWords are the literal segments of the routes, which logs
	// show as they are (see loggedPath).
	routeWords map[string]bool
	metrics    *metrics
	// parker holds the parked streams.
	parker *parker

	// shutdown is closed by CloseStreams; every stream and long poll
	// watches it.
	shutdown     chan struct{}
	shutdownOnce sync.Once
}

// NewServer returns the API over st; a nil logger logs nothing. Its log
// entries made with a request's context carry the request's id (see
// requestIDHeader).
func NewServer(logger *slog.Logger, st store.Store, cfg Config) *Server {
	reg := cfg.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		logger:   slog.New(requestIDHandler{logger.Handler()}),
		metrics:  newMetrics(reg, problemCodes()),
		store:    st,
		cfg:      cfg.withDefaults(),
		router:   chi.NewRouter(),
		shutdown: make(chan struct{}),
	}
	s.streams = newStreamCounter(s.cfg.MaxStreamsPerPort, s.cfg.MaxStreamsPerClient)
	s.inflight = newInflight(s.cfg.MaxInflightBytes)
	s.parker = newParker(s)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tincan_streams_parked",
		Help: "Event streams open now that are parked: served without a goroutine of their own (PARK_STREAMS); counted in tincan_streams_open too.",
	}, func() float64 { return float64(s.parker.parkedStreams()) }))
	var err error
	if s.pages, err = loadPages(s.cfg.Pages); err != nil && logger != nil {
		logger.Warn("some page files are not served", "err", err)
	}
	s.routes()
	s.routeWords = routeWords(s.router)
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.router.ServeHTTP(w, r)
}

// CloseStreams ends every open event stream and long poll, and those that
// open afterwards, promptly: streams just end (clients reconnect, with
// Last-Event-ID, elsewhere) and long polls answer with what they have.
// Call it when shutting down, so that http.Server.Shutdown, which waits for
// handlers to return, cannot hang on a stream; parked streams end the same
// way, and WaitStreams waits for them. It is safe to call more than once.
func (s *Server) CloseStreams() {
	s.shutdownOnce.Do(func() { close(s.shutdown) })
	s.parker.closeAll()
}
