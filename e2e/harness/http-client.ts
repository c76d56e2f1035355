/**
 * A raw HTTP/1.1 client for tests and the bench: exact bytes out over a
 * node:net socket to 127.0.0.1, responses split off what comes back. Only
 * Content-Length framing is understood (the engine frames every answer that
 * way); that is all these tests need.
 */
import { connect, type Socket } from 'node:net';

export const LOOPBACK = '127.0.0.1';
/** Default wait for responses or a close. */
export const RESPONSE_TIMEOUT_MS = 10_000;

export interface HttpResponse {
  status: number;
  /** Header fields in the order received. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** The response's exact bytes. */
  bytes: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Splits responses off a byte stream as it arrives. */
export class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0);
  readonly responses: HttpResponse[] = [];
  /** Statuses of every response seen, even when `keep` is false. */
  count = 0;
  statusCounts = new Map<number, number>();

  /** keep=false counts responses without keeping them (for load). */
  constructor(private readonly keep = true) {}

  feed(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let pos = 0;
    for (;;) {
      const end = this.buffer.indexOf(HEAD_END, pos);
      if (end < 0) break;
      const lines = this.buffer.subarray(pos, end).toString('latin1').split('\r\n');
      const status = Number(lines[0]?.split(' ')[1]);
      const headers = lines.slice(1).map((line): [string, string] => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon), line.slice(colon + 1).trim()];
      });
      const length = Number(headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1] ?? 0);
      const bodyStart = end + HEAD_END.length;
      if (this.buffer.length < bodyStart + length) break;
      this.count++;
      this.statusCounts.set(status, (this.statusCounts.get(status) ?? 0) + 1);
      if (this.keep) {
        const bytes = Buffer.from(this.buffer.subarray(pos, bodyStart + length));
        this.responses.push({ status, headers, body: bytes.subarray(bodyStart - pos), bytes });
      }
      pos = bodyStart + length;
    }
    this.buffer = this.buffer.subarray(pos);
  }
}

export class HttpConnection {
  readonly reader: ResponseReader;
  closed = false;
  error: Error | null = null;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket, keep: boolean) {
    this.reader = new ResponseReader(keep);
    socket.on('data', (chunk: Buffer) => {
      this.reader.feed(chunk);
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

  /** Connect to `port` on 127.0.0.1 (tests never send elsewhere). keep=false only counts responses. */
  static open(port: number, options: { keep?: boolean; timeoutMs?: number } = {}): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: LOOPBACK, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${LOOPBACK}:${port} timed out`));
      }, options.timeoutMs ?? RESPONSE_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new HttpConnection(socket, options.keep ?? true));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  write(bytes: string | Uint8Array): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Wait until `done()` holds; throws with `what` when `failed()` names a reason or the time is up. */
  private async until(done: () => boolean, what: string, timeoutMs: number, failed: () => string | null = () => null): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const reason = failed();
      if (reason) throw new Error(`${reason} while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (${this.reader.count} response(s) so far)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Wait until at least `count` responses arrived in total; throws on close or timeout. */
  async responses(count: number, timeoutMs = RESPONSE_TIMEOUT_MS): Promise<HttpResponse[]> {
    await this.until(() => this.reader.count >= count, `${count} response(s)`, timeoutMs,
      () => (this.closed ? 'the server closed the connection' : null));
    return this.reader.responses;
  }

  /** Wait until the server closes the connection (bounded). */
  closedByServer(timeoutMs = RESPONSE_TIMEOUT_MS): Promise<void> {
    return this.until(() => this.closed, 'the server to close', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Send one request's exact bytes on a new connection and return the first response. */
export async function exchange(port: number, request: string | Uint8Array, timeoutMs = RESPONSE_TIMEOUT_MS): Promise<HttpResponse> {
  const conn = await HttpConnection.open(port, { timeoutMs });
  try {
    await conn.write(request);
    const [response] = await conn.responses(1, timeoutMs);
    return response!;
  } finally {
    conn.close();
  }
}

/** A plain GET with a Host header, as bytes. */
export function simpleGet(target: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: ${LOOPBACK}\r\n${extraHeaders}\r\n`;
}
