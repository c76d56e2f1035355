/**
 * The messages of the desktop shell: preload ↔ main IPC channel names and the
 * checks main runs on their payloads, plus the control messages main sends to
 * the engine's utility process. Plain data only; every check here never
 * throws, because every one of these crosses a process boundary.
 */
import type { CannedResponse, FieldError, Validated } from './canned-response';
import { validateCannedResponse } from './canned-response';
import { validateListen, type ListenSettings } from './app-settings';
import type { EngineStatus, InspectorAction } from './inspector-api';

/** preload → main, request/answer (ipcRenderer.invoke / ipcMain.handle). */
export const IPC_INVOKE = {
  init: 'sockeye:init',
  setResponse: 'sockeye:set-response',
  setListen: 'sockeye:set-listen',
  copyText: 'sockeye:copy-text',
} as const;

/** main → preload, one way (webContents.send / webContents.postMessage). */
export const IPC_EVENT = {
  status: 'sockeye:status',
  action: 'sockeye:action',
  /** Carries a MessagePort in `event.ports[0]`: the engine's records, directly from the utility process. */
  enginePort: 'sockeye:engine-port',
} as const;

export type InvokeChannel = (typeof IPC_INVOKE)[keyof typeof IPC_INVOKE];

/**
 * Every invoke answer is an envelope, so a refused call (wrong sender, bad
 * payload) is a value the preload can turn into a message, never a thrown
 * exception crossing the bridge.
 */
export type IpcReply<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Longest text the renderer may put on the clipboard (a cURL command with a large body fits). */
export const MAX_COPY_TEXT_CHARS = 32 * 1024 * 1024;

/** Payload check for IPC_INVOKE.copyText. Never throws. */
export function validateCopyText(input: unknown): Validated<string> {
  if (typeof input !== 'string') return { ok: false, errors: [{ field: 'text', message: 'text must be a string' }] };
  if (input.length > MAX_COPY_TEXT_CHARS) return { ok: false, errors: [{ field: 'text', message: `text is longer than ${MAX_COPY_TEXT_CHARS} characters` }] };
  return { ok: true, value: input };
}

/** Payload checks for each invoke channel that carries one (init carries none). */
export const INVOKE_PAYLOAD_VALIDATORS = {
  [IPC_INVOKE.setResponse]: validateCannedResponse as (input: unknown) => Validated<CannedResponse>,
  [IPC_INVOKE.setListen]: validateListen as (input: unknown) => Validated<ListenSettings>,
  [IPC_INVOKE.copyText]: validateCopyText,
} as const;

const ACTIONS: readonly InspectorAction[] = ['clear', 'focus-filter', 'copy-url', 'copy-curl', 'edit-response'];

export function isInspectorAction(value: unknown): value is InspectorAction {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

/** Shape check for a status arriving in the preload (main is trusted, but a wrong shape must not reach React). */
export function isEngineStatus(value: unknown): value is EngineStatus {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as { state?: unknown; listen?: unknown };
  const known = s.state === 'starting' || s.state === 'listening' || s.state === 'error' || s.state === 'crashed';
  return known && validateListen(s.listen).ok;
}

/* ---- main ↔ engine utility process (child.postMessage / process.parentPort) ---- */

/**
 * The first message main sends: where to listen and what to answer. Records
 * go to the MessagePort in `ports[0]` when there is one; `records-port`
 * replaces it (a reloaded renderer gets a fresh channel).
 */
export interface UtilityStartMessage {
  type: 'start';
  listen: ListenSettings;
  response: CannedResponse;
}

/** A new records port in `ports[0]`: batches go there from now on. */
export interface UtilityRecordsPortMessage {
  type: 'records-port';
}

export type UtilityControlMessage = UtilityStartMessage | UtilityRecordsPortMessage;

/** Port 0 asks the kernel for any free port: allowed in a start message (tests, checks), never in saved settings. */
export const ANY_PORT = 0;

function validateStartListen(input: unknown): Validated<ListenSettings> {
  const anyPort = typeof input === 'object' && input !== null && (input as { port?: unknown }).port === ANY_PORT;
  if (!anyPort) return validateListen(input);
  const checked = validateListen({ ...(input as object), port: 1 });
  return checked.ok ? { ok: true, value: { ...checked.value, port: ANY_PORT } } : checked;
}

/** Validate a start message (the utility process trusts nothing it did not check). Never throws. */
export function validateUtilityStart(input: unknown): Validated<UtilityStartMessage> {
  if (typeof input !== 'object' || input === null || (input as { type?: unknown }).type !== 'start') {
    return { ok: false, errors: [{ field: 'type', message: 'expected a start message' }] };
  }
  const o = input as { listen?: unknown; response?: unknown };
  const listen = validateStartListen(o.listen);
  const response = validateCannedResponse(o.response);
  const errors = [...(listen.ok ? [] : listen.errors), ...(response.ok ? [] : response.errors.map((e) => ({ ...e, field: `response.${e.field}` })))];
  if (!listen.ok || !response.ok) return { ok: false, errors };
  return { ok: true, value: { type: 'start', listen: listen.value, response: response.value } };
}
