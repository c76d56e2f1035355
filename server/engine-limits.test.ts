/**
 * The engine at its resource limits: out of descriptors (EMFILE) and at the
 * connection cap it stops accepting for a back-off instead of spinning, keeps
 * serving the connections it has, and accepts again when clients leave.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RawClient, TestEngine } from './test/raw-client';

const PRLIMIT = '/usr/bin/prlimit';
/** Descriptor limit for the engine process: room for Node's own (~25) and a handful of clients. */
const FD_LIMIT = 48;
const CLIENTS = 80;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('out of descriptors: the engine pauses accepting, serves what it has, and recovers when clients leave', { timeout: 60_000 }, async (t) => {
  if (!existsSync(PRLIMIT)) {
    t.skip('prlimit not installed (util-linux)');
    return;
  }
  const engineJs = JSON.stringify(join(__dirname, 'engine.js'));
  const sinkJs = JSON.stringify(join(__dirname, 'capture-sink.js'));
  // The engine in its own process with a low descriptor limit; it prints its port, then its stats every 100 ms.
  const script = `
    const { Engine } = require(${engineJs});
    const { callbackSink } = require(${sinkJs});
    const e = Engine.start({ listen: [{ host: '127.0.0.1', port: 0 }], sink: callbackSink(() => {}) });
    console.log(JSON.stringify({ port: e.listeners[0].port }));
    setInterval(() => console.log(JSON.stringify(e.stats())), 100);
    process.on('SIGTERM', () => e.stop().then(() => process.exit(0)));
  `;
  const child = spawn(PRLIMIT, [`--nofile=${FD_LIMIT}:${FD_LIMIT}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const lines = createInterface({ input: child.stdout });
  let port = 0;
  let stats: Record<string, number> = {};
  const portKnown = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      const value = JSON.parse(line) as Record<string, number>;
      if ('port' in value) {
        port = value.port!;
        resolve();
      } else stats = value;
    });
  });
  const clients: RawClient[] = [];
  try {
    await Promise.race([portKnown, sleep(10_000).then(() => { throw new Error(`engine did not start: ${stderr}`); })]);

    // More clients than descriptors: the kernel queues the rest in the backlog.
    for (let i = 0; i < CLIENTS; i++) clients.push(await RawClient.open(port));
    await sleep(600);
    assert.equal(child.exitCode, null, `the engine process died: ${stderr}`);
    assert.ok(stats.acceptPauses! > 0, `accepting never paused: ${JSON.stringify(stats)}`);
    // A spinning accept loop would pause thousands of times; one pause per back-off period is expected.
    assert.ok(stats.acceptPauses! < 50, `accept paused ${stats.acceptPauses} times in 0.6 s: it spins`);
    const accepted = stats.connectionsAccepted!;
    assert.ok(accepted > 0 && accepted < CLIENTS, `accepted ${accepted} of ${CLIENTS}`);

    // The connections the engine holds are still served.
    await Promise.all(clients.map((c) => c.write('GET /held HTTP/1.1\r\nHost: a\r\n\r\n')));
    await sleep(300);
    const answered = clients.filter((c) => c.received.length > 0).length;
    assert.ok(answered >= 1, 'no held connection was answered');

    // Clients leave: everything queued is accepted and answered, and new clients are served.
    for (const c of clients.splice(0, CLIENTS - 10)) c.destroy();
    await Promise.all(clients.map((c) => c.responses(1, undefined, 10_000)));
    const fresh = await RawClient.open(port);
    clients.push(fresh);
    await fresh.write('GET /after HTTP/1.1\r\nHost: a\r\n\r\n');
    const [r] = await fresh.responses(1, undefined, 10_000);
    assert.equal(r!.status, 200);
  } finally {
    for (const c of clients) c.destroy();
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('at maxConnections the engine stops accepting, and accepts again when a connection closes', async () => {
  const e = new TestEngine({ maxConnections: 3 });
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 5; i++) clients.push(await e.client());
    await Promise.all(clients.map((c, i) => c.write(`GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`)));
    await sleep(300);
    const served = clients.filter((c) => c.received.length > 0);
    assert.equal(served.length, 3, 'more connections served than the cap allows');
    assert.equal(e.engine.stats().connectionsOpen, 3);
    assert.ok(e.engine.stats().acceptPauses > 0);
    for (const c of served) c.destroy();
    const waiting = clients.filter((c) => c.received.length === 0);
    const rs = await Promise.all(waiting.map((c) => c.responses(1)));
    assert.deepEqual(rs.map((r) => r[0]!.status), [200, 200]);
    assert.equal((await e.waitForRecords(5)).length, 5);
  } finally {
    for (const c of clients) c.destroy();
    await e.stop();
  }
});
