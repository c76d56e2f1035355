/**
 * The renderer's data-testid contract as small helpers, so specs read as what
 * a user does and a renamed testid is fixed in one place.
 */
import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { exchange, HttpConnection } from './http-client';
import { waitFor, WAIT_TIMEOUT_MS } from './wait';

export type DetailTab = 'overview' | 'headers' | 'body' | 'raw';
export type BodyViewer = 'text' | 'json' | 'form' | 'multipart' | 'hex' | 'image';

// getByTestId matches the data-testid value exactly when given a string.
export const byTestId = (scope: Page | Locator, id: string): Locator => scope.getByTestId(id);

/** Every rendered row of the traffic list. */
export const rows = (page: Page): Locator => byTestId(page, 'traffic-row');

/** The rendered row whose target cell is exactly `target`. */
export function rowByTarget(page: Page, target: string): Locator {
  return rows(page).filter({ has: byTestId(page, 'row-target').getByText(target, { exact: true }) });
}

/** The request-count text as a number (NaN when it is not digits only). */
export async function requestCount(page: Page): Promise<number> {
  const text = (await byTestId(page, 'request-count').textContent())?.trim() ?? '';
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

/** Wait until request-count shows exactly `n`. */
export async function waitForCount(page: Page, n: number, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  await waitFor(`request-count = ${n}`, async () => ((await requestCount(page)) === n ? true : undefined), {
    timeoutMs,
    describe: async () => String(await byTestId(page, 'request-count').textContent()),
  });
}

/** Click the row for `target` (waiting for it) and wait for the details to show it. */
export async function openRequest(page: Page, target: string): Promise<void> {
  const row = rowByTarget(page, target);
  await row.first().waitFor({ timeout: WAIT_TIMEOUT_MS });
  await row.first().click();
  await waitFor(`details of ${target}`, async () =>
    (await byTestId(page, 'detail-target').textContent().catch(() => null)) === target ? true : undefined, {
    describe: async () => String(await byTestId(page, 'detail-target').textContent().catch(() => '(no detail-target)')),
  });
}

export async function openTab(page: Page, tab: DetailTab): Promise<void> {
  await byTestId(page, `tab-${tab}`).click();
}

export async function chooseBodyViewer(page: Page, viewer: BodyViewer): Promise<void> {
  await openTab(page, 'body');
  await byTestId(page, 'body-viewer-select').selectOption(viewer);
}

/** The headers tab's rows as [name, value] pairs, in display order. */
export async function shownHeaders(page: Page): Promise<Array<[string, string]>> {
  await openTab(page, 'headers');
  await byTestId(page, 'header-row').first().waitFor({ timeout: WAIT_TIMEOUT_MS });
  return byTestId(page, 'header-row').evaluateAll((elements) => elements.map((row): [string, string] => [
    row.querySelector('[data-testid="header-name"]')?.textContent ?? '',
    row.querySelector('[data-testid="header-value"]')?.textContent ?? '',
  ]));
}

/** Text of a testid element, or null when it is absent. */
export async function textOf(page: Page, id: string): Promise<string | null> {
  const el = byTestId(page, id);
  return (await el.count()) === 0 ? null : el.first().textContent();
}

/** Wait until the testid's text satisfies `ok`; returns the text. */
export async function waitForText(page: Page, id: string, what: string, ok: (text: string) => boolean, timeoutMs = WAIT_TIMEOUT_MS): Promise<string> {
  return waitFor(`${id} ${what}`, async () => {
    const text = await textOf(page, id);
    return text !== null && ok(text) ? text : undefined;
  }, { timeoutMs, describe: async () => JSON.stringify(await textOf(page, id)) });
}

/** Indexes of the rendered rows with aria-selected="true". */
export function selectedRowIndexes(page: Page): Promise<number[]> {
  return rows(page).evaluateAll((elements) =>
    elements.flatMap((row, i) => (row.getAttribute('aria-selected') === 'true' ? [i] : [])));
}

// ---------------------------------------------------------------- step sequences shared by the desktop and browser-mode specs
// Each takes the page and the port the requests are captured on (the desktop engine's or the CLI's), so the
// same checks run against both front ends.

/** One HTTP/1.1 request's bytes, headers as given (order, case, duplicates). */
export function requestBytes(method: string, target: string, headers: Array<[string, string]>, body: string): string {
  return `${method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${body}`;
}

/** The target checkRequestDetails posts to: two query params. */
export const DETAIL_TARGET = '/submit/form?x=1&y=two';

/** Headers in a deliberate order and case, with a duplicate the UI must keep. */
function detailHeaders(body: string): Array<[string, string]> {
  return [
    ['Host', '127.0.0.1'],
    ['X-B', 'second letter first'],
    ['x-a', 'lower case name'],
    ['X-Dup', '1'],
    ['X-Dup', '2'],
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(body.length)],
  ];
}

/**
 * POST DETAIL_TARGET with detailHeaders and `body`; its row shows the method and 200, and its details show
 * method, version, no error, the two query params, the headers in wire order and case (duplicate kept) and the body.
 */
export async function checkRequestDetails(page: Page, port: number, body: string): Promise<void> {
  const target = DETAIL_TARGET;
  const headers = detailHeaders(body);
  const response = await exchange(port, requestBytes('POST', target, headers, body));
  assert.equal(response.status, 200);
  const row = rowByTarget(page, target);
  await row.waitFor();
  assert.equal(await byTestId(row, 'row-method').textContent(), 'POST');
  assert.match((await byTestId(row, 'row-status').textContent()) ?? '', /200/);

  await openRequest(page, target);
  assert.equal(await textOf(page, 'detail-method'), 'POST');
  assert.equal(await textOf(page, 'detail-version'), 'HTTP/1.1');
  assert.equal(await byTestId(page, 'detail-error').count(), 0, 'a good request shows no error');

  await openTab(page, 'overview');
  assert.equal(await byTestId(page, 'query-param-row').count(), 2, 'x=1 and y=two');

  assert.deepEqual(await shownHeaders(page), headers);

  await chooseBodyViewer(page, 'text');
  await waitForText(page, 'body-view', 'to hold the body', (t) => t.includes(body));
}

/** Bytes no text encoding shows as themselves: they must appear in the hex view. */
const DISTINCT_BYTES = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7f, 0x80, 0xff]);

const isPrintable = (b: number): boolean => b >= 0x20 && b <= 0x7e;

/**
 * `shown` is the ASCII rendering of `bytes`, character for character (see renderer/README.md, raw-text):
 * printable bytes as themselves, any other byte as '.'; CR and LF may also stay themselves.
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

/** A text request and one with a distinctive binary body: the raw view shows each one's exact bytes (text and hex). */
export async function checkRawView(page: Page, port: number): Promise<void> {
  const textTarget = '/raw/text?q=1';
  const textRequest = requestBytes('PUT', textTarget, [['Host', 'raw.test'], ['X-Case', 'MiXeD'], ['Content-Length', '11']], 'plain bytes');
  await exchange(port, textRequest);
  await openRequest(page, textTarget);
  await openTab(page, 'raw');
  await byTestId(page, 'raw-view').waitFor();
  const rawText = await waitForText(page, 'raw-text', 'to hold the request', (t) => t.includes('plain bytes'));
  assertAsciiRendering(rawText, Buffer.from(textRequest, 'latin1'));

  const binTarget = '/raw/binary';
  const head = `POST ${binTarget} HTTP/1.1\r\nHost: raw.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${DISTINCT_BYTES.length}\r\n\r\n`;
  const binRequest = Buffer.concat([Buffer.from(head, 'latin1'), DISTINCT_BYTES]);
  await exchange(port, binRequest);
  await openRequest(page, binTarget);
  await openTab(page, 'raw');
  const hex = await waitForText(page, 'raw-hex', 'to show bytes', (t) => t.length > 0);
  const compact = hex.toLowerCase().replace(/\s+/g, '');
  assert.ok(compact.includes(DISTINCT_BYTES.toString('hex')), `raw-hex holds ${DISTINCT_BYTES.toString('hex')}: ${compact}`);
  // The head is in the hex too: "POST" is 504f5354.
  assert.ok(compact.startsWith('504f5354'), 'raw-hex starts from the request line ("POST")');
  assertAsciiRendering((await textOf(page, 'raw-text')) ?? '', binRequest);
}

/**
 * Two malformed requests: each client gets 400 and a closed connection, each row carries its error code
 * (data-error) and its details name it; then a good request's row carries no data-error.
 * Returns how many requests were sent.
 */
export async function checkMalformedListed(page: Page, port: number): Promise<number> {
  const cases = [
    { target: '/bad/te-and-cl', code: 'te-and-cl', bytes: 'POST /bad/te-and-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n' },
    { target: '/bad/space', code: 'whitespace-before-colon', bytes: 'GET /bad/space HTTP/1.1\r\nHost: x\r\nX-Bad : 1\r\n\r\n' },
  ];
  for (const c of cases) {
    const conn = await HttpConnection.open(port);
    try {
      await conn.write(c.bytes);
      const [response] = await conn.responses(1);
      assert.equal(response!.status, 400, `${c.code}: status`);
      await conn.closedByServer();
    } finally {
      conn.close();
    }
    const row = rowByTarget(page, c.target);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-error'), c.code);
    await openRequest(page, c.target);
    const error = await waitForText(page, 'detail-error', `to name ${c.code}`, (t) => t.includes(c.code));
    assert.ok(error.includes(c.code));
  }
  // A good request's row carries no data-error.
  await exchange(port, 'GET /good HTTP/1.1\r\nHost: x\r\n\r\n');
  const good = rowByTarget(page, '/good');
  await good.waitFor();
  assert.equal(await good.getAttribute('data-error'), null);
  return cases.length + 1;
}

const XSS_IMG = '<img src=x onerror="window.__xss=1">';
const XSS_SCRIPT = '<script>window.__xss=2</script>';
const XSS_TARGET = '/<img/src=x/onerror=window.__xss=3>';
const XSS_HEADER = '<img src=x onerror="window.__xss=4">';
/** Not a timing assertion: only a pause so that a late onerror would have run. */
const DEFERRED_HANDLER_GRACE_MS = 500;

/** A request with markup in its target, a header and its body: it stays inert text in the list, body, raw and headers views. */
export async function checkMarkupInert(page: Page, port: number): Promise<void> {
  const body = `${XSS_IMG}\n${XSS_SCRIPT}`;
  const request = requestBytes('POST', XSS_TARGET, [
    ['Host', 'x'], ['X-Inject', XSS_HEADER], ['Content-Type', 'text/html'], ['Content-Length', String(Buffer.byteLength(body))],
  ], body);
  assert.equal((await exchange(port, request)).status, 200);
  await openRequest(page, XSS_TARGET);

  const checkInert = async (where: string): Promise<void> => {
    const state = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      injectedImages: document.querySelectorAll('img[src="x"]').length,
      injectedScripts: [...document.querySelectorAll('script')].filter((s) => s.textContent?.includes('__xss')).length,
    }));
    assert.deepEqual(state, { xss: undefined, injectedImages: 0, injectedScripts: 0 }, `inert in ${where}`);
  };
  await checkInert('the list and overview');

  await chooseBodyViewer(page, 'text');
  const shown = await waitForText(page, 'body-view', 'to show the markup as text', (t) => t.includes(XSS_SCRIPT));
  assert.ok(shown.includes(XSS_IMG));
  await checkInert('the body view');

  await openTab(page, 'raw');
  await waitForText(page, 'raw-text', 'to show the markup as text', (t) => t.includes(XSS_IMG) && t.includes(XSS_TARGET));
  await checkInert('the raw view');

  const headers = await shownHeaders(page);
  assert.deepEqual(headers.find(([n]) => n === 'X-Inject'), ['X-Inject', XSS_HEADER]);
  await checkInert('the headers view');

  // An image's error handler fires asynchronously: give a deferred one its chance before the last check.
  await page.waitForTimeout(DEFERRED_HANDLER_GRACE_MS);
  await checkInert('the end');
}

/** In the response editor: add a header row and fill in its name and value. */
export async function addResponseHeader(page: Page, name: string, value: string): Promise<void> {
  const before = await byTestId(page, 'response-header-row').count();
  await byTestId(page, 'response-add-header').click();
  await waitFor('a new header row', async () => ((await byTestId(page, 'response-header-row').count()) === before + 1 ? true : undefined));
  const row = byTestId(page, 'response-header-row').nth(before);
  await byTestId(row, 'response-header-name').fill(name);
  await byTestId(row, 'response-header-value').fill(value);
}

/**
 * In the response editor: status 700 shows an error under its field and the state says Not applied; then
 * `validStatus` clears the error again.
 */
export async function checkStatusOutOfRange(page: Page, validStatus: string): Promise<void> {
  await byTestId(page, 'response-status').fill('700');
  const statusError = page.locator('[data-testid="response-field-error"][data-field="status"]');
  await statusError.waitFor();
  assert.ok(((await statusError.textContent()) ?? '').length > 0, 'the status error says something');
  await waitForText(page, 'response-state', 'to say Not applied', (t) => t.startsWith('Not applied'));
  await byTestId(page, 'response-status').fill(validStatus);
  await statusError.waitFor({ state: 'detached' });
}
