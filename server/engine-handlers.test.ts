/**
 * Handler listeners over real sockets (issue 5): static files and routing
 * through the engine, streamed responses and how they end (writer, client,
 * overflow, engine stop), handler failures, malformed requests that leave no
 * record, and a capture listener of the same engine working alongside.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient, TestEngine, splitResponses, type ParsedResponse } from './test/raw-client';
import { eventually } from './test/eventually';
import { openFdCount } from '../native-bridge/test/fds';
import type { CannedResponse } from '../common/canned-response';
import type { HandlerRequest, RequestHandler, ResponseStream, StreamCloseReason, WholeResponse } from './http-handler';
import { CHUNK_COPY_MAX_BYTES } from './http-handler';
import { createRouter, json, plainText } from './router';
import { CACHE_IMMUTABLE, CACHE_REVALIDATE, staticFiles } from './static-files';

const CANNED: CannedResponse = { status: 202, reason: 'Captured', headers: [['X-Canned', 'yes']], body: 'canned', bodyEncoding: 'utf8' };
const INDEX_HTML = '<!doctype html><title>inspector</title>';
const ASSET_JS = 'export const x = 1;';
const SECRET = 'TOP SECRET PACKAGE';

let base = '';
let root = '';

before(() => {
  base = mkdtempSync(join(tmpdir(), 'sockeye-handlers-'));
  root = join(base, 'www');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), INDEX_HTML);
  writeFileSync(join(root, 'assets', 'app-AbC123xy.js'), ASSET_JS);
  // What a traversal would reach: root's parent.
  writeFileSync(join(base, 'package.json'), SECRET);
});

after(() => rmSync(base, { recursive: true, force: true }));

const header = (r: ParsedResponse, name: string): string | null =>
  r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? null;


interface Chunked {
  head: string;
  chunks: string[];
  /** The last chunk (`0\r\n\r\n`) arrived. */
  complete: boolean;
  /** Bytes after the last chunk. */
  rest: Buffer;
}

/** Decode a response with chunked framing (RFC 9112 §7.1) from what has arrived so far; fails on bad framing. */
function decodeChunked(buf: Buffer): Chunked | null {
  const headEnd = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (headEnd < 0) return null;
  const out: Chunked = { head: buf.toString('latin1', 0, headEnd), chunks: [], complete: false, rest: Buffer.alloc(0) };
  let pos = headEnd + 4;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos, 'latin1');
    if (lineEnd < 0) return out;
    const sizeText = buf.toString('latin1', pos, lineEnd);
    assert.match(sizeText, /^[0-9a-f]+$/, `chunk size line ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      if (buf.length < lineEnd + 4) return out;
      assert.equal(buf.toString('latin1', lineEnd + 2, lineEnd + 4), '\r\n', 'no trailers, then CRLF');
      out.complete = true;
      out.rest = buf.subarray(lineEnd + 4);
      return out;
    }
    const dataEnd = lineEnd + 2 + size;
    if (buf.length < dataEnd + 2) return out;
    assert.equal(buf.toString('latin1', dataEnd, dataEnd + 2), '\r\n', 'CRLF after chunk data');
    out.chunks.push(buf.toString('utf8', lineEnd + 2, dataEnd));
    pos = dataEnd + 2;
  }
}

/** A streamed handler whose streams the test drives: each open stream is pushed to `streams`. */
function streamingHandler(streams: ResponseStream[], reasons: StreamCloseReason[]): RequestHandler {
  return () => ({
    kind: 'stream',
    status: 200,
    headers: [['Content-Type', 'text/event-stream'], ['Cache-Control', 'no-store']],
    open(stream) {
      stream.onClose((reason) => reasons.push(reason));
      streams.push(stream);
    },
  });
}

/** Send a request for /api/stream and wait until the handler has opened one more stream (pushed to `streams`). */
async function openStream(port: number, streams: ResponseStream[], request = 'GET /api/stream HTTP/1.1\r\nHost: a\r\n\r\n'): Promise<RawClient> {
  const opened = streams.length + 1;
  const c = await RawClient.open(port);
  await c.write(request);
  await eventually(() => streams.length === opened, 'the stream to open');
  return c;
}

/** The app a handler listener serves in most tests: two API routes, a stream, static files behind. */
function app(streams: ResponseStream[], reasons: StreamCloseReason[]): RequestHandler {
  const files = staticFiles({ root, fallthrough: true });
  return createRouter([
    { path: '/api/hello', methods: ['GET'], handler: (req) => json(200, { hello: req.query }) },
    { path: '/api/echo', methods: ['POST'], handler: (req) => plainText(200, req.body.toString('latin1')) },
    { path: '/api/stream', methods: ['GET'], handler: streamingHandler(streams, reasons) },
    { path: '/api/boom', methods: ['GET'], handler: () => { throw new Error('handler exploded'); } },
    { path: '/api/bad-header', methods: ['GET'], handler: () => ({ kind: 'whole', status: 200, headers: [['Content-Length', '5']], body: 'hello' }) },
  ], (req) => files(req) ?? plainText(404, 'Not Found\n'));
}

/** An engine with a handler listener (listeners[0]) and a capture listener (listeners[1]). */
function startEngine(
  handler: RequestHandler, extra: { maxBodyBytes?: number; internalErrors?: unknown[] } = {},
): { e: TestEngine; handlerPort: number; capturePort: number } {
  const e = new TestEngine({
    listen: [{ host: '127.0.0.1', port: 0, handler, maxBodyBytes: extra.maxBodyBytes }, { host: '127.0.0.1', port: 0 }],
    response: CANNED,
    onInternalError: (err) => extra.internalErrors?.push(err),
  });
  return { e, handlerPort: e.engine.listeners[0]!.port, capturePort: e.engine.listeners[1]!.port };
}

/** Run `body` on a started engine, and stop the engine however `body` ends. */
async function running<T extends { e: TestEngine }>(started: T, body: (started: T) => Promise<void>): Promise<void> {
  try {
    await body(started);
  } finally {
    await started.e.stop();
  }
}

async function send(port: number, request: string, headRequests?: Set<number>, count = 1): Promise<{ c: RawClient; responses: ParsedResponse[] }> {
  const c = await RawClient.open(port);
  await c.write(request);
  const responses = await c.responses(count, headRequests);
  return { c, responses };
}

describe('static files through a handler listener', () => {
  test('GET / serves index.html with its type, validators and no-cache; keep-alive holds', async () => {
    await running(startEngine(app([], [])), async ({ handlerPort }) => {
      const { c, responses: [r] } = await send(handlerPort, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(r!.status, 200);
      assert.equal(r!.body.toString(), INDEX_HTML);
      assert.equal(header(r!, 'content-type'), 'text/html; charset=utf-8');
      assert.equal(header(r!, 'content-length'), String(Buffer.byteLength(INDEX_HTML)));
      assert.equal(header(r!, 'x-content-type-options'), 'nosniff');
      assert.equal(header(r!, 'cache-control'), CACHE_REVALIDATE);
      assert.match(header(r!, 'etag') ?? '', /^"[0-9a-f]+-[0-9a-f]+"$/);
      assert.match(header(r!, 'last-modified') ?? '', /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      assert.match(header(r!, 'date') ?? '', / GMT$/);
      assert.equal(header(r!, 'connection'), null);
      assert.equal(c.closed, false);
      c.destroy();
    });
  });

  test('a hashed asset: text/javascript and immutable', async () => {
    await running(startEngine(app([], [])), async ({ handlerPort }) => {
      const { c, responses: [r] } = await send(handlerPort, 'GET /assets/app-AbC123xy.js HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(r!.status, 200);
      assert.equal(r!.body.toString(), ASSET_JS);
      assert.equal(header(r!, 'content-type'), 'text/javascript; charset=utf-8');
      assert.equal(header(r!, 'cache-control'), CACHE_IMMUTABLE);
      c.destroy();
    });
  });

  test('ETag then If-None-Match: 304 with no content, and the connection serves the next request', async () => {
    await running(startEngine(app([], [])), async ({ handlerPort }) => {
      const c = await RawClient.open(handlerPort);
      await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      const [first] = await c.responses(1);
      const etag = header(first!, 'etag')!;
      await c.write(`GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: "nope", ${etag}\r\n\r\nGET /api/hello?x HTTP/1.1\r\nHost: a\r\n\r\n`);
      const rs = await c.responses(3);
      const notModified = rs[1]!;
      assert.equal(notModified.status, 304);
      assert.equal(header(notModified, 'etag'), etag);
      assert.equal(header(notModified, 'cache-control'), CACHE_REVALIDATE);
      assert.equal(notModified.body.length, 0);
      // Nothing between the 304's head and the next response: a 304 has no content (RFC 9110 §15.4.5).
      assert.equal(rs[2]!.status, 200);
      assert.equal(rs[2]!.body.toString(), '{"hello":"x"}');
      assert.equal(splitResponses(c.received).rest.length, 0);
      c.destroy();
    });
  });

  test('a 304 does not claim Content-Length: 0 for a non-empty file (RFC 9110 §8.6)', async () => {
    await running(startEngine(app([], [])), async ({ handlerPort }) => {
      const { c, responses: [r] } = await send(handlerPort, 'GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n');
      assert.equal(r!.status, 304);
      // §8.6: a 304 may carry Content-Length only if it equals the length a 200 would have.
      const cl = header(r!, 'content-length');
      assert.ok(cl === null || cl === String(Buffer.byteLength(INDEX_HTML)), `304 with Content-Length: ${cl}`);
      c.destroy();
    });
  });

  test('HEAD: the GET headers and length, no body bytes (the pipelined GET after it parses cleanly)', async () => {
    await running(startEngine(app([], [])), async ({ handlerPort }) => {
      const { c, responses } = await send(handlerPort, 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /api/hello HTTP/1.1\r\nHost: a\r\n\r\n', new Set([0]), 2);
      const [head, get] = responses;
      assert.equal(head!.status, 200);
      assert.equal(head!.body.length, 0);
      assert.equal(header(head!, 'content-type'), 'text/html; charset=utf-8');
      assert.equal(header(head!, 'content-length'), String(Buffer.byteLength(INDEX_HTML)), 'HEAD keeps the GET length (RFC 9110 §9.3.2)');
      assert.ok(!c.received.toString('latin1').includes('<title>'), 'no content was sent for HEAD');
      assert.equal(get!.body.toString(), '{"hello":""}');
      assert.equal(splitResponses(c.received, new Set([0])).rest.length, 0);
      c.destroy();
    });
  });

  const TRAVERSALS = [
    '/../package.json',
    '/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/.%2e/package.json',
    '/%2e%2e%2fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/..%5cpackage.json',
    '/%2fetc%2fpasswd',
  ];
  for (const target of TRAVERSALS) {
    test(`traversal ${target} is refused and reads nothing outside root`, async () => {
      await running(startEngine(app([], [])), async ({ e, handlerPort }) => {
        const c = await RawClient.open(handlerPort);
        await c.write(`GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
        await c.closedByServer();
        const { responses: [r] } = splitResponses(c.received);
        assert.ok(r, `no response: ${JSON.stringify(c.received.toString('latin1'))}`);
        assert.ok(r.status === 404 || r.status === 400, `status ${r.status}`);
        assert.ok(!c.received.toString('latin1').includes(SECRET), 'the file outside root was served');
        assert.equal(e.records.length, 0);
      });
    });
  }
});

describe('routing through a handler listener', () => {
  const CASES: [name: string, request: string, status: number, allow: string | null, body: string | null][] = [
    ['unknown path: 404', 'GET /nope HTTP/1.1\r\nHost: a\r\n\r\n', 404, null, 'Not Found\n'],
    ['unknown API path: 404', 'GET /api/nope HTTP/1.1\r\nHost: a\r\n\r\n', 404, null, null],
    ['route with the wrong method: 405 with Allow', 'DELETE /api/hello HTTP/1.1\r\nHost: a\r\n\r\n', 405, 'GET, HEAD', null],
    ['POST-only route refuses GET', 'GET /api/echo HTTP/1.1\r\nHost: a\r\n\r\n', 405, 'POST', null],
    ['POST with a body reaches the handler', 'POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello', 200, null, 'hello'],
    ['chunked POST body is decoded for the handler', 'POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', 200, null, 'abcde'],
    ['query reaches the handler', 'GET /api/hello?a=1&b=%20 HTTP/1.1\r\nHost: a\r\n\r\n', 200, null, '{"hello":"a=1&b=%20"}'],
    ['static fallback with the wrong method: 404 from the router fallback', 'POST /index.html HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n', 404, null, null],
  ];
  for (const [name, request, status, allow, body] of CASES) {
    test(name, async () => {
      await running(startEngine(app([], [])), async ({ e, handlerPort }) => {
        const { c, responses: [r] } = await send(handlerPort, request);
        assert.equal(r!.status, status, r!.head);
        assert.equal(header(r!, 'allow'), allow);
        if (body !== null) assert.equal(r!.body.toString('latin1'), body);
        c.destroy();
        await new Promise((res) => setTimeout(res, 20));
        assert.equal(e.records.length, 0, 'a handler listener records nothing');
        assert.equal(e.engine.stats().requests, 0);
      });
    });
  }
});

describe('streamed responses', () => {
  test('chunks arrive in order with chunked framing; end() sends the last chunk and closes', async () => {
    const streams: ResponseStream[] = [];
    const reasons: StreamCloseReason[] = [];
    await running(startEngine(app(streams, reasons)), async ({ e, handlerPort }) => {
      const c = await RawClient.open(handlerPort);
      await c.write('GET /api/stream HTTP/1.1\r\nHost: a\r\n\r\n');
      await c.until((x) => decodeChunked(x.received) !== null, 'the stream head');
      await eventually(() => streams.length === 1, 'the stream to open');
      const s = streams[0]!;
      const head = decodeChunked(c.received)!.head;
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\nTransfer-Encoding: chunked(\r\n|$)/i);
      assert.match(head, /\r\nConnection: close(\r\n|$)/i);
      assert.match(head, /\r\nContent-Type: text\/event-stream(\r\n|$)/);
      assert.doesNotMatch(head, /content-length/i);

      assert.equal(s.write('data: one\n\n'), true);
      assert.equal(s.write(''), true, 'an empty write is ignored, not the last chunk');
      assert.equal(s.write(Buffer.from('data: two\n\n')), true);
      await c.until((x) => decodeChunked(x.received)!.chunks.join('').includes('two'), 'two chunks');
      assert.equal(s.write('data: ünï\n\n'), true);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(s.write('data: four\n\n'), true);
      s.end();
      s.end(); // twice is safe
      assert.equal(s.closed, true);
      assert.equal(s.write('late'), false);
      await c.closedByServer();
      const decoded = decodeChunked(c.received)!;
      assert.deepEqual(decoded.chunks.join(''), 'data: one\n\ndata: two\n\ndata: ünï\n\ndata: four\n\n');
      assert.equal(decoded.complete, true, 'the last chunk 0\\r\\n\\r\\n arrived');
      assert.equal(decoded.rest.length, 0, 'nothing after the last chunk');
      assert.ok(c.received.subarray(-5).equals(Buffer.from('0\r\n\r\n')), 'the stream ends with the last chunk');
      assert.deepEqual(reasons, ['ended']);
      assert.equal(e.engine.stats().connectionsOpen, 0);
      assert.equal(e.records.length, 0);
    });
  });

  test('small and large chunks queued behind a paused reader arrive whole, in order (large ones are framed without a copy, small ones merged)', async () => {
    const streams: ResponseStream[] = [];
    const reasons: StreamCloseReason[] = [];
    await running(startEngine(app(streams, reasons)), async ({ handlerPort }) => {
      const c = await RawClient.open(handlerPort);
      await c.write('GET /api/stream HTTP/1.1\r\nHost: a\r\n\r\n');
      await eventually(() => streams.length === 1, 'the stream to open');
      await c.until((x) => decodeChunked(x.received) !== null, 'the stream head');
      c.socket.pause();
      const sizes = [10, CHUNK_COPY_MAX_BYTES, CHUNK_COPY_MAX_BYTES + 1, 3, 3 * 1024 * 1024, 5, 70 * 1024, 1];
      const pieces = sizes.map((n, i) => 'abcdefgh'[i]!.repeat(n));
      for (const piece of pieces) assert.equal(streams[0]!.write(piece), true);
      streams[0]!.end();
      c.socket.resume();
      await c.closedByServer();
      const decoded = decodeChunked(c.received)!;
      assert.equal(decoded.complete, true);
      assert.deepEqual(decoded.chunks.map((x) => x.length), sizes, 'one chunk per write, each its own size');
      assert.ok(decoded.chunks.every((x, i) => x === pieces[i]), 'every chunk is its write');
      assert.deepEqual(reasons, ['ended']);
    });
  });

  test('HTTP/1.0 client: no chunked coding, the body ends at the close', async () => {
    const streams: ResponseStream[] = [];
    await running(startEngine(app(streams, [])), async ({ handlerPort }) => {
      const c = await openStream(handlerPort, streams, 'GET /api/stream HTTP/1.0\r\n\r\n');
      streams[0]!.write('abc');
      streams[0]!.write('def');
      streams[0]!.end();
      await c.closedByServer();
      const s = c.received.toString('latin1');
      const [head, body] = [s.slice(0, s.indexOf('\r\n\r\n')), s.slice(s.indexOf('\r\n\r\n') + 4)];
      assert.doesNotMatch(head, /transfer-encoding|content-length/i);
      assert.equal(body, 'abcdef');
    });
  });

  test('HEAD to a stream: the head only, the stream is never opened', async () => {
    const streams: ResponseStream[] = [];
    await running(startEngine(app(streams, [])), async ({ handlerPort }) => {
      const c = await RawClient.open(handlerPort);
      await c.write('HEAD /api/stream HTTP/1.1\r\nHost: a\r\n\r\n');
      await c.closedByServer();
      const s = c.received.toString('latin1');
      assert.match(s, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(s.endsWith('\r\n\r\n'), `content after the head: ${JSON.stringify(s)}`);
      assert.equal(streams.length, 0);
    });
  });

  test('a client that disconnects: onClose(client-closed), later writes return false, connection closed, no fd leak', async () => {
    const fdsBefore = openFdCount();
    const streams: ResponseStream[] = [];
    const reasons: StreamCloseReason[] = [];
    await running(startEngine(app(streams, reasons)), async ({ e, handlerPort }) => {
      const fdsRunning = openFdCount();
      const c = await openStream(handlerPort, streams);
      const s = streams[0]!;
      s.write('hello');
      await c.until((x) => decodeChunked(x.received)?.chunks[0] === 'hello', 'the first chunk');
      assert.equal(e.engine.stats().connectionsOpen, 1);
      c.destroy();
      await eventually(() => reasons.length > 0, 'onClose after the client went');
      assert.deepEqual(reasons, ['client-closed']);
      assert.equal(s.closed, true);
      assert.equal(s.write('after'), false);
      assert.equal(s.queuedBytes, 0);
      s.end(); // harmless after close
      assert.deepEqual(reasons, ['client-closed'], 'onClose fires once');
      let late: StreamCloseReason | null = null;
      s.onClose((r) => (late = r));
      assert.equal(late, 'client-closed', 'a listener added after the close is called at once');
      assert.equal(e.engine.stats().connectionsOpen, 0);
      await eventually(() => openFdCount() === fdsRunning, 'the connection descriptor to close');
      assert.equal(e.records.length, 0);
    });
    assert.equal(openFdCount(), fdsBefore);
  });

  test('a client that never reads: the stream closes with overflow (bounded writes)', async () => {
    const streams: ResponseStream[] = [];
    const reasons: StreamCloseReason[] = [];
    await running(startEngine(app(streams, reasons)), async ({ e, handlerPort }) => {
      const c = await openStream(handlerPort, streams);
      c.socket.pause();
      const s = streams[0]!;
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let maxQueued = 0;
      // 1 MiB a turn of the event loop, so the engine can send what the kernel takes; at most 256 MiB.
      for (let i = 0; i < 256 && s.write(chunk); i++) {
        maxQueued = Math.max(maxQueued, s.queuedBytes);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(s.closed, true, 'the stream is still open after 256 MiB to a client that does not read');
      assert.deepEqual(reasons, ['overflow']);
      assert.ok(maxQueued > 1024 * 1024, `queuedBytes grew (max ${maxQueued})`);
      assert.equal(s.write('more'), false);
      c.socket.resume();
      await c.closedByServer();
      const decoded = decodeChunked(c.received)!;
      assert.equal(decoded.complete, false, 'an overflowed stream has no last chunk: the client sees it cut off');
      assert.equal(e.engine.stats().connectionsOpen, 0);
    });
  });

  test('a stream quiet for longer than the idle timeout is not cut when a large write meets a slow reader (sends are activity)', async () => {
    const streams: ResponseStream[] = [];
    const reasons: StreamCloseReason[] = [];
    const idleTimeoutMs = 400;
    const e = new TestEngine({ listen: [{ host: '127.0.0.1', port: 0, handler: app(streams, reasons) }], idleTimeoutMs });
    try {
      const c = await openStream(e.port, streams);
      // Quiet for longer than the idle timeout: an open stream with nothing queued is never idle.
      await new Promise((r) => setTimeout(r, idleTimeoutMs + 300));
      assert.deepEqual(reasons, []);
      // More than the kernel buffers hold while the client is paused: part stays queued in the engine.
      const size = 12 * 1024 * 1024;
      c.socket.pause();
      streams[0]!.write(Buffer.alloc(size, 0x62));
      // The client reads again before the idle timeout counted from that write (not from the request) runs out.
      await new Promise((r) => setTimeout(r, idleTimeoutMs - 150));
      c.socket.resume();
      await c.until((x) => x.receivedLength > size, 'the whole write');
      assert.deepEqual(reasons, [], 'the stream stayed open');
      assert.equal(streams[0]!.closed, false);
    } finally {
      await e.stop();
    }
  });

  test('engine.stop() closes open streams with engine-stopped', async () => {
    const streams: ResponseStream[] = [];
    const reasons: StreamCloseReason[] = [];
    const { e, handlerPort } = startEngine(app(streams, reasons));
    const clients = await Promise.all([RawClient.open(handlerPort), RawClient.open(handlerPort)]);
    for (const c of clients) await c.write('GET /api/stream HTTP/1.1\r\nHost: a\r\n\r\n');
    await eventually(() => streams.length === 2, 'two streams to open');
    streams[0]!.write('x');
    await e.stop();
    assert.deepEqual(reasons, ['engine-stopped', 'engine-stopped']);
    assert.ok(streams.every((s) => s.closed && !s.write('y')));
    await Promise.all(clients.map((c) => c.closedByServer()));
  });
});

describe('handler failures and refused requests', () => {
  test('a handler that throws: 500, onInternalError gets the error, the connection closes', async () => {
    const internalErrors: unknown[] = [];
    await running(startEngine(app([], []), { internalErrors }), async ({ e, handlerPort }) => {
      const c = await RawClient.open(handlerPort);
      await c.write('GET /api/boom HTTP/1.1\r\nHost: a\r\n\r\n');
      const [r] = await c.responses(1);
      assert.equal(r!.status, 500);
      assert.ok(!r!.bytes.toString('latin1').includes('handler exploded'), 'the error text is not sent to the client');
      await c.closedByServer();
      assert.equal(internalErrors.length, 1);
      assert.match(String(internalErrors[0]), /handler exploded/);
      assert.equal(e.engine.stats().internalErrors, 1);
      assert.equal(e.records.length, 0);
    });
  });

  test('a handler that sets an engine-owned header: 500 and an internal error', async () => {
    const internalErrors: unknown[] = [];
    await running(startEngine(app([], []), { internalErrors }), async ({ handlerPort }) => {
      const { c, responses: [r] } = await send(handlerPort, 'GET /api/bad-header HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(r!.status, 500);
      assert.equal(internalErrors.length, 1);
      assert.match(String(internalErrors[0]), /Content-Length/);
      c.destroy();
    });
  });

  test('admit refuses at the head: the answer goes out before the body, which is never read; admitted requests reach the handler', async () => {
    const seen: string[] = [];
    const internalErrors: unknown[] = [];
    const handler: RequestHandler = (req) => {
      seen.push(`${req.method} ${req.path} ${req.body.length}`);
      return plainText(200, `got ${req.body.length}`);
    };
    const admit = (req: HandlerRequest): WholeResponse | null => {
      if (req.path === '/throw') throw new Error('admission exploded');
      assert.equal(req.body.length, 0, 'admit sees the head only');
      return req.header('x-key') === 'k' ? null : { kind: 'whole', status: 401, body: 'no key\n' };
    };
    const e = new TestEngine({
      listen: [{ host: '127.0.0.1', port: 0, handler, admit, maxBodyBytes: 64 * 1024 * 1024 }],
      onInternalError: (err) => internalErrors.push(err),
    });
    try {
      // A 32 MiB body is announced but only its first bytes are sent: the refusal comes anyway, and the connection closes.
      const refused = await RawClient.open(e.port);
      await refused.write(`POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${32 * 1024 * 1024}\r\n\r\n${'x'.repeat(1000)}`);
      const [r] = await refused.responses(1);
      assert.equal(r!.status, 401);
      assert.equal(r!.body.toString(), 'no key\n');
      assert.equal(header(r!, 'connection'), 'close');
      await refused.closedByServer();
      // With the key: admitted, the body is read whole and the handler answers.
      const { c, responses: [ok] } = await send(e.port, 'POST /api/upload HTTP/1.1\r\nHost: a\r\nX-Key: k\r\nContent-Length: 5\r\n\r\nhello');
      assert.equal(ok!.status, 200);
      assert.equal(ok!.body.toString(), 'got 5');
      c.destroy();
      // A check that throws: 500, reported, never admitted.
      const { responses: [boom] } = await send(e.port, 'GET /throw HTTP/1.1\r\nHost: a\r\nX-Key: k\r\n\r\n');
      assert.equal(boom!.status, 500);
      assert.match(String(internalErrors[0]), /admission exploded/);
      assert.deepEqual(seen, ['POST /api/upload 5'], 'only the admitted request reached the handler');
      assert.equal(e.records.length, 0);
    } finally {
      await e.stop();
    }
  });

  for (const status of [204, 304]) {
    test(`a handler's body on a ${status} is not sent (it would be read as the next response)`, async () => {
      const handler: RequestHandler = (req) => (req.path === '/next' ? plainText(200, 'next') : { kind: 'whole', status, body: 'INJECTED' });
      await running(startEngine(handler), async ({ handlerPort }) => {
        const { c, responses } = await send(handlerPort, 'GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n', undefined, 2);
        // RFC 9110 §15.3.5, §15.4.5: these statuses end at the head; what follows must be the next answer.
        assert.deepEqual(responses.map((r) => r.status), [status, 200]);
        assert.equal(responses[1]!.body.toString(), 'next');
        assert.equal(splitResponses(c.received).rest.length, 0);
        assert.ok(!c.received.toString('latin1').includes('INJECTED'), JSON.stringify(c.received.toString('latin1')));
        c.destroy();
      });
    });
  }

  const MALFORMED: [name: string, request: string, status: number][] = [
    ['duplicate Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['whitespace before a colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400],
    ['Content-Length with Transfer-Encoding', 'POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['garbage request line', 'HELLO\r\n\r\n', 400],
    ['body over the listener maxBodyBytes', 'POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n' + 'x'.repeat(100), 413],
  ];
  for (const [name, request, status] of MALFORMED) {
    test(`malformed on a handler listener (${name}): ${status}, closed, no record; the capture listener still records`, async () => {
      const seen: string[] = [];
      const handler: RequestHandler = (req) => (seen.push(req.target), plainText(200, 'served'));
      await running(startEngine(handler, { maxBodyBytes: 10 }), async ({ e, handlerPort, capturePort }) => {
        const c = await RawClient.open(handlerPort);
        await c.write(request);
        await c.closedByServer();
        const { responses: [r] } = splitResponses(c.received);
        assert.equal(r?.status, status, c.received.toString('latin1'));
        assert.deepEqual(seen, [], 'the handler never saw it');
        // A capture request after it: its record arrives, and it is the only one.
        const { c: c2, responses: [canned] } = await send(capturePort, 'GET /captured HTTP/1.1\r\nHost: a\r\n\r\n');
        assert.equal(canned!.status, 202);
        await e.waitForRecords(1);
        await new Promise((res) => setTimeout(res, 30));
        assert.deepEqual(e.records.map((rec) => rec.target), ['/captured']);
        c2.destroy();
      });
    });
  }
});

describe('a capture listener beside a handler listener', () => {
  test('captures and answers the canned response while a stream is open on the handler listener', async () => {
    const streams: ResponseStream[] = [];
    const reasons: StreamCloseReason[] = [];
    await running(startEngine(app(streams, reasons)), async ({ e, handlerPort, capturePort }) => {
      const viewer = await openStream(handlerPort, streams);
      // The same paths on the capture listener are captured, not served.
      const { c, responses } = await send(capturePort, 'GET /api/hello HTTP/1.1\r\nHost: a\r\n\r\nPOST /index.html HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi', undefined, 2);
      for (const r of responses) {
        assert.equal(r.status, 202);
        assert.equal(r.body.toString(), 'canned');
        assert.equal(header(r, 'x-canned'), 'yes');
      }
      const recs = await e.waitForRecords(2);
      assert.deepEqual(recs.map((r) => [r.method, r.target, r.listener.port, r.status]), [
        ['GET', '/api/hello', capturePort, 202], ['POST', '/index.html', capturePort, 202],
      ]);
      // Meanwhile the handler listener still serves, and the stream still works.
      const { c: other, responses: [served] } = await send(handlerPort, 'GET /api/hello?q HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(served!.body.toString(), '{"hello":"q"}');
      streams[0]!.write('still here');
      streams[0]!.end();
      await viewer.closedByServer();
      assert.deepEqual(decodeChunked(viewer.received)!.chunks, ['still here']);
      assert.deepEqual(reasons, ['ended']);
      await new Promise((res) => setTimeout(res, 30));
      assert.equal(e.records.length, 2, 'nothing on the handler listener was recorded');
      const stats = e.engine.stats();
      assert.equal(stats.requests, 2);
      c.destroy();
      other.destroy();
    });
  });
});
