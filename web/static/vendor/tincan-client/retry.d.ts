/** sleep waits ms, or rejects when signal fires. */
export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;
/**
 * retryDelay answers how long to wait before attempt+1: what a refusal's
 * Retry-After asks, else first·2^(attempt-1) with jitter; at most max.
 */
export declare function retryDelay(err: unknown, attempt: number, first: number, max: number): number;
