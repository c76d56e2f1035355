/**
 * The browser inspector's HTTP protocol (`sockeye serve --ui`): the paths,
 * the access secret's names and the Server-Sent Events the page listens to.
 * The server side lives in cli/ui/, the page side in
 * renderer/src/browser-api.ts; both import these names from here.
 *
 * - GET  /?secret=S      → 303 to `/`, setting the cookie (uiCookieName) to S
 * - GET  / , /assets/…   → the built renderer (dist/renderer)
 * - GET  UI_PATHS.init   → InspectorInit as JSON (mode 'browser')
 * - GET  UI_PATHS.events → text/event-stream: `status` events (EngineStatus as JSON) and
 *                          `records` events (`id:` = batch sequence number, data = base64 of
 *                          encodeRecordBatchBinary); history after Last-Event-ID is replayed
 * - POST UI_PATHS.response  CannedResponse as JSON → CommandResult as JSON
 * - POST UI_PATHS.listen    ListenSettings as JSON → CommandResult as JSON
 *
 * Every request must carry the secret (cookie, or the query on the first
 * one), a Host naming the UI listener, and no foreign Origin.
 */
import { decodeSummariesInto, RECORD_BATCH_KIND, RECORD_BATCH_VERSION, type RecordBatch } from './record-batch';

export const UI_PATHS = {
  init: '/api/init',
  events: '/api/events',
  response: '/api/response',
  listen: '/api/listen',
} as const;

/** The query parameter of the printed URL that carries the secret once. */
export const SECRET_QUERY_PARAM = 'secret';

/** Cookie names are per port: cookies are not isolated by port, and two instances may run side by side. */
export function uiCookieName(uiPort: number): string {
  return `sockeye_ui_${uiPort}`;
}

/** SSE event names on UI_PATHS.events. */
export const SSE_EVENTS = {
  status: 'status',
  records: 'records',
} as const;

/* ---- record batches over text (SSE `records` events) ---- */


/**
 * One RecordBatch as bytes (encodeRecordBatchBinary / decodeRecordBatchBinary).
 * Every number is little-endian; the sections follow the header in this order
 * with no gaps, and the total length is exact (nothing may trail):
 *
 * | offset | size   | field                                                         |
 * | ------ | ------ | ------------------------------------------------------------- |
 * | 0      | 4      | magic `SKRB` (0x53 0x4B 0x52 0x42)                            |
 * | 4      | 2      | u16 BATCH_BINARY_VERSION (this layout)                        |
 * | 6      | 2      | u16 RECORD_BATCH_VERSION (the batch's own format)             |
 * | 8      | 4      | u32 count (records)                                           |
 * | 12     | 4      | u32 F = floats.length (elements)                              |
 * | 16     | 4      | u32 N = ints.length (elements)                                |
 * | 20     | 4      | u32 B = bytes.length                                          |
 * | 24     | 4      | u32 S = byte length of the strings section                    |
 * | 28     | 4      | zero (keeps what follows 8-aligned)                           |
 * | 32     | 8      | f64 baseId                                                    |
 * | 40     | 8      | f64 baseConnectionId                                          |
 * | 48     | 8·F    | floats, f64 each (8-aligned)                                  |
 * | …      | 4·N    | ints, i32 each (4-aligned: 48 + 8·F is)                       |
 * | …      | B      | bytes                                                         |
 * | …      | S      | strings: JSON array of strings, UTF-8                         |
 */
export const BATCH_BINARY_MAGIC = 0x42524b53; // 'SKRB' read as a little-endian u32
export const BATCH_BINARY_VERSION = 1;
export const BATCH_BINARY_HEADER_BYTES = 48;
/** The largest count or section length the header can hold (u32). */
const MAX_U32 = 0xffffffff;

/** The minimal TextEncoder / TextDecoder / atob / btoa this module uses: common/ has no DOM or Node typings. */
interface TextGlobals {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(bytes: Uint8Array): string };
  atob(s: string): string;
  btoa(s: string): string;
}
/** Node 20 and every browser define these globals (no Buffer, which browsers lack). */
const text = globalThis as unknown as TextGlobals;

/** Typed arrays are in the platform's byte order; the layout is little-endian (byte-swapped on big-endian hosts). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The batch as one byte array in the layout above. The result is a new array
 * (the batch's buffers are copied, never shared). Throws RangeError only when
 * a section is longer than 4 GiB − 1, which no batch is.
 */
export function encodeRecordBatchBinary(batch: RecordBatch): Uint8Array {
  const strings = new text.TextEncoder().encode(JSON.stringify(batch.strings));
  const { floats, ints, bytes } = batch;
  for (const n of [batch.count, floats.length, ints.length, bytes.length, strings.length]) {
    if (n > MAX_U32) throw new RangeError('record batch too large for the binary layout');
  }
  const floatsAt = BATCH_BINARY_HEADER_BYTES;
  const intsAt = floatsAt + floats.length * 8;
  const bytesAt = intsAt + ints.length * 4;
  const stringsAt = bytesAt + bytes.length;
  const out = new Uint8Array(stringsAt + strings.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, BATCH_BINARY_MAGIC, true);
  view.setUint16(4, BATCH_BINARY_VERSION, true);
  view.setUint16(6, batch.version, true);
  view.setUint32(8, batch.count, true);
  view.setUint32(12, floats.length, true);
  view.setUint32(16, ints.length, true);
  view.setUint32(20, bytes.length, true);
  view.setUint32(24, strings.length, true);
  view.setFloat64(32, batch.baseId, true);
  view.setFloat64(40, batch.baseConnectionId, true);
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength), floatsAt);
    out.set(new Uint8Array(ints.buffer, ints.byteOffset, ints.byteLength), intsAt);
  } else {
    for (let i = 0; i < floats.length; i++) view.setFloat64(floatsAt + i * 8, floats[i]!, true);
    for (let i = 0; i < ints.length; i++) view.setInt32(intsAt + i * 4, ints[i]!, true);
  }
  out.set(bytes, bytesAt);
  out.set(strings, stringsAt);
  return out;
}

/** `n` elements of `width` bytes at `at` in `src`, copied into a new (so aligned) typed array. */
function copyNumbers<T extends Float64Array | Int32Array>(src: Uint8Array, at: number, n: number, Kind: new (n: number) => T, width: 4 | 8): T {
  const out = new Kind(n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(src.subarray(at, at + n * width));
  } else {
    const view = new DataView(src.buffer, src.byteOffset + at, n * width);
    for (let i = 0; i < n; i++) out[i] = width === 8 ? view.getFloat64(i * 8, true) : view.getInt32(i * 4, true);
  }
  return out;
}

function parseStrings(utf8: Uint8Array): string[] | null {
  let value: unknown;
  try {
    value = JSON.parse(new text.TextDecoder('utf-8', { fatal: true }).decode(utf8));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) return null;
  return value as string[];
}

/**
 * A batch from bytes in the layout above, or null when they are not one:
 * wrong magic or versions, lengths that do not add up to exactly the input,
 * strings that are not a UTF-8 JSON array of strings, base ids that are not
 * integers, or records that do not walk (counts inconsistent with the ints,
 * floats or strings: checked with decodeSummariesInto, so a non-null result
 * is safe to hand to decodeRecordBatch and decodeRecordSummaries).
 * floats and ints are fresh aligned copies; bytes is a view into `input`
 * (no copy), so the caller must not reuse `input` afterwards. Never throws.
 */
export function decodeRecordBatchBinary(input: Uint8Array): RecordBatch | null {
  if (input.length < BATCH_BINARY_HEADER_BYTES) return null;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  if (view.getUint32(0, true) !== BATCH_BINARY_MAGIC) return null;
  if (view.getUint16(4, true) !== BATCH_BINARY_VERSION) return null;
  if (view.getUint16(6, true) !== RECORD_BATCH_VERSION) return null;
  if (view.getUint32(28, true) !== 0) return null;
  const count = view.getUint32(8, true);
  const floatCount = view.getUint32(12, true);
  const intCount = view.getUint32(16, true);
  const byteCount = view.getUint32(20, true);
  const stringBytes = view.getUint32(24, true);
  const baseId = view.getFloat64(32, true);
  const baseConnectionId = view.getFloat64(40, true);
  if (!Number.isSafeInteger(baseId) || !Number.isSafeInteger(baseConnectionId)) return null;
  // Sums of u32s stay exact in doubles.
  const floatsAt = BATCH_BINARY_HEADER_BYTES;
  const intsAt = floatsAt + floatCount * 8;
  const bytesAt = intsAt + intCount * 4;
  const stringsAt = bytesAt + byteCount;
  if (stringsAt + stringBytes !== input.length) return null;
  // Every record has the same number of floats; an empty batch has no data at all.
  if (count === 0 ? floatCount + intCount + byteCount !== 0 : floatCount % count !== 0 || floatCount === 0) return null;
  const strings = parseStrings(input.subarray(stringsAt));
  if (strings === null) return null;
  const batch: RecordBatch = {
    kind: RECORD_BATCH_KIND,
    version: RECORD_BATCH_VERSION,
    count,
    bytes: input.subarray(bytesAt, stringsAt),
    ints: copyNumbers(input, intsAt, intCount, Int32Array, 4),
    floats: copyNumbers(input, floatsAt, floatCount, Float64Array, 8),
    baseId,
    baseConnectionId,
    strings,
  };
  return walks(batch) ? batch : null;
}

/** True when every record of the batch can be walked and its request line lies inside batch.bytes. */
function walks(batch: RecordBatch): boolean {
  let inside = true;
  try {
    decodeSummariesInto(batch, (c) => {
      if (c.methodStart > c.methodEnd || c.targetStart > c.targetEnd || c.targetEnd > batch.bytes.length || typeof c.peer.address !== 'string') {
        inside = false;
      }
    });
  } catch {
    // RangeError for truncated ints or floats; TypeError for a peer index past the strings.
    return false;
  }
  return inside;
}

/** Bytes per btoa / atob call: multiples of 3 and 4 so no chunk but the last has padding. */
const BASE64_CHUNK_BYTES = 3 * 8192;
const BASE64_CHUNK_CHARS = 4 * 8192;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** 1 for the characters of the standard base64 alphabet (RFC 4648 §4, table 1). */
const IS_BASE64_CHAR = new Uint8Array(128);
for (let i = 0; i < BASE64_ALPHABET.length; i++) IS_BASE64_CHAR[BASE64_ALPHABET.charCodeAt(i)] = 1;

/**
 * Padding length (0–2) of canonical base64: the alphabet only, length a
 * multiple of 4, `=` only as the last one or two characters; -1 otherwise.
 * A loop rather than a regular expression: a repeated group over megabytes
 * grows the regexp engine's backtrack stack.
 */
function base64Padding(s: string): number {
  const n = s.length;
  if (n % 4 !== 0) return -1;
  const pad = n >= 2 && s.charCodeAt(n - 2) === 0x3d ? (s.charCodeAt(n - 1) === 0x3d ? 2 : -1) : n >= 1 && s.charCodeAt(n - 1) === 0x3d ? 1 : 0;
  if (pad < 0) return -1;
  for (let i = 0; i < n - pad; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || IS_BASE64_CHAR[c] !== 1) return -1;
  }
  return pad;
}

/**
 * Standard padded base64 (RFC 4648 §4) of `bytes`, with btoa (no Buffer, so
 * it runs in browsers). Works in chunks: String.fromCharCode.apply on a whole
 * multi-megabyte array would overflow the call stack.
 */
export function base64FromBytes(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += BASE64_CHUNK_BYTES) {
    const chunk = bytes.subarray(i, Math.min(bytes.length, i + BASE64_CHUNK_BYTES));
    parts.push(text.btoa(String.fromCharCode.apply(null, chunk as unknown as number[])));
  }
  return parts.join('');
}

/**
 * The bytes of canonical padded base64 (RFC 4648 §4: standard alphabet, length
 * a multiple of 4, no whitespace), or null for anything else. Stricter than
 * atob, whose forgiving rules would accept whitespace and missing padding.
 */
export function bytesFromBase64(s: string): Uint8Array | null {
  const pad = base64Padding(s);
  if (pad < 0) return null;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let at = 0;
  for (let i = 0; i < s.length; i += BASE64_CHUNK_CHARS) {
    let binary: string;
    try {
      binary = text.atob(s.slice(i, i + BASE64_CHUNK_CHARS));
    } catch {
      return null;
    }
    for (let j = 0; j < binary.length; j++) out[at++] = binary.charCodeAt(j);
  }
  return at === out.length ? out : null;
}
