/**
 * Test doubles for handler-level tests of the browser inspector: a
 * HandlerRequest built from a method, target and header pairs, and a
 * ResponseStream that records what is written to it.
 */
import type { HeaderPair } from '../../../common/capture-record';
import type { HandlerRequest, ResponseStream, StreamCloseReason } from '../../../server/http-handler';
import { handlerRequestOf } from '../../../server/test/handler-request';

export const UI_PORT = 43210;
export const HOST = `127.0.0.1:${UI_PORT}`;
export const ORIGIN = `http://${HOST}`;

/** A request to the UI listener with exactly these fields (no Host is added: access tests need requests without one). */
export function fakeRequest(method: string, target: string, headers: HeaderPair[] = [['Host', HOST]], body: Buffer | string = ''): HandlerRequest {
  return handlerRequestOf(method, target, headers, typeof body === 'string' ? Buffer.from(body, 'utf8') : body, UI_PORT);
}

/** A ResponseStream that keeps everything written; `queued` sets queuedBytes as a slow client would. */
export class FakeStream implements ResponseStream {
  readonly chunks: string[] = [];
  closed = false;
  queued = 0;
  endCalls = 0;
  closeReason: StreamCloseReason | null = null;
  private readonly listeners: Array<(reason: StreamCloseReason) => void> = [];

  get queuedBytes(): number {
    return this.queued;
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** Everything written, as bytes (chunks are kept as latin1 text, which is lossless). */
  get bytes(): Uint8Array {
    return new Uint8Array(Buffer.from(this.text, 'latin1'));
  }

  write(chunk: Buffer | string): boolean {
    if (this.closed) return false;
    const s = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    if (s === '') return true;
    this.chunks.push(s);
    return true;
  }

  end(): void {
    this.endCalls++;
    this.close('ended');
  }

  /** Close as the engine would (client gone, engine stopped), calling the close listeners once. */
  close(reason: StreamCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const l of this.listeners) l(reason);
  }

  onClose(listener: (reason: StreamCloseReason) => void): void {
    if (this.closed) listener(this.closeReason!);
    else this.listeners.push(listener);
  }
}
