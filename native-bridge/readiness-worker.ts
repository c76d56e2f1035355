/**
 * Worker-thread side of the fallback readiness source (see readiness.ts):
 * blocks in epoll_wait with a timeout, tells the main thread, and waits for
 * it to drain before waiting again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { epoll_wait } from './syscalls';
import { EPOLL_EVENT_SIZE } from './epoll-event';
import { WORKER_IDLE, WORKER_NOTIFIED, WORKER_STOP } from './readiness';

const { epfd, state, waitMs } = workerData as { epfd: number; state: Int32Array; waitMs: number };
const events = Buffer.alloc(EPOLL_EVENT_SIZE);

while (Atomics.load(state, 0) !== WORKER_STOP) {
  let n: number;
  try {
    n = epoll_wait(epfd, events, waitMs);
  } catch {
    break; // epfd closed under us: the engine is stopping
  }
  if (n > 0 && Atomics.compareExchange(state, 0, WORKER_IDLE, WORKER_NOTIFIED) === WORKER_IDLE) {
    parentPort!.postMessage(0);
    Atomics.wait(state, 0, WORKER_NOTIFIED);
  }
}
