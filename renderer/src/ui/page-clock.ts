/**
 * The feed's clock in the page: work runs on the next animation frame, or
 * after HIDDEN_FALLBACK_MS when frames are not delivered (a hidden or
 * minimised window gets no frames, and the count should still move).
 */
import type { FeedClock } from '../model/traffic-feed';

const HIDDEN_FALLBACK_MS = 250;

export const pageClock: FeedClock = {
  schedule(frame) {
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
