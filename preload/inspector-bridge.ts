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
import type { CommandResult, EngineStatus, InspectorAction, InspectorApi, InspectorInit } from '../common/inspector-api';
import { IPC_EVENT, IPC_INVOKE, isEngineStatus, isInspectorAction, type IpcReply } from '../common/ipc-channels';
import { isRecordBatch, type RecordBatch } from '../common/record-batch';
import { notifyAll, PendingListeners, subscribe } from '../common/listeners';

/** The DOM MessagePort as far as this module uses it. */
export interface RecordsPort {
  onmessage: ((event: { data: unknown }) => void) | null;
}

/** ipcRenderer as far as this module uses it. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: { ports?: readonly RecordsPort[] }, ...args: unknown[]) => void): unknown;
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

// Batches that arrive before the page has subscribed (the engine replays what it queued at start as
// soon as the port is attached) are kept for the first listener (common/listeners.ts PendingListeners).
export { MAX_PENDING_BATCHES } from '../common/listeners';

export function createInspectorApi(ipc: IpcRendererLike, report: (line: string) => void = (l) => console.error(`sockeye preload: ${l}`)): InspectorApi {
  const records = new PendingListeners<RecordBatch>(report);
  const statusListeners = new Set<(status: EngineStatus) => void>();
  const actionListeners = new Set<(action: InspectorAction) => void>();

  ipc.on(IPC_EVENT.enginePort, (event) => {
    const next = event.ports?.[0];
    if (!next) return;
    // The previous port is not closed: after an address change the old engine may still have its
    // last batch in flight on it, and it delivers nothing more once that engine has exited.
    // Assigning onmessage also starts the port (HTML MessagePort semantics).
    next.onmessage = ({ data }) => {
      const message = data as { type?: unknown; batch?: unknown } | null;
      if (message?.type !== 'records') return;
      if (isRecordBatch(message.batch)) records.deliver(message.batch);
      else report('a records message without a valid batch was dropped');
    };
  });

  ipc.on(IPC_EVENT.status, (_event, status) => {
    if (isEngineStatus(status)) notifyAll(statusListeners, status, report);
  });
  ipc.on(IPC_EVENT.action, (_event, action) => {
    if (isInspectorAction(action)) notifyAll(actionListeners, action, report);
  });

  // A plain object of functions: contextBridge drops prototypes, so no class instance here.
  return {
    init: async () => valueOrThrow<InspectorInit>(await ipc.invoke(IPC_INVOKE.init), 'init'),
    onRecords: (listener) => records.subscribe(listener),
    onStatus: (listener) => subscribe(statusListeners, listener),
    onAction: (listener) => subscribe(actionListeners, listener),
    setResponse: async (response) => commandResult(await ipc.invoke(IPC_INVOKE.setResponse, response)),
    setListen: async (listen) => commandResult(await ipc.invoke(IPC_INVOKE.setListen, listen)),
    copyText: async (text) => void valueOrThrow<undefined>(await ipc.invoke(IPC_INVOKE.copyText, text), 'copy'),
  };
}
