/**
 * The batch format records travel in, between the engine and every consumer
 * (in-process callback, worker or utility-process MessagePort, child IPC).
 *
 * A batch is a few flat arrays rather than an array of objects: structured
 * clone of typed arrays costs a copy, while cloning thousands of small objects
 * costs far more, and the buffers can be moved with a transfer list. Crossing
 * a process costs in proportion to the bytes, so the layout is compact: small
 * fields in an Int32Array, lengths and times in a Float64Array, and ids as
 * deltas from the batch's first record. The consumer turns a batch back into CaptureRecord
 * objects with decodeRecordBatch; the raw and body views it returns point into
 * the batch's bytes (no copy).
 *
 * Header names and values are not stored as strings: they are offsets into the
 * record's raw head bytes, so the parsed view links back to the exact bytes.
 */
import type { AddressFamily, CaptureErrorCode, CaptureRecord, HeaderPair, SocketAddress } from './capture-record';
import { isCaptureErrorCode } from './capture-record';

export const RECORD_BATCH_KIND = 'sockeye-record-batch';
export const RECORD_BATCH_VERSION = 2;

export interface RecordBatch {
  kind: typeof RECORD_BATCH_KIND;
  version: typeof RECORD_BATCH_VERSION;
  count: number;
  /** Raw request bytes of every record, each followed by its decoded body when that is stored apart (chunked). */
  bytes: Uint8Array;
  /** Per record: INT_FIELDS values, then 4 offsets per header, then 2 string indexes per trailer. */
  ints: Int32Array;
  /** Per record: FLOAT_FIELDS values (lengths that may pass 2^31, times). */
  floats: Float64Array;
  /** id and connectionId of records are stored as deltas from these. */
  baseId: number;
  baseConnectionId: number;
  /** Deduplicated strings: addresses, error codes, details, trailer fields. */
  strings: string[];
}

/** Position of each fixed int field in a record's run of ints. */
const I = {
  idDelta: 0, connectionDelta: 1, requestOnConnection: 2, listener: 3, peer: 4,
  rawKept: 5, headLength: 6, bodyApart: 7, bodyKept: 8,
  status: 9, error: 10, errorDetail: 11,
  methodStart: 12, methodEnd: 13, targetStart: 14, targetEnd: 15, version: 16,
  headerCount: 17, trailerCount: 18,
} as const;
const INT_FIELDS = 19;
/** Position of each field in a record's run of floats. */
const D = { rawLength: 0, bodyLength: 1, accepted: 2, firstByte: 3, headComplete: 4, bodyComplete: 5, responseWritten: 6 } as const;
const FLOAT_FIELDS = 7;
/** Runs up to this long are copied byte by byte (cheaper than making a subarray view). */
const SMALL_COPY_BYTES = 128;
/** `version` field values. */
const VERSION_NONE = 0;

/**
 * Everything the engine knows about one request, in the shape it has it:
 * offsets instead of strings. Every offset is relative to raw[rawFrom], the
 * first byte of the request.
 * Header offsets come 4 per field: nameStart, nameEnd, valueStart, valueEnd.
 */
export interface RecordParts {
  id: number;
  connectionId: number;
  requestOnConnection: number;
  listener: SocketAddress;
  peer: SocketAddress;
  /** Captured raw bytes (possibly a prefix of the request): raw[rawFrom, rawTo). */
  raw: Uint8Array;
  rawFrom: number;
  rawTo: number;
  rawLength: number;
  headLength: number;
  /**
   * Decoded body prefix. When `bodyInRaw` is true the body is raw bytes
   * [headLength, headLength + bodyKept) and `body` is ignored (Content-Length
   * framing: decoded body equals the wire bytes).
   */
  bodyInRaw: boolean;
  body: Uint8Array | null;
  bodyFrom: number;
  bodyKept: number;
  bodyLength: number;
  status: number | null;
  error: CaptureErrorCode | null;
  errorDetail: string | null;
  accepted: number;
  firstByte: number;
  headComplete: number | null;
  bodyComplete: number | null;
  responseWritten: number | null;
  /** -1 when the request line was not parsed. */
  methodStart: number;
  methodEnd: number;
  targetStart: number;
  targetEnd: number;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1, 0 when unknown. */
  version: number;
  headerCount: number;
  headerOffsets: ArrayLike<number>;
  trailers: HeaderPair[] | null;
}

function addressKey(a: SocketAddress): string {
  return `${a.family}|${a.address}|${a.port}`;
}

function parseAddressKey(key: string): SocketAddress {
  const [family, address, port] = key.split('|');
  return { family: family as AddressFamily, address: address ?? '', port: Number(port) };
}

function copyOf<T extends Uint8Array | Int32Array | Float64Array>(src: T, length: number, Kind: new (n: number) => T): T {
  const out = new Kind(length);
  out.set(src.subarray(0, length));
  return out;
}

/** `arr` if it has room for `n` more after `used`, else a copy at least twice as large. */
function withRoom<T extends Uint8Array | Int32Array | Float64Array>(arr: T, used: number, n: number, Kind: new (n: number) => T): T {
  if (used + n <= arr.length) return arr;
  let size = arr.length * 2;
  while (size < used + n) size *= 2;
  const next = new Kind(size);
  next.set(arr.subarray(0, used));
  return next;
}

/**
 * Collects records into batches. Reused across batches: take() hands out
 * exact-size copies and starts the next batch, so the working arrays grow
 * once and are not reallocated per batch.
 */
export class RecordBatchBuilder {
  private bytes: Uint8Array;
  private bytesUsed = 0;
  private ints: Int32Array;
  private intsUsed = 0;
  private floats: Float64Array;
  private baseId = 0;
  private baseConnectionId = 0;
  private strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  /** Addresses are the same objects for every request of a connection: intern them by identity. */
  private readonly addressIndex = new Map<SocketAddress, number>();
  count = 0;
  private readonly initialBytes: number;

  constructor(initialBytes = 256 * 1024, initialRecords = 1024) {
    this.initialBytes = initialBytes;
    this.bytes = new Uint8Array(initialBytes);
    this.ints = new Int32Array(initialRecords * (INT_FIELDS + 16));
    this.floats = new Float64Array(initialRecords * FLOAT_FIELDS);
  }

  /** Bytes held so far; lets the batcher flush early when a batch grows large. */
  get byteSize(): number {
    return this.bytesUsed;
  }

  private intern(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  private internAddress(a: SocketAddress): number {
    let i = this.addressIndex.get(a);
    if (i === undefined) {
      i = this.intern(addressKey(a));
      this.addressIndex.set(a, i);
    }
    return i;
  }

  private reserveBytes(n: number): number {
    this.bytes = withRoom(this.bytes, this.bytesUsed, n, Uint8Array);
    const at = this.bytesUsed;
    this.bytesUsed += n;
    return at;
  }

  private reserveInts(n: number): number {
    this.ints = withRoom(this.ints, this.intsUsed, n, Int32Array);
    const at = this.intsUsed;
    this.intsUsed += n;
    return at;
  }

  private reserveFloats(): number {
    const at = this.count * FLOAT_FIELDS;
    this.floats = withRoom(this.floats, at, FLOAT_FIELDS, Float64Array);
    return at;
  }

  /** Copy bytes in; short runs by hand, since a subarray view costs more than copying a head. */
  private copyIn(src: Uint8Array, from: number, to: number): number {
    const at = this.reserveBytes(to - from);
    const dst = this.bytes;
    if (to - from <= SMALL_COPY_BYTES) {
      for (let i = from, j = at; i < to; i++, j++) dst[j] = src[i]!;
    } else {
      dst.set(src.subarray(from, to), at);
    }
    return at;
  }

  /** Copies the record's bytes in; the caller keeps ownership of its buffers. */
  add(p: RecordParts): void {
    if (this.count === 0) {
      this.baseId = p.id;
      this.baseConnectionId = p.connectionId;
    }
    const rawKept = p.rawTo - p.rawFrom;
    this.copyIn(p.raw, p.rawFrom, p.rawTo);
    const bodyApart = !p.bodyInRaw && p.body !== null && p.bodyKept > 0;
    if (bodyApart) this.copyIn(p.body!, p.bodyFrom, p.bodyFrom + p.bodyKept);
    const trailerCount = p.trailers ? p.trailers.length : 0;
    const at = this.reserveInts(INT_FIELDS + p.headerCount * 4 + trailerCount * 2);
    const n = this.ints;
    n[at + I.idDelta] = p.id - this.baseId;
    n[at + I.connectionDelta] = p.connectionId - this.baseConnectionId;
    n[at + I.requestOnConnection] = p.requestOnConnection;
    n[at + I.listener] = this.internAddress(p.listener);
    n[at + I.peer] = this.internAddress(p.peer);
    n[at + I.rawKept] = rawKept;
    n[at + I.headLength] = p.headLength;
    n[at + I.bodyApart] = bodyApart ? 1 : 0;
    n[at + I.bodyKept] = p.bodyKept;
    n[at + I.status] = p.status ?? -1;
    n[at + I.error] = p.error === null ? -1 : this.intern(p.error);
    n[at + I.errorDetail] = p.errorDetail === null ? -1 : this.intern(p.errorDetail);
    n[at + I.methodStart] = p.methodStart;
    n[at + I.methodEnd] = p.methodEnd;
    n[at + I.targetStart] = p.targetStart;
    n[at + I.targetEnd] = p.targetEnd;
    n[at + I.version] = p.version;
    n[at + I.headerCount] = p.headerCount;
    n[at + I.trailerCount] = trailerCount;
    const h = at + INT_FIELDS;
    const offsets = p.headerOffsets;
    for (let i = 0; i < p.headerCount * 4; i++) n[h + i] = offsets[i]!;
    if (p.trailers) {
      const t = h + p.headerCount * 4;
      for (let i = 0; i < trailerCount; i++) {
        const [name, value] = p.trailers[i]!;
        n[t + i * 2] = this.intern(name);
        n[t + i * 2 + 1] = this.intern(value);
      }
    }
    const f = this.reserveFloats();
    const d = this.floats;
    d[f + D.rawLength] = p.rawLength;
    d[f + D.bodyLength] = p.bodyLength;
    d[f + D.accepted] = p.accepted;
    d[f + D.firstByte] = p.firstByte;
    d[f + D.headComplete] = p.headComplete ?? NaN;
    d[f + D.bodyComplete] = p.bodyComplete ?? NaN;
    d[f + D.responseWritten] = p.responseWritten ?? NaN;
    this.count++;
  }

  /** The batch so far, as exact-size copies (which can be transferred); the builder starts a new batch. */
  take(): RecordBatch {
    const batch: RecordBatch = {
      kind: RECORD_BATCH_KIND,
      version: RECORD_BATCH_VERSION,
      count: this.count,
      // new + set rather than slice(): V8's typed-array slice is several times slower than a copy.
      bytes: copyOf(this.bytes, this.bytesUsed, Uint8Array),
      ints: copyOf(this.ints, this.intsUsed, Int32Array),
      floats: copyOf(this.floats, this.count * FLOAT_FIELDS, Float64Array),
      baseId: this.baseId,
      baseConnectionId: this.baseConnectionId,
      strings: this.strings,
    };
    this.bytesUsed = 0;
    this.intsUsed = 0;
    this.count = 0;
    this.strings = [];
    this.stringIndex.clear();
    this.addressIndex.clear();
    // One large body capture should not pin megabytes for the life of the engine.
    if (this.bytes.length > 4 * this.initialBytes) this.bytes = new Uint8Array(this.initialBytes);
    return batch;
  }
}

/** Strings up to this long are built char by char (about twice as fast as apply() on a subarray). */
const SHORT_STRING_BYTES = 32;

/** Decode bytes one-to-one into a string (latin1), so no byte is altered or lost. */
export function latin1(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  if (to - from <= SHORT_STRING_BYTES) {
    for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  const CHUNK = 8192;
  for (let i = from; i < to; i += CHUNK) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(to, i + CHUNK)) as unknown as number[]);
  }
  return s;
}

const nullable = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** How many ints the record starting at ints[at] takes: fixed fields, header offsets, trailer indexes. */
function intsOfRecord(ints: Int32Array, at: number): number {
  return INT_FIELDS + ints[at + I.headerCount]! * 4 + ints[at + I.trailerCount]! * 2;
}

/** True when `value` has the shape of a RecordBatch (for messages from another process). */
export function isRecordBatch(value: unknown): value is RecordBatch {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Partial<RecordBatch>;
  return b.kind === RECORD_BATCH_KIND && b.version === RECORD_BATCH_VERSION && typeof b.count === 'number' &&
    typeof b.baseId === 'number' && typeof b.baseConnectionId === 'number' &&
    b.bytes instanceof Uint8Array && b.ints instanceof Int32Array && b.floats instanceof Float64Array && Array.isArray(b.strings);
}

/**
 * Turn a batch into records. raw and body are views into batch.bytes.
 * Throws RangeError when the batch is inconsistent (it came from a bug, not a client).
 */
export function decodeRecordBatch(batch: RecordBatch): CaptureRecord[] {
  const { bytes, ints, floats, strings } = batch;
  if (floats.length < batch.count * FLOAT_FIELDS) throw new RangeError('record batch is truncated');
  const out: CaptureRecord[] = new Array(batch.count);
  // Addresses repeat for every request of a connection: parse each distinct one once.
  const addresses: (SocketAddress | undefined)[] = new Array(strings.length);
  const address = (i: number): SocketAddress => (addresses[i] ??= parseAddressKey(strings[i]!));
  let at = 0;
  let cursor = 0;
  for (let r = 0; r < batch.count; r++) {
    if (at + INT_FIELDS > ints.length) throw new RangeError('record batch is truncated');
    const f = r * FLOAT_FIELDS;
    const rawKept = ints[at + I.rawKept]!;
    const raw = bytes.subarray(cursor, cursor + rawKept);
    const headLength = ints[at + I.headLength]!;
    const bodyKept = ints[at + I.bodyKept]!;
    let body: Uint8Array;
    if (ints[at + I.bodyApart] === 1) {
      body = bytes.subarray(cursor + rawKept, cursor + rawKept + bodyKept);
      cursor += rawKept + bodyKept;
    } else {
      body = raw.subarray(headLength, headLength + bodyKept);
      cursor += rawKept;
    }
    const headerCount = ints[at + I.headerCount]!;
    const trailerCount = ints[at + I.trailerCount]!;
    const headers: HeaderPair[] = new Array(headerCount);
    const h = at + INT_FIELDS;
    for (let i = 0; i < headerCount; i++) {
      const o = h + i * 4;
      headers[i] = [latin1(raw, ints[o]!, ints[o + 1]!), latin1(raw, ints[o + 2]!, ints[o + 3]!)];
    }
    const trailers: HeaderPair[] = new Array(trailerCount);
    const t = h + headerCount * 4;
    for (let i = 0; i < trailerCount; i++) {
      trailers[i] = [strings[ints[t + i * 2]!]!, strings[ints[t + i * 2 + 1]!]!];
    }
    const methodStart = ints[at + I.methodStart]!;
    const version = ints[at + I.version]!;
    const errorIndex = ints[at + I.error]!;
    const error = errorIndex < 0 ? null : strings[errorIndex]!;
    const detailIndex = ints[at + I.errorDetail]!;
    const bodyLength = floats[f + D.bodyLength]!;
    const status = ints[at + I.status]!;
    out[r] = {
      id: batch.baseId + ints[at + I.idDelta]!,
      connectionId: batch.baseConnectionId + ints[at + I.connectionDelta]!,
      requestOnConnection: ints[at + I.requestOnConnection]! >>> 0,
      listener: address(ints[at + I.listener]!),
      peer: address(ints[at + I.peer]!),
      method: methodStart < 0 ? '' : latin1(raw, methodStart, ints[at + I.methodEnd]!),
      target: methodStart < 0 ? '' : latin1(raw, ints[at + I.targetStart]!, ints[at + I.targetEnd]!),
      version: version === VERSION_NONE ? '' : `HTTP/${Math.floor(version / 10)}.${version % 10}`,
      headers,
      trailers,
      raw,
      rawLength: floats[f + D.rawLength]!,
      headLength,
      body,
      bodyLength,
      bodyTruncated: bodyKept < bodyLength,
      status: status < 0 ? null : status,
      error: isCaptureErrorCode(error) ? error : null,
      errorDetail: detailIndex < 0 ? null : strings[detailIndex]!,
      timestamps: {
        accepted: floats[f + D.accepted]!,
        firstByte: floats[f + D.firstByte]!,
        headComplete: nullable(floats[f + D.headComplete]!),
        bodyComplete: nullable(floats[f + D.bodyComplete]!),
        responseWritten: nullable(floats[f + D.responseWritten]!),
      },
    };
    at = t + trailerCount * 2;
  }
  return out;
}

/** The fields a traffic list shows for a record; the rest comes from decodeRecordBatch when it is opened. */
export interface RecordSummary {
  id: number;
  connectionId: number;
  /** 1 for the first request on its connection, 2 for the next, and so on. */
  requestOnConnection: number;
  /** Index of the record in its batch (and in decodeRecordBatch of that batch). */
  index: number;
  method: string;
  target: string;
  status: number | null;
  error: CaptureErrorCode | null;
  bodyLength: number;
  peer: SocketAddress;
  /** When the request's first byte arrived (ms since the epoch). */
  time: number;
}

/**
 * The list view of every record in a batch: cheaper than decodeRecordBatch
 * (no header, trailer or body views), for consumers that show many rows and
 * decode a record whole only when it is opened. decodeSummariesInto with one
 * object and two strings per record.
 */
export function decodeRecordSummaries(batch: RecordBatch): RecordSummary[] {
  const { bytes } = batch;
  const out: RecordSummary[] = new Array(batch.count);
  decodeSummariesInto(batch, (c) => {
    out[c.index] = {
      id: c.id,
      connectionId: c.connectionId,
      requestOnConnection: c.requestOnConnection,
      index: c.index,
      method: c.methodStart < 0 ? '' : latin1(bytes, c.methodStart, c.methodEnd),
      target: c.targetStart < 0 ? '' : latin1(bytes, c.targetStart, c.targetEnd),
      status: c.status,
      error: c.error,
      bodyLength: c.bodyLength,
      peer: c.peer,
      time: c.time,
    };
  });
  return out;
}

/**
 * One record's list fields as decodeSummariesInto hands them over. It is the
 * same object for every record of a call, refilled each time: copy out what
 * you keep. Method and target are offsets into batch.bytes rather than
 * strings, so a consumer that stores them as columns allocates nothing per
 * record (latin1(batch.bytes, start, end) gives the string when needed).
 */
export interface SummaryCursor {
  /** Index of the record in its batch (and in decodeRecordBatch of that batch). */
  index: number;
  id: number;
  connectionId: number;
  requestOnConnection: number;
  /** [methodStart, methodEnd) and [targetStart, targetEnd) in batch.bytes; all -1 when the request line was not parsed. */
  methodStart: number;
  methodEnd: number;
  targetStart: number;
  targetEnd: number;
  status: number | null;
  error: CaptureErrorCode | null;
  bodyLength: number;
  /** One object per distinct peer in the batch, shared by its records. */
  peer: SocketAddress;
  /** When the request's first byte arrived (ms since the epoch). */
  time: number;
}

/**
 * The list fields of every record without per-record objects or strings:
 * calls `sink` once per record, in order, with the same cursor refilled. The
 * whole batch is checked first, so a batch that does not decode (RangeError)
 * reaches the sink with none of its records.
 * Returns the number of records.
 */
export function decodeSummariesInto(batch: RecordBatch, sink: (record: Readonly<SummaryCursor>) => void): number {
  const { ints, floats, strings } = batch;
  if (floats.length < batch.count * FLOAT_FIELDS) throw new RangeError('record batch is truncated');
  let at = 0;
  for (let r = 0; r < batch.count; r++) {
    if (at + INT_FIELDS > ints.length) throw new RangeError('record batch is truncated');
    at += intsOfRecord(ints, at);
  }
  const addresses: (SocketAddress | undefined)[] = new Array(strings.length);
  const c: SummaryCursor = {
    index: 0, id: 0, connectionId: 0, requestOnConnection: 0, methodStart: -1, methodEnd: -1, targetStart: -1, targetEnd: -1,
    status: null, error: null, bodyLength: 0, peer: { family: 'IPv4', address: '', port: 0 }, time: 0,
  };
  at = 0;
  let cursor = 0;
  for (let r = 0; r < batch.count; r++) {
    const methodStart = ints[at + I.methodStart]!;
    const errorIndex = ints[at + I.error]!;
    const error = errorIndex < 0 ? null : strings[errorIndex]!;
    const status = ints[at + I.status]!;
    const peer = ints[at + I.peer]!;
    c.index = r;
    c.id = batch.baseId + ints[at + I.idDelta]!;
    c.connectionId = batch.baseConnectionId + ints[at + I.connectionDelta]!;
    c.requestOnConnection = ints[at + I.requestOnConnection]! >>> 0;
    if (methodStart < 0) {
      c.methodStart = c.methodEnd = c.targetStart = c.targetEnd = -1;
    } else {
      c.methodStart = cursor + methodStart;
      c.methodEnd = cursor + ints[at + I.methodEnd]!;
      c.targetStart = cursor + ints[at + I.targetStart]!;
      c.targetEnd = cursor + ints[at + I.targetEnd]!;
    }
    c.status = status < 0 ? null : status;
    c.error = isCaptureErrorCode(error) ? error : null;
    c.bodyLength = floats[r * FLOAT_FIELDS + D.bodyLength]!;
    c.peer = (addresses[peer] ??= parseAddressKey(strings[peer]!));
    c.time = floats[r * FLOAT_FIELDS + D.firstByte]!;
    sink(c);
    cursor += ints[at + I.rawKept]! + (ints[at + I.bodyApart] === 1 ? ints[at + I.bodyKept]! : 0);
    at += intsOfRecord(ints, at);
  }
  return batch.count;
}
