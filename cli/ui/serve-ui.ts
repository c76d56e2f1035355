/**
 * `sockeye serve --ui`: the browser inspector next to the capture listener.
 *
 * Two engines run in this process. The capture engine is the one `serve`
 * always runs; the page can move it to another address, which stops it and
 * starts a new one. The UI engine has one listener whose handler is the
 * inspector site (inspector-site.ts) and captures nothing; it is its own
 * engine so that moving the capture listener never drops the browser's
 * connection.
 *
 * The capture side is given as functions (CaptureHost), so serve.ts keeps
 * owning how a capture engine is started and printed, and this module owns
 * the restart, the status the page sees, and the secret.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { validateListen, type ListenSettings } from '../../common/app-settings';
import { validateCannedResponse, type CannedResponse } from '../../common/canned-response';
import type { CommandResult, EngineStatus, InspectorInit } from '../../common/inspector-api';
import type { RecordBatch } from '../../common/record-batch';
import { callbackSink } from '../../server/capture-sink';
import { Engine } from '../../server/engine';
import type { RequestAdmission, RequestHandler } from '../../server/http-handler';
import { plainText } from '../../server/router';
import { CliError, EXIT_RUNTIME } from '../cli-error';
import { formatHostPort } from '../format';
import { createUiSecret, isLoopbackHost, isOpenTicketValue, openTicket } from './access';
import { createInspectorAdmission, createInspectorSite } from './inspector-site';
import { PACED_BYTES_PER_SECOND, RecordFeed } from './record-feed';

/**
 * Largest request body on the UI listener: a canned response of up to 16 MiB
 * (MAX_CANNED_BODY_BYTES), base64 and JSON-escaped, fits.
 */
export const UI_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Environment variable naming another built renderer folder (tests, packaging). */
export const RENDERER_DIR_ENV = 'SOCKEYE_RENDERER_DIR';
/**
 * Environment variable with the one-time open ticket (access.ts) that
 * scripts/start.js (`npm start`) gives serve --ui; start.js spells the same name.
 */
export const OPEN_TICKET_ENV = 'SOCKEYE_UI_OPEN_TICKET';
/** Longest wait at stop for the event streams' last bytes (the end of the stream) to be written. */
export const STOP_FLUSH_MS = 1000;

/**
 * The open ticket from OPEN_TICKET_ENV, removed from `env` either way so no
 * process this one starts inherits it. Null when unset or malformed (not 64
 * lowercase hex digits: a weak ticket is no ticket).
 */
export function takeOpenTicket(env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[OPEN_TICKET_ENV];
  delete env[OPEN_TICKET_ENV];
  return value !== undefined && isOpenTicketValue(value) ? value : null;
}

/**
 * What the secret is replaced with in captured records: same length, so every
 * offset in the batch stays right.
 */
export const SECRET_MASK_CHAR = '*';

/**
 * Replace every occurrence of `secret` in the batch's bytes and strings with
 * as many SECRET_MASK_CHAR, in place; returns how many were replaced.
 *
 * Why: cookies are not isolated by port (RFC 6265 §8.5), so a browser that
 * opened the inspector sends its cookie, secret included, with every request
 * to the capture listener on the same host; and a pasted inspector URL would
 * put it in a target. Captured records are printed and shown in the page, so
 * the one value that must never be shown is masked before they go anywhere.
 * The secret is 64 random hex digits: nothing else matches it.
 */
export function maskSecret(batch: RecordBatch, secret: string): number {
  const needle = Buffer.from(secret, 'latin1');
  const mask = Buffer.alloc(needle.length, SECRET_MASK_CHAR);
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + needle.length)) {
    mask.copy(bytes, at);
    count++;
  }
  for (let i = 0; i < batch.strings.length; i++) {
    const s = batch.strings[i]!;
    if (s.includes(secret)) {
      count += s.split(secret).length - 1;
      batch.strings[i] = s.split(secret).join(mask.toString('latin1'));
    }
  }
  return count;
}

/** dist/renderer of the repository, from build/cli/ui/serve-ui.js; or $SOCKEYE_RENDERER_DIR. */
export function rendererRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env[RENDERER_DIR_ENV] || join(__dirname, '..', '..', '..', 'dist', 'renderer');
}

/** Throws CliError unless `root` holds a built renderer (index.html). */
export function checkRendererBuilt(root: string): void {
  if (!existsSync(join(root, 'index.html'))) {
    throw new CliError(`the browser inspector is not built (${join(root, 'index.html')} is missing); run \`npm run build\` first`, EXIT_RUNTIME);
  }
}

/** What serve.ts provides: how to run a capture engine, and how to describe a failure to start one. */
export interface CaptureHost {
  /**
   * Start a capture engine on `listen` answering `response`, whose batches
   * are printed and passed to Inspector.publishBatch. Throws as Engine.start does.
   */
  start(listen: ListenSettings, response: CannedResponse): Engine;
  /** One line for a failure of start (e.g. `port 8080 on 127.0.0.1 is already in use (EADDRINUSE)`) and its code. */
  describeError(err: unknown, listen: ListenSettings): { message: string; code: string | null };
}

export interface InspectorOptions {
  uiHost: string;
  uiPort: number;
  /**
   * Bytes of records a second each page is fed at most during a flood (RecordFeed pacing: more than
   * FLOOD_RECORDS_PER_SECOND requests a second); 0 never holds a page back. Default PACED_BYTES_PER_SECOND.
   */
  feedBytesPerSecond?: number;
  /** The capture engine serve already started, and where it was asked to listen. */
  capture: Engine;
  response: CannedResponse;
  host: CaptureHost;
  /** Unexpected internal problems of the UI engine. */
  onInternalError: (err: unknown) => void;
  /** Where the built renderer is (default rendererRoot()). */
  rendererRoot?: string;
  /** The one-time open ticket (takeOpenTicket), accepted for OPEN_TICKET_WINDOW_MS from now. */
  openTicket?: string | null;
}

function listenOf(engine: Engine): ListenSettings {
  const l = engine.listeners[0]!;
  return { host: l.address, port: l.port };
}

function listeningStatus(engine: Engine): EngineStatus {
  const l = engine.listeners[0]!;
  return { state: 'listening', listen: listenOf(engine), url: `http://${formatHostPort(l.address, l.port)}/` };
}

/**
 * The running inspector: the UI engine, the record feed and the capture
 * engine it may restart. Created by startInspector; stop() ends both engines.
 */
export class Inspector {
  /** The URL to print, secret included (`http://127.0.0.1:PORT/?secret=HEX`). */
  readonly url: string;
  readonly feed: RecordFeed;
  private capture: Engine | null;
  private listen: ListenSettings;
  private response: CannedResponse;
  /** Listen changes run one after the other. */
  private relisten: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(
    private readonly ui: Engine,
    feed: RecordFeed,
    capture: Engine,
    response: CannedResponse,
    private readonly host: CaptureHost,
    private readonly secret: string,
  ) {
    this.feed = feed;
    this.capture = capture;
    this.listen = listenOf(capture);
    this.response = response;
    const l = ui.listeners[0]!;
    this.url = `http://${formatHostPort(l.address, l.port)}/?secret=${secret}`;
  }

  /**
   * Open the UI listener beside `capture` (already running; the caller's
   * sink passes its batches to publishBatch). Throws CliError when the
   * renderer is not built, and what Engine.start throws when the UI listener
   * cannot be opened; the capture engine is left to the caller then.
   */
  static start(options: InspectorOptions): Inspector {
    const root = options.rendererRoot ?? rendererRoot();
    checkRendererBuilt(root);
    const secret = createUiSecret();
    const ticket = options.openTicket ? openTicket(options.openTicket) : null;
    const rate = options.feedBytesPerSecond ?? PACED_BYTES_PER_SECOND;
    const feed = new RecordFeed({
      status: listeningStatus(options.capture),
      // 0: never a flood, never paced.
      ...(rate === 0 ? { floodRecordsPerSecond: Infinity } : { pacedBytesPerSecond: rate }),
    });
    // The site needs the UI listener's actual port (for Host checks and the cookie name), known only once
    // it is open; requests are handled on later turns of the event loop, so the site is in place by then.
    let site: RequestHandler | null = null;
    let admission: RequestAdmission | null = null;
    let ui: Engine;
    try {
      ui = Engine.start({
        listen: [{
          host: options.uiHost,
          port: options.uiPort,
          handler: (req) => (site ? site(req) : plainText(503, 'starting\n')),
          admit: (req) => (admission ? admission(req) : plainText(503, 'starting\n')),
          maxBodyBytes: UI_MAX_BODY_BYTES,
        }],
        sink: callbackSink(() => {}),
        onInternalError: options.onInternalError,
      });
    } catch (err) {
      feed.close();
      throw err;
    }
    const inspector = new Inspector(ui, feed, options.capture, options.response, options.host, secret);
    admission = createInspectorAdmission({ secret, uiHost: ui.listeners[0]!.address, uiPort: ui.listeners[0]!.port });
    site = createInspectorSite({
      rendererRoot: root,
      secret,
      uiHost: ui.listeners[0]!.address,
      uiPort: ui.listeners[0]!.port,
      openTicket: ticket,
      feed,
      control: {
        init: () => inspector.init(),
        setResponse: (input) => inspector.setResponse(input),
        setListen: (input) => inspector.setListen(input),
      },
    });
    return inspector;
  }

  /** True when the UI listener can be reached from other machines. */
  get exposed(): boolean {
    return !isLoopbackHost(this.ui.listeners[0]!.address);
  }

  /**
   * A batch from a capture engine (every one, across restarts): the secret
   * is masked in it (in place, so what the caller prints next is masked
   * too), then it goes to the page.
   */
  publishBatch(batch: RecordBatch): void {
    maskSecret(batch, this.secret);
    this.feed.publishBatch(batch);
  }

  init(): InspectorInit {
    return { mode: 'browser', listen: { ...this.listen }, response: this.response, status: this.feed.status };
  }

  /** Validated (again) by the capture engine when one runs; kept for the next one either way. */
  setResponse(input: unknown): CommandResult {
    const checked = this.capture ? this.capture.setResponse(input) : validateCannedResponse(input);
    if (!checked.ok) return checked;
    this.response = checked.value;
    return { ok: true };
  }

  /**
   * Move the capture listener: refused with errors for an invalid address;
   * otherwise the old engine stops (its last records are printed and fed),
   * a new one starts, and the page sees `starting`, then `listening` or
   * `error` (with the code, e.g. EADDRINUSE) on the event stream. Resolves
   * once that is done; a failure to listen is a status, not a refusal.
   */
  setListen(input: unknown): CommandResult | Promise<CommandResult> {
    const checked = validateListen(input);
    if (!checked.ok) return checked;
    if (this.stopped) return { ok: false, errors: [{ field: '', message: 'sockeye is stopping' }] };
    const listen = checked.value;
    const done = this.relisten.then(() => this.moveCapture(listen));
    this.relisten = done.catch(() => {});
    return done.then((): CommandResult => ({ ok: true }));
  }

  private async moveCapture(listen: ListenSettings): Promise<void> {
    if (this.stopped) return;
    this.listen = { ...listen };
    this.feed.publishStatus({ state: 'starting', listen: { ...listen } });
    const old = this.capture;
    this.capture = null;
    if (old) await old.stop();
    if (this.stopped) return;
    try {
      const engine = this.host.start(listen, this.response);
      this.capture = engine;
      this.listen = listenOf(engine);
      this.feed.publishStatus(listeningStatus(engine));
    } catch (err) {
      const { message, code } = this.host.describeError(err, listen);
      this.feed.publishStatus({ state: 'error', listen: { ...listen }, message, code });
    }
  }

  /**
   * Stop both engines: the capture engine first (its last records are
   * printed and fed), then the event streams, which get what is queued for
   * them and their end (waiting at most STOP_FLUSH_MS), then the UI engine.
   * Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.relisten;
    const capture = this.capture;
    this.capture = null;
    if (capture) await capture.stop();
    // feed.close() ends every event stream; the engine writes their last bytes before it closes them.
    this.feed.close();
    await this.ui.stop({ drainMs: STOP_FLUSH_MS });
  }
}
