/**
 * Messages between the engine and whoever drives it across a port (the app's
 * utility process, a worker). Plain data only; validate with the guards here
 * on receipt, since a port is a trust boundary.
 */
import type { SocketAddress } from './capture-record';
import type { CannedResponse, FieldError } from './canned-response';
import type { RecordBatch } from './record-batch';

export interface EngineStats {
  connectionsAccepted: number;
  connectionsOpen: number;
  /** Connections that closed before sending a complete byte of a request (counted, not recorded). */
  connectionsWithoutRequest: number;
  requests: number;
  malformedRequests: number;
  recordsDelivered: number;
  batchesDelivered: number;
  bytesRead: number;
  bytesSent: number;
  /** Sends the kernel took only part of (the rest waited for EPOLLOUT). */
  partialSends: number;
  /** Bytes read after the final answer on a closing connection, drained and dropped (RFC 9112 §9.6). */
  bytesDiscardedAfterClose: number;
  /** Times accepting paused because of EMFILE/ENFILE/ENOBUFS/ENOMEM or the connection cap. */
  acceptPauses: number;
  /** Unexpected internal errors contained to one connection. */
  internalErrors: number;
  /** Requests served by a handler listener (not captured, so not in `requests`). */
  handledRequests: number;
  /** Streamed responses handlers opened. */
  streamsOpened: number;
}

export type EngineEvent =
  /** `readiness`: where the engine learns of socket events ('koffi-poll', or the 'worker-thread' fallback). */
  | { type: 'listening'; listeners: SocketAddress[]; readiness: string }
  | { type: 'records'; batch: RecordBatch }
  | { type: 'response-set'; ok: true }
  | { type: 'response-set'; ok: false; errors: FieldError[] }
  | { type: 'stats'; stats: EngineStats }
  | { type: 'error'; message: string; code: string | null }
  | { type: 'stopped' };

export type EngineCommand =
  | { type: 'set-response'; response: CannedResponse }
  | { type: 'get-stats' }
  | { type: 'stop' };

/** Shape check for a command arriving over a port (the payload is validated separately). */
export function isEngineCommand(value: unknown): value is EngineCommand {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { type?: unknown }).type;
  if (t === 'get-stats' || t === 'stop') return true;
  return t === 'set-response' && 'response' in value;
}

/** Shape check for an event arriving over a port (its payload is checked where it is used). */
export function isEngineEvent(value: unknown): value is EngineEvent {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { type?: unknown }).type;
  return t === 'listening' || t === 'records' || t === 'response-set' || t === 'stats' || t === 'error' || t === 'stopped';
}
