/**
 * One engine child, seen from the harness: fork it, learn whether it listens,
 * relay its record batches, send it commands and stop it by its PID. Every
 * wait is bounded; a child that ignores a polite stop is signalled, then killed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { SocketAddress } from '../../common/capture-record';
import type { CannedResponse, FieldError } from '../../common/canned-response';
import type { RecordBatch } from '../../common/record-batch';
import { isRecordBatch } from '../../common/record-batch';
import { isEngineEvent, type EngineCommand, type EngineStats } from '../../common/wire-messages';
import { ENGINE_CHILD, ROOT } from './paths';

/** What engine-child.ts reads from argv[2]. */
export interface EngineChildConfig {
  host: string;
  port: number;
  response: CannedResponse;
}

/** The child must say `listening` or `error` within this time. */
const START_TIMEOUT_MS = 15_000;
/** Answer time for set-response and get-stats. */
const COMMAND_TIMEOUT_MS = 5_000;
/** Grace after a polite stop, then after SIGTERM, before SIGKILL. */
const STOP_GRACE_MS = 3_000;
const KILL_WAIT_MS = 2_000;
/** Bytes of the child's stderr kept for error messages. */
const STDERR_TAIL = 4096;

export type StartResult =
  | { ok: true; engine: EngineProcess; address: SocketAddress }
  | { ok: false; message: string; code: string | null };

export interface EngineHandlers {
  onRecords(batch: RecordBatch): void;
  /** The child exited without being asked to (a crash or a kill from outside). */
  onUnexpectedExit(engine: EngineProcess, description: string): void;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function killPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Every child started here and not yet exited: none may outlive the test process. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) killPid(child.pid, 'SIGKILL');
});

export class EngineProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private stopping = false;
  /** Answers arrive in command order, so each kind of answer has a FIFO of waiters. */
  private readonly responseWaiters: Array<(errors: FieldError[] | null) => void> = [];
  private readonly statsWaiters: Array<(stats: EngineStats) => void> = [];
  private stderrTail = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Fork an engine child and wait until it listens or reports why it cannot. */
  static async start(config: EngineChildConfig, handlers: EngineHandlers): Promise<StartResult> {
    if (!fs.existsSync(ENGINE_CHILD)) throw new Error(`${ENGINE_CHILD} is missing: run \`npx tsc -b e2e\` first`);
    const child = fork(ENGINE_CHILD, [JSON.stringify(config)], {
      cwd: ROOT,
      serialization: 'advanced', // record batches carry typed arrays
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    // Spawn and IPC failures arrive as 'error' events; the exit (or the start timeout) reports them.
    child.on('error', () => undefined);
    const engine = new EngineProcess(child);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      engine.stderrTail = (engine.stderrTail + chunk).slice(-STDERR_TAIL);
    });

    const first = new Promise<StartResult>((resolve) => {
      child.on('message', (message: unknown) => {
        if (!isEngineEvent(message)) return;
        switch (message.type) {
          case 'listening':
            resolve({ ok: true, engine, address: message.listeners[0]! });
            break;
          case 'error':
            // Before listening, an error is the reason it could not start; later, a refused command.
            resolve({ ok: false, message: message.message, code: message.code });
            break;
          case 'records':
            if (isRecordBatch(message.batch)) handlers.onRecords(message.batch);
            break;
          case 'response-set':
            engine.responseWaiters.shift()?.(message.ok ? null : message.errors);
            break;
          case 'stats':
            engine.statsWaiters.shift()?.(message.stats);
            break;
          case 'stopped':
            break;
        }
      });
      child.once('exit', (code, signal) => {
        const description = `engine exited (code ${String(code)}, signal ${String(signal)})${engine.stderrTail ? `: ${engine.stderrTail.trim()}` : ''}`;
        resolve({ ok: false, message: description, code: null });
        if (!engine.stopping) handlers.onUnexpectedExit(engine, description);
      });
    });
    let result: StartResult;
    try {
      result = await withTimeout(first, START_TIMEOUT_MS, 'engine start');
    } catch (err) {
      await engine.stop();
      throw err;
    }
    if (!result.ok) await engine.stop();
    return result;
  }

  private send(command: EngineCommand): void {
    if (!this.child.connected) throw new Error('engine child is not connected');
    // A child that is exiting closes its end of the channel (EPIPE). With a callback the failure
    // comes here instead of as an uncaught 'error' event; the caller's bounded wait sees the exit.
    this.child.send(command, () => undefined);
  }

  /** Send a response to the engine; null when it took it, else its errors. */
  setResponse(response: CannedResponse): Promise<FieldError[] | null> {
    const answer = new Promise<FieldError[] | null>((resolve) => this.responseWaiters.push(resolve));
    this.send({ type: 'set-response', response });
    return withTimeout(answer, COMMAND_TIMEOUT_MS, 'set-response');
  }

  stats(): Promise<EngineStats> {
    const answer = new Promise<EngineStats>((resolve) => this.statsWaiters.push(resolve));
    this.send({ type: 'get-stats' });
    return withTimeout(answer, COMMAND_TIMEOUT_MS, 'get-stats');
  }

  /** Stop politely, then by signal to its PID; resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    const gone = (): boolean => this.child.exitCode !== null || this.child.signalCode !== null;
    const waitExit = (ms: number): Promise<boolean> =>
      withTimeout(this.exited, ms, 'engine exit').then(() => true, () => false);
    if (gone()) return;
    if (this.child.connected) {
      try {
        this.send({ type: 'stop' });
        if (await waitExit(STOP_GRACE_MS)) return;
      } catch {
        // The channel closed under us; signals below.
      }
    }
    killPid(this.child.pid, 'SIGTERM');
    if (await waitExit(STOP_GRACE_MS)) return;
    killPid(this.child.pid, 'SIGKILL');
    await waitExit(KILL_WAIT_MS);
  }

  /** SIGKILL the child as a crash would (it is not marked as stopping, so onUnexpectedExit fires). */
  async crash(): Promise<void> {
    killPid(this.child.pid, 'SIGKILL');
    await withTimeout(this.exited, KILL_WAIT_MS, 'engine exit after SIGKILL');
  }
}
