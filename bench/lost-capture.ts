/**
 * No lost capture (issue 4): under wrk load with keep-alive and with
 * pipelining, records delivered must equal the responses clients received,
 * exactly; after 100,000 connections, descriptors and RSS of the engine are
 * back to baseline.
 *
 *   npx tsc -b bench && node build/bench/lost-capture.js
 *   LOST_SECONDS=5 LOST_CONNECTIONS=50 LOST_CHURN=100000 node build/bench/lost-capture.js
 *
 * Exactness with wrk: bench/wrk/exact-count.lua, after LOST_SECONDS, sends
 * only heads that never end, so nothing is in flight when wrk stops and its
 * count of responses read is exact. Exit 1 when a count differs.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BenchEngine, mib, openSocket, sleep, envNumber } from './hostile-engine';

const ROOT = path.join(__dirname, '..', '..');
const WRK = '/usr/bin/wrk';
const LUA = path.join(ROOT, 'bench', 'wrk', 'exact-count.lua');
const SECONDS = envNumber('LOST_SECONDS', 5);
const CONNECTIONS = envNumber('LOST_CONNECTIONS', 50);
const CHURN = envNumber('LOST_CHURN', 100_000);
/** Parallel clients of the churn phase. */
const CHURN_PARALLEL = 64;
const CHURN_WARMUP = 2000;
/** wrk gets this long past its duration before it is killed. */
const WRK_GRACE_MS = 15_000;
/** Time for the hold heads to be sent and idle before wrk stops. */
const HOLD_SECONDS = 2;

async function runWrk(port: number, depth: number): Promise<{ responses: number; holds: number; output: string }> {
  const args = ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS + HOLD_SECONDS}s`, '--timeout', '30s', '-s', LUA, `http://127.0.0.1:${port}/`, '--', String(depth), String(SECONDS)];
  const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + HOLD_SECONDS) * 1000 + WRK_GRACE_MS);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(killer);
  const m = /exact-count responses=(\d+) holds=(\d+)/.exec(output);
  if (!m) throw new Error(`wrk printed no count:\n${output}`);
  return { responses: Number(m[1]), holds: Number(m[2]), output };
}

async function wrkScenario(name: string, depth: number): Promise<boolean> {
  const e = await BenchEngine.start({ countTargets: true });
  try {
    const w = await runWrk(e.port, depth);
    await e.drained();
    const counted = e.tally.byTarget['/counted'] ?? 0;
    // A held head never parsed: its record has no target, and the error connection-closed.
    const holds = e.tally.byTarget[''] ?? 0;
    const exact = counted === w.responses && holds === w.holds;
    const summary = /(\d+) requests in/.exec(w.output)?.[1] ?? '?';
    console.log(`${name.padEnd(22)} wrk responses ${String(w.responses).padStart(9)} (wrk summary ${summary})  records ${String(counted).padStart(9)}  diff ${counted - w.responses}  ${exact ? 'EXACT' : 'MISMATCH'}  | held heads recorded ${holds} (sent ${w.holds}), records total ${e.tally.total}, errors ${JSON.stringify(e.tally.byError)}`);
    return exact;
  } finally {
    await e.stop();
  }
}

/** CHURN connections, each one Connection: close request; returns the responses received. */
async function churn(port: number, total: number): Promise<number> {
  let next = 0;
  let received = 0;
  const one = async (): Promise<void> => {
    const s = await openSocket(port);
    let got = '';
    s.on('data', (d: Buffer) => { if (got.length < 16) got += d.toString('latin1', 0, 16); });
    const closed = new Promise((r) => s.once('close', r));
    s.write('GET /churn HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await closed;
    if (got.startsWith('HTTP/1.1 200')) received++;
  };
  await Promise.all(Array.from({ length: CHURN_PARALLEL }, async () => {
    while (next < total) {
      next++;
      await one();
    }
  }));
  return received;
}

async function churnScenario(): Promise<boolean> {
  const e = await BenchEngine.start();
  try {
    await churn(e.port, CHURN_WARMUP); // warm-up: JIT, lazily opened descriptors
    await e.drained();
    await sleep(1000);
    const base = e.usage();
    let peakRss = base.rssKiB;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, e.usage().rssKiB); }, 100);
    const started = Date.now();
    const received = await churn(e.port, CHURN);
    const elapsed = (Date.now() - started) / 1000;
    clearInterval(sampler);
    await e.drained();
    const right = e.usage();
    await sleep(5000);
    const later = e.usage();
    const records = e.tally.total - CHURN_WARMUP;
    console.log(`churn: ${CHURN} connections in ${elapsed.toFixed(1)} s (${(CHURN / elapsed).toFixed(0)}/s); responses ${received}, records ${records} (ok ${e.tally.ok - CHURN_WARMUP})`);
    console.log(`  descriptors: baseline ${base.fds}, after ${right.fds}, 5 s later ${later.fds}`);
    console.log(`  RSS: baseline ${mib(base.rssKiB)}, peak ${mib(peakRss)}, after ${mib(right.rssKiB)}, 5 s later ${mib(later.rssKiB)}`);
    return received === CHURN && records === received && later.fds === base.fds;
  } finally {
    await e.stop();
  }
}

async function main(): Promise<number> {
  console.log(`lost-capture: wrk -t2 -c${CONNECTIONS}, ${SECONDS} s of requests + ${HOLD_SECONDS} s of held heads; churn ${CHURN} connections`);
  let ok = true;
  ok = (await wrkScenario('keep-alive', 1)) && ok;
  ok = (await wrkScenario('pipelined (depth 16)', 16)) && ok;
  ok = (await churnScenario()) && ok;
  console.log(ok ? 'all counts exact' : 'COUNTS DIFFER');
  return ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
