/**
 * Slow and idle clients (issue 4): a normal request's latency with no other
 * clients, then with 1,000 idle connections and 200 slow-loris clients that
 * send their head one byte per second (engine defaults: head timeout 30 s,
 * idle timeout 120 s, so they stay for the whole measurement).
 *
 *   npx tsc -b bench && node build/bench/hostile-slow.js
 *   SLOW_IDLE=1000 SLOW_LORIS=200 SLOW_REQUESTS=2000 node build/bench/hostile-slow.js
 *
 * Reports p50/p99 of a keep-alive round trip and of a new-connection request,
 * and the ratios with/without. Informational: exit 1 only when something failed.
 */
import type { Socket } from 'node:net';
import { BenchEngine, openSocket, percentile, readBytes, sleep, envNumber } from './hostile-engine';

const IDLE = envNumber('SLOW_IDLE', 1000);
const LORIS = envNumber('SLOW_LORIS', 200);
const REQUESTS = envNumber('SLOW_REQUESTS', 2000);
/** One byte per second per slow client, as the issue says. */
const LORIS_INTERVAL_MS = 1000;
const LORIS_HEAD = `GET /loris HTTP/1.1\r\nHost: a\r\nX-Slow: ${'s'.repeat(200)}`;
const REQUEST = 'GET /normal HTTP/1.1\r\nHost: a\r\n\r\n';
const CLOSE_REQUEST = 'GET /normal HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
const CONNECT_PARALLEL = 100;

interface Latency { keepAliveP50: number; keepAliveP99: number; newConnP50: number; newConnP99: number }

async function measure(e: BenchEngine, answerLength: number): Promise<Latency> {
  const s = await openSocket(e.port);
  const keepAlive: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const got = readBytes(s, answerLength);
    s.write(REQUEST);
    await got;
    keepAlive.push(performance.now() - t0);
  }
  s.destroy();
  const fresh: number[] = [];
  for (let i = 0; i < REQUESTS / 10; i++) {
    const t0 = performance.now();
    const c = await openSocket(e.port);
    const closed = new Promise((r) => c.once('close', r));
    c.on('data', () => {});
    c.write(CLOSE_REQUEST);
    await closed;
    fresh.push(performance.now() - t0);
  }
  keepAlive.sort((a, b) => a - b);
  fresh.sort((a, b) => a - b);
  return { keepAliveP50: percentile(keepAlive, 50), keepAliveP99: percentile(keepAlive, 99), newConnP50: percentile(fresh, 50), newConnP99: percentile(fresh, 99) };
}

async function openMany(port: number, count: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < count; i += CONNECT_PARALLEL) {
    out.push(...await Promise.all(Array.from({ length: Math.min(CONNECT_PARALLEL, count - i) }, () => openSocket(port))));
  }
  for (const s of out) s.on('error', () => {});
  return out;
}

async function main(): Promise<number> {
  const e = await BenchEngine.start();
  const hostile: Socket[] = [];
  let ticker: NodeJS.Timeout | null = null;
  try {
    // The answer's length (fixed: the Date field has a fixed width).
    const probe = await openSocket(e.port);
    const answer = await new Promise<Buffer>((resolve) => { probe.once('data', resolve); probe.write(REQUEST); });
    probe.destroy();
    await measure(e, answer.length); // warm-up
    const quiet = await measure(e, answer.length);

    hostile.push(...await openMany(e.port, IDLE));
    const loris = await openMany(e.port, LORIS);
    hostile.push(...loris);
    let sent = 0;
    const tick = (): void => {
      for (const s of loris) if (!s.destroyed) s.write(LORIS_HEAD[sent % LORIS_HEAD.length]!);
      sent++;
    };
    tick();
    ticker = setInterval(tick, LORIS_INTERVAL_MS);
    await sleep(2000);
    const before = await e.stats();
    const busy = await measure(e, answer.length);
    const after = await e.stats();
    const held = Math.min(before.connectionsOpen, after.connectionsOpen);

    const row = (name: string, q: number, b: number): string => `${name.padEnd(26)} ${q.toFixed(3).padStart(8)} ms ${b.toFixed(3).padStart(8)} ms   ratio ${(b / q).toFixed(2)}`;
    console.log(`hostile-slow: ${IDLE} idle + ${LORIS} slow-loris (1 byte / ${LORIS_INTERVAL_MS} ms) connections; ${REQUESTS} keep-alive requests, ${REQUESTS / 10} new connections`);
    console.log(`${''.padEnd(26)} ${'alone'.padStart(11)} ${'with them'.padStart(11)}`);
    console.log(row('keep-alive p50', quiet.keepAliveP50, busy.keepAliveP50));
    console.log(row('keep-alive p99', quiet.keepAliveP99, busy.keepAliveP99));
    console.log(row('new connection p50', quiet.newConnP50, busy.newConnP50));
    console.log(row('new connection p99', quiet.newConnP99, busy.newConnP99));
    console.log(`engine held >= ${held} connections during the measurement; slow bytes sent per client: ${sent}; engine CPU so far ${e.usage().cpuTicks} ticks`);
    return held >= IDLE + LORIS ? 0 : 1;
  } finally {
    if (ticker) clearInterval(ticker);
    for (const s of hostile) s.destroy();
    await e.stop();
  }
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
