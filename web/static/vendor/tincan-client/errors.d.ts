import type { components } from "./schema.js";
/** Problem is the problem document (RFC 9457) that tincan answers with every refusal. */
export type Problem = components["schemas"]["Problem"];
/**
 * TincanError is a refusal by the service: its HTTP status, the problem
 * document's stable `code`, and the whole document when the answer had one.
 */
export declare class TincanError extends Error {
    /** status is the HTTP status of the answer. */
    readonly status: number;
    /** code is the problem's stable code (such as "port_transferred"), or "" without a problem document. */
    readonly code: string;
    /** problem is the problem document, when the answer carried one. */
    readonly problem: Problem | undefined;
    /** retryAfter is the answer's Retry-After in seconds, when it had one. */
    readonly retryAfter: number | undefined;
    constructor(what: string, status: number, problem?: Problem, retryAfter?: number);
}
/**
 * isRetryable reports whether a request that failed with err may succeed
 * if sent again unchanged (under the same Idempotency-Key, where it has
 * one): no answer at all (a network error), 502/503/504 (the store did not
 * answer), 429, or a 409 that asks to retry shortly (port_busy: the port is
 * mid-transfer; idempotency_in_flight: an earlier attempt under the key is
 * still being carried out). An abort is never retryable.
 */
export declare function isRetryable(err: unknown): boolean;
/** isAbort reports whether err is what fetch or a wait throws when its AbortSignal fires. */
export declare function isAbort(err: unknown): boolean;
/** refusal reads a refused answer's problem document into a TincanError. */
export declare function refusal(what: string, res: Response): Promise<TincanError>;
