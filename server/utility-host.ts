/**
 * The engine as the app's utility process runs it. Two channels:
 * - control: the utility process's own channel to main (`process.parentPort`):
 *   the start message, EngineCommands in, EngineEvents (listening, error,
 *   response-set, stopped) out;
 * - records: a MessagePort whose other end is in the renderer, so captured
 *   requests never pass through main (DESIGN.md, "Processes"). Main may send a
 *   new one at any time (`records-port`), e.g. after the window reloads.
 *
 * No electron import: the parent port's shape is declared here, so this runs
 * under plain Node too (tests drive it from a worker thread; utility-entry
 * adapts a child process's IPC channel when there is no parentPort).
 */
import { formatFieldErrors } from '../common/canned-response';
import { validateUtilityStart } from '../common/ipc-channels';
import type { EngineEvent } from '../common/wire-messages';
import type { PostTarget } from './capture-sink';
import { hostEngineOnPort, type DuplexPort } from './port-host';
import type { Engine } from './engine';

/** Batches kept while no records port is attached (between start and the renderer's port); more are dropped. */
export const MAX_PENDING_BATCHES = 256;

/** What a port in `ports` must offer: Electron's MessagePortMain and Node's MessagePort both fit. */
export interface RecordsPortLike extends PostTarget {
  close?(): void;
}

/** The event the parent port delivers: Electron's MessageEvent shape (data plus transferred ports). */
export interface ParentMessageEvent {
  data: unknown;
  ports: readonly RecordsPortLike[];
}

/** Electron's `process.parentPort` as far as this module uses it. */
export interface ParentPortLike {
  on(event: 'message', listener: (event: ParentMessageEvent) => void): unknown;
  postMessage(message: unknown): void;
}

export interface UtilityHostOptions {
  /** Called once the engine has stopped on a `stop` command (the entry exits the process). */
  onStopped: () => void;
  /** Move batch buffers instead of copying them; Electron's MessagePortMain cannot, so false there. */
  transfer?: boolean;
  /** Passed to the engine (tests shorten it). */
  batchIntervalMs?: number;
}

export interface UtilityHost {
  /** The running engine, or null before a valid start or when it could not listen. */
  readonly engine: Engine | null;
  /** Batches dropped because no records port was attached and the queue was full. */
  readonly droppedBatches: number;
}

/**
 * Forwards batches to the current records port, queueing a bounded number
 * while there is none. Replacing the port closes the old one.
 */
class RecordsRelay implements PostTarget {
  private port: RecordsPortLike | null = null;
  private pending: unknown[] = [];
  dropped = 0;

  postMessage(message: unknown): void {
    if (this.port) this.port.postMessage(message);
    else if (this.pending.length < MAX_PENDING_BATCHES) this.pending.push(message);
    else this.dropped++;
  }

  attach(port: RecordsPortLike): void {
    if (this.port !== port) this.port?.close?.();
    this.port = port;
    const queued = this.pending;
    this.pending = [];
    for (const message of queued) port.postMessage(message);
  }
}

/**
 * Serve the engine over `parent`. Waits for a start message (validated: the
 * utility process trusts nothing it did not check), then hosts the engine
 * with server/port-host. Bad messages are answered with an `error` event,
 * never thrown.
 */
export function runUtilityHost(parent: ParentPortLike, options: UtilityHostOptions): UtilityHost {
  const relay = new RecordsRelay();
  const commandListeners: ((message: unknown) => void)[] = [];
  const post = (event: EngineEvent): void => parent.postMessage(event);
  let engine: Engine | null = null;
  let started = false;

  // port-host reads commands from this; start and records-port are handled here instead.
  const control: DuplexPort = {
    postMessage: (message: unknown) => parent.postMessage(message),
    on(_event: 'message', listener: (message: unknown) => void): unknown {
      commandListeners.push(listener);
      return control;
    },
  };

  parent.on('message', (event: ParentMessageEvent) => {
    const data = event?.data;
    const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined;
    const port = event?.ports?.[0];
    if (type === 'records-port') {
      if (port) relay.attach(port);
      else post({ type: 'error', message: 'records-port message without a port refused', code: 'EINVAL' });
      return;
    }
    if (type === 'start') {
      if (started) {
        post({ type: 'error', message: 'engine already started; start refused', code: 'EINVAL' });
        return;
      }
      const start = validateUtilityStart(data);
      if (!start.ok) {
        post({ type: 'error', message: `start refused: ${formatFieldErrors(start.errors)}`, code: 'EINVAL' });
        return;
      }
      started = true;
      if (port) relay.attach(port);
      engine = hostEngineOnPort(
        control,
        { listen: [start.value.listen], response: start.value.response, ...(options.batchIntervalMs ? { batchIntervalMs: options.batchIntervalMs } : {}) },
        { recordsPort: relay, transfer: options.transfer ?? false, onStopped: options.onStopped },
      );
      return;
    }
    if (!engine) {
      // Nothing is listening (not started, or the bind failed): a stop still ends the process cleanly.
      if (type === 'stop') {
        post({ type: 'stopped' });
        options.onStopped();
      } else {
        post({ type: 'error', message: 'engine is not running; command refused', code: 'EINVAL' });
      }
      return;
    }
    for (const listener of commandListeners) listener(data);
  });

  return {
    get engine() {
      return engine;
    },
    get droppedBatches() {
      return relay.dropped;
    },
  };
}
