package memory

// SetBetweenBatches sets the hook that a broadcast runs between two batches
// of its members, with the lock let go.
func SetBetweenBatches(s *Store, f func()) { s.betweenBatches = f }

// BroadcastBatch is how many members a broadcast posts to under the lock
// at a time.
const BroadcastBatch = broadcastBatch
