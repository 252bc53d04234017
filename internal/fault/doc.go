// Package fault drives tincan's fault-injection tests: it builds the api
// binary, runs api processes on loopback against private Redis servers,
// kills them (SIGKILL, as a crash would), puts a steady load of posts and
// event streams on them, records the outcome of every post, and checks
// what the streams received against what the service acknowledged.
//
// The promise under test is the issue's: a 201 is a promise. Every
// acknowledged message must be delivered, none twice under two event ids,
// each port's messages in the order they were posted, and a stream that
// resumes by Last-Event-ID must continue exactly where it stopped.
// Posts that failed (refused, or unknown because the connection broke)
// promise nothing, and the checker only counts what became of them.
//
// A client that must not lose anything retries a change whose answer it
// did not get under the same Idempotency-Key (LoadConfig.Idempotent,
// Transfers): then no transfer may strand its port, no acknowledged
// transfer may be undone, and no message may arrive under two ids, even
// across a Sentinel failover with REDIS_WAIT_REPLICAS=all. A stream that
// resumes from a point the store no longer knows (a failover took it
// back) must be told `event: reset` with rewound_to, never refused: the
// readers record every (re)connect and rewind for the tests to check.
package fault
