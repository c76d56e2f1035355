/**
 * The feed's clock in the page: work runs on the next animation frame, or
 * after HIDDEN_FALLBACK_MS when frames are not delivered (a hidden or
 * minimised window gets no frames, and the count should still move). A
 * delayed frame waits on a timer first, so no frame is drawn meanwhile.
 */
import type { FeedClock } from '../model/traffic-feed';

const HIDDEN_FALLBACK_MS = 250;

export const pageClock: FeedClock = {
  schedule(frame, delayMs = 0) {
    if (delayMs > 0) {
      setTimeout(() => pageClock.schedule(frame), delayMs);
      return;
    }
    let done = false;
    const run = (): void => {
      if (done) return;
      done = true;
      cancelAnimationFrame(raf);
      clearTimeout(timer);
      frame();
    };
    const raf = requestAnimationFrame(run);
    const timer = setTimeout(run, HIDDEN_FALLBACK_MS);
  },
  now: () => performance.now(),
};
