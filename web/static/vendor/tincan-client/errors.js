/**
 * TincanError is a refusal by the service: its HTTP status, the problem
 * document's stable `code`, and the whole document when the answer had one.
 */
export class TincanError extends Error {
    /** status is the HTTP status of the answer. */
    status;
    /** code is the problem's stable code (such as "port_transferred"), or "" without a problem document. */
    code;
    /** problem is the problem document, when the answer carried one. */
    problem;
    /** retryAfter is the answer's Retry-After in seconds, when it had one. */
    retryAfter;
    constructor(what, status, problem, retryAfter) {
        super(`${what}: ${status} ${problem ? `${problem.code}: ${problem.detail}` : "(no problem document)"}`);
        this.name = "TincanError";
        this.status = status;
        this.code = problem?.code ?? "";
        this.problem = problem;
        this.retryAfter = retryAfter;
    }
}
/**
 * isRetryable reports whether a request that failed with err may succeed
 * if sent again unchanged (under the same Idempotency-Key, where it has
 * one): no answer at all (a network error), 502/503/504 (the store did not
 * answer), 429, or a 409 that asks to retry shortly (port_busy: the port is
 * mid-transfer; idempotency_in_flight: an earlier attempt under the key is
 * still being carried out). An abort is never retryable.
 */
export function isRetryable(err) {
    if (err instanceof TincanError) {
        const s = err.status;
        return s === 429 || s === 502 || s === 503 || s === 504 ||
            (s === 409 && (err.code === "port_busy" || err.code === "idempotency_in_flight"));
    }
    return err instanceof TypeError; // what fetch rejects with when no answer came
}
/** isAbort reports whether err is what fetch or a wait throws when its AbortSignal fires. */
export function isAbort(err) {
    return typeof err === "object" && err !== null && "name" in err && (err.name === "AbortError" || err.name === "TimeoutError");
}
/** refusal reads a refused answer's problem document into a TincanError. */
export async function refusal(what, res) {
    let problem;
    if ((res.headers.get("Content-Type") ?? "").includes("json")) {
        try {
            const doc = await res.json();
            if (typeof doc === "object" && doc !== null && "code" in doc)
                problem = doc;
        }
        catch {
            // Not JSON after all: the status alone says what happened.
        }
    }
    else {
        await res.body?.cancel().catch(() => undefined);
    }
    const after = Number.parseInt(res.headers.get("Retry-After") ?? "", 10);
    return new TincanError(what, res.status, problem, Number.isNaN(after) || after < 0 ? undefined : after);
}
