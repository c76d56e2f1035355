/**
 * Child processes of a bench, handled by PID: every tracked child still
 * running when the bench exits is SIGKILLed; a stop is a bounded polite
 * request, SIGTERM, then SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';

/** Grace after a polite stop request, and again after SIGTERM, before SIGKILL. */
const STOP_GRACE_MS = 5_000;
const KILL_WAIT_MS = 2_000;
/** Bytes of a child's stderr kept for error reports. */
export const STDERR_TAIL = 4096;

/** Every tracked child that has not exited yet. */
const liveChildren = new Set<ChildProcess>();

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Signal `pid`; one that is already gone (or no pid) is not an error. */
export function killPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

// Whatever happens, no tracked child outlives the bench.
process.on('exit', () => {
  for (const child of liveChildren) {
    if (!hasExited(child)) killPid(child.pid, 'SIGKILL');
  }
});

/** Keep `child` in the set SIGKILLed at exit until it exits. */
export function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.once('error', () => {
    if (child.pid === undefined) liveChildren.delete(child);
  });
  return child;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const TIMED_OUT = Symbol('timed out');

/** The value of `promise`, or TIMED_OUT when it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Stop a child by its pid: optional polite request, then SIGTERM, then SIGKILL, each bounded in time. */
export async function stopChild(child: ChildProcess, politely?: () => void): Promise<void> {
  const exited = exitOf(child);
  if (politely && !hasExited(child)) {
    try {
      politely();
    } catch {
      // The IPC channel may already be closed; fall through to signals.
    }
    if ((await within(exited, STOP_GRACE_MS)) !== TIMED_OUT) return;
  }
  if (hasExited(child)) return;
  killPid(child.pid, 'SIGTERM');
  if ((await within(exited, STOP_GRACE_MS)) !== TIMED_OUT) return;
  killPid(child.pid, 'SIGKILL');
  await within(exited, KILL_WAIT_MS);
}

/** The last STDERR_TAIL characters of the child's stderr, trimmed, whenever asked. */
export function keepTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL);
  });
  return () => tail.trim();
}
