/**
 * What the UI load benches (ui-load.ts, ui-browser-load.ts) measure inside the
 * page. installLongTaskObserver is an init script (serialized with toString,
 * so self-contained): it records every main-thread task over 50 ms from the
 * moment the page starts. Around it, run from the bench: the long tasks after
 * the first second, a once-a-second sampler of the heap and of how far the
 * page's request-count trails the sender, and the wait for the page to catch up.
 */
import type { Page } from 'playwright-core';
import { requestCount, waitForCount } from '../e2e/harness/app';
import { errorText } from './report';

/** Targets (informational): no long task over this after the first second, heap under this. */
export const LONG_TASK_TARGET_MS = 100;
export const LONG_TASKS_IGNORED_FIRST_MS = 1000;
export const HEAP_TARGET_BYTES = 300 * 1024 * 1024;
/** Heap and count are sampled this often. */
export const SAMPLE_EVERY_MS = 1000;

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

/** The recorded tasks that started LONG_TASKS_IGNORED_FIRST_MS or more after `loadStart`, those over the target, and the longest. */
export function longTasksAfterFirstSecond(tasks: LongTask[], loadStart: number): { afterFirstSecond: LongTask[]; over: LongTask[]; maxTask: number } {
  const afterFirstSecond = tasks.filter((t) => t.start >= loadStart + LONG_TASKS_IGNORED_FIRST_MS);
  const over = afterFirstSecond.filter((t) => t.duration > LONG_TASK_TARGET_MS);
  const maxTask = afterFirstSecond.reduce((m, t) => Math.max(m, t.duration), 0);
  return { afterFirstSecond, over, maxTask };
}

export interface Samples {
  heapMax: number;
  heapLast: number;
  /** Largest gap between requests sent and the page's request-count at a sample. */
  trailMax: number;
  count: number;
  errors: string[];
}

/** Every SAMPLE_EVERY_MS until stopped: `heap()`, and how far the page's request-count trails `sent()`. */
export function startSampling(page: Page, heap: () => Promise<number>, sent: () => number): { stop(): Promise<Samples> } {
  const samples: Samples = { heapMax: 0, heapLast: 0, trailMax: 0, count: 0, errors: [] };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const sentNow = sent();
      try {
        const [used, shown] = await Promise.all([heap(), requestCount(page)]);
        samples.heapLast = used;
        samples.heapMax = Math.max(samples.heapMax, used);
        if (Number.isFinite(shown)) samples.trailMax = Math.max(samples.trailMax, sentNow - shown);
        samples.count++;
      } catch (err) {
        samples.errors.push(errorText(err));
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** After the last request: wait (at most `timeoutMs`) until the page's request-count is `sent`; whether it got there, and how long it took. */
export async function waitCaughtUp(page: Page, sent: number, timeoutMs: number): Promise<{ shownAll: boolean; catchUpMs: number }> {
  const sendEnded = Date.now();
  let shownAll = true;
  try {
    await waitForCount(page, sent, timeoutMs);
  } catch {
    shownAll = false;
  }
  return { shownAll, catchUpMs: Date.now() - sendEnded };
}

/**
 * The noise floor (UI_PAGE=trivial): the same harness, the same delivery of
 * every batch, and a page that only counts records into request-count. What
 * long tasks it shows are the machine's and the harness's, not the renderer's.
 */
export const TRIVIAL_PAGE = `<!doctype html><html><body><span data-testid="request-count">0</span><script>
  let n = 0;
  const count = document.querySelector('[data-testid="request-count"]');
  window.sockeye.init();
  window.sockeye.onRecords((batch) => { n += batch.count; count.textContent = String(n); });
  window.sockeye.onStatus(() => {});
  window.sockeye.onAction(() => {});
</script></body></html>`;

/** The user-timing mark the bench sets in the page when the load starts (found again in the trace). */
export const LOAD_START_MARK = 'sockeye-bench-load-start';

/** Trace categories for attribution: top-level tasks with thread time, timeline events, GC. */
export const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-v8.gc', 'v8', 'blink.user_timing'].join(',');

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

export interface TaskClass {
  tasks: number;
  over100: number;
  maxMs: number;
  wallMs: number;
  /** Main-thread CPU time (trace thread time) within those tasks. */
  cpuMs: number;
}

export interface TraceAttribution {
  /** Tasks over 50 ms after the first second, by what ran in them. */
  classes: Map<string, TaskClass>;
  /** Every task over 100 ms after the first second: wall, thread CPU, class, largest timeline events. */
  worst: Array<{ atS: number; wallMs: number; cpuMs: number; kind: string; detail: string }>;
  /** The renderer main thread over the whole load: busy wall time and CPU time of its tasks. */
  busyMs: number;
  cpuMs: number;
  spanS: number;
}

const TASK_NAMES = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);
const GC_NAMES = new Set(['MajorGC', 'MinorGC']);
const DETAIL = /^(FireAnimationFrame|FunctionCall|Layout|UpdateLayoutTree|Paint|PrePaint|Layerize|MajorGC|MinorGC|EventDispatch|TimerFire|ParseHTML)$/;

/**
 * What ran in each long task of the renderer's main thread (Chromium trace,
 * TRACE_CATEGORIES): an app frame (requestAnimationFrame: feed, React, layout),
 * a JS event handler (the records handed to the app), garbage collection, or a
 * task with no page JS at all (the harness's page.evaluate decoding its
 * argument). Thread CPU below wall time means the thread waited for a core.
 */
export function attributeTrace(events: TraceEvent[], skipFirstMs: number, thresholdMs = 50): TraceAttribution {
  const names = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
  // The page's main thread: the CrRendererMain with the most script calls.
  const calls = new Map<string, number>();
  for (const e of events) {
    const k = `${e.pid}:${e.tid}`;
    if (e.name === 'FunctionCall' && names.get(k) === 'CrRendererMain') calls.set(k, (calls.get(k) ?? 0) + 1);
  }
  const main = [...calls].sort((a, b) => b[1] - a[1])[0]?.[0];
  const result: TraceAttribution = { classes: new Map(), worst: [], busyMs: 0, cpuMs: 0, spanS: 0 };
  if (main === undefined) return result;
  const onMain = events.filter((e) => `${e.pid}:${e.tid}` === main && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts);
  const mark = events.find((e) => e.name === LOAD_START_MARK);
  const tasks: TraceEvent[] = [];
  let end = -Infinity;
  for (const e of onMain) {
    if (!TASK_NAMES.has(e.name) || e.ts < end) continue;
    tasks.push(e);
    end = e.ts + e.dur!;
  }
  const from = (mark?.ts ?? tasks[0]?.ts ?? 0) + skipFirstMs * 1000;
  const loadFrom = mark?.ts ?? tasks[0]?.ts ?? 0;
  let k = 0;
  for (const t of tasks) {
    if (t.ts < loadFrom) continue;
    result.busyMs += t.dur! / 1000;
    result.cpuMs += (t.tdur ?? 0) / 1000;
    result.spanS = (t.ts + t.dur! - loadFrom) / 1e6;
    if (t.ts < from || t.dur! / 1000 <= thresholdMs) continue;
    const inside: TraceEvent[] = [];
    while (k < onMain.length && onMain[k]!.ts < t.ts) k++;
    for (let j = k; j < onMain.length && onMain[j]!.ts < t.ts + t.dur!; j++) if (DETAIL.test(onMain[j]!.name)) inside.push(onMain[j]!);
    const sum = (pick: (e: TraceEvent) => boolean): number => inside.filter(pick).reduce((s, e) => s + e.dur! / 1000, 0);
    const gcMs = sum((e) => GC_NAMES.has(e.name));
    const kind = gcMs > t.dur! / 2000 ? 'garbage collection'
      : inside.some((e) => e.name === 'FireAnimationFrame') ? 'app frame (rAF: feed, React, layout)'
        : inside.some((e) => e.name === 'FunctionCall') ? 'page JS (event handler, timer)'
          : inside.some((e) => /Layout|Paint|UpdateLayoutTree/.test(e.name)) ? 'rendering only (style, layout, paint)'
            : 'no page JS (harness page.evaluate, browser work)';
    const wallMs = t.dur! / 1000;
    const cpuMs = (t.tdur ?? 0) / 1000;
    const c = result.classes.get(kind) ?? { tasks: 0, over100: 0, maxMs: 0, wallMs: 0, cpuMs: 0 };
    c.tasks++;
    c.wallMs += wallMs;
    c.cpuMs += cpuMs;
    c.maxMs = Math.max(c.maxMs, wallMs);
    if (wallMs > 100) c.over100++;
    result.classes.set(kind, c);
    if (wallMs > 100) {
      const by = new Map<string, number>();
      for (const e of inside) by.set(e.name, (by.get(e.name) ?? 0) + e.dur! / 1000);
      const detail = [...by].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([n, ms]) => `${n} ${Math.round(ms)} ms`).join(', ');
      result.worst.push({ atS: (t.ts - loadFrom) / 1e6, wallMs, cpuMs, kind, detail: detail || 'no timeline events' });
    }
  }
  return result;
}
