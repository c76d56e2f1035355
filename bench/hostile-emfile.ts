/**
 * Out of descriptors (issue 4): the engine under `prlimit --nofile=256` and
 * 1,000 keep-alive clients connecting at once. Measures the engine's CPU time
 * (utime + stime from /proc/<pid>/stat) while it is full and backing off, next
 * to the same period idle; then clients leave as they are served until all are
 * served, and descriptors are compared with the baseline.
 *
 *   npx tsc -b bench && node build/bench/hostile-emfile.js
 *   EMFILE_LIMIT=256 EMFILE_CLIENTS=1000 EMFILE_HOLD_SECONDS=5 node build/bench/hostile-emfile.js
 */
import type { Socket } from 'node:net';
import { BenchEngine, openSocket, sleep, envNumber } from './hostile-engine';
import { CLOCK_TICKS_PER_SECOND } from '../server/process-usage';

const LIMIT = envNumber('EMFILE_LIMIT', 256);
const CLIENTS = envNumber('EMFILE_CLIENTS', 1000);
const HOLD_SECONDS = envNumber('EMFILE_HOLD_SECONDS', 5);
const SERVE_ALL_TIMEOUT_MS = 60_000;
const REQUEST = 'GET /crowd HTTP/1.1\r\nHost: a\r\n\r\n';

const cpuPercent = (ticks: number, seconds: number): string => `${((100 * ticks) / CLOCK_TICKS_PER_SECOND / seconds).toFixed(1)}%`;

async function main(): Promise<number> {
  const e = await BenchEngine.start({ nofile: LIMIT });
  const clients: { s: Socket; served: boolean }[] = [];
  try {
    const warm = await openSocket(e.port);
    warm.on('data', () => warm.destroy());
    warm.write(REQUEST);
    await e.until((s) => s.connectionsAccepted === 1 && s.connectionsOpen === 0);
    const base = e.usage();
    await sleep(HOLD_SECONDS * 1000);
    const idleTicks = e.usage().cpuTicks - base.cpuTicks;

    const started = Date.now();
    const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => openSocket(e.port)));
    for (const s of sockets) {
      const c = { s, served: false };
      s.on('error', () => {});
      s.on('data', () => { c.served = true; });
      clients.push(c);
      s.write(REQUEST);
    }
    const holdStart = e.usage();
    const statsStart = await e.stats();
    await sleep(HOLD_SECONDS * 1000);
    const holdEnd = e.usage();
    const statsEnd = await e.stats();
    const servedHeld = clients.filter((c) => c.served).length;

    // Served clients leave; the rest are accepted and served.
    const deadline = Date.now() + SERVE_ALL_TIMEOUT_MS;
    while (clients.some((c) => !c.s.destroyed) && Date.now() < deadline) {
      for (const c of clients) if (c.served && !c.s.destroyed) c.s.destroy();
      await sleep(20);
    }
    const servedAll = clients.filter((c) => c.served).length;
    const allSeconds = (Date.now() - started) / 1000;
    const final = await e.until((s) => s.connectionsOpen === 0);
    await sleep(500);
    const end = e.usage();

    console.log(`hostile-emfile: nofile ${LIMIT}, ${CLIENTS} keep-alive clients at once, held ${HOLD_SECONDS} s`);
    console.log(`  engine CPU idle ${HOLD_SECONDS} s:                 ${idleTicks} ticks (${cpuPercent(idleTicks, HOLD_SECONDS)})`);
    console.log(`  engine CPU full and backing off ${HOLD_SECONDS} s: ${holdEnd.cpuTicks - holdStart.cpuTicks} ticks (${cpuPercent(holdEnd.cpuTicks - holdStart.cpuTicks, HOLD_SECONDS)}); accept pauses in that time ${statsEnd.acceptPauses - statsStart.acceptPauses}`);
    console.log(`  served while full: ${servedHeld} of ${CLIENTS} (connections open ${statsEnd.connectionsOpen}); all served: ${servedAll} of ${CLIENTS} after ${allSeconds.toFixed(1)} s`);
    console.log(`  descriptors: baseline ${base.fds}, full ${holdEnd.fds}, after ${end.fds}; accepted ${final.connectionsAccepted}, internal errors ${final.internalErrors}`);
    return servedAll === CLIENTS && end.fds === base.fds ? 0 : 1;
  } finally {
    for (const c of clients) c.s.destroy();
    await e.stop();
  }
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
