/**
 * Hostile clients (issue 4): clients that never read, slow and idle clients,
 * resets and noise. Each test checks counts and bytes, never a duration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CannedResponse } from '../common/canned-response';
import { ACCEPT_BACKOFF_MS, MAX_OUTPUT_QUEUE_BYTES } from './engine';
import { EngineProcess, prlimitAvailable } from './test/engine-process';
import { RawClient, TestEngine, splitResponses } from './test/raw-client';
import { eventually as waitUntil } from './test/eventually';
import { TestRandom } from './http/test/random';

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

/** eventually() with this file's bounds: 10 s, polled every 10 ms. */
const eventually = (predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => waitUntil(predicate, what, timeoutMs, 10);

/** Open `count` clients, `parallel` connects at a time. */
async function openMany(e: TestEngine, count: number, parallel = 100): Promise<RawClient[]> {
  const out: RawClient[] = [];
  for (let i = 0; i < count; i += parallel) {
    out.push(...await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, () => e.client())));
  }
  return out;
}

const IDLE_CLIENTS = 1000;
const SLOW_CLIENTS = 200;
/** A head that never completes; slow clients send it one byte per tick. */
const SLOW_HEAD = `GET /slow HTTP/1.1\r\nHost: a\r\nX-Slow: ${'s'.repeat(500)}`;
/** Test-sized stand-ins for "one byte per second" and the default timeouts (bench/hostile-slow measures the real ones). */
const SLOW_TICK_MS = 50;
const SLOW_HEAD_TIMEOUT_MS = 2000;
const SLOW_IDLE_TIMEOUT_MS = 8000;

test('1,000 idle and 200 slow-loris connections: a normal request is answered; slow heads get 408 and a record, idle ones are closed and counted', { timeout: 60_000 }, async () => {
  const e = new TestEngine({ headTimeoutMs: SLOW_HEAD_TIMEOUT_MS, idleTimeoutMs: SLOW_IDLE_TIMEOUT_MS });
  let ticker: NodeJS.Timeout | null = null;
  try {
    const idle = await openMany(e, IDLE_CLIENTS);
    const slow = await openMany(e, SLOW_CLIENTS);
    // (localPort is gone once a socket is closed.)
    const slowPorts = new Set(slow.map((c) => c.socket.localPort));
    const sent = new Map<RawClient, number>(slow.map((c) => [c, 0]));
    const tick = (): void => {
      for (const c of slow) {
        const n = sent.get(c)!;
        if (c.closed || c.receivedLength > 0 || n >= SLOW_HEAD.length) continue;
        c.socket.write(SLOW_HEAD[n]!);
        sent.set(c, n + 1);
      }
    };
    tick();
    ticker = setInterval(tick, SLOW_TICK_MS);

    // A normal client, while every slow and idle connection is held.
    const normal = await e.client();
    for (let i = 0; i < 5; i++) {
      await normal.write(`GET /normal/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      assert.equal((await normal.responses(i + 1))[i]!.status, 200);
    }
    assert.ok(e.engine.stats().connectionsOpen >= IDLE_CLIENTS + SLOW_CLIENTS + 1, JSON.stringify(e.engine.stats()));

    // Every slow head times out: exactly one 408 each, then closed.
    await Promise.all(slow.map((c) => c.until((x) => x.closed, 'a slow client to be closed', 20_000)));
    for (const c of slow) {
      assert.deepEqual(splitResponses(c.received).responses.map((r) => r.status), [408]);
    }
    // Idle connections are closed without an answer.
    await Promise.all(idle.map((c) => c.until((x) => x.closed, 'an idle client to be closed', 30_000)));
    assert.ok(idle.every((c) => c.receivedLength === 0), 'an idle connection got bytes');
    normal.destroy();
    await eventually(() => e.engine.stats().connectionsOpen === 0, 'all connections closed');
    await eventually(() => e.records.length >= SLOW_CLIENTS + 5, 'records');
    await sleep(50);

    const st = e.engine.stats();
    assert.equal(st.connectionsAccepted, IDLE_CLIENTS + SLOW_CLIENTS + 1);
    assert.equal(st.connectionsWithoutRequest, IDLE_CLIENTS);
    assert.equal(e.records.length, SLOW_CLIENTS + 5);
    const slowRecords = e.records.filter((r) => slowPorts.has(r.peer.port));
    assert.equal(new Set(slowRecords.map((r) => r.peer.port)).size, SLOW_CLIENTS);
    for (const r of slowRecords) {
      assert.equal(r.error, 'head-timeout');
      assert.equal(r.status, 408);
      const raw = Buffer.from(r.raw).toString('latin1');
      assert.ok(raw.length > 0 && SLOW_HEAD.startsWith(raw), `slow record raw ${JSON.stringify(raw)}`);
    }
    assert.deepEqual(e.records.filter((r) => r.error === null).map((r) => r.target), [0, 1, 2, 3, 4].map((i) => `/normal/${i}`));
    assert.equal(st.internalErrors, 0);
  } finally {
    if (ticker) clearInterval(ticker);
    await e.stop();
  }
});

/** What one hostile client does once connected; `expect` says how the engine must account for it. */
interface HostileKind {
  name: string;
  /** 'record': at least one record for the connection; 'counted': none, counted in connectionsWithoutRequest. */
  expect: 'record' | 'counted';
  /** Bytes written first; the client waits until the engine has read them all. */
  send: string | Buffer;
  /** After the engine read `send`: how the client leaves. */
  then: 'reset' | 'close' | 'half-close' | 'reset-after-answer' | 'reset-mid-answer';
}

const GET = 'GET /ok HTTP/1.1\r\nHost: a\r\n\r\n';
const TLS_CLIENT_HELLO = Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '0000020035010000760000', 'hex');

function hostileKinds(): HostileKind[] {
  const kinds: HostileKind[] = [
    { name: 'nothing, then close', expect: 'counted', send: '', then: 'close' },
    { name: 'nothing, then reset', expect: 'counted', send: '', then: 'reset' },
    { name: 'only empty lines, then close', expect: 'counted', send: '\r\n\r\n\n', then: 'close' },
    { name: 'reset mid-head', expect: 'record', send: 'GET /a HTTP/1.1\r\nHo', then: 'reset' },
    { name: 'close mid-head', expect: 'record', send: 'GET /a HTTP/1.1\r\nHo', then: 'close' },
    { name: 'half-close mid-head', expect: 'record', send: 'GET /a HT', then: 'half-close' },
    { name: 'reset mid-body (Content-Length)', expect: 'record', send: 'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc', then: 'reset' },
    { name: 'reset mid-body (chunked)', expect: 'record', send: 'POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc', then: 'reset' },
    { name: 'close mid-body', expect: 'record', send: 'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc', then: 'close' },
    { name: 'half-close after a request', expect: 'record', send: GET, then: 'half-close' },
    { name: 'reset after its answer', expect: 'record', send: GET, then: 'reset-after-answer' },
    { name: 'reset mid-answer', expect: 'record', send: GET.repeat(4), then: 'reset-mid-answer' },
    { name: 'pipelined, then reset unread', expect: 'record', send: GET.repeat(20), then: 'reset' },
    { name: 'text garbage', expect: 'record', send: 'hello there, are you a server?\r\n\r\n', then: 'close' },
    { name: 'NUL bytes', expect: 'record', send: Buffer.alloc(64), then: 'close' },
    { name: 'TLS ClientHello', expect: 'record', send: TLS_CLIENT_HELLO, then: 'close' },
    { name: 'HTTP/2 preface', expect: 'record', send: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', then: 'close' },
    { name: 'header section too large', expect: 'record', send: `GET / HTTP/1.1\r\nHost: a\r\nX: ${'x'.repeat(70_000)}\r\n\r\n`, then: 'close' },
    { name: 'bad chunk size', expect: 'record', send: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', then: 'close' },
  ];
  const rng = new TestRandom(0x4e015e);
  for (let i = 0; i < 20; i++) {
    let noise = rng.bytes(rng.range(1, 300));
    if (noise.every((b) => b === 0x0d || b === 0x0a)) noise = Buffer.from('x');
    kinds.push({ name: `binary noise #${i}`, expect: 'record', send: Buffer.from(noise), then: rng.pick(['close', 'reset', 'half-close'] as const) });
  }
  return kinds;
}

test('resets mid-head, mid-body and mid-answer, half-closes, garbage and noise: every connection is recorded or counted, exactly', { timeout: 60_000 }, async () => {
  const e = new TestEngine({ response: { status: 200, reason: '', headers: [], body: 'r'.repeat(1024 * 1024), bodyEncoding: 'utf8' } });
  const kinds = hostileKinds();
  const portOf = new Map<number, HostileKind>();
  try {
    for (const kind of kinds) {
      const before = e.engine.stats();
      const c = await e.client();
      portOf.set(c.socket.localPort!, kind);
      // Act only once the engine has accepted the connection and read every byte: a reset
      // before that would make the kernel, not the engine, drop them.
      await eventually(() => e.engine.stats().connectionsAccepted === before.connectionsAccepted + 1, `accept (${kind.name})`);
      const bytes = typeof kind.send === 'string' ? Buffer.from(kind.send, 'latin1') : kind.send;
      if (bytes.length > 0) await c.write(bytes);
      await eventually(() => e.engine.stats().bytesRead >= before.bytesRead + bytes.length, `the engine to read (${kind.name})`);
      switch (kind.then) {
        case 'reset': c.socket.resetAndDestroy(); break;
        case 'close': c.destroy(); break;
        case 'half-close': c.socket.end(); await c.until((x) => x.closed, 'close', 10_000); break;
        case 'reset-after-answer': await c.responses(1, undefined, 10_000); c.socket.resetAndDestroy(); break;
        case 'reset-mid-answer': await c.until((x) => x.receivedLength > 0, 'the answer to start'); c.socket.resetAndDestroy(); break;
      }
    }
    await eventually(() => e.engine.stats().connectionsOpen === 0, 'every connection to close');
    await sleep(50);
    const st = e.engine.stats();
    assert.equal(st.connectionsAccepted, kinds.length);
    assert.equal(st.internalErrors, 0);

    const recordsByKind = new Map<HostileKind, number>();
    for (const r of e.records) {
      const kind = portOf.get(r.peer.port);
      assert.ok(kind, `a record from an unknown peer ${r.peer.port}`);
      recordsByKind.set(kind, (recordsByKind.get(kind) ?? 0) + 1);
    }
    for (const kind of kinds) {
      const n = recordsByKind.get(kind) ?? 0;
      if (kind.expect === 'record') assert.ok(n >= 1, `${kind.name}: no record`);
      else assert.equal(n, 0, `${kind.name}: recorded`);
    }
    // Recorded + counted = accepted: no connection is lost or counted twice.
    assert.equal(recordsByKind.size + st.connectionsWithoutRequest, st.connectionsAccepted, JSON.stringify(st));
    assert.equal(st.connectionsWithoutRequest, kinds.filter((k) => k.expect === 'counted').length);
    // Pipelined requests are each recorded or (unparsed when the client vanished) kept as bytes.
    const piped = e.records.filter((r) => portOf.get(r.peer.port)?.name === 'pipelined, then reset unread');
    // Each pipelined request is its own record, whether its answer was written or still held back by the output cap.
    assert.deepEqual(piped.map((r) => [r.error, Buffer.from(r.raw).toString('latin1')]), Array.from({ length: 20 }, () => [null, GET]));

    // The engine still serves.
    const after = await e.client();
    await after.write(GET);
    assert.equal((await after.responses(1, undefined, 10_000))[0]!.status, 200);
  } finally {
    await e.stop();
  }
});

/** `ulimit -n 256` for the engine process, and four times as many clients as it can hold. */
const LOW_FD_LIMIT = 256;
const CROWD = 1000;

test('descriptor limit 256 and 1,000 clients at once: accepting backs off, each client is served as others leave, descriptors return to baseline', { timeout: 60_000 }, async (t) => {
  if (!prlimitAvailable()) {
    t.skip('prlimit not installed (util-linux)');
    return;
  }
  const p = await EngineProcess.start({}, LOW_FD_LIMIT);
  const clients: RawClient[] = [];
  try {
    // Warm up so lazily opened descriptors (koffi, libuv) are in the baseline.
    const warm = await RawClient.open(p.port);
    await warm.write('GET /warm HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await warm.closedByServer();
    await eventually(() => p.last?.stats.connectionsOpen === 0 && p.last.records === 1, 'the warm-up to finish');
    const baseline = p.usage().fds;
    const started = Date.now();

    // All at once: the kernel completes the handshakes into the listen backlog.
    clients.push(...await Promise.all(Array.from({ length: CROWD }, () => RawClient.open(p.port))));
    await Promise.all(clients.map((c, i) => c.write(`GET /crowd/${i} HTTP/1.1\r\nHost: a\r\n\r\n`)));
    const servedAtOnce = await settled(() => clients.filter((c) => c.receivedLength > 0).length);
    assert.ok(p.alive, `the engine died: ${p.stderr}`);
    assert.ok(servedAtOnce > 0 && servedAtOnce < LOW_FD_LIMIT, `served ${servedAtOnce} keep-alive clients with ${LOW_FD_LIMIT} descriptors`);
    assert.ok((await p.fresh()).stats.acceptPauses > 0, 'accepting never paused');

    // Served clients leave; the engine accepts the waiting ones and serves them, until all are served.
    const deadline = Date.now() + 45_000;
    while (clients.some((c) => !c.closed) && Date.now() < deadline) {
      for (const c of clients) if (!c.closed && c.receivedLength > 0) c.destroy();
      await sleep(20);
    }
    const rs = await Promise.all(clients.map((c) => c.responses(1, undefined, 1)));
    assert.deepEqual(new Set(rs.map((r) => r[0]!.status)), new Set([200]));

    // Fully recovered: a new client is answered; every record arrived; descriptors are back to baseline.
    const fresh = await RawClient.open(p.port);
    clients.push(fresh);
    await fresh.write('GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal((await fresh.responses(1, undefined, 10_000))[0]!.status, 200);
    await eventually(() => p.last?.stats.connectionsOpen === 0 && p.last.records === CROWD + 2, 'every record and close', 10_000);
    const last = await p.fresh();
    assert.equal(last.recordsOk, CROWD + 2);
    assert.equal(last.stats.connectionsAccepted, CROWD + 2);
    assert.equal(last.stats.internalErrors, 0);
    assert.equal(p.usage().fds, baseline);
    // Not a spin: one pause per back-off period at most (a spinning accept loop pauses thousands of times).
    const periods = (Date.now() - started) / ACCEPT_BACKOFF_MS;
    assert.ok(last.stats.acceptPauses <= periods + 1, `${last.stats.acceptPauses} accept pauses in ${periods.toFixed(0)} back-off periods`);
  } finally {
    for (const c of clients) c.destroy();
    await p.stop();
  }
});

test('no lost capture: keep-alive and pipelined load, records equal the responses clients received, exactly', { timeout: 60_000 }, async () => {
  const KEEP_ALIVE_CONNECTIONS = 40;
  const KEEP_ALIVE_REQUESTS = 50;
  const PIPELINED_CONNECTIONS = 20;
  const ROUNDS = 20;
  const DEPTH = 16;
  const e = new TestEngine();
  try {
    const sent: string[] = [];
    let received = 0;
    const keepAlive = Array.from({ length: KEEP_ALIVE_CONNECTIONS }, async (_, k) => {
      const c = await e.client();
      for (let i = 0; i < KEEP_ALIVE_REQUESTS; i++) {
        const target = `/ka/${k}/${i}`;
        sent.push(target);
        await c.write(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
        await c.responses(i + 1);
      }
      received += splitResponses(c.received).responses.length;
      c.destroy();
    });
    const pipelined = Array.from({ length: PIPELINED_CONNECTIONS }, async (_, k) => {
      const c = await e.client();
      for (let round = 0; round < ROUNDS; round++) {
        let batch = '';
        for (let i = 0; i < DEPTH; i++) {
          const target = `/pl/${k}/${round}/${i}`;
          sent.push(target);
          batch += `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`;
        }
        await c.write(batch);
        await c.responses((round + 1) * DEPTH);
      }
      received += splitResponses(c.received).responses.length;
      c.destroy();
    });
    await Promise.all([...keepAlive, ...pipelined]);
    await eventually(() => e.engine.stats().connectionsOpen === 0, 'every connection to close');
    await sleep(50);
    const total = KEEP_ALIVE_CONNECTIONS * KEEP_ALIVE_REQUESTS + PIPELINED_CONNECTIONS * ROUNDS * DEPTH;
    assert.equal(received, total);
    assert.equal(e.records.length, received);
    assert.equal(e.engine.stats().recordsDelivered, received);
    assert.deepEqual(e.records.map((r) => r.target).sort(), sent.sort());
    assert.ok(e.records.every((r) => r.error === null && r.timestamps.responseWritten !== null));
  } finally {
    await e.stop();
  }
});
