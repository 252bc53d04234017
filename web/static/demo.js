// The demo page (index.html): a channel's two ends side by side, talking
// over tincan's HTTP API from this page's own origin, through the client
// package (@tincan-dev/client, compiled into static/vendor/tincan-client/).
//
// What the tab holds (its ports, their tokens, the last message shown at
// each and what was shown) lives in sessionStorage, so that a reload picks
// up where it was: each end's subscription starts again after the last
// message shown, which acknowledges up to there and delivers what came
// after, once. A port is handed to another tab with a link carrying its id
// and token in the fragment (never sent to a server); the tab that opens it
// transfers the port to itself, and this tab's stream of that port ends
// with "transferred". Either end can send a file: an image shows at the
// other end.
import { isRetryable, newIdempotencyKey, Tincan, TincanError, } from "./vendor/tincan-client/index.js";
const storeKey = "tincan-demo";
const maxLog = 300; // entries kept per end
// The largest image kept in sessionStorage (as a data: URL) for a reload
// to show again; a larger one is shown once.
const maxKeptImage = 96 * 1024;
const tincan = new Tincan({ baseUrl: location.origin });
let state = load();
// Per slot, what does not survive a reload: the subscription's stopper
// and the stream's state.
const live = new Map();
function conn(slot) {
    let c = live.get(slot);
    if (!c)
        live.set(slot, (c = { stop: null, stream: "ended" }));
    return c;
}
function load() {
    try {
        const s = JSON.parse(sessionStorage.getItem(storeKey) ?? "null");
        if (s && Array.isArray(s.ends))
            return s;
    }
    catch {
        // A damaged entry is dropped: the tab starts empty.
    }
    return { ends: [] };
}
function save() {
    try {
        sessionStorage.setItem(storeKey, JSON.stringify(state));
    }
    catch {
        // Full (images): drop the kept images, oldest first, and try again.
        for (const end of state.ends)
            for (const e of end.log)
                delete e.image;
        sessionStorage.setItem(storeKey, JSON.stringify(state));
    }
}
const creds = (end) => ({ id: end.port, token: end.token });
// ---- Actions ----
async function newChannel() {
    setStatus("Creating a channel…");
    let ch;
    try {
        ch = await tincan.createChannel();
    }
    catch (err) {
        setStatus(`Could not create a channel: ${describe(err)}`, codeOf(err));
        return;
    }
    stopAll();
    state = { ends: [newEnd("a", "port1", ch.port1), newEnd("b", "port2", ch.port2)], ...(state.handoff ? { handoff: state.handoff } : {}) };
    save();
    render();
    setStatus(`Channel ${ch.id} created.`);
    for (const end of state.ends)
        listen(end);
}
function newEnd(slot, title, c) {
    return { slot, title, port: c.id, token: c.token, last: "", acked: "", state: "open", log: [] };
}
function forget() {
    stopAll();
    state = { ends: [] };
    save();
    render();
    setStatus("This tab holds no port.");
}
async function send(end, text) {
    try {
        const posted = await tincan.post(creds(end), text);
        addEntry(end, { kind: "sent", id: posted.id, text });
    }
    catch (err) {
        refused(end, "send", err);
    }
}
// sendFile posts a file's bytes as a binary message, under its own type.
async function sendFile(end, file) {
    const type = file.type || "application/octet-stream";
    try {
        const posted = await tincan.post(creds(end), file, { contentType: type });
        addEntry(end, { kind: "sent", id: posted.id, text: `${file.name} (${type}, ${file.size} bytes)` });
    }
    catch (err) {
        refused(end, "send file", err);
    }
}
async function closeChannel(end) {
    try {
        await tincan.close(creds(end));
        addEntry(end, { kind: "info", text: "close sent; the close event follows what was queued" });
    }
    catch (err) {
        refused(end, "close", err);
    }
}
function showHandoff(end, card) {
    const link = `${location.origin}/#port=${encodeURIComponent(end.port)}&token=${encodeURIComponent(end.token)}`;
    const a = role(card, "handoff-link");
    a.href = link;
    a.textContent = link;
    role(card, "handoff-box").hidden = false;
}
// takeOver transfers the port of a hand-off link to this tab: the link's
// token dies, and this tab holds the port with a token only it knows.
//
// The transfer carries key as its Idempotency-Key, and the hand-off stays
// in sessionStorage with it until the answer comes: a transfer whose answer
// is lost is sent again under the same key (by the client, and after a
// reload by this page), and answers the same new token. Under a new key it
// would meet 403 port_transferred, and the port would be held by nobody.
async function takeOver(port, token, key = newIdempotencyKey()) {
    setStatus(`Taking port ${port} over…`);
    state.handoff = { port, token, key };
    save();
    const existing = state.ends.find((e) => e.port === port);
    if (existing)
        stop(existing.slot);
    let taken;
    try {
        taken = await tincan.transfer({ id: port, token }, { idempotencyKey: key });
    }
    catch (err) {
        // Refused for good: nothing to carry on. Still no answer: a reload
        // tries again, under the same key.
        const again = isRetryable(err);
        if (!again)
            delete state.handoff;
        save();
        setStatus(`Could not take the port over: ${describe(err)}${again ? "; reload the page to try again" : ""}`, codeOf(err));
        if (existing)
            listen(existing);
        return;
    }
    delete state.handoff;
    const slot = existing?.slot ?? nextSlot();
    const end = newEnd(slot, "handed-over port", taken);
    if (existing)
        end.log = existing.log;
    state.ends = state.ends.filter((e) => e.slot !== slot).concat(end).sort((x, y) => x.slot.localeCompare(y.slot));
    addEntry(end, { kind: "info", text: "port taken over by a transfer: a new token, the old one is dead" }, false);
    save();
    render();
    setStatus(`Port ${port} is now held by this tab.`);
    listen(end);
}
function nextSlot() {
    for (const s of "abcdefghijklmnopqrstuvwxyz") {
        if (!state.ends.some((e) => e.slot === s))
            return s;
    }
    return `z${state.ends.length}`;
}
// ---- Streams ----
// listen follows end's port with the client's subscribe, from after the
// last message shown, until the channel closes, the port moves away, the
// token is refused, or stop.
function listen(end) {
    stop(end.slot);
    if (end.state !== "open")
        return;
    const ctl = new AbortController();
    conn(end.slot).stop = ctl;
    setStream(end, "connecting");
    void follow(end, ctl.signal).catch((err) => {
        if (current(end) !== end)
            return;
        refused(end, "stream", err);
        setStream(end, "ended");
    });
}
async function follow(end, signal) {
    const events = tincan.subscribe(creds(end), {
        after: end.last,
        signal,
        maxDelayMs: 10_000,
        onAck: (through) => {
            end.acked = through;
            save();
            const dd = cardOf(end)?.querySelector('[data-role="acked"]');
            if (dd)
                dd.textContent = through;
        },
    });
    for await (const ev of events) {
        if (current(end) !== end)
            return; // replaced or forgotten meanwhile
        switch (ev.type) {
            case "open":
                setStream(end, "live");
                break;
            case "reconnecting":
                setStream(end, "connecting");
                break;
            case "message":
                end.last = ev.message.id;
                addEntry(end, received(ev.message));
                break;
            case "messageerror":
                // In place of a message the service could not decode: shown, and
                // acknowledged like a message (it will not decode later either).
                end.last = ev.error.id;
                addEntry(end, { kind: "messageerror", id: ev.error.id, text: `a message that cannot be read: ${ev.error.error}` });
                break;
            case "reset": {
                // The stream goes on after another point than the last message
                // shown: the tab's mark moves there too, or a reload would resume
                // from a point the service reset once already.
                const r = ev.reset;
                if (r.rewound_to !== undefined) {
                    end.last = r.rewound_to;
                    addEntry(end, { kind: "reset", text: `the service lost the messages after ${r.rewound_to || "the first"} ` +
                            `(shown here through ${r.last_event_id}); what comes next may reuse their ids` });
                }
                else {
                    end.last = r.acked_through;
                    addEntry(end, { kind: "reset", text: `messages after ${r.last_event_id} through ${r.acked_through} were acknowledged elsewhere` });
                }
                end.acked = r.acked_through;
                save();
                renderEnd(end);
                break;
            }
            case "close":
                end.state = "closed";
                addEntry(end, { kind: "close", text: ev.close ? `channel closed at ${ev.close.closed_at}` : "channel closed" });
                setStream(end, "ended");
                renderEnd(end);
                return;
            case "transferred":
                end.state = "transferred";
                addEntry(end, { kind: "transferred", text: "the port was transferred away: this tab no longer holds it" });
                setStream(end, "ended");
                renderEnd(end);
                return;
        }
    }
    if (current(end) === end)
        setStream(end, "ended");
}
// received is how a message shows: text, JSON, or for bytes their type
// and size, with the image itself when they are one.
function received(m) {
    const carried = m.ports.length ? ` (carries ${m.ports.length} port${m.ports.length > 1 ? "s" : ""})` : "";
    const entry = { kind: "message", id: m.id, text: "", at: "" };
    if (m.data instanceof ArrayBuffer) {
        const type = m.content_type ?? "application/octet-stream";
        entry.text = `${type}, ${m.data.byteLength} bytes${carried}`;
        if (/^image\/(png|jpeg|gif|webp|avif)$/.test(type))
            entry.image = dataUrl(type, m.data);
    }
    else {
        entry.text = show(m.data) + carried;
    }
    return entry;
}
function dataUrl(type, buf) {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000)
        s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return `data:${type};base64,${btoa(s)}`;
}
function stop(slot) {
    const c = conn(slot);
    c.stop?.abort();
    c.stop = null;
    const end = state.ends.find((e) => e.slot === slot);
    if (end)
        setStream(end, "ended");
}
function stopAll() {
    for (const end of state.ends)
        stop(end.slot);
}
// current is the end this tab now holds in end's slot (end itself unless
// it was replaced or forgotten).
function current(end) {
    return state.ends.find((e) => e.slot === end.slot);
}
// ---- The log ----
function addEntry(end, entry, persist = true) {
    const e = { ...entry, at: new Date().toISOString() };
    end.log.push(e);
    if (end.log.length > maxLog)
        end.log.splice(0, end.log.length - maxLog);
    const list = cardOf(end)?.querySelector('[data-role="log"]');
    if (list) {
        list.prepend(entryElement(end, e));
        while (list.children.length > maxLog)
            list.lastChild?.remove();
    }
    if (e.image && e.image.length > maxKeptImage) {
        // Shown now; too large to keep for a reload.
        delete e.image;
        e.text += " (not kept across reloads)";
    }
    if (persist)
        save();
}
function refused(end, what, err) {
    const code = codeOf(err);
    addEntry(end, { kind: "error", ...(code ? { code } : {}), text: `${what}: ${describe(err)}` });
}
function codeOf(err) {
    return err instanceof TincanError && err.code ? err.code : undefined;
}
function describe(err) {
    if (err instanceof TincanError)
        return `${err.status} ${err.code}: ${err.problem?.detail ?? err.message}`;
    if (err instanceof TypeError)
        return `network error: ${err.message}`;
    return String(err);
}
function show(data) {
    return typeof data === "string" ? data : JSON.stringify(data);
}
// ---- Rendering ----
function role(root, name) {
    const el = root.querySelector(`[data-role="${name}"]`);
    if (!el)
        throw new Error(`the end template has no [data-role="${name}"]`);
    return el;
}
function byId(id) {
    const el = document.getElementById(id);
    if (!el)
        throw new Error(`the page has no #${id}`);
    return el;
}
function render() {
    const root = byId("ends");
    root.replaceChildren(...state.ends.map(endElement));
    root.dataset.count = String(state.ends.length);
    if (!state.ends.length) {
        const p = document.createElement("p");
        p.className = "empty";
        p.dataset.testid = "empty";
        p.textContent = "No channel yet: create one, or open a hand-off link from another tab.";
        root.append(p);
    }
}
function endElement(end) {
    const template = byId("end-template");
    const card = template.content.firstElementChild?.cloneNode(true);
    card.dataset.testid = `end-${end.slot}`;
    card.dataset.slot = end.slot;
    for (const el of card.querySelectorAll("[data-role]"))
        el.dataset.testid = `${el.dataset.role}-${end.slot}`;
    const input = role(card, "input");
    role(card, "form").addEventListener("submit", (e) => {
        e.preventDefault();
        const text = input.value;
        if (!text)
            return;
        input.value = "";
        void send(current(end) ?? end, text);
    });
    const file = role(card, "file");
    file.addEventListener("change", () => {
        const chosen = file.files?.[0];
        file.value = "";
        if (chosen)
            void sendFile(current(end) ?? end, chosen);
    });
    role(card, "close").addEventListener("click", () => void closeChannel(current(end) ?? end));
    role(card, "handoff").addEventListener("click", () => showHandoff(current(end) ?? end, card));
    fillEnd(card, end);
    role(card, "log").replaceChildren(...end.log.slice().reverse().map((entry) => entryElement(end, entry)));
    return card;
}
function fillEnd(card, end) {
    role(card, "title").textContent = end.title;
    role(card, "port").textContent = end.port;
    role(card, "acked").textContent = end.acked || "—";
    const badge = role(card, "state");
    badge.textContent = end.state;
    badge.dataset.state = end.state;
    const usable = end.state === "open";
    for (const name of ["input", "send", "file", "handoff", "close"])
        role(card, name).disabled = !usable;
    role(card, "file-label").classList.toggle("disabled", !usable);
    if (!usable)
        role(card, "handoff-box").hidden = true;
    card.dataset.stream = conn(end.slot).stream;
}
function renderEnd(end) {
    const card = cardOf(end);
    if (card)
        fillEnd(card, end);
}
function setStream(end, s) {
    conn(end.slot).stream = s;
    const card = cardOf(end);
    if (card)
        card.dataset.stream = s;
}
function cardOf(end) {
    if (current(end) !== end)
        return null;
    return document.querySelector(`[data-testid="end-${end.slot}"]`);
}
function entryElement(end, entry) {
    const li = document.createElement("li");
    li.dataset.testid = `entry-${end.slot}`;
    li.dataset.kind = entry.kind;
    if (entry.id)
        li.dataset.id = entry.id;
    li.className = `entry ${entry.kind}`;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = entry.kind;
    const text = document.createElement("span");
    text.className = "text";
    text.dataset.testid = `text-${end.slot}`;
    text.textContent = entry.text;
    li.append(kind, text);
    if (entry.image) {
        const img = document.createElement("img");
        img.dataset.testid = `image-${end.slot}`;
        img.className = "received";
        img.alt = entry.text;
        img.src = entry.image;
        li.append(img);
    }
    if (entry.code) {
        const a = document.createElement("a");
        a.href = `/docs/errors#${encodeURIComponent(entry.code)}`;
        a.textContent = "what is this?";
        li.append(" ", a);
    }
    const meta = document.createElement("span");
    meta.className = "meta mono";
    meta.textContent = `${entry.at.slice(11, 23)}${entry.id ? `  ${entry.id}` : ""}`;
    li.append(meta);
    return li;
}
function setStatus(text, code) {
    const p = byId("status");
    p.replaceChildren(text);
    if (code) {
        const a = document.createElement("a");
        a.href = `/docs/errors#${encodeURIComponent(code)}`;
        a.textContent = "what is this?";
        p.append(" ", a);
    }
}
// ---- Start ----
// handoffFromLocation reads and removes a hand-off link's fragment, so that
// the dead token does not stay in the address bar or the history.
function handoffFromLocation() {
    const params = new URLSearchParams(location.hash.slice(1));
    const port = params.get("port");
    const token = params.get("token");
    if (!port || !token)
        return null;
    history.replaceState(null, "", location.pathname + location.search);
    return { port, token };
}
async function start() {
    byId("new-channel").addEventListener("click", () => void newChannel());
    byId("forget").addEventListener("click", forget);
    window.addEventListener("hashchange", () => {
        const h = handoffFromLocation();
        if (h)
            void takeOver(h.port, h.token);
    });
    render();
    const h = handoffFromLocation();
    // A hand-off whose answer had not come when the page went: carried on
    // under its key.
    const pending = state.handoff;
    for (const end of state.ends) {
        if ((h && end.port === h.port) || (pending && end.port === pending.port))
            continue;
        if (end.state === "open" && end.last)
            addEntry(end, { kind: "info", text: `page reloaded: resuming after ${end.last}` });
        listen(end);
    }
    if (pending)
        await takeOver(pending.port, pending.token, pending.key);
    if (h && !(pending && h.port === pending.port && h.token === pending.token))
        await takeOver(h.port, h.token);
    else if (!pending && state.ends.length)
        setStatus("Resumed where this tab was.");
    document.body.dataset.ready = "true";
}
void start();
