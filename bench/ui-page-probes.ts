/**
 * What the UI load bench measures inside the page. installLongTaskObserver is
 * an init script (serialized with toString, so self-contained): it records
 * every main-thread task over 50 ms from the moment the page starts.
 */

export const LONG_TASKS_KEY = '__sockeyeBenchLongTasks';

export interface LongTask {
  /** performance.now() time the task started. */
  start: number;
  duration: number;
}

/** Runs in the page before the app: keep every 'longtask' entry on window[key]. */
export function installLongTaskObserver(key: string): void {
  const tasks: Array<{ start: number; duration: number }> = [];
  (globalThis as unknown as Record<string, unknown>)[key] = tasks;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push({ start: entry.startTime, duration: entry.duration });
  });
  // Node's typings (this project has no DOM lib) do not list the browser-only 'longtask' type.
  observer.observe({ type: 'longtask' as 'mark', buffered: true });
}

/** Runs in the page: the tasks recorded so far and the page's clock now. */
export function readLongTasks(key: string): { now: number; tasks: LongTask[] } {
  return { now: performance.now(), tasks: [...((globalThis as unknown as Record<string, LongTask[]>)[key] ?? [])] };
}
