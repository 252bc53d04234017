package ratelimit

import (
	"context"
	"sync"
	"time"
)

// sweepEvery is how often Memory forgets the keys whose bucket is full
// again: such a key is the same as one never seen.
const sweepEvery = time.Second

// Memory is a Backend for one process. Its memory is bounded by the
// requests of the last Burst/Rate seconds: a key is forgotten once its
// bucket is full again.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	tat       map[string]time.Time // per key: the theoretical arrival time
	nextSweep time.Time
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty Memory on the wall clock.
func NewMemory() *Memory { return newMemoryAt(time.Now) }

// newMemoryAt returns an empty Memory on the clock now.
func newMemoryAt(now func() time.Time) *Memory {
	return &Memory{now: now, tat: map[string]time.Time{}}
}

// Allow implements Backend with GCRA, the algorithm of redis_rate's
// script, so that both backends answer alike: each request pushes the
// key's theoretical arrival time (tat) on by one interval, and a request
// is refused if that would put tat more than Burst intervals ahead of now.
func (m *Memory) Allow(_ context.Context, key string, limit Limit) (Result, error) {
	interval := limit.interval()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)

	tat := now
	if last, ok := m.tat[key]; ok && last.After(now) {
		tat = last
	}
	newTAT := tat.Add(interval)
	// How far now is past the earliest time the request may arrive.
	slack := now.Sub(newTAT.Add(-time.Duration(limit.Burst) * interval))
	if slack < 0 {
		return Result{RetryAfter: -slack, ResetAfter: tat.Sub(now)}, nil
	}
	m.tat[key] = newTAT
	return Result{Allowed: true, Remaining: int(slack / interval), ResetAfter: newTAT.Sub(now)}, nil
}

// sweep forgets, at most once per sweepEvery, every key whose bucket is
// full again at now.
func (m *Memory) sweep(now time.Time) {
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(sweepEvery)
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
}

// size returns how many keys are remembered; for tests.
func (m *Memory) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}
