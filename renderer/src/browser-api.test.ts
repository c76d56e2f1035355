import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBrowserInspectorApi, MAX_PENDING_BATCHES, RECONNECT_MAX_MS, RECONNECT_MIN_MS } from './browser-api';
import { encodeBacklogFrame, encodeFrame, encodeRecordsFrame, encodeStatusFrame, FRAME_TYPE, RECORDS_CONTENT_TYPE, UI_PATHS } from '../../common/browser-protocol';
import { decodeRecordBatch, type RecordBatch } from '../../common/record-batch';
import type { EngineStatus, InspectorInit } from '../../common/inspector-api';
import { DEFAULT_CANNED_RESPONSE } from '../../common/canned-response';
import { simpleGets } from './model/test/batch-fixture';

const LISTEN = { host: '127.0.0.1', port: 9000 };
const LISTENING: EngineStatus = { state: 'listening', listen: LISTEN, url: 'http://127.0.0.1:9000/' };
const INIT: InspectorInit = { mode: 'browser', listen: LISTEN, response: DEFAULT_CANNED_RESPONSE, status: LISTENING };

interface FetchCall { url: string; init: RequestInit | undefined }

/** A fetch that answers with `answer` and remembers every call. */
function fakeFetch(answer: (url: string, init: RequestInit | undefined) => Response | Promise<Response>) {
  const calls: FetchCall[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return answer(String(input), init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (value: unknown, status = 200): Response =>
  new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json' } });

/** One event stream the code under test opened: the test writes bytes into its body, ends it or breaks it. */
interface OpenStream {
  url: string;
  push(bytes: Uint8Array): void;
  end(): void;
  fail(): void;
}

/** A ReadableStream answer for UI_PATHS.events, driven by hand. */
function streamAnswer(opened: OpenStream[], url: string): Response {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  opened.push({
    url,
    push: (bytes) => controller.enqueue(bytes),
    end: () => controller.close(),
    fail: () => controller.error(new TypeError('network error')),
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': RECORDS_CONTENT_TYPE } });
}

/** Let the stream reading (promise jobs and the stream's own queue) catch up. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

type EventsAnswer = (url: string, opened: OpenStream[]) => Response | Promise<Response>;

function setup(
  answer: (url: string, init: RequestInit | undefined) => Response | Promise<Response> = () => json(INIT),
  events: EventsAnswer = (url, opened) => streamAnswer(opened, url),
) {
  const opened: OpenStream[] = [];
  const f = fakeFetch((url, init) => (url.startsWith(UI_PATHS.events) ? events(url, opened) : answer(url, init)));
  const reports: string[] = [];
  const copied: string[] = [];
  const timers: Array<{ run: () => void; ms: number }> = [];
  const api = createBrowserInspectorApi({
    fetch: f.fetch,
    setTimeout: (run, ms) => void timers.push({ run, ms }),
    clipboard: { writeText: async (t) => void copied.push(t) },
    report: (line) => reports.push(line),
  });
  const eventCalls = (): FetchCall[] => f.calls.filter((c) => c.url.startsWith(UI_PATHS.events));
  /** The one stream open so far. */
  const stream = (): OpenStream => {
    assert.equal(opened.length, 1, 'exactly one event stream');
    return opened[0]!;
  };
  /** Run the pending reconnection timer (there must be exactly one) and return its delay. */
  const fire = async (): Promise<number> => {
    await settle();
    assert.equal(timers.length, 1, 'one reconnection pending');
    const t = timers.shift()!;
    t.run();
    await settle();
    return t.ms;
  };
  return { api, calls: f.calls, eventCalls, opened, stream, reports, copied, timers, fire };
}

const recordsBytes = (seq: number, batch: RecordBatch): Uint8Array => encodeRecordsFrame(seq, batch);
const statusBytes = (status: unknown): Uint8Array => encodeStatusFrame(status);
const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const ids = (batch: RecordBatch): number[] => decodeRecordBatch(batch).map((r) => r.id);

test('init GETs the init path with the cookie and returns the settings; the event stream opens once', async () => {
  const t = setup();
  assert.equal(t.eventCalls().length, 0, 'nothing is opened before it is needed');
  assert.deepEqual(await t.api.init(), INIT);
  t.api.onRecords(() => undefined);
  t.api.onStatus(() => undefined);
  await settle();
  const init = t.calls.find((c) => c.url === UI_PATHS.init)!;
  assert.equal(init.init?.credentials, 'same-origin');
  assert.equal(init.init?.method ?? 'GET', 'GET');
  assert.equal(t.eventCalls().length, 1);
  const events = t.eventCalls()[0]!;
  assert.equal(events.url, UI_PATHS.events, 'a fresh page asks for everything (no ?after=)');
  assert.equal(events.init?.credentials, 'same-origin');
  assert.equal(events.init?.method ?? 'GET', 'GET');
  assert.equal(t.opened.length, 1);
});

test('init refused with 401: the message has the status, the body and says to open the printed URL again', async () => {
  const t = setup(() => new Response('missing or wrong secret', { status: 401, statusText: 'Unauthorized' }));
  await assert.rejects(t.api.init(), (err: Error) => {
    assert.match(err.message, /401/);
    assert.match(err.message, /missing or wrong secret/);
    assert.match(err.message, /open the URL printed by `sockeye serve --ui` again/);
    return true;
  });
});

test('init: other failures reject with what went wrong', async () => {
  const down = setup(() => Promise.reject(new TypeError('Failed to fetch')));
  await assert.rejects(down.api.init(), /could not reach sockeye serve --ui: Failed to fetch/);
  const long = setup(() => new Response('x'.repeat(5000), { status: 500 }));
  await assert.rejects(long.api.init(), (err: Error) => /HTTP 500/.test(err.message) && err.message.length < 600 && !/again/.test(err.message));
  const notJson = setup(() => new Response('<html>', { status: 200 }));
  await assert.rejects(notJson.api.init(), /not JSON/);
  const wrongShape = setup(() => json({ mode: 'browser' }));
  await assert.rejects(wrongShape.api.init(), /unexpected answer/);
});

test('setResponse and setListen POST JSON with the cookie and return the server\'s CommandResult', async () => {
  const t = setup((url) => (url === UI_PATHS.response ? json({ ok: true }) : json({ ok: false, errors: [{ field: 'listen.port', message: 'must be 1–65535' }] }, 400)));
  assert.deepEqual(await t.api.setResponse(DEFAULT_CANNED_RESPONSE), { ok: true });
  const post = t.calls[0]!;
  assert.equal(post.url, UI_PATHS.response);
  assert.equal(post.init?.method, 'POST');
  assert.equal(post.init?.credentials, 'same-origin');
  assert.equal(new Headers(post.init?.headers).get('content-type'), 'application/json');
  assert.deepEqual(JSON.parse(String(post.init?.body)), DEFAULT_CANNED_RESPONSE);

  assert.deepEqual(await t.api.setListen({ host: '127.0.0.1', port: 0 }), { ok: false, errors: [{ field: 'listen.port', message: 'must be 1–65535' }] });
  assert.equal(t.calls[1]!.url, UI_PATHS.listen);
  assert.deepEqual(JSON.parse(String(t.calls[1]!.init?.body)), { host: '127.0.0.1', port: 0 });
});

test('a command that cannot be sent or gets no CommandResult is ok:false with one message, never a rejection', async () => {
  const down = setup(() => Promise.reject(new TypeError('Failed to fetch')));
  assert.deepEqual(await down.api.setResponse(DEFAULT_CANNED_RESPONSE), { ok: false, errors: [{ field: '', message: 'could not reach sockeye serve --ui: Failed to fetch' }] });
  const refused = setup(() => new Response('no secret', { status: 401 }));
  const r = await refused.api.setListen(LISTEN);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.errors.length === 1 && r.errors[0]!.field === '' && /401.*no secret.*again/.test(r.errors[0]!.message), JSON.stringify(r));
  const odd = setup(() => json({ fine: true }));
  const o = await odd.api.setResponse(DEFAULT_CANNED_RESPONSE);
  assert.ok(!o.ok && /unexpected answer/.test(o.errors[0]!.message));
});

test('records frames are decoded and delivered in order, to every listener, however the chunks are cut', async () => {
  const stream = concat([statusBytes(LISTENING), ...[0, 1, 2].map((i) => recordsBytes(i + 1, simpleGets(2 + i, i * 10)))]);
  for (const size of [1, 7, 16, 17, 100, stream.length]) {
    const t = setup();
    const a: number[][] = [];
    const b: number[][] = [];
    t.api.onRecords((batch) => a.push(ids(batch)));
    t.api.onRecords((batch) => b.push(ids(batch)));
    await settle();
    for (let at = 0; at < stream.length; at += size) t.stream().push(stream.slice(at, at + size));
    await settle();
    assert.deepEqual(a, [[1, 2], [11, 12, 13], [21, 22, 23, 24]], `chunks of ${size}`);
    assert.deepEqual(b, a);
    assert.deepEqual(t.reports, []);
  }
});

test('batches that arrive before anyone subscribes are handed to the first subscriber (bounded)', async () => {
  const t = setup();
  await t.api.init(); // opens the stream
  await settle();
  t.stream().push(concat([recordsBytes(1, simpleGets(1, 0)), recordsBytes(2, simpleGets(1, 1))]));
  await settle();
  const got: number[][] = [];
  const off = t.api.onRecords((batch) => got.push(ids(batch)));
  assert.deepEqual(got, [[1], [2]]);
  t.stream().push(recordsBytes(3, simpleGets(1, 2)));
  await settle();
  assert.deepEqual(got, [[1], [2], [3]]);
  // Unsubscribed: kept again for the next subscriber, up to the bound; the overflow is reported.
  off();
  const many: Uint8Array[] = [];
  for (let i = 0; i < MAX_PENDING_BATCHES + 2; i++) many.push(recordsBytes(4 + i, simpleGets(1, 0)));
  t.stream().push(concat(many));
  await settle();
  let later = 0;
  t.api.onRecords(() => later++);
  assert.equal(later, MAX_PENDING_BATCHES);
  assert.deepEqual(t.reports, ['2 record batch(es) arrived before the page subscribed and were dropped']);
  assert.deepEqual(got.length, 3, 'the unsubscribed listener heard nothing more');
});

test('a malformed records frame is reported once and skipped; the stream goes on (and a reconnect does not ask for it again)', async () => {
  const t = setup();
  const got: number[][] = [];
  t.api.onRecords((batch) => got.push(ids(batch)));
  await settle();
  const good = encodeRecordsFrame(1, simpleGets(3));
  const truncated = encodeFrame(FRAME_TYPE.records, 2, good.subarray(16, good.length - 8));
  const garbage = encodeFrame(FRAME_TYPE.records, 3, new Uint8Array([1, 2, 3, 4, 5]));
  const empty = encodeFrame(FRAME_TYPE.records, 4, new Uint8Array(0));
  t.stream().push(concat([good, truncated, garbage, empty, recordsBytes(5, simpleGets(1, 6))]));
  await settle();
  assert.deepEqual(got, [[1, 2, 3], [7]]);
  assert.equal(t.reports.length, 3);
  assert.match(t.reports[0]!, /^a records frame was skipped: batch 2 is not a valid record batch/);
  assert.match(t.reports[1]!, /batch 3 /);
  assert.match(t.reports[2]!, /batch 4 /);
  t.stream().end();
  await t.fire();
  assert.equal(t.opened.at(-1)!.url, `${UI_PATHS.events}?after=5`);
});

test('a broken frame header: reported once, the stream is dropped and fetched again after the last good batch', async () => {
  const t = setup();
  const got: number[][] = [];
  t.api.onRecords((batch) => got.push(ids(batch)));
  await settle();
  const badType = new Uint8Array(16);
  badType[4] = 9;
  t.stream().push(concat([recordsBytes(7, simpleGets(1, 0)), badType, recordsBytes(8, simpleGets(1, 1))]));
  await settle();
  assert.deepEqual(got, [[1]]);
  assert.equal(t.reports.length, 1);
  assert.match(t.reports[0]!, /the event stream is unreadable \(unknown frame type 9\); reconnecting/);
  assert.equal(await t.fire(), RECONNECT_MIN_MS);
  assert.equal(t.opened.length, 2);
  assert.equal(t.opened[1]!.url, `${UI_PATHS.events}?after=7`);
  t.opened[1]!.push(recordsBytes(8, simpleGets(1, 1)));
  await settle();
  assert.deepEqual(got, [[1], [2]]);
});

test('a listener that throws does not stop the others', async () => {
  const t = setup();
  let heard = 0;
  t.api.onRecords(() => { throw new Error('boom'); });
  t.api.onRecords(() => heard++);
  await settle();
  t.stream().push(recordsBytes(1, simpleGets(1)));
  await settle();
  assert.equal(heard, 1);
  assert.deepEqual(t.reports, ['listener failed: boom']);
});

test('status frames reach status listeners; ones that are not an EngineStatus are skipped; pings are ignored', async () => {
  const t = setup();
  const got: EngineStatus[] = [];
  const off = t.api.onStatus((s) => got.push(s));
  await settle();
  const crashed: EngineStatus = { state: 'crashed', listen: LISTEN, message: 'gone ✓', restartInMs: 1000, attempt: 1 };
  t.stream().push(concat([
    statusBytes(LISTENING),
    encodeFrame(FRAME_TYPE.status, 0, new TextEncoder().encode('{not json')),
    encodeFrame(FRAME_TYPE.status, 0, new Uint8Array([0x7b, 0xff, 0x7d])),
    statusBytes({ state: 'sleeping', listen: LISTEN }),
    encodeFrame(FRAME_TYPE.ping, 0, new Uint8Array(0)),
    statusBytes(crashed),
  ]));
  await settle();
  assert.deepEqual(got, [LISTENING, crashed]);
  assert.equal(t.reports.length, 3);
  assert.ok(t.reports.every((r) => /^a status frame was skipped/.test(r)), t.reports.join('\n'));
  off();
  t.stream().push(statusBytes(LISTENING));
  await settle();
  assert.equal(got.length, 2);
});

test('backlog frames reach backlog listeners (records the server has not sent yet); a bad one is reported and skipped', async () => {
  const t = setup();
  const got: number[] = [];
  const records: number[] = [];
  assert.ok(t.api.onBacklog, 'browser mode has a backlog');
  const off = t.api.onBacklog((n) => got.push(n));
  t.api.onRecords((b) => records.push(b.count));
  await settle();
  t.stream().push(concat([
    encodeBacklogFrame(12_000),
    recordsBytes(1, simpleGets(3)),
    encodeFrame(FRAME_TYPE.backlog, 0, new Uint8Array(4)),
    encodeBacklogFrame(0),
  ]));
  await settle();
  assert.deepEqual(got, [12_000, 0]);
  assert.deepEqual(records, [3], 'the stream goes on');
  assert.equal(t.reports.length, 1);
  assert.match(t.reports[0]!, /^a backlog frame was skipped/);
  off();
  t.stream().push(encodeBacklogFrame(5));
  await settle();
  assert.deepEqual(got, [12_000, 0], 'unsubscribed');
});

test('when the stream ends or fails, what was still to come is unknown: listeners hear 0 (the next stream tells again)', async () => {
  for (const how of ['end', 'fail'] as const) {
    const t = setup();
    const got: number[] = [];
    t.api.onBacklog!((n) => got.push(n));
    await settle();
    t.stream().push(encodeBacklogFrame(4000));
    await settle();
    assert.deepEqual(got, [4000], how);
    t.stream()[how]();
    await settle();
    assert.deepEqual(got, [4000, 0], `${how}: told 0`);
  }
});

test('a dropped stream is fetched again with ?after=<last sequence number>, 1 s later, backing off to 5 s while it fails', async () => {
  let down = false;
  const t = setup(() => json(INIT), (url, opened) => (down ? Promise.reject(new TypeError('Failed to fetch')) : streamAnswer(opened, url)));
  const got: number[][] = [];
  t.api.onRecords((batch) => got.push(ids(batch)));
  await settle();
  t.stream().push(concat([recordsBytes(1, simpleGets(1, 0)), recordsBytes(2, simpleGets(1, 1))]));
  await settle();
  t.stream().fail(); // the connection drops
  assert.equal(await t.fire(), RECONNECT_MIN_MS);
  assert.deepEqual(t.eventCalls().map((c) => c.url), [UI_PATHS.events, `${UI_PATHS.events}?after=2`]);
  // The server replays what followed; nothing is delivered twice.
  t.opened[1]!.push(recordsBytes(3, simpleGets(1, 2)));
  await settle();
  assert.deepEqual(got, [[1], [2], [3]]);

  // The server goes away: every attempt fails, the delays grow to the cap; one report for the whole streak.
  down = true;
  t.opened[1]!.end();
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) delays.push(await t.fire());
  assert.deepEqual(delays, [1000, 2000, 4000, 5000, 5000, 5000]);
  assert.equal(RECONNECT_MAX_MS, 5000);
  assert.ok(t.eventCalls().slice(2).every((c) => c.url === `${UI_PATHS.events}?after=3`));
  assert.equal(t.reports.length, 1, t.reports.join('\n'));
  assert.match(t.reports[0]!, /could not reach sockeye serve --ui for the event stream: Failed to fetch; retrying/);

  // Back: the stream resumes after the last batch, and the next drop waits 1 s again.
  down = false;
  assert.equal(await t.fire(), 5000);
  const back = t.opened.at(-1)!;
  assert.equal(back.url, `${UI_PATHS.events}?after=3`);
  back.push(concat([statusBytes(LISTENING), recordsBytes(4, simpleGets(1, 3))]));
  await settle();
  assert.deepEqual(got, [[1], [2], [3], [4]]);
  back.end();
  assert.equal(await t.fire(), RECONNECT_MIN_MS);
  assert.equal(t.opened.at(-1)!.url, `${UI_PATHS.events}?after=4`);
});

test('an answer that is not the event stream (500, wrong type) is retried; reported once per streak', async () => {
  let n = 0;
  const t = setup(() => json(INIT), (url, opened) => {
    n++;
    if (n === 1) return new Response('boom', { status: 500, statusText: 'Internal Server Error' });
    if (n === 2) return new Response('<html>', { status: 200, headers: { 'Content-Type': 'text/html' } });
    return streamAnswer(opened, url);
  });
  const got: number[][] = [];
  t.api.onRecords((batch) => got.push(ids(batch)));
  assert.equal(await t.fire(), 1000);
  assert.equal(await t.fire(), 2000);
  t.stream().push(recordsBytes(1, simpleGets(1)));
  await settle();
  assert.deepEqual(got, [[1]]);
  assert.equal(t.reports.length, 1);
  assert.match(t.reports[0]!, /opening the event stream failed: HTTP 500 Internal Server Error: boom; retrying/);
});

for (const status of [401, 403]) {
  test(`a stream refused with ${status} becomes an error status with the last known address, and is not retried`, async () => {
    let refuse = false;
    const t = setup(() => json(INIT), (url, opened) => (refuse ? new Response('missing or wrong secret', { status }) : streamAnswer(opened, url)));
    const got: EngineStatus[] = [];
    t.api.onStatus((s) => got.push(s));
    await settle();
    const elsewhere = { host: '::1', port: 8123 };
    t.stream().push(statusBytes({ state: 'listening', listen: elsewhere, url: 'http://[::1]:8123/' }));
    await settle();
    refuse = true;
    t.stream().end(); // e.g. the server restarted with a new secret
    await t.fire();
    assert.equal(got.length, 2);
    const lost = got[1]!;
    assert.equal(lost.state, 'error');
    assert.ok(lost.state === 'error');
    assert.deepEqual(lost.listen, elsewhere);
    assert.equal(lost.code, null);
    assert.match(lost.message, /^lost the connection to sockeye serve --ui/);
    assert.match(lost.message, new RegExp(`HTTP ${status}.*missing or wrong secret.*open the URL printed by \`sockeye serve --ui\` again`));
    await settle();
    assert.equal(t.timers.length, 0, 'no retry');
    assert.equal(t.eventCalls().length, 2);
    // A status listener that subscribes afterwards still learns it.
    const late: EngineStatus[] = [];
    t.api.onStatus((s) => late.push(s));
    assert.deepEqual(late, [lost]);
  });
}

test('refused before any status frame: the address from init is the last known one', async () => {
  const t = setup(() => json(INIT), () => new Response('no secret', { status: 401 }));
  await t.api.init();
  const got: EngineStatus[] = [];
  t.api.onStatus((s) => got.push(s));
  await settle();
  assert.deepEqual(got.map((s) => [s.state, s.listen]), [['error', LISTEN]]);
});

test('onAction: no native menu in a browser, so nothing is ever sent; unsubscribe is harmless', () => {
  const t = setup();
  let actions = 0;
  const off = t.api.onAction(() => actions++);
  assert.equal(typeof off, 'function');
  off();
  assert.equal(actions, 0);
  assert.equal(t.eventCalls().length, 0, 'actions need no event stream');
});

test('copyText writes to the clipboard; without one, or when the browser refuses, it rejects saying why', async () => {
  const t = setup();
  await t.api.copyText('http://127.0.0.1:9000/');
  assert.deepEqual(t.copied, ['http://127.0.0.1:9000/']);

  const none = createBrowserInspectorApi({ fetch: fakeFetch(() => json(INIT)).fetch, clipboard: null });
  await assert.rejects(none.copyText('x'), /clipboard is not available to this page/);

  const refusing = createBrowserInspectorApi({
    fetch: fakeFetch(() => json(INIT)).fetch,
    clipboard: { writeText: () => Promise.reject(new Error('Document is not focused.')) },
  });
  await assert.rejects(refusing.copyText('x'), /the browser refused the clipboard: Document is not focused\./);
});
