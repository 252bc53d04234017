// Package redis is the Redis implementation of store.Store, for a single
// Redis server, Sentinel or Cluster alike (it takes a go-redis
// UniversalClient and never sends a command that spans two hash slots).
//
// # Keys
//
// A channel's id and its ports' ids share their first store.TagLength
// characters, the channel's tag T. Every key of a channel carries T as its
// Redis Cluster hash tag {T}, so that all of them live in one slot and
// every change to a channel is one atomic Lua script, and so that the keys
// are found from any port id without a lookup. keys.go builds every key
// name; migrations/0001_initial.lua lists the schema, and each later step
// what it changed (0002: the dead tokens' zset; 0003: the queues' bytes;
// 0004: binary messages).
//
// # Bytes
//
// The channel hash counts the bytes of data (a binary message's bytes,
// see below) queued at each side
// (<side>:bytes): post.lua checks a message against
// store.Limits.MaxQueueBytes (the rule is store.Limits.Admit; the bound
// comes as an argument, like MaxQueue) and adds its bytes in the step that
// stores it; ack.lua subtracts the bytes of what it deletes in the step
// that deletes it, reading the entries a chunk at a time, unless it
// deletes the whole queue (it acknowledges through the newest id), which
// leaves 0. An empty queue holds
// 0 bytes whatever the count said, which bounds the error that builds of
// schema version 2 still running during an upgrade (which do not count)
// can leave. read.lua stops before the entry whose data would pass the
// read's byte bound (store.ReadLimit), reading in chunks sized from the
// entries it has seen, so that a queue of large messages is never read
// whole into the script.
//
// # Binary messages
//
// A JSON message's entry holds its data in field d; a binary message's
// holds its bytes in field b, a raw Redis string (Redis strings and Lua
// strings hold any bytes, so nothing encodes them: no base64, no UTF-8),
// and its content type in field c, never d (migrations/0004_binary.lua).
// The bytes go to post.lua as an argument of their own, as the data
// would, and count for the bytes bounds as the data does (lib.lua's
// data_bytes reads d or b). A build from before them finds no d and reads
// the entry as undecodable, never as data; schema version 4 makes it
// unready. A pushed notice of a binary message carries the bytes too
// (notice.go). An entry whose b and c do not go together (one without the
// other, either beside d, a c that is no content type) is undecodable
// (messages.go's decode): a messageerror in its place.
//
// # Scripts
//
// Each change is one script under lua/, given all its keys. The scripts
// are the functions of one Redis Functions library (scripts.go's library,
// called with FCALL), which opens with lib.lua, coll_lib.lua and, before
// them, a preamble that preamble.go writes from Go; Redis defines these
// once, when it loads the library, not on every call. The preamble holds
// the statuses a script may answer (ST_*, from status.go's table), the
// move decisions, the bounds (MAX_SCOPED_TOKENS, MAX_FORMER_TOKENS) and
// what each scope allows, so that no rule is written twice. The
// scripts authenticate in the same step as the change they make, answer
// small status replies that Go maps to store errors (status.go, the one
// table), restart the idle timer (PEXPIRE) of all of a channel's keys
// (post.lua and ack.lua only when the channel's hash has less than the
// TTL left, once every ttl/16, see lib.lua's touch_due), and SPUBLISH the id of every port whose
// holder should look again on the channel's shard channel
// <prefix>{T}:notify (lib.lua's notify): a
// transfer, a close, a revoked token, a move's lock and commit. A post
// without a transfer list is one round trip, and publishes the message
// itself (lib.lua's notify_message, notice.go), so that a stream waiting
// at the port's last id writes it without reading it back; except in WAIT
// mode (see below), where it publishes the port id only.
//
// # The executor
//
// Every Redis operation of the store is an op (exec.go): a script with
// its keys and ARGV, or a plain command, and flags saying what else it
// needs: durable (its success is an answer the client keeps, or a read's
// messages: in WAIT mode it waits for replicas) and settles (a 'locked' reply settles the move
// holding the port, then the op goes again). exec(ctx, ops...) alone
// sends ops, and owns what every call needs: each round trip's time bound
// (Options.Timeout, plus WaitTimeout for a WAIT), FCALL of the library's
// functions, loading the library on every primary and sending again the
// ops that found it missing (a fresh, flushed, restarted or promoted
// server), EVALSHA and EVAL for a migration's scripts; pipelining, one round trip per route: the
// client (which splits a Cluster pipeline by node), or, for durable ops in
// WAIT mode, the primary owning their keys, with WAIT after them on the
// same connection and a fence for answers written before (durability.go);
// and settling. A store method builds its ops, execs them, and decodes the
// results (result.ok maps a refusal to its error).
//
// Concurrent calls share round trips (group commit, batch.go): a route's
// ops go through the batcher of its node (on a Cluster, the primary
// owning the keys) and wait flag. A call finding fewer than two round
// trips of its batcher in flight sends at once, so a lone call waits for
// nothing; calls that come while two are in flight queue, and go together
// in the next pipeline (at most 128 ops or 1 MiB, whole calls), with one WAIT
// for all of a wait batch's ops. Each op keeps its own answer, its own
// NOSCRIPT fallback and its own fence; a caller who gives up answers at
// once without cutting the batch short for the others.
//
// # Scoped tokens
//
// A port's scoped tokens live in its channel's hash (token_mint.lua): the
// field tok:<hash> holds the token's port, id, scope, label and creation
// time, and <side>:tokens lists the side's hashes. lib.lua's authorize
// looks the presented hash up (with the side's pending token) when it is
// not the port's own token, so authentication stays one step of the
// script it guards, and checks the scope against ALLOWS, which the
// preamble writes from store.Scope.Allows.
// transfer.lua and move_commit.lua kill every scoped token of the port in
// the step that replaces its token, putting them in the former zset, so
// that they answer ErrTransferred like the old token.
//
// # Dead tokens
//
// {T}:former remembers the channel's dead tokens ('<port id>:<hash>'), so
// that their holders learn the port was transferred rather than that their
// token is wrong. It is a zset in which each side's tokens are numbered in
// the order they died, port 1's with positive scores and port 2's with
// negative ones, so that lib.lua's former_add counts and trims one port's
// with ZCOUNT and ZREMRANGEBYRANK: each port keeps its newest
// store.MaxFormerTokens (MAX_FORMER_TOKENS, written by the preamble), as
// the memory store does. Schema version 1 kept an unbounded set there;
// migration 0002 converts each channel's set (migrations/channel/).
//
// # Moving ports in a message
//
// A port listed in a message's transfer list belongs to another channel,
// in another slot of a Cluster, so no single script can store the message
// and move the port. A move is instead done in four steps, with one move
// id per post and a decision key D in the sender's slot (move.go's move
// type, one method a step):
//
//  1. moves_add.lua indexes each listed port in the moves zset, scored by
//     the move's deadline, before any lock exists.
//  2. move_lock.lua locks each listed port: it checks the sender's token
//     for it and records the move id, the sender's tag (which names D),
//     the hash of a fresh token (pending) and the deadline. Any refusal
//     unlocks the others and nothing happened.
//  3. post.lua stores the message, carrying the fresh tokens, and sets
//     D = "done:<event id>" in the same step, but only while D is absent.
//     This is the move's point of no return.
//  4. move_commit.lua, on each listed port, makes the pending token the
//     port's token and retires the old one; then the index entries go.
//
// Whoever meets a lock whose move is unfinished (any script on the port,
// reads included, whichever of its two tokens is presented, or the sweeper
// walking the index past deadlines) settles it with decide.lua on
// D: "done" commits, "aborted" undoes, and an absent D past the deadline
// is set to "aborted" first (atomically, so post.lua can no longer store).
// An absent D before the deadline means the sender may still be working:
// the caller gets store.ErrBusy. Reads wait for the decision too: once D
// says "done" the port has changed hands, so letting the old token read
// it until the commit would be a stale read.
//
// The invariant: a port never ends with two valid tokens, nor with none.
// Its token field always holds exactly one hash; the pending hash is never
// accepted as a token, only as a reason to settle; and a lock is only ever
// resolved one way, by D, which is written once. Whichever process dies
// between whichever steps, the lock is indexed (step 1 precedes it), so
// the sweeper finds it after the deadline and D decides it: before step 3
// the move is aborted (the port keeps its old token and no message
// exists), after it the move commits (the message's token becomes the
// port's). D outlives every lock by far (decisionTTL); a lock left unsettled
// for longer than that, with every instance down, would be aborted, and
// its message would carry a token that never became valid.
//
// # Replays
//
// go-redis sends a command again when the connection drops before its
// answer; the scripts make that harmless. A replayed post.lua finds its
// post id (or, with a transfer list, its own "done" in D) and answers the
// first run's event id; a replayed transfer.lua finds its new token in
// place, and a replayed token_mint.lua its token; the move scripts find
// their own lock or its absence; closing and acknowledging are idempotent
// anyway. Such an answer, and an idempotency key's earlier one, carries a
// mark (MARK_RESENT, MARK_REPLAYED; status.go) after its values, which
// tells exec that the write it answers was not made by this run (see WAIT
// mode).
//
// # Idempotency keys
//
// A post under an Idempotency-Key has a record in the sender's slot,
// {T}:idem:<store.PostIndex of port id, token hash and key>: scoped to the
// credential presented, so that only the caller who made a post can
// replay it. Without a transfer list, post.lua
// checks it and writes it ('done <fingerprint> <event id>') in the same
// step as the message, so neither exists without the other. With a
// transfer list, idem_begin.lua first claims it for the move ('pending
// <fingerprint> <move id> <deadline>'); post.lua stores the message only
// while the claim is its own and turns it into 'done' in the move's
// decisive step. A claim is settled like a lock, by the move's D: done
// answers the retry, aborted (a refusal, or a sender dead past the
// deadline) lets the next attempt take the record over, absent is still
// in flight. Only answers are remembered; records expire after the window.
//
// A transfer under a key is one step too: TransferOnce draws the new token
// and seals the answer (store.SealTransfer) before calling transfer.lua,
// which writes the record {T}:idem:<store.TransferIndex of port id, hash
// of the token presented and key> in the step that makes the transfer. A
// retry presents the same token, dead by then, so the script looks the
// record up before authenticating: same fingerprint, the sealed answer
// (the same new token, replayed); another, ErrKeyReused. Redis holds the
// new token's hash and the sealed answer, never the token.
//
// A broadcast under a key (BroadcastOnce) gives each member's post.lua run
// that member's post record, named with the member's stored token hash
// and the key store.BroadcastKey derives from the collection, its token
// and the client's key: a retry answers the members reached before with
// their first ids, posts to the others, and refuses a member whose record
// holds another fingerprint (store.BroadcastKeyReused).
//
// A channel created under a key cannot be recorded in the same step (its
// keys live in a random slot), so the record is claimed, the channel
// made, and the answer recorded if the claim is still this call's; a
// channel whose creator died in between is never handed out and expires.
// Its answer holds both tokens: it is stored sealed (AES-GCM) under a key
// derived from the Idempotency-Key, in a record named by another
// derivation, so Redis never holds a usable token (store.SealChannel).
//
// # WAIT mode
//
// With Options.WaitReplicas set (a number, or WaitAll: every replica a
// failover could promote), exec sends each durable op in one pipeline
// with WAIT on its primary's connection (see durability.go): a write the
// client keeps the answer of, and every read, which is a durable op too:
// read.lua always writes (it restarts the idle timers), so WAIT after it
// confirms the replicas hold all it returned, and too few replicas is
// store.ErrUnavailable. post.lua then pushes no message in its notice,
// only the port's id, so that every delivery is such a fenced read: no
// reader is handed a message that a failover to a replica would take
// back. An answer with a mark (a replayed or resent post, transfer or
// minted token) wrote nothing on this connection, so exec first writes a
// fence (durability.go's fence) and waits after it. Every WAIT asks
// replicasToWait how many replicas to count.
//
// # Stream tickets
//
// A ticket is one key, <prefix>ticket:<derivation of port and ticket>,
// holding the credentials sealed under another derivation of the ticket
// (store.SealTicket), set with the ticket's lifetime (SET PX) and redeemed
// with GETDEL: one atomic command on one key, so a ticket is used once
// even by many instances and on a Cluster. Issuing checks each port's
// credentials with check.lua in its own slot, all in one pipeline; a port
// held by a move is settled and checked again, as a read would be.
//
// A message ticket is one key too, <prefix>mticket:<derivation of port,
// message id and ticket> (store.MessageTicketIndex), sealed in the same
// way (store.SealMessageTicket) and set with its lifetime, but redeemed
// with GET: it is not used up. Issuing checks the credentials and that the
// message is queued with message.lua, which then writes nothing.
//
// # Collections
//
// A collection is two keys in the slot of its own hash tag {c:<id>}
// (keys.go's collection): a hash with its token's hash and creation time,
// and a hash of its members, port id -> hash of the token the member was
// added with. They are not in migrations/0001_initial.lua: they came after
// it, and no migration is needed, since nothing older reads them. Adding
// a member checks its credentials at its channel (member_check.lua), then
// adds it with coll_add.lua: two slots, so two steps; a token that dies in
// between is refused by the next broadcast. A broadcast reads the members
// (coll_members.lua, which restarts the collection's idle timer) and runs
// post.lua for each, with the stored hash (and, under a key, the member's
// post record), in pipelines of broadcastBatch
// calls: go-redis splits each pipeline by node on a Cluster, so a batch is
// one round trip per node. The members times the data's bytes are checked
// against store.Limits.MaxBroadcastBytes before the first pipeline. A
// member whose post was sent and not answered (a timeout, a broken
// connection, an error reply, too few replicas) is reported Unknown, never
// refused: exec marks such a result (result.unknown), and only a post
// never sent is refused as unavailable. exec loads the library (on every
// primary) before a pipeline of its functions, unless it saw it loaded,
// so that a server that lost it does not refuse a whole pipeline.
//
// # Notifications
//
// Notices use sharded pub/sub (Redis 7) in every mode, so that one design
// serves a single server, Sentinel and Cluster: on a Cluster a notice goes
// from the node owning the channel's slot to the instances subscribed to
// that channel, never to every node. The listener (listener.go) subscribes
// (SSUBSCRIBE) to the shard channel of each tag on which somebody in this
// process waits, from the first waiter to the last, on one pub/sub
// connection per node; Subscribe returns once the subscriptions of all
// its ports' tags are in place (one doorbell serves several ports), or
// fails with store.ErrUnavailable when they are not within
// Options.Timeout. So an instance's Redis connections are its pool plus
// one per node, however many streams wait. Whenever a subscription is made again
// (a reconnection, a slot that moved) the tag's waiters are rung, since
// notices published meanwhile are lost. It pings a connection that stays
// silent, and subscribes on a new one when the ping goes unanswered, since
// a half-open connection reports nothing.
package redis
