/**
 * Test helpers for the end-to-end CLI tests: run `bin/sockeye.js` as a child
 * process and talk to it with raw TCP sockets on 127.0.0.1. Tests only (the
 * product never opens sockets through node:net). Every wait is bounded and
 * every spawned process is tracked so `killAll` can end it by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'sockeye.js');
/** Longest wait for a child to print something or exit, and for a server to answer. */
export const WAIT_MS = 10_000;
export const LISTENING_RE = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/m;

const running = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Resolves with the first match of `re` in stdout; rejects after `ms` or when the process exits first. */
  waitForStdout(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** Spawn `command args` (default: node bin/sockeye.js args) with stdout and stderr collected. */
export function spawnProcess(command: string, args: readonly string[]): CliProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  running.add(child);
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; for (const w of watchers) w(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      for (const w of watchers) w();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => { done = true; });
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(re, ms = WAIT_MS) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(re);
          if (m) finish(() => resolve(m));
          else if (done || child.exitCode !== null) finish(() => reject(new Error(`exited before ${re}: stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${re}: stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`))), ms);
        const finish = (then: () => void): void => {
          clearTimeout(timer);
          watchers.delete(check);
          then();
        };
        watchers.add(check);
        check();
      });
    },
  };
}

export const spawnCli = (args: readonly string[]): CliProcess => spawnProcess(process.execPath, [BIN, ...args]);

/** Start `sockeye serve --port 0 …` on 127.0.0.1 and wait for its listening line. */
export async function startServe(args: readonly string[]): Promise<CliProcess & { port: number }> {
  const p = spawnCli(['serve', '--port', '0', ...args]);
  const m = await p.waitForStdout(LISTENING_RE);
  return Object.assign(p, { port: Number(m[1]) });
}

/** Wait for exit, killing the process (SIGKILL) if it takes longer than `ms`. */
export async function waitForExit(p: CliProcess, ms = WAIT_MS): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Exit>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      reject(new Error(`process ${p.pid} did not exit within ${ms} ms; stderr=${JSON.stringify(p.stderr())}`));
    }, ms);
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run the CLI to completion. */
export async function runCli(args: readonly string[]): Promise<Exit & { stdout: string; stderr: string }> {
  const p = spawnCli(args);
  const exit = await waitForExit(p);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

/** SIGKILL every process still running (for `after` hooks). */
export function killAll(): void {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export interface Exchange {
  /** Bytes received. */
  response: Buffer;
  /** The client's port, as the server sees it in the peer address. */
  localPort: number;
  socket: Socket;
}

/**
 * Connect to 127.0.0.1:port, send `request` in one write, and collect the
 * answer: until the server closes, or (with `untilResponse`) until one whole
 * Content-Length response has arrived, leaving the socket open. Bounded by
 * WAIT_MS; the socket is destroyed on timeout.
 */
export function exchange(port: number, request: Buffer | string, options: { untilResponse?: boolean } = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let localPort = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${WAIT_MS} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve({ response: Buffer.concat(chunks), localPort, socket });
    };
    socket.on('connect', () => {
      localPort = socket.localPort ?? 0;
      socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (options.untilResponse && isCompleteResponse(Buffer.concat(chunks))) done();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', done);
  });
}

function isCompleteResponse(bytes: Buffer): boolean {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /\r\ncontent-length: *(\d+)\r\n/i.exec(bytes.subarray(0, end + 2).toString('latin1'));
  return bytes.length >= end + 4 + (m ? Number(m[1]) : 0);
}
