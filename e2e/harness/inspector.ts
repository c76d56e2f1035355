/**
 * startInspector: the built renderer in Chromium with window.sockeye wired to
 * a real engine child, as the Electron preload and main would wire it.
 *
 * - init → { mode: 'desktop', listen, response, status }
 * - records from the engine → onRecords listeners (ordered, coalesced; see event-pump.ts)
 * - setResponse → validated, then the engine's set-response; answers with its CommandResult
 * - setListen → validated, then the engine child restarted on the new address,
 *   with status events starting → listening | error (EADDRINUSE keeps its code)
 * - copyText → kept for the test (lastCopied)
 * - onAction ← sendAction(action)
 * An engine that dies unasked is reported as 'crashed' and restarted, a bounded number of times.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { validateCannedResponse, DEFAULT_CANNED_RESPONSE, type CannedResponse } from '../../common/canned-response';
import { validateListen, type ListenSettings } from '../../common/app-settings';
import { INSPECTOR_API_KEY, type CommandResult, type EngineStatus, type InspectorAction, type InspectorInit } from '../../common/inspector-api';
import type { EngineStats } from '../../common/wire-messages';
import { APP_URL, launchChromium, routeRenderer, type RunningBrowser } from './browser';
import { EngineProcess, type EngineHandlers } from './engine-process';
import { EventPump } from './event-pump';
import { CALL_BINDING, PAGE_HARNESS_KEY, installInspectorApi, type HarnessMethod, type PageHarness } from './page-api';

const ENGINE_HOST = '127.0.0.1';
/** The app must load and subscribe to records and status within this time. */
const APP_READY_TIMEOUT_MS = 20_000;
/** After a crash the engine is restarted after this delay, at most this many times. */
const CRASH_RESTART_MS = 300;
const MAX_CRASH_RESTARTS = 3;
const DEFAULT_VIEWPORT = { width: 1280, height: 800 };

export interface InspectorOptions {
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** The canned response the engine starts with (default: common's DEFAULT_CANNED_RESPONSE). */
  response?: CannedResponse;
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
  /** The last status sent to the page. */
  status(): EngineStatus;
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
  /** SIGKILL the engine child; the harness reports 'crashed' and restarts it. */
  killEngine(): Promise<void>;
  /** Close the browser and stop the engine child, both by PID if they do not stop politely. */
  close(): Promise<void>;
}

class InspectorHost {
  listen: ListenSettings = { host: ENGINE_HOST, port: 0 };
  response: CannedResponse;
  current: EngineStatus;
  engine: EngineProcess | null = null;
  copied: string[] = [];
  responsesRequested: unknown[] = [];
  pump: EventPump | null = null;
  private crashes = 0;
  private closed = false;
  /** setListen calls and crash restarts run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly handlers: EngineHandlers;

  constructor(response: CannedResponse) {
    this.response = response;
    this.current = { state: 'starting', listen: this.listen };
    this.handlers = {
      onRecords: (batch) => this.pump?.push({ kind: 'records', batch }),
      onUnexpectedExit: (engine, description) => {
        if (engine !== this.engine || this.closed) return;
        this.engine = null;
        this.crashes++;
        if (this.crashes > MAX_CRASH_RESTARTS) {
          this.setStatus({ state: 'error', listen: this.listen, message: `${description}; not restarted again`, code: null });
          return;
        }
        this.setStatus({ state: 'crashed', listen: this.listen, message: description, restartInMs: CRASH_RESTART_MS, attempt: this.crashes });
        setTimeout(() => void this.serialize(() => (this.closed || this.engine ? undefined : this.startEngine(this.listen))), CRASH_RESTART_MS);
      },
    };
  }

  private serialize<T>(work: () => Promise<T> | T): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  setStatus(status: EngineStatus): void {
    this.current = status;
    this.pump?.push({ kind: 'status', status });
  }

  async startEngine(listen: ListenSettings): Promise<void> {
    this.setStatus({ state: 'starting', listen });
    const result = await EngineProcess.start({ host: listen.host, port: listen.port, response: this.response }, this.handlers);
    if (!result.ok) {
      this.listen = listen;
      this.setStatus({ state: 'error', listen, message: result.message, code: result.code });
      return;
    }
    this.engine = result.engine;
    // Port 0 asks for any free port: from now on the address is the one the engine got.
    this.listen = listen.port === 0 ? { host: listen.host, port: result.address.port } : listen;
    const host = result.address.family === 'IPv6' ? `[${result.address.address}]` : result.address.address;
    this.setStatus({ state: 'listening', listen: this.listen, url: `http://${host}:${result.address.port}/` });
  }

  async stopEngine(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    await engine?.stop();
  }

  init(): InspectorInit {
    return { mode: 'desktop', listen: this.listen, response: this.response, status: this.current };
  }

  async setResponse(input: unknown): Promise<CommandResult> {
    this.responsesRequested.push(input);
    const checked = validateCannedResponse(input);
    if (!checked.ok) return { ok: false, errors: checked.errors };
    if (this.engine) {
      const errors = await this.engine.setResponse(checked.value);
      if (errors) return { ok: false, errors };
    }
    // Without a running engine it is kept for the next start, as the app persists it.
    this.response = checked.value;
    return { ok: true };
  }

  setListen(input: unknown): Promise<CommandResult> {
    const checked = validateListen(input);
    if (!checked.ok) return Promise.resolve({ ok: false, errors: checked.errors });
    return this.serialize(async () => {
      this.crashes = 0;
      await this.stopEngine();
      await this.startEngine(checked.value);
      return { ok: true } as const;
    });
  }

  call(method: HarnessMethod, arg: unknown): Promise<unknown> | unknown {
    switch (method) {
      case 'init':
        return this.init();
      case 'setResponse':
        return this.setResponse(arg);
      case 'setListen':
        return this.setListen(arg);
      case 'copyText':
        if (typeof arg !== 'string') throw new TypeError('copyText takes a string');
        this.copied.push(arg);
        return undefined;
      default:
        throw new TypeError(`unknown harness call ${String(method)}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pump?.close();
    await this.serialize(() => this.stopEngine());
  }
}

/** Start an engine child, Chromium and the built renderer wired together; wait until the app has subscribed. */
export async function startInspector(options: InspectorOptions = {}): Promise<Inspector> {
  const host = new InspectorHost(options.response ?? DEFAULT_CANNED_RESPONSE);
  let browser: RunningBrowser | null = null;
  const pageErrors: string[] = [];
  try {
    await host.startEngine({ host: ENGINE_HOST, port: 0 });
    if (host.current.state !== 'listening') throw new Error(`engine did not start: ${JSON.stringify(host.current)}`);
    browser = await launchChromium();
    const context = await browser.browser.newContext({
      viewport: options.viewport ?? DEFAULT_VIEWPORT,
      colorScheme: options.colorScheme ?? 'light',
    });
    await routeRenderer(context, options.indexHtml);
    await context.exposeBinding(CALL_BINDING, (_source, method: HarnessMethod, arg: unknown) => host.call(method, arg));
    await context.addInitScript(installInspectorApi, { apiKey: INSPECTOR_API_KEY, callBinding: CALL_BINDING, harnessKey: PAGE_HARNESS_KEY });
    await options.beforeLoad?.(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    const pump = new EventPump(page);
    host.pump = pump;
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
        return { host: host.listen.host, port: host.listen.port };
      },
      status: () => host.current,
      lastCopied: () => host.copied[host.copied.length - 1] ?? null,
      responsesRequested: host.responsesRequested,
      pageErrors,
      async sendAction(action) {
        pump.push({ kind: 'action', action });
        await pump.idle();
      },
      async engineStats() {
        if (!host.engine) throw new Error('no engine is running');
        return host.engine.stats();
      },
      delivered: () => pump.idle(),
      async killEngine() {
        await host.engine?.crash();
      },
      async close() {
        await host.close();
        await running.close();
      },
    };
  } catch (err) {
    await host.close();
    await browser?.close();
    throw err;
  }
}
