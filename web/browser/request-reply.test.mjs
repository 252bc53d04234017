// Browser test of the request/reply page (web/static/request-reply.html),
// run by web/browser_test.go against a real tincan: TINCAN_URL is its base
// URL, CHROMIUM the browser to drive, ARTIFACTS where the screenshot goes.
//
// Several requests go out at once, from the page's form and from its
// sendMessage; each must settle with its own answer, carried back on its own
// reply port, and the requests the worker answers with {"error": ...} must
// reject. Exits 0 on success; on failure says why on stderr and exits 1.
// The browser is always closed, and the whole run is bounded.
import { check, run, screenshot, settings } from "./support.mjs";

const { base, artifacts, chromium } = settings("request-reply.test.mjs");
// On Redis, web/browser_test.go's corrupter: it queues a message the
// service cannot decode (unset on the embedded store, which cannot hold one).
const corruptUrl = process.env.CORRUPT_URL;
const limitMs = 90_000;
const stepMs = 20_000;

// The requests, and what each must come to. The worker computes "a op b".
const cases = [
  { text: "6*7", state: "resolved", outcome: '{"result":42}' },
  { text: "1.5+2.25", state: "resolved", outcome: '{"result":3.75}' },
  { text: "10-30", state: "resolved", outcome: '{"result":-20}' },
  { text: "1/0", state: "rejected", outcome: "rejected: division by zero" },
  { text: "9/4", state: "resolved", outcome: '{"result":2.25}' },
  { text: "what is it", state: "rejected", outcome: /^rejected: cannot read "what is it"/ },
];

run("request-reply.test.mjs", limitMs, chromium, async (launch) => {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(stepMs);
  const problems = [];
  // Refusals the test provokes on purpose, as "METHOD path status".
  const expected = new Set();
  page.on("pageerror", (err) => problems.push(`uncaught in the page: ${err.message}`));
  page.on("console", (msg) => {
    // Chromium reports every refused fetch on the console, with its URL.
    const refusedOnPurpose = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    const at = msg.location().url ? new URL(msg.location().url).pathname : "";
    if (refusedOnPurpose && [...expected].some((e) => e.endsWith(` ${at} ${refusedOnPurpose[1]}`))) return;
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("response", (res) => {
    const what = `${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`;
    if (res.status() >= 400 && !expected.has(what)) problems.push(`${res.request().method()} ${res.url()}: ${res.status()}`);
  });

  // The clients' token for the worker's port: minted with scope post, and
  // the only credential any request is posted with.
  const minted = [];
  const posts = [];
  // The channels the page made, the worker's own first.
  const channels = [];
  page.on("response", async (res) => {
    if (res.request().method() === "POST" && new URL(res.url()).pathname === "/channels" && res.status() === 201) {
      channels.push(await res.json());
    }
  });
  page.on("response", async (res) => {
    if (res.request().method() === "POST" && /\/ports\/[^/]+\/tokens$/.test(new URL(res.url()).pathname) && res.status() === 201) {
      minted.push(await res.json());
    }
  });
  page.on("request", async (req) => {
    const m = /^\/ports\/([^/]+)\/messages$/.exec(new URL(req.url()).pathname);
    if (req.method() === "POST" && m) posts.push({ port: m[1], authorization: (await req.allHeaders())["authorization"] });
  });

  const res = await page.goto(new URL("/request-reply.html", base).href);
  check(res?.status() === 200, `GET /request-reply.html answered ${res?.status()}`);
  const status = page.getByTestId("worker-status");
  await status.filter({ hasText: /^listening$/ }).waitFor();

  // Every request at once, from the form: none waits for another's answer.
  const input = page.getByTestId("request-input");
  const send = page.getByTestId("request-send");
  await send.waitFor({ state: "visible" });
  for (const c of cases) {
    await input.fill(c.text);
    await send.click();
  }
  const rows = page.getByTestId("request");
  await page.waitForFunction(
    (n) => {
      const lis = document.querySelectorAll('[data-testid="request"]');
      return lis.length === n && [...lis].every((li) => li.getAttribute("data-state") !== "pending");
    },
    cases.length,
  );
  for (const [i, c] of cases.entries()) {
    const row = rows.nth(i);
    const text = await row.getByTestId("request-text").textContent();
    const state = await row.getAttribute("data-state");
    const outcome = await row.getByTestId("request-outcome").textContent();
    check(text === c.text, `request ${i} shows "${text}", sent "${c.text}"`);
    check(state === c.state, `request "${c.text}" ${state}, want ${c.state} (outcome: ${outcome})`);
    const same = c.outcome instanceof RegExp ? c.outcome.test(outcome ?? "") : outcome === c.outcome;
    check(same, `request "${c.text}" came to ${outcome}, want ${c.outcome}`);
  }

  // The promise itself, as the docs' sendMessage gives it: resolves with
  // the answer's data, rejects with its error.
  const settled = await page.evaluate(async () => {
    const outcome = (p) => p.then((v) => ({ resolved: v }), (e) => ({ rejected: e }));
    return Promise.all([outcome(window.sendMessage("2*21")), outcome(window.sendMessage("7/0"))]);
  });
  check(
    JSON.stringify(settled) === JSON.stringify([{ resolved: { result: 42 } }, { rejected: "division by zero" }]),
    `sendMessage settled as ${JSON.stringify(settled)}`,
  );

  // Each request carried its own reply port, and the worker handled
  // (answered and acknowledged) every one.
  const total = cases.length + 2;
  await page.getByTestId("worker-handled").filter({ hasText: new RegExp(`^${total}$`) }).waitFor();
  const carried = await page.getByTestId("worker-log").locator("li").filter({ hasText: "carrying port" }).allTextContents();
  const ports = new Set(carried.map((line) => /carrying port (\S+)/.exec(line)?.[1]));
  check(carried.length === total, `the worker logged ${carried.length} requests with a reply port, want ${total}`);
  check(ports.size === total, `the ${total} requests came with ${ports.size} distinct reply ports`);
  // Every reply channel is acknowledged and closed once its answer is in.
  await page.waitForFunction(
    (n) =>
      [...document.querySelectorAll('[data-testid="client-log"] li')].filter((li) =>
        li.textContent?.includes("closed reply channel"),
      ).length === n,
    total,
  );

  // Clients posted every request with the post-scoped token, never with
  // the port's own.
  check(minted.length === 1 && minted[0].scope === "post", `the page minted ${JSON.stringify(minted.map((t) => t.scope))}, want one post token`);
  const front = posts.filter((p) => p.authorization === `Bearer ${minted[0].token}`);
  check(front.length === total, `${front.length} requests were posted with the post-scoped token, want ${total}`);
  const frontPort = front[0].port;
  const others = posts.filter((p) => p.port === frontPort && p.authorization !== `Bearer ${minted[0].token}`);
  check(others.length === 0, `${others.length} posts to the worker's port used another token`);

  // An answer whose error member is falsy resolves, as the docs'
  // `if (event.data.error)` has it: the worker's answer to "0*0" is
  // rewritten on its way to {"result": 0, "error": ""}.
  const falsy = async (route) => {
    const body = route.request().postDataJSON();
    if (JSON.stringify(body?.data) !== '{"result":0}') return route.fallback();
    return route.continue({ postData: JSON.stringify({ ...body, data: { result: 0, error: "" } }) });
  };
  await page.route("**/ports/*/messages", falsy);
  const zero = await page.evaluate(() => window.sendMessage("0*0").then((v) => ({ resolved: v }), (e) => ({ rejected: e })));
  check(JSON.stringify(zero) === '{"resolved":{"result":0,"error":""}}', `an answer with a falsy error settled as ${JSON.stringify(zero)}`);
  await page.unroute("**/ports/*/messages", falsy);

  // A request the service refuses (undefined data is no JSON, so the body
  // lacks "data"): sendMessage rejects with the refusal, and the reply
  // channel made for it is closed at once rather than left behind.
  expected.add(`POST /ports/${frontPort}/messages 400`);
  const refusal = await page.evaluate(() =>
    window.sendMessage(undefined).then(
      () => "resolved",
      (err) => (err instanceof Error ? `${err.name}: ${err.message}` : `not an Error: ${String(err)}`),
    ),
  );
  check(/^TincanError: post through \S+: 400 /.test(refusal), `sendMessage(undefined) settled as ${refusal}`);
  await page.getByTestId("client-log").locator("li").filter({ hasText: "the request was refused" }).waitFor();

  // A request whose client closes its reply channel before the answer
  // goes out: the worker says it could not answer, acknowledges the
  // request all the same, and goes on listening. The answer is held in
  // the browser until the channel is closed, so the order is certain.
  const api = async (method, path, token, body) => {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch(new URL(path, base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const made = await api("POST", "/channels");
  check(made.status === 201, `POST /channels answered ${made.status}`);
  const { port1: kept, port2: carriedPort } = made.body;
  expected.add(`POST /ports/${carriedPort.id}/messages 410`);
  let closedFirst;
  await page.route(`**/ports/${carriedPort.id}/messages`, async (route) => {
    closedFirst = await api("POST", `/ports/${kept.id}/close`, kept.token);
    await route.continue();
  });
  const asked = await api("POST", `/ports/${frontPort}/messages`, minted[0].token, {
    data: "6*7",
    transfer: [{ port: carriedPort.id, token: carriedPort.token }],
  });
  check(asked.status === 201, `posting a request from outside the page answered ${asked.status}`);
  await page.getByTestId("worker-handled").filter({ hasText: new RegExp(`^${total + 2}$`) }).waitFor();
  check(closedFirst?.status === 204, `closing the reply channel before the answer answered ${closedFirst?.status}`);
  const notAnswered = await page.getByTestId("worker-log").locator("li").filter({ hasText: `could not answer on port …${carriedPort.id.slice(-6)}` }).allTextContents();
  check(notAnswered.length === 1 && /410 port_closed/.test(notAnswered[0]), `the worker logged ${JSON.stringify(notAnswered)} for the closed reply port`);
  check((await status.textContent()) === "listening", `the worker's status is "${await status.textContent()}" after an answer it could not give`);
  const ackFailures = await page.getByTestId("worker-log").locator("li").filter({ hasText: "acknowledging" }).allTextContents();
  check(ackFailures.length === 0, `the worker failed to acknowledge: ${JSON.stringify(ackFailures)}`);
  // And it still answers.
  const again = await page.evaluate(() => window.sendMessage("2+2"));
  check(JSON.stringify(again) === '{"result":4}', `after that, sendMessage("2+2") resolved with ${JSON.stringify(again)}`);

  // A request the service cannot decode, queued at the worker's port
  // behind nothing: the worker says so and acknowledges it, unanswered.
  if (corruptUrl) {
    const service = channels[0];
    check(service?.port1.id === frontPort, `the page's first channel ${JSON.stringify(service?.port1.id)} is not the worker's (${frontPort})`);
    const r = await fetch(`${corruptUrl}/?port=${service.port2.id}&source=${service.port1.id}`, { method: "POST" });
    const badId = await r.text();
    check(r.ok, `the corrupter answered ${r.status}: ${badId}`);
    await page.getByTestId("worker-handled").filter({ hasText: new RegExp(`^${total + 4}$`) }).waitFor();
    const unread = await page.getByTestId("worker-log").locator("li").filter({ hasText: "cannot be read" }).allTextContents();
    check(unread.length === 1 && unread[0].includes("acknowledged unanswered"), `the worker logged ${JSON.stringify(unread)} for an undecodable request`);
    const d = await api("GET", `/ports/${service.port2.id}`, service.port2.token);
    check(d.status === 200 && d.body.queued === 0 && d.body.acked_event_id === badId,
      `the worker's port afterwards: ${JSON.stringify(d.body)}; want ${badId} acknowledged and nothing queued`);
  }

  check(problems.length === 0, `the page had problems:\n  ${problems.join("\n  ")}`);

  await screenshot(page, artifacts, "request-reply.png");
});
