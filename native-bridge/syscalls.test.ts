/**
 * native-bridge on real descriptors. Every test checks /proc/self/fd before
 * and after: whatever it opened, it closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AF_INET, AF_INET6, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLIN, EPOLLOUT, SO_SNDBUF, SOCK_CLOEXEC, SOCK_STREAM, SOL_SOCKET,
  SHUT_WR,
} from './constants';
import {
  close, connect, epoll_create1, epoll_ctl, epoll_wait, getpeername, getsockname, getsockoptInt, openListener,
  setsockoptInt, shutdown, socket, tryAccept4, tryRead, trySend,
} from './syscalls';
import { SyscallError, errnoName } from './syscall-error';
import { EPOLL_EVENT_SIZE, epollEventFd, epollEventMask } from './epoll-event';
import { decodeSockaddr, encodeSockaddr, SOCKADDR_STORAGE_SIZE } from './sockaddr';
import { createReadinessSource, type ReadinessKind } from './readiness';
import { hasIPv6Loopback, openFdCount } from './test/fds';

/** Runs fn and asserts the descriptor count is back where it started. */
async function withoutLeaks(fn: () => void | Promise<void>): Promise<void> {
  const before = openFdCount();
  await fn();
  assert.equal(openFdCount(), before, 'descriptors leaked');
}

/** A blocking client socket connected to 127.0.0.1:port (loopback connects complete at once). */
function blockingClient(port: number, host = '127.0.0.1'): number {
  const { family, buffer } = encodeSockaddr(host, port);
  const fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC);
  connect(fd, buffer);
  return fd;
}

function acceptOne(listener: number, peer?: Buffer): number {
  for (let i = 0; i < 1000; i++) {
    const fd = tryAccept4(listener, peer ?? null);
    if (fd !== null) return fd;
  }
  throw new Error('no connection to accept');
}

test('openListener binds 127.0.0.1:0 to a real port, getsockname reports it', () =>
  withoutLeaks(() => {
    const fd = openListener('127.0.0.1', 0);
    try {
      const addr = getsockname(fd);
      assert.equal(addr.family, 'IPv4');
      assert.equal(addr.address, '127.0.0.1');
      assert.ok(addr.port > 0 && addr.port < 65536);
    } finally {
      close(fd);
    }
  }));

test('a second bind to the same port fails with SyscallError EADDRINUSE and closes its socket', () =>
  withoutLeaks(() => {
    const fd = openListener('127.0.0.1', 0);
    try {
      const { port } = getsockname(fd);
      const before = openFdCount();
      assert.throws(
        () => openListener('127.0.0.1', port),
        (err: unknown) => {
          assert.ok(err instanceof SyscallError);
          assert.equal(err.code, 'EADDRINUSE');
          assert.equal(err.syscall, 'bind');
          assert.equal(err.errno, 98);
          assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
          return true;
        },
      );
      assert.equal(openFdCount(), before, 'the failed listener socket was not closed');
    } finally {
      close(fd);
    }
  }));

test('IPv6 listener on ::1 accepts an IPv6 client', { skip: hasIPv6Loopback() ? false : 'no IPv6 on this machine' }, () =>
  withoutLeaks(() => {
    const lfd = openListener('::1', 0);
    const { port, family, address } = getsockname(lfd);
    assert.equal(family, 'IPv6');
    assert.equal(address, '::1');
    const client = blockingClient(port, '::1');
    const peerBuf = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
    const server = acceptOne(lfd, peerBuf);
    const peer = decodeSockaddr(peerBuf);
    assert.equal(peer.family, 'IPv6');
    assert.equal(peer.address, '::1');
    assert.equal(peer.port, getsockname(client).port);
    for (const fd of [server, client, lfd]) close(fd);
  }));

test('accept4 returns null on EAGAIN, then the connection with its peer address', () =>
  withoutLeaks(() => {
    const lfd = openListener('127.0.0.1', 0);
    assert.equal(tryAccept4(lfd), null);
    const client = blockingClient(getsockname(lfd).port);
    const peerBuf = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
    const server = acceptOne(lfd, peerBuf);
    assert.deepEqual(decodeSockaddr(peerBuf), getsockname(client));
    assert.deepEqual(getpeername(server), getsockname(client));
    for (const fd of [server, client, lfd]) close(fd);
  }));

test('read returns null on EAGAIN, the bytes sent, and 0 after the peer shuts down', () =>
  withoutLeaks(() => {
    const lfd = openListener('127.0.0.1', 0);
    const client = blockingClient(getsockname(lfd).port);
    const server = acceptOne(lfd);
    const buf = Buffer.alloc(64);
    assert.equal(tryRead(server, buf), null);
    assert.equal(trySend(client, Buffer.from('hello')), 5);
    let n: number | null = null;
    for (let i = 0; i < 1000 && n === null; i++) n = tryRead(server, buf);
    assert.equal(n, 5);
    assert.equal(buf.subarray(0, 5).toString(), 'hello');
    // A subarray is read into at its own offset.
    assert.equal(trySend(client, Buffer.from('xyz')), 3);
    n = null;
    for (let i = 0; i < 1000 && n === null; i++) n = tryRead(server, buf.subarray(10));
    assert.equal(buf.subarray(10, 13).toString(), 'xyz');
    shutdown(client, SHUT_WR);
    n = null;
    for (let i = 0; i < 1000 && n === null; i++) n = tryRead(server, buf);
    assert.equal(n, 0);
    for (const fd of [server, client, lfd]) close(fd);
  }));

test('send to a closed peer raises EPIPE or ECONNRESET as SyscallError, not SIGPIPE', () =>
  withoutLeaks(() => {
    const lfd = openListener('127.0.0.1', 0);
    const client = blockingClient(getsockname(lfd).port);
    const server = acceptOne(lfd);
    close(client);
    const data = Buffer.alloc(64 * 1024, 1);
    let error: unknown = null;
    for (let i = 0; i < 100 && error === null; i++) {
      try {
        trySend(server, data);
      } catch (err) {
        error = err;
      }
    }
    assert.ok(error instanceof SyscallError, 'send never failed');
    assert.ok(['EPIPE', 'ECONNRESET'].includes(error.code), error.code);
    assert.equal(error.syscall, 'send');
    close(server);
    close(lfd);
  }));

test('send returns a partial count, then null on EAGAIN, with a small SO_SNDBUF and a peer that does not read', () =>
  withoutLeaks(() => {
    const lfd = openListener('127.0.0.1', 0);
    const client = blockingClient(getsockname(lfd).port);
    const server = acceptOne(lfd);
    setsockoptInt(server, SOL_SOCKET, SO_SNDBUF, 4096);
    assert.ok(getsockoptInt(server, SOL_SOCKET, SO_SNDBUF) <= 16384);
    const data = Buffer.alloc(4 * 1024 * 1024, 7);
    const first = trySend(server, data);
    assert.ok(first !== null && first > 0 && first < data.length, `first send wrote ${first}`);
    let sawEagain = false;
    for (let i = 0; i < 100 && !sawEagain; i++) sawEagain = trySend(server, data) === null;
    assert.ok(sawEagain, 'send never returned EAGAIN');
    for (const fd of [server, client, lfd]) close(fd);
  }));

test('epoll reports a readable listener and a writable socket with the fd in data', () =>
  withoutLeaks(() => {
    const ep = epoll_create1();
    const lfd = openListener('127.0.0.1', 0);
    const events = Buffer.alloc(EPOLL_EVENT_SIZE * 8);
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, EPOLLIN);
    assert.equal(epoll_wait(ep, events, 0), 0);
    const client = blockingClient(getsockname(lfd).port);
    assert.equal(epoll_wait(ep, events, 1000), 1);
    assert.equal(epollEventFd(events, 0), lfd);
    assert.equal(epollEventMask(events, 0) & EPOLLIN, EPOLLIN);
    const server = acceptOne(lfd);
    epoll_ctl(ep, EPOLL_CTL_DEL, lfd, 0);
    epoll_ctl(ep, EPOLL_CTL_ADD, server, EPOLLOUT);
    assert.equal(epoll_wait(ep, events, 1000), 1);
    assert.equal(epollEventFd(events, 0), server);
    assert.equal(epollEventMask(events, 0) & EPOLLOUT, EPOLLOUT);
    for (const fd of [server, client, lfd, ep]) close(fd);
  }));

test('failures are SyscallErrors with errno names', () => {
  assert.throws(() => close(-1), (err: unknown) => err instanceof SyscallError && err.code === 'EBADF' && err.syscall === 'close');
  assert.throws(() => socket(12345, SOCK_STREAM), (err: unknown) => err instanceof SyscallError && err.code === 'EAFNOSUPPORT');
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(errnoName(99999), 'E99999');
  assert.equal(AF_INET, 2);
  assert.equal(AF_INET6, 10);
});

for (const kind of ['koffi-poll', 'worker-thread'] as ReadinessKind[]) {
  test(`readiness source ${kind} calls back when the epoll fd has events, and stops cleanly`, () =>
    withoutLeaks(async () => {
      const ep = epoll_create1();
      const lfd = openListener('127.0.0.1', 0);
      epoll_ctl(ep, EPOLL_CTL_ADD, lfd, EPOLLIN);
      const source = createReadinessSource(ep, kind);
      assert.equal(source.kind, kind);
      const events = Buffer.alloc(EPOLL_EVENT_SIZE * 8);
      let accepted = -1;
      const ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no readiness callback within 5 s')), 5000);
        source.start(() => {
          if (epoll_wait(ep, events, 0) > 0 && accepted < 0) {
            accepted = acceptOne(lfd);
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const client = blockingClient(getsockname(lfd).port);
      await ready;
      source.close();
      // The worker may take up to one wait period to notice the stop.
      await new Promise((r) => setTimeout(r, 250));
      for (const fd of [accepted, client, lfd, ep]) close(fd);
    }));
}
