// @tincan-dev/client: the official TypeScript client of tincan, the
// browser's Channel Messaging API (MessageChannel, postMessage, transfer
// lists) as an HTTP service. It runs in browsers and in Node 20+, on
// fetch alone.

export {
  decodeMessage,
  newIdempotencyKey,
  Tincan,
  type Batch,
  type BroadcastResult,
  type CallOptions,
  type Channel,
  type CollectionCredentials,
  type CollectionInfo,
  type ListReset,
  type MemberAdded,
  type Message,
  type MessageError,
  type MessageTicket,
  type MintedToken,
  type NewCollection,
  type Port,
  type PortCredentials,
  type PortPostOptions,
  type Posted,
  type PostOptions,
  type ReadOptions,
  type Scope,
  type ScopedToken,
  type Ticket,
  type TincanOptions,
} from "./client.js";
export { isAbort, isRetryable, TincanError, type Problem } from "./errors.js";
export { isBytes, type Bytes } from "./body.js";
export { readEvents, type Frame } from "./sse.js";
export {
  subscribe,
  type CloseEvent,
  type MessageErrorEvent,
  type ResetEvent,
  type StreamEvent,
  type SubscribeOptions,
  type TransferredEvent,
} from "./subscribe.js";
/** The types openapi-typescript generates from tincan's api/openapi.yaml. */
export type { components, paths, operations } from "./schema.js";
