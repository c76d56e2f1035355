/**
 * Shared by the hostile benches (hostile-*.ts, lost-capture.ts): the engine as
 * the app runs it (bench/engine-server in a forked child, records decoded in
 * this process), optionally under `prlimit --nofile`, watched from /proc.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { decodeRecordBatch, decodeRecordSummaries, isRecordBatch } from '../common/record-batch';
import type { CaptureRecord } from '../common/capture-record';
import { isEngineEvent, type EngineCommand, type EngineStats } from '../common/wire-messages';
import { readProcessUsage, type ProcessUsage } from '../server/process-usage';
import { ENGINE_PROCESS_EXEC_ARGV } from '../common/engine-process';

/** The app's V8 flags for an engine process, or none with BENCH_DEFAULT_V8=1 (to compare with Node's defaults). */
function engineV8Flags(): string[] {
  return process.env.BENCH_DEFAULT_V8 === '1' ? [] : [...ENGINE_PROCESS_EXEC_ARGV];
}

const ENGINE_SERVER = path.join(__dirname, 'engine-server.js');
/** The same engine child with a memory probe (hostile-engine-gc.ts); needs --expose-gc. */
const ENGINE_SERVER_GC = path.join(__dirname, 'hostile-engine-gc.js');
export const PRLIMIT = '/usr/bin/prlimit';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** A positive number from the environment, or `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RecordTally {
  total: number;
  /** status 200 and no error */
  ok: number;
  byError: Record<string, number>;
  byTarget: Record<string, number>;
}

/** The memory probe's message type, both ways. */
export const MEMORY_PROBE = 'bench-memory';

/** process.memoryUsage() of the engine child after forced full collections (bytes). */
export interface MemorySample {
  type: typeof MEMORY_PROBE;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** RSS after malloc_trim(0): what glibc keeps in its arenas is the difference to `rss`. */
  rssTrimmed: number;
  /** Reserved size of each V8 heap space (new_space, old_space, …); heapTotal is their sum. */
  spaceSizes: Record<string, number>;
}

export class BenchEngine {
  port = 0;
  readonly tally: RecordTally = { total: 0, ok: 0, byError: {}, byTarget: {} };
  /** Whole records, kept only when `keepRecords` was asked for. */
  readonly kept: CaptureRecord[] = [];
  private statsWaiters: ((s: EngineStats) => void)[] = [];
  private memoryWaiters: ((m: MemorySample) => void)[] = [];

  private constructor(readonly child: ChildProcess, private readonly keepRecords: boolean) {}

  /**
   * Fork the engine child; `nofile` lowers its descriptor limit. `countTargets` tallies records per target.
   * `memoryProbe` runs it with --expose-gc so that memory() can sample it after a forced collection.
   */
  static async start(options: { nofile?: number; keepRecords?: boolean; countTargets?: boolean; memoryProbe?: boolean } = {}): Promise<BenchEngine> {
    const entry = options.memoryProbe ? ENGINE_SERVER_GC : ENGINE_SERVER;
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npx tsc -b bench\``);
    const limited = options.nofile !== undefined;
    if (limited && options.memoryProbe) throw new Error('nofile and memoryProbe cannot be combined');
    const child = fork(entry, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // prlimit execs node, so the child's pid is the engine's and the IPC descriptor is inherited.
      // The app's engine flags (common/engine-process.ts) unless BENCH_DEFAULT_V8=1 asks for Node's defaults.
      ...(limited
        ? { execPath: PRLIMIT, execArgv: [`--nofile=${options.nofile}:${options.nofile}`, process.execPath, ...engineV8Flags()] }
        : { execArgv: [...engineV8Flags(), ...(options.memoryProbe ? ['--expose-gc'] : [])] }),
    });
    const e = new BenchEngine(child, options.keepRecords ?? false);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('engine child did not start')), START_TIMEOUT_MS);
      child.once('exit', (code) => reject(new Error(`engine child exited ${String(code)}`)));
      child.on('message', (m: unknown) => {
        if ((m as { type?: unknown } | null)?.type === MEMORY_PROBE) e.memoryWaiters.shift()?.(m as MemorySample);
        if (!isEngineEvent(m)) return;
        if (m.type === 'listening') {
          e.port = m.listeners[0]!.port;
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'stats') e.statsWaiters.shift()?.(m.stats);
        else if (m.type === 'records' && isRecordBatch(m.batch)) e.count(m.batch, options.countTargets ?? false);
        else if (m.type === 'error') reject(new Error(m.message));
      });
    });
    return e;
  }

  private count(batch: Parameters<typeof decodeRecordSummaries>[0], byTarget: boolean): void {
    for (const r of decodeRecordSummaries(batch)) {
      this.tally.total++;
      if (r.error === null && r.status === 200) this.tally.ok++;
      if (r.error !== null) this.tally.byError[r.error] = (this.tally.byError[r.error] ?? 0) + 1;
      if (byTarget) this.tally.byTarget[r.target] = (this.tally.byTarget[r.target] ?? 0) + 1;
    }
    if (this.keepRecords) this.kept.push(...decodeRecordBatch(batch));
  }

  get pid(): number {
    return this.child.pid!;
  }

  usage(): ProcessUsage {
    return readProcessUsage(this.pid);
  }

  stats(): Promise<EngineStats> {
    return this.ask(this.statsWaiters, { type: 'get-stats' } satisfies EngineCommand, 'stats');
  }

  /** The child's memory after forced full collections; needs `memoryProbe` at start. */
  memory(): Promise<MemorySample> {
    return this.ask(this.memoryWaiters, { type: MEMORY_PROBE }, 'memory sample');
  }

  /** Send `message` and wait (bounded) for the answer that `waiters` is handed, in order. */
  private ask<T>(waiters: ((value: T) => void)[], message: object, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} from the engine child`)), START_TIMEOUT_MS);
      waiters.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
      this.child.send(message);
    });
  }

  /**
   * Wait until every connection is closed and every record the engine made
   * (one per counted request, delivered or still in its 16 ms batch) has been
   * decoded here. Stats answers travel on the same ordered channel as batches,
   * so the comparison is exact. Bounded; returns the last stats.
   */
  drained(timeoutMs = 10_000): Promise<EngineStats> {
    return this.until((s) => s.connectionsOpen === 0 && s.requests === this.tally.total, timeoutMs);
  }

  /** Poll until `predicate` holds on fresh stats (bounded); returns the last stats. */
  async until(predicate: (s: EngineStats) => boolean, timeoutMs = 10_000): Promise<EngineStats> {
    const deadline = Date.now() + timeoutMs;
    let s = await this.stats();
    while (!predicate(s) && Date.now() < deadline) {
      await sleep(50);
      s = await this.stats();
    }
    return s;
  }

  /** Ask it to stop; SIGKILL after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies EngineCommand);
    else this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

/** A connected client socket to 127.0.0.1:port. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolve once `total` more bytes arrived on `s`; reject on close or after timeoutMs. */
export function readBytes(s: Socket, total: number, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const timer = setTimeout(() => { cleanup(); reject(new Error(`got ${got} of ${total} bytes`)); }, timeoutMs);
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= total) { cleanup(); resolve(); }
    };
    const onClose = (): void => { cleanup(); reject(new Error(`closed after ${got} of ${total} bytes`)); };
    const cleanup = (): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
    };
    s.on('data', onData);
    s.once('close', onClose);
  });
}

export const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

/** Percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
