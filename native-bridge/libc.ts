/**
 * The one koffi symbol table for libc. Every function the engine calls is
 * declared here, with C names and C types, and nothing else in the project
 * calls koffi.load. Pointers are declared `void *` and given JS-allocated
 * Buffers: Electron forbids buffers that point outside V8's heap, so
 * koffi.view() is never used.
 */
import koffi from 'koffi';

const SUPPORTED_ARCHES = ['x64', 'arm64'];
if (process.platform !== 'linux' || !SUPPORTED_ARCHES.includes(process.arch)) {
  throw new Error(`native-bridge supports Linux on ${SUPPORTED_ARCHES.join(' and ')}, not ${process.platform}/${process.arch}`);
}

const lib = koffi.load('libc.so.6');

// ssize_t is intptr_t and socklen_t is uint32_t on both supported ABIs.
export const libc = {
  socket: lib.func('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number,
  setsockopt: lib.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)') as
    (fd: number, level: number, name: number, value: Buffer, len: number) => number,
  getsockopt: lib.func('int getsockopt(int fd, int level, int name, void *value, void *len)') as
    (fd: number, level: number, name: number, value: Buffer, len: Buffer) => number,
  bind: lib.func('int bind(int fd, void *addr, uint32_t len)') as (fd: number, addr: Buffer, len: number) => number,
  listen: lib.func('int listen(int fd, int backlog)') as (fd: number, backlog: number) => number,
  accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)') as
    (fd: number, addr: Buffer | null, len: Buffer | null, flags: number) => number,
  connect: lib.func('int connect(int fd, void *addr, uint32_t len)') as (fd: number, addr: Buffer, len: number) => number,
  read: lib.func('intptr_t read(int fd, void *buf, size_t count)') as (fd: number, buf: Buffer, count: number) => number,
  send: lib.func('intptr_t send(int fd, void *buf, size_t count, int flags)') as
    (fd: number, buf: Buffer, count: number, flags: number) => number,
  shutdown: lib.func('int shutdown(int fd, int how)') as (fd: number, how: number) => number,
  close: lib.func('int close(int fd)') as (fd: number) => number,
  getsockname: lib.func('int getsockname(int fd, void *addr, void *len)') as (fd: number, addr: Buffer, len: Buffer) => number,
  getpeername: lib.func('int getpeername(int fd, void *addr, void *len)') as (fd: number, addr: Buffer, len: Buffer) => number,
  epoll_create1: lib.func('int epoll_create1(int flags)') as (flags: number) => number,
  epoll_ctl: lib.func('int epoll_ctl(int epfd, int op, int fd, void *event)') as
    (epfd: number, op: number, fd: number, event: Buffer | null) => number,
  epoll_wait: lib.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)') as
    (epfd: number, events: Buffer, maxevents: number, timeout: number) => number,
};

/** errno of the libc call made just before, on this thread. Read it immediately after the failing call. */
export function lastErrno(): number {
  return koffi.errno();
}
