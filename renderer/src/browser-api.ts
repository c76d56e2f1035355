/**
 * The InspectorApi of browser mode (`sockeye serve --ui`): the same React app
 * in an ordinary browser tab, talking to the CLI's UI server over HTTP
 * (protocol: common/browser-protocol.ts). Commands are fetch() calls; records
 * and status changes come as binary frames on one streamed response, read
 * with fetch() and its body's ReadableStream through a FrameReader.
 *
 * The stream is opened once, on the first subscription or init(), and kept
 * for the life of the page. When it drops (or cannot be opened, or its
 * framing breaks) it is fetched again after RECONNECT_MIN_MS, doubling up to
 * RECONNECT_MAX_MS while attempts keep failing, with `?after=<last sequence
 * number seen>`: the server replays the batches missed meanwhile. Only a
 * stream the server refuses for good (401 or 403: no secret cookie) stops
 * the retries, and is reported as an `error` status.
 *
 * Everything the browser provides is injectable (fetch, timers, clipboard),
 * so this runs under node:test with fakes.
 */
import type { FieldError } from '../../common/canned-response';
import type { CommandResult, EngineStatus, InspectorAction, InspectorApi, InspectorInit, Unsubscribe } from '../../common/inspector-api';
import { DEFAULT_LISTEN, type ListenSettings } from '../../common/app-settings';
import { isEngineStatus } from '../../common/ipc-channels';
import { decodeBacklog, decodeRecordBatchBinary, EVENTS_AFTER_PARAM, FRAME_TYPE, FrameReader, RECORDS_CONTENT_TYPE, UI_PATHS, type Frame } from '../../common/browser-protocol';
import type { RecordBatch } from '../../common/record-batch';
import { notifyAll, PendingListeners, subscribe } from '../../common/listeners';

// Batches that arrive before the page has subscribed to records are kept for the first listener
// (common/listeners.ts PendingListeners), as in the desktop preload.
export { MAX_PENDING_BATCHES } from '../../common/listeners';
/** How much of an error answer's body goes into a message (a proxy's HTML error page can be long). */
export const MAX_ERROR_BODY_CHARS = 300;
/** The first reconnection delay after the event stream drops or cannot be opened. */
export const RECONNECT_MIN_MS = 1000;
/** Delays double while attempts fail, up to this. */
export const RECONNECT_MAX_MS = 5000;
/** What to tell the user when the page cannot reach the server with its secret. */
const REOPEN_HINT = 'open the URL printed by `sockeye serve --ui` again (it carries the access secret)';

export interface BrowserApiDeps {
  fetch?: typeof fetch;
  /** setTimeout by default (reconnection delays). */
  setTimeout?: (run: () => void, ms: number) => unknown;
  /** navigator.clipboard by default; null or missing where the page has none (an insecure origin). */
  clipboard?: { writeText(text: string): Promise<void> } | null;
  /** Where problems that have no caller to reject go (console.error by default). */
  report?: (line: string) => void;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The body of an error answer, shortened, for a message; '' when it cannot be read. */
async function bodyExcerpt(response: Response): Promise<string> {
  let body: string;
  try {
    body = (await response.text()).trim();
  } catch {
    return '';
  }
  return body.length > MAX_ERROR_BODY_CHARS ? `${body.slice(0, MAX_ERROR_BODY_CHARS)}…` : body;
}

/** "HTTP 401 Unauthorized: <body>" plus what to do about it when the secret is the problem. */
async function httpFailure(what: string, response: Response): Promise<string> {
  const body = await bodyExcerpt(response);
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const hint = response.status === 401 || response.status === 403 ? ` — ${REOPEN_HINT}` : '';
  return `${what} failed: ${status}${body ? `: ${body}` : ''}${hint}`;
}

function isFieldErrorList(value: unknown): value is FieldError[] {
  return Array.isArray(value) && value.every((e) => typeof e === 'object' && e !== null &&
    typeof (e as FieldError).field === 'string' && typeof (e as FieldError).message === 'string');
}

/** Shape check for init's answer: the server is ours, but a wrong shape must not reach React. */
function isInspectorInit(value: unknown): value is InspectorInit {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<InspectorInit>;
  return (v.mode === 'browser' || v.mode === 'desktop') && typeof v.response === 'object' && v.response !== null &&
    isEngineStatus(v.status) && typeof v.listen === 'object' && v.listen !== null;
}

const failed = (message: string): CommandResult => ({ ok: false, errors: [{ field: '', message }] });

export function createBrowserInspectorApi(deps: BrowserApiDeps = {}): InspectorApi {
  const doFetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
  const later = deps.setTimeout ?? ((run: () => void, ms: number) => globalThis.setTimeout(run, ms));
  const clipboard = 'clipboard' in deps ? deps.clipboard : (globalThis as { navigator?: { clipboard?: BrowserApiDeps['clipboard'] } }).navigator?.clipboard;
  const report = deps.report ?? ((line: string) => console.error(`sockeye: ${line}`));

  const records = new PendingListeners<RecordBatch>(report);
  const statusListeners = new Set<(status: EngineStatus) => void>();
  const backlogListeners = new Set<(records: number) => void>();
  /** The listen address of the latest status or init, for the status reported when the stream is lost. */
  let lastListen: ListenSettings | null = null;
  let connected = false;
  /** The init request while it is on its way. */
  let initInFlight: Promise<unknown> | null = null;
  /** Sequence number of the last records frame read; the next stream asks for what follows. */
  let lastSeq: number | null = null;
  /** Set once the stream is refused for good; handed to status listeners that subscribe later. */
  let lostStatus: EngineStatus | null = null;

  const onRecordsFrame = (frame: Frame): void => {
    // Past this batch even if it is skipped: a reconnect must not fetch it again.
    lastSeq = frame.seq;
    // No record walk here: RecordStore.append walks every batch anyway and refuses one that does not walk, whole.
    const batch = decodeRecordBatchBinary(frame.payload, { walk: false });
    if (batch === null) {
      report(`a records frame was skipped: batch ${frame.seq} is not a valid record batch (${frame.payload.length} bytes)`);
      return;
    }
    records.deliver(batch);
  };

  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const onStatusFrame = (frame: Frame): void => {
    let status: unknown;
    try {
      status = JSON.parse(utf8.decode(frame.payload));
    } catch {
      status = null;
    }
    if (!isEngineStatus(status)) {
      report('a status frame was skipped: its payload is not an engine status');
      return;
    }
    lastListen = status.listen;
    notifyAll(statusListeners, status, report);
  };

  const onBacklogFrame = (frame: Frame): void => {
    const records = decodeBacklog(frame.payload);
    if (records === null) report('a backlog frame was skipped: its payload is not a record count');
    else notifyAll(backlogListeners, records, report);
  };

  const onFrame = (frame: Frame): void => {
    if (frame.type === FRAME_TYPE.records) onRecordsFrame(frame);
    else if (frame.type === FRAME_TYPE.status) onStatusFrame(frame);
    else if (frame.type === FRAME_TYPE.backlog) onBacklogFrame(frame);
    // Pings only keep the connection alive.
  };

  const refused = async (response: Response): Promise<void> => {
    const message = `lost the connection to sockeye serve --ui (${await httpFailure('the event stream', response)})`;
    // The address from init when it is still on its way (the stream is opened first).
    if (lastListen === null && initInFlight) await initInFlight.catch(() => undefined);
    lostStatus = {
      state: 'error',
      // Known from init or a status frame in practice; the default only if the stream failed before either.
      listen: lastListen ?? DEFAULT_LISTEN,
      message,
      code: null,
    };
    notifyAll(statusListeners, lostStatus, report);
  };

  /** Read one response's frames until it ends or fails; true when it carried at least one frame. */
  const readStream = async (body: ReadableStream<Uint8Array>): Promise<boolean> => {
    const frames = new FrameReader();
    const reader = body.getReader();
    let any = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const frame of frames.push(value)) {
          any = true;
          onFrame(frame);
        }
        if (frames.error !== null) {
          report(`the event stream is unreadable (${frames.error}); reconnecting`);
          void reader.cancel().catch(() => undefined);
          break;
        }
      }
    } catch {
      // The connection dropped: reconnect below.
    }
    return any;
  };

  /** Fetch the event stream and read it, again and again, until the server refuses it for good. */
  const follow = async (): Promise<void> => {
    /** Connections in a row that ended or failed without one good stream in between: sets the delay. */
    let streak = 0;
    /** Set once a failed attempt is reported; cleared by a good stream (one report per outage). */
    let reported = false;
    const reportOnce = (line: string): void => {
      if (!reported) report(line);
      reported = true;
    };
    for (;;) {
      const url = lastSeq === null ? UI_PATHS.events : `${UI_PATHS.events}?${EVENTS_AFTER_PARAM}=${lastSeq}`;
      let healthy = false;
      try {
        const response = await doFetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: RECORDS_CONTENT_TYPE } });
        if (response.status === 401 || response.status === 403) {
          await refused(response);
          return;
        }
        const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (!response.ok || type !== RECORDS_CONTENT_TYPE || !response.body) {
          if (!reported) reportOnce(`${await httpFailure('opening the event stream', response)}; retrying`);
          else void response.body?.cancel().catch(() => undefined);
        } else {
          healthy = await readStream(response.body);
          // What the server said was still to come is not known any more: the next stream says it again.
          notifyAll(backlogListeners, 0, report);
        }
      } catch (err) {
        // The server is gone or restarting: keep trying, quietly after the first time.
        reportOnce(`could not reach sockeye serve --ui for the event stream: ${errorText(err)}; retrying`);
      }
      // After a good stream: 1 s; then 2 s, 4 s, … up to the cap while attempts fail.
      streak = healthy ? 1 : streak + 1;
      if (healthy) reported = false;
      const delay = Math.min(RECONNECT_MIN_MS * 2 ** Math.min(streak - 1, 16), RECONNECT_MAX_MS);
      await new Promise<void>((resolve) => later(resolve, delay));
    }
  };

  /** Open the one event stream, once. */
  const connect = (): void => {
    if (connected) return;
    connected = true;
    void follow().catch((err: unknown) => report(`the event stream stopped: ${errorText(err)}`));
  };

  const onRecords = (listener: (batch: RecordBatch) => void): Unsubscribe => {
    const unsubscribe = records.subscribe(listener);
    connect();
    return unsubscribe;
  };

  const onStatus = (listener: (status: EngineStatus) => void): Unsubscribe => {
    const unsubscribe = subscribe(statusListeners, listener);
    connect();
    if (lostStatus) notifyAll(new Set([listener]), lostStatus, report);
    return unsubscribe;
  };

  const init = (): Promise<InspectorInit> => {
    connect();
    const loading = loadInit();
    initInFlight = loading;
    void loading.finally(() => {
      if (initInFlight === loading) initInFlight = null;
    }).catch(() => undefined);
    return loading;
  };

  const loadInit = async (): Promise<InspectorInit> => {
    let response: Response;
    try {
      response = await doFetch(UI_PATHS.init, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    } catch (err) {
      throw new Error(`could not reach sockeye serve --ui: ${errorText(err)}`);
    }
    if (!response.ok) throw new Error(await httpFailure('loading the settings', response));
    let value: unknown;
    try {
      value = await response.json();
    } catch (err) {
      throw new Error(`loading the settings failed: the answer is not JSON (${errorText(err)})`);
    }
    if (!isInspectorInit(value)) throw new Error('loading the settings failed: unexpected answer from the server');
    lastListen ??= value.status.listen;
    return value;
  };

  /** POST `body` as JSON; the server's CommandResult (also on 4xx, which carries field errors), else one error. */
  const command = async (path: string, what: string, body: unknown): Promise<CommandResult> => {
    let response: Response;
    try {
      response = await doFetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      return failed(`could not reach sockeye serve --ui: ${errorText(err)}`);
    }
    let value: unknown = null;
    if ((response.headers.get('content-type') ?? '').toLowerCase().includes('json')) {
      try {
        value = await response.clone().json();
      } catch {
        value = null;
      }
    }
    const result = value as { ok?: unknown; errors?: unknown } | null;
    if (response.ok && result?.ok === true) return { ok: true };
    if (result?.ok === false && isFieldErrorList(result.errors) && result.errors.length > 0) return { ok: false, errors: result.errors };
    if (response.ok) return failed(`${what}: unexpected answer from the server`);
    return failed(await httpFailure(what, response));
  };

  return {
    init,
    onRecords,
    onStatus,
    onBacklog: (listener) => {
      const unsubscribe = subscribe(backlogListeners, listener);
      connect();
      return unsubscribe;
    },
    // No native menu in a browser: the app handles the shortcuts in the page (mode 'browser').
    onAction: (_listener: (action: InspectorAction) => void): Unsubscribe => () => undefined,
    setResponse: (response) => command(UI_PATHS.response, 'applying the response', response),
    setListen: (listen) => command(UI_PATHS.listen, 'changing the address', listen),
    copyText: async (text) => {
      if (!clipboard) {
        throw new Error('the clipboard is not available to this page (browsers allow it only on https:// or localhost addresses)');
      }
      try {
        await clipboard.writeText(text);
      } catch (err) {
        throw new Error(`the browser refused the clipboard: ${errorText(err)}`);
      }
    },
  };
}
