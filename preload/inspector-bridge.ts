/**
 * The InspectorApi the preload exposes, built over an injected ipcRenderer
 * so it is tested under Node. One function per message; ipcRenderer itself is
 * never handed out (Electron security checklist: expose a narrow API).
 *
 * Records do not pass through main: main hands over a MessagePort whose other
 * end is in the engine's utility process. A new port arrives after every
 * engine restart and page load; listeners stay subscribed across them.
 *
 * contextBridge copies what it returns and what listeners receive; typed
 * arrays are structured-cloneable, so a batch's buffers arrive intact as
 * copies (one copy per batch, not per record).
 */
import { formatFieldErrors } from '../common/canned-response';
import type { CommandResult, EngineStatus, InspectorAction, InspectorApi, InspectorInit, Unsubscribe } from '../common/inspector-api';
import { IPC_EVENT, IPC_INVOKE, isEngineStatus, isInspectorAction, type IpcReply } from '../common/ipc-channels';
import { isRecordBatch, type RecordBatch } from '../common/record-batch';

/** The DOM MessagePort as far as this module uses it. */
export interface RecordsPort {
  onmessage: ((event: { data: unknown }) => void) | null;
}

/** ipcRenderer as far as this module uses it. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: { ports?: readonly RecordsPort[] }, ...args: unknown[]) => void): unknown;
}

/** A listener that throws must not stop the others (nor the port's message loop). */
function notifyAll<T>(listeners: Set<(value: T) => void>, value: T, report: (line: string) => void): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (err) {
      report(`listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function subscribe<T>(listeners: Set<T>, listener: T): Unsubscribe {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Turn a main reply into a CommandResult (refusals keep every field error). */
function commandResult(reply: unknown): CommandResult {
  const r = reply as IpcReply<unknown> | undefined;
  if (r && r.ok === true) return { ok: true };
  if (r && r.ok === false && Array.isArray(r.errors)) return { ok: false, errors: r.errors };
  return { ok: false, errors: [{ field: '', message: 'unexpected reply from the app' }] };
}

function valueOrThrow<T>(reply: unknown, what: string): T {
  const r = reply as IpcReply<T> | undefined;
  if (r && r.ok === true) return r.value;
  const errors = r && r.ok === false && Array.isArray(r.errors) ? r.errors : [{ field: '', message: 'unexpected reply' }];
  throw new Error(`${what} refused: ${formatFieldErrors(errors)}`);
}

/**
 * Batches that arrive before the page has subscribed (the engine replays what
 * it queued at start as soon as the port is attached) are kept for the first
 * listener, up to this many; past it the oldest go and the loss is reported.
 */
export const MAX_PENDING_BATCHES = 1024;

export function createInspectorApi(ipc: IpcRendererLike, report: (line: string) => void = (l) => console.error(`sockeye preload: ${l}`)): InspectorApi {
  const recordListeners = new Set<(batch: RecordBatch) => void>();
  const statusListeners = new Set<(status: EngineStatus) => void>();
  const actionListeners = new Set<(action: InspectorAction) => void>();
  const pending: RecordBatch[] = [];
  let pendingDropped = 0;

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

  ipc.on(IPC_EVENT.enginePort, (event) => {
    const next = event.ports?.[0];
    if (!next) return;
    // The previous port is not closed: after an address change the old engine may still have its
    // last batch in flight on it, and it delivers nothing more once that engine has exited.
    // Assigning onmessage also starts the port (HTML MessagePort semantics).
    next.onmessage = ({ data }) => {
      const message = data as { type?: unknown; batch?: unknown } | null;
      if (message?.type !== 'records') return;
      if (isRecordBatch(message.batch)) deliver(message.batch);
      else report('a records message without a valid batch was dropped');
    };
  });

  const onRecords = (listener: (batch: RecordBatch) => void): Unsubscribe => {
    const unsubscribe = subscribe(recordListeners, listener);
    if (pendingDropped > 0) report(`${pendingDropped} record batch(es) arrived before the page subscribed and were dropped`);
    pendingDropped = 0;
    for (const batch of pending.splice(0)) notifyAll(recordListeners, batch, report);
    return unsubscribe;
  };
  ipc.on(IPC_EVENT.status, (_event, status) => {
    if (isEngineStatus(status)) notifyAll(statusListeners, status, report);
  });
  ipc.on(IPC_EVENT.action, (_event, action) => {
    if (isInspectorAction(action)) notifyAll(actionListeners, action, report);
  });

  // A plain object of functions: contextBridge drops prototypes, so no class instance here.
  return {
    init: async () => valueOrThrow<InspectorInit>(await ipc.invoke(IPC_INVOKE.init), 'init'),
    onRecords,
    onStatus: (listener) => subscribe(statusListeners, listener),
    onAction: (listener) => subscribe(actionListeners, listener),
    setResponse: async (response) => commandResult(await ipc.invoke(IPC_INVOKE.setResponse, response)),
    setListen: async (listen) => commandResult(await ipc.invoke(IPC_INVOKE.setListen, listen)),
    copyText: async (text) => void valueOrThrow<undefined>(await ipc.invoke(IPC_INVOKE.copyText, text), 'copy'),
  };
}
