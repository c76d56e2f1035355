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
 *     A's Chromium is driven by Playwright (it needs CDP for the probes), so
 *     it is instrumented: a CDP client is attached with Network tracking on.
 * (B) Capture throughput with a browser attached: `wrk -t1 -c50 -d10s`
 *     against `serve --port 0` (no UI) and against `serve --ui` with Chromium
 *     on its inspector page, alternating, 5 rounds each (the order flips
 *     every round). Medians, min/max and the ratio of medians; target: within 10%.
 *     The browser is, by default, a plain Chromium process as a user runs it
 *     (`npm start` opens the URL with xdg-open): spawned directly with its own
 *     profile folder and no CDP client attached while wrk runs. Only after the
 *     measured run does the bench connect over CDP (`--remote-debugging-port=0`,
 *     an idle listener until then) to read the page's request-count and check it
 *     equals the CLI's request lines. UIB_B_BROWSER=playwright measures the old
 *     way instead: Chromium under Playwright (CDP client attached, Network
 *     tracking on for the page's stream during the run).
 *
 * Options (environment): UIB_PARTS (A, B or A,B; default A,B), UIB_RATE
 * (5000), UIB_SECONDS (30), UIB_CONNECTIONS (8), UIB_MAX_OUTSTANDING (256),
 * UIB_WRK_SECONDS (10), UIB_WRK_CONNECTIONS (50), UIB_ROUNDS (5), UIB_DIAGNOSE (1: B also
 * measures `serve --ui` with no browser attached, to tell the UI listener's own cost from the
 * browser's; B always prints the CPU seconds the CLI and Chromium used during each measured run),
 * UIB_B_BROWSER (plain, default, or playwright: how B's Chromium is started).
 *
 * Traffic goes to 127.0.0.1 only; every child (the CLI, Chromium, wrk) is
 * stopped by PID, and every wait is bounded. It prints numbers and never
 * fails on them: exit 0 after printing, 1 when it could not run, 2 on bad options.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { requestCount, waitForCount } from '../e2e/harness/app';
import { sendPaced, type PacedResult } from '../e2e/harness/load';
import { CHROMIUM } from '../e2e/harness/paths';
import { browserModeCannotRunReason, startServeProcess, startServeUi, type ServeProcess, type ServeUi } from '../e2e/harness/serve-ui';
import {
  installLongTaskObserver, longTasksAfterFirstSecond, readLongTasks, startSampling, waitCaughtUp, HEAP_TARGET_BYTES, LONG_TASK_TARGET_MS, LONG_TASKS_KEY,
} from './ui-page-probes';
import { killPid } from './children';
import { intEnv, runBenchMain } from './env-settings';
import { errorText, int, mb, median, ok, table } from './report';
import { findWrk, runWrk, wrkErrorsText, type WrkResult } from './wrk';

const THROUGHPUT_TARGET_RATIO = 0.9;
/** After the last request, the page and the CLI get this long to show them all. */
const SETTLE_TIMEOUT_MS = 60_000;
/** After wrk, the page gets this long to catch up (informational in B). */
const WRK_SETTLE_TIMEOUT_MS = 30_000;
const WARMUP_SECONDS = 1;
/** B's plain Chromium: the flags a quiet headless root-run Chromium needs here, nothing that instruments the page. */
const PLAIN_CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--window-size=1280,800',
  // An idle DevTools listener: nothing connects to it until the measured run is over.
  '--remote-debugging-port=0',
];
/** The plain Chromium must show an established connection to the UI port within this time. */
const PAGE_CONNECT_TIMEOUT_MS = 30_000;
/** Then a probe request must reach the page's stream within this time. */
const PAGE_LIVE_TIMEOUT_MS = 30_000;
/** After the probe got through: a little longer for the app to finish its first render. */
const PAGE_SETTLE_MS = 2_000;
/** DevToolsActivePort must appear in the profile folder within this time (read after the run only). */
const DEVTOOLS_FILE_TIMEOUT_MS = 10_000;
const CDP_CONNECT_TIMEOUT_MS = 15_000;
/** Chromium's tree gets this long after SIGTERM, then SIGKILL and this long again. */
const BROWSER_TERM_GRACE_MS = 5_000;
const BROWSER_KILL_WAIT_MS = 3_000;
/** The CLI's request lines count as final when they do not change for this long (bounded by WRK_SETTLE_TIMEOUT_MS). */
const LINES_QUIET_MS = 500;
/** A probe request to the capture port is answered within this time. */
const PROBE_TIMEOUT_MS = 5_000;

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
  /** B's browser: a plain Chromium process (default), or Chromium under Playwright (the instrumented comparison). */
  bBrowser: 'plain' | 'playwright';
}

function readOptions(): Options {
  const raw = (process.env.UIB_PARTS ?? '').trim();
  const parts = raw === '' ? ['A', 'B'] : raw.split(',').map((p) => p.trim().toUpperCase());
  for (const p of parts) if (p !== 'A' && p !== 'B') throw new Error(`UIB_PARTS must list A and/or B (got "${raw}")`);
  const bBrowser = (process.env.UIB_B_BROWSER ?? '').trim().toLowerCase() || 'plain';
  if (bBrowser !== 'plain' && bBrowser !== 'playwright') throw new Error(`UIB_B_BROWSER must be plain or playwright (got "${process.env.UIB_B_BROWSER}")`);
  return {
    parts: (['A', 'B'] as const).filter((p) => parts.includes(p)),
    rate: intEnv('UIB_RATE', 5000, 1, 50_000),
    seconds: intEnv('UIB_SECONDS', 30, 1, 600),
    connections: intEnv('UIB_CONNECTIONS', 8, 1, 64),
    maxOutstanding: intEnv('UIB_MAX_OUTSTANDING', 256, 1, 10_000),
    wrkSeconds: intEnv('UIB_WRK_SECONDS', 10, 1, 600),
    wrkConnections: intEnv('UIB_WRK_CONNECTIONS', 50, 1, 1000),
    rounds: intEnv('UIB_ROUNDS', 5, 1, 9),
    diagnose: intEnv('UIB_DIAGNOSE', 0, 0, 1) === 1,
    bBrowser,
  };
}

/** The page's used JS heap: CDP Performance.getMetrics, and performance.memory when the page has it; the larger. */
async function heapUsed(page: Page, cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const fromCdp = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  const fromPage = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
  return Math.max(fromCdp, fromPage);
}

// ---------------------------------------------------------------- (A) the browser UI keeps up

async function partA(options: Options): Promise<boolean> {
  console.log(`\n(A) browser UI under load: ${int(options.rate)} req/s for ${options.seconds} s over ${options.connections} keep-alive connections ` +
    `(at most ${options.maxOutstanding} unanswered each) to serve --ui's capture port; Chromium on the printed inspector URL, ` +
    'driven by Playwright (instrumented: a CDP client attached with Network tracking on, as the long-task and heap probes need)');
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
    const sampling = startSampling(s.page, () => heapUsed(s.page, cdp), () => sentSoFar);
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
    const { shownAll, catchUpMs } = await waitCaughtUp(s.page, load.sent, SETTLE_TIMEOUT_MS);
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
    const { afterFirstSecond, over, maxTask } = longTasksAfterFirstSecond(tasks, loadStart);
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
    console.log(`  UI count trailed the sender by at most ${int(samples.trailMax)} at a sample (${samples.count} samples); ` +
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

/** `wrk -t1 -c<connections> -d<seconds>s` against 127.0.0.1:port. */
function wrkAgainst(wrk: string, port: number, seconds: number, connections: number): Promise<WrkResult> {
  return runWrk(wrk, ['-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`], seconds);
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `pid` is still a live process (a zombie awaiting its reaper counts as gone). */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The established TCP connections whose local port is `port` (the UI listener's side of the page's connections)
 * and the bytes they had sent and got acknowledged, from `ss -tni` (iproute2). null when ss failed.
 */
function uiSockets(port: number): { sockets: number; bytesAcked: number } | null {
  const r = spawnSync('ss', ['-tniH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8', timeout: 5_000 });
  if (r.error || r.status !== 0) return null;
  let sockets = 0;
  let bytesAcked = 0;
  for (const line of r.stdout.split('\n')) {
    if (/^\S/.test(line)) sockets++;
    const acked = /bytes_acked:(\d+)/.exec(line);
    if (acked) bytesAcked += Number(acked[1]);
  }
  return { sockets, bytesAcked };
}

/** One GET to the capture port (a fresh connection), resolved when answered; rejects after PROBE_TIMEOUT_MS. */
function probeRequest(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ui-browser-load-probe', agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.once('end', () => resolve());
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`probe to port ${port} not answered within ${PROBE_TIMEOUT_MS} ms`)));
    req.once('error', reject);
  });
}

/** A Chromium process started as a user would, on one URL, with its own profile folder. */
interface PlainChromium {
  readonly pid: number;
  readonly profileDir: string;
  /** SIGTERM to its whole process tree by PID, SIGKILL to what is left after a grace period; removes the profile folder. */
  stop(): Promise<{ killed: number; left: number }>;
}

/** Plain Chromium trees started here and not yet stopped: SIGKILLed by PID (the tree as listed then) if this process exits first. */
const livePlainBrowsers = new Set<number>();
process.on('exit', () => {
  for (const root of livePlainBrowsers) {
    for (const pid of processTree(root)) killPid(pid, 'SIGKILL');
  }
});

function launchPlainChromium(url: string): PlainChromium {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockeye-uib-chromium-'));
  let child: ChildProcess;
  try {
    child = spawn(CHROMIUM, [...PLAIN_CHROMIUM_ARGS, `--user-data-dir=${profileDir}`, url], { stdio: 'ignore' });
  } catch (err) {
    fs.rmSync(profileDir, { recursive: true, force: true });
    throw err;
  }
  if (child.pid === undefined) {
    fs.rmSync(profileDir, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM}`);
  }
  const pid = child.pid;
  livePlainBrowsers.add(pid);
  child.once('error', () => undefined);
  const waitGone = async (pids: number[], ms: number): Promise<number[]> => {
    const until = Date.now() + ms;
    let alive = pids.filter(isAlive);
    while (alive.length > 0 && Date.now() < until) {
      await sleep(100);
      alive = alive.filter(isAlive);
    }
    return alive;
  };
  const signal = (pids: number[], sig: NodeJS.Signals): void => {
    for (const p of pids) killPid(p, sig);
  };
  return {
    pid,
    profileDir,
    async stop() {
      // The tree is listed before the first signal: once the browser process is gone its children are reparented.
      const tree = processTree(pid).filter(isAlive);
      signal(tree, 'SIGTERM');
      let alive = await waitGone(tree, BROWSER_TERM_GRACE_MS);
      const killed = alive.length;
      if (alive.length > 0) {
        signal(alive, 'SIGKILL');
        alive = await waitGone(alive, BROWSER_KILL_WAIT_MS);
      }
      livePlainBrowsers.delete(pid);
      fs.rmSync(profileDir, { recursive: true, force: true });
      return { killed, left: alive.length };
    },
  };
}

/**
 * Wait, without any CDP client, until the plain Chromium's page follows the CLI's record stream.
 * 1. The UI port shows an established connection (the page was requested at all).
 * 2. The bytes the UI listener has sent on those connections stop changing for a moment (the page's
 *    assets and the history are delivered), then a probe request to the capture port makes them grow:
 *    the listener only sends a captured record to a page subscribed to the stream, so growth right after
 *    the probe means the page's stream is open. Retried until PAGE_LIVE_TIMEOUT_MS.
 * 3. PAGE_SETTLE_MS more for the app's first render.
 * Returns how many probe requests were sent (each is one CLI request line).
 */
async function waitPlainPageLive(serve: ServeProcess, browser: PlainChromium): Promise<number> {
  const uiPort = serve.uiPort!;
  const connectUntil = Date.now() + PAGE_CONNECT_TIMEOUT_MS;
  for (;;) {
    if (!isAlive(browser.pid)) throw new Error(`Chromium (pid ${browser.pid}) exited before it connected to the UI port`);
    const s = uiSockets(uiPort);
    if (s === null) throw new Error('ss -tni failed: cannot tell whether the page is connected (install iproute2)');
    if (s.sockets > 0) break;
    if (Date.now() > connectUntil) throw new Error(`no connection to the UI port ${uiPort} within ${PAGE_CONNECT_TIMEOUT_MS} ms`);
    await sleep(200);
  }
  const liveUntil = Date.now() + PAGE_LIVE_TIMEOUT_MS;
  let probes = 0;
  while (Date.now() < liveUntil) {
    const a = uiSockets(uiPort)?.bytesAcked ?? 0;
    await sleep(300);
    const b = uiSockets(uiPort)?.bytesAcked ?? 0;
    if (b !== a) continue; // Still loading or still receiving history: not quiet yet.
    await probeRequest(serve.capturePort);
    probes++;
    await sleep(500);
    const c = uiSockets(uiPort)?.bytesAcked ?? 0;
    if (c > b) {
      await sleep(PAGE_SETTLE_MS);
      return probes;
    }
  }
  throw new Error(`the page's stream did not carry a probe request within ${PAGE_LIVE_TIMEOUT_MS} ms (${probes} probes)`);
}

/** The DevTools endpoint of a Chromium started with --remote-debugging-port=0: DevToolsActivePort holds the port and the path. */
async function devToolsEndpoint(profileDir: string): Promise<string> {
  const file = path.join(profileDir, 'DevToolsActivePort');
  const until = Date.now() + DEVTOOLS_FILE_TIMEOUT_MS;
  for (;;) {
    try {
      const [port, wsPath] = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim());
      if (port && /^\d+$/.test(port) && wsPath) return `ws://127.0.0.1:${port}${wsPath}`;
    } catch {
      // Not written yet.
    }
    if (Date.now() > until) throw new Error(`${file} did not appear within ${DEVTOOLS_FILE_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

/**
 * After the measured run: connect over CDP to the plain Chromium, find the inspector page, wait (bounded)
 * until its request-count equals `target`, read it, and disconnect (Browser.close on a connectOverCDP
 * browser only disconnects: the page stays open, Chromium keeps running).
 */
async function readPlainPageCount(browser: PlainChromium, uiPort: number, target: number): Promise<number> {
  const endpoint = await devToolsEndpoint(browser.profileDir);
  const cdp: Browser = await chromium.connectOverCDP(endpoint, { timeout: CDP_CONNECT_TIMEOUT_MS });
  try {
    const pages = cdp.contexts().flatMap((c) => c.pages());
    const page = pages.find((p) => p.url().startsWith(`http://127.0.0.1:${uiPort}/`));
    if (!page) throw new Error(`no page on the UI port among ${pages.length}: ${pages.map((p) => p.url()).join(', ')}`);
    try {
      await waitForCount(page, target, WRK_SETTLE_TIMEOUT_MS);
    } catch {
      // Reported as it is.
    }
    return await requestCount(page);
  } finally {
    await cdp.close().catch(() => undefined);
  }
}

/** Wait until the CLI's line count has not changed for LINES_QUIET_MS (at most WRK_SETTLE_TIMEOUT_MS). */
async function waitLinesQuiet(serve: ServeProcess): Promise<void> {
  const until = Date.now() + WRK_SETTLE_TIMEOUT_MS;
  let last = serve.lineCount();
  while (Date.now() < until) {
    await sleep(LINES_QUIET_MS);
    const now = serve.lineCount();
    if (now === last) return;
    last = now;
  }
}

/** 'UI, no browser' is a diagnostic: the UI listener's own cost in the CLI, without a page consuming the stream. */
type Mode = 'no UI' | 'UI, no browser' | 'UI + Chromium';

interface Measured {
  round: number;
  mode: Mode;
  wrk: WrkResult;
  /** CLI request lines (warm-up and probes included) and, with the UI, the page's request-count after a bounded settle. */
  printed: number;
  shown: number | null;
  /** CPU seconds used during the measured wrk run by the CLI process and by Chromium's process tree. */
  cliCpu: number;
  browserCpu: number;
  /** CPU seconds this bench process used during the run (with UIB_B_BROWSER=playwright it hosts Playwright's CDP client and server). */
  benchCpu: number;
  /** Bytes the UI listener sent (and had acknowledged) on its connections during the measured run; null without a browser or ss. */
  uiBytes: number | null;
}

async function measureOnce(wrk: string, mode: Mode, round: number, options: Options): Promise<Measured> {
  let serve: ServeProcess;
  let ui: ServeUi | null = null;
  let plain: PlainChromium | null = null;
  const withBrowser = mode === 'UI + Chromium';
  if (withBrowser && options.bBrowser === 'playwright') {
    ui = await startServeUi({ keepLines: false });
    serve = ui.serve;
  } else {
    serve = await startServeProcess({ ui: mode !== 'no UI', keepLines: false });
  }
  try {
    if (withBrowser && options.bBrowser === 'plain') {
      plain = launchPlainChromium(serve.secretUrl!);
      await waitPlainPageLive(serve, plain);
    }
    await wrkAgainst(wrk, serve.capturePort, WARMUP_SECONDS, options.wrkConnections);
    const browserPid = ui?.browser.pid ?? plain?.pid;
    const uiBefore = withBrowser ? uiSockets(serve.uiPort!) : null;
    const cpuBefore = cpuNow(serve.pid, browserPid);
    const benchBefore = process.cpuUsage();
    const result = await wrkAgainst(wrk, serve.capturePort, options.wrkSeconds, options.wrkConnections);
    const benchUsed = process.cpuUsage(benchBefore);
    const cpuAfter = cpuNow(serve.pid, browserPid);
    const uiAfter = withBrowser ? uiSockets(serve.uiPort!) : null;
    // Let the CLI print what it captured, then count (bounded).
    await waitLinesQuiet(serve);
    const addressLines = mode === 'no UI' ? 1 : 2;
    let shown: number | null = null;
    if (ui) {
      try {
        await waitForCount(ui.page, serve.lineCount() - addressLines, WRK_SETTLE_TIMEOUT_MS);
      } catch {
        // Reported as it is.
      }
      shown = await requestCount(ui.page);
    } else if (plain) {
      shown = await readPlainPageCount(plain, serve.uiPort!, serve.lineCount() - addressLines);
    }
    const printed = serve.lineCount() - addressLines;
    return {
      round, mode, wrk: result, printed, shown, cliCpu: cpuAfter.cli - cpuBefore.cli, browserCpu: cpuAfter.browser - cpuBefore.browser,
      benchCpu: (benchUsed.user + benchUsed.system) / 1e6,
      uiBytes: uiBefore && uiAfter ? uiAfter.bytesAcked - uiBefore.bytesAcked : null,
    };
  } finally {
    if (plain) {
      const gone = await plain.stop();
      if (gone.killed > 0 || gone.left > 0) console.log(`  note: Chromium's tree: ${gone.killed} process(es) needed SIGKILL, ${gone.left} still running`);
    }
    const end = ui ? await ui.close() : await serve.stop();
    if (end.code !== 0 || end.killed) console.log(`  note: ${mode} server ended with code ${String(end.code)}, signal ${String(end.signal)}${end.killed ? ' (SIGKILLed)' : ''}`);
  }
}

async function partB(options: Options): Promise<boolean> {
  const wrk = findWrk()?.path;
  if (!wrk) {
    console.error('ui-browser-load: wrk is not installed (apt-get install wrk); part B skipped');
    return false;
  }
  const browserText = options.bBrowser === 'plain'
    ? 'a plain Chromium process on its inspector page (no CDP client during the run; request-count read over CDP afterwards)'
    : 'Chromium under Playwright on its inspector page (UIB_B_BROWSER=playwright: CDP client attached, Network tracking on, during the run)';
  console.log(`\n(B) capture throughput: wrk -t1 -c${options.wrkConnections} -d${options.wrkSeconds}s (after a ${WARMUP_SECONDS} s warm-up) against ` +
    `serve --port 0 (no UI) and serve --ui with ${browserText}; ${options.rounds} round(s) each, alternating, order flipped every round`);
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
  const shownText = (m: Measured): string => (m.shown === null ? '-' : (Number.isFinite(m.shown) ? int(m.shown) : 'unreadable'));
  console.log(table(['round', 'mode', 'req/s', 'wrk responses', 'CLI lines (incl. warm-up)', 'UI request-count', 'equal', 'UI bytes sent in run',
    'CLI CPU', 'Chromium CPU', 'bench CPU', 'wrk errors'],
  results.map((m) => [String(m.round), m.mode, int(m.wrk.requestsPerSec), int(m.wrk.requests), int(m.printed), shownText(m),
    m.shown === null ? '-' : ok(m.shown === m.printed), m.uiBytes === null ? '-' : mb(m.uiBytes),
    `${m.cliCpu.toFixed(1)} s`, m.mode === 'UI + Chromium' ? `${m.browserCpu.toFixed(1)} s` : '-',
    `${m.benchCpu.toFixed(1)} s`, wrkErrorsText(m.wrk) || 'none'])));
  console.log(`  CPU: seconds used during the ${options.wrkSeconds} s measured run (utime + stime from /proc; Chromium = its whole process tree; ` +
    'bench = this Node process, which hosts Playwright when it drives the browser)');
  console.log('  UI bytes sent in run: bytes the UI listener sent to the page (and had acknowledged) during the measured run, from ss -tni');
  const withBrowser = results.filter((m) => m.mode === 'UI + Chromium');
  const allEqual = withBrowser.every((m) => m.shown === m.printed);
  console.log(`  page request-count = CLI request lines after every UI + Chromium run: ${allEqual ? 'yes' : 'NO'} (${withBrowser.filter((m) => m.shown === m.printed).length} of ${withBrowser.length})`);

  const modes: Mode[] = options.diagnose ? ['no UI', 'UI, no browser', 'UI + Chromium'] : ['no UI', 'UI + Chromium'];
  const rps = (mode: Mode): number[] => results.filter((m) => m.mode === mode).map((m) => m.wrk.requestsPerSec);
  console.log('');
  console.log(table(['mode', 'runs', 'median req/s', 'min', 'max', 'median CLI CPU', 'median Chromium CPU', 'median bench CPU'], modes.map((mode) => {
    const of = results.filter((m) => m.mode === mode);
    const values = rps(mode);
    return [mode === 'UI + Chromium' ? `UI + Chromium (${options.bBrowser})` : mode, String(values.length), int(median(values)), int(Math.min(...values)), int(Math.max(...values)),
      `${median(of.map((m) => m.cliCpu)).toFixed(1)} s`, mode === 'UI + Chromium' ? `${median(of.map((m) => m.browserCpu)).toFixed(1)} s` : '-',
      `${median(of.map((m) => m.benchCpu)).toFixed(1)} s`];
  })));
  const plain = median(rps('no UI'));
  const withUi = median(rps('UI + Chromium'));
  const ratio = withUi / plain;
  console.log('');
  console.log(table(['measure', 'value', 'target', 'met'], [
    ['ratio of medians, UI + Chromium / no UI', ratio.toFixed(3), `>= ${THROUGHPUT_TARGET_RATIO}`, ok(ratio >= THROUGHPUT_TARGET_RATIO)],
    ...(options.diagnose ? [['ratio of medians, UI no browser / no UI (diagnostic)', (median(rps('UI, no browser')) / plain).toFixed(3), '-', '-']] : []),
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
