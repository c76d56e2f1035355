/**
 * A failed libc call as a typed error, shaped like Node's own system errors:
 * `code` is the errno name (EADDRINUSE), `errno` the number, `syscall` the C
 * function. Built right after the failing call, from koffi.errno().
 */
import { constants } from 'node:os';

const ERRNO_NAMES: ReadonlyMap<number, string> = (() => {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(constants.errno)) {
    // Aliases (EWOULDBLOCK = EAGAIN, EDEADLOCK = EDEADLK): keep the first, usual name.
    if (!names.has(value)) names.set(value, name);
  }
  return names;
})();

export const EAGAIN = constants.errno.EAGAIN;
export const EINTR = constants.errno.EINTR;
export const EINPROGRESS = constants.errno.EINPROGRESS;
export const EMFILE = constants.errno.EMFILE;
export const ENFILE = constants.errno.ENFILE;
export const ENOBUFS = constants.errno.ENOBUFS;
export const ENOMEM = constants.errno.ENOMEM;
export const ECONNABORTED = constants.errno.ECONNABORTED;
export const ECONNRESET = constants.errno.ECONNRESET;
export const EPIPE = constants.errno.EPIPE;
export const EBADF = constants.errno.EBADF;

/** The errno name for a number, or `E<number>` when Linux has no name for it. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;

  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}
