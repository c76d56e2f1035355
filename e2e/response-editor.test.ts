/**
 * Chromium specs: the response editor changes what the next request gets, and
 * an invalid edit shows its error inline and never reaches the engine.
 */
import * as assert from 'node:assert/strict';
import type { CannedResponse } from '../common/canned-response';
import type { Inspector } from './harness/inspector';
import { inspectorTest } from './harness/spec';
import { exchange, simpleGet } from './harness/http-client';
import { addResponseHeader, byTestId, checkStatusOutOfRange, waitForText } from './harness/app';
import { waitFor } from './harness/wait';

/** Wait until the app asked the harness to apply a response that `matches`, then until it says Applied. */
async function waitApplied(h: Inspector, what: string, matches: (r: CannedResponse) => boolean): Promise<void> {
  await waitFor(`the app to send ${what}`, () =>
    (h.responsesRequested as CannedResponse[]).some((r) => typeof r === 'object' && r !== null && matches(r)) ? true : undefined, {
    describe: () => JSON.stringify(h.responsesRequested.slice(-2)),
  });
  await waitForText(h.page, 'response-state', 'to say Applied', (t) => t.startsWith('Applied'));
}

const hasHeader = (r: CannedResponse, name: string, value: string): boolean => r.headers.some(([n, v]) => n === name && v === value);

inspectorTest('editing the response (status, header, body) changes what the next request gets', async (h) => {
  const before = await exchange(h.engineAddress.port, simpleGet('/before-edit'));
  assert.equal(before.status, 200);

  const page = h.page;
  await byTestId(page, 'response-editor').waitFor();
  await byTestId(page, 'response-status').fill('201');
  await addResponseHeader(page, 'X-Edited', 'by the e2e spec');
  await byTestId(page, 'response-body').fill('created by e2e');
  await waitApplied(h, 'the edited response', (r) => r.status === 201 && hasHeader(r, 'X-Edited', 'by the e2e spec') && r.body === 'created by e2e');

  const after = await exchange(h.engineAddress.port, simpleGet('/after-edit'));
  assert.equal(after.status, 201);
  assert.match(after.bytes.toString('latin1'), /^HTTP\/1\.1 201 /);
  assert.deepEqual(after.headers.filter(([n]) => n === 'X-Edited'), [['X-Edited', 'by the e2e spec']]);
  assert.equal(after.body.toString('utf8'), 'created by e2e');
});

inspectorTest('an invalid edit shows its inline error and is never sent; the last valid response stays', async (h) => {
  const page = h.page;
  await byTestId(page, 'response-editor').waitFor();
  await byTestId(page, 'response-status').fill('202');
  await byTestId(page, 'response-body').fill('last good');
  await waitApplied(h, 'the valid response', (r) => r.status === 202 && r.body === 'last good');

  // A status out of range.
  await checkStatusOutOfRange(page, '202');

  // A header value with CR/LF (a text <input> drops line breaks itself; then the value must be clean) and one with a control character.
  await addResponseHeader(page, 'X-Split', 'a\r\nInjected: yes');
  const typed = await byTestId(byTestId(page, 'response-header-row').last(), 'response-header-value').inputValue();
  if (/[\r\n]/.test(typed)) {
    await page.locator('[data-testid="response-field-error"][data-field^="headers"]').first().waitFor();
  }
  await byTestId(byTestId(page, 'response-header-row').last(), 'response-header-value').fill('bell\u0007here');
  const headerError = page.locator('[data-testid="response-field-error"][data-field^="headers"]');
  await headerError.first().waitFor();
  assert.match((await headerError.first().getAttribute('data-field')) ?? '', /^headers\[\d+\]/);
  await waitForText(page, 'response-state', 'to say Not applied', (t) => t.startsWith('Not applied'));

  const next = await exchange(h.engineAddress.port, simpleGet('/after-invalid'));
  assert.equal(next.status, 202, 'the engine still answers with the last valid response');
  assert.equal(next.body.toString(), 'last good');
  const sent = h.responsesRequested as CannedResponse[];
  assert.equal(sent.filter((r) => r.status === 700).length, 0, 'status 700 was never sent');
  assert.equal(sent.filter((r) => r.headers.some(([, v]) => /[\r\n\u0007]/.test(v))).length, 0, 'no invalid header value was sent');
});
