/**
 * Where "the epoll fd has events" comes from. The engine only needs a callback
 * when epfd turns readable; it then drains with epoll_wait(epfd, …, 0).
 *
 * - koffi-poll: koffi's libuv integration (koffi.node.poll) watches epfd on
 *   the Node event loop itself — no thread, no spinning. The API is
 *   undocumented in koffi, so koffi's version is pinned exactly in
 *   package.json and everything that touches it is in this file.
 * - worker-thread: the fallback. A worker blocks in epoll_wait(epfd, 1, t)
 *   and posts a message when something is ready, then waits until the main
 *   thread has drained before it waits again (level-triggered epoll would
 *   otherwise report the same events in a loop).
 */
import koffi from 'koffi';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export type ReadinessKind = 'koffi-poll' | 'worker-thread';

export interface ReadinessSource {
  readonly kind: ReadinessKind;
  /** Start calling onReady whenever epfd may have events. onReady must drain epfd before it returns. */
  start(onReady: () => void): void;
  /** Stop for good. Must be called before epfd is closed. */
  close(): void;
}

// The shipped typings declare a one-parameter callback; koffi actually calls
// it with (status, events). Declared here so the difference is in one place.
interface KoffiPollHandle { close(): void }
type KoffiPoll = (fd: number, opts: { readable: boolean }, cb: (status: number, events: unknown) => void) => KoffiPollHandle;

function koffiPoll(): KoffiPoll | null {
  const node = (koffi as unknown as { node?: { poll?: unknown } }).node;
  return typeof node?.poll === 'function' ? (node.poll as KoffiPoll) : null;
}

class KoffiPollReadiness implements ReadinessSource {
  readonly kind = 'koffi-poll';
  private handle: KoffiPollHandle | null = null;
  constructor(private readonly epfd: number, private readonly poll: KoffiPoll) {}

  start(onReady: () => void): void {
    // A negative status is a libuv error on the watched fd; draining still
    // does the right thing (epoll_wait reports the problem), so both go to onReady.
    this.handle = this.poll(this.epfd, { readable: true }, () => onReady());
  }

  close(): void {
    this.handle?.close();
    this.handle = null;
  }
}

/** Worker handshake states, in Int32Array slot 0 of a SharedArrayBuffer. */
export const WORKER_IDLE = 0;
export const WORKER_NOTIFIED = 1;
export const WORKER_STOP = 2;
/** How long the worker blocks in epoll_wait before checking for stop. */
export const WORKER_WAIT_MS = 100;

class WorkerReadiness implements ReadinessSource {
  readonly kind = 'worker-thread';
  private worker: Worker | null = null;
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  constructor(private readonly epfd: number) {}

  start(onReady: () => void): void {
    this.worker = new Worker(join(__dirname, 'readiness-worker.js'), {
      workerData: { epfd: this.epfd, state: this.state, waitMs: WORKER_WAIT_MS },
    });
    this.worker.on('message', () => {
      try {
        onReady();
      } finally {
        Atomics.store(this.state, 0, WORKER_IDLE);
        Atomics.notify(this.state, 0);
      }
    });
    this.worker.on('error', (err) => {
      // The worker only calls epoll_wait; an error there is a bug worth seeing, not a reason to die silently.
      process.emitWarning(`readiness worker failed: ${err.message}`);
    });
  }

  close(): void {
    Atomics.store(this.state, 0, WORKER_STOP);
    Atomics.notify(this.state, 0);
    void this.worker?.terminate();
    this.worker = null;
  }
}

/**
 * The readiness source for epfd. 'auto' picks koffi-poll when this koffi has
 * it, else the worker thread. SOCKEYE_READINESS=worker-thread|koffi-poll in
 * the environment overrides 'auto' (tests run the engine on both).
 */
export function createReadinessSource(epfd: number, preference: ReadinessKind | 'auto' = 'auto'): ReadinessSource {
  const env = process.env.SOCKEYE_READINESS;
  const wanted = preference !== 'auto' ? preference : env === 'worker-thread' || env === 'koffi-poll' ? env : 'auto';
  const poll = koffiPoll();
  if (wanted === 'worker-thread' || (wanted === 'auto' && !poll)) return new WorkerReadiness(epfd);
  if (!poll) throw new Error('koffi-poll readiness requested but this koffi has no node.poll');
  return new KoffiPollReadiness(epfd, poll);
}
