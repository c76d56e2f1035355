/**
 * The inspector site at the handler level: fake requests in, answers out.
 * Access refusals, the cookie redirect, the API routes with their body rules,
 * the event stream, static files, and the security headers on every answer.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeaderPair } from '../../common/capture-record';
import { FRAME_TYPE, FrameReader, RECORDS_CONTENT_TYPE, UI_PATHS, uiCookieName } from '../../common/browser-protocol';
import { RecordBatchBuilder } from '../../common/record-batch';
import { DEFAULT_CANNED_RESPONSE } from '../../common/canned-response';
import type { CommandResult, EngineStatus, InspectorInit } from '../../common/inspector-api';
import type { HandlerResult, StreamedResponse, WholeResponse } from '../../server/http-handler';
import { createInspectorAdmission, createInspectorSite, INSPECTOR_CSP, SECURITY_HEADERS, type InspectorControl } from './inspector-site';
import { RecordFeed } from './record-feed';
import { FakeStream, fakeRequest, HOST, ORIGIN, UI_PORT } from './test/fake-http';

const REPO = join(__dirname, '..', '..', '..');
const SECRET = '0123456789abcdef'.repeat(4);
const COOKIE: HeaderPair = ['Cookie', `${uiCookieName(UI_PORT)}=${SECRET}`];
const LISTEN = { host: '127.0.0.1', port: 8080 };
const STATUS: EngineStatus = { state: 'listening', listen: LISTEN, url: 'http://127.0.0.1:8080/' };

const root = mkdtempSync(join(tmpdir(), 'sockeye-site-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>Sockeye</title>');
writeFileSync(join(root, 'assets', 'index-AbC123xy.js'), 'console.log(1)');
const feed = new RecordFeed({ status: STATUS });
after(() => {
  feed.close();
  rmSync(root, { recursive: true, force: true });
});

const calls: Array<[string, unknown]> = [];
let listenResult: CommandResult | Promise<CommandResult> = { ok: true };
const control: InspectorControl = {
  init: (): InspectorInit => ({ mode: 'browser', listen: LISTEN, response: DEFAULT_CANNED_RESPONSE, status: STATUS }),
  setResponse(input) {
    calls.push(['response', input]);
    return (input as { status?: unknown }).status === 999 ? { ok: false, errors: [{ field: 'status', message: 'bad status' }] } : { ok: true };
  },
  setListen(input) {
    calls.push(['listen', input]);
    return listenResult;
  },
};
const site = createInspectorSite({ rendererRoot: root, secret: SECRET, uiHost: '127.0.0.1', uiPort: UI_PORT, feed, control });

const ok = (extra: HeaderPair[] = []): HeaderPair[] => [['Host', HOST], COOKIE, ...extra];
const post = (path: string, body: string, type = 'application/json'): HandlerResult =>
  site(fakeRequest('POST', path, ok([['Origin', ORIGIN], ['Content-Type', type]]), body));

function header(res: HandlerResult, name: string): string | null {
  const found = (res.headers ?? []).filter(([n]) => n.toLowerCase() === name.toLowerCase());
  assert.ok(found.length <= 1, `${name} appears ${found.length} times`);
  return found[0]?.[1] ?? null;
}

function whole(res: HandlerResult): WholeResponse {
  assert.equal(res.kind, 'whole');
  return res as WholeResponse;
}

const bodyText = (res: HandlerResult): string => String(whole(res).body ?? '');

function assertSecurityHeaders(res: HandlerResult): void {
  for (const [name, value] of SECURITY_HEADERS) assert.equal(header(res, name), value, name);
}

test('the CSP header is renderer/index.html\'s meta CSP plus frame-ancestors', () => {
  const html = readFileSync(join(REPO, 'renderer', 'index.html'), 'utf8');
  const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  assert.ok(meta, 'renderer/index.html has a CSP meta tag');
  assert.equal(INSPECTOR_CSP, `${meta[1]}; frame-ancestors 'none'`);
});

const refusals: Array<{ name: string; method?: string; target?: string; headers: HeaderPair[]; status: number }> = [
  { name: 'no secret', headers: [['Host', HOST]], status: 401 },
  { name: 'wrong secret', headers: [['Host', HOST], ['Cookie', `${uiCookieName(UI_PORT)}=${'f'.repeat(64)}`]], status: 401 },
  { name: 'foreign Host', headers: [['Host', 'evil.example:1'], COOKIE], status: 403 },
  { name: 'foreign Origin', headers: [['Host', HOST], ['Origin', 'http://evil.example'], COOKIE], status: 403 },
  { name: 'POST without Origin', method: 'POST', target: UI_PATHS.response, headers: [['Host', HOST], COOKIE], status: 403 },
];
for (const c of refusals) {
  test(`refused: ${c.name} → ${c.status}, a short reason, security headers, no secret`, () => {
    const res = site(fakeRequest(c.method ?? 'GET', c.target ?? '/', c.headers));
    assert.equal(res.status, c.status);
    assert.equal(header(res, 'Content-Type'), 'text/plain; charset=utf-8');
    assert.match(bodyText(res), c.status === 401 ? /open the URL printed by sockeye serve --ui/ : /^Forbidden: /);
    assert.ok(!bodyText(res).includes(SECRET) && !JSON.stringify(res.headers).includes(SECRET));
    assert.equal(header(res, 'WWW-Authenticate') !== null, c.status === 401);
    assertSecurityHeaders(res);
    assert.equal(calls.length, 0, 'no command ran');
  });
}

test('the printed URL: 303 to the page without the secret, setting a strict HttpOnly cookie', () => {
  const res = site(fakeRequest('GET', `/?secret=${SECRET}`));
  assert.equal(res.status, 303);
  assert.equal(header(res, 'Location'), '/');
  assert.equal(header(res, 'Set-Cookie'), `${uiCookieName(UI_PORT)}=${SECRET}; HttpOnly; SameSite=Strict; Path=/`);
  assert.equal(header(res, 'Cache-Control'), 'no-store');
  assert.equal(header(res, 'Referrer-Policy'), 'no-referrer');
  assertSecurityHeaders(res);
});

test('GET / with the cookie: the built page, with the security headers', () => {
  const res = site(fakeRequest('GET', '/', ok()));
  assert.equal(res.status, 200);
  assert.equal(header(res, 'Content-Type'), 'text/html; charset=utf-8');
  assert.match(String((res as WholeResponse).body), /<title>Sockeye<\/title>/);
  assertSecurityHeaders(res);
  const asset = site(fakeRequest('GET', '/assets/index-AbC123xy.js', ok()));
  assert.equal(asset.status, 200);
  assertSecurityHeaders(asset);
  const missing = site(fakeRequest('GET', '/nothing.js', ok()));
  assert.equal(missing.status, 404);
  assertSecurityHeaders(missing);
});

test('GET init: InspectorInit as JSON (mode browser)', () => {
  const res = site(fakeRequest('GET', UI_PATHS.init, ok()));
  assert.equal(res.status, 200);
  assert.equal(header(res, 'Content-Type'), 'application/json');
  const init = JSON.parse(bodyText(res)) as InspectorInit;
  assert.equal(init.mode, 'browser');
  assert.deepEqual(init.status, STATUS);
  assertSecurityHeaders(res);
});

test('GET events: a binary frame stream subscribed to the feed after the ?after= sequence number', () => {
  for (let i = 0; i < 3; i++) feed.publishBatch(new RecordBatchBuilder().take());
  const res = site(fakeRequest('GET', `${UI_PATHS.events}?x=1&after=2`, ok([['Last-Event-ID', '0']])));
  assert.equal(res.kind, 'stream');
  assert.equal(res.status, 200);
  assert.equal(header(res, 'Content-Type'), RECORDS_CONTENT_TYPE);
  assert.equal(RECORDS_CONTENT_TYPE, 'application/vnd.sockeye.records');
  assert.equal(header(res, 'Cache-Control'), 'no-store');
  assert.equal(header(res, 'X-Content-Type-Options'), 'nosniff');
  assert.equal(header(res, 'X-Accel-Buffering'), 'no');
  assert.equal(res.headers!.filter(([n]) => n.toLowerCase() === 'x-content-type-options').length, 1);
  assertSecurityHeaders(res);
  const stream = new FakeStream();
  (res as StreamedResponse).open(stream);
  const frames = new FrameReader().push(stream.bytes);
  assert.deepEqual(frames.map((f) => [f.type, f.seq]), [[FRAME_TYPE.status, 0], [FRAME_TYPE.records, 3]]);
  assert.match(Buffer.from(frames[0]!.payload).toString('utf8'), /^\{"state":"listening"/);
  assert.equal(feed.stats().subscribers, 1);
  stream.close('client-closed');
  assert.equal(feed.stats().subscribers, 0);
  // Without ?after= everything kept is replayed.
  const all = site(fakeRequest('GET', UI_PATHS.events, ok()));
  const whole = new FakeStream();
  (all as StreamedResponse).open(whole);
  assert.deepEqual(new FrameReader().push(whole.bytes).map((f) => f.seq), [0, 1, 2, 3]);
  whole.close('client-closed');
});

test('POST response: applied → 200 {ok:true}; refused → 422 with the errors', () => {
  calls.length = 0;
  const applied = post(UI_PATHS.response, JSON.stringify({ status: 201 }));
  assert.equal(applied.status, 200);
  assert.deepEqual(JSON.parse(bodyText(applied)), { ok: true });
  assert.deepEqual(calls, [['response', { status: 201 }]]);
  assertSecurityHeaders(applied);
  const refused = post(UI_PATHS.response, JSON.stringify({ status: 999 }));
  assert.equal(refused.status, 422);
  assert.deepEqual(JSON.parse(bodyText(refused)), { ok: false, errors: [{ field: 'status', message: 'bad status' }] });
});

test('POST bodies: not JSON → 400 with errors; wrong Content-Type → 415; bad UTF-8 → 400; GET → 405', () => {
  calls.length = 0;
  const notJson = post(UI_PATHS.response, '{"status": ');
  assert.equal(notJson.status, 400);
  const r = JSON.parse(bodyText(notJson)) as CommandResult;
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.errors[0]!.message : '', /not valid JSON/);
  assert.equal(post(UI_PATHS.response, '{}', 'text/plain').status, 415);
  assert.equal(post(UI_PATHS.response, '{}', 'application/x-www-form-urlencoded').status, 415);
  assert.equal(post(UI_PATHS.response, '{}', 'Application/JSON; charset=utf-8').status, 200);
  assert.equal(site(fakeRequest('POST', UI_PATHS.response, ok([['Origin', ORIGIN]]), '{}')).status, 415, 'no Content-Type');
  const badUtf8 = site(fakeRequest('POST', UI_PATHS.response, ok([['Origin', ORIGIN], ['Content-Type', 'application/json']]), Buffer.from([0x22, 0xff, 0x22])));
  assert.equal(badUtf8.status, 400);
  assert.equal(site(fakeRequest('GET', UI_PATHS.response, ok())).status, 405);
  assert.equal(site(fakeRequest('POST', UI_PATHS.init, ok([['Origin', ORIGIN], ['Content-Type', 'application/json']]), '{}')).status, 405);
  assert.deepEqual(calls, [['response', {}]]);
});

test('POST listen: a synchronous result is one answer; a promise is streamed as one JSON document', async () => {
  listenResult = { ok: false, errors: [{ field: 'listen.port', message: 'nope' }] };
  const sync = post(UI_PATHS.listen, JSON.stringify({ host: '127.0.0.1', port: 0 }));
  assert.equal(sync.status, 422);

  listenResult = Promise.resolve({ ok: true });
  const later = post(UI_PATHS.listen, JSON.stringify({ host: '127.0.0.1', port: 9000 }));
  assert.equal(later.kind, 'stream');
  assert.equal(header(later, 'Content-Type'), 'application/json');
  assertSecurityHeaders(later);
  const stream = new FakeStream();
  (later as StreamedResponse).open(stream);
  await new Promise((r) => setImmediate(r));
  assert.equal(stream.text, '{"ok":true}');
  assert.equal(stream.closed, true);
});

test('admission at the head: a request with a body is refused before its body is read unless it passes the access check', () => {
  const admit = createInspectorAdmission({ secret: SECRET, uiHost: '127.0.0.1', uiPort: UI_PORT });
  const body: HeaderPair = ['Content-Length', String(30 * 1024 * 1024)];
  const chunked: HeaderPair = ['Transfer-Encoding', 'chunked'];
  const cases: Array<[name: string, headers: HeaderPair[], expected: number | null]> = [
    ['a body without the cookie: 401', [['Host', HOST], ['Origin', ORIGIN], body], 401],
    ['a chunked body without the cookie: 401', [['Host', HOST], ['Origin', ORIGIN], chunked], 401],
    ['a body with a foreign Host: 403', [['Host', 'evil.example:80'], COOKIE, ['Origin', ORIGIN], body], 403],
    ['a body with a foreign Origin: 403', [['Host', HOST], COOKIE, ['Origin', 'http://evil.example'], body], 403],
    ['a body with the cookie and our Origin: admitted', [['Host', HOST], COOKIE, ['Origin', ORIGIN], body], null],
    ['no body: left to the site (which checks it the same way)', [['Host', HOST]], null],
  ];
  for (const [name, headers, expected] of cases) {
    const res = admit(fakeRequest('POST', UI_PATHS.response, headers, ''));
    assert.equal(res === null ? null : res.status, expected, name);
    if (res) assert.equal(header(res, 'Content-Security-Policy'), INSPECTOR_CSP, `${name}: security headers`);
  }
});
