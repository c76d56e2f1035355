/**
 * The browser inspector (`sockeye serve --ui`, issue 5) under load, measured
 * on the real thing: the CLI as a child process and Debian's Chromium on the
 * inspector URL it printed, nothing faked.
 *
 * (A) The browser UI keeps up: a paced load (default 5,000 req/s for 30 s
 *     over 8 keep-alive connections) to the capture port. Reported: requests
 *     sent, answered, the CLI's request lines and the page's request-count;
 *     main-thread long tasks over 100 ms after the first second
 *     (PerformanceObserver 'longtask', installed before the app loads); the
 *     page's JS heap, sampled each second through CDP (and
 *     performance.memory), max. Targets: all equal, 0 long tasks, < 300 MB.
 * (B) Capture throughput with a browser attached: `wrk -t1 -c50 -d10s`
 *     against `serve --port 0` (no UI) and against `serve --ui` with Chromium
 *     on its inspector page, alternating, 3 rounds each (the order flips
 *     every round). Medians and their ratio; target: within 10%.
 *
 * Options (environment): UIB_PARTS (A, B or A,B; default A,B), UIB_RATE
 * (5000), UIB_SECONDS (30), UIB_CONNECTIONS (8), UIB_MAX_OUTSTANDING (256),
 * UIB_WRK_SECONDS (10), UIB_WRK_CONNECTIONS (50), UIB_ROUNDS (3), UIB_DIAGNOSE (1: B also
 * measures `serve --ui` with no browser attached, to tell the UI listener's own cost from the
 * browser's; B always prints the CPU seconds the CLI and Chromium used during each measured run).
 *
 * Traffic goes to 127.0.0.1 only; every child (the CLI, Chromium, wrk) is
 * stopped by PID, and every wait is bounded. It prints numbers and never
 * fails on them: exit 0 after printing, 1 when it could not run, 2 on bad options.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { CDPSession, Page } from 'playwright-core';
import { requestCount, waitForCount } from '../e2e/harness/app';
import { sendPaced, type PacedResult } from '../e2e/harness/load';
import { browserModeCannotRunReason, startServeProcess, startServeUi, type ServeProcess, type ServeUi } from '../e2e/harness/serve-ui';
import { installLongTaskObserver, readLongTasks, LONG_TASKS_KEY, type LongTask } from './ui-page-probes';
import { intEnv, runBenchMain } from './env-settings';

const LONG_TASK_TARGET_MS = 100;
const LONG_TASKS_IGNORED_FIRST_MS = 1000;
const HEAP_TARGET_BYTES = 300 * 1024 * 1024;
const THROUGHPUT_TARGET_RATIO = 0.9;
const SAMPLE_EVERY_MS = 1000;
/** After the last request, the page and the CLI get this long to show them all. */
const SETTLE_TIMEOUT_MS = 60_000;
/** After wrk, the page gets this long to catch up (informational in B). */
const WRK_SETTLE_TIMEOUT_MS = 30_000;
const WARMUP_SECONDS = 1;
/** wrk is SIGKILLed when it runs this much longer than its -d. */
const WRK_SLACK_MS = 20_000;
const WRK_CANDIDATES = ['/usr/bin/wrk', 'wrk'];
const MB = 1024 * 1024;

type Part = 'A' | 'B';

interface Options {
  parts: Part[];
  rate: number;
  seconds: number;
  connections: number;
  maxOutstanding: number;
  wrkSeconds: number;
  wrkConnections: number;
  rounds: number;
  /** Also measure `serve --ui` with no browser attached (UIB_DIAGNOSE=1). */
  diagnose: boolean;
}

function readOptions(): Options {
  const raw = (process.env.UIB_PARTS ?? '').trim();
  const parts = raw === '' ? ['A', 'B'] : raw.split(',').map((p) => p.trim().toUpperCase());
  for (const p of parts) if (p !== 'A' && p !== 'B') throw new Error(`UIB_PARTS must list A and/or B (got "${raw}")`);
  return {
    parts: (['A', 'B'] as const).filter((p) => parts.includes(p)),
    rate: intEnv('UIB_RATE', 5000, 1, 50_000),
    seconds: intEnv('UIB_SECONDS', 30, 1, 600),
    connections: intEnv('UIB_CONNECTIONS', 8, 1, 64),
    maxOutstanding: intEnv('UIB_MAX_OUTSTANDING', 256, 1, 10_000),
    wrkSeconds: intEnv('UIB_WRK_SECONDS', 10, 1, 600),
    wrkConnections: intEnv('UIB_WRK_CONNECTIONS', 50, 1, 1000),
    rounds: intEnv('UIB_ROUNDS', 3, 1, 9),
    diagnose: intEnv('UIB_DIAGNOSE', 0, 0, 1) === 1,
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
const ok = (met: boolean): string => (met ? 'yes' : 'NO');
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The page's used JS heap: CDP Performance.getMetrics, and performance.memory when the page has it; the larger. */
async function heapUsed(page: Page, cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const fromCdp = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  const fromPage = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
  return Math.max(fromCdp, fromPage);
}

// ---------------------------------------------------------------- (A) the browser UI keeps up

interface Sampling {
  heapMax: number;
  trailMax: number;
  samples: number;
  errors: string[];
}

function sampleEverySecond(page: Page, cdp: CDPSession, sent: () => number): { stop(): Promise<Sampling> } {
  const s: Sampling = { heapMax: 0, trailMax: 0, samples: 0, errors: [] };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const sentNow = sent();
      try {
        const [heap, shown] = await Promise.all([heapUsed(page, cdp), requestCount(page)]);
        s.heapMax = Math.max(s.heapMax, heap);
        if (Number.isFinite(shown)) s.trailMax = Math.max(s.trailMax, sentNow - shown);
        s.samples++;
      } catch (err) {
        s.errors.push(errorText(err));
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return s;
    },
  };
}

async function partA(options: Options): Promise<boolean> {
  console.log(`\n(A) browser UI under load: ${int(options.rate)} req/s for ${options.seconds} s over ${options.connections} keep-alive connections ` +
    `(at most ${options.maxOutstanding} unanswered each) to serve --ui's capture port; Chromium on the printed inspector URL`);
  let s: ServeUi;
  try {
    s = await startServeUi({ keepLines: false, beforeLoad: async (context) => { await context.addInitScript(installLongTaskObserver, LONG_TASKS_KEY); } });
  } catch (err) {
    console.error(`ui-browser-load: serve --ui with Chromium did not start: ${errorText(err)}`);
    return false;
  }
  let end: Awaited<ReturnType<ServeUi['close']>> | null = null;
  try {
    const cdp = await s.context.newCDPSession(s.page);
    await cdp.send('Performance.enable');
    const loadStart = (await s.page.evaluate(readLongTasks, LONG_TASKS_KEY)).now;
    let sentSoFar = 0;
    const sampling = sampleEverySecond(s.page, cdp, () => sentSoFar);
    let load: PacedResult;
    try {
      load = await sendPaced(s.capturePort, {
        rate: options.rate, seconds: options.seconds, connections: options.connections, maxOutstanding: options.maxOutstanding,
        onTick: (sent) => { sentSoFar = sent; },
      });
    } catch (err) {
      await sampling.stop();
      console.error(`ui-browser-load: sending failed: ${errorText(err)}`);
      return false;
    }
    sentSoFar = load.sent;
    const sendEnded = Date.now();
    let shownAll = true;
    try {
      await waitForCount(s.page, load.sent, SETTLE_TIMEOUT_MS);
    } catch {
      shownAll = false;
    }
    const catchUpMs = Date.now() - sendEnded;
    let printedAll = true;
    try {
      await s.serve.waitForLines(2 + load.sent, SETTLE_TIMEOUT_MS);
    } catch {
      printedAll = false;
    }
    const samples = await sampling.stop();
    const shown = await requestCount(s.page);
    const printed = s.serve.lineCount() - 2;
    const { tasks } = await s.page.evaluate(readLongTasks, LONG_TASKS_KEY);
    const afterFirstSecond = tasks.filter((t: LongTask) => t.start >= loadStart + LONG_TASKS_IGNORED_FIRST_MS);
    const over = afterFirstSecond.filter((t) => t.duration > LONG_TASK_TARGET_MS);
    const maxTask = afterFirstSecond.reduce((m, t) => Math.max(m, t.duration), 0);
    const rate = load.sent / (load.elapsedMs / 1000);
    const planned = options.rate * options.seconds;

    console.log(table(['measure', 'value', 'target', 'ratio', 'met'], [
      ['requests sent', int(load.sent), int(planned), (load.sent / planned).toFixed(3), ok(load.sent === planned)],
      ['achieved send rate', `${int(rate)} req/s`, `${int(options.rate)} req/s`, (rate / options.rate).toFixed(3), ok(rate >= options.rate * 0.95)],
      ['responses received', int(load.responses), '= sent', (load.responses / load.sent).toFixed(3), ok(load.responses === load.sent)],
      ['CLI request lines', int(printed), '= sent', (printed / load.sent).toFixed(3), ok(printedAll && printed === load.sent)],
      ['UI request-count', Number.isFinite(shown) ? int(shown) : 'unreadable', '= sent', (shown / load.sent).toFixed(3), ok(shownAll && shown === load.sent)],
      [`long tasks > ${LONG_TASK_TARGET_MS} ms after 1 s`, int(over.length), '0', '-', ok(over.length === 0)],
      ['longest task after 1 s', `${int(maxTask)} ms`, `<= ${LONG_TASK_TARGET_MS} ms`, (maxTask / LONG_TASK_TARGET_MS).toFixed(2), ok(maxTask <= LONG_TASK_TARGET_MS)],
      ['JS heap used, max of samples', mb(samples.heapMax), `< ${mb(HEAP_TARGET_BYTES)}`, (samples.heapMax / HEAP_TARGET_BYTES).toFixed(2), ok(samples.heapMax > 0 && samples.heapMax < HEAP_TARGET_BYTES)],
    ]));
    console.log(`  long tasks (> 50 ms) after 1 s: ${afterFirstSecond.length}; over ${LONG_TASK_TARGET_MS} ms: ${over.length ? over.map((t) => int(t.duration)).join(', ') : 'none'}`);
    console.log(`  UI count trailed the sender by at most ${int(samples.trailMax)} at a sample (${samples.samples} samples); ` +
      `after the last request it caught up in ${shownAll ? `${int(catchUpMs)} ms` : `more than ${int(SETTLE_TIMEOUT_MS)} ms (it did not)`}`);
    console.log(`  send schedule: at most ${int(load.deferredMax)} requests behind; responses by status: ${[...load.statusCounts].map(([st, n]) => `${st}=${int(n)}`).join(' ')}`);
    console.log(`  secret in a CLI request line: ${s.serve.secretLeaks() === 0 ? 'never' : 'YES'}`);
    if (samples.errors.length) console.log(`  sampling errors: ${samples.errors.slice(0, 3).join(' | ')}`);
    if (s.pageErrors.length) console.log(`  page errors: ${s.pageErrors.slice(0, 5).join(' | ')}`);
    return true;
  } finally {
    end = await s.close();
    if (end.code !== 0 || end.killed) console.log(`  note: serve --ui ended with code ${String(end.code)}, signal ${String(end.signal)}${end.killed ? ' (SIGKILLed)' : ''}`);
  }
}

// ---------------------------------------------------------------- (B) capture throughput, with and without a browser

function findWrk(): string | null {
  for (const candidate of WRK_CANDIDATES) {
    // `wrk --version` exits 1 by design: only a spawn error means it is missing.
    if (spawnSync(candidate, ['--version'], { timeout: 10_000 }).error === undefined) return candidate;
  }
  return null;
}

interface WrkResult {
  requestsPerSec: number;
  requests: number;
  errors: string;
}

/** Run wrk against 127.0.0.1:port; SIGKILLed by PID if it overruns its -d by WRK_SLACK_MS. */
function runWrk(wrk: string, port: number, seconds: number, connections: number): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`];
  return new Promise((resolve, reject) => {
    const child = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => { out += c; });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => { out += c; });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }
    }, seconds * 1000 + WRK_SLACK_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const total = /(\d+) requests in/.exec(out);
      if (code !== 0 || !rps || !total) {
        reject(new Error(`wrk ${args.join(' ')} failed (code ${String(code)}, signal ${String(signal)}): ${out.trim()}`));
        return;
      }
      const errors = [/Socket errors:[^\n]*/.exec(out)?.[0], /Non-2xx[^\n]*/.exec(out)?.[0]].filter(Boolean).join('; ');
      resolve({ requestsPerSec: Number(rps[1]), requests: Number(total[1]), errors });
    });
  });
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream build). */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of one process in seconds, or 0 when it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** `root` and every process below it (Chromium's renderer, GPU and utility processes). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // Exited while listing.
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** CPU seconds of the CLI and of the whole Chromium tree, summed; a process that ended meanwhile counts 0 after. */
function cpuNow(cliPid: number, browserPid: number | undefined): { cli: number; browser: number } {
  const browser = browserPid === undefined ? 0 : processTree(browserPid).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  return { cli: cpuSecondsOf(cliPid), browser };
}

/** 'UI, no browser' is a diagnostic: the UI listener's own cost in the CLI, without a page consuming the stream. */
type Mode = 'no UI' | 'UI, no browser' | 'UI + Chromium';

interface Measured {
  round: number;
  mode: Mode;
  wrk: WrkResult;
  /** CLI request lines (warm-up included) and, with the UI, the page's request-count after a bounded settle. */
  printed: number;
  shown: number | null;
  /** CPU seconds used during the measured wrk run by the CLI process and by Chromium's process tree. */
  cliCpu: number;
  browserCpu: number;
}

async function measureOnce(wrk: string, mode: Mode, round: number, options: Options): Promise<Measured> {
  let serve: ServeProcess;
  let ui: ServeUi | null = null;
  if (mode !== 'UI + Chromium') {
    serve = await startServeProcess({ ui: mode === 'UI, no browser', keepLines: false });
  } else {
    ui = await startServeUi({ keepLines: false });
    serve = ui.serve;
  }
  try {
    await runWrk(wrk, serve.capturePort, WARMUP_SECONDS, options.wrkConnections);
    const browserPid = ui?.browser.pid;
    const cpuBefore = cpuNow(serve.pid, browserPid);
    const result = await runWrk(wrk, serve.capturePort, options.wrkSeconds, options.wrkConnections);
    const cpuAfter = cpuNow(serve.pid, browserPid);
    // Let the CLI print what it captured, then count (bounded; informational).
    await new Promise((resolve) => setTimeout(resolve, 500));
    let shown: number | null = null;
    if (ui) {
      const target = serve.lineCount() - 2;
      try {
        await waitForCount(ui.page, target, WRK_SETTLE_TIMEOUT_MS);
      } catch {
        // Reported as it is.
      }
      shown = await requestCount(ui.page);
    }
    const printed = serve.lineCount() - (mode === 'no UI' ? 1 : 2);
    return { round, mode, wrk: result, printed, shown, cliCpu: cpuAfter.cli - cpuBefore.cli, browserCpu: cpuAfter.browser - cpuBefore.browser };
  } finally {
    const end = ui ? await ui.close() : await serve.stop();
    if (end.code !== 0 || end.killed) console.log(`  note: ${mode} server ended with code ${String(end.code)}, signal ${String(end.signal)}${end.killed ? ' (SIGKILLed)' : ''}`);
  }
}

async function partB(options: Options): Promise<boolean> {
  const wrk = findWrk();
  if (!wrk) {
    console.error('ui-browser-load: wrk is not installed (apt-get install wrk); part B skipped');
    return false;
  }
  console.log(`\n(B) capture throughput: wrk -t1 -c${options.wrkConnections} -d${options.wrkSeconds}s (after a ${WARMUP_SECONDS} s warm-up) against ` +
    `serve --port 0 (no UI) and serve --ui with Chromium on its inspector page; ${options.rounds} round(s) each, alternating`);
  const results: Measured[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const modes: Mode[] = options.diagnose ? ['no UI', 'UI, no browser', 'UI + Chromium'] : ['no UI', 'UI + Chromium'];
    const order = round % 2 === 1 ? modes : [...modes].reverse();
    for (const mode of order) {
      try {
        const m = await measureOnce(wrk, mode, round, options);
        results.push(m);
        console.log(`  round ${round}, ${mode}: ${int(m.wrk.requestsPerSec)} req/s`);
      } catch (err) {
        console.error(`ui-browser-load: round ${round}, ${mode}: ${errorText(err)}`);
        return false;
      }
    }
  }
  console.log(table(['round', 'mode', 'req/s', 'wrk responses', 'CLI lines (incl. warm-up)', 'UI request-count', 'CLI CPU', 'Chromium CPU', 'wrk errors'],
    results.map((m) => [String(m.round), m.mode, int(m.wrk.requestsPerSec), int(m.wrk.requests), int(m.printed),
      m.shown === null ? '-' : (Number.isFinite(m.shown) ? int(m.shown) : 'unreadable'),
      `${m.cliCpu.toFixed(1)} s`, m.mode === 'UI + Chromium' ? `${m.browserCpu.toFixed(1)} s` : '-', m.wrk.errors || 'none'])));
  console.log(`  CPU: seconds used during the ${options.wrkSeconds} s measured run (utime + stime from /proc; Chromium = its whole process tree)`);
  const plain = median(results.filter((m) => m.mode === 'no UI').map((m) => m.wrk.requestsPerSec));
  const withUi = median(results.filter((m) => m.mode === 'UI + Chromium').map((m) => m.wrk.requestsPerSec));
  const ratio = withUi / plain;
  console.log('');
  console.log(table(['measure', 'value', 'target', 'met'], [
    ['median req/s, no UI', int(plain), '-', '-'],
    ['median req/s, UI + Chromium', int(withUi), '-', '-'],
    ['ratio UI / no UI', ratio.toFixed(3), `>= ${THROUGHPUT_TARGET_RATIO}`, ok(ratio >= THROUGHPUT_TARGET_RATIO)],
    ...(options.diagnose ? (() => {
      const bare = median(results.filter((m) => m.mode === 'UI, no browser').map((m) => m.wrk.requestsPerSec));
      return [
        ['median req/s, UI listener, no browser', int(bare), '-', '-'],
        ['ratio UI no browser / no UI (diagnostic)', (bare / plain).toFixed(3), '-', '-'],
      ];
    })() : []),
  ]));
  return true;
}

async function run(options: Options): Promise<number> {
  const reason = browserModeCannotRunReason();
  if (reason) {
    console.error(`ui-browser-load: cannot run: ${reason}`);
    return 1;
  }
  console.log(`Sockeye browser inspector under load (serve --ui; 127.0.0.1 only; targets are informational)`);
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}; ` +
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), shared by the client, the CLI, Chromium and wrk`);
  let ran = true;
  if (options.parts.includes('A')) ran = (await partA(options)) && ran;
  if (options.parts.includes('B')) ran = (await partB(options)) && ran;
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return ran ? 0 : 1;
}

runBenchMain('ui-browser-load', readOptions, run);
