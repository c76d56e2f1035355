import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBacklog, encodeBacklogFrame, encodeRecordsFrameParts, BATCH_BINARY_HEADER_BYTES, decodeRecordBatchBinary, encodeFrame, encodeRecordBatchBinary, encodeRecordsFrame, encodeStatusFrame,
  FRAME_HEADER_BYTES, FRAME_TYPE, FrameReader, MAX_FRAME_PAYLOAD_BYTES, writeFrameHeader, type Frame,
} from './browser-protocol';
import { decodeRecordBatch, decodeRecordSummaries, isRecordBatch, RecordBatchBuilder, type RecordBatch, type RecordParts } from './record-batch';

const latin1Bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** One request as the engine hands it to the builder: offsets into raw, found here by a small head parser. */
function parts(raw: string, overrides: Partial<RecordParts> = {}): RecordParts {
  const bytes = latin1Bytes(raw);
  const end = raw.indexOf('\r\n\r\n');
  const lineEnd = raw.indexOf('\r\n');
  const sp1 = raw.indexOf(' ');
  const sp2 = raw.indexOf(' ', sp1 + 1);
  const offsets: number[] = [];
  for (let at = lineEnd + 2; end >= 0 && at < end + 2;) {
    const eol = raw.indexOf('\r\n', at);
    const colon = raw.indexOf(':', at);
    let vs = colon + 1;
    while (raw[vs] === ' ') vs++;
    offsets.push(at, colon, vs, eol);
    at = eol + 2;
  }
  const headLength = end < 0 ? 0 : end + 4;
  return {
    id: 41, connectionId: 9, requestOnConnection: 1,
    listener: { family: 'IPv4', address: '127.0.0.1', port: 8080 },
    peer: { family: 'IPv4', address: '127.0.0.1', port: 50000 },
    raw: bytes, rawFrom: 0, rawTo: bytes.length, rawLength: bytes.length, headLength,
    bodyInRaw: true, body: null, bodyFrom: 0, bodyKept: Math.max(0, bytes.length - headLength), bodyLength: Math.max(0, bytes.length - headLength),
    status: 200, error: null, errorDetail: null,
    accepted: 1_700_000_000_000.5, firstByte: 1_700_000_000_001.25, headComplete: 1_700_000_000_001.5, bodyComplete: 1_700_000_000_002, responseWritten: 1_700_000_000_003,
    methodStart: end < 0 ? -1 : 0, methodEnd: end < 0 ? -1 : sp1, targetStart: end < 0 ? -1 : sp1 + 1, targetEnd: end < 0 ? -1 : sp2,
    version: raw.includes('HTTP/1.0\r\n') ? 10 : end < 0 ? 0 : 11,
    headerCount: offsets.length / 4, headerOffsets: offsets, trailers: null,
    ...overrides,
  };
}

/** A batch with every kind of record: bodies in raw and apart, trailers, errors, IPv6, missing times, non-ASCII strings. */
function mixedBatch(): RecordBatch {
  const b = new RecordBatchBuilder(64, 2);
  const v6 = { family: 'IPv6' as const, address: '::1', port: 5555 };
  b.add(parts('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Case: V\xe9\r\n\r\n'));
  b.add(parts('POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc', { id: 42, connectionId: 9, requestOnConnection: 2, peer: v6 }));
  b.add(parts('PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7\r\ndecoded\r\n0\r\nX-T: 1\r\n\r\n', {
    id: 43, connectionId: 12, bodyInRaw: false, body: latin1Bytes('--decoded--'), bodyFrom: 2, bodyKept: 7, bodyLength: 100,
    trailers: [['X-Trailer', 'done'], ['X-Ünïcödé', 'ok ✓ 😀']], responseWritten: null,
  }));
  b.add(parts('BREW\x00\xff garbage', {
    id: 44, connectionId: 13, status: 400, error: 'bad-request-line', errorDetail: 'request line has NUL — “détail” 😀',
    headComplete: null, bodyComplete: null, responseWritten: null, peer: v6,
  }));
  // An odd number of bytes, so nothing after the bytes section is aligned by accident.
  b.add(parts(`POST /big HTTP/1.1\r\nHost: x\r\n\r\n${'z'.repeat(70_001)}`, { id: 45, connectionId: 14, bodyLength: 1_000_000 }));
  return b.take();
}

function assertSameBatch(actual: RecordBatch, expected: RecordBatch): void {
  assert.ok(isRecordBatch(actual));
  assert.equal(actual.kind, expected.kind);
  assert.equal(actual.version, expected.version);
  assert.equal(actual.count, expected.count);
  assert.equal(actual.baseId, expected.baseId);
  assert.equal(actual.baseConnectionId, expected.baseConnectionId);
  assert.deepEqual(actual.strings, expected.strings);
  assert.deepEqual(Array.from(actual.ints), Array.from(expected.ints));
  // Object.is per element: NaN (a missing time) must stay NaN, -0 stay -0.
  assert.equal(actual.floats.length, expected.floats.length);
  expected.floats.forEach((f, i) => assert.ok(Object.is(actual.floats[i], f), `floats[${i}]: ${actual.floats[i]} vs ${f}`));
  assert.deepEqual(Buffer.from(actual.bytes), Buffer.from(expected.bytes));
  assert.deepEqual(decodeRecordBatch(actual), decodeRecordBatch(expected));
  assert.deepEqual(decodeRecordSummaries(actual), decodeRecordSummaries(expected));
}

test('a batch of mixed records round-trips field by field, and decodes to the same records', () => {
  const batch = mixedBatch();
  assert.equal(batch.count, 5);
  const encoded = encodeRecordBatchBinary(batch);
  const decoded = decodeRecordBatchBinary(encoded);
  assert.ok(decoded);
  assertSameBatch(decoded, batch);
  const records = decodeRecordBatch(decoded);
  assert.deepEqual(records[2]!.trailers, [['X-Trailer', 'done'], ['X-Ünïcödé', 'ok ✓ 😀']]);
  assert.equal(Buffer.from(records[2]!.body).toString('latin1'), 'decoded');
  assert.equal(records[3]!.errorDetail, 'request line has NUL — “détail” 😀');
  assert.equal(records[3]!.timestamps.headComplete, null);
  assert.deepEqual(records[1]!.peer, { family: 'IPv6', address: '::1', port: 5555 });
});

test('the typed arrays are always aligned: views of an aligned input (no copy), copies of a misaligned one; the layout sections are aligned too', () => {
  const batch = mixedBatch();
  const encoded = encodeRecordBatchBinary(batch);
  // At offset 0 of its own buffer (how the page's FrameReader assembles a frame from several chunks): views.
  const own = decodeRecordBatchBinary(encoded);
  assert.ok(own);
  assert.equal(own.floats.buffer, encoded.buffer, 'floats are a view');
  assert.equal(own.ints.buffer, encoded.buffer, 'ints are a view');
  assertSameBatch(own, batch);
  // Decode from an odd offset in a larger buffer: copies, which must not depend on the input's alignment.
  const shifted = new Uint8Array(encoded.length + 3);
  shifted.set(encoded, 3);
  const decoded = decodeRecordBatchBinary(shifted.subarray(3));
  assert.ok(decoded);
  assert.equal(decoded.floats.byteOffset % 8, 0);
  assert.equal(decoded.ints.byteOffset % 4, 0);
  assert.notEqual(decoded.floats.buffer, shifted.buffer);
  assert.notEqual(decoded.ints.buffer, shifted.buffer);
  assertSameBatch(decoded, batch);
  // Layout: floats right after the header, ints right after the floats.
  assert.equal(BATCH_BINARY_HEADER_BYTES % 8, 0);
  const floatBytes = batch.floats.length * 8;
  assert.deepEqual(encoded.subarray(BATCH_BINARY_HEADER_BYTES, BATCH_BINARY_HEADER_BYTES + floatBytes), new Uint8Array(batch.floats.buffer, batch.floats.byteOffset, floatBytes));
});

test('an empty batch and a one-record batch round-trip', () => {
  const b = new RecordBatchBuilder();
  const empty = b.take();
  const e = decodeRecordBatchBinary(encodeRecordBatchBinary(empty));
  assert.ok(e);
  assertSameBatch(e, empty);
  assert.equal(encodeRecordBatchBinary(empty).length, BATCH_BINARY_HEADER_BYTES + 2); // "[]"
  b.add(parts('GET / HTTP/1.1\r\nHost: a\r\n\r\n', { id: 2 ** 40, connectionId: 2 ** 33 }));
  const one = b.take();
  const o = decodeRecordBatchBinary(encodeRecordBatchBinary(one));
  assert.ok(o);
  assertSameBatch(o, one);
  assert.equal(decodeRecordBatch(o)[0]!.id, 2 ** 40);
});

test('a batch whose subarrays are views into larger buffers encodes only the views', () => {
  const batch = mixedBatch();
  const pad = <T extends Float64Array | Int32Array | Uint8Array>(a: T, Kind: new (b: ArrayBuffer, o: number, n: number) => T, width: number): T => {
    const buf = new ArrayBuffer((a.length + 4) * width);
    const view = new Kind(buf, 2 * width, a.length);
    view.set(a as never);
    return view;
  };
  const viewed: RecordBatch = {
    ...batch,
    floats: pad(batch.floats, Float64Array, 8),
    ints: pad(batch.ints, Int32Array, 4),
    bytes: pad(batch.bytes, Uint8Array, 1),
  };
  const decoded = decodeRecordBatchBinary(encodeRecordBatchBinary(viewed));
  assert.ok(decoded);
  assertSameBatch(decoded, batch);
});

/** A copy of `bytes` changed by `edit`. */
function edited(bytes: Uint8Array, edit: (view: DataView, out: Uint8Array) => void): Uint8Array {
  const out = bytes.slice();
  edit(new DataView(out.buffer), out);
  return out;
}

test('malformed input decodes to null, never throws', () => {
  const batch = mixedBatch();
  const good = encodeRecordBatchBinary(batch);
  const stringsAt = good.length - new TextEncoder().encode(JSON.stringify(batch.strings)).length;
  const reencode = (b: Partial<RecordBatch>): Uint8Array => encodeRecordBatchBinary({ ...batch, ...b });
  const withStrings = (json: Uint8Array): Uint8Array => {
    const out = new Uint8Array(stringsAt + json.length);
    out.set(good.subarray(0, stringsAt));
    new DataView(out.buffer).setUint32(24, json.length, true);
    out.set(json, stringsAt);
    return out;
  };
  const cases: [string, Uint8Array][] = [
    ['empty input', new Uint8Array(0)],
    ['a header cut short', good.subarray(0, BATCH_BINARY_HEADER_BYTES - 1)],
    ['wrong magic', edited(good, (_v, o) => { o[0] = 0x58; })],
    ['unknown layout version', edited(good, (v) => v.setUint16(4, 2, true))],
    ['another record batch version', edited(good, (v) => v.setUint16(6, 1, true))],
    ['reserved word not zero', edited(good, (v) => v.setUint32(28, 1, true))],
    ['last byte missing', good.subarray(0, good.length - 1)],
    ['a byte too many', (() => { const o = new Uint8Array(good.length + 1); o.set(good); return o; })()],
    ['floats length one more', edited(good, (v) => v.setUint32(12, batch.floats.length + 1, true))],
    ['ints length one less', edited(good, (v) => v.setUint32(16, batch.ints.length - 1, true))],
    ['bytes length past the end', edited(good, (v) => v.setUint32(20, 0xffffffff, true))],
    ['strings length past the end', edited(good, (v) => v.setUint32(24, good.length, true))],
    ['count not dividing the floats', edited(good, (v) => v.setUint32(8, batch.count + 1, true))],
    ['count zero with data', edited(good, (v) => v.setUint32(8, 0, true))],
    ['baseId NaN', edited(good, (v) => v.setFloat64(32, NaN, true))],
    ['baseConnectionId fractional', edited(good, (v) => v.setFloat64(40, 1.5, true))],
    ['strings not JSON', edited(good, (_v, o) => { o[stringsAt] = 0x78; })],
    ['strings not UTF-8', edited(good, (_v, o) => { o[good.length - 2] = 0xff; })],
    ['strings JSON not an array', withStrings(new TextEncoder().encode('{"0":"a"}'))],
    ['strings array holding a number', withStrings(new TextEncoder().encode('["127.0.0.1",1]'))],
    ['strings section empty', withStrings(new Uint8Array(0))],
    ['ints truncated (records do not walk)', reencode({ ints: batch.ints.subarray(0, 25) })],
    ['count doubled with floats doubled (ints run out)', reencode({ count: batch.count * 2, floats: new Float64Array(batch.floats.length * 2) })],
    ['a peer index past the strings', reencode({ strings: [] })],
    ['a request line past the bytes', reencode({ bytes: batch.bytes.subarray(0, 10) })],
    ['random bytes', Uint8Array.from({ length: 200 }, (_, i) => (i * 131 + 7) & 0xff)],
  ];
  for (const [name, input] of cases) {
    let result: RecordBatch | null | undefined;
    assert.doesNotThrow(() => { result = decodeRecordBatchBinary(input); }, name);
    assert.equal(result, null, name);
  }
  // The table's edits are what makes them fail: the untouched bytes decode.
  assert.ok(decodeRecordBatchBinary(good));
});

test('every truncation and every single-byte flip of the header is refused or decodes to a walkable batch', () => {
  const good = encodeRecordBatchBinary(mixedBatch());
  for (let n = 0; n < good.length; n += n < 200 ? 1 : 997) assert.equal(decodeRecordBatchBinary(good.subarray(0, n)), null, `cut at ${n}`);
  for (let i = 0; i < BATCH_BINARY_HEADER_BYTES; i++) {
    const flipped = edited(good, (_v, o) => { o[i]! ^= 0x40; });
    const result = decodeRecordBatchBinary(flipped);
    // Flipping a byte of baseId or baseConnectionId may leave a valid (other) batch; anything else must be refused.
    if (result !== null) {
      assert.ok(i >= 32, `flip at ${i} accepted`);
      assert.doesNotThrow(() => decodeRecordBatch(result!));
    }
  }
});

/* ---- frames ---- */

const status = { state: 'listening', listen: { host: '127.0.0.1', port: 9 }, url: 'http://127.0.0.1:9/' };

/** A stream of six frames of every type, a large one among them. */
function sampleStream(): { bytes: Uint8Array; frames: Array<{ type: number; seq: number; payload: Uint8Array }> } {
  const big = encodeRecordBatchBinary(mixedBatch());
  const small = encodeRecordBatchBinary(new RecordBatchBuilder(64, 1).take());
  const statusBytes = new TextEncoder().encode(JSON.stringify(status));
  const frames = [
    { type: FRAME_TYPE.status, seq: 0, payload: statusBytes },
    { type: FRAME_TYPE.records, seq: 1, payload: big },
    { type: FRAME_TYPE.ping, seq: 0, payload: new Uint8Array(0) },
    { type: FRAME_TYPE.records, seq: 2, payload: small },
    { type: FRAME_TYPE.backlog, seq: 0, payload: encodeBacklogFrame(123_456).subarray(FRAME_HEADER_BYTES) },
    { type: FRAME_TYPE.records, seq: 2 ** 40, payload: big },
  ];
  const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.seq, f.payload)));
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), frames };
}

const plain = (frames: Frame[]) => frames.map((f) => ({ type: f.type, seq: f.seq, payload: Buffer.from(f.payload).toString('hex') }));

test('a frame header is 16 bytes: u32 LE length, u8 type, 3 zero bytes, f64 LE sequence number', () => {
  const f = encodeFrame(FRAME_TYPE.records, 258, new Uint8Array([7, 8, 9]));
  assert.equal(FRAME_HEADER_BYTES, 16);
  assert.deepEqual([...f.subarray(0, 8)], [3, 0, 0, 0, 1, 0, 0, 0]);
  assert.equal(Buffer.from(f).readDoubleLE(8), 258);
  assert.deepEqual([...f.subarray(16)], [7, 8, 9]);
  const ping = encodeFrame(FRAME_TYPE.ping, 0, new Uint8Array(0));
  assert.deepEqual([...ping], [0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // The one-allocation records frame and the status frame are the same bytes as encodeFrame makes.
  assert.deepEqual(encodeRecordsFrame(5, mixedBatch()), encodeFrame(FRAME_TYPE.records, 5, encodeRecordBatchBinary(mixedBatch())));
  assert.deepEqual(encodeStatusFrame(status), encodeFrame(FRAME_TYPE.status, 0, new TextEncoder().encode(JSON.stringify(status))));
  // Writers refuse what a reader would refuse.
  assert.throws(() => encodeFrame(FRAME_TYPE.records, 0, new Uint8Array(1)), RangeError);
  assert.throws(() => encodeFrame(FRAME_TYPE.status, 3, new Uint8Array(1)), RangeError);
  assert.throws(() => writeFrameHeader(new Uint8Array(16), 0, FRAME_TYPE.ping, 0, MAX_FRAME_PAYLOAD_BYTES + 1), RangeError);
});

test('a records frame in parts is the same bytes as in one piece, and its number parts are the batch\'s own arrays (no copy)', () => {
  const rows: Array<[string, RecordBatch]> = [['mixed', mixedBatch()], ['empty', new RecordBatchBuilder(64, 1).take()]];
  for (const [name, batch] of rows) {
    const parts = encodeRecordsFrameParts(7, batch);
    assert.deepEqual(new Uint8Array(Buffer.concat(parts)), encodeRecordsFrame(7, batch), name);
    assert.ok(parts.every((p) => p.length > 0), `${name}: no empty parts`);
  }
  const batch = mixedBatch();
  const parts = encodeRecordsFrameParts(1, batch);
  assert.equal(parts[1]!.buffer, batch.floats.buffer, 'floats are not copied');
  assert.equal(parts[2]!.buffer, batch.ints.buffer, 'ints are not copied');
  assert.equal(parts[3], batch.bytes, 'bytes are not copied');
  const [frame] = new FrameReader().push(new Uint8Array(Buffer.concat(parts)));
  assert.ok(frame);
  assertSameBatch(decodeRecordBatchBinary(frame.payload)!, batch);
  assert.throws(() => encodeRecordsFrameParts(0, batch), RangeError, 'sequence number 0');
});

test('a backlog frame carries one f64 record count; anything else in its payload is refused', () => {
  const f = encodeBacklogFrame(70_000);
  assert.deepEqual([...f.subarray(0, 16)], [8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const [frame] = new FrameReader().push(f);
  assert.ok(frame);
  assert.equal(frame.type, FRAME_TYPE.backlog);
  assert.equal(decodeBacklog(frame.payload), 70_000);
  assert.equal(decodeBacklog(encodeBacklogFrame(0).subarray(FRAME_HEADER_BYTES)), 0, 'caught up');
  const f64 = (n: number): Uint8Array => { const b = Buffer.alloc(8); b.writeDoubleLE(n); return new Uint8Array(b); };
  const bad: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['7 bytes', new Uint8Array(7)],
    ['9 bytes', new Uint8Array(9)],
    ['negative', f64(-1)],
    ['fraction', f64(2.5)],
    ['NaN', f64(NaN)],
    ['past 2^53', f64(2 ** 60)],
  ];
  for (const [name, payload] of bad) assert.equal(decodeBacklog(payload), null, name);
  for (const n of [-1, 0.5, NaN, 2 ** 60]) assert.throws(() => encodeBacklogFrame(n), RangeError, `encode ${n}`);
});

test('FrameReader: a whole stream in one chunk gives every frame, payloads as views (no copy)', () => {
  const { bytes, frames } = sampleStream();
  const reader = new FrameReader();
  const got = reader.push(bytes);
  assert.deepEqual(plain(got), plain(frames as Frame[]));
  assert.equal(reader.error, null);
  assert.equal(reader.buffered, 0);
  assert.equal(got[1]!.payload.buffer, bytes.buffer, 'a frame inside the chunk is a view of it');
  const batch = decodeRecordBatchBinary(got[1]!.payload);
  assert.ok(batch);
  assertSameBatch(batch, mixedBatch());
});

test('FrameReader: the stream split in two at every position, and byte by byte, gives the same frames', () => {
  const { bytes, frames } = sampleStream();
  const expected = plain(frames as Frame[]);
  // Every cut inside the first three frames and around the others (the big payloads are ~70 kB).
  const cuts = new Set<number>();
  for (let n = 0; n <= bytes.length; n += n < 400 || bytes.length - n < 400 ? 1 : 211) cuts.add(n);
  let boundary = 0;
  for (const f of frames) {
    boundary += FRAME_HEADER_BYTES + f.payload.length;
    for (let d = -20; d <= 20; d++) if (boundary + d >= 0 && boundary + d <= bytes.length) cuts.add(boundary + d);
  }
  for (const cut of cuts) {
    const reader = new FrameReader();
    const got = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
    assert.deepEqual(plain(got), expected, `cut at ${cut}`);
    assert.equal(reader.buffered, 0);
  }
  const reader = new FrameReader();
  const got: Frame[] = [];
  for (let i = 0; i < bytes.length; i++) got.push(...reader.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(plain(got), expected, 'byte by byte');
});

test('FrameReader: frames held back until complete; empty chunks are harmless', () => {
  const f = encodeFrame(FRAME_TYPE.records, 9, new Uint8Array(100).fill(1));
  const reader = new FrameReader();
  assert.deepEqual(reader.push(f.subarray(0, 10)), []);
  assert.equal(reader.buffered, 10);
  assert.deepEqual(reader.push(new Uint8Array(0)), []);
  assert.deepEqual(reader.push(f.subarray(10, 50)), []);
  assert.equal(reader.buffered, 50);
  const done = reader.push(f.subarray(50));
  assert.equal(done.length, 1);
  assert.equal(done[0]!.seq, 9);
  assert.equal(reader.buffered, 0);
});

test('FrameReader: many small frames per chunk and a large stream are read in linear time', () => {
  const one = encodeFrame(FRAME_TYPE.ping, 0, new Uint8Array(0));
  const many = new Uint8Array(one.length * 100_000);
  for (let i = 0; i < 100_000; i++) many.set(one, i * one.length);
  const reader = new FrameReader();
  assert.equal(reader.push(many).length, 100_000);
  // 4 MiB payloads fed in 1000-byte chunks: quadratic buffering would take seconds here.
  const big = encodeFrame(FRAME_TYPE.records, 1, new Uint8Array(4 * 1024 * 1024).fill(7));
  const start = performance.now();
  let got = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < big.length; i += 1000) got += reader.push(big.subarray(i, i + 1000)).length;
  }
  assert.equal(got, 4);
  assert.ok(performance.now() - start < 2000, `${performance.now() - start} ms`);
});

test('FrameReader: a bad header is an error state for good; the frames before it still come', () => {
  const good = encodeFrame(FRAME_TYPE.ping, 0, new Uint8Array(0));
  const header = (length: number, type: number, seq: number, reserved = 0): Uint8Array => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(length, 0);
    h[4] = type;
    h[6] = reserved;
    h.writeDoubleLE(seq, 8);
    return new Uint8Array(h);
  };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['length past the maximum', header(MAX_FRAME_PAYLOAD_BYTES + 1, FRAME_TYPE.records, 1), new RegExp(`over the ${MAX_FRAME_PAYLOAD_BYTES}-byte limit`)],
    ['length 0xffffffff', header(0xffffffff, FRAME_TYPE.status, 0), /limit/],
    ['type 0', header(0, 0, 0), /unknown frame type 0/],
    ['type 5', header(0, 5, 0), /unknown frame type 5/],
    ['backlog seq 1', header(0, FRAME_TYPE.backlog, 1), /sequence number 1/],
    ['type 255', header(0, 255, 0), /unknown frame type 255/],
    ['reserved byte', header(0, FRAME_TYPE.ping, 0, 1), /reserved/],
    ['records seq 0', header(0, FRAME_TYPE.records, 0), /sequence number 0/],
    ['records seq 1.5', header(0, FRAME_TYPE.records, 1.5), /sequence number 1\.5/],
    ['records seq NaN', header(0, FRAME_TYPE.records, NaN), /sequence number NaN/],
    ['status seq 3', header(0, FRAME_TYPE.status, 3), /sequence number 3/],
  ];
  for (const [name, bad, why] of cases) {
    for (const split of [false, true]) {
      const reader = new FrameReader();
      const stream = Buffer.concat([good, bad, good]);
      const got = split ? [...reader.push(stream.subarray(0, 20)), ...reader.push(stream.subarray(20))] : reader.push(stream);
      assert.equal(got.length, 1, `${name}: only the frame before the bad header`);
      assert.match(reader.error ?? '', why, name);
      assert.deepEqual(reader.push(good), [], `${name}: nothing after the error`);
    }
  }
  // At the maximum itself the header is accepted (and the payload awaited).
  const atMax = new FrameReader();
  assert.deepEqual(atMax.push(header(MAX_FRAME_PAYLOAD_BYTES, FRAME_TYPE.records, 1)), []);
  assert.equal(atMax.error, null);
});

test('decodeRecordBatchBinary with walk: false skips only the record walk', () => {
  const batch = mixedBatch();
  const bytes = encodeRecordBatchBinary(batch);
  const decoded = decodeRecordBatchBinary(bytes, { walk: false });
  assert.ok(decoded);
  assertSameBatch(decoded, batch);
  // A peer string index past the strings: walked → refused; unwalked → returned (the caller's walk throws).
  const strings = { ...batch, strings: batch.strings.slice(0, 1) };
  const broken = encodeRecordBatchBinary(strings);
  assert.equal(decodeRecordBatchBinary(broken), null);
  const unwalked = decodeRecordBatchBinary(broken, { walk: false });
  assert.ok(unwalked);
  assert.throws(() => decodeRecordSummaries(unwalked));
  // Every other check still applies.
  assert.equal(decodeRecordBatchBinary(bytes.subarray(0, bytes.length - 1), { walk: false }), null);
});
