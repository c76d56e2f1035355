/**
 * What a process uses, read from /proc (Linux): open descriptors, resident
 * memory and CPU time. For tests and benches that watch an engine process from
 * outside; nothing here is on the request path.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessUsage {
  /** Entries in /proc/<pid>/fd. */
  fds: number;
  /** VmRSS in KiB. */
  rssKiB: number;
  /** utime + stime in clock ticks (/proc/<pid>/stat fields 14 and 15). */
  cpuTicks: number;
}

/** Clock ticks per second for cpuTicks (USER_HZ; 100 on Linux x86_64 and arm64). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Read `pid`'s usage; throws (ENOENT) when the process is gone. */
export function readProcessUsage(pid: number): ProcessUsage {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)"; comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { fds, rssKiB: rss ? Number(rss[1]) : NaN, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}
