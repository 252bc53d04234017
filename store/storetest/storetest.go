// Package storetest is the specification of a store.Store, as tests. Every
// implementation's test file calls Run with a constructor; the same
// subtests then hold each engine to the same semantics.
package storetest

import (
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// Run runs the conformance suite against the stores newStore makes, which
// keep the wall clock's time: the cases about expiry wait for it.
// newStore must return a fresh, empty store enforcing limits and register
// its own cleanup (closing the store, removing its data) on t. Each subtest
// gets a store of its own and runs in parallel with the others.
func Run(t *testing.T, newStore func(t *testing.T, limits store.Limits) store.Store) {
	run(t, harness{newStore: func(t *testing.T, limits store.Limits, _ func() time.Time) store.Store {
		return newStore(t, limits)
	}})
}

// RunClocked runs the conformance suite against stores that read their
// time from now, as Run does otherwise. now is nil, for the wall clock,
// except in the cases about expiry, which give each store a Clock's Now
// and move that Clock instead of sleeping.
func RunClocked(t *testing.T, newStore func(t *testing.T, limits store.Limits, now func() time.Time) store.Store) {
	run(t, harness{newStore: newStore, clocked: true})
}

func run(t *testing.T, h harness) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Channels", channelTests},
		{"Post", postTests},
		{"Origin", originTests},
		{"Read", readTests},
		{"Ack", ackTests},
		{"Retention", retentionTests},
		{"Close", closeTests},
		{"Transfer", transferTests},
		{"TransferOnce", transferOnceTests},
		{"TransferList", transferListTests},
		{"Scope", scopeTests},
		{"Subscribe", subscribeTests},
		{"Ticket", ticketTests},
		{"Concurrency", concurrencyTests},
		{"Expiry", expiryTests},
		{"Idempotency", idempotencyTests},
		{"Ready", readyTests},
		{"Linearizability", linearizabilityTests},
		{"Collections", collectionTests},
		{"BroadcastOnce", broadcastOnceTests},
		{"Bytes", bytesTests},
		{"Binary", binaryTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, h)
				})
			}
		})
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	run  func(t *testing.T, h harness)
}
