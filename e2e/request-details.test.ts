/**
 * Chromium specs: what the details pane shows for one request is what the
 * client sent — headers in wire order and case, duplicates kept, exact raw
 * bytes — malformed requests show their error, and captured bytes stay text.
 */
import * as assert from 'node:assert/strict';
import { inspectorTest } from './harness/spec';
import { exchange, HttpConnection } from './harness/http-client';
import { byTestId, chooseBodyViewer, openRequest, openTab, rowByTarget, shownHeaders, textOf, waitForText } from './harness/app';

const BODY = 'hello from the e2e spec';
/** Headers in a deliberate order and case, with a duplicate the UI must keep. */
const HEADERS: Array<[string, string]> = [
  ['Host', '127.0.0.1'],
  ['X-B', 'second letter first'],
  ['x-a', 'lower case name'],
  ['X-Dup', '1'],
  ['X-Dup', '2'],
  ['Content-Type', 'text/plain'],
  ['Content-Length', String(BODY.length)],
];
const TARGET = '/submit/form?x=1&y=two';

function requestBytes(method: string, target: string, headers: Array<[string, string]>, body: string): string {
  return `${method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${body}`;
}

inspectorTest('a request appears with its method and target; headers keep wire order, case and duplicates; body shown', async (h) => {
  const response = await exchange(h.engineAddress.port, requestBytes('POST', TARGET, HEADERS, BODY));
  assert.equal(response.status, 200);
  const row = rowByTarget(h.page, TARGET);
  await row.waitFor();
  assert.equal(await byTestId(row, 'row-method').textContent(), 'POST');
  assert.match((await byTestId(row, 'row-status').textContent()) ?? '', /200/);

  await openRequest(h.page, TARGET);
  assert.equal(await textOf(h.page, 'detail-method'), 'POST');
  assert.equal(await textOf(h.page, 'detail-version'), 'HTTP/1.1');
  assert.equal(await byTestId(h.page, 'detail-error').count(), 0, 'a good request shows no error');

  await openTab(h.page, 'overview');
  assert.equal(await byTestId(h.page, 'query-param-row').count(), 2, 'x=1 and y=two');

  assert.deepEqual(await shownHeaders(h.page), HEADERS);

  await chooseBodyViewer(h.page, 'text');
  await waitForText(h.page, 'body-view', 'to hold the body', (t) => t.includes(BODY));
});

/** Bytes no text encoding shows as themselves: they must appear in the hex view. */
const DISTINCT_BYTES = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7f, 0x80, 0xff]);

const isPrintable = (b: number): boolean => b >= 0x20 && b <= 0x7e;

/**
 * `shown` is the ASCII rendering of `bytes`, character for character: printable
 * bytes as themselves, any other byte as '.'; CR and LF may also stay themselves.
 */
function assertAsciiRendering(shown: string, bytes: Buffer): void {
  assert.equal(shown.length, bytes.length, `raw-text has one character per byte: ${JSON.stringify(shown)}`);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const ok = isPrintable(b) ? shown[i] === String.fromCharCode(b)
      : shown[i] === '.' || ((b === 0x0d || b === 0x0a) && shown[i] === String.fromCharCode(b));
    assert.ok(ok, `byte ${i} (0x${b.toString(16)}) shown as ${JSON.stringify(shown[i])} in ${JSON.stringify(shown)}`);
  }
}

inspectorTest('the raw view shows the exact bytes: text as sent, hex of a distinctive byte run', async (h) => {
  const textTarget = '/raw/text?q=1';
  const textRequest = requestBytes('PUT', textTarget, [['Host', 'raw.test'], ['X-Case', 'MiXeD'], ['Content-Length', '11']], 'plain bytes');
  await exchange(h.engineAddress.port, textRequest);
  await openRequest(h.page, textTarget);
  await openTab(h.page, 'raw');
  await byTestId(h.page, 'raw-view').waitFor();
  const rawText = await waitForText(h.page, 'raw-text', 'to hold the request', (t) => t.includes('plain bytes'));
  assertAsciiRendering(rawText, Buffer.from(textRequest, 'latin1'));

  const binTarget = '/raw/binary';
  const head = `POST ${binTarget} HTTP/1.1\r\nHost: raw.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${DISTINCT_BYTES.length}\r\n\r\n`;
  const binRequest = Buffer.concat([Buffer.from(head, 'latin1'), DISTINCT_BYTES]);
  await exchange(h.engineAddress.port, binRequest);
  await openRequest(h.page, binTarget);
  await openTab(h.page, 'raw');
  const hex = await waitForText(h.page, 'raw-hex', 'to show bytes', (t) => t.length > 0);
  const compact = hex.toLowerCase().replace(/\s+/g, '');
  assert.ok(compact.includes(DISTINCT_BYTES.toString('hex')), `raw-hex holds ${DISTINCT_BYTES.toString('hex')}`);
  // The head is in the hex too: "POST" is 504f5354.
  assert.ok(compact.startsWith('504f5354'), 'raw-hex starts from the request line ("POST")');
  assertAsciiRendering((await textOf(h.page, 'raw-text')) ?? '', binRequest);
});

inspectorTest('a malformed request is listed with its error code, and the client got 400', async (h) => {
  const cases = [
    { target: '/bad/te-and-cl', code: 'te-and-cl', bytes: 'POST /bad/te-and-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n' },
    { target: '/bad/space', code: 'whitespace-before-colon', bytes: 'GET /bad/space HTTP/1.1\r\nHost: x\r\nX-Bad : 1\r\n\r\n' },
  ];
  for (const c of cases) {
    const conn = await HttpConnection.open(h.engineAddress.port);
    try {
      await conn.write(c.bytes);
      const [response] = await conn.responses(1);
      assert.equal(response!.status, 400, `${c.code}: status`);
      await conn.closedByServer();
    } finally {
      conn.close();
    }
    const row = rowByTarget(h.page, c.target);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-error'), c.code);
    await openRequest(h.page, c.target);
    const error = await waitForText(h.page, 'detail-error', `to name ${c.code}`, (t) => t.includes(c.code));
    assert.ok(error.includes(c.code));
  }
  // A good request's row carries no data-error.
  await exchange(h.engineAddress.port, 'GET /good HTTP/1.1\r\nHost: x\r\n\r\n');
  const good = rowByTarget(h.page, '/good');
  await good.waitFor();
  assert.equal(await good.getAttribute('data-error'), null);
});

const XSS_IMG = '<img src=x onerror="window.__xss=1">';
const XSS_SCRIPT = '<script>window.__xss=2</script>';
const XSS_TARGET = '/<img/src=x/onerror=window.__xss=3>';
const XSS_HEADER = '<img src=x onerror="window.__xss=4">';
/** Not a timing assertion: only a pause so that a late onerror would have run. */
const DEFERRED_HANDLER_GRACE_MS = 500;

inspectorTest('captured markup stays inert text in the list, body, raw and headers views', async (h) => {
  const body = `${XSS_IMG}\n${XSS_SCRIPT}`;
  const request = requestBytes('POST', XSS_TARGET, [
    ['Host', 'x'], ['X-Inject', XSS_HEADER], ['Content-Type', 'text/html'], ['Content-Length', String(Buffer.byteLength(body))],
  ], body);
  assert.equal((await exchange(h.engineAddress.port, request)).status, 200);
  await openRequest(h.page, XSS_TARGET);

  const checkInert = async (where: string): Promise<void> => {
    const state = await h.page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      injectedImages: document.querySelectorAll('img[src="x"]').length,
      injectedScripts: [...document.querySelectorAll('script')].filter((s) => s.textContent?.includes('__xss')).length,
    }));
    assert.deepEqual(state, { xss: undefined, injectedImages: 0, injectedScripts: 0 }, `inert in ${where}`);
  };
  await checkInert('the list and overview');

  await chooseBodyViewer(h.page, 'text');
  const shown = await waitForText(h.page, 'body-view', 'to show the markup as text', (t) => t.includes(XSS_SCRIPT));
  assert.ok(shown.includes(XSS_IMG));
  await checkInert('the body view');

  await openTab(h.page, 'raw');
  await waitForText(h.page, 'raw-text', 'to show the markup as text', (t) => t.includes(XSS_IMG) && t.includes(XSS_TARGET));
  await checkInert('the raw view');

  const headers = await shownHeaders(h.page);
  assert.deepEqual(headers.find(([n]) => n === 'X-Inject'), ['X-Inject', XSS_HEADER]);
  await checkInert('the headers view');

  // An image's error handler fires asynchronously: give a deferred one its chance before the last check.
  await h.page.waitForTimeout(DEFERRED_HANDLER_GRACE_MS);
  await checkInert('the end');
});
