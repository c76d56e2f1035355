/**
 * Every record received since the last clear, kept small enough for 150,000
 * rows: list fields live in columnar typed arrays (plus one target string per
 * record), repeated strings (methods, peer addresses, error codes) are
 * interned, and the batches themselves are kept so that a record is decoded
 * whole only when it is opened (decodeRecordBatch, one batch cached).
 *
 * Positions are 0-based indexes in arrival order; ids ascend with position
 * (the engine numbers records in order and batches arrive in id order).
 */
import { decodeRecordBatch, decodeRecordSummaries, type RecordBatch } from '../../../common/record-batch';
import type { CaptureErrorCode, CaptureRecord } from '../../../common/capture-record';
import { formatHostPort } from './format';
import { indexInSorted } from './sorted-search';

/** Rows allocated up front; columns double when full. */
const INITIAL_CAPACITY = 4096;
/** Stored in the status column for "nothing was answered". */
const NO_STATUS = -1;
/** Stored in the error column for "well-formed". */
const NO_ERROR = -1;

/** Strings that repeat across records, stored once and referenced by index. */
class StringTable {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

function grow<T extends Float64Array | Int32Array | Uint16Array>(arr: T, capacity: number, Kind: new (n: number) => T): T {
  const next = new Kind(capacity);
  next.set(arr);
  return next;
}

export type AppendResult = { ok: true; added: number } | { ok: false; reason: string };

export class RecordStore {
  /** Records held. */
  length = 0;
  /** Bumped by clear(), so views built on the store know to start over. */
  generation = 0;

  private capacity = INITIAL_CAPACITY;
  private ids = new Float64Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private connections = new Float64Array(INITIAL_CAPACITY);
  private bodyLengths = new Float64Array(INITIAL_CAPACITY);
  private statuses = new Int32Array(INITIAL_CAPACITY);
  private methodRefs = new Int32Array(INITIAL_CAPACITY);
  private peerRefs = new Int32Array(INITIAL_CAPACITY);
  private peerPorts = new Uint16Array(INITIAL_CAPACITY);
  private errorRefs = new Int32Array(INITIAL_CAPACITY);
  private batchRefs = new Int32Array(INITIAL_CAPACITY);
  private batchIndexes = new Int32Array(INITIAL_CAPACITY);
  private targets: string[] = [];
  private batches: RecordBatch[] = [];
  private methods = new StringTable();
  private peers = new StringTable();
  private errors = new StringTable();
  private cached: { batch: number; records: CaptureRecord[] } | null = null;

  /**
   * Add every record of a batch. A batch that does not decode (a bug on the
   * other side, not a client) is refused whole and reported, never thrown.
   */
  append(batch: RecordBatch): AppendResult {
    let summaries;
    try {
      summaries = decodeRecordSummaries(batch);
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    const n = summaries.length;
    if (n === 0) return { ok: true, added: 0 };
    this.reserve(n);
    const batchRef = this.batches.length;
    this.batches.push(batch);
    for (let k = 0; k < n; k++) {
      const s = summaries[k]!;
      const i = this.length++;
      this.ids[i] = s.id;
      this.times[i] = s.time;
      this.connections[i] = s.connectionId;
      this.bodyLengths[i] = s.bodyLength;
      this.statuses[i] = s.status ?? NO_STATUS;
      this.methodRefs[i] = this.methods.intern(s.method);
      // Ports differ per connection: keep them apart so the address table stays small.
      this.peerRefs[i] = this.peers.intern(s.peer.address);
      this.peerPorts[i] = s.peer.port;
      this.errorRefs[i] = s.error === null ? NO_ERROR : this.errors.intern(s.error);
      this.batchRefs[i] = batchRef;
      this.batchIndexes[i] = s.index;
      this.targets.push(s.target);
    }
    return { ok: true, added: n };
  }

  private reserve(n: number): void {
    if (this.length + n <= this.capacity) return;
    let c = this.capacity * 2;
    while (c < this.length + n) c *= 2;
    this.capacity = c;
    this.ids = grow(this.ids, c, Float64Array);
    this.times = grow(this.times, c, Float64Array);
    this.connections = grow(this.connections, c, Float64Array);
    this.bodyLengths = grow(this.bodyLengths, c, Float64Array);
    this.statuses = grow(this.statuses, c, Int32Array);
    this.methodRefs = grow(this.methodRefs, c, Int32Array);
    this.peerRefs = grow(this.peerRefs, c, Int32Array);
    this.peerPorts = grow(this.peerPorts, c, Uint16Array);
    this.errorRefs = grow(this.errorRefs, c, Int32Array);
    this.batchRefs = grow(this.batchRefs, c, Int32Array);
    this.batchIndexes = grow(this.batchIndexes, c, Int32Array);
  }

  /** Forget every record and batch (memory is returned to the initial size). */
  clear(): void {
    this.length = 0;
    this.generation++;
    this.capacity = INITIAL_CAPACITY;
    this.ids = new Float64Array(INITIAL_CAPACITY);
    this.times = new Float64Array(INITIAL_CAPACITY);
    this.connections = new Float64Array(INITIAL_CAPACITY);
    this.bodyLengths = new Float64Array(INITIAL_CAPACITY);
    this.statuses = new Int32Array(INITIAL_CAPACITY);
    this.methodRefs = new Int32Array(INITIAL_CAPACITY);
    this.peerRefs = new Int32Array(INITIAL_CAPACITY);
    this.peerPorts = new Uint16Array(INITIAL_CAPACITY);
    this.errorRefs = new Int32Array(INITIAL_CAPACITY);
    this.batchRefs = new Int32Array(INITIAL_CAPACITY);
    this.batchIndexes = new Int32Array(INITIAL_CAPACITY);
    this.targets = [];
    this.batches = [];
    this.methods = new StringTable();
    this.peers = new StringTable();
    this.errors = new StringTable();
    this.cached = null;
  }

  id(i: number): number { return this.ids[i]!; }
  time(i: number): number { return this.times[i]!; }
  connectionId(i: number): number { return this.connections[i]!; }
  bodyLength(i: number): number { return this.bodyLengths[i]!; }
  method(i: number): string { return this.methods.values[this.methodRefs[i]!]!; }
  target(i: number): string { return this.targets[i]!; }

  status(i: number): number | null {
    const s = this.statuses[i]!;
    return s === NO_STATUS ? null : s;
  }

  error(i: number): CaptureErrorCode | null {
    const e = this.errorRefs[i]!;
    return e === NO_ERROR ? null : (this.errors.values[e] as CaptureErrorCode);
  }

  /** "127.0.0.1:50412", "[::1]:50412". */
  peer(i: number): string {
    return formatHostPort(this.peers.values[this.peerRefs[i]!]!, this.peerPorts[i]!);
  }

  /** Position of the record with this id, or -1 (binary search: ids ascend with position). */
  positionOfId(id: number): number {
    return indexInSorted(this.ids, this.length, id);
  }

  /**
   * The whole record at a position, decoded from its batch (the last decoded
   * batch is cached: neighbours are usually opened one after another).
   * Null when the position is out of range or the batch does not decode.
   */
  open(i: number): CaptureRecord | null {
    if (i < 0 || i >= this.length) return null;
    const b = this.batchRefs[i]!;
    if (this.cached === null || this.cached.batch !== b) {
      try {
        this.cached = { batch: b, records: decodeRecordBatch(this.batches[b]!) };
      } catch {
        return null;
      }
    }
    return this.cached.records[this.batchIndexes[i]!] ?? null;
  }
}
