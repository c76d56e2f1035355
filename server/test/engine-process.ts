/**
 * Runs server/test/engine-child in a child process, optionally under
 * `prlimit --nofile`, and reads what it reports plus its /proc entries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EngineOptions } from '../engine';
import { readProcessUsage, type ProcessUsage } from '../process-usage';
import type { EngineStats } from '../../common/wire-messages';

export const PRLIMIT = '/usr/bin/prlimit';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ChildReport {
  stats: EngineStats;
  records: number;
  recordsOk: number;
}

export class EngineProcess {
  port = 0;
  /** The latest report (every 100 ms). */
  last: ChildReport | null = null;
  private memoryWaiters: ((m: NodeJS.MemoryUsage) => void)[] = [];
  stderr = '';
  private constructor(readonly child: ChildProcess) {}

  /**
   * Start the engine child; `nofile` lowers its descriptor limit (needs prlimit);
   * `exposeGc` lets memory() sample it after forced collections.
   */
  static async start(
    options: Partial<Omit<EngineOptions, 'listen' | 'sink'>> = {}, nofile?: number, exposeGc = false,
  ): Promise<EngineProcess> {
    const entry = join(__dirname, 'engine-child.js');
    const args = [...(exposeGc ? ['--expose-gc'] : []), entry, JSON.stringify(options)];
    // prlimit execs node: the child's pid is the engine's.
    const child = nofile === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(PRLIMIT, [`--nofile=${nofile}:${nofile}`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new EngineProcess(child);
    child.stderr!.on('data', (d: Buffer) => { p.stderr += d.toString(); });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`engine child did not start: ${p.stderr}`)), START_TIMEOUT_MS);
      child.once('exit', (code) => reject(new Error(`engine child exited ${code}: ${p.stderr}`)));
      lines.on('line', (line) => {
        const value = JSON.parse(line) as { port?: number; memory?: NodeJS.MemoryUsage } & ChildReport;
        if (value.memory !== undefined) {
          p.memoryWaiters.shift()?.(value.memory);
        } else if (value.port !== undefined) {
          p.port = value.port;
          clearTimeout(timer);
          resolve();
        } else p.last = value;
      });
    });
    return p;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Descriptors, RSS and CPU time of the engine process. */
  usage(): ProcessUsage {
    return readProcessUsage(this.child.pid!);
  }

  /** The child's memory after forced full collections; needs `exposeGc` at start. Bounded. */
  memory(timeoutMs = 5_000): Promise<NodeJS.MemoryUsage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no memory report from the engine child: ${this.stderr}`)), timeoutMs);
      this.memoryWaiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.kill('SIGUSR2');
    });
  }

  /** Wait for a report newer than now. */
  async fresh(timeoutMs = 5_000): Promise<ChildReport> {
    const seen = this.last;
    const deadline = Date.now() + timeoutMs;
    while (this.last === seen) {
      if (!this.alive) throw new Error(`engine child died: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error('no fresh report from the engine child');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.last!;
  }

  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once it exited. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

export const prlimitAvailable = (): boolean => existsSync(PRLIMIT);
