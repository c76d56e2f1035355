/**
 * Every record received since the last clear, kept small enough for 150,000
 * rows: list fields live in columnar typed arrays, repeated strings (methods,
 * peer addresses, error codes) are interned, and the batches themselves are
 * kept so that a record is decoded whole only when it is opened
 * (decodeRecordBatch, one batch cached). Targets stay bytes in their batch
 * (a start and end column) and become strings only when read, so appending
 * allocates nothing per record: no summary objects, no strings for the
 * garbage collector to trace through 150,000 rows.
 *
 * Positions are 0-based indexes in arrival order; ids ascend with position
 * (the engine numbers records in order and batches arrive in id order).
 */
import { decodeRecordBatch, decodeSummariesInto, latin1, type RecordBatch, type SummaryCursor } from '../../../common/record-batch';
import type { CaptureErrorCode, CaptureRecord, SocketAddress } from '../../../common/capture-record';
import { formatHostPort } from './format';

/**
 * Rows per chunk. Columns grow a chunk at a time and are never copied: doubling
 * 15 columns at 131,072 rows copied about 20 MB in one frame (a 30-50 ms task
 * on this machine) and left the old arrays for the collector.
 */
const CHUNK_BITS = 14;
const CHUNK_ROWS = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_ROWS - 1;
/** Stored in the status column for "nothing was answered". */
const NO_STATUS = -1;
/** Stored in the error column for "well-formed". */
const NO_ERROR = -1;
const EMPTY_BYTES = new Uint8Array(0);

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

/** The list fields of CHUNK_ROWS consecutive records, one typed array per field. */
class Chunk {
  readonly ids = new Float64Array(CHUNK_ROWS);
  readonly times = new Float64Array(CHUNK_ROWS);
  readonly connections = new Float64Array(CHUNK_ROWS);
  readonly requestNumbers = new Uint32Array(CHUNK_ROWS);
  readonly bodyLengths = new Float64Array(CHUNK_ROWS);
  readonly statuses = new Int32Array(CHUNK_ROWS);
  readonly methodRefs = new Int32Array(CHUNK_ROWS);
  readonly peerRefs = new Int32Array(CHUNK_ROWS);
  readonly peerPorts = new Uint16Array(CHUNK_ROWS);
  readonly errorRefs = new Int32Array(CHUNK_ROWS);
  readonly batchRefs = new Int32Array(CHUNK_ROWS);
  readonly batchIndexes = new Int32Array(CHUNK_ROWS);
  /** [start, end) of the target in its batch's bytes; -1 when the request line was not parsed. */
  readonly targetStarts = new Int32Array(CHUNK_ROWS);
  readonly targetEnds = new Int32Array(CHUNK_ROWS);
}

export type AppendResult = { ok: true; added: number } | { ok: false; reason: string };

export class RecordStore {
  /** Records held. */
  length = 0;
  /** Bumped by clear(), so views built on the store know to start over. */
  generation = 0;

  private chunks: Chunk[] = [];
  private batches: RecordBatch[] = [];
  private methods = new StringTable();
  private peers = new StringTable();
  private errors = new StringTable();
  private cached: { batch: number; records: CaptureRecord[] } | null = null;

  /** The chunk holding position i (which must be < length). */
  private chunk(i: number): Chunk {
    return this.chunks[i >>> CHUNK_BITS]!;
  }

  /**
   * Add every record of a batch. A batch that does not decode (a bug on the
   * other side, not a client) is refused whole and reported, never thrown.
   */
  append(batch: RecordBatch): AppendResult {
    const n = batch.count;
    if (n === 0) return { ok: true, added: 0 };
    const batchRef = this.batches.length;
    this.batchRef = batchRef;
    this.bytes = batch.bytes;
    this.lastMethodStart = -1;
    const lengthBefore = this.length;
    try {
      decodeSummariesInto(batch, this.take);
    } catch (err) {
      // decodeSummariesInto checks the layout before the first record, but a bad string index (a peer)
      // only fails at its record: forget the rows already taken, so none points at a batch not kept.
      this.length = lengthBefore;
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      this.bytes = EMPTY_BYTES;
    }
    this.batches.push(batch);
    return { ok: true, added: n };
  }

  // State of the append in progress, for take (one closure, made once).
  private batchRef = 0;
  private bytes: Uint8Array = EMPTY_BYTES;
  private lastMethodStart = -1;
  private lastMethodEnd = -1;
  private lastMethodRef = 0;
  private lastPeer: SocketAddress | null = null;
  private lastPeerRef = 0;

  private readonly take = (c: Readonly<SummaryCursor>): void => {
    const at = this.length++;
    const i = at & CHUNK_MASK;
    if (i === 0 && this.chunks.length <= at >>> CHUNK_BITS) this.chunks.push(new Chunk());
    const k = this.chunk(at);
    k.ids[i] = c.id;
    k.times[i] = c.time;
    k.connections[i] = c.connectionId;
    k.requestNumbers[i] = c.requestOnConnection;
    k.bodyLengths[i] = c.bodyLength;
    k.statuses[i] = c.status ?? NO_STATUS;
    k.methodRefs[i] = this.methodRef(c.methodStart, c.methodEnd);
    // Ports differ per connection: keep them apart so the address table stays small.
    if (c.peer !== this.lastPeer) {
      this.lastPeer = c.peer;
      this.lastPeerRef = this.peers.intern(c.peer.address);
    }
    k.peerRefs[i] = this.lastPeerRef;
    k.peerPorts[i] = c.peer.port;
    k.errorRefs[i] = c.error === null ? NO_ERROR : this.errors.intern(c.error);
    k.batchRefs[i] = this.batchRef;
    k.batchIndexes[i] = c.index;
    k.targetStarts[i] = c.targetStart;
    k.targetEnds[i] = c.targetEnd;
  };

  /** The method's interned index; a run of records with the same method (the usual case) makes no string. */
  private methodRef(start: number, end: number): number {
    if (start < 0) return this.methods.intern('');
    const b = this.bytes;
    const ls = this.lastMethodStart;
    if (ls >= 0 && end - start === this.lastMethodEnd - ls) {
      let same = true;
      for (let k = 0; k < end - start; k++) {
        if (b[start + k] !== b[ls + k]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastMethodRef;
    }
    this.lastMethodStart = start;
    this.lastMethodEnd = end;
    this.lastMethodRef = this.methods.intern(latin1(b, start, end));
    return this.lastMethodRef;
  }

  /** Forget every record and batch (memory is returned to the initial size). */
  clear(): void {
    this.length = 0;
    this.generation++;
    this.chunks = [];
    this.batches = [];
    this.lastPeer = null;
    this.methods = new StringTable();
    this.peers = new StringTable();
    this.errors = new StringTable();
    this.cached = null;
  }

  id(i: number): number { return this.chunk(i).ids[i & CHUNK_MASK]!; }
  time(i: number): number { return this.chunk(i).times[i & CHUNK_MASK]!; }
  connectionId(i: number): number { return this.chunk(i).connections[i & CHUNK_MASK]!; }
  /** 1 for the first request on its connection, 2 for the next, and so on. */
  requestOnConnection(i: number): number { return this.chunk(i).requestNumbers[i & CHUNK_MASK]!; }
  bodyLength(i: number): number { return this.chunk(i).bodyLengths[i & CHUNK_MASK]!; }
  method(i: number): string { return this.methods.values[this.chunk(i).methodRefs[i & CHUNK_MASK]!]!; }

  /** The request target, read from the batch's bytes (one short string per call: rows in view, filter tests). */
  target(i: number): string {
    if (i < 0 || i >= this.length) return '';
    const k = this.chunk(i);
    const start = k.targetStarts[i & CHUNK_MASK]!;
    if (start < 0) return '';
    return latin1(this.batches[k.batchRefs[i & CHUNK_MASK]!]!.bytes, start, k.targetEnds[i & CHUNK_MASK]!);
  }

  status(i: number): number | null {
    const s = this.chunk(i).statuses[i & CHUNK_MASK]!;
    return s === NO_STATUS ? null : s;
  }

  error(i: number): CaptureErrorCode | null {
    const e = this.chunk(i).errorRefs[i & CHUNK_MASK]!;
    return e === NO_ERROR ? null : (this.errors.values[e] as CaptureErrorCode);
  }

  /** "127.0.0.1:50412", "[::1]:50412". */
  peer(i: number): string {
    const k = this.chunk(i);
    return formatHostPort(this.peers.values[k.peerRefs[i & CHUNK_MASK]!]!, k.peerPorts[i & CHUNK_MASK]!);
  }

  /**
   * The whole record at a position, decoded from its batch (the last decoded
   * batch is cached: neighbours are usually opened one after another).
   * Null when the position is out of range or the batch does not decode.
   */
  open(i: number): CaptureRecord | null {
    if (i < 0 || i >= this.length) return null;
    const k = this.chunk(i);
    const b = k.batchRefs[i & CHUNK_MASK]!;
    if (this.cached === null || this.cached.batch !== b) {
      try {
        this.cached = { batch: b, records: decodeRecordBatch(this.batches[b]!) };
      } catch {
        return null;
      }
    }
    return this.cached.records[k.batchIndexes[i & CHUNK_MASK]!] ?? null;
  }
}
