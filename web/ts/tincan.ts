// A small typed client for tincan: openapi-fetch over the types that
// openapi-typescript generates from api/openapi.yaml (schema.d.ts), and the
// few steps a page takes: create a channel, post (with a transfer list),
// transfer a port, get a ticket, long-poll, acknowledge, close, and follow a
// port's event stream.
//
// Every helper takes the port it acts on as its credentials ({id, token}),
// sends the token as a Bearer header, and throws a TincanError carrying the
// problem document when the service refuses. Posts and transfers carry an
// Idempotency-Key and are sent again under it when their answer is lost (no
// answer, 503): the service carries each out once.

// openapi-fetch's own ESM build, vendored into static/ (see tsconfig.json's
// rootDirs): the browser loads it from next to the compiled tincan.js.
import createClient from "./vendor/openapi-fetch/index.mjs";
import type { Client } from "./vendor/openapi-fetch/index.mjs";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
export type Channel = Schemas["Channel"];
export type PortCredentials = Schemas["PortCredentials"];
export type Message = Schemas["Message"];
export type MessageList = Schemas["MessageList"];
export type Ticket = Schemas["Ticket"];
export type Port = Schemas["Port"];
export type Problem = Schemas["Problem"];
export type CloseEvent = Schemas["CloseEvent"];
export type TransferredEvent = Schemas["TransferredEvent"];
export type ResetEvent = Schemas["ResetEvent"];
export type MessageErrorEvent = Schemas["MessageErrorEvent"];

/** The generated client: every path and method of api/openapi.yaml, typed. */
export type Tincan = Client<paths>;

/** TincanError is a refusal by the service, with its problem document. */
export class TincanError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(what: string, status: number, problem?: Problem) {
    super(`${what}: ${status} ${problem ? `${problem.code}: ${problem.detail}` : "(no problem document)"}`);
    this.name = "TincanError";
    this.status = status;
    this.problem = problem;
  }
}

/** connect returns a client for the tincan at baseUrl (such as "http://localhost:8080"). */
export function connect(baseUrl: string): Tincan {
  return createClient<paths>({ baseUrl });
}

function bearer(port: PortCredentials) {
  return { Authorization: `Bearer ${port.token}` };
}

// refused turns openapi-fetch's error branch into a thrown TincanError.
function refused(what: string, response: Response, error: unknown): never {
  const problem = typeof error === "object" && error !== null && "code" in error ? (error as Problem) : undefined;
  throw new TincanError(what, response.status, problem);
}

/**
 * newIdempotencyKey answers a fresh random Idempotency-Key: make one per
 * request, and send it again unchanged with every retry of that request.
 */
export function newIdempotencyKey(): string {
  // randomUUID exists only in secure contexts (https, localhost): a page
  // served over plain http elsewhere has getRandomValues alone.
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** How many times a post or a transfer is sent in all while its answer is lost or passing. */
const maxAttempts = 4;
/** The longest pause before sending again, whatever Retry-After asks, in ms. */
const maxPauseMs = 5_000;

// passing reports whether a refusal may pass by itself, so that the same
// request, under its same key, is worth sending again: a 5xx (503
// unavailable: the store did not answer, and the request may or may not
// have been carried out), 429, or a 409 that asks to retry shortly
// (port_busy: the port is being moved; idempotency_in_flight: an earlier
// attempt under the key is still being carried out).
function passing(response: Response, error: unknown): boolean {
  const s = response.status;
  if (s >= 500 || s === 429) return true;
  const code = typeof error === "object" && error !== null && "code" in error ? (error as Problem).code : "";
  return s === 409 && (code === "port_busy" || code === "idempotency_in_flight");
}

// pause waits before attempt+1: what the response's Retry-After asks (up
// to maxPauseMs), or a little longer at each attempt.
function pause(attempt: number, response?: Response): Promise<void> {
  const asked = Number.parseInt(response?.headers.get("Retry-After") ?? "", 10);
  const ms = Number.isNaN(asked) || asked < 0 ? 250 * attempt : Math.min(asked * 1000, maxPauseMs);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// once sends a request (send makes one attempt, always under the same
// Idempotency-Key) again while its answer is lost (fetch rejects) or
// passing, at most maxAttempts times. That is safe because of the key:
// when an earlier attempt was carried out but its answer lost, the
// service answers it again (Idempotent-Replayed: true) instead of doing
// it twice. It answers the last attempt's result, a refusal included, and
// throws the last attempt's error when no answer came at all.
async function once<R extends { response: Response; error?: unknown }>(send: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    let r: R;
    try {
      r = await send();
    } catch (err) {
      if (attempt >= maxAttempts) throw err;
      await pause(attempt);
      continue;
    }
    if (attempt >= maxAttempts || !passing(r.response, r.error)) return r;
    await pause(attempt, r.response);
  }
}

/** createChannel makes a channel (new MessageChannel()) and answers both ports' credentials. */
export async function createChannel(api: Tincan): Promise<Channel> {
  const { data, error, response } = await api.POST("/channels");
  if (data === undefined) refused("create channel", response, error);
  return data;
}

/**
 * post sends data through port to its peer (port.postMessage(data, transfer)).
 * Each port in transfer moves to the receiver with the message: its token
 * here dies, and the receiver gets a fresh one. Answers the message's event id.
 *
 * The post carries key as its Idempotency-Key (a fresh one unless the
 * caller gives its own, to post the same message again later under the
 * same key), and is sent again under it when its answer is lost: the
 * message is stored once all the same.
 */
export async function post(
  api: Tincan,
  port: PortCredentials,
  data: unknown,
  transfer: PortCredentials[] = [],
  key: string = newIdempotencyKey(),
): Promise<string> {
  const body = { data, transfer: transfer.map((p) => ({ port: p.id, token: p.token })) };
  const { data: created, error, response } = await once(() =>
    api.POST("/ports/{id}/messages", {
      params: { path: { id: port.id }, header: { "Idempotency-Key": key } },
      // Said outright, not left to openapi-fetch's default: the service
      // reads a post's body by its Content-Type, and refuses one without.
      headers: { ...bearer(port), "Content-Type": "application/json" },
      body,
    }),
  );
  if (created === undefined) refused(`post through ${port.id}`, response, error);
  return created.id;
}

/**
 * transfer moves port to the caller: the token it was given by dies, and
 * the answer carries the port's new one, which only the caller knows.
 *
 * A transfer must carry an Idempotency-Key: key, a fresh one unless the
 * caller gives its own (to carry the transfer on later, after a reload,
 * say: keep the key with the old token until the answer comes). It is
 * sent again under that key when its answer is lost, and a retry of a
 * transfer that happened answers the same new token; without the key it
 * would meet 403 port_transferred, and the port would be held by nobody.
 */
export async function transfer(api: Tincan, port: PortCredentials, key: string = newIdempotencyKey()): Promise<PortCredentials> {
  const { data, error, response } = await once(() =>
    api.POST("/ports/{id}/transfer", {
      params: { path: { id: port.id }, header: { "Idempotency-Key": key } },
      headers: bearer(port),
    }),
  );
  if (data === undefined) refused(`transfer ${port.id}`, response, error);
  return data;
}

/**
 * ticket gets a single-use ticket that opens port's event stream without
 * putting its token in a URL; more adds other ports to the same stream.
 */
export async function ticket(api: Tincan, port: PortCredentials, more: PortCredentials[] = []): Promise<Ticket> {
  const { data, error, response } = await api.POST("/ports/{id}/tickets", {
    params: { path: { id: port.id } },
    headers: bearer(port),
    body: { ports: more.map((p) => ({ port: p.id, token: p.token })) },
  });
  if (data === undefined) refused(`ticket for ${port.id}`, response, error);
  return data;
}

/**
 * poll reads the messages queued at port after the id after (all
 * unacknowledged ones when it is empty), waiting up to wait seconds for one
 * to arrive. It never acknowledges: call ack with the answer's next, and
 * pass next as the following poll's after. An answer whose reset carries
 * rewound_to says the service no longer knows the messages after that id
 * (a failover took them back) and may issue their ids again, to other
 * messages: a caller that drops messages whose id it has seen must forget
 * the ids after rewound_to (next is rewound_to then).
 */
export async function poll(api: Tincan, port: PortCredentials, after = "", wait = 30): Promise<MessageList> {
  const { data, error, response } = await api.GET("/ports/{id}/messages", {
    params: { path: { id: port.id }, query: after ? { after, wait } : { wait } },
    headers: bearer(port),
  });
  if (data === undefined) refused(`poll ${port.id}`, response, error);
  return data;
}

/** ack deletes every message at port up to and including the event id through. */
export async function ack(api: Tincan, port: PortCredentials, through: string): Promise<void> {
  const { error, response } = await api.POST("/ports/{id}/ack", {
    params: { path: { id: port.id } },
    headers: bearer(port),
    body: { through },
  });
  if (!response.ok) refused(`ack ${port.id}`, response, error);
}

/** describe answers what port's holder may know of it: its state, its queue. */
export async function describe(api: Tincan, port: PortCredentials): Promise<Port> {
  const { data, error, response } = await api.GET("/ports/{id}", {
    params: { path: { id: port.id } },
    headers: bearer(port),
  });
  if (data === undefined) refused(`describe ${port.id}`, response, error);
  return data;
}

/** close closes port's channel for both ends (port.close()). */
export async function close(api: Tincan, port: PortCredentials): Promise<void> {
  const { error, response } = await api.POST("/ports/{id}/close", {
    params: { path: { id: port.id } },
    headers: bearer(port),
  });
  if (!response.ok) refused(`close ${port.id}`, response, error);
}

/** What subscribe calls as port's stream goes. */
export interface Listeners {
  /** open: the stream is open (again). */
  open?(): void;
  /**
   * message handles one delivered message. Messages are handed over one at
   * a time, in order: the next waits until the promise this returns settles.
   */
  message(msg: Message): void | Promise<void>;
  /**
   * messageerror: in place of a queued message the service could not decode.
   * It is handed over in order like a message and counts as handled once
   * this returns: resuming goes on after it, which acknowledges it away.
   */
  messageerror?(ev: MessageErrorEvent): void | Promise<void>;
  /** close: the channel closed and every message before it was delivered. */
  close?(ev: CloseEvent): void;
  /** transferred: the port moved to another holder; this token is dead. */
  transferred?(ev: TransferredEvent): void;
  /**
   * reset: the stream goes on after another point than the last message
   * handled here. Without rewound_to, the messages after it through
   * acked_through were acknowledged elsewhere. With rewound_to, the
   * service no longer knows the messages after rewound_to (a failover took
   * them back) and may issue their ids again, to other messages: a
   * listener that drops messages whose id it has seen must forget the ids
   * after rewound_to. Either way subscribe resumes from there. It is
   * handed over in order like a message.
   */
  reset?(ev: ResetEvent): void | Promise<void>;
  /**
   * error: a listener above threw or rejected (the stream goes on, and
   * that message counts as handled), or the stream could not be
   * (re)opened and subscribe gave up.
   */
  error?(err: unknown): void;
}

/** A stream being followed. */
export interface Subscription {
  /** stop closes the stream for good. */
  stop(): void;
}

/** How often subscribe asks for a new ticket in a row before it gives up. */
const maxReopens = 5;

/**
 * subscribe follows port's event stream with an EventSource opened by a
 * ticket (never the token in a URL). A ticket works once, so when the
 * EventSource gives up (a dropped connection comes back as 401 on the used
 * ticket), subscribe asks for a new ticket and resumes after the last message
 * its listener finished with: last_event_id acknowledges up to there, so a
 * message is acknowledged only once it was handled, and none is lost.
 * An EventSource also gives up on a closed port with nothing left to send
 * (204): the port's description tells the two apart, and the latter ends
 * the subscription with close.
 */
export function subscribe(api: Tincan, baseUrl: string, port: PortCredentials, on: Listeners): Subscription {
  let source: EventSource | undefined;
  let stopped = false; // by stop(): nothing more is handed over
  let ended = false; // by the stream's close or transferred event
  let handled = ""; // id of the last message whose listener settled
  let failures = 0;
  // The listener's work, in order; it never rejects.
  let chain: Promise<void> = Promise.resolve();

  const stop = () => {
    stopped = true;
    source?.close();
  };

  const reopen = () => {
    source?.close();
    source = undefined;
    if (stopped || ended) return;
    if (++failures > maxReopens) {
      ended = true;
      on.error?.(new Error(`stream of ${port.id}: gave up after ${maxReopens} attempts`));
      return;
    }
    setTimeout(open, 250 * failures);
  };

  // gaveUp follows an EventSource that gave up, which does not say why: a
  // used ticket (401: reopen) or a closed port with nothing left (204).
  const gaveUp = async () => {
    source?.close();
    source = undefined;
    if (stopped || ended) return;
    let d: Port;
    try {
      d = await describe(api, port);
    } catch (err) {
      if (err instanceof TincanError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        ended = true; // transferred or unknown: a new ticket will not help
        on.error?.(err);
      } else {
        reopen();
      }
      return;
    }
    if (stopped || ended) return;
    if (d.state !== "closed" || d.queued > 0) {
      // Messages still queued, those handled here included, go on the
      // next stream, which acknowledges through the last one handled.
      reopen();
      return;
    }
    ended = true;
    const ev: CloseEvent = { port: port.id, closed_at: d.closed_at ?? "" };
    chain = chain.then(() => on.close?.(ev)).catch((err: unknown) => on.error?.(err));
  };

  const open = async () => {
    // Resume after the last message handled, once every message already
    // delivered is: the new stream starts after it, so none comes twice.
    await chain;
    if (stopped) return;
    let t: Ticket;
    try {
      t = await ticket(api, port);
    } catch (err) {
      if (err instanceof TincanError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        ended = true; // closed, transferred or unknown: a new ticket will not help
        on.error?.(err);
      } else {
        reopen();
      }
      return;
    }
    if (stopped) return;
    const url = new URL(t.events_url, baseUrl);
    if (handled) url.searchParams.set("last_event_id", handled);
    const es = new EventSource(url);
    source = es;
    es.onopen = () => {
      failures = 0;
      on.open?.();
    };
    es.addEventListener("message", (e) => {
      const msg = JSON.parse(e.data) as Message;
      chain = chain
        .then(() => (stopped ? undefined : on.message(msg)))
        .catch((err: unknown) => on.error?.(err))
        .finally(() => {
          handled = msg.id;
        });
    });
    es.addEventListener("messageerror", (e) => {
      const ev = JSON.parse((e as MessageEvent<string>).data) as MessageErrorEvent;
      chain = chain
        .then(() => (stopped ? undefined : on.messageerror?.(ev)))
        .catch((err: unknown) => on.error?.(err))
        .finally(() => {
          handled = ev.id;
        });
    });
    // The stream's last event: no reopening, but the messages before it
    // are still handed over first.
    const last = <T>(type: string, listener: ((ev: T) => void) | undefined) => {
      es.addEventListener(type, (e) => {
        ended = true;
        es.close();
        const ev = JSON.parse((e as MessageEvent<string>).data) as T;
        chain = chain.then(() => listener?.(ev)).catch((err: unknown) => on.error?.(err));
      });
    };
    last<CloseEvent>("close", on.close);
    last<TransferredEvent>("transferred", on.transferred);
    es.addEventListener("reset", (e) => {
      const ev = JSON.parse((e as MessageEvent<string>).data) as ResetEvent;
      chain = chain
        .then(() => {
          // The stream now goes on after rewound_to (or acked_through), and
          // so must a reopened one: from the last message handled, it would
          // meet the same reset again or, once the lost ids are issued
          // again, skip (and acknowledge) the messages that carry them.
          handled = ev.rewound_to ?? ev.acked_through;
          return stopped ? undefined : on.reset?.(ev);
        })
        .catch((err: unknown) => on.error?.(err));
    });
    es.onerror = () => {
      // While the EventSource reconnects by itself its state is
      // CONNECTING; CLOSED means it gave up (gaveUp finds out why).
      if (es.readyState === EventSource.CLOSED && source === es) void gaveUp();
    };
  };

  void open();
  return { stop };
}
