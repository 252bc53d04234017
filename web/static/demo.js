// The demo page (index.html): a channel's two ends side by side, talking
// over tincan's HTTP API from this page's own origin.
//
// What the tab holds (its ports, their tokens, the last message shown at
// each and what was shown) lives in sessionStorage, so that a reload picks
// up where it was: each end's stream is opened again with a fresh ticket
// and last_event_id = the last message shown, which acknowledges up to
// there and delivers what came after, once. A port is handed to another
// tab with a link carrying its id and token in the fragment (never sent to
// a server); the tab that opens it transfers the port to itself, and this
// tab's stream of that port ends with a "transferred" event.
//
// Posts and transfers carry an Idempotency-Key, and are sent again under it
// when their answer is lost (no answer, 503): the service carries each out
// once, and a transfer retried answers the same new token.

const STORE_KEY = 'tincan-demo';
const MAX_LOG = 300; // entries kept per end
const MAX_FAILURES = 6; // stream reopenings in a row before giving up
const MAX_ATTEMPTS = 4; // sends of one post or transfer while its answer is lost or passing
const MAX_PAUSE = 5000; // ms: the longest pause before sending again, whatever Retry-After asks

/** @type {{ends: End[], handoff?: Handoff}} */
let state = load();

/**
 * @typedef {{kind: string, text: string, id?: string, code?: string, at: string}} Entry
 * @typedef {{slot: string, title: string, port: string, token: string,
 *   last: string, acked: string, state: string, log: Entry[]}} End
 * @typedef {{port: string, token: string, key: string}} Handoff a transfer
 *   to this tab whose answer has not come yet
 */

// Per end (by slot), what does not survive a reload: the open stream and
// the acknowledgement in flight.
const live = new Map();

function conn(slot) {
  if (!live.has(slot)) live.set(slot, { es: null, failures: 0, timer: 0, acking: false, ackAgain: false, stream: 'ended' });
  return live.get(slot);
}

function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? 'null');
    if (s && Array.isArray(s.ends)) return s;
  } catch {
    // A damaged entry is dropped: the tab starts empty.
  }
  return { ends: [] };
}

function save() {
  sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
}

// ---- The API ----

class ApiError extends Error {
  constructor(status, problem, retryAfter = null) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status; // 0: no answer came
    this.code = problem?.code ?? '';
    this.retryAfter = retryAfter;
  }
}

async function api(method, path, token, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { detail: `network error: ${err.message}` });
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await res.json() : null;
  if (!res.ok) throw new ApiError(res.status, data, res.headers.get('Retry-After'));
  return data;
}

// newKey answers a fresh Idempotency-Key. crypto.randomUUID exists only in
// secure contexts (https, localhost); getRandomValues everywhere.
function newKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// passing reports whether a refusal may pass by itself, so that the same
// request, under its same key, is worth sending again: no answer, or a 5xx
// (503 unavailable: the store did not answer), both of which leave the
// outcome unknown; 429; or a 409 that asks to retry shortly (port_busy: the
// port is being moved; idempotency_in_flight: an earlier attempt under the
// key is still being carried out).
function passing(err) {
  return err instanceof ApiError && (err.status === 0 || err.status >= 500 || err.status === 429 ||
    (err.status === 409 && (err.code === 'port_busy' || err.code === 'idempotency_in_flight')));
}

// once calls request, one attempt of a request that always carries the
// same Idempotency-Key, again while it fails in passing, at most
// MAX_ATTEMPTS times, after a pause (Retry-After when the answer gives
// one). That is safe because of the key: when an earlier attempt was
// carried out but its answer lost, the service answers it again instead of
// doing it twice.
async function once(request) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !passing(err)) throw err;
      const asked = Number.parseInt(err.retryAfter ?? '', 10);
      const ms = Number.isNaN(asked) || asked < 0 ? 250 * attempt : Math.min(asked * 1000, MAX_PAUSE);
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }
}

// ---- Actions ----

async function newChannel() {
  setStatus('Creating a channel…');
  let ch;
  try {
    ch = await api('POST', '/channels');
  } catch (err) {
    setStatus(`Could not create a channel: ${describe(err)}`, err.code);
    return;
  }
  stopAll();
  state = {
    ends: [
      newEnd('a', 'port1', ch.port1),
      newEnd('b', 'port2', ch.port2),
    ],
    handoff: state.handoff,
  };
  save();
  render();
  setStatus(`Channel ${ch.id} created.`);
  for (const end of state.ends) listen(end);
}

function newEnd(slot, title, creds) {
  return { slot, title, port: creds.id, token: creds.token, last: '', acked: '', state: 'open', log: [] };
}

function forget() {
  stopAll();
  state = { ends: [] };
  save();
  render();
  setStatus('This tab holds no port.');
}

async function send(end, text) {
  const key = newKey(); // the message's, however many times it is sent
  try {
    const posted = await once(() => api('POST', `/ports/${end.port}/messages`, end.token, { data: text },
      { 'Idempotency-Key': key }));
    addEntry(end, { kind: 'sent', id: posted.id, text });
  } catch (err) {
    refused(end, 'send', err);
  }
}

async function closeChannel(end) {
  try {
    await api('POST', `/ports/${end.port}/close`, end.token);
    addEntry(end, { kind: 'info', text: 'close sent; the close event follows what was queued' });
  } catch (err) {
    refused(end, 'close', err);
  }
}

function showHandoff(end, card) {
  const link = `${location.origin}/#port=${encodeURIComponent(end.port)}&token=${encodeURIComponent(end.token)}`;
  const a = card.querySelector('[data-role="handoff-link"]');
  a.href = link;
  a.textContent = link;
  card.querySelector('[data-role="handoff-box"]').hidden = false;
}

// takeOver transfers the port of a hand-off link to this tab: the link's
// token dies, and this tab holds the port with a token only it knows.
//
// The transfer carries key as its Idempotency-Key, and the hand-off stays
// in sessionStorage with it until the answer comes: a transfer whose answer
// is lost (no answer, 503) is sent again under the same key, now or after a
// reload, and answers the same new token. Under a new key it would meet 403
// port_transferred, and the port would be held by nobody.
async function takeOver(port, token, key = newKey()) {
  setStatus(`Taking port ${port} over…`);
  state.handoff = { port, token, key };
  save();
  const existing = state.ends.find((e) => e.port === port);
  if (existing) stop(existing.slot);
  let creds;
  try {
    creds = await once(() => api('POST', `/ports/${encodeURIComponent(port)}/transfer`, token, undefined,
      { 'Idempotency-Key': key }));
  } catch (err) {
    // Refused for good: nothing to carry on. Still no answer: a reload
    // tries again, under the same key.
    const again = passing(err);
    if (!again) delete state.handoff;
    save();
    setStatus(`Could not take the port over: ${describe(err)}${again ? '; reload the page to try again' : ''}`, err.code);
    if (existing) listen(existing);
    return;
  }
  delete state.handoff;
  const slot = existing?.slot ?? nextSlot();
  const end = newEnd(slot, 'handed-over port', creds);
  if (existing) end.log = existing.log;
  state.ends = state.ends.filter((e) => e.slot !== slot).concat(end).sort((x, y) => x.slot.localeCompare(y.slot));
  addEntry(end, { kind: 'info', text: 'port taken over by a transfer: a new token, the old one is dead' }, false);
  save();
  render();
  setStatus(`Port ${port} is now held by this tab.`);
  listen(end);
}

function nextSlot() {
  for (const s of 'abcdefghijklmnopqrstuvwxyz') {
    if (!state.ends.some((e) => e.slot === s)) return s;
  }
  return `z${state.ends.length}`;
}

// ---- Streams ----

// listen opens end's event stream with a fresh ticket, resuming after the
// last message shown.
async function listen(end) {
  const c = conn(end.slot);
  stop(end.slot);
  if (end.state !== 'open') return;
  setStream(end, 'connecting');
  let ticket;
  try {
    ticket = await api('POST', `/ports/${end.port}/tickets`, end.token, {});
  } catch (err) {
    streamLost(end, err);
    return;
  }
  if (current(end) !== end || end.state !== 'open') return; // forgotten meanwhile
  let url = ticket.events_url;
  if (end.last) url += `&last_event_id=${encodeURIComponent(end.last)}`;
  const es = new EventSource(url);
  c.es = es;
  es.addEventListener('open', () => {
    c.failures = 0;
    setStream(end, 'live');
  });
  es.addEventListener('message', (e) => {
    const msg = JSON.parse(e.data);
    end.last = e.lastEventId || msg.id;
    const carried = msg.ports?.length ? ` (carries ${msg.ports.length} port${msg.ports.length > 1 ? 's' : ''})` : '';
    addEntry(end, { kind: 'message', id: msg.id, text: show(msg.data) + carried });
    acknowledge(end);
  });
  // In place of a message the service could not decode: shown, and
  // acknowledged like a message (it will not decode later either).
  es.addEventListener('messageerror', (e) => {
    const ev = JSON.parse(e.data);
    end.last = e.lastEventId || ev.id;
    addEntry(end, { kind: 'messageerror', id: ev.id, text: `a message that cannot be read: ${ev.error}` });
    acknowledge(end);
  });
  es.addEventListener('close', (e) => {
    const { closed_at: at } = JSON.parse(e.data);
    end.state = 'closed';
    addEntry(end, { kind: 'close', text: `channel closed at ${at}` });
    stop(end.slot);
    renderEnd(end);
  });
  es.addEventListener('transferred', () => {
    end.state = 'transferred';
    addEntry(end, { kind: 'transferred', text: 'the port was transferred away: this tab no longer holds it' });
    stop(end.slot);
    renderEnd(end);
  });
  // The stream goes on after another point than the last message shown:
  // the tab's mark moves there too, or a reload would resume from a point
  // the service reset once already.
  es.addEventListener('reset', (e) => {
    const r = JSON.parse(e.data);
    if (r.rewound_to !== undefined) {
      // The service no longer knows the messages after rewound_to (a
      // failover took them back): it may issue their ids again, to other
      // messages, which must not be taken for the ones shown.
      end.last = r.rewound_to;
      addEntry(end, { kind: 'reset', text: `the service lost the messages after ${r.rewound_to || 'the first'} ` +
        `(shown here through ${r.last_event_id}); what comes next may reuse their ids` });
    } else {
      end.last = r.acked_through;
      addEntry(end, { kind: 'reset', text: `messages after ${r.last_event_id} through ${r.acked_through} were acknowledged elsewhere` });
    }
    end.acked = r.acked_through;
    save();
    renderEnd(end);
  });
  es.addEventListener('error', () => {
    if (c.es !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      // Its ticket is used up, so EventSource cannot come back by itself.
      es.close();
      c.es = null;
      reopen(end);
    } else {
      setStream(end, 'connecting');
    }
  });
}

// reopen finds out why end's stream ended, and opens it again unless the
// port is gone.
async function reopen(end) {
  const c = conn(end.slot);
  setStream(end, 'connecting');
  if (++c.failures > MAX_FAILURES) {
    addEntry(end, { kind: 'error', text: 'the stream keeps failing; reload the page to try again' });
    setStream(end, 'ended');
    return;
  }
  let port;
  try {
    port = await api('GET', `/ports/${end.port}`, end.token);
  } catch (err) {
    streamLost(end, err);
    return;
  }
  if (current(end) !== end || end.state !== 'open') return;
  if (port.state === 'closed' && port.queued === 0) {
    // A closed port with nothing left: the stream answers 204.
    end.state = 'closed';
    addEntry(end, { kind: 'close', text: 'channel closed' });
    setStream(end, 'ended');
    renderEnd(end);
    return;
  }
  c.timer = setTimeout(() => listen(end), 250 * 2 ** (c.failures - 1));
}

// streamLost handles a refusal of a ticket or a describe: a port
// transferred away is gone; what may pass (no answer, a 5xx, 409 port_busy,
// 429) is retried, up to MAX_FAILURES in a row; any other refusal (401: the
// token is unknown, the channel perhaps expired) ends the stream.
function streamLost(end, err) {
  if (current(end) !== end) return;
  if (err.code === 'port_transferred') {
    end.state = 'transferred';
    addEntry(end, { kind: 'transferred', text: 'the port was transferred away: this tab no longer holds it' });
    setStream(end, 'ended');
    renderEnd(end);
    return;
  }
  refused(end, 'stream', err);
  const passing = err.status === 0 || err.status >= 500 || err.status === 409 || err.status === 429;
  const c = conn(end.slot);
  if (passing && c.failures < MAX_FAILURES) {
    c.failures++;
    c.timer = setTimeout(() => listen(end), 250 * 2 ** c.failures);
    return;
  }
  setStream(end, 'ended');
}

// acknowledge tells the server that everything through end.last was shown.
// One acknowledgement is in flight at a time; a newer one follows it.
async function acknowledge(end) {
  const c = conn(end.slot);
  if (c.acking) {
    c.ackAgain = true;
    return;
  }
  c.acking = true;
  try {
    do {
      c.ackAgain = false;
      const through = end.last;
      await api('POST', `/ports/${end.port}/ack`, end.token, { through });
      end.acked = through; // in order: one at a time, and end.last only grows
      save();
      const dd = cardOf(end)?.querySelector('[data-role="acked"]');
      if (dd) dd.textContent = end.acked;
    } while (c.ackAgain && end.state === 'open');
  } catch (err) {
    if (end.state === 'open') refused(end, 'acknowledge', err);
  } finally {
    c.acking = false;
  }
}

function stop(slot) {
  const c = conn(slot);
  clearTimeout(c.timer);
  if (c.es) c.es.close();
  c.es = null;
  const end = state.ends.find((e) => e.slot === slot);
  if (end) setStream(end, 'ended');
}

function stopAll() {
  for (const end of state.ends) stop(end.slot);
}

// current is the end this tab now holds in end's slot (end itself unless
// it was replaced or forgotten).
function current(end) {
  return state.ends.find((e) => e.slot === end.slot);
}

// ---- The log ----

function addEntry(end, entry, persist = true) {
  entry.at = new Date().toISOString();
  end.log.push(entry);
  if (end.log.length > MAX_LOG) end.log.splice(0, end.log.length - MAX_LOG);
  if (persist) save();
  const list = cardOf(end)?.querySelector('[data-role="log"]');
  if (list) {
    list.prepend(entryElement(end, entry));
    while (list.children.length > MAX_LOG) list.lastChild.remove();
  }
}

function refused(end, what, err) {
  addEntry(end, { kind: 'error', code: err.code, text: `${what}: ${describe(err)}` });
}

function describe(err) {
  if (err instanceof ApiError) return err.status ? `${err.status} ${err.code}: ${err.message}` : err.message;
  return String(err);
}

function show(data) {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

// ---- Rendering ----

function render() {
  const root = document.getElementById('ends');
  root.replaceChildren(...state.ends.map(endElement));
  root.dataset.count = String(state.ends.length);
  if (!state.ends.length) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.dataset.testid = 'empty';
    p.textContent = 'No channel yet: create one, or open a hand-off link from another tab.';
    root.append(p);
  }
}

function endElement(end) {
  const card = document.getElementById('end-template').content.firstElementChild.cloneNode(true);
  card.dataset.testid = `end-${end.slot}`;
  card.dataset.slot = end.slot;
  for (const el of card.querySelectorAll('[data-role]')) el.dataset.testid = `${el.dataset.role}-${end.slot}`;
  const form = card.querySelector('[data-role="form"]');
  const input = card.querySelector('[data-role="input"]');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value;
    if (!text) return;
    input.value = '';
    send(current(end) ?? end, text);
  });
  card.querySelector('[data-role="close"]').addEventListener('click', () => closeChannel(current(end) ?? end));
  card.querySelector('[data-role="handoff"]').addEventListener('click', () => showHandoff(current(end) ?? end, card));
  fillEnd(card, end);
  const list = card.querySelector('[data-role="log"]');
  list.replaceChildren(...end.log.slice().reverse().map((entry) => entryElement(end, entry)));
  return card;
}

function fillEnd(card, end) {
  card.querySelector('[data-role="title"]').textContent = end.title;
  card.querySelector('[data-role="port"]').textContent = end.port;
  card.querySelector('[data-role="acked"]').textContent = end.acked || '—';
  const badge = card.querySelector('[data-role="state"]');
  badge.textContent = end.state;
  badge.dataset.state = end.state;
  const usable = end.state === 'open';
  for (const role of ['input', 'send', 'handoff', 'close']) card.querySelector(`[data-role="${role}"]`).disabled = !usable;
  if (!usable) card.querySelector('[data-role="handoff-box"]').hidden = true;
  card.dataset.stream = conn(end.slot).stream;
}

function renderEnd(end) {
  const card = cardOf(end);
  if (card) fillEnd(card, end);
}

function setStream(end, s) {
  conn(end.slot).stream = s;
  const card = cardOf(end);
  if (card) card.dataset.stream = s;
}

function cardOf(end) {
  if (current(end) !== end) return null;
  return document.querySelector(`[data-testid="end-${end.slot}"]`);
}

function entryElement(end, entry) {
  const li = document.createElement('li');
  li.dataset.testid = `entry-${end.slot}`;
  li.dataset.kind = entry.kind;
  if (entry.id) li.dataset.id = entry.id;
  li.className = `entry ${entry.kind}`;
  const kind = document.createElement('span');
  kind.className = 'kind';
  kind.textContent = entry.kind;
  const text = document.createElement('span');
  text.className = 'text';
  text.dataset.testid = `text-${end.slot}`;
  text.textContent = entry.text;
  li.append(kind, text);
  if (entry.code) {
    const a = document.createElement('a');
    a.href = `/docs/errors#${encodeURIComponent(entry.code)}`;
    a.textContent = 'what is this?';
    li.append(' ', a);
  }
  const meta = document.createElement('span');
  meta.className = 'meta mono';
  meta.textContent = `${entry.at.slice(11, 23)}${entry.id ? `  ${entry.id}` : ''}`;
  li.append(meta);
  return li;
}

function setStatus(text, code) {
  const p = document.getElementById('status');
  p.replaceChildren(text);
  if (code) {
    const a = document.createElement('a');
    a.href = `/docs/errors#${encodeURIComponent(code)}`;
    a.textContent = 'what is this?';
    p.append(' ', a);
  }
}

// ---- Start ----

// handoffFromLocation reads and removes a hand-off link's fragment, so that
// the dead token does not stay in the address bar or the history.
function handoffFromLocation() {
  const params = new URLSearchParams(location.hash.slice(1));
  const port = params.get('port');
  const token = params.get('token');
  if (!port || !token) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return { port, token };
}

async function start() {
  document.getElementById('new-channel').addEventListener('click', newChannel);
  document.getElementById('forget').addEventListener('click', forget);
  window.addEventListener('hashchange', () => {
    const h = handoffFromLocation();
    if (h) takeOver(h.port, h.token);
  });
  render();
  const h = handoffFromLocation();
  // A hand-off whose answer had not come when the page went: carried on
  // under its key.
  const pending = state.handoff;
  for (const end of state.ends) {
    if ((h && end.port === h.port) || (pending && end.port === pending.port)) continue;
    if (end.state === 'open' && end.last) addEntry(end, { kind: 'info', text: `page reloaded: resuming after ${end.last}` });
    listen(end);
  }
  if (pending) await takeOver(pending.port, pending.token, pending.key);
  if (h && !(pending && h.port === pending.port && h.token === pending.token)) await takeOver(h.port, h.token);
  else if (!pending && state.ends.length) setStatus('Resumed where this tab was.');
  document.body.dataset.ready = 'true';
}

start();
