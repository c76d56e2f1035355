/**
 * bench/engine-server with a memory probe, for the memory figures of
 * lost-capture: forked with `--expose-gc`, it answers `{type:'bench-memory'}`
 * with process.memoryUsage() taken after forced full collections (and, for
 * comparison, RSS after glibc's malloc_trim), so a figure says what the
 * engine still holds rather than what the collector has not got round to.
 *
 * The probe message is not an EngineCommand: port-host would refuse it with
 * an error event, so this entry takes the 'message' listeners engine-server
 * installed and puts itself in front of them.
 */
import koffi from 'koffi';
import { getHeapSpaceStatistics } from 'node:v8';
import './engine-server';
import { MEMORY_PROBE, type MemorySample } from './hostile-engine';

/**
 * Full collections run before each sample. One is not always enough: buffers
 * freed by a collection release their backing stores through finalizers that
 * the next one completes.
 */
const GC_PASSES = 3;

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== 'function') {
  process.stderr.write('hostile-engine-gc: start node with --expose-gc\n');
  process.exit(2);
}
const mallocTrim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;

function sample(): MemorySample {
  for (let i = 0; i < GC_PASSES; i++) gc!();
  const m = process.memoryUsage();
  mallocTrim(0);
  return {
    type: MEMORY_PROBE, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external,
    arrayBuffers: m.arrayBuffers, rssTrimmed: process.memoryUsage.rss(),
    spaceSizes: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size])),
  };
}

const engineListeners = process.listeners('message');
process.removeAllListeners('message');
process.on('message', (message: unknown, handle: unknown) => {
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === MEMORY_PROBE) {
    process.send!(sample());
    return;
  }
  for (const l of engineListeners) (l as (m: unknown, h: unknown) => void)(message, handle);
});
