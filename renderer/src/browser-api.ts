/**
 * The InspectorApi of browser mode (`sockeye serve --ui`): the same React app
 * in an ordinary browser tab, talking to the CLI's UI server over HTTP
 * (protocol: common/browser-protocol.ts). Commands are fetch() calls; records
 * and status changes come on one Server-Sent Events stream.
 *
 * The stream is opened once, on the first subscription or init(), and kept
 * for the life of the page. EventSource reconnects by itself and sends
 * Last-Event-ID, and the server replays the batches missed meanwhile, so a
 * dropped connection needs nothing here; only a stream the browser gave up on
 * (readyState CLOSED: the server refused it, e.g. 401 without the secret
 * cookie) is reported, as an `error` status.
 *
 * Everything the browser provides is injectable (fetch, EventSource,
 * clipboard), so this runs under node:test with fakes.
 */
import type { FieldError } from '../../common/canned-response';
import type { CommandResult, EngineStatus, InspectorAction, InspectorApi, InspectorInit, Unsubscribe } from '../../common/inspector-api';
import { DEFAULT_LISTEN, type ListenSettings } from '../../common/app-settings';
import { isEngineStatus } from '../../common/ipc-channels';
import { bytesFromBase64, decodeRecordBatchBinary, SSE_EVENTS, UI_PATHS } from '../../common/browser-protocol';
import type { RecordBatch } from '../../common/record-batch';

/**
 * Batches that arrive before the page has subscribed to records are kept for
 * the first listener, up to this many; past it the oldest go and the loss is
 * reported (as preload/inspector-bridge.ts does).
 */
export const MAX_PENDING_BATCHES = 1024;
/** How much of an error answer's body goes into a message (a proxy's HTML error page can be long). */
export const MAX_ERROR_BODY_CHARS = 300;
/** EventSource.readyState when the browser has given up and will not reconnect (HTML §9.2). */
const EVENT_SOURCE_CLOSED = 2;
/** What to tell the user when the page cannot reach the server with its secret. */
const REOPEN_HINT = 'open the URL printed by `sockeye serve --ui` again (it carries the access secret)';

/** One event of an EventSource, as far as this module reads it. */
export interface ServerEvent {
  data: unknown;
}

/** The EventSource as far as this module uses it; the browser's EventSource fits. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: ServerEvent) => void): void;
  close(): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

export interface BrowserApiDeps {
  fetch?: typeof fetch;
  EventSource?: EventSourceConstructor;
  /** navigator.clipboard by default; null or missing where the page has none (an insecure origin). */
  clipboard?: { writeText(text: string): Promise<void> } | null;
  /** Where problems that have no caller to reject go (console.error by default). */
  report?: (line: string) => void;
}

/** A listener that throws must not stop the others (nor the event stream). */
function notifyAll<T>(listeners: Set<(value: T) => void>, value: T, report: (line: string) => void): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (err) {
      report(`listener failed: ${errorText(err)}`);
    }
  }
}

function subscribe<T>(listeners: Set<T>, listener: T): Unsubscribe {
  listeners.add(listener);
  return () => void listeners.delete(listener);
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
  const EventSourceImpl: EventSourceConstructor | undefined = deps.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  const clipboard = 'clipboard' in deps ? deps.clipboard : (globalThis as { navigator?: { clipboard?: BrowserApiDeps['clipboard'] } }).navigator?.clipboard;
  const report = deps.report ?? ((line: string) => console.error(`sockeye: ${line}`));

  const recordListeners = new Set<(batch: RecordBatch) => void>();
  const statusListeners = new Set<(status: EngineStatus) => void>();
  const pending: RecordBatch[] = [];
  let pendingDropped = 0;
  /** The listen address of the latest status or init, for the status reported when the stream is lost. */
  let lastListen: ListenSettings | null = null;
  let source: EventSourceLike | null = null;
  /** Set once the stream is closed for good; handed to status listeners that subscribe later. */
  let lostStatus: EngineStatus | null = null;

  const deliver = (batch: RecordBatch): void => {
    if (recordListeners.size > 0) {
      notifyAll(recordListeners, batch, report);
      return;
    }
    if (pending.length === MAX_PENDING_BATCHES) {
      pending.shift();
      pendingDropped++;
    }
    pending.push(batch);
  };

  const onRecordsEvent = (event: ServerEvent): void => {
    const bytes = typeof event.data === 'string' ? bytesFromBase64(event.data) : null;
    const batch = bytes === null ? null : decodeRecordBatchBinary(bytes);
    if (batch === null) {
      const why = bytes === null ? 'is not base64' : 'is not a valid record batch';
      report(`a records event was skipped: its data ${why} (${typeof event.data === 'string' ? event.data.length : 0} characters)`);
      return;
    }
    deliver(batch);
  };

  const onStatusEvent = (event: ServerEvent): void => {
    let status: unknown;
    try {
      status = typeof event.data === 'string' ? JSON.parse(event.data) : null;
    } catch {
      status = null;
    }
    if (!isEngineStatus(status)) {
      report('a status event was skipped: its data is not an engine status');
      return;
    }
    lastListen = status.listen;
    notifyAll(statusListeners, status, report);
  };

  const onError = (): void => {
    // While CONNECTING the browser is retrying (and the server replays what was missed): nothing to do.
    if (!source || source.readyState !== EVENT_SOURCE_CLOSED || lostStatus) return;
    lostStatus = {
      state: 'error',
      // Known from init or a status event in practice; the default only if the stream failed before either.
      listen: lastListen ?? DEFAULT_LISTEN,
      message: `lost the connection to sockeye serve --ui (the server refused the event stream or stopped); ${REOPEN_HINT}`,
      code: null,
    };
    notifyAll(statusListeners, lostStatus, report);
  };

  /** Open the one event stream, once. */
  const connect = (): void => {
    if (source) return;
    if (!EventSourceImpl) {
      report('this browser has no EventSource: live traffic cannot be shown');
      return;
    }
    source = new EventSourceImpl(UI_PATHS.events);
    source.addEventListener(SSE_EVENTS.records, onRecordsEvent);
    source.addEventListener(SSE_EVENTS.status, onStatusEvent);
    source.addEventListener('error', onError);
  };

  const onRecords = (listener: (batch: RecordBatch) => void): Unsubscribe => {
    const unsubscribe = subscribe(recordListeners, listener);
    connect();
    if (pendingDropped > 0) report(`${pendingDropped} record batch(es) arrived before the page subscribed and were dropped`);
    pendingDropped = 0;
    for (const batch of pending.splice(0)) notifyAll(recordListeners, batch, report);
    return unsubscribe;
  };

  const onStatus = (listener: (status: EngineStatus) => void): Unsubscribe => {
    const unsubscribe = subscribe(statusListeners, listener);
    connect();
    if (lostStatus) notifyAll(new Set([listener]), lostStatus, report);
    return unsubscribe;
  };

  const init = async (): Promise<InspectorInit> => {
    connect();
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
