/**
 * Engine integration under plain Node: raw bytes from real client sockets,
 * assertions on the exact response bytes and on the captured records.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, TestEngine, splitResponses, text } from './test/raw-client';
import { hasIPv6Loopback, openFdCount } from '../native-bridge/test/fds';
import { Engine, EngineConfigError } from './engine';
import { callbackSink } from './capture-sink';
import { SyscallError, type ReadinessKind } from '../native-bridge';
import type { CannedResponse } from '../common/canned-response';
import type { ResponseStream } from './http-handler';

const RESPONSE: CannedResponse = {
  status: 201,
  reason: 'Made',
  headers: [['X-First', 'one'], ['content-type', 'application/json'], ['X-Dup', 'a'], ['X-Dup', 'b']],
  body: '{"ok":true}',
  bodyEncoding: 'utf8',
};
const DATE_RE = /Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/;

/** The exact bytes RESPONSE produces, with the Date value swapped for a placeholder. */
function expectedResponse(connection: string | null, body = true): string {
  return 'HTTP/1.1 201 Made\r\nX-First: one\r\ncontent-type: application/json\r\nX-Dup: a\r\nX-Dup: b\r\n' +
    'Date: <date>\r\nContent-Length: 11\r\n' + (connection ? `Connection: ${connection}\r\n` : '') + '\r\n' + (body ? '{"ok":true}' : '');
}

const withoutDate = (b: Buffer): string => {
  const s = b.toString('latin1');
  assert.match(s, DATE_RE);
  return s.replace(DATE_RE, 'Date: <date>\r\n');
};

for (const readiness of ['koffi-poll', 'worker-thread'] as ReadinessKind[]) {
  describe(`engine (${readiness} readiness)`, () => {
    test('answers the exact canned bytes and records the request as sent', async () => {
      const e = new TestEngine({ response: RESPONSE, readiness });
      try {
        const c = await e.client();
        const sent = 'POST /path/x?q=1&r=%20 HTTP/1.1\r\nhost: example\r\nX-MiXeD-Case:  padded value \r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Length: 5\r\n\r\nhello';
        await c.write(sent);
        const [r] = await c.responses(1);
        assert.equal(withoutDate(r!.bytes), expectedResponse(null));
        const [rec] = await e.waitForRecords(1);
        assert.ok(rec);
        assert.equal(rec.method, 'POST');
        assert.equal(rec.target, '/path/x?q=1&r=%20');
        assert.equal(rec.version, 'HTTP/1.1');
        assert.deepEqual(rec.headers, [['host', 'example'], ['X-MiXeD-Case', 'padded value'], ['X-Dup', '1'], ['x-dup', '2'], ['Content-Length', '5']]);
        assert.equal(text(rec.raw), sent);
        assert.equal(rec.rawLength, sent.length);
        assert.equal(rec.headLength, sent.length - 5);
        assert.equal(text(rec.body), 'hello');
        assert.equal(rec.bodyLength, 5);
        assert.equal(rec.bodyTruncated, false);
        assert.equal(rec.status, 201);
        assert.equal(rec.error, null);
        assert.equal(rec.requestOnConnection, 1);
        assert.deepEqual(rec.peer, { family: 'IPv4', address: '127.0.0.1', port: c.socket.localPort });
        assert.deepEqual(rec.listener, { family: 'IPv4', address: '127.0.0.1', port: e.port });
        const ts = rec.timestamps;
        assert.ok(ts.accepted <= ts.firstByte && ts.firstByte <= ts.headComplete! && ts.headComplete! <= ts.bodyComplete! &&
          ts.bodyComplete! <= ts.responseWritten!, JSON.stringify(ts));
        assert.ok(Math.abs(ts.accepted - Date.now()) < 10_000);
        c.destroy();
      } finally {
        await e.stop();
      }
    });

    test('keep-alive: several requests on one connection, body split across writes', async () => {
      const e = new TestEngine({ response: RESPONSE, readiness });
      try {
        const c = await e.client();
        await c.write('GET /1 HTTP/1.1\r\nHost: a\r\n\r\n');
        await c.responses(1);
        await c.write('PUT /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234');
        await new Promise((r) => setTimeout(r, 30));
        await c.write('56789');
        const rs = await c.responses(2);
        assert.equal(rs.length, 2);
        const recs = await e.waitForRecords(2);
        assert.deepEqual(recs.map((r) => [r.target, r.requestOnConnection, r.connectionId]), [['/1', 1, recs[0]!.connectionId], ['/2', 2, recs[0]!.connectionId]]);
        assert.equal(text(recs[1]!.body), '0123456789');
        assert.equal(text(recs[1]!.raw), 'PUT /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789');
        assert.equal(c.closed, false);
        c.destroy();
      } finally {
        await e.stop();
      }
    });

    test('pipelined requests in one write are answered in order, each recorded', async () => {
      const e = new TestEngine({ response: RESPONSE, readiness });
      try {
        const c = await e.client();
        const reqs = [
          'GET /a HTTP/1.1\r\nHost: a\r\n\r\n',
          'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz',
          'HEAD /c HTTP/1.1\r\nHost: a\r\n\r\n',
          'POST /d HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
          'GET /e HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
        ];
        await c.write(reqs.join(''));
        await c.closedByServer();
        const { responses, rest } = splitResponses(c.received, new Set([2]));
        assert.equal(rest.length, 0);
        assert.deepEqual(responses.map((r) => withoutDate(r.bytes)), [
          expectedResponse(null), expectedResponse(null), expectedResponse(null, false), expectedResponse(null), expectedResponse('close'),
        ]);
        const recs = await e.waitForRecords(5);
        assert.deepEqual(recs.map((r) => r.target), ['/a', '/b', '/c', '/d', '/e']);
        assert.deepEqual(recs.map((r) => text(r.raw)), reqs);
        assert.deepEqual(recs.map((r) => text(r.body)), ['', 'xyz', '', 'hi', '']);
      } finally {
        await e.stop();
      }
    });
  });
}

test('chunked body with extensions and trailers: decoded body, trailers, raw framing kept', async () => {
  const e = new TestEngine();
  try {
    const c = await e.client();
    const head = 'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
    const body = '5;name=value;q="x y"\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Checksum: abc\r\nX-Other: 2\r\n\r\n';
    await c.write(head + body.slice(0, 17));
    await new Promise((r) => setTimeout(r, 20));
    await c.write(body.slice(17));
    const [r] = await c.responses(1);
    assert.equal(r!.status, 200);
    const [rec] = await e.waitForRecords(1);
    assert.equal(text(rec!.body), 'hello 0123456789');
    assert.equal(rec!.bodyLength, 16);
    assert.deepEqual(rec!.trailers, [['X-Checksum', 'abc'], ['X-Other', '2']]);
    assert.equal(text(rec!.raw), head + body);
  } finally {
    await e.stop();
  }
});

test('Expect: 100-continue gets the interim answer before the body is sent', async () => {
  const e = new TestEngine({ response: RESPONSE });
  try {
    const c = await e.client();
    await c.write('PUT /big HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
    await c.until((x) => x.received.length >= 25, 'the 100 Continue');
    assert.equal(c.received.toString('latin1'), 'HTTP/1.1 100 Continue\r\n\r\n');
    await c.write('data');
    const rs = await c.responses(2);
    assert.equal(rs[0]!.status, 100);
    assert.equal(rs[1]!.status, 201);
    const [rec] = await e.waitForRecords(1);
    assert.equal(text(rec!.body), 'data');
  } finally {
    await e.stop();
  }
});

const connectionCases: { name: string; request: string; header: string | null; closes: boolean; head?: boolean }[] = [
  { name: 'HTTP/1.0 closes by default', request: 'GET / HTTP/1.0\r\n\r\n', header: 'close', closes: true },
  { name: 'HTTP/1.0 with keep-alive stays open and says so', request: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', header: 'keep-alive', closes: false },
  { name: 'HTTP/1.1 Connection: close is honoured', request: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', header: 'close', closes: true },
  { name: 'HTTP/1.1 keeps alive by default', request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', header: null, closes: false },
  { name: 'HEAD gets the head without a body', request: 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n', header: null, closes: false, head: true },
];
for (const k of connectionCases) {
  test(`connection handling: ${k.name}`, async () => {
    const e = new TestEngine({ response: RESPONSE });
    try {
      const c = await e.client();
      await c.write(k.request);
      const [r] = await c.responses(1, k.head ? new Set([0]) : undefined);
      assert.equal(withoutDate(r!.bytes), expectedResponse(k.header, !k.head));
      if (k.closes) await c.closedByServer();
      else {
        await new Promise((res) => setTimeout(res, 50));
        assert.equal(c.closed, false);
        assert.equal(c.received.length, r!.bytes.length, 'nothing after the HEAD answer');
      }
      await e.waitForRecords(1);
      c.destroy();
    } finally {
      await e.stop();
    }
  });
}

/**
 * Requests that must be refused with a status, closed, and still recorded.
 * Each ends with bytes that would be a valid second request if the engine
 * (wrongly) read the body as a next request: only one record may appear.
 */
const SMUGGLE = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
const rejectCases: { name: string; request: string; status: number; error: string }[] = [
  { name: 'Transfer-Encoding with Content-Length', request: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLE}`, status: 400, error: 'te-and-cl' },
  { name: 'differing Content-Length values', request: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello${SMUGGLE}`, status: 400, error: 'conflicting-content-length' },
  { name: 'Content-Length list with different values', request: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 40\r\n\r\nhello${SMUGGLE}`, status: 400, error: 'conflicting-content-length' },
  { name: 'Content-Length not plain digits', request: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello${SMUGGLE}`, status: 400, error: 'bad-content-length' },
  { name: 'Content-Length in hex', request: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello${SMUGGLE}`, status: 400, error: 'bad-content-length' },
  { name: 'final coding not chunked', request: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n${SMUGGLE}`, status: 400, error: 'bad-transfer-encoding' },
  { name: 'chunked twice', request: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLE}`, status: 400, error: 'bad-transfer-encoding' },
  { name: 'Transfer-Encoding in HTTP/1.0', request: `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLE}`, status: 400, error: 'te-in-http10' },
  { name: 'whitespace before the colon', request: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello${SMUGGLE}`, status: 400, error: 'whitespace-before-colon' },
  { name: 'obs-fold', request: `GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n${SMUGGLE}`, status: 400, error: 'obs-fold' },
  { name: 'bare CR in a header', request: `GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\rX-B: 2\r\n\r\n${SMUGGLE}`, status: 400, error: 'bare-cr' },
  { name: 'invalid token character in a header name', request: `GET / HTTP/1.1\r\nHost: a\r\nX(A): 1\r\n\r\n${SMUGGLE}`, status: 400, error: 'bad-header-name' },
  { name: 'missing Host on HTTP/1.1', request: `GET / HTTP/1.1\r\nX-A: 1\r\n\r\n${SMUGGLE}`, status: 400, error: 'missing-host' },
  { name: 'repeated Host', request: `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${SMUGGLE}`, status: 400, error: 'duplicate-host' },
  { name: 'malformed chunk size', request: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${SMUGGLE}`, status: 400, error: 'bad-chunk' },
  { name: 'garbage request line', request: `\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n${SMUGGLE}`, status: 400, error: 'bad-method' },
  { name: 'unsupported version', request: `GET / HTTP/2.0\r\nHost: a\r\n\r\n${SMUGGLE}`, status: 505, error: 'unsupported-version' },
  { name: 'unknown expectation', request: `GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n${SMUGGLE}`, status: 417, error: 'expectation-failed' },
  { name: 'request line over the limit', request: `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLE}`, status: 414, error: 'request-line-too-long' },
  { name: 'header section over the limit', request: `GET / HTTP/1.1\r\nHost: a\r\n${'X-Big: '.concat('b'.repeat(1000), '\r\n').repeat(70)}\r\n${SMUGGLE}`, status: 431, error: 'header-section-too-large' },
  { name: 'too many header fields', request: `GET / HTTP/1.1\r\nHost: a\r\n${'X-N: 1\r\n'.repeat(101)}\r\n${SMUGGLE}`, status: 431, error: 'too-many-headers' },
];
for (const k of rejectCases) {
  test(`refused with ${k.status} and recorded: ${k.name}`, async () => {
    const e = new TestEngine({ response: RESPONSE });
    try {
      const c = await e.client();
      await c.write(k.request);
      await c.closedByServer();
      const { responses } = splitResponses(c.received);
      assert.equal(responses.length, 1, `expected exactly one answer, got ${JSON.stringify(c.received.toString('latin1'))}`);
      const r = responses[0]!;
      assert.equal(r.status, k.status);
      assert.ok(r.headers.some(([n, v]) => n === 'Connection' && v === 'close'));
      assert.match(r.body.toString(), new RegExp(`^${k.status} `));
      const recs = await e.waitForRecords(1);
      await new Promise((res) => setTimeout(res, 30));
      assert.equal(e.records.length, 1, 'bytes after a refused request were read as another request');
      const rec = recs[0]!;
      assert.equal(rec.error, k.error);
      assert.equal(rec.status, k.status);
      assert.ok(rec.errorDetail && rec.errorDetail.length > 0);
      // The captured bytes start with what was sent.
      const sentPrefix = k.request.slice(0, Math.min(200, rec.raw.length));
      assert.equal(text(rec.raw.subarray(0, sentPrefix.length)), sentPrefix);
    } finally {
      await e.stop();
    }
  });
}

test('a body over maxBodyBytes gets 413 and is recorded', async () => {
  const e = new TestEngine({ maxBodyBytes: 1000 });
  try {
    const c = await e.client();
    await c.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n');
    await c.closedByServer();
    assert.equal(splitResponses(c.received).responses[0]!.status, 413);
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.error, 'body-too-large');
  } finally {
    await e.stop();
  }
});

test('a large body is read to the end; the capture keeps a prefix and the full length', async () => {
  const e = new TestEngine({ captureBodyBytes: 1000 });
  try {
    const c = await e.client();
    const size = 5 * 1024 * 1024;
    const head = `POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`;
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = 97 + (i % 26);
    await c.write(head);
    await c.write(body);
    const [r] = await c.responses(1);
    assert.equal(r!.status, 200);
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.bodyLength, size);
    assert.equal(rec!.bodyTruncated, true);
    assert.equal(rec!.body.length, 1000);
    assert.deepEqual(Buffer.from(rec!.body), body.subarray(0, 1000));
    assert.equal(rec!.rawLength, head.length + size);
    assert.equal(rec!.raw.length, head.length + 1000);
    assert.equal(text(rec!.raw.subarray(0, head.length)), head);
  } finally {
    await e.stop();
  }
});

test('a large chunked body is decoded to the end with a capped capture', async () => {
  const e = new TestEngine({ captureBodyBytes: 100 });
  try {
    const c = await e.client();
    await c.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(65536, 120);
    for (let i = 0; i < 40; i++) await c.write(Buffer.concat([Buffer.from('10000\r\n'), chunk, Buffer.from('\r\n')]));
    await c.write('0\r\n\r\n');
    const [r] = await c.responses(1);
    assert.equal(r!.status, 200);
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.bodyLength, 40 * 65536);
    assert.equal(rec!.body.length, 100);
    assert.equal(rec!.bodyTruncated, true);
  } finally {
    await e.stop();
  }
});

test('a client that resets mid-body leaves a record with what arrived and an error', async () => {
  const e = new TestEngine();
  try {
    const c = await e.client();
    await c.write('POST /cut HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\npartial');
    await new Promise((r) => setTimeout(r, 30));
    c.socket.resetAndDestroy();
    const [rec] = await e.waitForRecords(1);
    assert.ok(rec!.error === 'connection-reset' || rec!.error === 'connection-closed', String(rec!.error));
    assert.equal(rec!.status, null);
    assert.equal(rec!.target, '/cut');
    assert.equal(text(rec!.body), 'partial');
    assert.equal(rec!.bodyLength, 7);
    assert.equal(e.engine.stats().connectionsOpen, 0);
  } finally {
    await e.stop();
  }
});

test('a client that closes mid-head leaves a record of the bytes it sent', async () => {
  const e = new TestEngine();
  try {
    const c = await e.client();
    await c.write('GET /half HTTP/1.1\r\nHos');
    await new Promise((r) => setTimeout(r, 30));
    c.socket.end();
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.error, 'connection-closed');
    assert.equal(text(rec!.raw), 'GET /half HTTP/1.1\r\nHos');
  } finally {
    await e.stop();
  }
});

test('a half-closed client still gets its answer', async () => {
  const e = new TestEngine({ response: RESPONSE });
  try {
    const c = await e.client();
    c.socket.end('GET /h HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.closedByServer();
    assert.equal(withoutDate(splitResponses(c.received).responses[0]!.bytes), expectedResponse(null));
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.error, null);
  } finally {
    await e.stop();
  }
});

test('partial sends: a 256 KiB answer through a small SO_SNDBUF arrives whole, in order, on a keep-alive connection', async () => {
  // (Below ~64 KiB of SO_SNDBUF Linux loopback stalls ~35 ms per segment, so the body is kept modest.)
  const big = 'z'.repeat(256 * 1024);
  const e = new TestEngine({ response: { ...RESPONSE, body: big }, socketSendBufferBytes: 4096 });
  try {
    const c = await e.client();
    c.socket.pause();
    await c.write('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    c.socket.resume();
    // Wait on the byte count first: re-parsing megabytes on every small read would make the client the bottleneck.
    await c.until((x) => x.receivedLength >= 2 * big.length, 'both bodies', 30_000);
    const rs = await c.responses(2);
    assert.equal(rs[0]!.body.length, big.length);
    assert.equal(rs[1]!.body.toString(), big);
    const recs = await e.waitForRecords(2);
    assert.deepEqual(recs.map((r) => r.target), ['/1', '/2']);
    assert.ok(recs.every((r) => r.timestamps.responseWritten !== null));
    assert.ok(e.engine.stats().partialSends > 0, 'the kernel never took a partial send');
  } finally {
    await e.stop();
  }
});

test('the canned response can be replaced while running; an invalid one is refused and changes nothing', async () => {
  const e = new TestEngine({ response: RESPONSE });
  try {
    const c = await e.client();
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.responses(1);
    const refused = e.engine.setResponse({ ...RESPONSE, headers: [['X-Bad', 'a\r\nInjected: yes']] });
    assert.equal(refused.ok, false);
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(withoutDate((await c.responses(2))[1]!.bytes), expectedResponse(null));
    const applied = e.engine.setResponse({ status: 404, reason: '', headers: [['X-New', '1']], body: 'gone', bodyEncoding: 'utf8' });
    assert.equal(applied.ok, true);
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(withoutDate((await c.responses(3))[2]!.bytes), 'HTTP/1.1 404 Not Found\r\nX-New: 1\r\nDate: <date>\r\nContent-Length: 4\r\n\r\ngone');
    const recs = await e.waitForRecords(3);
    assert.deepEqual(recs.map((r) => r.status), [201, 201, 404]);
  } finally {
    await e.stop();
  }
});

test('a head that does not complete in time gets 408 and is recorded', async () => {
  const e = new TestEngine({ headTimeoutMs: 200 });
  try {
    const c = await e.client();
    await c.write('GET /slow HTTP/1.1\r\nHo');
    await c.closedByServer();
    assert.equal(splitResponses(c.received).responses[0]!.status, 408);
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.error, 'head-timeout');
    assert.equal(text(rec!.raw), 'GET /slow HTTP/1.1\r\nHo');
    // The first byte is when the head started, not when it timed out (the answer went out ~200 ms later).
    const ts = rec!.timestamps;
    assert.ok(ts.responseWritten! - ts.firstByte >= 150, `firstByte ${ts.firstByte}, answered ${ts.responseWritten}`);
  } finally {
    await e.stop();
  }
});

test('an idle keep-alive connection is closed after the idle timeout, without a record', async () => {
  const e = new TestEngine({ idleTimeoutMs: 200 });
  try {
    const c = await e.client();
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.responses(1);
    await c.closedByServer();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(e.records.length, 1);
  } finally {
    await e.stop();
  }
});

test('IPv6 and IPv4 listeners side by side', { skip: hasIPv6Loopback() ? false : 'no IPv6 loopback on this machine' }, async () => {
  const e = new TestEngine({ listen: [{ host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 }] });
  try {
    const v6 = e.engine.listeners[1]!;
    assert.equal(v6.family, 'IPv6');
    const c = await RawClient.open(v6.port, '::1');
    await c.write('GET /six HTTP/1.1\r\nHost: [::1]\r\n\r\n');
    await c.responses(1);
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.peer.family, 'IPv6');
    assert.equal(rec!.peer.address, '::1');
    assert.deepEqual(rec!.listener, v6);
    c.destroy();
  } finally {
    await e.stop();
  }
});

test('bad options are refused with a message before anything is opened', () => {
  const before = openFdCount();
  const sink = callbackSink(() => {});
  assert.throws(() => Engine.start({ listen: [], sink }), EngineConfigError);
  assert.throws(() => Engine.start({ listen: [{ host: 'example.com', port: 0 }], sink }), /host must be an IPv4 or IPv6 address/);
  assert.throws(() => Engine.start({ listen: [{ host: '127.0.0.1', port: 0 }], sink, captureBodyBytes: -1 }), /captureBodyBytes must be a positive whole number/);
  assert.throws(() => Engine.start({ listen: [{ host: '127.0.0.1', port: 0 }], sink, response: { status: 42 } as never }), /invalid response: status/);
  assert.equal(openFdCount(), before);
});

test('a port in use is a SyscallError EADDRINUSE and leaves nothing open', async () => {
  const e = new TestEngine();
  try {
    const before = openFdCount();
    assert.throws(
      () => Engine.start({ listen: [{ host: '127.0.0.1', port: e.port }], sink: callbackSink(() => {}) }),
      (err: unknown) => err instanceof SyscallError && err.code === 'EADDRINUSE',
    );
    assert.equal(openFdCount(), before);
  } finally {
    await e.stop();
  }
});

test('stop() records requests in progress and closes every descriptor it opened', async () => {
  const before = openFdCount();
  const e = new TestEngine();
  const clients = await Promise.all([e.client(), e.client(), e.client()]);
  await clients[0]!.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await clients[0]!.responses(1);
  await clients[1]!.write('POST /unfinished HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12');
  await new Promise((r) => setTimeout(r, 50));
  await e.stop();
  await Promise.all(clients.map((c) => c.until((x) => x.closed, 'close after stop')));
  const unfinished = e.records.find((r) => r.target === '/unfinished');
  assert.ok(unfinished, 'the request in progress was not recorded');
  assert.equal(unfinished.error, 'connection-closed');
  assert.equal(openFdCount(), before);
  await e.stop(); // twice is fine
});

test('no descriptor leaks after 10,000 connections opened and closed', async () => {
  const e = new TestEngine();
  try {
    // Warm up once so lazily opened descriptors (koffi, libuv) are in the baseline.
    const warm = await e.client();
    await warm.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await warm.closedByServer();
    await new Promise((r) => setTimeout(r, 50));
    const baseline = openFdCount();
    const TOTAL = 10_000;
    const PARALLEL = 100;
    for (let done = 0; done < TOTAL; done += PARALLEL) {
      await Promise.all(Array.from({ length: PARALLEL }, async (_, i) => {
        const c = await e.client();
        if ((done + i) % 2 === 0) {
          await c.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
          await c.closedByServer();
        } else {
          c.destroy(); // connection without a request
        }
      }));
    }
    const deadline = Date.now() + 5000;
    while (e.engine.stats().connectionsOpen > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(e.engine.stats().connectionsOpen, 0);
    assert.equal(openFdCount(), baseline);
    await e.waitForRecords(1 + TOTAL / 2);
    const stats = e.engine.stats();
    assert.equal(stats.connectionsAccepted, TOTAL + 1);
    assert.equal(stats.connectionsWithoutRequest, TOTAL / 2);
  } finally {
    await e.stop();
  }
});

test('a refused request still shows its method, target and the header fields that parsed', async () => {
  const e = new TestEngine();
  try {
    const c = await e.client();
    await c.write('POST /smuggle?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    await c.closedByServer();
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.error, 'te-and-cl');
    assert.equal(rec!.method, 'POST');
    assert.equal(rec!.target, '/smuggle?x=1');
    assert.equal(rec!.version, 'HTTP/1.1');
    assert.deepEqual(rec!.headers, [['Host', 'a'], ['Content-Length', '4'], ['Transfer-Encoding', 'chunked']]);
    assert.equal(text(rec!.body), '0\r\n\r\n');

    const c2 = await e.client();
    await c2.write('GET /fold HTTP/1.1\r\nHost: a\r\nX-Ok: 1\r\nBad Name: 2\r\n\r\n');
    await c2.closedByServer();
    const rec2 = (await e.waitForRecords(2))[1]!;
    assert.equal(rec2.error, 'bad-header-name');
    assert.equal(rec2.target, '/fold');
    assert.deepEqual(rec2.headers, [['Host', 'a'], ['X-Ok', '1']]);
    assert.equal(rec2.bodyLength, 0);
  } finally {
    await e.stop();
  }
});

test('a request line trickled in small pieces still hits the 414 limit', async () => {
  const e = new TestEngine();
  try {
    const c = await e.client();
    await c.write('GET /');
    for (let i = 0; i < 100 && !c.closed; i++) {
      await c.write('a'.repeat(100));
      await new Promise((r) => setImmediate(r));
    }
    await c.closedByServer();
    assert.equal(splitResponses(c.received).responses[0]!.status, 414);
    const [rec] = await e.waitForRecords(1);
    assert.equal(rec!.error, 'request-line-too-long');
  } finally {
    await e.stop();
  }
});

test('a head trickled one line at a time is answered once complete', async () => {
  const e = new TestEngine();
  try {
    const c = await e.client();
    const lines = ['GET /slowly HTTP/1.1\r\n', 'Host: a\r\n', 'X-1: one\r\n', '\r\n'];
    for (const line of lines) {
      for (const ch of line) await c.write(ch);
      await new Promise((r) => setTimeout(r, 5));
    }
    const [r] = await c.responses(1);
    assert.equal(r!.status, 200);
    const [rec] = await e.waitForRecords(1);
    assert.equal(text(rec!.raw), lines.join(''));
    assert.deepEqual(rec!.headers, [['Host', 'a'], ['X-1', 'one']]);
  } finally {
    await e.stop();
  }
});

test('stop({ drainMs }) lets an ended stream write its last bytes before closing; a second stop() waits for the same stop', async () => {
  // A client that is not reading holds the end back until it reads; without the drain, stop would cut it.
  const size = 12 * 1024 * 1024;
  let stream: ResponseStream | null = null;
  const e = new TestEngine({
    listen: [{ host: '127.0.0.1', port: 0, handler: () => ({ kind: 'stream', status: 200, open: (s) => { stream = s; } }) }],
  });
  const c = await e.client();
  await c.write('GET /events HTTP/1.1\r\nHost: a\r\n\r\n');
  await c.until(() => stream !== null, 'the stream to open');
  c.socket.pause();
  stream!.write(Buffer.alloc(size, 0x61));
  stream!.end();
  const stopping = e.engine.stop({ drainMs: 5000 });
  const again = e.engine.stop();
  setTimeout(() => c.socket.resume(), 200);
  await stopping;
  await again;
  await c.closedByServer();
  const received = c.received;
  assert.ok(received.length > size, `received ${received.length}`);
  assert.equal(received.subarray(received.length - 5).toString('latin1'), '0\r\n\r\n', 'the stream ends with the last chunk');
  await e.stop();
});
