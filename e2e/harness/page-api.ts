/**
 * The page half of the harness: window.sockeye (an InspectorApi) defined by an
 * init script before the app's own scripts run, as the preload defines it.
 * Calls go to the harness's main (harness-main.ts) through one Playwright
 * binding that stands in for ipcRenderer.invoke: (channel, payload) → the
 * IpcReply main answers, unwrapped here as preload/inspector-bridge.ts does.
 * Events come back through `deliver`, called by event-pump.ts with page.evaluate.
 *
 * installInspectorApi is serialized with Function.prototype.toString and run
 * in the page, so it must not reference anything outside its own body.
 */
import type { EngineStatus, InspectorAction } from '../../common/inspector-api';
import type { RecordBatch } from '../../common/record-batch';

/** The Playwright binding the page calls: (IPC channel, payload) → IpcReply, like ipcRenderer.invoke. */
export const CALL_BINDING = '__sockeyeHarnessCall';
/** Where the page keeps the harness's side: deliver() and subscription counts. */
export const PAGE_HARNESS_KEY = '__sockeyeHarness';

/** One event for the page, in the order the harness saw it. */
export type PageEvent =
  | { kind: 'records'; batch: RecordBatch }
  | { kind: 'status'; status: EngineStatus }
  | { kind: 'action'; action: InspectorAction };

/** What the page exposes to the harness under PAGE_HARNESS_KEY. */
export interface PageHarness {
  /** Resolves once every event has been handed to the app's listeners, one event per task. */
  deliver(events: PageEvent[]): Promise<void>;
  /** Listener counts, so the harness can wait until the app has subscribed. */
  subscribers(): { records: number; status: number; action: number };
}

export interface InstallArgs {
  apiKey: string;
  callBinding: string;
  harnessKey: string;
  /** common/ipc-channels IPC_INVOKE (the function below cannot import it). */
  channels: { init: string; setResponse: string; setListen: string; copyText: string };
}

/** Runs in the page (see the file comment): defines window[apiKey] and window[harnessKey]. */
export function installInspectorApi(args: InstallArgs): void {
  type Listener = (value: unknown) => void;
  const w = window as unknown as Record<string, unknown>;
  type Reply = { ok: true; value: unknown } | { ok: false; errors: Array<{ field: string; message: string }> };
  const invoke = (channel: string, payload?: unknown): Promise<Reply | undefined> =>
    (w[args.callBinding] as (c: string, p: unknown) => Promise<Reply | undefined>)(channel, payload);
  const describe = (errors: Array<{ field: string; message: string }>): string =>
    errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
  // What the preload does with main's replies: refusals become CommandResults or thrown errors.
  const commandResult = (r: Reply | undefined): unknown =>
    r?.ok === true ? { ok: true } : r?.ok === false && Array.isArray(r.errors) ? { ok: false, errors: r.errors } : { ok: false, errors: [{ field: '', message: 'unexpected reply from the app' }] };
  const valueOrThrow = (r: Reply | undefined, what: string): unknown => {
    if (r?.ok === true) return r.value;
    throw new Error(`${what} refused: ${describe(r?.ok === false && Array.isArray(r.errors) ? r.errors : [{ field: '', message: 'unexpected reply' }])}`);
  };
  const listeners: Record<'records' | 'status' | 'action', Set<Listener>> = {
    records: new Set(), status: new Set(), action: new Set(),
  };
  const subscribe = (kind: 'records' | 'status' | 'action', listener: Listener): (() => void) => {
    // Each subscription gets its own entry, even for the same function twice.
    const entry: Listener = (value) => listener(value);
    listeners[kind].add(entry);
    return () => void listeners[kind].delete(entry);
  };
  const api = {
    init: async () => valueOrThrow(await invoke(args.channels.init), 'init'),
    onRecords: (listener: Listener) => subscribe('records', listener),
    onStatus: (listener: Listener) => subscribe('status', listener),
    onAction: (listener: Listener) => subscribe('action', listener),
    setResponse: async (response: unknown) => commandResult(await invoke(args.channels.setResponse, response)),
    setListen: async (listen: unknown) => commandResult(await invoke(args.channels.setListen, listen)),
    copyText: async (text: unknown) => void valueOrThrow(await invoke(args.channels.copyText, text), 'copy'),
  };
  Object.defineProperty(window, args.apiKey, { value: Object.freeze(api), enumerable: true });
  // Each event is dispatched in its own task, as MessagePort messages arrive in
  // the app: one evaluate may carry many events, but the app never handles
  // more than one batch per task because of the harness.
  const channel = new MessageChannel();
  const pending: Array<{ kind: 'records' | 'status' | 'action'; value: unknown; last: (() => void) | null }> = [];
  channel.port1.onmessage = () => {
    const event = pending.shift();
    if (!event) return;
    for (const listener of [...listeners[event.kind]]) {
      try {
        listener(event.value);
      } catch (err) {
        // Surface the app's error as an uncaught page error (tests collect those) without losing later events.
        setTimeout(() => {
          throw err;
        });
      }
    }
    event.last?.();
  };
  const harness = {
    deliver(events: Array<{ kind: 'records' | 'status' | 'action'; batch?: unknown; status?: unknown; action?: unknown }>): Promise<void> {
      if (events.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        events.forEach((event, i) => {
          const value = event.kind === 'records' ? event.batch : event.kind === 'status' ? event.status : event.action;
          pending.push({ kind: event.kind, value, last: i === events.length - 1 ? resolve : null });
          channel.port2.postMessage(null);
        });
      });
    },
    subscribers: () => ({ records: listeners.records.size, status: listeners.status.size, action: listeners.action.size }),
  };
  Object.defineProperty(window, args.harnessKey, { value: Object.freeze(harness) });
}
