/**
 * The UI load bench: the built renderer in Chromium, wired to the real engine
 * by the e2e harness, under a sustained paced load (default 5,000 requests per
 * second for 30 s from keep-alive client sockets on 127.0.0.1). It reports
 * whether every request appeared (the UI's request-count against what was
 * sent and what the engine counted), main-thread long tasks after the first
 * second, the renderer's JS heap (sampled each second through CDP), and how
 * far the UI's count trailed the sender.
 *
 * Options (environment): UI_RATE (requests/s, default 5000), UI_SECONDS
 * (default 30), UI_CONNECTIONS (default 8), UI_MAX_OUTSTANDING (unanswered
 * requests allowed per connection, default 256), UI_PAGE (app, or trivial: a
 * page that only counts records, for the machine's and harness's noise
 * floor), UI_TRACE=1 (record a Chromium trace and say what ran in each long
 * task, with its main-thread CPU time against its wall time).
 *
 * It prints numbers and never fails on them: exit 0 after printing, 1 when it
 * could not run (no Chromium, no renderer build, the harness did not start, the
 * load could not be sent), 2 on bad options.
 */
import * as os from 'node:os';
import type { CDPSession } from 'playwright-core';
import { cannotRunReason } from '../e2e/harness/browser';
import { startInspector, type Inspector } from '../e2e/harness/inspector';
import { sendPaced, type PacedResult } from '../e2e/harness/load';
import { requestCount } from '../e2e/harness/app';
import {
  attributeTrace, installLongTaskObserver, longTasksAfterFirstSecond, readLongTasks, startSampling, waitCaughtUp,
  HEAP_TARGET_BYTES, LOAD_START_MARK, LONG_TASK_TARGET_MS, LONG_TASKS_IGNORED_FIRST_MS, LONG_TASKS_KEY, SAMPLE_EVERY_MS, TRACE_CATEGORIES, TRIVIAL_PAGE,
  type TraceAttribution,
} from './ui-page-probes';
import { intEnv, runBenchMain } from './env-settings';
import { errorText, int, mb, ok, table } from './report';

const DEFAULT_RATE = 5000;
const MAX_RATE = 50_000;
const DEFAULT_SECONDS = 30;
const MAX_SECONDS = 600;
const DEFAULT_CONNECTIONS = 8;
const MAX_CONNECTIONS = 64;
const DEFAULT_MAX_OUTSTANDING = 256;
const MAX_OUTSTANDING_LIMIT = 10_000;
/** After the last request, the UI gets this long to show them all. */
const SETTLE_TIMEOUT_MS = 60_000;
/** A trace is read back in chunks of this size. */
const TRACE_READ_BYTES = 4 * 1024 * 1024;

interface Options {
  rate: number;
  seconds: number;
  connections: number;
  maxOutstanding: number;
  page: 'app' | 'trivial';
  trace: boolean;
}

function choiceEnv<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${choices.join(', ')} (got "${raw}")`);
  return raw as T;
}

/** Stop tracing and read the whole trace back (it can be tens of MB: streamed, not in one message). */
async function endTrace(cdp: CDPSession): Promise<Parameters<typeof attributeTrace>[0]> {
  const complete = new Promise<string | undefined>((resolve) => cdp.once('Tracing.tracingComplete', (e) => resolve(e.stream)));
  await cdp.send('Tracing.end');
  const stream = await complete;
  if (stream === undefined) return [];
  const parts: string[] = [];
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream, size: TRACE_READ_BYTES });
    parts.push(chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data);
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  const parsed = JSON.parse(parts.join('')) as unknown;
  return (Array.isArray(parsed) ? parsed : (parsed as { traceEvents: unknown[] }).traceEvents) as Parameters<typeof attributeTrace>[0];
}

function printAttribution(a: TraceAttribution): void {
  console.log(`\nAttribution (Chromium trace; tasks > 50 ms after 1 s, by what ran in them; CPU = renderer main-thread time)`);
  const rows = [...a.classes].sort((x, y) => y[1].wallMs - x[1].wallMs).map(([kind, c]) => [
    kind, int(c.tasks), int(c.over100), `${int(c.maxMs)} ms`, `${int(c.wallMs)} ms`, `${int(c.cpuMs)} ms`, `${c.wallMs > 0 ? Math.round((100 * c.cpuMs) / c.wallMs) : 0}%`,
  ]);
  console.log(rows.length ? table(['ran', 'tasks', '> 100 ms', 'longest', 'wall', 'CPU', 'CPU/wall'], rows) : '  none');
  for (const w of a.worst) {
    console.log(`  +${w.atS.toFixed(1)} s: ${int(w.wallMs)} ms wall, ${int(w.cpuMs)} ms CPU, ${w.kind}: ${w.detail}`);
  }
  console.log(`  main thread during the load: ${(a.busyMs / 1000).toFixed(1)} s busy, ${(a.cpuMs / 1000).toFixed(1)} s CPU over ${a.spanS.toFixed(1)} s`);
}

function readOptions(): Options {
  return {
    rate: intEnv('UI_RATE', DEFAULT_RATE, 1, MAX_RATE),
    seconds: intEnv('UI_SECONDS', DEFAULT_SECONDS, 1, MAX_SECONDS),
    connections: intEnv('UI_CONNECTIONS', DEFAULT_CONNECTIONS, 1, MAX_CONNECTIONS),
    maxOutstanding: intEnv('UI_MAX_OUTSTANDING', DEFAULT_MAX_OUTSTANDING, 1, MAX_OUTSTANDING_LIMIT),
    page: choiceEnv('UI_PAGE', ['app', 'trivial'] as const, 'app'),
    trace: choiceEnv('UI_TRACE', ['0', '1'] as const, '0') === '1',
  };
}

/** The renderer's used JS heap in bytes: Performance.getMetrics, or Runtime.getHeapUsage when that lacks it. */
async function heapUsed(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value;
  if (used !== undefined) return used;
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

async function run(options: Options): Promise<number> {
  const reason = cannotRunReason();
  if (reason) {
    console.error(`ui-load: cannot run: ${reason}`);
    return 1;
  }
  console.log(`Sockeye UI load: ${int(options.rate)} req/s for ${options.seconds} s over ${options.connections} keep-alive connections ` +
    `(at most ${options.maxOutstanding} unanswered each), 127.0.0.1 only; page: ${options.page === 'app' ? 'the renderer' : 'trivial (noise floor)'}` +
    `${options.trace ? '; tracing' : ''}`);
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}); client, engine, harness and Chromium share them`);

  let h: Inspector;
  try {
    h = await startInspector({
      ...(options.page === 'trivial' ? { indexHtml: TRIVIAL_PAGE } : {}),
      beforeLoad: async (context) => {
        await context.addInitScript(installLongTaskObserver, LONG_TASKS_KEY);
      },
    });
  } catch (err) {
    console.error(`ui-load: the harness did not start: ${errorText(err)}`);
    return 1;
  }
  try {
    const cdp = await h.context.newCDPSession(h.page);
    await cdp.send('Performance.enable');
    if (options.trace) await cdp.send('Tracing.start', { categories: TRACE_CATEGORIES, transferMode: 'ReturnAsStream' });
    const loadStart = (await h.page.evaluate(readLongTasks, LONG_TASKS_KEY)).now;
    if (options.trace) await h.page.evaluate((mark) => void performance.mark(mark), LOAD_START_MARK);
    let sentSoFar = 0;
    const sampling = startSampling(h.page, () => heapUsed(cdp), () => sentSoFar);

    let load: PacedResult;
    try {
      load = await sendPaced(h.engineAddress.port, { ...options, onTick: (sent) => { sentSoFar = sent; } });
    } catch (err) {
      await sampling.stop();
      console.error(`ui-load: sending failed: ${errorText(err)}`);
      return 1;
    }
    sentSoFar = load.sent;
    const { shownAll, catchUpMs } = await waitCaughtUp(h.page, load.sent, SETTLE_TIMEOUT_MS);
    await h.delivered();
    const samples = await sampling.stop();
    const shown = await requestCount(h.page);
    const stats = await h.engineStats();
    const { tasks } = await h.page.evaluate(readLongTasks, LONG_TASKS_KEY);
    const attribution = options.trace ? attributeTrace(await endTrace(cdp), LONG_TASKS_IGNORED_FIRST_MS) : null;
    const { afterFirstSecond, over, maxTask } = longTasksAfterFirstSecond(tasks, loadStart);
    const heapMax = samples.heapMax;
    const rate = load.sent / (load.elapsedMs / 1000);

    console.log('\nResults (targets are informational; the bench never fails on them)');
    console.log(table(['measure', 'value', 'target', 'met'], [
      ['requests sent', int(load.sent), `${int(options.rate * options.seconds)}`, ok(load.sent === options.rate * options.seconds)],
      ['achieved send rate', `${int(rate)} req/s`, `${int(options.rate)} req/s`, ok(rate >= options.rate * 0.95)],
      ['responses received', int(load.responses), '= sent', ok(load.responses === load.sent)],
      ['engine requests (stats)', int(stats.requests), '= sent', ok(stats.requests === load.sent)],
      ['UI request-count', Number.isFinite(shown) ? int(shown) : 'unreadable', '= sent', ok(shownAll && shown === load.sent && shown === stats.requests)],
      [`long tasks > ${LONG_TASK_TARGET_MS} ms after 1 s`, int(over.length), '0', ok(over.length === 0)],
      ['longest task after 1 s', `${int(maxTask)} ms`, `<= ${LONG_TASK_TARGET_MS} ms`, ok(maxTask <= LONG_TASK_TARGET_MS)],
      ['JS heap used, max of samples', mb(heapMax), `< ${mb(HEAP_TARGET_BYTES)}`, ok(heapMax > 0 && heapMax < HEAP_TARGET_BYTES)],
    ]));
    console.log('\nDetails');
    console.log(`  long tasks (> 50 ms) after 1 s: ${afterFirstSecond.length}; durations over ${LONG_TASK_TARGET_MS} ms: ` +
      `${over.length ? over.map((t) => int(t.duration)).join(', ') : 'none'}`);
    console.log(`  JS heap: last sample ${mb(samples.heapLast)} (${samples.count} samples, one per ${SAMPLE_EVERY_MS} ms)`);
    console.log(`  UI count trailed the sender by at most ${int(samples.trailMax)} requests at a sample; ` +
      `after the last request it caught up in ${shownAll ? `${int(catchUpMs)} ms` : `more than ${int(SETTLE_TIMEOUT_MS)} ms (it did not)`}`);
    console.log(`  send schedule: at most ${int(load.deferredMax)} requests behind (connections at their outstanding cap)`);
    console.log(`  responses by status: ${[...load.statusCounts].map(([s, n]) => `${s}=${int(n)}`).join(' ')}`);
    console.log(`  engine: ${stats.recordsDelivered} records in ${stats.batchesDelivered} batches, ${stats.malformedRequests} malformed, ${stats.internalErrors} internal errors`);
    if (samples.errors.length > 0) console.log(`  sampling errors: ${samples.errors.slice(0, 3).join(' | ')}`);
    if (h.pageErrors.length > 0) console.log(`  page errors: ${h.pageErrors.slice(0, 5).join(' | ')}`);
    console.log(`  load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (attribution) printAttribution(attribution);
    return 0;
  } finally {
    await h.close();
  }
}

runBenchMain('ui-load', readOptions, run);
