/**
 * Proof that `sockeye serve` serves through the engine's own syscalls: under
 * strace the process makes exactly one socket() (the non-blocking listener),
 * binds and listens on it, registers it with its own epoll set, drains that
 * set with epoll_wait(…, 0) and accepts with accept4 — and Node's net module
 * never opens a socket.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, LISTENING_RE, exchange, killAll, spawnProcess, waitForExit } from './test/harness';

const STRACE = '/usr/bin/strace';
const TRACED = 'socket,bind,listen,accept4,epoll_wait,epoll_ctl';

const tmp = mkdtempSync(join(tmpdir(), 'sockeye-strace-'));
after(() => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
});

/** The pid of strace's direct child (the traced node process). */
function tracedChild(stracePid: number): number {
  const children = readFileSync(`/proc/${stracePid}/task/${stracePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  assert.equal(children.length, 1, `strace should have one child, has ${children.join(',')}`);
  return Number(children[0]);
}

test('strace: the engine opens, binds, listens, polls and accepts by itself', { timeout: 60_000 }, async (t) => {
  if (!existsSync(STRACE)) {
    t.skip('strace not installed: apt-get install strace');
    return;
  }
  const traceFile = join(tmp, 'trace.txt');
  const p = spawnProcess(STRACE, ['-f', '-e', `trace=${TRACED}`, '-o', traceFile, process.execPath, BIN, 'serve', '--port', '0']);
  const port = Number((await p.waitForStdout(LISTENING_RE, 30_000))[1]);
  const r = await exchange(port, 'GET /traced HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(r.response.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
  await p.waitForStdout(/\/traced$/m);

  // Signal node itself: strace would detach and kill it rather than let it stop cleanly.
  process.kill(tracedChild(p.pid), 'SIGTERM');
  assert.deepEqual(await waitForExit(p, 30_000), { code: 0, signal: null }, p.stderr());
  const trace = readFileSync(traceFile, 'utf8');

  const sockets = [...trace.matchAll(/^\d+ +socket\(([^)]*)\) += (-?\d+)/gm)];
  assert.equal(sockets.length, 1, `exactly one socket() expected:\n${sockets.map((s) => s[0]).join('\n')}`);
  const [, socketArgs, fdText] = sockets[0]!;
  assert.match(socketArgs!, /^AF_INET, SOCK_STREAM\|(?=[A-Z_|]*SOCK_CLOEXEC)(?=[A-Z_|]*SOCK_NONBLOCK)[A-Z_|]+, /);
  const fd = fdText!;
  assert.match(trace, new RegExp(`^\\d+ +bind\\(${fd}, \\{sa_family=AF_INET, sin_port=htons\\(0\\), sin_addr=inet_addr\\("127\\.0\\.0\\.1"\\)\\}, 16\\) += 0$`, 'm'));
  assert.match(trace, new RegExp(`^\\d+ +listen\\(${fd}, \\d+\\) += 0$`, 'm'));
  const add = new RegExp(`^\\d+ +epoll_ctl\\((\\d+), EPOLL_CTL_ADD, ${fd}, \\{events=EPOLLIN\\b`, 'm').exec(trace);
  assert.ok(add, 'the listener is never added to an epoll set');
  const epfd = add[1]!;
  assert.match(trace, new RegExp(`^\\d+ +epoll_wait\\(${epfd}, \\[\\{events=EPOLLIN, data=\\{u32=${fd}, `, 'm'),
    'epoll_wait on the engine set never reported the listener');
  assert.match(trace, new RegExp(`^\\d+ +epoll_wait\\(${epfd}, .*, \\d+, 0\\) += \\d+$`, 'm'));
  assert.match(trace, new RegExp(`^\\d+ +accept4\\(${fd}, \\{sa_family=AF_INET, sin_port=htons\\(${r.localPort}\\), .*SOCK_CLOEXEC\\|SOCK_NONBLOCK\\) += \\d+$`, 'm'));
});
