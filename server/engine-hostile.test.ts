/**
 * Hostile clients (issue 4): clients that never read, slow and idle clients,
 * resets and noise. Each test checks counts and bytes, never a duration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CannedResponse } from '../common/canned-response';
import { MAX_OUTPUT_QUEUE_BYTES } from './engine';
import { RawClient, TestEngine } from './test/raw-client';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `read` until it returns the same value `quietPolls` times in a row (bounded by `timeoutMs`). */
async function settled(read: () => number, quietPolls = 6, pollMs = 50, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = read();
  let same = 0;
  while (same < quietPolls && Date.now() < deadline) {
    await sleep(pollMs);
    const v = read();
    same = v === last ? same + 1 : 0;
    last = v;
  }
  return last;
}

test('never-reading client with a large canned answer: queued output stays under the cap, others are served, then all drains', { timeout: 60_000 }, async () => {
  const BODY = 64 * 1024;
  const REQUESTS = 1000;
  const big: CannedResponse = { status: 200, reason: '', headers: [], body: 'y'.repeat(BODY), bodyEncoding: 'utf8' };
  const e = new TestEngine({ response: big });
  try {
    const other = await e.client();
    await other.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n');
    const answerLength = (await other.responses(1))[0]!.bytes.length;
    const base = e.engine.stats();

    // Tiny pipelined requests in one write: one 64 KiB read holds all of them.
    const hog = await e.client();
    hog.socket.pause();
    const reqs = Array.from({ length: REQUESTS }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
    void hog.write(reqs.join(''));
    await settled(() => e.engine.stats().requests);
    const st = e.engine.stats();
    const answered = st.requests - base.requests;
    const queued = answered * answerLength - (st.bytesSent - base.bytesSent);
    assert.ok(answered < REQUESTS, `the engine answered all ${REQUESTS} requests of a client that reads nothing`);
    // Parsing stops once the queue is over the cap: at most one more answer is queued past it.
    assert.ok(queued <= MAX_OUTPUT_QUEUE_BYTES + answerLength,
      `${queued} bytes queued for one client (${answered} answers of ${answerLength}); cap ${MAX_OUTPUT_QUEUE_BYTES}`);

    // Another client is unaffected.
    await other.write('GET /other HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await other.responses(2))[1]!.status, 200);

    hog.socket.resume();
    await hog.until((c) => c.receivedLength >= REQUESTS * answerLength, 'every answer', 30_000);
    assert.equal(hog.receivedLength, REQUESTS * answerLength);
    const recs = await e.waitForRecords(REQUESTS + 2, 10_000);
    const hogTargets = recs.filter((r) => r.peer.port === hog.socket.localPort).map((r) => r.target);
    assert.deepEqual(hogTargets, reqs.map((_, i) => `/${i}`));
    assert.ok(recs.every((r) => r.error === null && r.status === 200));
    assert.equal(e.engine.stats().internalErrors, 0);
  } finally {
    await e.stop();
  }
});
