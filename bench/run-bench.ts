/**
 * `npm run bench`: the Sockeye engine against two reference servers (a C
 * epoll server and Node's `http`), measured with wrk in the same session.
 *
 * For every scenario (keep-alive, Connection: close, 16-deep pipelining) each
 * server is started alone, warmed up for 1 s, measured, and stopped before the
 * next one starts, so every server gets the same CPU budget. The engine runs
 * in a forked child exactly as the app runs it: every record batch is sent to
 * this process and decoded here, and the records decoded are compared with the
 * responses wrk counted.
 *
 * Options (environment): BENCH_SECONDS (default 5), BENCH_CONNECTIONS
 * (default 50), BENCH_ONLY (comma list of keep-alive,close,pipeline),
 * BENCH_SERVERS (comma list of c,node,engine; default all), BENCH_ROUNDS
 * (default 1; each result is the median round), BENCH_DECODE
 * (list: the list fields of every record, as the UI's traffic list; full:
 * every record whole).
 *
 * Exit status: 0 after printing; 1 when a server failed to start or wrk
 * failed; 2 on bad options. Ratios against the targets are informational and
 * never fail the bench.
 */
import { spawn, spawnSync, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeRecordBatch, decodeRecordSummaries, isRecordBatch } from '../common/record-batch';
import { isEngineEvent, type EngineCommand } from '../common/wire-messages';
import { ENGINE_PROCESS_EXEC_ARGV } from '../common/engine-process';
import { STDERR_TAIL, delay, hasExited, keepTail, stopChild, track } from './children';
import { intEnv, runBenchMain } from './env-settings';
import { errorText, int, table, tailNote } from './report';
import { findWrk, runWrk, type WrkResult } from './wrk';

const ROOT = path.resolve(__dirname, '..', '..');
const HOST = '127.0.0.1';
const C_SOURCE = path.join(ROOT, 'bench', 'reference', 'c-epoll-server.c');
const C_BINARY = path.join(ROOT, 'bench', 'out', 'c-epoll-server');
const NODE_SERVER = path.join(ROOT, 'build', 'bench', 'reference', 'node-http-server.js');
const ENGINE_SERVER = path.join(ROOT, 'build', 'bench', 'engine-server.js');
const PIPELINE_SCRIPT = path.join(ROOT, 'bench', 'wrk', 'pipeline.lua');

const PIPELINE_DEPTH = 16;
const WARMUP_SECONDS = 1;
const DEFAULT_SECONDS = 5;
const MAX_SECONDS = 600;
/** Rounds of the whole matrix; each (scenario, server) reports its median round. */
const DEFAULT_ROUNDS = 1;
const MAX_ROUNDS = 9;
const DEFAULT_CONNECTIONS = 50;
const MAX_CONNECTIONS = 10_000;
/** A server must print/send its port within this time. */
const START_TIMEOUT_MS = 15_000;
const COMPILE_TIMEOUT_MS = 60_000;
/** After wrk ends, wait until no batch arrived for SETTLE_QUIET_MS (at most SETTLE_TIMEOUT_MS). */
const SETTLE_QUIET_MS = 300;
const SETTLE_POLL_MS = 50;
const SETTLE_TIMEOUT_MS = 15_000;
const STATS_TIMEOUT_MS = 5_000;

type ScenarioName = 'keep-alive' | 'close' | 'pipeline';
type ServerName = 'c' | 'node' | 'engine';
const SCENARIOS: readonly ScenarioName[] = ['keep-alive', 'close', 'pipeline'];
const SERVERS: readonly ServerName[] = ['c', 'node', 'engine'];
const SERVER_LABEL: Record<ServerName, string> = { c: 'C epoll', node: 'node:http', engine: 'engine' };

interface Options {
  seconds: number;
  rounds: number;
  connections: number;
  scenarios: ScenarioName[];
  servers: ServerName[];
}

/** Targets from the issue; informational only. */
interface Target {
  scenario: ScenarioName;
  versus: 'node' | 'c';
  min: number;
}
const TARGETS: readonly Target[] = [
  { scenario: 'keep-alive', versus: 'node', min: 1.5 },
  { scenario: 'close', versus: 'node', min: 1.5 },
  { scenario: 'pipeline', versus: 'node', min: 10 },
  { scenario: 'keep-alive', versus: 'c', min: 0.75 },
];

// ---------------------------------------------------------------- children

// Every child is tracked (./children): one still running when the runner exits is SIGKILLed.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

// ---------------------------------------------------------------- options and tools

const DECODE_MODES = ['list', 'full'] as const;
/** How the consumer decodes each batch (see the 'message' handler); set from BENCH_DECODE by readOptions. */
let DECODE_MODE: (typeof DECODE_MODES)[number] = 'list';

function parseListEnv<T extends string>(name: string, allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...allowed];
  const picked = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of picked) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${name}: unknown "${item}" (choose from ${allowed.join(', ')})`);
    }
  }
  // Keep the canonical order so tables read the same every time.
  return allowed.filter((a) => picked.includes(a));
}

function readOptions(): Options {
  const options: Options = {
    seconds: intEnv('BENCH_SECONDS', DEFAULT_SECONDS, 1, MAX_SECONDS),
    rounds: intEnv('BENCH_ROUNDS', DEFAULT_ROUNDS, 1, MAX_ROUNDS),
    connections: intEnv('BENCH_CONNECTIONS', DEFAULT_CONNECTIONS, 1, MAX_CONNECTIONS),
    scenarios: parseListEnv('BENCH_ONLY', SCENARIOS),
    servers: parseListEnv('BENCH_SERVERS', SERVERS),
  };
  const decode = parseListEnv('BENCH_DECODE', DECODE_MODES);
  if (decode.length !== 1 && process.env.BENCH_DECODE) throw new Error('BENCH_DECODE takes one of list, full');
  DECODE_MODE = decode.length === 1 ? decode[0]! : 'list';
  if (options.scenarios.length === 0) throw new Error('BENCH_ONLY selects no scenario');
  if (options.servers.length === 0) throw new Error('BENCH_SERVERS selects no server');
  return options;
}

function compileC(): void {
  fs.mkdirSync(path.dirname(C_BINARY), { recursive: true });
  const args = ['-O2', '-o', C_BINARY, C_SOURCE];
  const r = spawnSync('gcc', args, { cwd: ROOT, encoding: 'utf8', timeout: COMPILE_TIMEOUT_MS });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT'
      ? 'gcc not found: the C reference server cannot be built (install it with `apt-get install gcc`)'
      : `gcc failed to run: ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new Error(`gcc ${args.join(' ')} failed (status ${String(r.status)}):\n${r.stderr}`);
  }
}

// ---------------------------------------------------------------- servers

interface EngineTap {
  batches: number;
  records: number;
  /** Records whose status is not 200 or that carry an error code. */
  notOk: number;
  decodeErrors: number;
  lastBatchAt: number;
  stopped: boolean;
  errors: string[];
  requestStats(): Promise<Record<string, number>>;
}

interface RunningServer {
  child: ChildProcess;
  port: number;
  /** Extra facts for the report (the engine's readiness source). */
  info: string;
  stderrTail: () => string;
  tap: EngineTap | null;
  stop(): Promise<void>;
}

/** Start a process that prints "listening <port>" on stdout. */
async function startPrinting(command: string, args: string[]): Promise<RunningServer> {
  const child = track(spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const stderrTail = keepTail(child);
  const running = (port: number): RunningServer => ({
    child, port, info: '', stderrTail, tap: null, stop: () => stopChild(child),
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`no "listening" line within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const done = (): void => clearTimeout(timer);
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        buffered = (buffered + chunk).slice(-STDERR_TAIL);
        const m = /^listening (\d+)\s*$/m.exec(buffered);
        if (m) {
          done();
          resolve(Number(m[1]));
        }
      });
      child.once('error', (err) => { done(); reject(err); });
      child.once('exit', (code, signal) => {
        done();
        reject(new Error(`exited before listening (code ${String(code)}, signal ${String(signal)})`));
      });
    });
    return running(port);
  } catch (err) {
    await stopChild(child);
    throw new Error(`${path.basename(command === process.execPath ? args[0] ?? command : command)}: ${errorText(err)}${tailNote(stderrTail())}`);
  }
}

async function startEngine(): Promise<RunningServer> {
  if (!fs.existsSync(ENGINE_SERVER)) throw new Error(`${ENGINE_SERVER} is missing: run \`npx tsc -b bench\` first`);
  const child = track(fork(ENGINE_SERVER, [], {
    cwd: ROOT,
    serialization: 'advanced',
    execArgv: [...ENGINE_PROCESS_EXEC_ARGV], // as the app forks its engine
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  }));
  const stderrTail = keepTail(child);
  const statsWaiters: Array<(stats: Record<string, number>) => void> = [];
  let onListening: ((port: number, readiness: string) => void) | null = null;
  let onError: ((message: string) => void) | null = null;

  const tap: EngineTap = {
    batches: 0,
    records: 0,
    notOk: 0,
    decodeErrors: 0,
    lastBatchAt: 0,
    stopped: false,
    errors: [],
    requestStats(): Promise<Record<string, number>> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = statsWaiters.indexOf(waiter);
          if (i >= 0) statsWaiters.splice(i, 1);
          reject(new Error(`engine did not answer {type:'get-stats'} within ${STATS_TIMEOUT_MS} ms`));
        }, STATS_TIMEOUT_MS);
        const waiter = (stats: Record<string, number>): void => {
          clearTimeout(timer);
          resolve(stats);
        };
        statsWaiters.push(waiter);
        child.send({ type: 'get-stats' } satisfies EngineCommand);
      });
    },
  };

  // The consumer: decode every batch as the UI does and count what it holds. The
  // UI's traffic list decodes the list fields of every record (BENCH_DECODE=list,
  // the default) and a whole record only when it is opened; BENCH_DECODE=full
  // decodes every record whole, headers and body views included.
  child.on('message', (message: unknown) => {
    if (!isEngineEvent(message)) {
      tap.errors.push('unexpected message from engine child');
      return;
    }
    if (message.type === 'records') {
      const batch = message.batch;
      tap.batches++;
      tap.lastBatchAt = Date.now();
      try {
        if (!isRecordBatch(batch)) throw new Error('records event without a record batch');
        const records = DECODE_MODE === 'full' ? decodeRecordBatch(batch) : decodeRecordSummaries(batch);
        tap.records += records.length;
        for (const r of records) if (r.status !== 200 || r.error !== null) tap.notOk++;
      } catch (err) {
        tap.decodeErrors++;
        tap.errors.push(`decode: ${errorText(err)}`);
      }
      return;
    }
    const m = message;
    switch (m.type) {
      case 'listening':
        onListening?.(m.listeners[0]?.port ?? 0, m.readiness);
        break;
      case 'stats':
        statsWaiters.shift()?.({ ...m.stats });
        break;
      case 'stopped':
        tap.stopped = true;
        break;
      case 'error':
        tap.errors.push(m.message);
        onError?.(m.message);
        break;
    }
  });

  const stop = (): Promise<void> => stopChild(child, () => {
    if (child.connected) child.send({ type: 'stop' } satisfies EngineCommand);
  });

  try {
    const [port, readiness] = await new Promise<[number, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" message within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      onListening = (p, r) => { clearTimeout(timer); resolve([p, r]); };
      onError = (msg) => { clearTimeout(timer); reject(new Error(msg)); };
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited before listening (code ${String(code)}, signal ${String(signal)})`));
      });
    });
    onListening = null;
    onError = null;
    return { child, port, info: `readiness: ${readiness}`, stderrTail, tap, stop };
  } catch (err) {
    await stop();
    throw new Error(`engine-server: ${errorText(err)}${tailNote(stderrTail())}`);
  }
}

async function startServer(name: ServerName): Promise<RunningServer> {
  switch (name) {
    case 'c':
      return startPrinting(C_BINARY, ['0']);
    case 'node':
      if (!fs.existsSync(NODE_SERVER)) throw new Error(`${NODE_SERVER} is missing: run \`npx tsc -b bench\` first`);
      return startPrinting(process.execPath, [NODE_SERVER, '0']);
    case 'engine':
      return startEngine();
  }
}

/** Wait until the engine's batches stop arriving (the 16 ms batcher has flushed and IPC has drained). */
async function settle(tap: EngineTap): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const polls = Math.ceil(SETTLE_TIMEOUT_MS / SETTLE_POLL_MS);
  for (let i = 0; i < polls && Date.now() < deadline; i++) {
    if (Date.now() - tap.lastBatchAt >= SETTLE_QUIET_MS) return;
    await delay(SETTLE_POLL_MS);
  }
}

// ---------------------------------------------------------------- wrk

function wrkArgs(scenario: ScenarioName, seconds: number, connections: number, port: number): string[] {
  const url = `http://${HOST}:${port}/`;
  const base = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  switch (scenario) {
    case 'keep-alive':
      return [...base, url];
    case 'close':
      return [...base, '-H', 'Connection: close', url];
    case 'pipeline':
      return [...base, '-s', PIPELINE_SCRIPT, url, '--', String(PIPELINE_DEPTH)];
  }
}

// ---------------------------------------------------------------- one measurement

interface EngineCheck {
  /** Records decoded by this process during the measured run. */
  recordsMeasured: number;
  /** Records decoded over the engine's whole life (warm-up included), after stop. */
  recordsTotal: number;
  batchesTotal: number;
  notOk: number;
  decodeErrors: number;
  stats: Record<string, number> | null;
  notes: string[];
}

interface Row {
  scenario: ScenarioName;
  server: ServerName;
  info: string;
  wrk: WrkResult | null;
  engine: EngineCheck | null;
  failure: string | null;
}

async function measure(scenario: ScenarioName, server: ServerName, options: Options, wrk: string): Promise<Row> {
  const row: Row = { scenario, server, info: '', wrk: null, engine: null, failure: null };
  let running: RunningServer | null = null;
  let recordsBefore = 0;
  try {
    running = await startServer(server);
    row.info = running.info;
    await runWrk(wrk, wrkArgs(scenario, WARMUP_SECONDS, options.connections, running.port), WARMUP_SECONDS, ROOT);
    if (running.tap) {
      await settle(running.tap);
      recordsBefore = running.tap.records;
    }
    row.wrk = await runWrk(wrk, wrkArgs(scenario, options.seconds, options.connections, running.port), options.seconds, ROOT);
    if (running.tap) {
      await settle(running.tap);
      const recordsMeasured = running.tap.records - recordsBefore;
      let stats: Record<string, number> | null = null;
      const notes: string[] = [];
      try {
        stats = await running.tap.requestStats();
      } catch (err) {
        notes.push(errorText(err));
      }
      row.engine = { recordsMeasured, recordsTotal: 0, batchesTotal: 0, notOk: 0, decodeErrors: 0, stats, notes };
    }
    if (hasExited(running.child)) throw new Error(`server exited during the run${tailNote(running.stderrTail())}`);
  } catch (err) {
    row.failure = errorText(err);
  } finally {
    if (running) {
      await running.stop();
      const tap = running.tap;
      if (tap && row.engine) {
        row.engine.recordsTotal = tap.records;
        row.engine.batchesTotal = tap.batches;
        row.engine.notOk = tap.notOk;
        row.engine.decodeErrors = tap.decodeErrors;
        if (!tap.stopped) row.engine.notes.push('engine child did not confirm a clean stop (last batch may be missing)');
        const requests = row.engine.stats?.requests;
        if (requests !== undefined && requests !== tap.records) {
          row.engine.notes.push(`records decoded over the engine's life (${tap.records}) != engine.stats().requests (${requests})`);
        }
        row.engine.notes.push(...tap.errors.slice(0, 5));
      }
    }
  }
  return row;
}

// ---------------------------------------------------------------- printing

function find(rows: Row[], scenario: ScenarioName, server: ServerName): WrkResult | null {
  return rows.find((r) => r.scenario === scenario && r.server === server)?.wrk ?? null;
}

function ratioCell(engine: WrkResult | null, other: WrkResult | null): { text: string; value: number | null } {
  if (!engine || !other || other.requestsPerSec === 0) return { text: '-', value: null };
  const value = engine.requestsPerSec / other.requestsPerSec;
  return { text: `${value.toFixed(2)}x`, value };
}

function targetCell(scenario: ScenarioName, versus: 'node' | 'c', value: number | null): string {
  const target = TARGETS.find((t) => t.scenario === scenario && t.versus === versus);
  if (!target) return '';
  if (value === null) return `>= ${target.min}x ?`;
  return `>= ${target.min}x ${value >= target.min ? 'PASS' : 'MISS'}`;
}

function print(rows: Row[], options: Options): void {
  const out: string[] = [];
  out.push('', 'Throughput (wrk, one server at a time)');
  out.push(table(
    ['scenario', 'server', 'req/s', 'responses', 'p50', 'p99', 'sock err c/r/w/t', 'non-2xx'],
    rows.map((r) => {
      const w = r.wrk;
      if (!w) return [r.scenario, SERVER_LABEL[r.server], 'FAILED', '-', '-', '-', '-', '-'];
      const e = w.socketErrors;
      // wrk times a pipelined round trip from its first request only; its latency figures mean little there.
      const latency = r.scenario === 'pipeline' ? ['-', '-'] : [w.p50, w.p99];
      return [r.scenario, SERVER_LABEL[r.server], int(w.requestsPerSec), int(w.requests), ...latency,
        `${e.connect}/${e.read}/${e.write}/${e.timeout}`, int(w.non2xx)];
    }),
    'numbers',
  ));

  if (options.servers.includes('engine')) {
    out.push('', 'Ratios (targets are informational; the bench never fails on them)');
    out.push(table(
      ['scenario', 'engine/node', 'target', 'engine/C', 'target'],
      options.scenarios.map((s) => {
        const engine = find(rows, s, 'engine');
        const vsNode = ratioCell(engine, find(rows, s, 'node'));
        const vsC = ratioCell(engine, find(rows, s, 'c'));
        return [s, vsNode.text, targetCell(s, 'node', vsNode.value), vsC.text, targetCell(s, 'c', vsC.value)];
      }),
      'numbers',
    ));

    const engineRows = rows.filter((r) => r.server === 'engine' && r.engine);
    if (engineRows.length > 0) {
      out.push('', `Engine capture, decoded in the runner process with BENCH_DECODE=${DECODE_MODE} (records from the measured run vs responses wrk counted)`);
      out.push(table(
        ['scenario', 'wrk responses', 'records', 'diff', 'records (life)', 'batches', 'non-200/err', 'decode err'],
        engineRows.map((r) => {
          const e = r.engine!;
          const responses = r.wrk?.requests ?? 0;
          const diff = e.recordsMeasured - responses;
          return [r.scenario, int(responses), int(e.recordsMeasured), `${diff >= 0 ? '+' : ''}${int(diff)}`,
            int(e.recordsTotal), int(e.batchesTotal), int(e.notOk), int(e.decodeErrors)];
        }),
        'numbers',
      ));
      out.push('  records >= responses is expected: requests answered after wrk stopped counting are still captured');
      out.push(`  (at most connections x depth = ${options.connections} x ${PIPELINE_DEPTH} for pipelining).`);
      for (const r of engineRows) {
        const e = r.engine!;
        const stats = e.stats ? Object.entries(e.stats).map(([k, v]) => `${k}=${v}`).join(' ') : 'unavailable';
        out.push(`  engine.stats() after ${r.scenario}: ${stats}`);
        for (const note of e.notes) out.push(`    note: ${note}`);
      }
    }
  }

  const failures = rows.filter((r) => r.failure !== null);
  if (failures.length > 0) {
    out.push('', 'Failures');
    for (const r of failures) out.push(`  ${r.scenario} / ${SERVER_LABEL[r.server]}: ${r.failure ?? ''}`);
  }
  console.log(out.join('\n'));
}

// ---------------------------------------------------------------- main

async function run(options: Options): Promise<number> {
  const wrk = findWrk();
  if (!wrk) {
    console.error('bench: wrk is not installed. Install it with:\n  sudo apt-get install wrk');
    return 1;
  }
  if (options.servers.includes('c')) {
    try {
      compileC();
    } catch (err) {
      console.error(`bench: ${errorText(err)}`);
      return 1;
    }
  }

  console.log(`Sockeye bench: ${options.rounds} round(s), ${options.seconds} s per run after ${WARMUP_SECONDS} s warm-up, ` +
    `wrk -t1 -c${options.connections}, pipelining depth ${PIPELINE_DEPTH}, ${HOST} only`);
  console.log(`${wrk.version}; node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`);

  // Rounds run the whole matrix in turn (not one server many times in a row), so
  // a noisy minute on a shared machine lands on every server alike.
  const runs: Row[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    if (options.rounds > 1) console.log(`round ${round} of ${options.rounds}`);
    for (const scenario of options.scenarios) {
      for (const server of options.servers) {
        process.stdout.write(`  ${scenario.padEnd(10)} ${SERVER_LABEL[server].padEnd(9)} ... `);
        const row = await measure(scenario, server, options, wrk.path);
        runs.push(row);
        console.log(`${row.wrk ? `${int(row.wrk.requestsPerSec)} req/s` : 'FAILED'}${row.info ? ` (${row.info})` : ''}`);
      }
    }
  }
  const rows = medianRows(runs, options);
  print(rows, options);
  if (options.rounds > 1) {
    console.log('\nEvery round (req/s; the table shows the median round)');
    for (const r of rows) {
      const all = runs.filter((x) => x.scenario === r.scenario && x.server === r.server);
      console.log(`  ${r.scenario.padEnd(10)} ${SERVER_LABEL[r.server].padEnd(9)} ${all.map((x) => (x.wrk ? int(x.wrk.requestsPerSec) : 'failed')).join(', ')}`);
    }
  }
  return runs.some((r) => r.failure !== null) ? 1 : 0;
}

/** For each (scenario, server), the round with the median req/s (a failed round counts as lowest). */
function medianRows(runs: Row[], options: Options): Row[] {
  const out: Row[] = [];
  for (const scenario of options.scenarios) {
    for (const server of options.servers) {
      const all = runs.filter((r) => r.scenario === scenario && r.server === server)
        .sort((a, b) => (a.wrk?.requestsPerSec ?? -1) - (b.wrk?.requestsPerSec ?? -1));
      const median = all[Math.floor(all.length / 2)];
      if (median) out.push(median);
    }
  }
  return out;
}

runBenchMain('bench', readOptions, run);
