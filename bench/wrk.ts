/**
 * wrk, the load generator of the throughput benches: found on the PATH, run
 * bounded in time (killed by PID when it overruns its -d), its report parsed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { STDERR_TAIL, TIMED_OUT, stopChild, track, within } from './children';
import { tailNote } from './report';

const WRK_CANDIDATES = ['/usr/bin/wrk', 'wrk'];
/** wrk is killed when it runs this much longer than its -d. */
const WRK_SLACK_MS = 20_000;

/** Path of a working wrk and its version line, or null. `wrk --version` exits 1 by design, so only a spawn error counts. */
export function findWrk(): { path: string; version: string } | null {
  for (const candidate of WRK_CANDIDATES) {
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.error === undefined) {
      const version = `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? '';
      return { path: candidate, version };
    }
  }
  return null;
}

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
  /** Latency percentiles as wrk prints them ('-' without --latency). */
  p50: string;
  p99: string;
}

export function parseWrk(output: string): WrkResult | null {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /(\d+) requests in [\d.]+\w+/.exec(output);
  if (!rps || !total) return null;
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const percentile = (p: string): string => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output)?.[1] ?? '-';
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    socketErrors: {
      connect: Number(errors?.[1] ?? 0),
      read: Number(errors?.[2] ?? 0),
      write: Number(errors?.[3] ?? 0),
      timeout: Number(errors?.[4] ?? 0),
    },
    non2xx: Number(non2xx?.[1] ?? 0),
    p50: percentile('50'),
    p99: percentile('99'),
  };
}

/** wrk's error lines as it printed them (socket errors, non-2xx), joined by '; '; '' when there were none. */
export function wrkErrorsText(r: WrkResult): string {
  const e = r.socketErrors;
  return [
    e.connect + e.read + e.write + e.timeout > 0 ? `Socket errors: connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}` : '',
    r.non2xx > 0 ? `Non-2xx or 3xx responses: ${r.non2xx}` : '',
  ].filter(Boolean).join('; ');
}

/**
 * Run `wrk args` (its -d is `seconds`) with `cwd`; stopped by PID when it runs WRK_SLACK_MS past it. Throws when
 * it overran, exited non-zero or printed no report.
 */
export async function runWrk(wrk: string, args: string[], seconds: number, cwd?: string): Promise<WrkResult> {
  const child = track(spawn(wrk, args, { ...(cwd ? { cwd } : {}), stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => { stdout += chunk; });
  child.stderr?.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-STDERR_TAIL); });
  const finished = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const limit = seconds * 1000 + WRK_SLACK_MS;
  const command = `wrk ${args.join(' ')}`;
  let outcome: Awaited<typeof finished> | typeof TIMED_OUT = TIMED_OUT;
  try {
    outcome = await within(finished, limit);
  } finally {
    if (outcome === TIMED_OUT) await stopChild(child);
  }
  if (outcome === TIMED_OUT) throw new Error(`${command}: still running after ${limit} ms, killed`);
  const { code, signal } = outcome;
  if (code !== 0) throw new Error(`${command}: exit ${String(code ?? signal)}${tailNote(stderr || stdout)}`);
  const parsed = parseWrk(stdout);
  if (!parsed) throw new Error(`${command}: could not read its output:\n${stdout}${tailNote(stderr)}`);
  return parsed;
}
