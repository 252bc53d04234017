package client

import "crypto/rand"

// NewIdempotencyKey returns a fresh random Idempotency-Key: 26 characters
// of base32 carrying 130 random bits (crypto/rand.Text), well inside the
// 1 to 255 printable ASCII characters the service accepts.
//
// Make one per request, before its first attempt, and send it again
// unchanged with every retry of that request: a retry whose first answer
// was lost (no answer, or 503 unavailable, which leaves the outcome
// unknown) then gets the first answer instead of doing the change twice,
// or, for a transfer, instead of 403 port_transferred and a port nobody
// holds. A transfer must carry one (TransferPortParams.IdempotencyKey); a
// post should (PostMessageParams.IdempotencyKey):
//
//	key := client.NewIdempotencyKey()
//	res, err := c.TransferPortWithResponse(ctx, id,
//		&client.TransferPortParams{IdempotencyKey: key}, client.Bearer(token))
//	// on err (no answer) or a 503, call again with the same key
func NewIdempotencyKey() string {
	return rand.Text()
}
