/**
 * Test fixture: an engine in its own process (so a test can lower its
 * descriptor limit with prlimit and read its /proc entries). argv[2] is JSON
 * engine options (without listen and sink). Prints one JSON line with its port,
 * then `{ stats, records, recordsOk }` every STATS_INTERVAL_MS. SIGTERM stops it.
 * Started with --expose-gc, SIGUSR2 prints `{ memory }`: process.memoryUsage()
 * after forced full collections, i.e. what is still reachable.
 */
import { Engine, type EngineOptions } from '../engine';
import { callbackSink } from '../capture-sink';
import { decodeRecordSummaries } from '../../common/record-batch';

const STATS_INTERVAL_MS = 100;
/** Buffers freed by one collection release their backing stores through finalizers a later one completes. */
const GC_PASSES = 3;

let records = 0;
let recordsOk = 0;
const options = JSON.parse(process.argv[2] ?? '{}') as Partial<EngineOptions>;
const engine = Engine.start({
  ...options,
  listen: [{ host: '127.0.0.1', port: 0 }],
  sink: callbackSink((batch) => {
    for (const r of decodeRecordSummaries(batch)) {
      records++;
      if (r.error === null) recordsOk++;
    }
  }),
});
const report = (): void => console.log(JSON.stringify({ stats: engine.stats(), records, recordsOk }));
console.log(JSON.stringify({ port: engine.listeners[0]!.port }));
const timer = setInterval(report, STATS_INTERVAL_MS);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  process.on('SIGUSR2', () => {
    for (let i = 0; i < GC_PASSES; i++) gc();
    console.log(JSON.stringify({ memory: process.memoryUsage() }));
  });
}
process.on('SIGTERM', () => {
  clearInterval(timer);
  void engine.stop().then(() => {
    report();
    process.exit(0);
  });
});
