/**
 * The browser inspector (`sockeye serve --ui`, issue 5) driven for real: the
 * CLI runs as a child process (`node build/cli/main.js serve --ui --port 0
 * --ui-port 0`), both URLs are read from its stdout, and Debian's Chromium
 * opens the printed inspector URL with no route fakes at all: the CLI's own
 * UI listener serves the page, the API and the event stream.
 *
 * Stdout contract read here: line 1 `listening on http://127.0.0.1:PORT`,
 * line 2 `inspector on http://127.0.0.1:UIPORT/?secret=HEX`, then one line per
 * captured request.
 *
 * The child and the browser are stopped by PID: close() closes the browser,
 * SIGTERMs the child, SIGKILLs it after STOP_GRACE_MS and throws if it is
 * still there. An exit hook SIGKILLs any child left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { SECRET_QUERY_PARAM } from '../../common/browser-protocol';
import { cannotRunReason, hasExited, killIfNotExitedWithin, killQuietly, launchChromium, type RunningBrowser } from './browser';
import { ROOT } from './paths';

/** The compiled CLI the specs start. */
export const CLI_MAIN = path.join(ROOT, 'build', 'cli', 'main.js');
/** Both stdout lines must be printed within this time. */
const START_TIMEOUT_MS = 15_000;
/** After SIGTERM the child gets this long to stop before SIGKILL, and as long again after it. */
const STOP_GRACE_MS = 10_000;
const KILL_WAIT_MS = 3_000;
/** The app must load and show a listening server within this time. */
const APP_READY_TIMEOUT_MS = 20_000;
/** Stderr kept for error messages. */
const STDERR_TAIL_CHARS = 4096;
/** Per test: the CLI, Chromium, the traffic, and stopping both. */
export const BROWSER_MODE_TIMEOUT_MS = 120_000;
const VIEWPORT = { width: 1280, height: 800 };

const LISTENING_LINE = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\/?$/;
const INSPECTOR_LINE = /^inspector on (http:\/\/127\.0\.0\.1:(\d+)\/\?[^\s]*)$/;

/** Every CLI child started here and not yet exited: killed if this process exits first. */
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveChildren) {
    killQuietly(child.pid);
  }
});

export interface ServeProcessOptions {
  /** Run with `--ui --ui-port 0` and expect the inspector line (default true). */
  ui?: boolean;
  /** More CLI arguments (e.g. `--status 201`). */
  extraArgs?: string[];
  /**
   * Keep every stdout line in `lines` (default true). false keeps only the
   * first two and counts the rest: for a bench printing hundreds of
   * thousands of lines.
   */
  keepLines?: boolean;
}

/** A running `sockeye serve` child. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Where requests are captured. */
  readonly capturePort: number;
  /** With --ui: the UI listener's port, `http://127.0.0.1:UIPORT/` and the printed URL with its secret. */
  readonly uiPort: number | null;
  readonly uiUrl: string | null;
  readonly secretUrl: string | null;
  readonly secret: string | null;
  /** Complete stdout lines so far (only the first two when keepLines is false). */
  readonly lines: readonly string[];
  /** Complete stdout lines so far, kept or not. */
  lineCount(): number;
  /** Stdout lines after the first two (one per captured request) that contain the secret (with keepLines false: at least 1 when any does). */
  secretLeaks(): number;
  /** The last STDERR_TAIL_CHARS of stderr. */
  stderr(): string;
  /** Wait until at least `n` stdout lines were printed in total; throws with the tail of stderr on timeout or exit. */
  waitForLines(n: number, timeoutMs: number): Promise<void>;
  /** SIGTERM by PID, SIGKILL after a grace period; resolves with how it ended, throws if it is still running. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

/**
 * Start `node build/cli/main.js serve --port 0 [--ui --ui-port 0]` and wait
 * for its address line(s). Throws (with the child's stderr) when they do not
 * come within START_TIMEOUT_MS or the child exits first; the child is stopped then.
 */
export async function startServeProcess(options: ServeProcessOptions = {}): Promise<ServeProcess> {
  const ui = options.ui ?? true;
  const keepLines = options.keepLines ?? true;
  if (!fs.existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (\`npx tsc -b tsconfig.json\`)`);
  const args = [CLI_MAIN, 'serve', '--port', '0', ...(ui ? ['--ui', '--ui-port', '0'] : []), ...(options.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
  const pid = child.pid;
  liveChildren.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      liveChildren.delete(child);
      resolve();
    });
  });

  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });

  const lines: string[] = [];
  /** The address lines before the request lines: `listening on …`, and with --ui `inspector on …`. */
  const addressLines = ui ? 2 : 1;
  let count = 0;
  let leaks = 0;
  let secret: string | null = null;
  let partial = '';
  const lineWaiters = new Set<() => void>();
  // Requests' lines are checked for the secret as they arrive, so nothing needs keeping to know.
  const takeLine = (line: string): void => {
    count++;
    if (count <= addressLines || keepLines) lines.push(line);
    if (count > addressLines && secret !== null && line.includes(secret)) leaks++;
    for (const wake of lineWaiters) wake();
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    if (!keepLines && count >= addressLines) {
      // Counting only (a bench's flood of request lines): no string per line. A secret is looked for in the
      // unfinished line plus the chunk, so one that spans chunks is found; a leak may be counted more than once.
      const text = partial + chunk;
      let last = -1;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) {
        count++;
        last = nl;
      }
      if (secret !== null && text.includes(secret)) leaks++;
      partial = text.slice(last + 1);
      for (const wake of lineWaiters) wake();
      return;
    }
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) break;
      takeLine(partial + chunk.slice(start, nl));
      partial = '';
      start = nl + 1;
    }
    partial += chunk.slice(start);
  });

  const failWith = (what: string): Error =>
    new Error(`serve ${ui ? '--ui ' : ''}${what}; stdout so far: ${JSON.stringify(lines.slice(0, 3))}; stderr: ${stderrTail.trim() || '(empty)'}`);

  const stop: ServeProcess['stop'] = async () => {
    let killed = false;
    if (!hasExited(child)) {
      process.kill(pid, 'SIGTERM');
      killed = await killIfNotExitedWithin(pid, exited, STOP_GRACE_MS, KILL_WAIT_MS);
    }
    if (!hasExited(child)) throw new Error(`serve (pid ${pid}) is still running after SIGTERM and SIGKILL`);
    return { code: child.exitCode, signal: child.signalCode, killed };
  };

  const waitForLines = (n: number, timeoutMs: number): Promise<void> => new Promise((resolve, reject) => {
    if (count >= n) {
      resolve();
      return;
    }
    if (hasExited(child)) {
      reject(failWith(`had exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)}) after ${count} of ${n} lines`));
      return;
    }
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      lineWaiters.delete(onLine);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    const onExit = (): void => finish(failWith(`exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)}) after ${count} of ${n} lines`));
    const timer = setTimeout(() => finish(failWith(`printed ${count} of ${n} lines within ${timeoutMs} ms`)), timeoutMs);
    const onLine = (): void => {
      if (count >= n) finish();
    };
    lineWaiters.add(onLine);
    child.once('exit', onExit);
  });

  try {
    await waitForLines(ui ? 2 : 1, START_TIMEOUT_MS);
    const listening = LISTENING_LINE.exec(lines[0] ?? '');
    if (!listening) throw failWith(`line 1 is not "listening on http://127.0.0.1:PORT"`);
    let uiPort: number | null = null;
    let uiUrl: string | null = null;
    let secretUrl: string | null = null;
    if (ui) {
      const inspector = INSPECTOR_LINE.exec(lines[1] ?? '');
      if (!inspector) throw failWith('line 2 is not "inspector on http://127.0.0.1:UIPORT/?secret=HEX"');
      secretUrl = inspector[1]!;
      const url = new URL(secretUrl);
      secret = url.searchParams.get(SECRET_QUERY_PARAM);
      if (!secret || !/^[0-9a-f]+$/i.test(secret)) throw failWith(`line 2 has no hex ${SECRET_QUERY_PARAM}=`);
      uiPort = Number(inspector[2]);
      uiUrl = `${url.origin}/`;
      // Lines printed before the secret was known (none are expected) are checked now.
      for (const line of lines.slice(2)) if (line.includes(secret)) leaks++;
    }
    return {
      child, pid, capturePort: Number(listening[2]), uiPort, uiUrl, secretUrl, secret, lines,
      lineCount: () => count,
      secretLeaks: () => leaks,
      stderr: () => stderrTail,
      waitForLines,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

export interface ServeUiOptions {
  /** More CLI arguments. */
  extraArgs?: string[];
  keepLines?: boolean;
  /** Runs on the page's context before the inspector URL is opened (e.g. a bench's init scripts). */
  beforeLoad?: (context: BrowserContext) => Promise<void>;
}

/** `serve --ui` with Chromium on its printed inspector URL. */
export interface ServeUi {
  readonly serve: ServeProcess;
  readonly browser: RunningBrowser;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly capturePort: number;
  /** `http://127.0.0.1:UIPORT/`, without the secret. */
  readonly uiUrl: string;
  /** The printed URL, `…/?secret=HEX`. */
  readonly secretUrl: string;
  readonly secret: string;
  /** Stdout lines so far (live). */
  readonly lines: readonly string[];
  /** Uncaught page errors and console errors of the inspector page. */
  readonly pageErrors: string[];
  /** Close the browser, then stop the CLI; throws if the CLI did not exit. */
  close(): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

/**
 * Attach the page-error collectors the specs judge by. A console message's
 * URL is part of its text, so a resource error says which resource failed.
 */
export function collectPageErrors(page: Page, into: string[]): void {
  page.on('pageerror', (err) => into.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location().url;
    into.push(`console.error: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
}

/**
 * Start the CLI with --ui, launch Chromium, open the printed URL (the server
 * answers 303 to `/` with the cookie) and wait until the app shows its server
 * as listening. Everything started is stopped again if a step fails.
 */
export async function startServeUi(options: ServeUiOptions = {}): Promise<ServeUi> {
  const serve = await startServeProcess({ ui: true, ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}), ...(options.keepLines !== undefined ? { keepLines: options.keepLines } : {}) });
  let browser: RunningBrowser | null = null;
  const pageErrors: string[] = [];
  try {
    browser = await launchChromium();
    const context = await browser.browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
    await options.beforeLoad?.(context);
    const page = await context.newPage();
    collectPageErrors(page, pageErrors);
    await page.goto(serve.secretUrl!);
    try {
      await page.getByTestId('server-status').filter({ hasText: /^\s*listening/ }).waitFor({ timeout: APP_READY_TIMEOUT_MS });
    } catch {
      throw new Error(`the inspector page did not show a listening server within ${APP_READY_TIMEOUT_MS} ms at ${page.url()}` +
        `${pageErrors.length ? `; page errors: ${pageErrors.join(' | ')}` : ''}; serve stderr: ${serve.stderr().trim() || '(empty)'}`);
    }
    const running = browser;
    return {
      serve, browser: running, context, page,
      capturePort: serve.capturePort,
      uiUrl: serve.uiUrl!,
      secretUrl: serve.secretUrl!,
      secret: serve.secret!,
      lines: serve.lines,
      pageErrors,
      async close() {
        await running.close();
        return serve.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await serve.stop().catch(() => undefined);
    throw err;
  }
}

/** Why the browser-mode specs cannot run here (Chromium, dist/renderer, the built CLI), or null. */
export function browserModeCannotRunReason(): string | null {
  return cannotRunReason() ?? (fs.existsSync(CLI_MAIN) ? null : `${CLI_MAIN} is missing (build with \`npx tsc -b tsconfig.json\`)`);
}

/** Page console messages that do not mean the app misbehaved: the browser's own favicon request. */
const IGNORED_PAGE_ERRORS = [/favicon\.ico/];

const skipReason = browserModeCannotRunReason();
let skipPrinted = false;

/**
 * One node:test test with a fresh `serve --ui` and Chromium on its inspector
 * page: skipped with its reason when Chromium, the renderer build or the CLI
 * build is missing; stopped whatever happens; failed if the page logged an
 * error, if a captured request's stdout line carries the secret, or if the
 * CLI did not stop cleanly on SIGTERM.
 */
export function browserModeTest(name: string, fn: (s: ServeUi) => Promise<void>, options: ServeUiOptions & { timeoutMs?: number } = {}): void {
  if (skipReason && !skipPrinted) {
    skipPrinted = true;
    console.log(`# browser-mode specs skipped: ${skipReason}`);
  }
  test(name, { skip: skipReason ?? false, timeout: options.timeoutMs ?? BROWSER_MODE_TIMEOUT_MS }, async () => {
    const s = await startServeUi(options);
    let passed = false;
    try {
      await fn(s);
      const errors = s.pageErrors.filter((e) => !IGNORED_PAGE_ERRORS.some((re) => re.test(e)));
      assert.deepEqual(errors, [], 'the inspector page logged errors');
      assert.equal(s.serve.secretLeaks(), 0, 'no captured request line on stdout carries the secret');
      passed = true;
    } finally {
      const end = await s.close();
      // Only judged when the test itself passed, so its own failure is the one reported.
      if (passed) {
        assert.deepEqual({ code: end.code, signal: end.signal, killed: end.killed }, { code: 0, signal: null, killed: false },
          `serve --ui stops cleanly on SIGTERM; stderr: ${s.serve.stderr().trim() || '(empty)'}`);
      }
    }
  });
}
