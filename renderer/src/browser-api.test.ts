import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBrowserInspectorApi, MAX_PENDING_BATCHES, type EventSourceConstructor, type EventSourceLike, type ServerEvent } from './browser-api';
import { base64FromBytes, encodeRecordBatchBinary, SSE_EVENTS, UI_PATHS } from '../../common/browser-protocol';
import { decodeRecordBatch, type RecordBatch } from '../../common/record-batch';
import type { EngineStatus, InspectorInit } from '../../common/inspector-api';
import { DEFAULT_CANNED_RESPONSE } from '../../common/canned-response';
import { simpleGets } from './model/test/batch-fixture';

// The browser's own EventSource must fit what createBrowserInspectorApi accepts (checked by the compiler only).
const _browserEventSourceFits: EventSourceConstructor | undefined = undefined as unknown as typeof EventSource;

const LISTEN = { host: '127.0.0.1', port: 9000 };
const LISTENING: EngineStatus = { state: 'listening', listen: LISTEN, url: 'http://127.0.0.1:9000/' };
const INIT: InspectorInit = { mode: 'browser', listen: LISTEN, response: DEFAULT_CANNED_RESPONSE, status: LISTENING };

/** EventSources made by the code under test, driven by hand: the test emits events and sets readyState. */
function fakeEventSources() {
  const made: FakeEventSource[] = [];
  class FakeEventSource implements EventSourceLike {
    readyState = 0;
    readonly listeners = new Map<string, ((event: ServerEvent) => void)[]>();
    constructor(readonly url: string) {
      made.push(this);
    }
    addEventListener(type: string, listener: (event: ServerEvent) => void): void {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    }
    close(): void {
      this.readyState = 2;
    }
    emit(type: string, data?: string): void {
      for (const l of this.listeners.get(type) ?? []) l({ data });
    }
  }
  return { EventSource: FakeEventSource, made };
}

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

function setup(answer: (url: string, init: RequestInit | undefined) => Response | Promise<Response> = () => json(INIT)) {
  const es = fakeEventSources();
  const f = fakeFetch(answer);
  const reports: string[] = [];
  const copied: string[] = [];
  const api = createBrowserInspectorApi({
    fetch: f.fetch,
    EventSource: es.EventSource,
    clipboard: { writeText: async (t) => void copied.push(t) },
    report: (line) => reports.push(line),
  });
  const source = (): InstanceType<typeof es.EventSource> => {
    assert.equal(es.made.length, 1, 'exactly one EventSource');
    return es.made[0]!;
  };
  return { api, calls: f.calls, made: es.made, source, reports, copied };
}

const recordsData = (batch: RecordBatch): string => base64FromBytes(encodeRecordBatchBinary(batch));
const ids = (batch: RecordBatch): number[] => decodeRecordBatch(batch).map((r) => r.id);

test('init GETs the init path with the cookie and returns the settings; the event stream opens once', async () => {
  const t = setup();
  assert.equal(t.made.length, 0, 'nothing is opened before it is needed');
  assert.deepEqual(await t.api.init(), INIT);
  assert.equal(t.calls.length, 1);
  assert.equal(t.calls[0]!.url, UI_PATHS.init);
  assert.equal(t.calls[0]!.init?.credentials, 'same-origin');
  assert.equal(t.calls[0]!.init?.method ?? 'GET', 'GET');
  t.api.onRecords(() => undefined);
  t.api.onStatus(() => undefined);
  assert.equal(t.source().url, UI_PATHS.events);
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

test('records events are decoded and delivered in order, to every listener, over one stream', () => {
  const t = setup();
  const a: number[][] = [];
  const b: number[][] = [];
  t.api.onRecords((batch) => a.push(ids(batch)));
  t.api.onRecords((batch) => b.push(ids(batch)));
  for (let i = 0; i < 3; i++) t.source().emit(SSE_EVENTS.records, recordsData(simpleGets(2 + i, i * 10)));
  assert.deepEqual(a, [[1, 2], [11, 12, 13], [21, 22, 23, 24]]);
  assert.deepEqual(b, a);
  assert.deepEqual(t.reports, []);
});

test('batches that arrive before anyone subscribes are handed to the first subscriber (bounded)', async () => {
  const t = setup();
  await t.api.init(); // opens the stream
  t.source().emit(SSE_EVENTS.records, recordsData(simpleGets(1, 0)));
  t.source().emit(SSE_EVENTS.records, recordsData(simpleGets(1, 1)));
  const got: number[][] = [];
  const off = t.api.onRecords((batch) => got.push(ids(batch)));
  assert.deepEqual(got, [[1], [2]]);
  t.source().emit(SSE_EVENTS.records, recordsData(simpleGets(1, 2)));
  assert.deepEqual(got, [[1], [2], [3]]);
  // Unsubscribed: kept again for the next subscriber, up to the bound; the overflow is reported.
  off();
  const one = recordsData(simpleGets(1, 0));
  for (let i = 0; i < MAX_PENDING_BATCHES + 2; i++) t.source().emit(SSE_EVENTS.records, one);
  let later = 0;
  t.api.onRecords(() => later++);
  assert.equal(later, MAX_PENDING_BATCHES);
  assert.deepEqual(t.reports, ['2 record batch(es) arrived before the page subscribed and were dropped']);
  assert.deepEqual(got.length, 3, 'the unsubscribed listener heard nothing more');
});

test('a malformed records event is reported once and skipped; the stream goes on', () => {
  const t = setup();
  const got: number[][] = [];
  t.api.onRecords((batch) => got.push(ids(batch)));
  const garbage = base64FromBytes(new Uint8Array([1, 2, 3, 4, 5]));
  const truncated = recordsData(simpleGets(3)).slice(0, -8);
  assert.doesNotThrow(() => {
    t.source().emit(SSE_EVENTS.records, 'not base64!');
    t.source().emit(SSE_EVENTS.records, garbage);
    t.source().emit(SSE_EVENTS.records, truncated);
    t.source().emit(SSE_EVENTS.records);
  });
  t.source().emit(SSE_EVENTS.records, recordsData(simpleGets(1, 6)));
  assert.deepEqual(got, [[7]]);
  assert.equal(t.reports.length, 4);
  assert.match(t.reports[0]!, /records event was skipped: its data is not base64/);
  assert.match(t.reports[1]!, /records event was skipped: its data is not a valid record batch/);
});

test('a listener that throws does not stop the others', () => {
  const t = setup();
  let heard = 0;
  t.api.onRecords(() => { throw new Error('boom'); });
  t.api.onRecords(() => heard++);
  t.source().emit(SSE_EVENTS.records, recordsData(simpleGets(1)));
  assert.equal(heard, 1);
  assert.deepEqual(t.reports, ['listener failed: boom']);
});

test('status events reach status listeners; ones that are not an EngineStatus are skipped', () => {
  const t = setup();
  const got: EngineStatus[] = [];
  const off = t.api.onStatus((s) => got.push(s));
  const crashed: EngineStatus = { state: 'crashed', listen: LISTEN, message: 'gone', restartInMs: 1000, attempt: 1 };
  t.source().emit(SSE_EVENTS.status, JSON.stringify(LISTENING));
  t.source().emit(SSE_EVENTS.status, '{not json');
  t.source().emit(SSE_EVENTS.status, JSON.stringify({ state: 'sleeping', listen: LISTEN }));
  t.source().emit(SSE_EVENTS.status, JSON.stringify(crashed));
  assert.deepEqual(got, [LISTENING, crashed]);
  assert.equal(t.reports.length, 2);
  off();
  t.source().emit(SSE_EVENTS.status, JSON.stringify(LISTENING));
  assert.equal(got.length, 2);
});

test('errors while reconnecting are left to EventSource; CLOSED becomes an error status with the last known address', () => {
  const t = setup();
  const got: EngineStatus[] = [];
  t.api.onStatus((s) => got.push(s));
  const elsewhere = { host: '::1', port: 8123 };
  t.source().emit(SSE_EVENTS.status, JSON.stringify({ state: 'listening', listen: elsewhere, url: 'http://[::1]:8123/' }));
  t.source().readyState = 0; // CONNECTING: the browser retries and the server replays after Last-Event-ID
  t.source().emit('error');
  assert.equal(got.length, 1);
  t.source().readyState = 2; // CLOSED: the browser gave up (e.g. 401)
  t.source().emit('error');
  t.source().emit('error');
  assert.equal(got.length, 2, 'reported once');
  const lost = got[1]!;
  assert.equal(lost.state, 'error');
  assert.ok(lost.state === 'error');
  assert.deepEqual(lost.listen, elsewhere);
  assert.equal(lost.code, null);
  assert.match(lost.message, /^lost the connection to sockeye serve --ui/);
  // A status listener that subscribes afterwards still learns it.
  const late: EngineStatus[] = [];
  t.api.onStatus((s) => late.push(s));
  assert.deepEqual(late, [lost]);
});

test('CLOSED before any status event: the address from init is the last known one', async () => {
  const t = setup();
  await t.api.init();
  const got: EngineStatus[] = [];
  t.api.onStatus((s) => got.push(s));
  t.source().readyState = 2;
  t.source().emit('error');
  assert.deepEqual(got.map((s) => [s.state, s.listen]), [['error', LISTEN]]);
});

test('onAction: no native menu in a browser, so nothing is ever sent; unsubscribe is harmless', () => {
  const t = setup();
  let actions = 0;
  const off = t.api.onAction(() => actions++);
  assert.equal(typeof off, 'function');
  off();
  assert.equal(actions, 0);
  assert.equal(t.made.length, 0, 'actions need no event stream');
});

test('copyText writes to the clipboard; without one, or when the browser refuses, it rejects saying why', async () => {
  const t = setup();
  await t.api.copyText('http://127.0.0.1:9000/');
  assert.deepEqual(t.copied, ['http://127.0.0.1:9000/']);

  const none = createBrowserInspectorApi({ fetch: fakeFetch(() => json(INIT)).fetch, EventSource: fakeEventSources().EventSource, clipboard: null });
  await assert.rejects(none.copyText('x'), /clipboard is not available to this page/);

  const refusing = createBrowserInspectorApi({
    fetch: fakeFetch(() => json(INIT)).fetch,
    EventSource: fakeEventSources().EventSource,
    clipboard: { writeText: () => Promise.reject(new Error('Document is not focused.')) },
  });
  await assert.rejects(refusing.copyText('x'), /the browser refused the clipboard: Document is not focused\./);
});
