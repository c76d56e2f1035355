/**
 * The batch format records travel in, between the engine and every consumer
 * (in-process callback, worker or utility-process MessagePort, child IPC).
 *
 * A batch is three flat arrays rather than an array of objects: structured
 * clone of one Uint8Array and one Float64Array costs a copy, while cloning
 * thousands of small objects costs far more, and the two buffers can be moved
 * with a transfer list. The consumer turns a batch back into CaptureRecord
 * objects with decodeRecordBatch; the raw and body views it returns point into
 * the batch's bytes (no copy).
 *
 * Header names and values are not stored as strings: they are offsets into the
 * record's raw head bytes, so the parsed view links back to the exact bytes.
 */
import type { AddressFamily, CaptureErrorCode, CaptureRecord, HeaderPair, SocketAddress } from './capture-record';
import { isCaptureErrorCode } from './capture-record';

export const RECORD_BATCH_KIND = 'sockeye-record-batch';
export const RECORD_BATCH_VERSION = 1;

export interface RecordBatch {
  kind: typeof RECORD_BATCH_KIND;
  version: typeof RECORD_BATCH_VERSION;
  count: number;
  /** Raw request bytes and decoded bodies of every record, back to back. */
  bytes: Uint8Array;
  /** Per record: FIXED_FIELDS numbers, then 4 offsets per header, then 2 string indexes per trailer. */
  nums: Float64Array;
  /** Deduplicated strings: addresses, error codes, details, trailer fields. */
  strings: string[];
}

/** Position of each fixed field in a record's run of nums. */
const F = {
  id: 0, connectionId: 1, requestOnConnection: 2, listener: 3, peer: 4,
  rawStart: 5, rawKept: 6, rawLength: 7, headLength: 8,
  bodyStart: 9, bodyKept: 10, bodyLength: 11,
  status: 12, error: 13, errorDetail: 14,
  accepted: 15, firstByte: 16, headComplete: 17, bodyComplete: 18, responseWritten: 19,
  methodStart: 20, methodEnd: 21, targetStart: 22, targetEnd: 23, version: 24,
  headerCount: 25, trailerCount: 26,
} as const;
const FIXED_FIELDS = 27;
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

/** Collects records into one batch. Not reusable after take(). */
export class RecordBatchBuilder {
  private bytes: Uint8Array;
  private bytesUsed = 0;
  private nums: Float64Array;
  private numsUsed = 0;
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  count = 0;

  constructor(initialBytes = 64 * 1024, initialRecords = 256) {
    this.bytes = new Uint8Array(initialBytes);
    this.nums = new Float64Array(initialRecords * (FIXED_FIELDS + 16));
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

  private reserveBytes(n: number): number {
    if (this.bytesUsed + n > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.bytesUsed + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.bytes.subarray(0, this.bytesUsed));
      this.bytes = next;
    }
    const at = this.bytesUsed;
    this.bytesUsed += n;
    return at;
  }

  private reserveNums(n: number): number {
    if (this.numsUsed + n > this.nums.length) {
      let size = this.nums.length * 2;
      while (size < this.numsUsed + n) size *= 2;
      const next = new Float64Array(size);
      next.set(this.nums.subarray(0, this.numsUsed));
      this.nums = next;
    }
    const at = this.numsUsed;
    this.numsUsed += n;
    return at;
  }

  /** Copies the record's bytes in; the caller keeps ownership of its buffers. */
  add(p: RecordParts): void {
    const rawKept = p.rawTo - p.rawFrom;
    const rawStart = this.reserveBytes(rawKept);
    this.bytes.set(p.raw.subarray(p.rawFrom, p.rawTo), rawStart);
    let bodyStart = rawStart + p.headLength;
    if (!p.bodyInRaw && p.body && p.bodyKept > 0) {
      bodyStart = this.reserveBytes(p.bodyKept);
      this.bytes.set(p.body.subarray(p.bodyFrom, p.bodyFrom + p.bodyKept), bodyStart);
    }
    const trailerCount = p.trailers ? p.trailers.length : 0;
    const at = this.reserveNums(FIXED_FIELDS + p.headerCount * 4 + trailerCount * 2);
    const n = this.nums;
    n[at + F.id] = p.id;
    n[at + F.connectionId] = p.connectionId;
    n[at + F.requestOnConnection] = p.requestOnConnection;
    n[at + F.listener] = this.intern(addressKey(p.listener));
    n[at + F.peer] = this.intern(addressKey(p.peer));
    n[at + F.rawStart] = rawStart;
    n[at + F.rawKept] = rawKept;
    n[at + F.rawLength] = p.rawLength;
    n[at + F.headLength] = p.headLength;
    n[at + F.bodyStart] = bodyStart;
    n[at + F.bodyKept] = p.bodyKept;
    n[at + F.bodyLength] = p.bodyLength;
    n[at + F.status] = p.status ?? -1;
    n[at + F.error] = p.error === null ? -1 : this.intern(p.error);
    n[at + F.errorDetail] = p.errorDetail === null ? -1 : this.intern(p.errorDetail);
    n[at + F.accepted] = p.accepted;
    n[at + F.firstByte] = p.firstByte;
    n[at + F.headComplete] = p.headComplete ?? NaN;
    n[at + F.bodyComplete] = p.bodyComplete ?? NaN;
    n[at + F.responseWritten] = p.responseWritten ?? NaN;
    n[at + F.methodStart] = p.methodStart;
    n[at + F.methodEnd] = p.methodEnd;
    n[at + F.targetStart] = p.targetStart;
    n[at + F.targetEnd] = p.targetEnd;
    n[at + F.version] = p.version;
    n[at + F.headerCount] = p.headerCount;
    n[at + F.trailerCount] = trailerCount;
    const h = at + FIXED_FIELDS;
    for (let i = 0; i < p.headerCount * 4; i++) n[h + i] = p.headerOffsets[i]!;
    if (p.trailers) {
      const t = h + p.headerCount * 4;
      p.trailers.forEach(([name, value], i) => {
        n[t + i * 2] = this.intern(name);
        n[t + i * 2 + 1] = this.intern(value);
      });
    }
    this.count++;
  }

  /** The finished batch, its arrays trimmed to size (so they can be transferred). */
  take(): RecordBatch {
    return {
      kind: RECORD_BATCH_KIND,
      version: RECORD_BATCH_VERSION,
      count: this.count,
      bytes: this.bytes.slice(0, this.bytesUsed),
      nums: this.nums.slice(0, this.numsUsed),
      strings: this.strings,
    };
  }
}

/** Decode bytes one-to-one into a string (latin1), so no byte is altered or lost. */
export function latin1(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  const CHUNK = 8192;
  for (let i = from; i < to; i += CHUNK) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(to, i + CHUNK)) as unknown as number[]);
  }
  return s;
}

const nullable = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** True when `value` has the shape of a RecordBatch (for messages from another process). */
export function isRecordBatch(value: unknown): value is RecordBatch {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Partial<RecordBatch>;
  return b.kind === RECORD_BATCH_KIND && b.version === RECORD_BATCH_VERSION && typeof b.count === 'number' &&
    b.bytes instanceof Uint8Array && b.nums instanceof Float64Array && Array.isArray(b.strings);
}

/**
 * Turn a batch into records. raw and body are views into batch.bytes.
 * Throws RangeError when the batch is inconsistent (it came from a bug, not a client).
 */
export function decodeRecordBatch(batch: RecordBatch): CaptureRecord[] {
  const { bytes, nums, strings } = batch;
  const out: CaptureRecord[] = new Array(batch.count);
  let at = 0;
  for (let r = 0; r < batch.count; r++) {
    if (at + FIXED_FIELDS > nums.length) throw new RangeError('record batch is truncated');
    const g = (f: number): number => nums[at + f]!;
    const rawStart = g(F.rawStart);
    const rawKept = g(F.rawKept);
    const raw = bytes.subarray(rawStart, rawStart + rawKept);
    const headerCount = g(F.headerCount);
    const trailerCount = g(F.trailerCount);
    const headers: HeaderPair[] = new Array(headerCount);
    const h = at + FIXED_FIELDS;
    for (let i = 0; i < headerCount; i++) {
      const o = h + i * 4;
      headers[i] = [latin1(raw, nums[o]!, nums[o + 1]!), latin1(raw, nums[o + 2]!, nums[o + 3]!)];
    }
    const trailers: HeaderPair[] = new Array(trailerCount);
    const t = h + headerCount * 4;
    for (let i = 0; i < trailerCount; i++) {
      trailers[i] = [strings[nums[t + i * 2]!]!, strings[nums[t + i * 2 + 1]!]!];
    }
    const methodStart = g(F.methodStart);
    const version = g(F.version);
    const errorIndex = g(F.error);
    const error = errorIndex < 0 ? null : strings[errorIndex]!;
    const detailIndex = g(F.errorDetail);
    const bodyStart = g(F.bodyStart);
    const bodyKept = g(F.bodyKept);
    const bodyLength = g(F.bodyLength);
    const status = g(F.status);
    out[r] = {
      id: g(F.id),
      connectionId: g(F.connectionId),
      requestOnConnection: g(F.requestOnConnection),
      listener: parseAddressKey(strings[g(F.listener)]!),
      peer: parseAddressKey(strings[g(F.peer)]!),
      method: methodStart < 0 ? '' : latin1(raw, methodStart, g(F.methodEnd)),
      target: methodStart < 0 ? '' : latin1(raw, g(F.targetStart), g(F.targetEnd)),
      version: version === VERSION_NONE ? '' : `HTTP/${Math.floor(version / 10)}.${version % 10}`,
      headers,
      trailers,
      raw,
      rawLength: g(F.rawLength),
      headLength: g(F.headLength),
      body: bytes.subarray(bodyStart, bodyStart + bodyKept),
      bodyLength,
      bodyTruncated: bodyKept < bodyLength,
      status: status < 0 ? null : status,
      error: isCaptureErrorCode(error) ? error : null,
      errorDetail: detailIndex < 0 ? null : strings[detailIndex]!,
      timestamps: {
        accepted: g(F.accepted),
        firstByte: g(F.firstByte),
        headComplete: nullable(g(F.headComplete)),
        bodyComplete: nullable(g(F.bodyComplete)),
        responseWritten: nullable(g(F.responseWritten)),
      },
    };
    at = t + trailerCount * 2;
  }
  return out;
}
