package handlers

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tincan-dev/tincan/store"
)

// unmatchedRoute is the route label of requests no route matched (404s,
// 405s, and the pages' files, which the NotFound handler serves): a fixed
// value, so that scanners probing random paths cannot grow the label set.
const unmatchedRoute = "unmatched"

// metrics are the server's Prometheus collectors. They live on the
// registry given in Config.Metrics (or one of the server's own), never on
// the global default registry, so that servers in one process (tests) keep
// their counts apart.
type metrics struct {
	handler http.Handler

	posted      prometheus.Counter
	undecodable prometheus.Counter
	delivered   *prometheus.CounterVec
	acked       *prometheus.CounterVec
	problems    *prometheus.CounterVec
	transfers   *prometheus.CounterVec
	closes      prometheus.Counter

	// The children counted on hot paths, looked up once.
	deliveredStream, deliveredRead   prometheus.Counter
	ackedRequest, ackedResume        prometheus.Counter
	transferredAlone, transferredMsg prometheus.Counter
	streamTime, longPollTime         prometheus.Observer

	streamsOpen    prometheus.Gauge
	streamDuration *prometheus.HistogramVec
	queueDepth     prometheus.Histogram

	requestDuration *prometheus.HistogramVec
}

// How delivered messages and transfers came about, as label values.
const (
	viaStream  = "stream"
	viaRead    = "read"
	viaRequest = "request"
	viaMessage = "message"
	viaResume  = "resume"
)

// newMetrics makes the collectors and registers them on reg; codes are
// the problem codes refusals are counted under, set to zero at once so
// that rate() sees the first refusal of each.
func newMetrics(reg *prometheus.Registry, codes []string) *metrics {
	m := &metrics{
		posted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tincan_messages_posted_total",
			Help: "Messages stored by a post (idempotent replays excluded) or by a broadcast (one a member reached).",
		}),
		undecodable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tincan_messages_undecodable_total",
			Help: "Stored messages that could not be decoded, each time one was handed out as a messageerror (read again, counted again).",
		}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tincan_messages_delivered_total",
			Help: "Messages handed to a client: written to an event stream (via=stream) or returned by GET /ports/{id}/messages (via=read). A message read twice counts twice.",
		}, []string{"via"}),
		acked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tincan_acknowledgements_total",
			Help: "Successful acknowledgements: POST /ports/{id}/ack (via=request) and an event stream's resume point (via=resume). Each may acknowledge many messages.",
		}, []string{"via"}),
		problems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tincan_problems_total",
			Help: "Requests answered with a problem, by its code (see GET /docs/errors).",
		}, []string{"code"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tincan_transfers_total",
			Help: "Ports transferred: by POST /ports/{id}/transfer (via=request) or inside a stored message's transfer list (via=message).",
		}, []string{"via"}),
		closes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tincan_closes_total",
			Help: "Successful POST /ports/{id}/close requests (closing a closed channel included).",
		}),
		streamsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tincan_streams_open",
			Help: "Event streams open now.",
		}),
		streamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tincan_stream_duration_seconds",
			Help:    "How long event streams (kind=events) and long polls (kind=long_poll) stayed open; observed when they end.",
			Buckets: []float64{0.1, 1, 5, 15, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600},
		}, []string{"kind"}),
		queueDepth: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tincan_port_queue_depth",
			Help:    "Messages waiting at a port, unacknowledged, as seen by GET /ports/{id}.",
			Buckets: []float64{0, 1, 10, 100, 1000, 5000, 9000, 10000, 100000},
		}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tincan_http_request_duration_seconds",
			Help:    "Time to answer a request, by route pattern, method and status class; event streams and long polls are left out (see tincan_stream_duration_seconds).",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
	}
	reg.MustRegister(m.posted, m.undecodable, m.delivered, m.acked, m.problems, m.transfers, m.closes,
		m.streamsOpen, m.streamDuration, m.queueDepth, m.requestDuration)
	for _, code := range codes {
		m.problems.WithLabelValues(code)
	}
	m.deliveredStream, m.deliveredRead = m.delivered.WithLabelValues(viaStream), m.delivered.WithLabelValues(viaRead)
	m.ackedRequest, m.ackedResume = m.acked.WithLabelValues(viaRequest), m.acked.WithLabelValues(viaResume)
	m.transferredAlone, m.transferredMsg = m.transfers.WithLabelValues(viaRequest), m.transfers.WithLabelValues(viaMessage)
	m.streamTime, m.longPollTime = m.streamDuration.WithLabelValues("events"), m.streamDuration.WithLabelValues("long_poll")
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return m
}

// countBroadcast counts the messages a broadcast stored, one a member
// reached.
func (m *metrics) countBroadcast(reached int) {
	m.posted.Add(float64(reached))
}

// countPost counts a stored message and the ports it carried.
func (m *metrics) countPost(msg store.Outgoing) {
	m.posted.Inc()
	if n := len(msg.Transfer); n > 0 {
		m.transferredMsg.Add(float64(n))
	}
}

// problemCodes are the codes of the problem table, each once.
func problemCodes() []string {
	seen := map[string]bool{}
	var codes []string
	for _, k := range append(problemKinds, internalError) {
		if !seen[k.code] {
			seen[k.code] = true
			codes = append(codes, k.code)
		}
	}
	return codes
}

// handleMetrics answers the metrics in Prometheus's text format; with
// Config.DisableMetrics the route does not exist.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.DisableMetrics {
		return errNotFound
	}
	// promhttp answers Prometheus's protobuf format to a scraper that
	// asks for it (one with native histograms on does); the contract is
	// the text format, which every Prometheus reads, so the choice is
	// not the client's.
	r = r.Clone(r.Context())
	r.Header.Del("Accept")
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// observeRequest records a finished request in the latency histogram,
// unless it was an event stream or a long poll: those last as long as
// the client wants, and would drown every other request's latency. Their
// own histogram has them instead. One refused (not 200) never waited,
// and is timed with the other requests.
func (m *metrics) observeRequest(r *http.Request, route string, status int, took time.Duration) {
	switch {
	case status != http.StatusOK:
	case route == eventsRoute:
		m.streamTime.Observe(took.Seconds())
		return
	case route == messagesRoute && r.Method == http.MethodGet && isLongPoll(r):
		m.longPollTime.Observe(took.Seconds())
		return
	}
	m.requestDuration.WithLabelValues(route, methodLabel(r.Method), statusClass(status)).Observe(took.Seconds())
}

// otherMethod is the method label of every method not in knownMethods.
const otherMethod = "other"

// knownMethods are the methods of RFC 9110 and PATCH: the only method
// labels and span names there are. Any token is a method to net/http, so
// taking the request's own would let a client grow a series per request.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodConnect: true,
	http.MethodOptions: true, http.MethodTrace: true,
}

// methodLabel is method, if it is one of knownMethods, else otherMethod.
func methodLabel(method string) string {
	if knownMethods[method] {
		return method
	}
	return otherMethod
}

// isLongPoll reports whether a message list asked to wait.
func isLongPoll(r *http.Request) bool {
	w := r.URL.Query().Get("wait")
	return w != "" && w != "0"
}

// The routes observeRequest leaves out, as chi names them.
const (
	eventsRoute   = "/ports/{id}/events"
	messagesRoute = "/ports/{id}/messages"
)

// routePattern is the pattern of the route that served r, once it has
// been served, or unmatchedRoute.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		// chi records a pattern only for a route it found: a 404 or a
		// 405 has none.
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return unmatchedRoute
}

// statusClasses are the status labels, by the status's first digit.
var statusClasses = [...]string{1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

// statusClass is "2xx", "4xx" and so on, without making a string on
// every request.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return statusClasses[status/100]
}
