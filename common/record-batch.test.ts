import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecordBatch, decodeRecordSummaries, decodeSummariesInto, isRecordBatch, latin1, RecordBatchBuilder, type RecordParts, type RecordSummary } from './record-batch';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

function parts(overrides: Partial<RecordParts>): RecordParts {
  const raw = enc('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Case: V\xe9\r\n\r\n');
  return {
    id: 1, connectionId: 7, requestOnConnection: 2,
    listener: { family: 'IPv4', address: '127.0.0.1', port: 8080 },
    peer: { family: 'IPv6', address: '::1', port: 5555 },
    raw, rawFrom: 0, rawTo: raw.length, rawLength: raw.length, headLength: raw.length,
    bodyInRaw: true, body: null, bodyFrom: 0, bodyKept: 0, bodyLength: 0,
    status: 200, error: null, errorDetail: null,
    accepted: 1000.5, firstByte: 1001.25, headComplete: 1001.5, bodyComplete: 1001.5, responseWritten: 1002,
    methodStart: 0, methodEnd: 3, targetStart: 4, targetEnd: 10, version: 11,
    headerCount: 2, headerOffsets: [21, 25, 27, 28, 30, 36, 38, 40],
    trailers: null,
    ...overrides,
  };
}

test('a batch round-trips every field, headers through their offsets', () => {
  const b = new RecordBatchBuilder(16, 1);
  const raw2 = enc('xxPOST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabcyy');
  b.add(parts({}));
  b.add(parts({
    id: 2, raw: raw2, rawFrom: 2, rawTo: raw2.length - 2, rawLength: 42, headLength: 39,
    bodyKept: 3, bodyLength: 3, status: null, error: 'connection-reset', errorDetail: 'read failed: ECONNRESET',
    headComplete: null, bodyComplete: null, responseWritten: null,
    methodStart: 0, methodEnd: 4, targetStart: 5, targetEnd: 7, version: 10,
    headerCount: 1, headerOffsets: [18, 32, 34, 35],
  }));
  b.add(parts({
    id: 3, bodyInRaw: false, body: enc('--decoded--'), bodyFrom: 2, bodyKept: 7, bodyLength: 100,
    trailers: [['X-Trailer', 'done']], methodStart: -1, methodEnd: -1, targetStart: -1, targetEnd: -1, version: 0, headerCount: 0, headerOffsets: [],
    error: 'bad-request-line', errorDetail: 'nope', status: 400,
  }));
  const batch = b.take();
  assert.ok(isRecordBatch(batch));
  assert.equal(batch.count, 3);
  const [r1, r2, r3] = decodeRecordBatch(batch);
  assert.ok(r1 && r2 && r3);
  assert.equal(r1.method, 'GET');
  assert.equal(r1.target, '/a?b=1');
  assert.equal(r1.version, 'HTTP/1.1');
  assert.deepEqual(r1.headers, [['Host', 'x'], ['X-Case', 'V\xe9']]);
  assert.deepEqual(r1.peer, { family: 'IPv6', address: '::1', port: 5555 });
  assert.deepEqual(r1.listener, { family: 'IPv4', address: '127.0.0.1', port: 8080 });
  assert.deepEqual(r1.timestamps, { accepted: 1000.5, firstByte: 1001.25, headComplete: 1001.5, bodyComplete: 1001.5, responseWritten: 1002 });
  assert.equal(r1.status, 200);
  assert.equal(r1.error, null);

  assert.equal(latin1(r2.raw, 0, r2.raw.length), 'POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc');
  assert.equal(r2.version, 'HTTP/1.0');
  assert.deepEqual(r2.headers, [['Content-Length', '3']]);
  assert.equal(Buffer.from(r2.body).toString(), 'abc');
  assert.equal(r2.status, null);
  assert.equal(r2.error, 'connection-reset');
  assert.equal(r2.errorDetail, 'read failed: ECONNRESET');
  assert.equal(r2.timestamps.responseWritten, null);

  assert.equal(Buffer.from(r3.body).toString(), 'decoded');
  assert.equal(r3.bodyLength, 100);
  assert.equal(r3.bodyTruncated, true);
  assert.deepEqual(r3.trailers, [['X-Trailer', 'done']]);
  assert.equal(r3.method, '');
  assert.equal(r3.version, '');
  assert.equal(r3.error, 'bad-request-line');
});

test('a batch survives structured clone (the way it crosses a port)', () => {
  const b = new RecordBatchBuilder();
  b.add(parts({}));
  const cloned = structuredClone(b.take());
  assert.ok(isRecordBatch(cloned));
  assert.deepEqual(decodeRecordBatch(cloned)[0]!.headers, [['Host', 'x'], ['X-Case', 'V\xe9']]);
});

test('isRecordBatch refuses look-alikes', () => {
  assert.equal(isRecordBatch(null), false);
  assert.equal(isRecordBatch({ kind: 'sockeye-record-batch', version: 1, count: 0, bytes: new Uint8Array(), nums: new Float64Array(), strings: [] }), false);
  assert.equal(isRecordBatch({ kind: 'sockeye-record-batch', version: 2, count: 0, bytes: [], ints: new Int32Array(), floats: new Float64Array(), baseId: 1, baseConnectionId: 1, strings: [] }), false);
});

test('latin1 maps every byte to one character', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  const s = latin1(all, 0, 256);
  assert.equal(s.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(s.charCodeAt(i), i);
  const big = new Uint8Array(20000).fill(65);
  assert.equal(latin1(big, 0, big.length), 'A'.repeat(20000));
});

test('ids past 2^32 survive the delta encoding; the builder is reusable after take()', () => {
  const b = new RecordBatchBuilder(8, 1);
  b.add(parts({ id: 5_000_000_001, connectionId: 4_300_000_000, requestOnConnection: 3_000_000_000 }));
  b.add(parts({ id: 5_000_000_003, connectionId: 4_299_999_990 }));
  const firstBatch = b.take();
  const first = decodeRecordBatch(firstBatch);
  assert.deepEqual(first.map((r) => [r.id, r.connectionId]), [[5_000_000_001, 4_300_000_000], [5_000_000_003, 4_299_999_990]]);
  assert.equal(first[0]!.requestOnConnection, 3_000_000_000);
  assert.equal(decodeRecordSummaries(firstBatch)[0]!.requestOnConnection, 3_000_000_000);
  assert.equal(b.count, 0);
  b.add(parts({ id: 9 }));
  const second = decodeRecordBatch(b.take());
  assert.deepEqual(second.map((r) => r.id), [9]);
  assert.deepEqual(second[0]!.headers, [['Host', 'x'], ['X-Case', 'V\xe9']]);
  assert.equal(first[0]!.method, 'GET', 'an earlier batch is not disturbed by reuse');
});

test('summaries agree with the full decode for every record', () => {
  const b = new RecordBatchBuilder(16, 1);
  const raw2 = enc('xxPOST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabcyy');
  b.add(parts({}));
  b.add(parts({ id: 2, requestOnConnection: 3, raw: raw2, rawFrom: 2, rawTo: raw2.length - 2, headLength: 39, bodyKept: 3, bodyLength: 3, methodStart: 0, methodEnd: 4, targetStart: 5, targetEnd: 7, version: 10, headerCount: 1, headerOffsets: [18, 32, 34, 35], status: null, error: 'connection-reset', errorDetail: 'x' }));
  b.add(parts({ id: 3, bodyInRaw: false, body: enc('--decoded--'), bodyFrom: 2, bodyKept: 7, bodyLength: 100, methodStart: -1, methodEnd: -1, targetStart: -1, targetEnd: -1, version: 0, headerCount: 0, headerOffsets: [] }));
  b.add(parts({ id: 4, trailers: [['T', 'v']] }));
  const batch = b.take();
  const full = decodeRecordBatch(batch);
  const summaries = decodeRecordSummaries(batch);
  assert.deepEqual(summaries, full.map((r, index) => ({
    id: r.id, connectionId: r.connectionId, requestOnConnection: r.requestOnConnection, index, method: r.method, target: r.target, status: r.status, error: r.error,
    bodyLength: r.bodyLength, peer: r.peer, time: r.timestamps.firstByte,
  })));
  assert.deepEqual(summaries.map((s) => s.method), ['GET', 'POST', '', 'GET']);
  assert.equal(summaries[1]!.requestOnConnection, 3);
});

test('decodeSummariesInto hands over the same fields as the full decode, method and target as byte ranges', () => {
  const raw2 = enc('xxPOST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabcyy');
  const rows: Array<{ name: string; parts: Partial<RecordParts> }> = [
    { name: 'plain GET', parts: {} },
    { name: 'raw window past a prefix, no status, error', parts: { id: 2, requestOnConnection: 3, raw: raw2, rawFrom: 2, rawTo: raw2.length - 2, headLength: 39, bodyKept: 3, bodyLength: 3, methodStart: 0, methodEnd: 4, targetStart: 5, targetEnd: 7, version: 10, headerCount: 1, headerOffsets: [18, 32, 34, 35], status: null, error: 'connection-reset', errorDetail: 'x' } },
    { name: 'unparsed request line, body stored apart', parts: { id: 3, bodyInRaw: false, body: enc('--decoded--'), bodyFrom: 2, bodyKept: 7, bodyLength: 100, methodStart: -1, methodEnd: -1, targetStart: -1, targetEnd: -1, version: 0, headerCount: 0, headerOffsets: [] } },
    { name: 'after a body stored apart, with trailers', parts: { id: 4, trailers: [['T', 'v']] } },
    { name: 'another peer, large request number', parts: { id: 6, connectionId: 9, requestOnConnection: 4_000_000_000, peer: { family: 'IPv4', address: '10.0.0.2', port: 1 } } },
    { name: 'same peer object again', parts: { id: 7, peer: { family: 'IPv6', address: '::1', port: 5555 } } },
  ];
  const b = new RecordBatchBuilder(16, 1);
  for (const row of rows) b.add(parts(row.parts));
  const batch = b.take();
  // From the full decoder, not decodeRecordSummaries (which is built on decodeSummariesInto).
  const expected: RecordSummary[] = decodeRecordBatch(batch).map((r, index) => ({
    id: r.id, connectionId: r.connectionId, requestOnConnection: r.requestOnConnection, index, method: r.method, target: r.target, status: r.status, error: r.error,
    bodyLength: r.bodyLength, peer: r.peer, time: r.timestamps.firstByte,
  }));
  const got: RecordSummary[] = [];
  const cursors = new Set<object>();
  const n = decodeSummariesInto(batch, (c) => {
    cursors.add(c);
    got.push({
      id: c.id, connectionId: c.connectionId, requestOnConnection: c.requestOnConnection, index: c.index,
      method: c.methodStart < 0 ? '' : latin1(batch.bytes, c.methodStart, c.methodEnd),
      target: c.targetStart < 0 ? '' : latin1(batch.bytes, c.targetStart, c.targetEnd),
      status: c.status, error: c.error, bodyLength: c.bodyLength, peer: c.peer, time: c.time,
    });
    if (c.methodStart < 0) assert.deepEqual([c.methodEnd, c.targetStart, c.targetEnd], [-1, -1, -1]);
  });
  assert.equal(n, rows.length);
  assert.equal(cursors.size, 1, 'one cursor object for the whole batch');
  for (let i = 0; i < rows.length; i++) assert.deepEqual(got[i], expected[i], rows[i]!.name);
  assert.equal(got[1]!.target, '/p');
  assert.equal(got[4]!.requestOnConnection, 4_000_000_000);
});

test('decodeSummariesInto refuses a truncated batch before handing over any record', () => {
  const b = new RecordBatchBuilder();
  b.add(parts({}));
  b.add(parts({ id: 2 }));
  const batch = b.take();
  let seen = 0;
  const cutInts = { ...batch, ints: batch.ints.subarray(0, 30) };
  assert.throws(() => decodeSummariesInto(cutInts, () => seen++), RangeError);
  const cutFloats = { ...batch, floats: batch.floats.subarray(0, 7) };
  assert.throws(() => decodeSummariesInto(cutFloats, () => seen++), RangeError);
  assert.equal(seen, 0);
  assert.equal(decodeSummariesInto({ ...batch, count: 0 }, () => seen++), 0);
  assert.equal(seen, 0);
});
