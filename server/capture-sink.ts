/**
 * Where batches of capture records go. One interface for every consumer:
 * a callback in the same process (the CLI, tests), or a message port to
 * another thread or process (worker_threads MessagePort, Electron's
 * MessagePortMain, a child process's IPC channel).
 */
import type { RecordBatch } from '../common/record-batch';
import type { EngineEvent } from '../common/wire-messages';

export interface CaptureSink {
  /** Called with each batch, in order. The sink owns the batch afterwards. */
  deliver(batch: RecordBatch): void;
}

/** Anything with postMessage: worker_threads MessagePort, MessagePortMain, a Worker. */
export interface PostTarget {
  postMessage(message: unknown, transfer?: never[]): void;
}

export function callbackSink(fn: (batch: RecordBatch) => void): CaptureSink {
  return { deliver: fn };
}

/**
 * Posts `{ type: 'records', batch }` messages. With `transfer` the batch's
 * two buffers are moved rather than copied (worker_threads ports support
 * this; Electron's MessagePortMain transfers only ports, so leave it off there).
 */
export function portSink(port: PostTarget, options: { transfer?: boolean } = {}): CaptureSink {
  return {
    deliver(batch: RecordBatch): void {
      const message: EngineEvent = { type: 'records', batch };
      if (options.transfer) {
        (port.postMessage as (m: unknown, t: ArrayBufferLike[]) => void)(message, [batch.bytes.buffer, batch.ints.buffer, batch.floats.buffer]);
      } else {
        port.postMessage(message);
      }
    },
  };
}
