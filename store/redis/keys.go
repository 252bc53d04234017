package redis

import "github.com/tincan-dev/tincan/store"

// keys builds every key name the store uses. See
// migrations/0001_initial.lua for what each key holds.
type keys struct {
	prefix string
}

// channelKeys are the keys of one channel, all in the slot of the hash tag
// {T}, in the order the channel scripts take them as KEYS.
type channelKeys struct {
	channel, q1, q2, former string
}

// forTag returns the keys of the channel with tag T. The four names are
// slices of one string, built in one allocation: every channel script call
// needs them.
func (k keys) forTag(tag string) channelKeys {
	all := k.prefix + "{" + tag + "}:channel" +
		k.prefix + "{" + tag + "}:q1" +
		k.prefix + "{" + tag + "}:q2" +
		k.prefix + "{" + tag + "}:former"
	base := len(k.prefix) + len("{") + len(tag) + len("}:")
	channel := base + len("channel")
	q1 := channel + base + len("q1")
	q2 := q1 + base + len("q2")
	return channelKeys{channel: all[:channel], q1: all[channel:q1], q2: all[q1:q2], former: all[q2:]}
}

// forPort returns the keys of the channel of a port id, and false for a
// string that is not an id.
func (k keys) forPort(portID string) (channelKeys, bool) {
	tag := store.Tag(portID)
	if tag == "" {
		return channelKeys{}, false
	}
	return k.forTag(tag), true
}

// list returns the keys as a script's KEYS.
func (c channelKeys) list() []string {
	return []string{c.channel, c.q1, c.q2, c.former}
}

// decision is the key D of a move: in the sending channel's slot (mover is
// its tag), so that the post stores the message and decides the move in
// one step.
func (k keys) decision(mover, moveID string) string {
	return k.prefix + "{" + mover + "}:move:" + moveID
}

// postRecord is the idempotency record of a post through from under an
// idempotency key, scoped to the credential presented. It lives in the
// sender's channel slot, so that post.lua checks and writes it in the same
// step as the message.
func (k keys) postRecord(from store.Credentials, key string) string {
	return k.postRecordHashed(from.PortID, store.HashToken(from.Token), key)
}

// postRecordHashed is postRecord given the token's hash, which is all a
// collection keeps of its members' tokens (see BroadcastOnce).
func (k keys) postRecordHashed(portID, tokenHash, key string) string {
	return k.prefix + "{" + store.Tag(portID) + "}:idem:" + store.PostIndex(portID, tokenHash, key)
}

// transferRecord is the idempotency record of a transfer of portID under
// an idempotency key, by the holder of the token whose hash is tokenHash
// (store.TransferIndex), in the channel's slot, so that transfer.lua
// writes it in the step that makes the transfer.
func (k keys) transferRecord(portID, tokenHash, key string) string {
	return k.prefix + "{" + store.Tag(portID) + "}:idem:" + store.TransferIndex(portID, tokenHash, key)
}

// channelRecord is the idempotency record of a channel created under an
// idempotency key; the name is a one-way derivation of the key.
func (k keys) channelRecord(key string) string {
	return k.prefix + "idem:channel:" + store.ChannelIndex(key)
}

// ticket is the record of a stream ticket presented for the port portID
// (see store.TicketIndex): one key, outside any channel's slot, since a
// ticket may stand for ports of several channels.
func (k keys) ticket(portID, secret string) string {
	return k.prefix + "ticket:" + store.TicketIndex(portID, secret)
}

// messageTicket is the record of a message ticket presented for the
// message id at the port portID (see store.MessageTicketIndex): like a
// stream ticket's, one key outside any channel's slot, under a name of
// its own kind.
func (k keys) messageTicket(portID string, id store.EventID, secret string) string {
	return k.prefix + "mticket:" + store.MessageTicketIndex(portID, id, secret)
}

// moves is the zset indexing moves in flight by deadline.
func (k keys) moves() string { return k.prefix + "moves" }

// schema holds the key-schema version (see package migrations).
func (k keys) schema() string { return k.prefix + "schema" }

// notify is the shard channel of the channel with tag T, carrying the ids
// of its ports to wake. It shares the channel's hash tag, so a script may
// SPUBLISH there on a Cluster, and only the node owning the slot carries
// the notice.
func (k keys) notify(tag string) string { return k.prefix + "{" + tag + "}:notify" }

// collection returns the keys of the collection id: its hash (token hash,
// creation time) and its members' hash (port id -> hash of the token the
// member was added with), both in the slot of the hash tag {c:<id>}, which
// no channel's tag can equal.
func (k keys) collection(id string) []string {
	base := k.prefix + "{c:" + id + "}:"
	return []string{base + "collection", base + "members"}
}
