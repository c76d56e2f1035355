/**
 * The browser inspector's HTTP protocol (`sockeye serve --ui`): the paths,
 * the access secret's names and the binary record stream the page reads.
 * The server side lives in cli/ui/, the page side in
 * renderer/src/browser-api.ts; both import these names from here.
 *
 * - GET  /?secret=S      → 303 to `/`, setting the cookie (uiCookieName) to S
 * - GET  / , /assets/…   → the built renderer (dist/renderer)
 * - GET  UI_PATHS.init   → InspectorInit as JSON (mode 'browser')
 * - GET  UI_PATHS.events[?after=N]
 *                        → RECORDS_CONTENT_TYPE: an endless stream of frames (below). The current
 *                          status first, then every kept batch with a sequence number above N
 *                          (all kept batches without `after`, so a fresh page shows everything
 *                          captured), then live frames. The page reads it with fetch() and a
 *                          ReadableStream; when the stream drops it fetches again with
 *                          `?after=<last sequence number seen>` and misses nothing.
 * - POST UI_PATHS.response  CannedResponse as JSON → CommandResult as JSON
 * - POST UI_PATHS.listen    ListenSettings as JSON → CommandResult as JSON
 *
 * Every request must carry the secret (cookie, or the query on the first
 * one), a Host naming the UI listener, and no foreign Origin.
 *
 * The events body is a sequence of frames, each a FRAME_HEADER_BYTES header
 * then its payload, with nothing between frames (all numbers little-endian):
 *
 * | offset | size | field                                                            |
 * | ------ | ---- | ---------------------------------------------------------------- |
 * | 0      | 4    | u32 payload length (≤ MAX_FRAME_PAYLOAD_BYTES)                   |
 * | 4      | 1    | u8 type: FRAME_TYPE.records 1, .status 2, .ping 3, .backlog 4    |
 * | 5      | 3    | zero                                                             |
 * | 8      | 8    | f64 sequence number: records only (1, 2, …), 0 for the others    |
 * | 16     | len  | records: encodeRecordBatchBinary bytes; status: EngineStatus as   |
 * |        |      | UTF-8 JSON; ping: empty (a heartbeat, to be ignored); backlog:   |
 * |        |      | f64, records captured and not yet sent on this stream (0 once    |
 * |        |      | it has caught up; see cli/ui/record-feed.ts on pacing)           |
 *
 * A header that breaks these rules (unknown type, non-zero reserved bytes, a
 * length past the maximum, a sequence number that is not a positive integer
 * on a records frame or not 0 on another) leaves the stream unreadable: the
 * reader stops and the page reconnects. A records frame whose payload is not a
 * valid batch is skipped (reported once) and the stream goes on.
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

/** The query parameter of UI_PATHS.events: replay only batches with a greater sequence number. */
export const EVENTS_AFTER_PARAM = 'after';

/** Content-Type of UI_PATHS.events. */
export const RECORDS_CONTENT_TYPE = 'application/vnd.sockeye.records';

/** Frame types on UI_PATHS.events. */
export const FRAME_TYPE = {
  records: 1,
  status: 2,
  ping: 3,
  backlog: 4,
} as const;
export type FrameType = (typeof FRAME_TYPE)[keyof typeof FRAME_TYPE];

export const FRAME_HEADER_BYTES = 16;
/**
 * The longest payload a reader accepts; a longer length means the stream is
 * broken (or hostile). One batch can hold a record with a kept body as large
 * as the CLI allows (--capture-body-bytes, at most 1 GiB) after up to 8 MiB
 * of other records (server/capture-batcher.ts BATCH_MAX_BYTES), so the limit
 * leaves room for that; the feed sends such a frame in pieces.
 */
export const MAX_FRAME_PAYLOAD_BYTES = 1280 * 1024 * 1024;

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
  return encodeBatchAfter(batch, 0);
}

/**
 * The batch in the layout above, after `room` zero bytes (a multiple of 8, so
 * the floats stay 8-aligned in the result's buffer): one allocation for a
 * frame header and its payload.
 */
function encodeBatchAfter(batch: RecordBatch, room: number): Uint8Array {
  const strings = new text.TextEncoder().encode(JSON.stringify(batch.strings));
  const { floats, ints, bytes } = batch;
  const whole = new Uint8Array(room + BATCH_BINARY_HEADER_BYTES + floats.length * 8 + ints.length * 4 + bytes.length + strings.length);
  const out = whole.subarray(room);
  writeBatchHeader(out, batch, strings.length);
  const floatsAt = BATCH_BINARY_HEADER_BYTES;
  const intsAt = floatsAt + floats.length * 8;
  const bytesAt = intsAt + ints.length * 4;
  const view = new DataView(whole.buffer, room);
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength), floatsAt);
    out.set(new Uint8Array(ints.buffer, ints.byteOffset, ints.byteLength), intsAt);
  } else {
    for (let i = 0; i < floats.length; i++) view.setFloat64(floatsAt + i * 8, floats[i]!, true);
    for (let i = 0; i < ints.length; i++) view.setInt32(intsAt + i * 4, ints[i]!, true);
  }
  out.set(bytes, bytesAt);
  out.set(strings, bytesAt + bytes.length);
  return room === 0 ? out : whole;
}

/** The layout's header (BATCH_BINARY_HEADER_BYTES) at the start of `out`; RangeError when a section passes the u32 lengths. */
function writeBatchHeader(out: Uint8Array, batch: RecordBatch, stringBytes: number): void {
  for (const n of [batch.count, batch.floats.length, batch.ints.length, batch.bytes.length, stringBytes]) {
    if (n > MAX_U32) throw new RangeError('record batch too large for the binary layout');
  }
  const view = new DataView(out.buffer, out.byteOffset, BATCH_BINARY_HEADER_BYTES);
  view.setUint32(0, BATCH_BINARY_MAGIC, true);
  view.setUint16(4, BATCH_BINARY_VERSION, true);
  view.setUint16(6, batch.version, true);
  view.setUint32(8, batch.count, true);
  view.setUint32(12, batch.floats.length, true);
  view.setUint32(16, batch.ints.length, true);
  view.setUint32(20, batch.bytes.length, true);
  view.setUint32(24, stringBytes, true);
  view.setFloat64(32, batch.baseId, true);
  view.setFloat64(40, batch.baseConnectionId, true);
}

/**
 * `n` elements of `width` bytes at `at` in `src`: a view when they are aligned
 * for the typed array (a frame payload the FrameReader assembled from several
 * chunks starts at offset 0 of its own buffer, and the header keeps the floats
 * and ints aligned from there), else a copy into a new, aligned array.
 */
function numbersAt<T extends Float64Array | Int32Array>(
  src: Uint8Array, at: number, n: number, Kind: { new (n: number): T; new (b: ArrayBufferLike, offset: number, n: number): T }, width: 4 | 8,
): T {
  if (LITTLE_ENDIAN && (src.byteOffset + at) % width === 0) return new Kind(src.buffer, src.byteOffset + at, n);
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
 * bytes is a view into `input` (no copy), and so are floats and ints when
 * `input` has them aligned (else they are aligned copies), so the caller must
 * not reuse `input` afterwards. Never throws.
 *
 * `walk: false` skips the record walk (every other check stays): for a
 * caller that walks the batch itself right away and survives a walk that
 * throws, as the renderer's RecordStore.append does (it refuses the batch
 * whole and rolls back). Such a batch may still throw in decodeRecordBatch.
 */
export function decodeRecordBatchBinary(input: Uint8Array, options: { walk?: boolean } = {}): RecordBatch | null {
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
    ints: numbersAt(input, intsAt, intCount, Int32Array, 4),
    floats: numbersAt(input, floatsAt, floatCount, Float64Array, 8),
    baseId,
    baseConnectionId,
    strings,
  };
  return options.walk === false || walks(batch) ? batch : null;
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

/* ---- frames of UI_PATHS.events ---- */

const isFrameType = (t: number): t is FrameType =>
  t === FRAME_TYPE.records || t === FRAME_TYPE.status || t === FRAME_TYPE.ping || t === FRAME_TYPE.backlog;

/**
 * Write a frame header at `at` in `target` (which must have FRAME_HEADER_BYTES
 * there). Throws RangeError for a length past MAX_FRAME_PAYLOAD_BYTES or a
 * sequence number that does not fit the type (a bug in the writer).
 */
export function writeFrameHeader(target: Uint8Array, at: number, type: FrameType, seq: number, payloadLength: number): void {
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > MAX_FRAME_PAYLOAD_BYTES) {
    throw new RangeError(`frame payload of ${payloadLength} bytes (at most ${MAX_FRAME_PAYLOAD_BYTES})`);
  }
  if (type === FRAME_TYPE.records ? !(Number.isSafeInteger(seq) && seq > 0) : seq !== 0) {
    throw new RangeError(`frame sequence number ${seq} for type ${type}`);
  }
  const view = new DataView(target.buffer, target.byteOffset + at, FRAME_HEADER_BYTES);
  view.setUint32(0, payloadLength, true);
  view.setUint32(4, type, true); // the type byte, then three zero bytes
  view.setFloat64(8, seq, true);
}

/** One frame (header and payload) as a new array. */
export function encodeFrame(type: FrameType, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(out, 0, type, seq, payload.length);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * The records frame of one batch, encoded straight after its header (one
 * allocation, no copy of the payload). Throws RangeError past MAX_FRAME_PAYLOAD_BYTES.
 */
export function encodeRecordsFrame(seq: number, batch: RecordBatch): Uint8Array {
  const out = encodeBatchAfter(batch, FRAME_HEADER_BYTES);
  writeFrameHeader(out, 0, FRAME_TYPE.records, seq, out.length - FRAME_HEADER_BYTES);
  return out;
}

/**
 * The records frame as the parts to send one after another: the frame and
 * batch headers in one small array, then views of the batch's own floats,
 * ints and bytes (no copy: the batch must not change afterwards), then its
 * strings. Concatenated, exactly encodeRecordsFrame's bytes. On a big-endian
 * host the numbers need swapping, so that is one copied part instead.
 * Throws RangeError as encodeRecordsFrame does.
 */
export function encodeRecordsFrameParts(seq: number, batch: RecordBatch): Uint8Array[] {
  if (!LITTLE_ENDIAN) return [encodeRecordsFrame(seq, batch)];
  const strings = new text.TextEncoder().encode(JSON.stringify(batch.strings));
  const { floats, ints, bytes } = batch;
  const payload = BATCH_BINARY_HEADER_BYTES + floats.byteLength + ints.byteLength + bytes.length + strings.length;
  const head = new Uint8Array(FRAME_HEADER_BYTES + BATCH_BINARY_HEADER_BYTES);
  writeBatchHeader(head.subarray(FRAME_HEADER_BYTES), batch, strings.length);
  writeFrameHeader(head, 0, FRAME_TYPE.records, seq, payload);
  const parts = [
    head,
    new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength),
    new Uint8Array(ints.buffer, ints.byteOffset, ints.byteLength),
    bytes,
    strings,
  ];
  return parts.filter((p) => p.length > 0);
}

/** The status frame: EngineStatus (or any value) as UTF-8 JSON. */
export function encodeStatusFrame(status: unknown): Uint8Array {
  return encodeFrame(FRAME_TYPE.status, 0, new text.TextEncoder().encode(JSON.stringify(status)));
}

/** Payload size of a backlog frame: one f64. */
export const BACKLOG_PAYLOAD_BYTES = 8;

/** The frame telling a page how many captured records it has not been sent yet. */
export function encodeBacklogFrame(records: number): Uint8Array {
  if (!(Number.isSafeInteger(records) && records >= 0)) throw new RangeError(`backlog of ${records} records`);
  const payload = new Uint8Array(BACKLOG_PAYLOAD_BYTES);
  new DataView(payload.buffer).setFloat64(0, records, true);
  return encodeFrame(FRAME_TYPE.backlog, 0, payload);
}

/** A backlog frame's record count, or null when the payload is not one (wrong size, not a whole number ≥ 0). */
export function decodeBacklog(payload: Uint8Array): number | null {
  if (payload.length !== BACKLOG_PAYLOAD_BYTES) return null;
  const n = new DataView(payload.buffer, payload.byteOffset, BACKLOG_PAYLOAD_BYTES).getFloat64(0, true);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export interface Frame {
  type: FrameType;
  /** The records frame's sequence number; 0 for the others. */
  seq: number;
  /**
   * The payload: a view into a chunk given to push when the frame lies
   * inside one (no copy), else a new array. The reader never writes to it.
   */
  payload: Uint8Array;
}

const EMPTY_PAYLOAD = new Uint8Array(0);

interface FrameHeader {
  type: FrameType;
  seq: number;
  length: number;
}

/**
 * Frames out of a byte stream cut anywhere: push each chunk as it comes and
 * get the frames it completed. Linear in the bytes pushed: a frame inside
 * one chunk is a view of it; one that spans chunks is copied once, into an
 * array of its exact length allocated when its header is complete.
 *
 * A header that breaks the rules (see the file's comment) puts the reader in
 * an error state for good: `error` says why, and push returns no more frames
 * (the frames before it in the same chunk are still returned).
 */
export class FrameReader {
  /** Why the stream cannot be read on, or null while it can. */
  error: string | null = null;
  private readonly head = new Uint8Array(FRAME_HEADER_BYTES);
  private headFill = 0;
  /** The frame whose payload is being filled across chunks. */
  private partial: Frame | null = null;
  private partialFill = 0;

  /** Bytes of an incomplete frame held from earlier chunks (0 between frames). */
  get buffered(): number {
    return this.partial ? FRAME_HEADER_BYTES + this.partialFill : this.headFill;
  }

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (this.error === null && at < chunk.length) {
      if (this.partial) {
        const p = this.partial.payload;
        const n = Math.min(p.length - this.partialFill, chunk.length - at);
        p.set(chunk.subarray(at, at + n), this.partialFill);
        this.partialFill += n;
        at += n;
        if (this.partialFill === p.length) {
          frames.push(this.partial);
          this.partial = null;
        }
        continue;
      }
      let header: FrameHeader | null;
      if (this.headFill === 0 && chunk.length - at >= FRAME_HEADER_BYTES) {
        header = this.parseHeader(chunk, at);
        at += FRAME_HEADER_BYTES;
      } else {
        const n = Math.min(FRAME_HEADER_BYTES - this.headFill, chunk.length - at);
        this.head.set(chunk.subarray(at, at + n), this.headFill);
        this.headFill += n;
        at += n;
        if (this.headFill < FRAME_HEADER_BYTES) break;
        this.headFill = 0;
        header = this.parseHeader(this.head, 0);
      }
      if (header === null) break;
      const { type, seq, length } = header;
      if (length === 0) {
        frames.push({ type, seq, payload: EMPTY_PAYLOAD });
      } else if (chunk.length - at >= length) {
        frames.push({ type, seq, payload: chunk.subarray(at, at + length) });
        at += length;
      } else {
        this.partial = { type, seq, payload: new Uint8Array(length) };
        this.partialFill = 0;
      }
    }
    return frames;
  }

  /** The header at `at`, or null (and the error state) when it breaks the rules. */
  private parseHeader(src: Uint8Array, at: number): FrameHeader | null {
    const view = new DataView(src.buffer, src.byteOffset + at, FRAME_HEADER_BYTES);
    const length = view.getUint32(0, true);
    const type = view.getUint8(4);
    const seq = view.getFloat64(8, true);
    if (!isFrameType(type)) return this.fail(`unknown frame type ${type}`);
    if (view.getUint8(5) !== 0 || view.getUint16(6, true) !== 0) return this.fail('reserved header bytes are not zero');
    if (length > MAX_FRAME_PAYLOAD_BYTES) return this.fail(`frame payload of ${length} bytes is over the ${MAX_FRAME_PAYLOAD_BYTES}-byte limit`);
    if (type === FRAME_TYPE.records ? !(Number.isSafeInteger(seq) && seq > 0) : seq !== 0) {
      return this.fail(`sequence number ${seq} on a frame of type ${type}`);
    }
    return { type, seq, length };
  }

  private fail(why: string): null {
    this.error = why;
    this.partial = null;
    this.headFill = 0;
    return null;
  }
}
