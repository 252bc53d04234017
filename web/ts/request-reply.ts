// The request/reply pattern of the service-worker docs, over tincan.
//
// In a browser, a page asks its service worker something by creating a
// MessageChannel, sending one end along with the request
// (controller.postMessage(message, [channel.port2])) and waiting on the other
// end for the answer; the worker replies on the port it received. Here the
// "worker" is the right half of this page, holding one port of a tincan
// channel; the client half posts to the other port with a post-scoped token
// minted for it, which can send but not read, acknowledge, close or transfer
// that port (the service worker's clients can message it, nothing more).
// Each request makes a fresh tincan channel and moves one of its ports inside
// the request (the transfer list); the worker gets that port with a fresh
// token in the message's ports, posts its answer there, and the client
// resolves (or, on {"error": ...}, rejects) the promise that sendMessage
// returned.
//
// The worker is a tiny calculator: a request is text such as "6*7", the
// answer {"result": 42}, or {"error": "..."} for what it cannot compute.

import { Tincan, type Message, type PortCredentials } from "./vendor/tincan-client/index.js";

// The API is the origin that served this page.
const tincan = new Tincan({ baseUrl: location.origin });

// A browser opens at most 6 HTTP/1.1 connections to one origin, and every
// request waiting for its answer holds one (its reply port's event stream),
// as does the worker's stream: more requests than this wait for a turn, so
// that posts and answers always find a free connection.
const maxWaiting = 3;

function byTestId<T extends HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`the page has no [data-testid="${id}"]`);
  return el;
}

const workerStatus = byTestId<HTMLElement>("worker-status");
const workerLog = byTestId<HTMLOListElement>("worker-log");
const workerCount = byTestId<HTMLElement>("worker-handled");
const clientLog = byTestId<HTMLOListElement>("client-log");
const requests = byTestId<HTMLOListElement>("requests");
const form = byTestId<HTMLFormElement>("request-form");
const input = byTestId<HTMLInputElement>("request-input");
const sendButton = byTestId<HTMLButtonElement>("request-send");

function log(list: HTMLOListElement, text: string): void {
  const li = document.createElement("li");
  const time = document.createElement("time");
  time.textContent = new Date().toISOString().slice(11, 23);
  li.append(time, " ", text);
  list.append(li);
  li.scrollIntoView({ block: "nearest" });
}

const short = (id: string) => `…${id.slice(-6)}`;

// ---- the worker side ----------------------------------------------------

/** What the worker answers: the result, or an error the client rejects with. */
type Answer = { result: number } | { error: string };

const expression = /^\s*(-?\d+(?:\.\d+)?)\s*([-+*/])\s*(-?\d+(?:\.\d+)?)\s*$/;

function compute(request: unknown): Answer {
  if (typeof request !== "string") return { error: "a request is text such as 6*7" };
  const m = expression.exec(request);
  if (!m) return { error: `cannot read "${request}": write a number, + - * or /, and a number` };
  const [a, b] = [Number(m[1]), Number(m[3])];
  switch (m[2]) {
    case "+":
      return { result: a + b };
    case "-":
      return { result: a - b };
    case "*":
      return { result: a * b };
    default:
      return b === 0 ? { error: "division by zero" } : { result: a / b };
  }
}

let handled = 0;

async function answer(worker: PortCredentials, msg: Message): Promise<void> {
  const reply = msg.ports[0];
  if (!reply) {
    log(workerLog, `got ${JSON.stringify(msg.data)} without a reply port: nobody to answer`);
  } else {
    log(workerLog, `got ${JSON.stringify(msg.data)} carrying port ${short(reply.id)} (a fresh token for it)`);
    const ans = compute(msg.data);
    try {
      // The answer's key is made from the request's id, so that a request
      // delivered again (the stream dropped before its acknowledgement)
      // is answered under the same key, and its answer not stored twice.
      // The reply port is the request's own, so the key is too.
      await tincan.post(reply, ans, { idempotencyKey: `answer-${msg.id}` });
      log(workerLog, `answered ${JSON.stringify(ans)} on port ${short(reply.id)}`);
    } catch (err) {
      // Its client closed the reply channel first (or the answer could
      // not go): nobody waits for it, and the worker goes on listening.
      log(workerLog, `could not answer on port ${short(reply.id)}: ${String(err)}`);
    }
  }
  // Handled: the request may go. subscribe acknowledges it too, once the
  // worker's loop moves on; this one is said here so that the count below
  // never runs ahead of the acknowledgement. One that fails is made good
  // by the next, or by the stream's resumption.
  try {
    await tincan.ack(worker, msg.id);
  } catch (err) {
    log(workerLog, `acknowledging ${short(msg.id)}: ${String(err)}`);
  }
  workerCount.textContent = String(++handled);
}

// ---- the client side ----------------------------------------------------

let free = maxWaiting;
const turns: Array<() => void> = [];

async function turn(): Promise<void> {
  if (free > 0) {
    free--;
    return;
  }
  await new Promise<void>((resolve) => turns.push(resolve));
}

function done(): void {
  const next = turns.shift();
  if (next) next();
  else free++;
}

/**
 * sendMessage sends message to the worker with a fresh reply port and
 * settles with the worker's answer: it resolves with the answer's data, or
 * rejects with its error, as the service-worker docs' sendMessage does.
 */
function sendMessage(controller: PortCredentials, message: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const run = async () => {
      await turn();
      // new MessageChannel(): port1 stays here, port2 goes to the worker.
      const channel = await tincan.createChannel();
      log(clientLog, `made reply channel: keeps ${short(channel.port1.id)}, sends ${short(channel.port2.id)}`);
      // Followed from now until the answer is in (the answer waits in
      // the reply port's queue, whenever it comes).
      const stop = new AbortController();
      const answer = (async () => {
        for await (const ev of tincan.subscribe(channel.port1, { signal: stop.signal })) {
          if (ev.type === "message") return ev.message;
          if (ev.type === "close" || ev.type === "transferred") throw new Error(`the reply channel ended (${ev.type}) without an answer`);
        }
        throw new Error("stopped");
      })();
      // Awaited below, once the request went; a failure meanwhile is not
      // an unhandled one.
      answer.catch(() => undefined);
      try {
        // controller.postMessage(message, [channel.port2]), under a key of
        // its own that the client sends again if the answer is lost: under
        // a new key, the request would be queued twice, or refused because
        // port2 already moved with the first.
        await tincan.post(controller, message, { transfer: [channel.port2] });
        log(clientLog, `sent ${JSON.stringify(message)} with port ${short(channel.port2.id)} in its transfer list`);
      } catch (err) {
        // The request never went: no answer will come on the reply
        // channel, so it goes now, and nothing waits on its stream.
        stop.abort();
        void tincan.close(channel.port1)
          .then(() => log(clientLog, `closed reply channel of ${short(channel.port1.id)}: the request was refused`))
          .catch((closeErr: unknown) => log(clientLog, `closing ${short(channel.port1.id)}: ${String(closeErr)}`));
        throw err;
      }
      let msg: Message;
      try {
        msg = await answer;
      } finally {
        stop.abort();
      }
      const data = msg.data as { error?: unknown } | null;
      // As the docs' `if (event.data.error)` (and the Go example's
      // Send): an error member rejects only when it is truthy.
      if (data !== null && typeof data === "object" && data.error) {
        reject(data.error);
      } else {
        resolve(data);
      }
      // Tidy up after settling: the answer is handled, the channel done with.
      void tincan.ack(channel.port1, msg.id)
        .then(() => tincan.close(channel.port1))
        .then(() => log(clientLog, `closed reply channel of ${short(channel.port1.id)}`))
        .catch((err: unknown) => log(clientLog, `tidying up ${short(channel.port1.id)}: ${String(err)}`));
    };
    run()
      .catch(reject)
      .finally(done);
  });
}

function show(message: string, outcome: Promise<unknown>): void {
  const li = document.createElement("li");
  li.dataset.testid = "request";
  li.dataset.state = "pending";
  const expr = document.createElement("code");
  expr.dataset.testid = "request-text";
  expr.textContent = message;
  const result = document.createElement("span");
  result.dataset.testid = "request-outcome";
  result.textContent = "waiting…";
  li.append(expr, " → ", result);
  requests.append(li);
  outcome.then(
    (data) => {
      li.dataset.state = "resolved";
      result.textContent = JSON.stringify(data);
    },
    (err: unknown) => {
      li.dataset.state = "rejected";
      result.textContent = `rejected: ${err instanceof Error ? err.message : String(err)}`;
    },
  );
}

// ---- wiring -------------------------------------------------------------

declare global {
  interface Window {
    /** The page's sendMessage, for trying it from the console (and the test). */
    sendMessage?: (message: unknown) => Promise<unknown>;
  }
}

/** postToken mints a post-scoped token for port and answers the port with it. */
async function postToken(port: PortCredentials, label: string): Promise<PortCredentials> {
  const minted = await tincan.mintToken(port, "post", label);
  return { id: port.id, token: minted.token };
}

// serve follows the worker's port until its channel closes or the stream
// cannot go on, answering each request in turn.
async function serve(worker: PortCredentials): Promise<void> {
  try {
    for await (const ev of tincan.subscribe(worker)) {
      switch (ev.type) {
        case "open":
          workerStatus.textContent = "listening";
          break;
        case "reconnecting":
          workerStatus.textContent = "reconnecting";
          break;
        case "message":
          await answer(worker, ev.message);
          break;
        case "messageerror":
          // A request the service cannot decode: nobody can answer it,
          // and it is acknowledged so that it does not stay queued.
          log(workerLog, `got a request that cannot be read (${ev.error.error}): acknowledged unanswered`);
          try {
            await tincan.ack(worker, ev.error.id);
          } catch (err) {
            log(workerLog, `acknowledging ${short(ev.error.id)}: ${String(err)}`);
          }
          workerCount.textContent = String(++handled);
          break;
        case "close":
        case "transferred":
          workerStatus.textContent = ev.type === "close" ? "closed" : "transferred";
          return;
      }
    }
  } catch (err) {
    workerStatus.textContent = "stopped";
    log(workerLog, `stream stopped: ${String(err)}`);
  }
}

async function start(): Promise<void> {
  // The worker's channel: port1 is how clients reach it (the page's
  // navigator.serviceWorker.controller), port2 is the worker's own.
  const service = await tincan.createChannel();
  const worker = service.port2;
  // Clients get no more than they need: a post-scoped token for port1,
  // which sends (and describes) but cannot read, acknowledge, close or
  // transfer it. The full tokens stay with the worker.
  const controller = await postToken(service.port1, "request-reply clients");
  log(workerLog, `holds port ${short(worker.id)}; clients post to ${short(controller.id)} with a post-scoped token`);

  void serve(worker);
  const send = (message: unknown) => sendMessage(controller, message);
  window.sendMessage = send;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    show(text, send(text));
    input.select();
  });
  sendButton.disabled = false;
}

start().catch((err: unknown) => {
  workerStatus.textContent = "failed";
  log(workerLog, `could not start: ${String(err)}`);
});
