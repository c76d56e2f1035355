/**
 * Typed wrappers over libc. Each keeps the C name, throws SyscallError on
 * failure, and a `try` prefix returns null on EAGAIN instead (the normal
 * outcome on a non-blocking socket). EINTR cannot happen on these
 * non-blocking calls with a zero timeout, so it is not retried.
 */
import { libc, lastErrno } from './libc';
import { SyscallError, EAGAIN } from './syscall-error';
import {
  AF_INET6, EPOLL_CLOEXEC, IPPROTO_IPV6, IPV6_V6ONLY, MSG_NOSIGNAL, SO_REUSEADDR, SOCK_CLOEXEC, SOCK_NONBLOCK,
  SOCK_STREAM, SOL_SOCKET, SOMAXCONN_REQUEST,
} from './constants';
import { decodeSockaddr, encodeSockaddr, SOCKADDR_STORAGE_SIZE } from './sockaddr';
import { EPOLL_EVENT_SIZE, writeEpollEvent } from './epoll-event';
import type { SocketAddress } from '../common/capture-record';

function fail(syscall: string, detail?: string): never {
  throw new SyscallError(syscall, lastErrno(), detail);
}

export function socket(domain: number, type: number, protocol = 0): number {
  const fd = libc.socket(domain, type, protocol);
  if (fd < 0) fail('socket');
  return fd;
}

const intBuffer = Buffer.alloc(4);
const lenBuffer = Buffer.alloc(4);

export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  intBuffer.writeInt32LE(value, 0);
  if (libc.setsockopt(fd, level, name, intBuffer, 4) < 0) fail('setsockopt');
}

export function getsockoptInt(fd: number, level: number, name: number): number {
  lenBuffer.writeUInt32LE(4, 0);
  if (libc.getsockopt(fd, level, name, intBuffer, lenBuffer) < 0) fail('getsockopt');
  return intBuffer.readInt32LE(0);
}

export function bind(fd: number, addr: Buffer, detail?: string): void {
  if (libc.bind(fd, addr, addr.length) < 0) fail('bind', detail);
}

export function listen(fd: number, backlog = SOMAXCONN_REQUEST): void {
  if (libc.listen(fd, backlog) < 0) fail('listen');
}

export function connect(fd: number, addr: Buffer): void {
  if (libc.connect(fd, addr, addr.length) < 0) fail('connect');
}

export function close(fd: number): void {
  if (libc.close(fd) < 0) fail('close');
}

export function shutdown(fd: number, how: number): void {
  if (libc.shutdown(fd, how) < 0) fail('shutdown');
}

const sockaddrBuffer = Buffer.alloc(SOCKADDR_STORAGE_SIZE);

export function getsockname(fd: number): SocketAddress {
  lenBuffer.writeUInt32LE(SOCKADDR_STORAGE_SIZE, 0);
  if (libc.getsockname(fd, sockaddrBuffer, lenBuffer) < 0) fail('getsockname');
  return decodeSockaddr(sockaddrBuffer);
}

export function getpeername(fd: number): SocketAddress {
  lenBuffer.writeUInt32LE(SOCKADDR_STORAGE_SIZE, 0);
  if (libc.getpeername(fd, sockaddrBuffer, lenBuffer) < 0) fail('getpeername');
  return decodeSockaddr(sockaddrBuffer);
}

/**
 * Accept one connection as a non-blocking, close-on-exec socket. Returns the
 * new fd, or null when no connection is waiting (EAGAIN). The peer address is
 * written into `peer` when given (SOCKADDR_STORAGE_SIZE bytes); read it with
 * decodeSockaddr before the next accept.
 */
export function tryAccept4(fd: number, peer: Buffer | null = null): number | null {
  let len: Buffer | null = null;
  if (peer) {
    lenBuffer.writeUInt32LE(peer.length, 0);
    len = lenBuffer;
  }
  const cfd = libc.accept4(fd, peer, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (cfd >= 0) return cfd;
  const errno = lastErrno();
  if (errno === EAGAIN) return null;
  throw new SyscallError('accept4', errno);
}

/**
 * Read up to `count` bytes into buf (the Buffer may be a subarray: its own
 * offset is honoured). Returns the byte count (0 = peer closed its side), or
 * null on EAGAIN. Throws SyscallError (ECONNRESET, …) otherwise.
 */
export function tryRead(fd: number, buf: Buffer, count = buf.length): number | null {
  const n = libc.read(fd, buf, count);
  if (n >= 0) return n;
  const errno = lastErrno();
  if (errno === EAGAIN) return null;
  throw new SyscallError('read', errno);
}

/**
 * send(…, MSG_NOSIGNAL): a closed peer yields EPIPE as an error instead of a
 * SIGPIPE that would kill the process. Returns bytes written (may be fewer
 * than count), or null on EAGAIN.
 */
export function trySend(fd: number, buf: Buffer, count = buf.length): number | null {
  const n = libc.send(fd, buf, count, MSG_NOSIGNAL);
  if (n >= 0) return n;
  const errno = lastErrno();
  if (errno === EAGAIN) return null;
  throw new SyscallError('send', errno);
}

export function epoll_create1(flags = EPOLL_CLOEXEC): number {
  const fd = libc.epoll_create1(flags);
  if (fd < 0) fail('epoll_create1');
  return fd;
}

const ctlEvent = Buffer.alloc(EPOLL_EVENT_SIZE);

/** epoll_ctl with the fd itself stored as the event's data. */
export function epoll_ctl(epfd: number, op: number, fd: number, events: number): void {
  writeEpollEvent(ctlEvent, 0, events, fd);
  if (libc.epoll_ctl(epfd, op, fd, ctlEvent) < 0) fail('epoll_ctl');
}

/** Fills `events` (EPOLL_EVENT_SIZE bytes each); returns how many are ready. */
export function epoll_wait(epfd: number, events: Buffer, timeoutMs: number): number {
  const n = libc.epoll_wait(epfd, events, Math.floor(events.length / EPOLL_EVENT_SIZE), timeoutMs);
  if (n < 0) fail('epoll_wait');
  return n;
}

/**
 * A listening TCP socket on host:port, non-blocking and close-on-exec, with
 * SO_REUSEADDR (so a restart does not wait for TIME_WAIT). An IPv6 wildcard
 * listener is dual-stack only when `v6Only` is false. Closes the socket on any
 * failure; EADDRINUSE and friends surface as SyscallError naming the address.
 */
export function openListener(host: string, port: number, options: { v6Only?: boolean; backlog?: number } = {}): number {
  const { family, buffer } = encodeSockaddr(host, port);
  const fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  try {
    setsockoptInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (family === AF_INET6 && options.v6Only !== undefined) {
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, options.v6Only ? 1 : 0);
    }
    bind(fd, buffer, family === AF_INET6 ? `[${host}]:${port}` : `${host}:${port}`);
    listen(fd, options.backlog ?? SOMAXCONN_REQUEST);
    return fd;
  } catch (err) {
    libc.close(fd);
    throw err;
  }
}
