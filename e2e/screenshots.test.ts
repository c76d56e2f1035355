/**
 * Screenshots of the main views, in both themes, into e2e/screenshots/
 * (gitignored). Each shot is taken only after the view's own element shows
 * what it should, so a missing view fails here instead of saving a blank image.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import type { Inspector } from './harness/inspector';
import { inspectorTest } from './harness/spec';
import { exchange, HttpConnection, simpleGet, LOOPBACK } from './harness/http-client';
import { makePng } from './harness/png';
import { SCREENSHOT_DIR } from './harness/paths';
import { byTestId, chooseBodyViewer, openRequest, openTab, waitForCount, waitForText } from './harness/app';
import { waitFor } from './harness/wait';

const PNG = makePng(48, 32, (x, y) => [x * 5, y * 7, 200 - x * 3, 255]);
const JSON_BODY = JSON.stringify({ id: 42, name: 'Sockeye', tags: ['salmon', 'http'], nested: { ok: true, count: null } });
const FORM_BODY = 'name=Sockeye&kind=salmon&note=caught+at+dawn&empty=';
const BOUNDARY = 'e2e-boundary-7f3a';
const MULTIPART_BODY = [
  `--${BOUNDARY}`, 'Content-Disposition: form-data; name="title"', '', 'A fish',
  `--${BOUNDARY}`, 'Content-Disposition: form-data; name="file"; filename="notes.txt"', 'Content-Type: text/plain', '', 'river notes',
  `--${BOUNDARY}--`, '',
].join('\r\n');

function post(target: string, contentType: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: sockeye-e2e\r\nContent-Type: ${contentType}\r\nContent-Length: ${bytes.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

/** A list worth looking at: several methods, bodies of each kind, a malformed request. */
async function sendTraffic(h: Inspector): Promise<number> {
  const port = h.engineAddress.port;
  const requests: Array<string | Buffer> = [
    simpleGet('/'), simpleGet('/api/items?page=2&sort=name', 'Accept: application/json\r\n'),
    post('/api/items', 'application/json', JSON_BODY),
    post('/form', 'application/x-www-form-urlencoded', FORM_BODY),
    post('/upload', `multipart/form-data; boundary=${BOUNDARY}`, MULTIPART_BODY),
    post('/image', 'image/png', PNG),
    post('/binary', 'application/octet-stream', Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0x41, 0x42])),
    'DELETE /api/items/42 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    simpleGet('/health'),
  ];
  for (const r of requests) await exchange(port, r);
  const bad = await HttpConnection.open(port);
  await bad.write('POST /smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n');
  await bad.closedByServer();
  bad.close();
  return requests.length + 1;
}

async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  assert.ok(fs.statSync(file).size > 0, `${file} written`);
}

inspectorTest('screenshots: list, details (overview, headers, JSON, form, multipart, hex, image, raw), editor error, server error', async (h) => {
  const { page } = h;
  const total = await sendTraffic(h);
  await waitForCount(page, total);
  await shoot(page, 'list-with-traffic');

  await openRequest(page, '/api/items?page=2&sort=name');
  await openTab(page, 'overview');
  await byTestId(page, 'query-param-row').first().waitFor();
  await shoot(page, 'details-overview');

  await openRequest(page, '/api/items');
  await openTab(page, 'headers');
  await byTestId(page, 'header-row').first().waitFor();
  await shoot(page, 'details-headers');

  await chooseBodyViewer(page, 'json');
  await waitForText(page, 'body-view', 'to show the JSON', (t) => t.includes('Sockeye') && t.includes('salmon'));
  assert.equal(await byTestId(page, 'json-error').count(), 0, 'valid JSON shows no json-error');
  await shoot(page, 'body-json');

  await openRequest(page, '/form');
  await chooseBodyViewer(page, 'form');
  await waitForText(page, 'body-view', 'to show the form fields', (t) => t.includes('caught at dawn'));
  await shoot(page, 'body-form');

  await openRequest(page, '/upload');
  await chooseBodyViewer(page, 'multipart');
  await waitForText(page, 'body-view', 'to show the parts', (t) => t.includes('notes.txt') && t.includes('river notes'));
  await shoot(page, 'body-multipart');

  await openRequest(page, '/binary');
  await chooseBodyViewer(page, 'hex');
  await waitForText(page, 'body-view', 'to show hex', (t) => /fe\s*ff/i.test(t));
  await shoot(page, 'body-hex');

  await openRequest(page, '/image');
  await chooseBodyViewer(page, 'image');
  await waitFor('the image preview decoded', () => byTestId(page, 'body-view').locator('img').evaluate((img) =>
    ((img as HTMLImageElement).naturalWidth === 48 ? true : undefined)).catch(() => undefined));
  await shoot(page, 'body-image');

  await openTab(page, 'raw');
  await byTestId(page, 'raw-hex').waitFor();
  await shoot(page, 'details-raw');

  await openRequest(page, '/smuggle');
  await waitForText(page, 'detail-error', 'to name te-and-cl', (t) => t.includes('te-and-cl'));
  await shoot(page, 'details-malformed');

  await byTestId(page, 'response-status').fill('700');
  await page.locator('[data-testid="response-field-error"][data-field="status"]').waitFor();
  await shoot(page, 'response-editor-error');
  await byTestId(page, 'response-status').fill('200');

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, LOOPBACK, resolve));
  try {
    await byTestId(page, 'listen-port').fill(String((blocker.address() as { port: number }).port));
    await byTestId(page, 'listen-apply').click();
    await waitForText(page, 'server-status', 'to show the error', (t) => t.startsWith('error') && t.includes('EADDRINUSE'));
    await shoot(page, 'server-error');
  } finally {
    blocker.close();
  }
}, { colorScheme: 'light' });

/** The page background's brightness (0–255), from its computed color. */
function backgroundBrightness(page: Page): Promise<number> {
  return page.evaluate(() => {
    const pick = (el: Element | null): string => (el ? getComputedStyle(el).backgroundColor : '');
    const transparent = (c: string): boolean => c === '' || c === 'transparent' || /rgba\(.*,\s*0\)$/.test(c);
    let color = pick(document.body);
    if (transparent(color)) color = pick(document.documentElement);
    if (transparent(color)) color = pick(document.getElementById('root')?.firstElementChild ?? null);
    const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? ['255', '255', '255']).map(Number);
    return (r! * 299 + g! * 587 + b! * 114) / 1000;
  });
}

for (const scheme of ['light', 'dark'] as const) {
  inspectorTest(`screenshots: ${scheme} theme follows the system color scheme`, async (h) => {
    const total = await sendTraffic(h);
    await waitForCount(h.page, total);
    await openRequest(h.page, '/api/items');
    await chooseBodyViewer(h.page, 'json');
    await waitForText(h.page, 'body-view', 'to show the JSON', (t) => t.includes('Sockeye'));
    const brightness = await backgroundBrightness(h.page);
    if (scheme === 'dark') assert.ok(brightness < 100, `dark background expected, brightness ${brightness}`);
    else assert.ok(brightness > 155, `light background expected, brightness ${brightness}`);
    await shoot(h.page, `theme-${scheme}`);
  }, { colorScheme: scheme });
}
