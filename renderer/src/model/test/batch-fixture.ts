/**
 * Test batches built the way the engine builds them: RecordParts with offsets
 * into the raw bytes (request line, header fields with OWS trimmed), handed
 * to the real RecordBatchBuilder. Only the head parsing here is simplified.
 */
import { RecordBatchBuilder, type RecordBatch, type RecordParts } from '../../../../common/record-batch';
import type { CaptureErrorCode, HeaderPair, SocketAddress } from '../../../../common/capture-record';

export interface FixtureRequest {
  /** The request bytes as a latin1 string (one char per byte). */
  raw: string;
  id?: number;
  connectionId?: number;
  requestOnConnection?: number;
  peer?: SocketAddress;
  status?: number | null;
  error?: CaptureErrorCode | null;
  errorDetail?: string | null;
  /** A decoded body stored apart from raw (chunked framing), instead of the bytes after the head. */
  decodedBody?: string;
  /** Full body length when only a prefix was kept. */
  bodyLength?: number;
  trailers?: HeaderPair[];
  firstByte?: number;
}

export const LISTENER: SocketAddress = { family: 'IPv4', address: '127.0.0.1', port: 8080 };
export const PEER: SocketAddress = { family: 'IPv4', address: '127.0.0.1', port: 40000 };

export function latin1Bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** Offsets of the request line and header fields, as the engine's parser reports them. */
function headOffsets(raw: string): Pick<RecordParts, 'methodStart' | 'methodEnd' | 'targetStart' | 'targetEnd' | 'version' | 'headerCount' | 'headerOffsets' | 'headLength'> {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) {
    return { methodStart: -1, methodEnd: -1, targetStart: -1, targetEnd: -1, version: 0, headerCount: 0, headerOffsets: [], headLength: 0 };
  }
  const lineEnd = raw.indexOf('\r\n');
  const sp1 = raw.indexOf(' ');
  const sp2 = raw.indexOf(' ', sp1 + 1);
  const versionText = raw.slice(sp2 + 1, lineEnd);
  const offsets: number[] = [];
  let at = lineEnd + 2;
  while (at < end + 2) {
    const eol = raw.indexOf('\r\n', at);
    const colon = raw.indexOf(':', at);
    let vs = colon + 1;
    while (raw[vs] === ' ' || raw[vs] === '\t') vs++;
    let ve = eol;
    while (ve > vs && (raw[ve - 1] === ' ' || raw[ve - 1] === '\t')) ve--;
    offsets.push(at, colon, vs, ve);
    at = eol + 2;
  }
  return {
    methodStart: 0, methodEnd: sp1, targetStart: sp1 + 1, targetEnd: sp2,
    version: versionText === 'HTTP/1.0' ? 10 : versionText === 'HTTP/1.1' ? 11 : 0,
    headerCount: offsets.length / 4, headerOffsets: offsets, headLength: end + 4,
  };
}

export function fixtureParts(r: FixtureRequest, index: number): RecordParts {
  const raw = latin1Bytes(r.raw);
  const head = headOffsets(r.raw);
  const inRawBody = Math.max(0, raw.length - head.headLength);
  const decoded = r.decodedBody === undefined ? null : latin1Bytes(r.decodedBody);
  const kept = decoded ? decoded.length : head.headLength > 0 ? inRawBody : 0;
  const t = r.firstByte ?? 1_700_000_000_000 + index;
  return {
    id: r.id ?? index + 1,
    connectionId: r.connectionId ?? index + 1,
    requestOnConnection: r.requestOnConnection ?? 1,
    listener: LISTENER,
    peer: r.peer ?? PEER,
    raw, rawFrom: 0, rawTo: raw.length, rawLength: raw.length,
    ...head,
    bodyInRaw: decoded === null, body: decoded, bodyFrom: 0, bodyKept: kept,
    bodyLength: r.bodyLength ?? kept,
    status: r.status === undefined ? 200 : r.status,
    error: r.error ?? null,
    errorDetail: r.errorDetail ?? null,
    accepted: t - 1, firstByte: t, headComplete: head.headLength > 0 ? t + 0.25 : null,
    bodyComplete: r.error ? null : t + 0.5, responseWritten: null,
    trailers: r.trailers ?? null,
  };
}

/** One batch holding these requests, numbered from `firstIndex`. */
export function fixtureBatch(requests: FixtureRequest[], firstIndex = 0): RecordBatch {
  const b = new RecordBatchBuilder(1024, 16);
  requests.forEach((r, i) => b.add(fixtureParts(r, firstIndex + i)));
  return b.take();
}

/** `n` simple GET requests, for volume tests. */
export function simpleGets(n: number, firstIndex = 0, path = (i: number) => `/item/${i}`): RecordBatch {
  return fixtureBatch(Array.from({ length: n }, (_, i) => ({ raw: `GET ${path(firstIndex + i)} HTTP/1.1\r\nHost: x\r\n\r\n` })), firstIndex);
}
