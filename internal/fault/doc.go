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
package fault
