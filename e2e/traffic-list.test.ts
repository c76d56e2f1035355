/**
 * Chromium specs for the traffic list: a 20,000-request burst all counted with
 * only a window of rows in the DOM; filter, keyboard navigation, clear and the
 * copy actions.
 */
import * as assert from 'node:assert/strict';
import { inspectorTest } from './harness/spec';
import { exchange, simpleGet } from './harness/http-client';
import { sendBurst } from './harness/load';
import { byTestId, openRequest, requestCount, rowByTarget, rows, selectedRowIndexes, textOf, waitForCount, waitForText } from './harness/app';
import { waitFor } from './harness/wait';

const BURST_REQUESTS = 20_000;
const BURST_CONNECTIONS = 8;
const BURST_DEPTH = 100;
/** A virtualized list renders what fits on screen plus some overscan, never thousands. */
const MAX_RENDERED_ROWS = 200;
const BURST_SETTLE_MS = 60_000;

inspectorTest('20,000 requests in a burst are all counted while the DOM holds only a window of rows', async (h) => {
  const result = await sendBurst(h.engineAddress.port, { total: BURST_REQUESTS, connections: BURST_CONNECTIONS, depth: BURST_DEPTH });
  assert.equal(result.responses, BURST_REQUESTS, 'every request was answered');
  assert.deepEqual([...result.statusCounts], [[200, BURST_REQUESTS]]);
  await waitForCount(h.page, BURST_REQUESTS, BURST_SETTLE_MS);
  const stats = await h.engineStats();
  assert.equal(stats.requests, BURST_REQUESTS, 'the engine counted the same');
  assert.equal(stats.recordsDelivered, BURST_REQUESTS, 'the engine delivered every record');
  // Nothing arrives later to push the count past the total.
  await h.delivered();
  assert.equal(await requestCount(h.page), BURST_REQUESTS);

  const rendered = await rows(h.page).count();
  assert.ok(rendered > 0 && rendered < MAX_RENDERED_ROWS, `rendered rows: ${rendered}`);

  // The first and the last request are both held (the filter finds each alone).
  for (const i of [0, BURST_REQUESTS - 1]) {
    await byTestId(h.page, 'filter-input').fill(`/load/${i}`);
    await waitFor(`only /load/${i} listed`, async () => ((await rows(h.page).count()) === 1 ? true : undefined));
    await rowByTarget(h.page, `/load/${i}`).waitFor();
  }
}, { timeoutMs: 180_000 });

const TARGETS = ['/alpha', '/beta', '/gamma', '/delta'];

inspectorTest('filter, j/k and arrow keys, clear, and copy URL / copy as cURL', async (h) => {
  const { page } = h;
  const port = h.engineAddress.port;
  // Host with the port, as a real client sends it: a curl command rebuilds the URL from it.
  for (const t of TARGETS) {
    await exchange(port, `GET ${t} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${t === '/beta' ? 'X-Token: abc123\r\n' : ''}\r\n`);
  }
  await waitForCount(page, TARGETS.length);

  // Filter: one match, then all again.
  await byTestId(page, 'filter-input').fill('beta');
  await waitFor('only /beta listed', async () => ((await rows(page).count()) === 1 ? true : undefined));
  assert.equal(await byTestId(rows(page).first(), 'row-target').textContent(), '/beta');
  await byTestId(page, 'filter-input').fill('');
  await waitFor('all rows back', async () => ((await rows(page).count()) === TARGETS.length ? true : undefined));

  // Keyboard: select the first row in display order, then move down and up.
  const shownTargets = await byTestId(page, 'row-target').allTextContents();
  assert.deepEqual([...shownTargets].sort(), [...TARGETS].sort());
  await openRequest(page, shownTargets[0]!);
  const expectSelected = async (index: number, key: string): Promise<void> => {
    await waitFor(`row ${index} selected after ${key}`, async () => {
      const selected = await selectedRowIndexes(page);
      return selected.length === 1 && selected[0] === index ? true : undefined;
    }, { describe: async () => JSON.stringify(await selectedRowIndexes(page)) });
    await waitForText(page, 'detail-target', `to follow ${key}`, (t) => t === shownTargets[index]);
  };
  await expectSelected(0, 'click');
  await page.keyboard.press('j');
  await expectSelected(1, 'j');
  await page.keyboard.press('ArrowDown');
  await expectSelected(2, 'ArrowDown');
  await page.keyboard.press('k');
  await expectSelected(1, 'k');
  await page.keyboard.press('ArrowUp');
  await expectSelected(0, 'ArrowUp');

  // Copy URL: the server-url button and the shell action.
  const url = `http://127.0.0.1:${port}/`;
  assert.equal((await textOf(page, 'server-url'))?.trim(), url);
  await byTestId(page, 'server-url').click();
  await waitFor('the URL copied', () => (h.lastCopied() === url ? true : undefined), { describe: () => String(h.lastCopied()) });
  await h.sendAction('copy-url');
  assert.equal(h.lastCopied(), url);

  // Copy as cURL for /beta: its URL and its own header.
  await openRequest(page, '/beta');
  await byTestId(page, 'copy-curl').click();
  await waitFor('a curl command copied', () => (h.lastCopied()?.includes('curl') ? true : undefined), { describe: () => String(h.lastCopied()) });
  const curl = h.lastCopied()!;
  assert.ok(curl.includes(`http://127.0.0.1:${port}/beta`), curl);
  assert.ok(curl.includes('X-Token: abc123'), curl);
  await h.sendAction('copy-url'); // replace it, so the action below must copy again
  await h.sendAction('copy-curl');
  await waitFor('copy-curl action', () => (h.lastCopied()?.includes('/beta') ? true : undefined), { describe: () => String(h.lastCopied()) });

  // Clear empties the list and the count; new traffic counts from zero.
  await byTestId(page, 'clear-button').click();
  await waitForCount(page, 0);
  assert.equal(await rows(page).count(), 0);
  await exchange(port, simpleGet('/after-clear'));
  await waitForCount(page, 1);
  await h.sendAction('clear');
  await waitForCount(page, 0);
  assert.equal(await rows(page).count(), 0);
});
