/**
 * The harness's stand-in for Electron main, built from main's own logic: the
 * settings store on a per-test user-data folder, the EngineSupervisor driving
 * the real engine entry (build/server/utility-entry.js) forked under Node
 * (main/test/node-engine-process.ts), inspectorHandlers behind guardedInvoke.
 * Only the glue differs from main/index.ts: the page's Playwright binding
 * stands in for ipcRenderer.invoke, and records go from the engine child to
 * the page through the event pump, as the MessagePort carries them in the app.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Frame, Page } from 'playwright-core';
import { DEFAULT_CANNED_RESPONSE } from '../../common/canned-response';
import { serializeSettings, SETTINGS_VERSION } from '../../common/app-settings';
import type { EngineStatus } from '../../common/inspector-api';
import type { IpcReply } from '../../common/ipc-channels';
import { isRecordBatch, type RecordBatch } from '../../common/record-batch';
import { isEngineEvent, type EngineStats } from '../../common/wire-messages';
import { EngineSupervisor, type EngineProcess } from '../../main/engine-supervisor';
import { inspectorHandlers } from '../../main/inspector-service';
import { guardedInvoke, type IpcSenderEvent, type InvokeHandler, type TrustedSender } from '../../main/ipc-guards';
import { SettingsStore } from '../../main/settings-store';
import { APP_HOST, APP_SCHEME } from '../../main/window-security';
import { nodeEngineForker, type NodeEngineForker } from '../../main/test/node-engine-process';
import { APP_ORIGIN } from './browser';

/** The supervisor must settle (listening or error) within this time at start. */
const START_SETTLE_MS = 15_000;
/** get-stats must be answered within this time. */
const STATS_TIMEOUT_MS = 5_000;
/** A SIGKILLed child must be reported exited within this time. */
const KILL_WAIT_MS = 2_000;
/** Set SOCKEYE_E2E_LOG=1 to see main's log lines on stderr as they happen. */
const ECHO_LOG = process.env.SOCKEYE_E2E_LOG === '1';

export interface HarnessMainOptions {
  /**
   * The settings file's text in the user-data folder at start. Default: a
   * valid file listening on `port` with the default response, as a user who saved them.
   */
  settingsFile?: string;
  /** Loopback port for the default settings file (the harness picks a free one). */
  port: number;
  /** Where status events go (the page's event pump, once there is one). */
  onStatus(status: EngineStatus): void;
  onRecords(batch: RecordBatch): void;
}

/** Every engine child forked by any harness and not yet exited: none may outlive the test process. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * The page is served at APP_ORIGIN in Chromium where the app serves it at
 * sockeye://app; translate that origin so main's own URL check judges the
 * path (other origins are passed through and refused).
 */
export function asAppUrl(url: string): string {
  return url.startsWith(`${APP_ORIGIN}/`) ? `${APP_SCHEME}://${APP_HOST}${url.slice(APP_ORIGIN.length)}` : url;
}

export class HarnessMain {
  readonly userDataDir: string;
  readonly store: SettingsStore;
  readonly notice: string | null;
  /** Every line main logged (supervisor diagnostics, refused IPC), in order. */
  readonly log: string[] = [];
  readonly copied: string[] = [];
  /** Every setResponse payload the page sent, valid or not, before any check. */
  readonly responsesRequested: unknown[] = [];
  readonly supervisor: EngineSupervisor;
  private readonly forker: NodeEngineForker;
  private readonly handlers: Record<string, InvokeHandler>;
  private readonly trusted: TrustedSender = { webContentsId: null };
  /** Stand-in webContents ids: one per Playwright page that ever called. */
  private readonly pageIds = new WeakMap<Page, number>();
  private nextPageId = 1;
  private readonly statsWaiters = new Map<EngineProcess, Array<(stats: EngineStats) => void>>();
  private current: EngineProcess | null = null;
  private settled: Promise<void>;

  constructor(private readonly options: HarnessMainOptions) {
    this.userDataDir = mkdtempSync(join(tmpdir(), 'sockeye-e2e-'));
    this.store = new SettingsStore(this.userDataDir);
    writeFileSync(this.store.path, options.settingsFile ?? serializeSettings({
      version: SETTINGS_VERSION,
      listen: { host: '127.0.0.1', port: options.port },
      response: DEFAULT_CANNED_RESPONSE,
    }));
    const { settings, notice } = this.store.load();
    this.notice = notice;
    if (notice) this.logLine(notice);

    this.forker = nodeEngineForker();
    let settle!: () => void;
    this.settled = new Promise((resolve) => (settle = resolve));
    this.supervisor = new EngineSupervisor({
      fork: () => this.fork(),
      listen: settings.listen,
      response: settings.response,
      onStatus: (status) => {
        if (status.state !== 'starting') settle();
        options.onStatus(status);
      },
      log: (line) => this.logLine(line),
    });
    this.handlers = inspectorHandlers({
      settings: this.store,
      engine: this.supervisor,
      clipboard: { writeText: (text) => void this.copied.push(text) },
      notice,
    });
  }

  private logLine(line: string): void {
    this.log.push(line);
    if (ECHO_LOG) process.stderr.write(`harness main: ${line}\n`);
  }

  /** The supervisor's fork, with the harness's own tap on each child: records to the page, stats answers. */
  private fork(): EngineProcess {
    const proc = this.forker.fork();
    const child = this.forker.children[this.forker.children.length - 1]!;
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    // A send to a child that is exiting fails with EPIPE as an 'error' event; its exit reports the rest.
    child.on('error', (err) => this.logLine(`engine child: ${err.message}`));
    this.current = proc;
    this.statsWaiters.set(proc, []);
    proc.onMessage((message) => {
      if (!isEngineEvent(message)) return;
      if (message.type === 'records') {
        if (isRecordBatch(message.batch)) this.options.onRecords(message.batch);
        else this.logLine('engine sent a records message without a valid batch; dropped');
      } else if (message.type === 'stats') {
        this.statsWaiters.get(proc)?.shift()?.(message.stats);
      }
    });
    proc.onExit(() => this.statsWaiters.delete(proc));
    return proc;
  }

  /** Start the engine and wait until it listens or reports why not (bounded). */
  async start(): Promise<EngineStatus> {
    this.supervisor.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.settled,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the engine neither listened nor failed within ${START_SETTLE_MS} ms`)), START_SETTLE_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    return this.supervisor.status;
  }

  /** The page main trusts (as main/index.ts trusts its window's webContents). */
  trustPage(page: Page): void {
    this.trusted.webContentsId = this.pageId(page);
  }

  private pageId(page: Page): number {
    let id = this.pageIds.get(page);
    if (id === undefined) {
      id = this.nextPageId++;
      this.pageIds.set(page, id);
    }
    return id;
  }

  /** What Electron would say about the sender of an invoke coming from `frame` of `page`. */
  senderEvent(page: Page, frame: Frame): IpcSenderEvent {
    return {
      sender: { id: this.pageId(page) },
      senderFrame: frame.isDetached() ? null : { url: asAppUrl(frame.url()), parent: frame.parentFrame() },
    };
  }

  /** An invoke from the page: main's guard and handler, exactly as ipcMain.handle runs them in the app. */
  invoke(channel: string, event: IpcSenderEvent, payload: unknown): Promise<IpcReply<unknown>> {
    const handler = Object.hasOwn(this.handlers, channel) ? this.handlers[channel] : undefined;
    if (!handler) {
      // Electron rejects an invoke on a channel nobody handles; so does this.
      this.logLine(`IPC ${String(channel).slice(0, 100)} refused: no handler`);
      return Promise.reject(new Error(`No handler registered for '${String(channel).slice(0, 100)}'`));
    }
    if (channel === 'sockeye:set-response') this.responsesRequested.push(payload);
    return guardedInvoke(channel, event, payload, this.trusted, handler, (line) => this.logLine(line));
  }

  /** The running engine child (the last one forked), or null. */
  private liveChild(): ChildProcess | null {
    const last = this.forker.children[this.forker.children.length - 1];
    return last && running(last) ? last : null;
  }

  get enginePid(): number | null {
    return this.liveChild()?.pid ?? null;
  }

  /** The current engine's own counters. */
  engineStats(): Promise<EngineStats> {
    const proc = this.current;
    const waiters = proc ? this.statsWaiters.get(proc) : undefined;
    if (!proc || !waiters || this.supervisor.status.state !== 'listening') return Promise.reject(new Error('no engine is listening'));
    return new Promise<EngineStats>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`get-stats: no answer within ${STATS_TIMEOUT_MS} ms`)), STATS_TIMEOUT_MS);
      waiters.push((stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      proc.send({ type: 'get-stats' });
    });
  }

  /** SIGKILL the engine child from outside, as a crash; resolves once it has exited. */
  async killEngine(): Promise<void> {
    const child = this.liveChild();
    if (!child) throw new Error('no engine child is running');
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, KILL_WAIT_MS)))]).finally(() => clearTimeout(timer));
    if (running(child)) throw new Error(`engine child ${child.pid} did not exit within ${KILL_WAIT_MS} ms of SIGKILL`);
  }

  /** Stop the engine as the app does at quit (politely, killed when it does not), then anything left; remove the folder. */
  async close(): Promise<void> {
    await this.supervisor.dispose();
    this.forker.killAll();
    rmSync(this.userDataDir, { recursive: true, force: true });
  }
}
