/**
 * The harness itself, with a tiny test page instead of the renderer: batches
 * reach the page as real RecordBatch objects in order, and every InspectorApi
 * call reaches the real engine. If these fail, the renderer specs mean nothing.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { decodeRecordBatch, isRecordBatch, type RecordBatch } from '../common/record-batch';
import type { EngineStatus } from '../common/inspector-api';
import { cannotRunReason } from './harness/browser';
import { startInspector, type Inspector } from './harness/inspector';
import { exchange, simpleGet, LOOPBACK } from './harness/http-client';
import { sendBurst } from './harness/load';
import { waitFor } from './harness/wait';

const TEST_TIMEOUT_MS = 90_000;
const BURST = 3000;

/** Keeps every batch and status it is given, on window.__got. */
const TEST_PAGE = `<!doctype html><html><body><script>
  window.__got = { batches: [], statuses: [], actions: [], init: null };
  window.sockeye.init().then((init) => { window.__got.init = init; });
  window.sockeye.onRecords((b) => window.__got.batches.push(b));
  window.sockeye.onStatus((s) => window.__got.statuses.push(s));
  window.sockeye.onAction((a) => window.__got.actions.push(a));
</script></body></html>`;

interface Got {
  batches: RecordBatch[];
  statuses: EngineStatus[];
  actions: string[];
  init: unknown;
}

const got = (h: Inspector): Promise<Got> => h.page.evaluate(() => (window as unknown as { __got: Got }).__got);

const skip = cannotRunReason(false);
if (skip) console.log(`# e2e harness tests skipped: ${skip}`);

async function withHarness(fn: (h: Inspector) => Promise<void>): Promise<void> {
  const h = await startInspector({ indexHtml: TEST_PAGE });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

test('harness: records reach the page as RecordBatch typed arrays, in id order, none lost', { skip: skip ?? false, timeout: TEST_TIMEOUT_MS }, () => withHarness(async (h) => {
  const result = await sendBurst(h.engineAddress.port, { total: BURST, connections: 4, depth: 50 });
  assert.equal(result.responses, BURST);
  const stats = await h.engineStats();
  assert.equal(stats.requests, BURST);
  await waitFor(`${BURST} records in the page`, async () => {
    await h.delivered();
    const n = await h.page.evaluate(() => (window as unknown as { __got: Got }).__got.batches.reduce((s, b) => s + b.count, 0));
    return n >= BURST ? n : undefined;
  });
  const types = await h.page.evaluate(() => (window as unknown as { __got: Got }).__got.batches.every((b) =>
    b.bytes instanceof Uint8Array && b.ints instanceof Int32Array && b.floats instanceof Float64Array));
  assert.equal(types, true, 'typed arrays in the page');
  const { batches } = await got(h);
  const records = batches.flatMap((b) => {
    assert.ok(isRecordBatch(b));
    return decodeRecordBatch(b);
  });
  assert.equal(records.length, BURST);
  records.forEach((r, i) => assert.equal(r.id, records[0]!.id + i, 'ids ascend without gaps'));
  const targets = new Set(records.map((r) => r.target));
  for (let i = 0; i < BURST; i++) assert.ok(targets.has(`/load/${i}`), `record for /load/${i}`);
}));

test('harness: init, setResponse (valid and refused), copyText and actions reach their ends', { skip: skip ?? false, timeout: TEST_TIMEOUT_MS }, () => withHarness(async (h) => {
  const init = (await got(h)).init as { mode: string; listen: { port: number }; status: EngineStatus };
  assert.equal(init.mode, 'desktop');
  assert.equal(init.listen.port, h.engineAddress.port);
  assert.equal(init.status.state, 'listening');

  const ok = await h.page.evaluate(() => window.sockeye.setResponse({ status: 201, reason: '', headers: [['X-Test', 'yes']], body: 'made', bodyEncoding: 'utf8' }));
  assert.deepEqual(ok, { ok: true });
  const response = await exchange(h.engineAddress.port, simpleGet('/after'));
  assert.equal(response.status, 201);
  assert.deepEqual(response.headers.find(([n]) => n === 'X-Test'), ['X-Test', 'yes']);
  assert.equal(response.body.toString(), 'made');

  const refused = await h.page.evaluate(() => window.sockeye.setResponse({ status: 700, reason: '', headers: [], body: '', bodyEncoding: 'utf8' }));
  assert.equal(refused.ok, false);
  assert.equal((await exchange(h.engineAddress.port, simpleGet('/again'))).status, 201, 'a refused response is not applied');

  await h.page.evaluate(() => window.sockeye.copyText('copied text'));
  assert.equal(h.lastCopied(), 'copied text');
  await h.sendAction('clear');
  assert.deepEqual((await got(h)).actions, ['clear']);
}));

test('harness: setListen on a port in use reports error EADDRINUSE, then listens on a free one', { skip: skip ?? false, timeout: TEST_TIMEOUT_MS }, () => withHarness(async (h) => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, LOOPBACK, resolve));
  const busyPort = (blocker.address() as { port: number }).port;
  try {
    assert.deepEqual(await h.page.evaluate((port) => window.sockeye.setListen({ host: '127.0.0.1', port }), busyPort), { ok: true });
    // setListen answers once the new engine is forked; whether it listens arrives as status events.
    const status = await waitFor('the engine to fail on the busy port', () => (h.status().state === 'starting' ? undefined : h.status()));
    await h.delivered();
    assert.equal(status.state, 'error');
    assert.equal(status.state === 'error' ? status.code : null, 'EADDRINUSE');
    const states = (await got(h)).statuses.map((s) => s.state);
    assert.deepEqual(states.slice(-2), ['starting', 'error']);
  } finally {
    blocker.close();
  }
  const invalid = await h.page.evaluate(() => window.sockeye.setListen({ host: 'localhost', port: 0 }));
  assert.equal(invalid.ok, false);
  // The blocker is gone: the same port is free now.
  assert.deepEqual(await h.page.evaluate((port) => window.sockeye.setListen({ host: '127.0.0.1', port }), busyPort), { ok: true });
  await waitFor('the engine to listen on the freed port', () => (h.status().state === 'listening' ? true : undefined), { describe: () => JSON.stringify(h.status()) });
  assert.equal((await exchange(busyPort, simpleGet('/moved'))).status, 200);
}));

test('harness: a killed engine is reported crashed and comes back', { skip: skip ?? false, timeout: TEST_TIMEOUT_MS }, () => withHarness(async (h) => {
  await h.killEngine();
  await waitFor('the engine to listen again', () => (h.status().state === 'listening' ? true : undefined));
  await h.delivered();
  const states = (await got(h)).statuses.map((s) => s.state);
  assert.deepEqual(states.slice(-3), ['crashed', 'starting', 'listening']);
  assert.equal((await exchange(h.engineAddress.port, simpleGet('/back'))).status, 200);
}));
