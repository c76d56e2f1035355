/**
 * Debian's Chromium under Playwright, and the built renderer served to it.
 *
 * The browser is started with launchServer so the harness holds its process
 * and can stop it by PID if a polite close hangs. The renderer is served from
 * dist/renderer through a route on http://sockeye.test/ (Chromium refuses
 * module scripts from file://); every other request the page makes is aborted,
 * so no traffic leaves the machine.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserServer } from 'playwright-core';
import { CHROMIUM, RENDERER_DIST, RENDERER_INDEX } from './paths';

/** The made-up origin the renderer is served from. */
export const APP_ORIGIN = 'http://sockeye.test';
export const APP_URL = `${APP_ORIGIN}/index.html`;
/** Flags for a quiet, headless, root-run Chromium in a container. */
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const LAUNCH_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 5_000;
const KILL_WAIT_MS = 2_000;

/** Why the Chromium specs cannot run here, or null when they can. needRenderer=false: only Chromium is needed. */
export function cannotRunReason(needRenderer = true): string | null {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing (install it with \`apt-get install chromium\`)`;
  if (needRenderer && !fs.existsSync(RENDERER_INDEX)) return `${RENDERER_INDEX} is missing (build the renderer with \`npx vite build\`)`;
  return null;
}

export interface RunningBrowser {
  browser: Browser;
  pid: number | undefined;
  close(): Promise<void>;
}

/** Whether a child process has exited (by a code or a signal). */
export const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Whether `promise` settled (fulfilled or rejected) within `ms`; the timer is cleared either way. */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Signal `pid` (SIGKILL by default); a process that is already gone (or no pid) is not an error. */
export function killQuietly(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Give a process until `exited` settles within `graceMs`; if it has not, SIGKILL it by PID and wait up to
 * `killWaitMs` more. Resolves true when the SIGKILL was needed.
 */
export async function killIfNotExitedWithin(pid: number | undefined, exited: Promise<unknown>, graceMs: number, killWaitMs: number): Promise<boolean> {
  if (await settleWithin(exited, graceMs)) return false;
  killQuietly(pid);
  await settleWithin(exited, killWaitMs);
  return true;
}

export async function launchChromium(): Promise<RunningBrowser> {
  const server: BrowserServer = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
  });
  const pid = server.process().pid;
  const exited = new Promise<void>((resolve) => {
    const proc = server.process();
    if (hasExited(proc)) resolve();
    else proc.once('exit', () => resolve());
  });
  let browser: Browser;
  try {
    browser = await chromium.connect(server.wsEndpoint(), { timeout: LAUNCH_TIMEOUT_MS });
  } catch (err) {
    killQuietly(pid);
    throw err;
  }
  return {
    browser,
    pid,
    async close(): Promise<void> {
      await settleWithin(browser.close(), CLOSE_TIMEOUT_MS);
      await settleWithin(server.close(), CLOSE_TIMEOUT_MS);
      await killIfNotExitedWithin(pid, exited, CLOSE_TIMEOUT_MS, KILL_WAIT_MS);
    },
  };
}

/**
 * Serve dist/renderer at APP_ORIGIN and abort every other request the page
 * makes. `indexHtml` replaces index.html (the harness's own test page).
 */
export async function routeRenderer(context: BrowserContext, indexHtml?: string): Promise<void> {
  await context.route((url) => url.origin !== APP_ORIGIN, (route) => route.abort('blockedbyclient'));
  await context.route(`${APP_ORIGIN}/**`, async (route) => {
    const pathname = decodeURIComponent(new URL(route.request().url()).pathname);
    if (indexHtml !== undefined && pathname === '/index.html') {
      await route.fulfill({ contentType: 'text/html', body: indexHtml });
      return;
    }
    const file = path.resolve(RENDERER_DIST, `.${pathname}`);
    // Nothing outside the build folder is served, whatever the page asks for.
    if (!file.startsWith(RENDERER_DIST + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      await route.fulfill({ status: 404, body: 'not found' });
      return;
    }
    await route.fulfill({ path: file });
  });
}
