/**
 * The one API the renderer has: every process boundary the inspector UI talks
 * across is an implementation of InspectorApi. In the desktop app the preload
 * script implements it over Electron IPC and the engine's MessagePort; the e2e
 * harness implements it over Playwright bindings to a real engine; the browser
 * mode (`serve --ui`) implements it over HTTP. The renderer knows nothing else.
 *
 * One function per message. Plain data only (structured-clone safe), so the
 * same shapes cross contextBridge, MessagePorts and JSON (batches excepted:
 * their typed arrays need a binary-capable channel or an explicit encoding).
 */
import type { CannedResponse, FieldError } from './canned-response';
import type { RecordBatch } from './record-batch';
import type { ListenSettings } from './app-settings';

/** Where the engine is, as the server bar shows it. */
export type EngineStatus =
  /** The engine process is starting or (re)binding. */
  | { state: 'starting'; listen: ListenSettings }
  /** Accepting requests at `url` (e.g. http://127.0.0.1:8080/). */
  | { state: 'listening'; listen: ListenSettings; url: string }
  /**
   * The engine could not listen, e.g. the port is in use (code 'EADDRINUSE').
   * It stays down until the user changes the address; nothing retries.
   */
  | { state: 'error'; listen: ListenSettings; message: string; code: string | null }
  /** The engine process died; it is restarted after `restartInMs` (attempt counts from 1). */
  | { state: 'crashed'; listen: ListenSettings; message: string; restartInMs: number; attempt: number };

/** Which shell the renderer runs in: only for what differs (a native menu exists only on desktop). */
export type InspectorMode = 'desktop' | 'browser';

/** What the renderer needs at start. */
export interface InspectorInit {
  mode: InspectorMode;
  listen: ListenSettings;
  response: CannedResponse;
  status: EngineStatus;
  /**
   * Something the user should know from start-up, e.g. the settings file was
   * unusable and was replaced by the defaults (the old one is kept aside).
   * Absent when there is nothing to tell.
   */
  notice?: string;
}

export type Unsubscribe = () => void;

/** Answer to a command that carries user input: applied, or every problem found. */
export type CommandResult = { ok: true } | { ok: false; errors: FieldError[] };

/** Menu and shortcut actions the shell sends to the renderer. */
export type InspectorAction = 'clear' | 'focus-filter' | 'copy-url' | 'copy-curl' | 'edit-response';

export interface InspectorApi {
  /** Settings, status and mode at start. */
  init(): Promise<InspectorInit>;
  /**
   * Captured requests, in batches, in id order per engine run (ids start again at 1 after an engine
   * restart: identify rows by position, not id). Batches that arrive before the first listener
   * subscribes are kept (bounded) and handed to it.
   */
  onRecords(listener: (batch: RecordBatch) => void): Unsubscribe;
  /** Every engine status change (listening, error, crashed, restarting). */
  onStatus(listener: (status: EngineStatus) => void): Unsubscribe;
  /**
   * Browser mode only (absent on the desktop, whose port is never held back):
   * how many captured records the server has not sent this page yet, because
   * it paces the page while capture is flooded or the page reads slowly
   * (cli/ui/record-feed.ts); 0 once the page has caught up.
   */
  onBacklog?(listener: (records: number) => void): Unsubscribe;
  /** Shell actions (menu items and their shortcuts). */
  onAction(listener: (action: InspectorAction) => void): Unsubscribe;
  /** Validated again on the other side; applies to the next request and is persisted. */
  setResponse(response: CannedResponse): Promise<CommandResult>;
  /** Restart the engine on a new address; refused with errors when the address is invalid. */
  setListen(listen: ListenSettings): Promise<CommandResult>;
  /** Put text on the system clipboard. */
  copyText(text: string): Promise<void>;
}

/** The key the preload (or a harness) exposes the API under: `window.sockeye`. */
export const INSPECTOR_API_KEY = 'sockeye';
