import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { decodeRecordBatch } from '../common/record-batch';
import type { CaptureRecord } from '../common/capture-record';
import type { EngineEvent } from '../common/wire-messages';
import { TEST_TIMEOUT_MS } from './test/raw-client';

const FIXTURE = join(__dirname, 'test', 'utility-host-worker.js');
const RESPONSE = { status: 200, reason: '', headers: [['Content-Type', 'text/plain']], body: 'first', bodyEncoding: 'utf8' };

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + TEST_TIMEOUT_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A utility host in a worker: control events from the worker, records from whichever port the test hands over. */
function startHost(): { worker: Worker; events: EngineEvent[]; send: (data: unknown, port?: MessagePort) => void; next: (type: EngineEvent['type']) => Promise<EngineEvent> } {
  const worker = new Worker(FIXTURE);
  const events: EngineEvent[] = [];
  worker.on('message', (m: EngineEvent) => events.push(m));
  return {
    worker,
    events,
    send: (data, port) => (port ? worker.postMessage({ data, port }, [port]) : worker.postMessage({ data })),
    next: (type) =>
      until(`a ${type} event`, () => {
        const i = events.findIndex((e) => e.type === type);
        return i >= 0 ? events.splice(i, 1)[0] : undefined;
      }),
  };
}

function recordsOn(port: MessagePort): CaptureRecord[] {
  const records: CaptureRecord[] = [];
  port.on('message', (m: EngineEvent) => {
    if (m.type === 'records') records.push(...decodeRecordBatch(m.batch));
  });
  return records;
}

test('the utility host starts on a start message, sends records to the records port and obeys commands over the parent port', async () => {
  const first = new MessageChannel();
  const second = new MessageChannel();
  const h = startHost();
  try {
    const firstRecords = recordsOn(first.port2);
    const secondRecords = recordsOn(second.port2);
    h.send({ type: 'get-stats' });
    const early = await h.next('error');
    assert.match(early.type === 'error' ? early.message : '', /not running/);

    h.send({ type: 'start', listen: { host: '127.0.0.1', port: 0 }, response: RESPONSE }, first.port1);
    const listening = await h.next('listening');
    const port = listening.type === 'listening' ? listening.listeners[0]!.port : 0;
    assert.ok(port > 0);

    const a = await fetch(`http://127.0.0.1:${port}/one`, { method: 'POST', body: 'hi' });
    assert.equal(await a.text(), 'first');
    await until('the first record', () => firstRecords[0]);
    assert.equal(firstRecords[0]!.target, '/one');
    assert.equal(Buffer.from(firstRecords[0]!.body).toString(), 'hi');
    assert.ok(!h.events.some((e) => e.type === 'records'), 'no records on the control channel');

    h.send({ type: 'set-response', response: { ...RESPONSE, status: 201, body: 'second' } });
    assert.deepEqual(await h.next('response-set'), { type: 'response-set', ok: true });
    const b = await fetch(`http://127.0.0.1:${port}/two`);
    assert.equal(b.status, 201);
    assert.equal(await b.text(), 'second');

    // A reloaded renderer gets a new port: records follow it, the old one gets nothing more.
    await until('the second record on the first port', () => firstRecords[1]);
    h.send({ type: 'records-port' }, second.port1);
    const c = await fetch(`http://127.0.0.1:${port}/three`);
    await c.text();
    await until('a record on the second port', () => secondRecords[0]);
    assert.equal(secondRecords[0]!.target, '/three');
    assert.equal(firstRecords.length, 2);

    h.send({ type: 'start', listen: { host: '127.0.0.1', port: 0 }, response: RESPONSE });
    const again = await h.next('error');
    assert.match(again.type === 'error' ? again.message : '', /already started/);

    h.send({ type: 'stop' });
    await h.next('stopped');
  } finally {
    await h.worker.terminate();
    for (const p of [first.port2, second.port2]) p.close();
  }
});

test('the utility host refuses an invalid start message with every problem and starts nothing', async () => {
  const h = startHost();
  try {
    h.send({ type: 'start', listen: { host: 'localhost', port: 70000 }, response: { status: 99 } });
    const err = await h.next('error');
    assert.equal(err.type === 'error' ? err.code : null, 'EINVAL');
    const message = err.type === 'error' ? err.message : '';
    assert.match(message, /listen\.host/);
    assert.match(message, /listen\.port/);
    assert.match(message, /response\.status/);
    h.send({ type: 'records-port' });
    const noPort = await h.next('error');
    assert.match(noPort.type === 'error' ? noPort.message : '', /without a port refused/);
    // A stop still ends it cleanly.
    h.send({ type: 'stop' });
    await h.next('stopped');
    assert.ok(!h.events.some((e) => e.type === 'listening'));
  } finally {
    await h.worker.terminate();
  }
});

test('a utility host whose address is taken reports EADDRINUSE', async () => {
  const a = startHost();
  const b = startHost();
  try {
    a.send({ type: 'start', listen: { host: '127.0.0.1', port: 0 }, response: RESPONSE });
    const listening = await a.next('listening');
    const port = listening.type === 'listening' ? listening.listeners[0]!.port : 0;
    b.send({ type: 'start', listen: { host: '127.0.0.1', port }, response: RESPONSE });
    const err = await b.next('error');
    assert.equal(err.type === 'error' ? err.code : null, 'EADDRINUSE');
  } finally {
    await a.worker.terminate();
    await b.worker.terminate();
  }
});

test('records captured before any records port is attached are kept and delivered when one arrives', async () => {
  const h = startHost();
  const late = new MessageChannel();
  try {
    h.send({ type: 'start', listen: { host: '127.0.0.1', port: 0 }, response: RESPONSE });
    const listening = await h.next('listening');
    const port = listening.type === 'listening' ? listening.listeners[0]!.port : 0;
    await (await fetch(`http://127.0.0.1:${port}/early`)).text();
    // Wait until the engine has handed the batch on (to the queue, since no port is attached).
    let delivered = 0;
    for (let i = 0; i < 200 && delivered === 0; i++) {
      h.send({ type: 'get-stats' });
      const stats = await h.next('stats');
      delivered = stats.type === 'stats' ? stats.stats.recordsDelivered : 0;
      if (delivered === 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(delivered, 1, 'the engine handed its batch on before a port existed');
    const records = recordsOn(late.port2);
    h.send({ type: 'records-port' }, late.port1);
    await until('the queued record', () => records[0]);
    assert.equal(records[0]!.target, '/early');
  } finally {
    await h.worker.terminate();
    late.port2.close();
  }
});
