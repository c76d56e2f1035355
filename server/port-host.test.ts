import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { decodeRecordBatch, isRecordBatch } from '../common/record-batch';
import type { EngineEvent } from '../common/wire-messages';
import type { CaptureRecord } from '../common/capture-record';
import { RawClient, TEST_TIMEOUT_MS } from './test/raw-client';
import { hostEngineOnPort } from './port-host';

/** Collects events from a worker and lets a test wait for one of a given type. */
function eventsOf(worker: Worker): { next: (type: EngineEvent['type']) => Promise<EngineEvent>; records: CaptureRecord[] } {
  const queue: EngineEvent[] = [];
  const records: CaptureRecord[] = [];
  let wake: (() => void) | null = null;
  worker.on('message', (m: EngineEvent) => {
    if (m.type === 'records') {
      assert.ok(isRecordBatch(m.batch), 'records arrived in the batch format');
      records.push(...decodeRecordBatch(m.batch));
    }
    queue.push(m);
    wake?.();
  });
  return {
    records,
    async next(type) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const i = queue.findIndex((e) => e.type === type);
        if (i >= 0) return queue.splice(i, 1)[0]!;
        if (Date.now() > deadline) throw new Error(`no ${type} event`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

test('an engine in a worker thread delivers batches over its port and obeys commands', async () => {
  const worker = new Worker(join(__dirname, 'test', 'port-worker.js'), { workerData: { port: 0 } });
  try {
    const ev = eventsOf(worker);
    const listening = await ev.next('listening');
    assert.equal(listening.type, 'listening');
    const port = listening.type === 'listening' ? listening.listeners[0]!.port : 0;

    const c = await RawClient.open(port);
    await c.write('POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi');
    await c.responses(1);
    await ev.next('records');
    assert.equal(ev.records[0]!.target, '/w');
    assert.equal(Buffer.from(ev.records[0]!.body).toString(), 'hi');

    worker.postMessage({ type: 'set-response', response: { status: 418, reason: '', headers: [], body: 'tea', bodyEncoding: 'utf8' } });
    assert.deepEqual(await ev.next('response-set'), { type: 'response-set', ok: true });
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const rs = await c.responses(2);
    assert.equal(rs[1]!.status, 418);
    assert.equal(rs[1]!.body.toString(), 'tea');

    worker.postMessage({ type: 'set-response', response: { status: 200, headers: [['X', 'a\nb']] } });
    const refused = await ev.next('response-set');
    assert.equal(refused.type === 'response-set' && refused.ok, false);

    worker.postMessage({ type: 'rm -rf' });
    const err = await ev.next('error');
    assert.match(err.type === 'error' ? err.message : '', /unknown command/);

    worker.postMessage({ type: 'get-stats' });
    const stats = await ev.next('stats');
    assert.equal(stats.type === 'stats' && stats.stats.requests, 2);

    c.destroy();
    worker.postMessage({ type: 'stop' });
    await ev.next('stopped');
    assert.equal(ev.records.length, 2);
  } finally {
    await worker.terminate();
  }
});

test('a port-hosted engine that cannot listen reports the error code instead of throwing', async () => {
  const first = new Worker(join(__dirname, 'test', 'port-worker.js'), { workerData: { port: 0 } });
  const second: Worker[] = [];
  try {
    const listening = await eventsOf(first).next('listening');
    const port = listening.type === 'listening' ? listening.listeners[0]!.port : 0;
    const w = new Worker(join(__dirname, 'test', 'port-worker.js'), { workerData: { port } });
    second.push(w);
    const err = await eventsOf(w).next('error');
    assert.equal(err.type === 'error' ? err.code : null, 'EADDRINUSE');
  } finally {
    await first.terminate();
    for (const w of second) await w.terminate();
  }
});

test('with a separate records port, records go there and control events stay on the command port', async () => {
  const control = new MessageChannel();
  const records = new MessageChannel();
  const controlEvents: EngineEvent[] = [];
  const recordEvents: EngineEvent[] = [];
  control.port2.on('message', (m: EngineEvent) => controlEvents.push(m));
  records.port2.on('message', (m: EngineEvent) => recordEvents.push(m));
  const engine = hostEngineOnPort(control.port1, { listen: [{ host: '127.0.0.1', port: 0 }], batchIntervalMs: 5 }, { recordsPort: records.port1 });
  assert.ok(engine, 'engine started');
  try {
    const c = await RawClient.open(engine.listeners[0]!.port);
    await c.write('GET /split HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.responses(1);
    c.destroy();
    const deadline = Date.now() + TEST_TIMEOUT_MS;
    while (recordEvents.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(recordEvents[0]?.type, 'records');
    const batch = recordEvents[0]!.type === 'records' ? recordEvents[0].batch : null;
    assert.equal(decodeRecordBatch(batch!)[0]!.target, '/split');
    assert.deepEqual(controlEvents.map((e) => e.type), ['listening'], 'no records on the control port');
  } finally {
    await engine.stop();
    control.port1.close();
    records.port1.close();
  }
});
