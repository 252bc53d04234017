// What the package's tests share: the client under test, a Tincan for the
// running service, and the fault proxy's controls (web/faultproxy_test.go).
// Run by web/client_test.go (go test ./web), which sets TINCAN_URL (the
// proxy in front of a real api process) and TINCAN_CLIENT (the package
// compiled from src/); by hand, after npm run build in web/client:
//   TINCAN_URL=http://127.0.0.1:8080 node --test web/client/test/
// (the fault tests need the proxy, and fail without it).

export const client = await import(process.env.TINCAN_CLIENT ?? '@tincan-dev/client');
export const base = process.env.TINCAN_URL;
if (!base) throw new Error('set TINCAN_URL to a running tincan (web/client_test.go runs these tests against one)');

export const tincan = new client.Tincan({ baseUrl: base });

// fault asks the proxy to do something to the next `times` requests of
// method to path: {status, code, retry_after} answers a refusal in the
// service's place; {lose: true} carries the request out and cuts the
// connection before the answer.
export async function fault(method, path, what, times = 1) {
  const res = await fetch(`${base}/__test/faults`, {
    method: 'POST',
    body: JSON.stringify({ method, path, times, ...what }),
  });
  if (res.status !== 204) throw new Error(`the fault proxy refused the rule: ${res.status} ${await res.text()}`);
}

// dropStreams cuts every open event stream at the proxy and answers how many.
export async function dropStreams() {
  const res = await fetch(`${base}/__test/drop`, { method: 'POST' });
  return (await res.json()).dropped;
}

// bytes answers the content of an ArrayBuffer as an array of numbers.
export const bytes = (buf) => Array.from(new Uint8Array(buf));
