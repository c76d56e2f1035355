/**
 * `sockeye serve --ui` end to end: the built command in a child process, the
 * capture port and the inspector port talked to over loopback with Node's
 * clients (tests only). Access control, the cookie hand-off, the API, the
 * event stream with replay, moving the capture listener, and the secret
 * staying out of everything but stdout line 2.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecordBatchBinary, EVENTS_AFTER_PARAM, FRAME_TYPE, FrameReader, RECORDS_CONTENT_TYPE, UI_PATHS, uiCookieName, type Frame } from '../../common/browser-protocol';
import type { EngineStatus, InspectorInit } from '../../common/inspector-api';
import { decodeRecordBatch, type RecordBatch } from '../../common/record-batch';
import { exchange, killAll, LISTENING_RE, REPO_ROOT, spawnCli, waitForExit, WAIT_MS, type CliProcess } from '../test/harness';
import { INSPECTOR_CSP } from './inspector-site';
import { OPEN_TICKET_ENV, RENDERER_DIR_ENV, takeOpenTicket } from './serve-ui';

const TEST_TIMEOUT_MS = 60_000;
const INSPECTOR_RE = /^inspector on (http:\/\/127\.0\.0\.1:(\d+)\/\?secret=([0-9a-f]{64}))$/m;
const RENDERER = join(REPO_ROOT, 'dist', 'renderer');

after(() => killAll());

interface UiServer {
  p: CliProcess;
  capturePort: number;
  uiPort: number;
  url: string;
  secret: string;
  host: string;
  origin: string;
  cookie: string;
}

async function startUi(extra: string[] = [], env: Record<string, string> = {}): Promise<UiServer> {
  assert.ok(existsSync(join(RENDERER, 'index.html')), `${RENDERER}/index.html is missing: run \`npm run build\` (or npx vite build) first`);
  // spawnCli passes process.env on: set `env` for the spawn only.
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  let p: CliProcess;
  try {
    p = spawnCli(['serve', '--ui', '--port', '0', '--ui-port', '0', ...extra]);
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const listening = await p.waitForStdout(LISTENING_RE);
  const inspector = await p.waitForStdout(INSPECTOR_RE);
  const uiPort = Number(inspector[2]);
  const secret = inspector[3]!;
  return {
    p, capturePort: Number(listening[1]), uiPort, url: inspector[1]!, secret,
    host: `127.0.0.1:${uiPort}`, origin: `http://127.0.0.1:${uiPort}`, cookie: `${uiCookieName(uiPort)}=${secret}`,
  };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One HTTP request to 127.0.0.1:port with exactly the headers given (Node adds Host only when none is set). */
function http(port: number, method: string, path: string, headers: Record<string, string | string[]> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: WAIT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${WAIT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

const ui = (s: UiServer, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> =>
  http(s.uiPort, method, path, { Host: s.host, Cookie: s.cookie, ...headers }, body);
const postJson = (s: UiServer, path: string, value: unknown): Promise<Answer> =>
  ui(s, 'POST', path, { Origin: s.origin, 'Content-Type': 'application/json' }, JSON.stringify(value));

/** A live reader of UI_PATHS.events, as the page reads it: frames out of a byte stream cut anywhere. */
class FrameClient {
  readonly frames: Frame[] = [];
  status = 0;
  contentType = '';
  private readonly reader = new FrameReader();
  private readonly waiters = new Set<() => void>();
  private readonly req: ReturnType<typeof request>;
  readonly ready: Promise<void>;

  constructor(s: UiServer, after?: number) {
    const headers: Record<string, string> = { Host: s.host, Cookie: s.cookie, Accept: RECORDS_CONTENT_TYPE };
    const path = after === undefined ? UI_PATHS.events : `${UI_PATHS.events}?${EVENTS_AFTER_PARAM}=${after}`;
    let opened: () => void = () => {};
    let failed: (err: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => { opened = resolve; failed = reject; });
    this.req = request({ host: '127.0.0.1', port: s.uiPort, path, headers, agent: false }, (res) => {
      this.status = res.statusCode ?? 0;
      this.contentType = String(res.headers['content-type']);
      res.on('data', (d: Buffer) => {
        this.frames.push(...this.reader.push(new Uint8Array(d.buffer, d.byteOffset, d.length)));
        assert.equal(this.reader.error, null);
        for (const w of this.waiters) w();
      });
      // A destroyed stream (close()) ends with an abort error; nothing waits on it.
      res.on('error', () => {});
      opened();
    });
    this.req.on('error', (err) => failed(err));
    this.req.end();
  }

  /** The first frame (from the start) that satisfies `pred`. */
  waitFor(pred: (f: Frame) => boolean, what: string): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.frames.find(pred);
        if (found) finish(() => resolve(found));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no frame ${what} within ${WAIT_MS} ms; got ${JSON.stringify(this.frames.map((f) => [f.type, f.seq, f.payload.length]))}`))), WAIT_MS);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.req.destroy();
  }
}

function batchOf(f: Frame): RecordBatch {
  const batch = decodeRecordBatchBinary(f.payload);
  assert.ok(batch, 'a records payload is a binary record batch');
  return batch;
}

const statusOf = (f: Frame): EngineStatus => JSON.parse(Buffer.from(f.payload).toString('utf8')) as EngineStatus;
const targetsIn = (f: Frame): string[] => decodeRecordBatch(batchOf(f)).map((r) => r.target);
const hasTarget = (target: string) => (f: Frame): boolean => f.type === FRAME_TYPE.records && targetsIn(f).includes(target);
const isStatus = (state: EngineStatus['state'], port?: number) => (f: Frame): boolean => {
  if (f.type !== FRAME_TYPE.status) return false;
  const s = statusOf(f);
  return s.state === state && (port === undefined || s.listen.port === port);
};

/** A GET to the capture port; resolves with the answer's status line. */
async function capture(port: number, target: string, headers = ''): Promise<string> {
  const r = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}Connection: close\r\n\r\n`);
  return r.response.toString('latin1').split('\r\n')[0]!;
}

async function stop(s: UiServer): Promise<void> {
  s.p.child.kill('SIGTERM');
  assert.deepEqual(await waitForExit(s.p), { code: 0, signal: null }, `stderr: ${s.p.stderr()}`);
}

/** stdout lines after line 2, each a captured request. */
const recordLines = (s: UiServer): string[] => s.p.stdout().split('\n').slice(2).filter((l) => l !== '');

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listenOn(0);
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('serve --ui: access control, the cookie hand-off, the page and the API', { timeout: TEST_TIMEOUT_MS }, async () => {
  const s = await startUi();
  try {
    const lines = s.p.stdout().split('\n');
    assert.match(lines[0]!, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(lines[1]!, INSPECTOR_RE);

    // No secret, wrong secret (cookie and URL): 401 with a reason, never the secret.
    const none = await http(s.uiPort, 'GET', '/', { Host: s.host });
    assert.equal(none.status, 401);
    assert.match(none.body, /open the URL printed by sockeye serve --ui/);
    const wrongCookie = await http(s.uiPort, 'GET', UI_PATHS.init, { Host: s.host, Cookie: `${uiCookieName(s.uiPort)}=${'0'.repeat(64)}` });
    assert.equal(wrongCookie.status, 401);
    const wrongQuery = await http(s.uiPort, 'GET', `/?secret=${'1'.repeat(64)}`, { Host: s.host });
    assert.equal(wrongQuery.status, 401);
    // Foreign Origin, foreign Host (DNS rebinding), another port's cookie name.
    assert.equal((await ui(s, 'GET', UI_PATHS.init, { Origin: 'http://evil.example' })).status, 403);
    assert.equal((await ui(s, 'GET', UI_PATHS.init, { Host: `evil.example:${s.uiPort}` })).status, 403);
    assert.equal((await http(s.uiPort, 'GET', `/?secret=${s.secret}`, { Host: `evil.example:${s.uiPort}` })).status, 403);
    assert.equal((await ui(s, 'POST', UI_PATHS.response, { 'Content-Type': 'application/json' }, '{}')).status, 403, 'POST without Origin');
    assert.equal((await http(s.uiPort, 'GET', UI_PATHS.init, { Host: s.host, Cookie: `${uiCookieName(s.uiPort + 1)}=${s.secret}` })).status, 401);
    for (const a of [none, wrongCookie, wrongQuery]) assert.ok(!a.body.includes(s.secret) && !JSON.stringify(a.headers).includes(s.secret));

    // The printed URL: 303 to the page without the secret, setting the cookie.
    const first = await http(s.uiPort, 'GET', new URL(s.url).pathname + new URL(s.url).search, { Host: s.host });
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/');
    const setCookie = first.headers['set-cookie'] ?? [];
    assert.equal(setCookie.length, 1);
    assert.match(setCookie[0]!, new RegExp(`^${uiCookieName(s.uiPort)}=${s.secret}; `));
    assert.match(setCookie[0]!, /; HttpOnly(;|$)/);
    assert.match(setCookie[0]!, /; SameSite=Strict(;|$)/);
    assert.equal(first.headers['cache-control'], 'no-store');

    // With the cookie: the built page with the CSP header, and init.
    const page = await ui(s, 'GET', first.headers.location!);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<div id="root">|<script/);
    assert.equal(page.headers['content-security-policy'], INSPECTOR_CSP);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const init = await ui(s, 'GET', UI_PATHS.init);
    assert.equal(init.status, 200);
    const value = JSON.parse(init.body) as InspectorInit;
    assert.equal(value.mode, 'browser');
    assert.deepEqual(value.listen, { host: '127.0.0.1', port: s.capturePort });
    assert.equal(value.status.state, 'listening');

    // A new canned response applies to the next captured request; an invalid one is refused with errors.
    const set = await postJson(s, UI_PATHS.response, { status: 418, reason: '', headers: [], body: 'teapot', bodyEncoding: 'utf8' });
    assert.equal(set.status, 200, set.body);
    assert.deepEqual(JSON.parse(set.body), { ok: true });
    assert.equal(await capture(s.capturePort, '/after-set'), 'HTTP/1.1 418 I\'m a teapot');
    const bad = await postJson(s, UI_PATHS.response, { status: 99, headers: [], body: '' });
    assert.equal(bad.status, 422);
    const badResult = JSON.parse(bad.body) as { ok: boolean; errors: Array<{ field: string }> };
    assert.equal(badResult.ok, false);
    assert.ok(badResult.errors.some((e) => e.field === 'status'), bad.body);
    const notJson = await ui(s, 'POST', UI_PATHS.response, { Origin: s.origin, 'Content-Type': 'application/json' }, '{"status":');
    assert.equal(notJson.status, 400);
    assert.equal((JSON.parse(notJson.body) as { ok: boolean }).ok, false);

    // None of the inspector requests were captured: the only record lines are the capture port's.
    await s.p.waitForStdout(/\/after-set\n/);
    const records = recordLines(s);
    assert.equal(records.length, 1, records.join('\n'));
    assert.match(records[0]!, / 418 .*\/after-set$/);
  } finally {
    await stop(s);
  }
  assert.equal(s.p.stderr(), '');
});

test('serve --ui: a request with a body and no secret is refused at its head, before any of the body is read', { timeout: TEST_TIMEOUT_MS }, async () => {
  const s = await startUi();
  try {
    // 30 MiB announced, none sent: the 401 must come anyway (the engine never waits for, or holds, the body).
    const head = `POST ${UI_PATHS.response} HTTP/1.1\r\nHost: ${s.host}\r\nOrigin: ${s.origin}\r\nContent-Type: application/json\r\nContent-Length: ${30 * 1024 * 1024}\r\n\r\n`;
    const { response, socket } = await exchange(s.uiPort, head, { untilResponse: true });
    socket.destroy();
    const text = response.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 401 /);
    assert.match(text, /\r\nConnection: close\r\n/i);
    // With the cookie the same head is admitted: the server waits for the body instead of answering.
    const admitted = connect({ host: '127.0.0.1', port: s.uiPort });
    const got: Buffer[] = [];
    admitted.on('data', (d: Buffer) => got.push(d));
    admitted.write(head.replace('\r\n\r\n', `\r\nCookie: ${s.cookie}\r\n\r\n`));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(Buffer.concat(got).length, 0, 'no answer before the body');
    admitted.destroy();
  } finally {
    await stop(s);
  }
});

test('serve --ui: records on the event stream, replay after ?after=, the secret never leaks', { timeout: TEST_TIMEOUT_MS }, async () => {
  const s = await startUi();
  try {
    assert.equal(await capture(s.capturePort, '/before-stream'), 'HTTP/1.1 200 OK');
    const client = new FrameClient(s);
    await client.ready;
    assert.equal(client.status, 200);
    assert.equal(client.contentType, RECORDS_CONTENT_TYPE);
    await client.waitFor(isStatus('listening', s.capturePort), 'listening status');
    const replayed = await client.waitFor(hasTarget('/before-stream'), 'replay of /before-stream');
    assert.equal(replayed.seq, 1);

    // A client that used the inspector (and so holds the cookie) and pastes its URL: the secret is masked.
    assert.equal(await capture(s.capturePort, `/live?secret=${s.secret}`, `Cookie: ${s.cookie}\r\n`), 'HTTP/1.1 200 OK');
    const live = await client.waitFor((f) => f.type === FRAME_TYPE.records && targetsIn(f).some((t) => t.startsWith('/live')), 'live record');
    const [record] = decodeRecordBatch(batchOf(live));
    assert.ok(record);
    assert.equal(record.target, `/live?secret=${'*'.repeat(64)}`);
    assert.deepEqual(record.headers.find(([n]) => n === 'Cookie'), ['Cookie', `${uiCookieName(s.uiPort)}=${'*'.repeat(64)}`]);
    assert.ok(!Buffer.from(record.raw).toString('latin1').includes(s.secret));
    const liveId = live.seq;
    client.close();

    assert.equal(await capture(s.capturePort, '/while-away'), 'HTTP/1.1 200 OK');
    await s.p.waitForStdout(/\/while-away\n/);
    const again = new FrameClient(s, liveId);
    await again.ready;
    const missed = await again.waitFor(hasTarget('/while-away'), 'replay of /while-away');
    assert.equal(missed.seq, liveId + 1);
    const replayedRecords = again.frames.filter((f) => f.type === FRAME_TYPE.records);
    assert.deepEqual(replayedRecords.map((f) => f.seq), [liveId + 1], 'only frames after ?after=');
    again.close();

    for (const f of [...client.frames, ...again.frames]) assert.ok(!Buffer.from(f.payload).toString('latin1').includes(s.secret));
  } finally {
    await stop(s);
  }
  const [, , ...rest] = s.p.stdout().split('\n');
  assert.ok(!rest.join('\n').includes(s.secret), 'the secret appears only on line 2');
  assert.match(rest.join('\n'), /\/live\?secret=\*{64}/);
  assert.equal(s.p.stderr(), '');
});

test('serve --ui: moving the capture listener: a taken port is an EADDRINUSE status, a free one listens', { timeout: TEST_TIMEOUT_MS }, async () => {
  const s = await startUi();
  const taken = await listenOn(0);
  try {
    const client = new FrameClient(s);
    await client.ready;
    const takenPort = (taken.address() as { port: number }).port;

    const invalid = await postJson(s, UI_PATHS.listen, { host: 'example.com', port: 0 });
    assert.equal(invalid.status, 422);

    const inUse = await postJson(s, UI_PATHS.listen, { host: '127.0.0.1', port: takenPort });
    assert.equal(inUse.status, 200, inUse.body);
    assert.deepEqual(JSON.parse(inUse.body), { ok: true });
    const error = await client.waitFor(isStatus('error', takenPort), 'error status');
    const errorStatus = statusOf(error) as Extract<EngineStatus, { state: 'error' }>;
    assert.equal(errorStatus.code, 'EADDRINUSE');
    assert.match(errorStatus.message, /already in use/);
    assert.ok(client.frames.some(isStatus('starting', takenPort)), 'starting came first');
    // The inspector stays up while the capture side is down.
    assert.equal((await ui(s, 'GET', UI_PATHS.init)).status, 200);

    const port = await freePort();
    const moved = await postJson(s, UI_PATHS.listen, { host: '127.0.0.1', port });
    assert.equal(moved.status, 200, moved.body);
    await client.waitFor(isStatus('listening', port), 'listening on the new port');
    assert.equal(await capture(port, '/moved'), 'HTTP/1.1 200 OK');
    await client.waitFor(hasTarget('/moved'), 'record from the new port');
    const init = JSON.parse((await ui(s, 'GET', UI_PATHS.init)).body) as InspectorInit;
    assert.deepEqual(init.listen, { host: '127.0.0.1', port });
    await s.p.waitForStdout(/\/moved\n/);
    client.close();
  } finally {
    await new Promise<void>((r) => taken.close(() => r()));
    await stop(s);
  }
  assert.equal(s.p.stderr(), '');
});

test('serve --ui: the open ticket from the environment is good once, for the same cookie as the secret', { timeout: TEST_TIMEOUT_MS }, async () => {
  const ticket = 'e'.repeat(64);
  const s = await startUi([], { [OPEN_TICKET_ENV]: ticket });
  try {
    // Not a page GET: refused, and not used up.
    assert.equal((await http(s.uiPort, 'GET', `${UI_PATHS.init}?ticket=${ticket}`, { Host: s.host })).status, 401);
    assert.equal((await http(s.uiPort, 'GET', `/?ticket=${'f'.repeat(64)}`, { Host: s.host })).status, 401);

    const first = await http(s.uiPort, 'GET', `/?ticket=${ticket}`, { Host: s.host });
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/');
    assert.deepEqual(first.headers['set-cookie'], [`${uiCookieName(s.uiPort)}=${s.secret}; HttpOnly; SameSite=Strict; Path=/`]);
    assert.equal((await ui(s, 'GET', UI_PATHS.init)).status, 200, 'the cookie it handed out works');

    const again = await http(s.uiPort, 'GET', `/?ticket=${ticket}`, { Host: s.host });
    assert.equal(again.status, 401);
    assert.ok(!again.body.includes(ticket) && !again.body.includes(s.secret));
    // The printed URL still works.
    assert.equal((await http(s.uiPort, 'GET', `/?secret=${s.secret}`, { Host: s.host })).status, 303);
  } finally {
    await stop(s);
  }
  assert.ok(!s.p.stdout().includes(ticket), 'the ticket is never printed');
  assert.equal(s.p.stderr(), '');
});

test('serve --ui without an open ticket refuses every ticket', { timeout: TEST_TIMEOUT_MS }, async () => {
  const s = await startUi([], { [OPEN_TICKET_ENV]: 'short' });
  try {
    assert.equal((await http(s.uiPort, 'GET', '/?ticket=short', { Host: s.host })).status, 401, 'a malformed ticket is no ticket');
  } finally {
    await stop(s);
  }
});

test('takeOpenTicket: takes a well-formed ticket and removes the variable either way', () => {
  const ticket = 'e'.repeat(64);
  const env: NodeJS.ProcessEnv = { [OPEN_TICKET_ENV]: ticket, OTHER: 'x' };
  assert.equal(takeOpenTicket(env), ticket);
  assert.deepEqual(env, { OTHER: 'x' });
  const bad: NodeJS.ProcessEnv = { [OPEN_TICKET_ENV]: 'E'.repeat(64) };
  assert.equal(takeOpenTicket(bad), null);
  assert.deepEqual(bad, {});
  assert.equal(takeOpenTicket({}), null);
});

/** The body of a chunked answer (RFC 9112 §7.1), and whether it ended with the last chunk and nothing after. */
function dechunk(body: Buffer): { data: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return { data: Buffer.concat(parts), complete: false };
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { data: Buffer.concat(parts), complete: false };
    if (size === 0) return { data: Buffer.concat(parts), complete: body.subarray(eol).toString('latin1') === '\r\n\r\n' };
    if (body.length < eol + 2 + size + 2) return { data: Buffer.concat(parts), complete: false };
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

test('serve --ui: on SIGTERM an event stream gets the last records and a well-formed end (the last chunk)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const s = await startUi();
  const socket = connect({ host: '127.0.0.1', port: s.uiPort });
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<void>((resolve, reject) => {
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  try {
    socket.write(`GET ${UI_PATHS.events} HTTP/1.1\r\nHost: ${s.host}\r\nCookie: ${s.cookie}\r\nAccept: ${RECORDS_CONTENT_TYPE}\r\n\r\n`);
    const deadline = Date.now() + WAIT_MS;
    while (!Buffer.concat(chunks).includes('\r\n\r\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // A request answered just before the signal: its record reaches the feed as the capture engine stops.
    assert.equal(await capture(s.capturePort, '/last-one'), 'HTTP/1.1 200 OK');
  } finally {
    await stop(s);
  }
  await closed;
  const all = Buffer.concat(chunks);
  const headEnd = all.indexOf('\r\n\r\n');
  assert.ok(headEnd > 0);
  assert.match(all.subarray(0, headEnd).toString('latin1'), /^HTTP\/1\.1 200 [^\r]*\r\n(?:[^\r]*\r\n)*transfer-encoding: chunked/i);
  const { data, complete } = dechunk(all.subarray(headEnd + 4));
  assert.ok(complete, `the stream ends with the last chunk; it ended with ${JSON.stringify(all.subarray(-40).toString('latin1'))}`);
  const reader = new FrameReader();
  const frames = reader.push(new Uint8Array(data.buffer, data.byteOffset, data.length));
  assert.equal(reader.error, null);
  assert.ok(frames.some(hasTarget('/last-one')), `the last record was sent: ${JSON.stringify(frames.map((f) => [f.type, f.seq]))}`);
});

test('serve --ui without a built renderer says how to build and exits 1', { timeout: TEST_TIMEOUT_MS }, async () => {
  const empty = mkdtempSync(join(tmpdir(), 'sockeye-no-renderer-'));
  const saved = process.env[RENDERER_DIR_ENV];
  process.env[RENDERER_DIR_ENV] = empty;
  try {
    const p = spawnCli(['serve', '--ui', '--port', '0']);
    assert.deepEqual(await waitForExit(p), { code: 1, signal: null });
    assert.equal(p.stdout(), '');
    assert.match(p.stderr(), /^sockeye: the browser inspector is not built \([^\n]*index\.html is missing\); run `npm run build` first\n$/);
  } finally {
    if (saved === undefined) delete process.env[RENDERER_DIR_ENV];
    else process.env[RENDERER_DIR_ENV] = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});

test('serve --ui: an inspector port in use is one error line, and nothing stays open', { timeout: TEST_TIMEOUT_MS }, async () => {
  const taken = await listenOn(0);
  try {
    const port = (taken.address() as { port: number }).port;
    const p = spawnCli(['serve', '--ui', '--port', '0', '--ui-port', String(port)]);
    assert.deepEqual(await waitForExit(p), { code: 1, signal: null });
    assert.equal(p.stdout(), '');
    assert.equal(p.stderr(), `sockeye: inspector: port ${port} on 127.0.0.1 is already in use (EADDRINUSE)\n`);
  } finally {
    await new Promise<void>((r) => taken.close(() => r()));
  }
});

const lanAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

test('serve --ui --ui-host on a non-loopback address warns on stderr, without the secret', {
  timeout: TEST_TIMEOUT_MS, skip: lanAddress ? false : 'this machine has no non-loopback IPv4 address',
}, async () => {
  const p = spawnCli(['serve', '--ui', '--port', '0', '--ui-port', '0', '--ui-host', lanAddress!]);
  try {
    const m = await p.waitForStdout(/^inspector on http:\/\/[^/]+\/\?secret=([0-9a-f]{64})$/m);
    const deadline = Date.now() + WAIT_MS;
    while (!p.stderr().includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(p.stderr(), /^sockeye: warning: the inspector listens on [^\n]+, which other machines can reach; [^\n]+\n$/);
    assert.ok(!p.stderr().includes(m[1]!));
    assert.ok(p.stdout().includes(`http://${lanAddress}:`));
  } finally {
    p.child.kill('SIGTERM');
    assert.deepEqual(await waitForExit(p), { code: 0, signal: null });
  }
});
