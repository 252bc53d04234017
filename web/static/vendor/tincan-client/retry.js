// When to send again: the pause before the next attempt of a request or
// a stream.
import { TincanError } from "./errors.js";
/** sleep waits ms, or rejects when signal fires. */
export function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted)
            return reject(signal.reason);
        const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", aborted);
        };
        const aborted = () => {
            done();
            reject(signal?.reason);
        };
        const timer = setTimeout(() => {
            done();
            resolve();
        }, ms);
        signal?.addEventListener("abort", aborted, { once: true });
    });
}
/**
 * retryDelay answers how long to wait before attempt+1: what a refusal's
 * Retry-After asks, else first·2^(attempt-1) with jitter; at most max.
 */
export function retryDelay(err, attempt, first, max) {
    const asked = err instanceof TincanError ? err.retryAfter : undefined;
    const ms = asked !== undefined ? asked * 1000 : first * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    return Math.min(ms, max);
}
