// The demo page (GET /) in a real Chromium: create a channel, exchange
// messages both ways, reload mid-stream and get every message exactly once,
// hand a port to another tab (whose transfer's answer is lost, so that a
// reload carries it on under its Idempotency-Key), close and see the close
// event at the other end, and send an image from one end to the other.
// Saves screenshots as $ARTIFACTS/demo.png and demo-image.png.
//
// Run by web/browser_test.go against a running tincan, or by hand:
//   TINCAN_URL=http://127.0.0.1:8080 CHROMIUM=/usr/bin/chromium ARTIFACTS=/tmp/x \
//     node web/browser/demo.test.mjs
// Exits 0 on success; on failure, non-zero with the reason on stderr.

import { check, run, screenshot, settings } from './support.mjs';

const { base: BASE, artifacts: ARTIFACTS, chromium: CHROMIUM } = settings('demo.test.mjs');
// On Redis, web/browser_test.go's corrupter: it queues a message the
// service cannot decode (unset on the embedded store, which cannot hold one).
const CORRUPT_URL = process.env.CORRUPT_URL;
const WAIT = 10_000; // bound of every single wait, in ms
const WHOLE = 85_000; // bound of the whole script, in ms

const problems = []; // what the pages said that they should not have
// A path whose failed loads the test causes on purpose (a page reports
// each on its console), or null.
let lossy = null;

// until polls fn until it returns a truthy value, for at most WAIT ms.
async function until(what, fn) {
  const deadline = Date.now() + WAIT;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function watch(page, name) {
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => problems.push(`${name}: uncaught ${e.message}`));
  page.on('console', (m) => {
    const at = m.location().url ? new URL(m.location().url).pathname : '';
    if (lossy && at === lossy && m.text().startsWith('Failed to load resource')) return;
    // A refused resource or CSP violation is an error on the console.
    if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()}`);
  });
}

// received lists, oldest first, the data of the messages shown at slot.
function received(page, slot) {
  return page.$$eval(
    `[data-testid="entry-${slot}"][data-kind="message"] [data-testid="text-${slot}"]`,
    (els) => els.map((e) => e.textContent).reverse(),
  );
}

function entries(page, slot, kind) {
  return page.$$eval(`[data-testid="entry-${slot}"][data-kind="${kind}"]`, (els) => els.length);
}

async function expectReceived(page, slot, want, what) {
  let got;
  try {
    await until(what, async () => {
      got = await received(page, slot);
      return got.length >= want.length;
    });
  } catch (err) {
    throw new Error(`${err.message}: shown at ${slot}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would show by now
  got = await received(page, slot);
  check(JSON.stringify(got) === JSON.stringify(want),
    `${what}: shown at ${slot}: ${JSON.stringify(got)}, want exactly ${JSON.stringify(want)}`);
}

async function live(page, slot) {
  await page.waitForSelector(`[data-testid="end-${slot}"][data-stream="live"]`);
}

async function send(page, slot, text) {
  await page.getByTestId(`input-${slot}`).fill(text);
  await page.getByTestId(`send-${slot}`).click();
  await until(`"${text}" to be sent from ${slot}`, async () =>
    (await page.$$eval(`[data-testid="entry-${slot}"][data-kind="sent"] [data-testid="text-${slot}"]`,
      (els, t) => els.some((e) => e.textContent === t), text)));
}

// held is what the tab keeps in sessionStorage about the port of slot.
async function held(page, slot) {
  const s = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tincan-demo')));
  const end = s?.ends?.find((e) => e.slot === slot);
  check(end, `the page keeps no port in slot ${slot}`);
  return end;
}

async function api(method, path, token, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

run('demo.test.mjs', WHOLE, CHROMIUM, async (launch) => {
  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const offsite = [];
  context.on('request', (r) => {
    if (!r.url().startsWith(BASE)) offsite.push(r.url());
  });
  const tab1 = await context.newPage();
  watch(tab1, 'tab 1');

  // A channel, both ends live.
  const res = await tab1.goto(`${BASE}/`);
  check(res.status() === 200, `GET / answered ${res.status()}`);
  check((res.headers()['content-security-policy'] ?? '').includes("script-src 'self'"), 'GET / has no strict CSP');
  await tab1.getByTestId('new-channel').click();
  await live(tab1, 'a');
  await live(tab1, 'b');
  const a = await held(tab1, 'a');
  const b = await held(tab1, 'b');
  check(a.port !== b.port, 'both ends show the same port');
  check((await tab1.getByTestId('port-b').textContent()) === b.port, 'end b does not show its port id');

  // Both ways.
  for (const m of ['a1', 'a2', 'a3']) await send(tab1, 'a', m);
  for (const m of ['b1', 'b2']) await send(tab1, 'b', m);
  await expectReceived(tab1, 'b', ['a1', 'a2', 'a3'], 'messages from port1');
  await expectReceived(tab1, 'a', ['b1', 'b2'], 'messages from port2');
  console.log('exchanged messages both ways');

  // Reload while messages keep coming: every one shown exactly once. The
  // posts go on until the page is back and a few more have followed, so
  // that some are posted mid-stream however long the reload takes (a
  // fixed dozen was over before a loaded machine's reload was).
  const burst = [];
  let backAt = null; // how many were posted when the page came back
  const posting = (async () => {
    for (let i = 1; backAt === null || burst.length < backAt + 3; i++) {
      check(i <= 500, 'the page did not come back within 500 posts');
      const m = `r${i}`;
      const r = await api('POST', `/ports/${a.port}/messages`, a.token, { data: m });
      check(r.status === 201, `posting ${m} from outside the page answered ${r.status}`);
      burst.push(m);
      await new Promise((res) => setTimeout(res, 40));
    }
  })();
  await until('the first posts of the burst to be shown', async () => (await received(tab1, 'b')).includes('r2'));
  const shownBefore = (await received(tab1, 'b')).length - 3;
  await tab1.reload();
  backAt = burst.length;
  const postedDuring = backAt;
  await posting;
  check(postedDuring < burst.length, 'the burst was over before the page came back: nothing was posted mid-stream');
  await live(tab1, 'b');
  await expectReceived(tab1, 'b', ['a1', 'a2', 'a3', ...burst], 'messages across a reload');
  await expectReceived(tab1, 'a', ['b1', 'b2'], 'messages at port1 across a reload');
  const last = (await held(tab1, 'b')).last;
  const after = await until('the shown messages to be acknowledged', async () => {
    const d = await api('GET', `/ports/${b.port}`, b.token);
    return d.body.acked_event_id === last && d.body.queued === 0 ? d.body : null;
  });
  console.log(`reloaded mid-stream: ${shownBefore} of ${burst.length} posts shown before the reload, ` +
    `${postedDuring} posted when the page was back, all shown once after; acknowledged through ${after.acked_event_id}`);

  // A message the service cannot decode: shown in its place, acknowledged
  // like a message, not shown again after a reload, and what follows it
  // still comes.
  if (CORRUPT_URL) {
    const r = await fetch(`${CORRUPT_URL}/?port=${b.port}&source=${a.port}`, { method: 'POST' });
    const badId = await r.text();
    check(r.ok, `the corrupter answered ${r.status}: ${badId}`);
    await until('the undecodable message to be shown', async () => (await entries(tab1, 'b', 'messageerror')) === 1);
    const shown = await tab1.$eval(`[data-testid="entry-b"][data-kind="messageerror"]`, (el) => el.dataset.id);
    check(shown === badId, `the messageerror shown is ${shown}, the undecodable message is ${badId}`);
    await send(tab1, 'a', 'after the bad one');
    await expectReceived(tab1, 'b', ['a1', 'a2', 'a3', ...burst, 'after the bad one'], 'messages after an undecodable one');
    const through = (await held(tab1, 'b')).last;
    await until('everything at port2 to be acknowledged', async () => {
      const d = await api('GET', `/ports/${b.port}`, b.token);
      return d.body.acked_event_id === through && d.body.queued === 0;
    });
    await tab1.reload();
    await live(tab1, 'b');
    await new Promise((res) => setTimeout(res, 300)); // a repeat would show by now
    check((await entries(tab1, 'b', 'messageerror')) === 1, 'the undecodable message was shown again after a reload');
    await expectReceived(tab1, 'b', ['a1', 'a2', 'a3', ...burst, 'after the bad one'], 'messages after a second reload');
    console.log(`an undecodable message (${badId}) was shown once in its place and acknowledged`);
  }

  // Hand port2 to another tab.
  await tab1.getByTestId('handoff-b').click();
  const link = await tab1.getByTestId('handoff-link-b').getAttribute('href');
  check(link.startsWith(`${BASE}/#port=${b.port}&token=`), `hand-off link ${link}`);
  const tab2 = await context.newPage();
  watch(tab2, 'tab 2');
  // The service carries out tab 2's first transfer, and every answer is
  // lost on the way back, as when the network drops: tab 2 sends it again
  // under its key until it gives up for now, keeping the hand-off.
  const transferPath = `/ports/${b.port}/transfer`;
  lossy = transferPath;
  const keys = [];
  let lost = null; // what the service answered the transfer it carried out
  await tab2.route(`${BASE}${transferPath}`, async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    if (!lost) {
      const real = await route.fetch();
      lost = { status: real.status(), body: await real.json() };
    }
    await route.abort('connectionreset');
  });
  await tab2.goto(link);
  await until('tab 2 to give up on the transfer for now', async () =>
    (await tab2.locator('#status').textContent()).includes('reload the page to try again'));
  check(lost?.status === 200, `the transfer the service carried out answered ${lost?.status}`);
  check(keys.length > 1 && keys.every((k) => k && k === keys[0]),
    `tab 2 sent the transfer under keys ${JSON.stringify(keys)}; want several times under one key`);
  check(!tab2.url().includes('token='), `tab 2 keeps the token in its address: ${tab2.url()}`);
  // A reload carries the hand-off on, under the same key, and gets the
  // token the lost answer carried: without the key, 403 port_transferred,
  // and the port would be held by nobody.
  await tab2.unroute(`${BASE}${transferPath}`);
  await tab2.reload();
  await until('tab 2 to take the port over', async () =>
    (await tab2.getByTestId('port-a').textContent().catch(() => '')) === b.port);
  await live(tab2, 'a');
  lossy = null;
  const taken = await tab2.evaluate(() => JSON.parse(sessionStorage.getItem('tincan-demo')));
  check(taken.ends[0]?.token === lost.body.token, 'tab 2 holds another token than the one the lost answer carried');
  check(taken.handoff === undefined, `tab 2 still keeps a hand-off to carry on: ${JSON.stringify(taken.handoff)}`);
  check(!tab2.url().includes('token='), `tab 2 keeps the token in its address: ${tab2.url()}`);
  await until('tab 1 to hear of the transfer', async () => (await entries(tab1, 'b', 'transferred')) === 1);
  check((await tab1.getByTestId('state-b').textContent()) === 'transferred', 'tab 1 still shows port2 as its own');
  const old = await api('POST', `/ports/${b.port}/messages`, b.token, { data: 'with the dead token' });
  check(old.status === 403 && old.body.code === 'port_transferred', `the old token still works: ${old.status}`);
  await send(tab1, 'a', 'to the new holder');
  await expectReceived(tab2, 'a', ['to the new holder'], 'tab 2 receiving');
  await send(tab2, 'a', 'from tab 2');
  await expectReceived(tab1, 'a', ['b1', 'b2', 'from tab 2'], 'tab 1 receiving from tab 2');
  console.log(`handed port2 to another tab, which took it over after a reload, its transfer sent ${keys.length} times ` +
    'under one key and every answer lost; messages flow both ways');

  // Close from tab 2: both ends see it.
  await tab2.getByTestId('close-a').click();
  await until('the close event at tab 1', async () => (await entries(tab1, 'a', 'close')) === 1);
  await until('the close event at tab 2', async () => (await entries(tab2, 'a', 'close')) === 1);
  check((await tab1.getByTestId('state-a').textContent()) === 'closed', 'tab 1 does not show port1 closed');
  check(await tab1.getByTestId('send-a').isDisabled(), 'tab 1 can still send through a closed port');
  console.log('closed from tab 2; the close event reached both ends');

  // A reset with rewound_to: the service lost what came after it (a
  // failover took it back). No failover is at hand, so a stream of a new
  // tab answers, once, the reset the service would send; the tab's mark
  // must go back to rewound_to, so that a reload resumes from what the
  // service knows, not from an id it may issue again to another message.
  const tab3 = await context.newPage();
  watch(tab3, 'tab 3');
  await tab3.goto(`${BASE}/`);
  await tab3.getByTestId('new-channel').click();
  await live(tab3, 'a');
  await live(tab3, 'b');
  for (const m of ['x1', 'x2']) await send(tab3, 'a', m);
  await expectReceived(tab3, 'b', ['x1', 'x2'], 'messages before the rewind');
  const c2 = await held(tab3, 'b');
  const [x1] = await tab3.$$eval(`[data-testid="entry-b"][data-kind="message"]`, (els) => els.map((e) => e.dataset.id).reverse());
  check(x1 && x1 !== c2.last, `x1 was shown as ${x1}, x2 as ${c2.last}`);
  // The resume point of each stream of port2 the tab opens from now on.
  const resumedFrom = [];
  tab3.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === `/ports/${c2.port}/events`) resumedFrom.push(u.searchParams.get('last_event_id'));
  });
  await tab3.route(`${BASE}/ports/${c2.port}/events?*`, (route) => route.fulfill({
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' },
    body: `retry: 10\nevent: reset\ndata: ${JSON.stringify({ port: c2.port, last_event_id: c2.last, acked_through: x1, rewound_to: x1 })}\n\n`,
  }), { times: 1 });
  await tab3.reload();
  await until('the reset to be shown', async () => (await entries(tab3, 'b', 'reset')) >= 1);
  const rewound = await tab3.$$eval(`[data-testid="entry-b"][data-kind="reset"] [data-testid="text-b"]`, (els) => els.map((e) => e.textContent).reverse());
  check(rewound[0].startsWith(`the service lost the messages after ${x1} `), `the reset shown reads ${JSON.stringify(rewound[0])}`);
  // The faked stream ends after its reset; the next one resumes from
  // rewound_to (where the real service, which has x2 acknowledged, says
  // so with a reset of its own), not from x2.
  await until('the stream after the reset', async () => resumedFrom.length >= 2);
  check(resumedFrom[0] === c2.last && resumedFrom[1] === x1,
    `after a reset to ${x1}, the streams resumed from ${JSON.stringify(resumedFrom)}; want ${c2.last}, then ${x1}`);
  await live(tab3, 'b');
  await send(tab3, 'a', 'x3');
  await expectReceived(tab3, 'b', ['x1', 'x2', 'x3'], 'messages after the rewind');
  console.log(`a reset with rewound_to ${x1} moved the tab's mark back there`);

  // A file from one end: bytes with their type, a binary message, shown
  // as an image at the other end (a data: URL, which the page's CSP
  // allows), and again after a reload.
  // A 48x32 PNG, drawn and encoded by the browser.
  const drawn = await tab3.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 48;
    c.height = 32;
    const g = c.getContext('2d');
    g.fillStyle = '#1f6feb';
    g.fillRect(0, 0, 48, 32);
    g.fillStyle = '#ffffff';
    g.fillRect(8, 8, 32, 16);
    return c.toDataURL('image/png');
  });
  const png = Buffer.from(drawn.slice(drawn.indexOf(',') + 1), 'base64');
  await tab3.getByTestId('file-a').setInputFiles({ name: 'drawn.png', mimeType: 'image/png', buffer: png });
  await until('the file to be sent from a', async () =>
    (await tab3.$$eval(`[data-testid="entry-a"][data-kind="sent"] [data-testid="text-a"]`, (els) =>
      els.some((e) => e.textContent.startsWith('drawn.png (image/png')))));
  const image = async () => tab3.$$eval('[data-testid="image-b"]', (imgs) =>
    imgs.map((i) => ({ ok: i.complete && i.naturalWidth === 48 && i.naturalHeight === 32, src: i.src.slice(0, 22) })));
  const shownImage = await until('the image to be shown at b', async () => ((await image())[0]?.ok ? image() : null));
  check(shownImage.length === 1 && shownImage[0].src === 'data:image/png;base64,', `the image at b: ${JSON.stringify(shownImage)}`);
  const described = (await received(tab3, 'b')).at(-1);
  check(described === `image/png, ${png.length} bytes`, `the image's entry at b reads ${JSON.stringify(described)}`);
  await tab3.reload();
  await live(tab3, 'b');
  const keptImage = await until('the image to be shown again after a reload', async () => ((await image())[0]?.ok ? image() : null));
  check(keptImage.length === 1, `after a reload, ${keptImage.length} images at b`);
  console.log(`a ${png.length}-byte PNG sent from a was shown as an image at b, and again after a reload`);
  console.log(`screenshot: ${await screenshot(tab3, ARTIFACTS, 'demo-image.png')}`);
  await tab3.close();

  console.log(`screenshot: ${await screenshot(tab1, ARTIFACTS, 'demo.png')}`);

  check(offsite.length === 0, `the pages asked for other origins: ${offsite.join(', ')}`);
  check(problems.length === 0, `the pages reported errors:\n  ${problems.join('\n  ')}`);
});
