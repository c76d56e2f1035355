/**
 * Test helpers for the engine: a raw TCP client (node:net is fine in tests,
 * never in product code), a minimal HTTP/1.1 response splitter, and an engine
 * whose records are collected in memory.
 */
import { connect, type Socket } from 'node:net';
import { decodeRecordBatch } from '../../common/record-batch';
import type { CaptureRecord } from '../../common/capture-record';
import { Engine, type EngineOptions } from '../engine';
import { callbackSink } from '../capture-sink';

export const TEST_TIMEOUT_MS = 5000;

export interface ParsedResponse {
  status: number;
  head: string;
  headers: [string, string][];
  body: Buffer;
  /** The exact bytes of this response. */
  bytes: Buffer;
}

/**
 * Split complete responses off the front of `buf`. `headRequests` marks which
 * responses (by index) answer HEAD and so have no body. Interim 1xx responses
 * are returned as their own entries. Returns the responses and leftover bytes.
 */
export function splitResponses(buf: Buffer, headRequests: Set<number> = new Set()): { responses: ParsedResponse[]; rest: Buffer } {
  const responses: ParsedResponse[] = [];
  let pos = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (end < 0) break;
    const head = buf.subarray(pos, end).toString('latin1');
    const lines = head.split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers = lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
    });
    const cl = headers.find(([n]) => n.toLowerCase() === 'content-length');
    const finalIndex = responses.filter((r) => r.status >= 200).length;
    const bodyLength = status < 200 || headRequests.has(finalIndex) || !cl ? 0 : Number(cl[1]);
    const bodyStart = end + 4;
    if (buf.length < bodyStart + bodyLength) break;
    responses.push({ status, head, headers, body: buf.subarray(bodyStart, bodyStart + bodyLength), bytes: buf.subarray(pos, bodyStart + bodyLength) });
    pos = bodyStart + bodyLength;
  }
  return { responses, rest: buf.subarray(pos) };
}

export class RawClient {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private joined: Buffer | null = Buffer.alloc(0);
  receivedLength = 0;
  closed = false;
  error: Error | null = null;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.receivedLength += d.length;
      this.chunks.push(d);
      this.joined = null;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Everything received so far. */
  get received(): Buffer {
    if (this.joined === null) {
      this.joined = Buffer.concat(this.chunks);
      this.chunks = [this.joined];
    }
    return this.joined;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () => resolve()));
  }

  /** Wait until `predicate` holds or the socket closes; throws after the timeout. */
  async until(predicate: (c: RawClient) => boolean, what: string, timeoutMs = TEST_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const got = (): string => {
      const r = this.received;
      const shown = JSON.stringify(r.subarray(0, 300).toString('latin1'));
      return r.length > 300 ? `${shown}… (${r.length} bytes)` : shown;
    };
    while (!predicate(this)) {
      if (this.closed) {
        if (predicate(this)) return;
        throw new Error(`connection closed while waiting for ${what}; got ${got()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${got()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async responses(count: number, headRequests?: Set<number>, timeoutMs = TEST_TIMEOUT_MS): Promise<ParsedResponse[]> {
    await this.until((c) => splitResponses(c.received, headRequests).responses.length >= count, `${count} response(s)`, timeoutMs);
    return splitResponses(this.received, headRequests).responses;
  }

  async closedByServer(): Promise<void> {
    await this.until((c) => c.closed, 'the server to close');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** An engine on 127.0.0.1:0 whose records land in `records`. */
export class TestEngine {
  readonly records: CaptureRecord[] = [];
  readonly engine: Engine;
  private readonly clients: RawClient[] = [];
  readonly port: number;

  constructor(options: Partial<EngineOptions> = {}) {
    this.engine = Engine.start({
      listen: [{ host: '127.0.0.1', port: 0 }],
      batchIntervalMs: 1,
      ...options,
      sink: callbackSink((batch) => this.records.push(...decodeRecordBatch(batch))),
    });
    this.port = this.engine.listeners[0]!.port;
  }

  /** A client of this engine; stop() destroys it if the test has not. */
  async client(): Promise<RawClient> {
    const c = await RawClient.open(this.port);
    this.clients.push(c);
    return c;
  }

  async waitForRecords(count: number, timeoutMs = TEST_TIMEOUT_MS): Promise<CaptureRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.records.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} records, have ${this.records.length}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.records;
  }

  /** Destroy the clients it opened, then stop the engine. */
  stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    return this.engine.stop();
  }
}

export const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
