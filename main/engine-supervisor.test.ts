import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineStatus } from '../common/inspector-api';
import { DEFAULT_CANNED_RESPONSE, type CannedResponse } from '../common/canned-response';
import { EngineSupervisor, FIRST_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS, listenUrl, restartDelayMs } from './engine-supervisor';
import { nodeEngineForker, type NodeEngineForker } from './test/node-engine-process';

/** Long enough for a fork, an engine start and a restart on a slow two-core machine; never a timing assertion. */
const WAIT_MS = 10_000;
/** A hang (an engine that never stops, a restart loop) fails the test instead of stalling the run. */
const TEST_OPTIONS = { timeout: 60_000 };
const ANY_PORT = { host: '127.0.0.1', port: 0 };
const TEA: CannedResponse = { status: 418, reason: '', headers: [['Content-Type', 'text/plain']], body: 'tea', bodyEncoding: 'utf8' };

/** A supervisor over real engine processes, with every status it reported. */
function supervise(listen = ANY_PORT): { sup: EngineSupervisor; statuses: EngineStatus[]; forker: NodeEngineForker; logs: string[] } {
  const statuses: EngineStatus[] = [];
  const logs: string[] = [];
  const forker = nodeEngineForker();
  const sup = new EngineSupervisor({ fork: forker.fork, listen, response: DEFAULT_CANNED_RESPONSE, onStatus: (s) => statuses.push(s), log: (l) => logs.push(l) });
  return { sup, statuses, forker, logs };
}

/** Wait for the first status after index `from` that matches. */
async function statusAfter(statuses: EngineStatus[], from: number, match: (s: EngineStatus) => boolean, what: string): Promise<EngineStatus> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = statuses.slice(from).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} status; got ${JSON.stringify(statuses.map((s) => s.state))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const isListening = (s: EngineStatus): s is Extract<EngineStatus, { state: 'listening' }> => s.state === 'listening';

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

test('restart delays start fast, double, and stop at the cap', () => {
  assert.equal(restartDelayMs(1), FIRST_RESTART_DELAY_MS);
  assert.equal(restartDelayMs(2), FIRST_RESTART_DELAY_MS * 2);
  assert.equal(restartDelayMs(3), FIRST_RESTART_DELAY_MS * 4);
  assert.equal(restartDelayMs(100), MAX_RESTART_DELAY_MS);
  assert.ok(FIRST_RESTART_DELAY_MS < 2000, 'the first restart leaves room to be back within 2 s of a kill');
});

test('listen URLs bracket IPv6 hosts', () => {
  assert.equal(listenUrl('127.0.0.1', 8080), 'http://127.0.0.1:8080/');
  assert.equal(listenUrl('::1', 80), 'http://[::1]:80/');
});

test('a supervised engine listens, answers real requests and takes a new response; the engine refuses a bad one', TEST_OPTIONS, async () => {
  const { sup, statuses, forker } = supervise();
  try {
    sup.start();
    assert.equal(statuses[0]?.state, 'starting');
    const listening = await statusAfter(statuses, 0, isListening, 'listening');
    const url = isListening(listening) ? listening.url : '';
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.deepEqual(await get(url), { status: 200, body: DEFAULT_CANNED_RESPONSE.body });

    assert.deepEqual(await sup.setResponse(TEA), { ok: true });
    assert.deepEqual(await get(url), { status: 418, body: 'tea' });

    // main validates first; this checks the engine's own answer travels back to the caller.
    const refused = await sup.setResponse({ ...TEA, status: 42 });
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.errors[0]!.field, /status/);
  } finally {
    await sup.dispose();
    forker.killAll();
  }
});

test('a SIGKILLed engine is reported as crashed and restarted, with the current response; a quick second crash backs off longer', TEST_OPTIONS, async () => {
  const { sup, statuses, forker } = supervise();
  try {
    sup.start();
    await statusAfter(statuses, 0, isListening, 'listening');
    await sup.setResponse(TEA);

    let mark = statuses.length;
    forker.children[0]!.kill('SIGKILL');
    const crashed = await statusAfter(statuses, mark, (s) => s.state === 'crashed', 'crashed');
    assert.deepEqual(crashed.state === 'crashed' && { attempt: crashed.attempt, restartInMs: crashed.restartInMs }, { attempt: 1, restartInMs: FIRST_RESTART_DELAY_MS });
    assert.match(crashed.state === 'crashed' ? crashed.message : '', /killed by SIGKILL/);

    const back = await statusAfter(statuses, mark, isListening, 'listening after the restart');
    assert.equal(forker.children.length, 2);
    assert.deepEqual(await get(isListening(back) ? back.url : ''), { status: 418, body: 'tea' }, 'the restarted engine answers with the response set before the crash');

    mark = statuses.length;
    forker.children[1]!.kill('SIGKILL');
    const again = await statusAfter(statuses, mark, (s) => s.state === 'crashed', 'second crash');
    assert.deepEqual(again.state === 'crashed' && { attempt: again.attempt, restartInMs: again.restartInMs }, { attempt: 2, restartInMs: FIRST_RESTART_DELAY_MS * 2 });
    await statusAfter(statuses, mark, isListening, 'listening after the second restart');
  } finally {
    await sup.dispose();
    forker.killAll();
  }
});

test('a taken port is an error with EADDRINUSE and no restart; a new address brings the engine back', TEST_OPTIONS, async () => {
  const first = supervise();
  first.sup.start();
  const taken = await statusAfter(first.statuses, 0, isListening, 'listening');
  const port = Number(new URL(isListening(taken) ? taken.url : 'http://x:1/').port);
  const second = supervise({ host: '127.0.0.1', port });
  try {
    second.sup.start();
    const err = await statusAfter(second.statuses, 0, (s) => s.state === 'error', 'error');
    assert.equal(err.state === 'error' ? err.code : null, 'EADDRINUSE');
    assert.deepEqual(err.listen, { host: '127.0.0.1', port });
    // The refused engine is stopped, and nothing retries.
    const deadline = Date.now() + WAIT_MS;
    while (second.forker.children[0]!.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(second.forker.children[0]!.exitCode, 0, 'the refused engine exited cleanly');
    assert.equal(second.sup.status.state, 'error');
    assert.equal(second.forker.children.length, 1);
    assert.ok(!second.statuses.some((s) => s.state === 'crashed'));

    const mark = second.statuses.length;
    await second.sup.setListen(ANY_PORT);
    const back = await statusAfter(second.statuses, mark, isListening, 'listening on the new address');
    assert.deepEqual(back.listen, ANY_PORT);
    assert.equal((await get(isListening(back) ? back.url : '')).status, 200);
  } finally {
    await second.sup.dispose();
    await first.sup.dispose();
    first.forker.killAll();
    second.forker.killAll();
  }
});

test('changing the address stops the old engine before the new one starts, and dispose leaves nothing running', TEST_OPTIONS, async () => {
  const { sup, statuses, forker } = supervise();
  try {
    sup.start();
    await statusAfter(statuses, 0, isListening, 'listening');
    // Two quick changes: one engine at a time, the last address wins.
    const a = sup.setListen(ANY_PORT);
    const b = sup.setListen({ host: '127.0.0.1', port: 0 });
    await Promise.all([a, b]);
    const mark = statuses.length - 1;
    await statusAfter(statuses, mark, isListening, 'listening after the changes');
    const running = forker.children.filter((c) => c.exitCode === null && c.signalCode === null);
    assert.equal(running.length, 1, 'exactly one engine runs');
    assert.equal(forker.children.length, 3);
    assert.ok(!statuses.some((s) => s.state === 'crashed'), 'a requested stop is not a crash');

    await sup.dispose();
    assert.ok(forker.children.every((c) => c.exitCode !== null || c.signalCode !== null), 'every engine has exited');
    assert.ok(!statuses.some((s) => s.state === 'crashed'));
  } finally {
    forker.killAll();
  }
});

test('a fork that throws is reported as a crash and retried', TEST_OPTIONS, async () => {
  let calls = 0;
  const statuses: EngineStatus[] = [];
  const forker = nodeEngineForker();
  const sup = new EngineSupervisor({
    fork: () => {
      calls++;
      if (calls === 1) throw new Error('no such file');
      return forker.fork();
    },
    listen: ANY_PORT,
    response: DEFAULT_CANNED_RESPONSE,
    onStatus: (s) => statuses.push(s),
  });
  try {
    sup.start();
    const crashed = await statusAfter(statuses, 0, (s) => s.state === 'crashed', 'crashed');
    assert.match(crashed.state === 'crashed' ? crashed.message : '', /could not be started \(no such file\)/);
    await statusAfter(statuses, 0, isListening, 'listening after the retry');
    assert.equal(calls, 2);
  } finally {
    await sup.dispose();
    forker.killAll();
  }
});
