/**
 * startInspector: the built renderer in Chromium with window.sockeye wired to
 * main's real logic (harness-main.ts) and a real engine child, as the
 * Electron preload and main wire them:
 *
 * - window.sockeye's calls → the page binding (for ipcRenderer.invoke) →
 *   main's guardedInvoke (sender check: only the harness's page, main frame,
 *   app URL) → inspectorHandlers (payload validation, the engine, the settings
 *   store on a temporary user-data folder).
 * - status: the EngineSupervisor's events (starting, listening, error, crashed
 *   and its restarts) → onStatus listeners.
 * - records: each engine child's batches → onRecords listeners (ordered,
 *   coalesced; see event-pump.ts), like the engine's MessagePort in the app.
 * - copyText → kept for the test (lastCopied); onAction ← sendAction(action).
 */
import { createServer } from 'node:net';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { INSPECTOR_API_KEY, type EngineStatus, type InspectorAction } from '../../common/inspector-api';
import { IPC_INVOKE, type IpcReply } from '../../common/ipc-channels';
import type { EngineStats } from '../../common/wire-messages';
import { APP_URL, launchChromium, routeRenderer, type RunningBrowser } from './browser';
import { EventPump } from './event-pump';
import { HarnessMain } from './harness-main';
import { LOOPBACK } from './http-client';
import { CALL_BINDING, PAGE_HARNESS_KEY, installInspectorApi, type PageHarness } from './page-api';

/** The app must load and subscribe to records and status within this time. */
const APP_READY_TIMEOUT_MS = 20_000;
const VIEWPORT = { width: 1280, height: 800 };

export interface InspectorOptions {
  colorScheme?: 'light' | 'dark';
  /**
   * The settings file's exact text at start instead of a valid one with a
   * free loopback port and common's DEFAULT_CANNED_RESPONSE (e.g. a corrupt file).
   */
  settingsFile?: string;
  /** Accept an engine that could not listen at start (e.g. the defaults' port is taken). */
  allowStartError?: boolean;
  /** Serve this HTML as index.html instead of the built renderer (the harness's own tests). */
  indexHtml?: string;
  /** Runs before the app loads (e.g. a bench's own init scripts). */
  beforeLoad?: (context: BrowserContext) => Promise<void>;
}

export interface Inspector {
  page: Page;
  context: BrowserContext;
  /** Where the engine listens now (changes after a successful setListen). */
  readonly engineAddress: { host: string; port: number };
  /** The supervisor's current status (what the page was last sent). */
  status(): EngineStatus;
  /** The temporary user-data folder holding settings.json (removed by close()). */
  readonly userDataDir: string;
  /** Every line the harness's main logged (supervisor diagnostics, refused IPC). */
  readonly mainLog: readonly string[];
  /** The notice main got from the settings store at start, or null. */
  readonly notice: string | null;
  /** PID of the running engine child, or null between a crash and the restart. */
  enginePid(): number | null;
  /** The last text the app put on the "clipboard", or null. */
  lastCopied(): string | null;
  /** Every response the app asked to apply, valid or not, in order. */
  readonly responsesRequested: unknown[];
  /** Uncaught page errors and console errors (CSP violations show up here). */
  readonly pageErrors: string[];
  /** Deliver a shell action (menu item) to the app. */
  sendAction(action: InspectorAction): Promise<void>;
  /** The engine's own counters. */
  engineStats(): Promise<EngineStats>;
  /** Resolves when every event so far has reached the page. */
  delivered(): Promise<void>;
  /** SIGKILL the engine child (resolves once it exited); the supervisor reports 'crashed' and restarts it. */
  killEngine(): Promise<void>;
  /** Call the IPC binding from `frame` (a subframe or another page's frame is an unexpected sender). */
  invokeFrom(frame: Frame, channel: string, payload?: unknown): Promise<IpcReply<unknown>>;
  /** Close the browser and stop the engine child, both by PID if they do not stop politely. */
  close(): Promise<void>;
}

/** A loopback port that was free a moment ago (the settings file names a fixed port, as a user's would). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Start main (settings, supervisor, engine child), Chromium and the built renderer wired together; wait until the app has subscribed. */
export async function startInspector(options: InspectorOptions = {}): Promise<Inspector> {
  let pump: EventPump | null = null;
  const main = new HarnessMain({
    port: await freePort(),
    ...(options.settingsFile !== undefined ? { settingsFile: options.settingsFile } : {}),
    onStatus: (status) => pump?.push({ kind: 'status', status }),
    onRecords: (batch) => pump?.push({ kind: 'records', batch }),
  });
  let browser: RunningBrowser | null = null;
  const pageErrors: string[] = [];
  try {
    const first = await main.start();
    if (first.state !== 'listening' && !options.allowStartError) throw new Error(`engine did not start: ${JSON.stringify(first)}; main log: ${main.log.join(' | ')}`);
    browser = await launchChromium();
    const context = await browser.browser.newContext({
      viewport: VIEWPORT,
      colorScheme: options.colorScheme ?? 'light',
    });
    await routeRenderer(context, options.indexHtml);
    await context.exposeBinding(CALL_BINDING, ({ page, frame }, channel: string, payload: unknown) =>
      main.invoke(channel, main.senderEvent(page, frame), payload));
    await context.addInitScript(installInspectorApi, { apiKey: INSPECTOR_API_KEY, callBinding: CALL_BINDING, harnessKey: PAGE_HARNESS_KEY, channels: IPC_INVOKE });
    await options.beforeLoad?.(context);
    const page = await context.newPage();
    main.trustPage(page);
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    const events = new EventPump(page);
    pump = events;
    await page.goto(APP_URL);
    try {
      await page.waitForFunction((key) => {
        const subs = (window as unknown as Record<string, PageHarness | undefined>)[key]?.subscribers();
        return subs !== undefined && subs.records > 0 && subs.status > 0;
      }, PAGE_HARNESS_KEY, { timeout: APP_READY_TIMEOUT_MS });
    } catch {
      throw new Error(`the app did not subscribe to onRecords and onStatus within ${APP_READY_TIMEOUT_MS} ms` +
        `${pageErrors.length ? `; page errors: ${pageErrors.join(' | ')}` : ''}`);
    }
    const running = browser;
    return {
      page,
      context,
      get engineAddress() {
        const { host, port } = main.supervisor.status.listen;
        return { host, port };
      },
      status: () => main.supervisor.status,
      userDataDir: main.userDataDir,
      mainLog: main.log,
      notice: main.notice,
      enginePid: () => main.enginePid,
      lastCopied: () => main.copied[main.copied.length - 1] ?? null,
      responsesRequested: main.responsesRequested,
      pageErrors,
      async sendAction(action) {
        events.push({ kind: 'action', action });
        await events.idle();
      },
      engineStats: () => main.engineStats(),
      delivered: () => events.idle(),
      killEngine: () => main.killEngine(),
      invokeFrom: (frame, channel, payload) => frame.evaluate(({ binding, channel, payload }) =>
        (window as unknown as Record<string, (c: string, p: unknown) => Promise<IpcReply<unknown>>>)[binding]!(channel, payload),
      { binding: CALL_BINDING, channel, payload }),
      async close() {
        events.close();
        await main.close();
        await running.close();
      },
    };
  } catch (err) {
    pump?.close();
    await main.close();
    await browser?.close();
    throw err;
  }
}
