// Binary messages in a real Chromium: a page posts an ArrayBuffer and
// fetch()es the message's raw body back into an ArrayBuffer with the
// bytes' SHA-256; an <img>
// shows a posted PNG through a message ticket's URL; and a posted
// text/html (or SVG) body opened in a tab runs no script, because tincan
// serves it as a sandboxed download.
//
// Run by web/browser_test.go against a running tincan, or by hand:
//   TINCAN_URL=http://127.0.0.1:8080 CHROMIUM=/usr/bin/chromium ARTIFACTS=/tmp/x \
//     node web/browser/binary.test.mjs
// Exits 0 on success; on failure, non-zero with the reason on stderr.

import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { check, run, screenshot, settings } from './support.mjs';

const { base: BASE, artifacts: ARTIFACTS, chromium: CHROMIUM } = settings('binary.test.mjs');
const WAIT = 10_000; // bound of every single wait, in ms
const WHOLE = 60_000; // bound of the whole script, in ms

// call sends a request from Node and answers its status and body (JSON
// when it is JSON).
async function call(method, path, token, body, contentType) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (contentType) headers['Content-Type'] = contentType;
  const res = await fetch(`${BASE}${path}`, { method, headers, body, signal: AbortSignal.timeout(WAIT) });
  const text = await res.text();
  const json = (res.headers.get('Content-Type') ?? '').includes('json');
  return { status: res.status, headers: res.headers, body: json && text ? JSON.parse(text) : text };
}

// postBytes posts bytes of contentType through port and answers the
// message's id: as the body itself, or, for a text/* type (whose raw body
// a post takes as text), base64 in a JSON post's `binary`.
async function postBytes(port, bytes, contentType) {
  const res = contentType.startsWith('text/')
    ? await call('POST', `/ports/${port.id}/messages`, port.token,
      JSON.stringify({ binary: bytes.toString('base64'), content_type: contentType }), 'application/json')
    : await call('POST', `/ports/${port.id}/messages`, port.token, bytes, contentType);
  check(res.status === 201, `posting ${bytes.length} bytes of ${contentType} answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

// messageTicket gets a message ticket for the message id at port.
async function messageTicket(port, id) {
  const res = await call('POST', `/ports/${port.id}/messages/${id}/tickets`, port.token);
  check(res.status === 201, `a message ticket answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// png makes a valid width × height PNG, 8-bit RGB, every pixel a colour.
function png(width, height) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([len, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth, RGB, compression, filter, interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x5a)]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// sampleBytes are 256 KiB (the largest message by default): every byte
// value, what would trip a text path (NUL, CR/LF, invalid UTF-8, an SSE
// field line), then a pattern.
function sampleBytes() {
  const b = Buffer.alloc(256 << 10);
  const head = Buffer.concat([Buffer.from('data: {"x":1}\r\n\r\n\u0000'), Buffer.from([0xc3, 0x28, 0xff, 0xfe])]);
  head.copy(b, 0);
  for (let i = 0; i < 256; i++) b[head.length + i] = i;
  for (let i = head.length + 256; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
  return b;
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

run('binary.test.mjs', WHOLE, CHROMIUM, async (launch) => {
  const browser = await launch();
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const res = await page.goto(`${BASE}/`);
  check(res.status() === 200, `GET / answered ${res.status()}`);

  const created = await call('POST', '/channels');
  check(created.status === 201, `POST /channels answered ${created.status}`);
  const { port1, port2 } = created.body;

  // A post without a Content-Type is refused: what it is is never guessed.
  const untyped = await fetch(`${BASE}/ports/${port1.id}/messages`, {
    method: 'POST', headers: { Authorization: `Bearer ${port1.token}` }, body: new Uint8Array([0xff]),
    signal: AbortSignal.timeout(WAIT),
  });
  check(untyped.status === 415, `a post without a Content-Type answered ${untyped.status}`);

  // 1. The page posts an ArrayBuffer and fetch()es it back, raw, into an
  // ArrayBuffer: the same bytes, by SHA-256.
  const bytes = sampleBytes();
  const fetched = await page.evaluate(async ({ from, to, sent }) => {
    const posted = await fetch(`/ports/${from.id}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${from.token}`, 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array(sent).buffer,
    });
    const { id } = await posted.json();
    const r = await fetch(`/ports/${to.id}/messages/${id}/body`, { headers: { Authorization: `Bearer ${to.token}` } });
    const buf = await r.arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
    return {
      posted: posted.status,
      status: r.status,
      type: r.headers.get('Content-Type'),
      length: buf.byteLength,
      sha256: Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join(''),
    };
  }, { from: port1, to: port2, sent: Array.from(bytes) });
  check(fetched.posted === 201 && fetched.status === 200 && fetched.type === 'application/octet-stream',
    `the post answered ${fetched.posted}, the fetch ${fetched.status} ${fetched.type}`);
  check(fetched.length === bytes.length && fetched.sha256 === sha256(bytes),
    `the page's ArrayBuffer: ${fetched.length} bytes, sha256 ${fetched.sha256}; posted ${bytes.length}, ${sha256(bytes)}`);
  console.log(`fetch() read ${fetched.length} bytes into an ArrayBuffer, sha256 ${fetched.sha256.slice(0, 16)}…, as posted`);

  // 2. An <img> shows a PNG through a message ticket's URL: no header,
  // no token in the URL.
  const image = png(7, 5);
  const pngID = await postBytes(port1, image, 'image/png');
  const ticket = await messageTicket(port2, pngID);
  check(!ticket.url.includes(port2.token), 'the ticket URL holds the port token');
  const shown = await page.evaluate(async (src) => {
    const img = document.createElement('img');
    img.alt = 'a posted PNG';
    const loaded = new Promise((resolve) => {
      img.onload = () => resolve('load');
      img.onerror = () => resolve('error');
    });
    img.src = src;
    document.body.prepend(img);
    return { event: await loaded, width: img.naturalWidth, height: img.naturalHeight };
  }, ticket.url);
  check(shown.event === 'load' && shown.width === 7 && shown.height === 5,
    `the <img> of the ticket URL: ${JSON.stringify(shown)}`);
  await screenshot(page, ARTIFACTS, 'binary-img.png');
  console.log(`an <img> loaded the posted PNG through its message ticket: ${shown.width}×${shown.height}`);

  // 3. A posted page runs nothing: opened in a tab it is a download, so
  // its script never runs (it would retitle its tab and tell the page
  // that opened it).
  await page.evaluate(() => {
    window.heard = [];
    window.addEventListener('message', (e) => window.heard.push(String(e.data)));
  });
  const script = 'document.title="script ran";try{window.opener.postMessage("script ran","*")}catch(e){}';
  const hostile = [
    ['text/html', `<!doctype html><title>posted</title><script>${script}</script><p>hello</p>`],
    ['image/svg+xml', `<svg xmlns="http://www.w3.org/2000/svg"><script>${script}</script></svg>`],
  ];
  for (const [type, body] of hostile) {
    const id = await postBytes(port1, Buffer.from(body), type);
    const url = (await messageTicket(port2, id)).url;
    const head = await call('HEAD', url);
    check(head.headers.get('Content-Disposition') === 'attachment' &&
      head.headers.get('Content-Security-Policy')?.startsWith('sandbox') &&
      head.headers.get('X-Content-Type-Options') === 'nosniff',
      `${type}: headers ${JSON.stringify(Object.fromEntries(head.headers))}`);
    check(head.headers.get('Content-Type') === type, `${type}: served as ${head.headers.get('Content-Type')}`);
    // Whatever the tab does is caught from the moment it exists: a
    // download (on the tab, or on its opener, where Chromium reports a
    // popup's), or a page that loads.
    let tab = null;
    const opened = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${type}: the tab neither downloaded nor loaded within ${WAIT} ms`)), WAIT);
      const done = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      page.once('download', (download) => done({ download }));
      context.once('page', (p) => {
        tab = p;
        p.once('download', (download) => done({ download }));
        p.once('load', () => done({ loaded: true }));
      });
    });
    await page.evaluate((u) => { window.open(u); }, url);
    const outcome = await opened;
    const title = tab ? await tab.title().catch(() => '(closed)') : '(no tab)';
    // A round trip through the opener's event loop: a message posted
    // before it would have been heard by now.
    const heard = await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve(window.heard), 0)));
    check(title !== 'script ran' && heard.length === 0, `${type}: the posted script ran (title ${title}, heard ${heard})`);
    check(outcome.download, `${type}: the tab showed the body instead of downloading it`);
    check(await outcome.download.path() !== null, `${type}: the download failed`);
    await tab?.close().catch(() => {});
    console.log(`${type} opened in a tab was a download, and its script did not run`);
  }
  check(await page.title() !== 'script ran', 'the opener was retitled');
});
