// @tincan-dev/client: the official TypeScript client of tincan, the
// browser's Channel Messaging API (MessageChannel, postMessage, transfer
// lists) as an HTTP service. It runs in browsers and in Node 20+, on
// fetch alone.
export { decodeMessage, newIdempotencyKey, Tincan, } from "./client.js";
export { isAbort, isRetryable, TincanError } from "./errors.js";
export { isBytes } from "./body.js";
export { readEvents } from "./sse.js";
export { subscribe, } from "./subscribe.js";
