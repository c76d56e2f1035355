/**
 * RecordFeed with fake streams: numbering, the binary frames, replay after
 * `?after=`, the history bound, pausing slow readers, ending a stream
 * past the queue limit, statuses, heartbeats and unsubscribing on close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRecordBatchBinary, encodeFrame, encodeRecordBatchBinary, FRAME_HEADER_BYTES, FRAME_TYPE, FrameReader, type Frame,
} from '../../common/browser-protocol';
import type { EngineStatus } from '../../common/inspector-api';
import { decodeRecordBatch, RecordBatchBuilder, type RecordBatch } from '../../common/record-batch';
import { parseAfterSeq, WRITE_PIECE_BYTES, RecordFeed, recordsFrame, statusFrame, type FeedOptions } from './record-feed';
import { FakeStream } from './test/fake-http';

const LISTEN = { host: '127.0.0.1', port: 8080 };
const LISTENING: EngineStatus = { state: 'listening', listen: LISTEN, url: 'http://127.0.0.1:8080/' };

/** A batch of one GET request for `target`. */
function batchFor(target: string, id = 1): RecordBatch {
  const head = `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const raw = new Uint8Array(Buffer.from(head, 'latin1'));
  const b = new RecordBatchBuilder(64, 1);
  const hostAt = head.indexOf('Host');
  b.add({
    id, connectionId: 1, requestOnConnection: 1,
    listener: { family: 'IPv4', address: '127.0.0.1', port: 8080 },
    peer: { family: 'IPv4', address: '127.0.0.1', port: 40000 },
    raw, rawFrom: 0, rawTo: raw.length, rawLength: raw.length, headLength: raw.length,
    bodyInRaw: true, body: null, bodyFrom: 0, bodyKept: 0, bodyLength: 0,
    status: 200, error: null, errorDetail: null,
    accepted: 1, firstByte: 2, headComplete: 3, bodyComplete: 3, responseWritten: 4,
    methodStart: 0, methodEnd: 3, targetStart: 4, targetEnd: 4 + target.length, version: 11,
    headerCount: 1, headerOffsets: [hostAt, hostAt + 4, hostAt + 6, hostAt + 7],
    trailers: null,
  });
  return b.take();
}

/** Every frame written to the stream; the stream must not end inside one nor break the framing. */
function framesOf(s: FakeStream): Frame[] {
  const reader = new FrameReader();
  const frames = reader.push(s.bytes);
  assert.equal(reader.error, null);
  assert.equal(reader.buffered, 0, 'the stream ends between frames');
  return frames;
}

const recordFrames = (s: FakeStream): Frame[] => framesOf(s).filter((f) => f.type === FRAME_TYPE.records);

function targetsOf(s: FakeStream): string[] {
  return recordFrames(s).map((f) => {
    const batch = decodeRecordBatchBinary(f.payload);
    assert.ok(batch);
    return decodeRecordBatch(batch).map((r) => r.target).join(',');
  });
}

const idsOf = (s: FakeStream): number[] => recordFrames(s).map((f) => f.seq);

const statusesOf = (s: FakeStream): EngineStatus[] =>
  framesOf(s).filter((f) => f.type === FRAME_TYPE.status).map((f) => JSON.parse(Buffer.from(f.payload).toString('utf8')) as EngineStatus);

const feeds: RecordFeed[] = [];
function newFeed(options: Partial<FeedOptions> = {}): RecordFeed {
  const f = new RecordFeed({ status: LISTENING, ...options });
  feeds.push(f);
  return f;
}
test.after(() => { for (const f of feeds) f.close(); });

test('a new subscriber gets the status, then every kept batch; live batches follow', () => {
  const feed = newFeed();
  assert.equal(feed.publishBatch(batchFor('/one')), 1);
  assert.equal(feed.publishBatch(batchFor('/two')), 2);
  const s = new FakeStream();
  feed.subscribe(s, null);
  const frames = framesOf(s);
  assert.deepEqual(frames.map((f) => [f.type, f.seq]), [[FRAME_TYPE.status, 0], [FRAME_TYPE.records, 1], [FRAME_TYPE.records, 2]]);
  assert.deepEqual(statusesOf(s), [LISTENING]);
  assert.deepEqual(targetsOf(s), ['/one', '/two']);

  assert.equal(feed.publishBatch(batchFor('/three')), 3);
  assert.deepEqual(targetsOf(s), ['/one', '/two', '/three']);
  assert.deepEqual(idsOf(s), [1, 2, 3]);
  assert.equal(feed.stats().subscribers, 1);
});

test('each batch is encoded once: every stream is written the same Buffer, header and payload together', () => {
  const feed = newFeed();
  const written: Array<Buffer | string>[] = [[], []];
  const streams = written.map((w) => {
    const s = new FakeStream();
    const write = s.write.bind(s);
    s.write = (chunk) => { w.push(chunk); return write(chunk); };
    feed.subscribe(s, null);
    return s;
  });
  feed.publishBatch(batchFor('/x'));
  const [a, b] = [written[0]!.at(-1), written[1]!.at(-1)];
  assert.ok(Buffer.isBuffer(a));
  assert.equal(a, b, 'the same Buffer object');
  const payload = encodeRecordBatchBinary(batchFor('/x'));
  assert.deepEqual(new Uint8Array(a), encodeFrame(FRAME_TYPE.records, 1, payload));
  assert.equal(a.length, FRAME_HEADER_BYTES + payload.length);
  assert.deepEqual(targetsOf(streams[0]!), ['/x']);
  // The status frame is UTF-8 JSON (a non-ASCII message survives).
  const status: EngineStatus = { state: 'error', listen: LISTEN, message: 'port “9” ✓', code: null };
  assert.deepEqual(JSON.parse(Buffer.from(statusFrame(status)).subarray(FRAME_HEADER_BYTES).toString('utf8')), status);
});

test('?after=: only newer frames are replayed; absent or unparseable replays everything', () => {
  const feed = newFeed();
  for (const t of ['/a', '/b', '/c', '/d']) feed.publishBatch(batchFor(t));
  const cases: Array<[string | null, number[]]> = [
    [null, [1, 2, 3, 4]], ['2', [3, 4]], [' 2 ', [3, 4]], ['4', []], ['0', [1, 2, 3, 4]], ['99', []], ['x', [1, 2, 3, 4]], ['-1', [1, 2, 3, 4]], ['', [1, 2, 3, 4]],
  ];
  for (const [after, ids] of cases) {
    const s = new FakeStream();
    feed.subscribe(s, after);
    assert.deepEqual(idsOf(s), ids, `after ${after}`);
    assert.deepEqual(statusesOf(s), [LISTENING], 'the status comes first, whatever the cursor');
  }
  assert.equal(parseAfterSeq('12'), 12);
  assert.equal(parseAfterSeq('1e3'), null);
  assert.equal(parseAfterSeq(null), null);
});

test('the history is bounded: oldest batches are dropped and counted; the newest is always kept', () => {
  const frameBytes = recordsFrame(1, batchFor('/p1')).length;
  const feed = newFeed({ maxHistoryBytes: frameBytes * 3 });
  for (let i = 1; i <= 5; i++) feed.publishBatch(batchFor(`/p${i}`));
  const stats = feed.stats();
  assert.equal(stats.published, 5);
  assert.equal(stats.dropped, 2);
  assert.equal(stats.keptBatches, 3);
  assert.equal(stats.droppedBytes, frameBytes * 2);
  const s = new FakeStream();
  feed.subscribe(s, null);
  assert.deepEqual(targetsOf(s), ['/p3', '/p4', '/p5']);
  const behind = new FakeStream();
  feed.subscribe(behind, '1');
  assert.deepEqual(idsOf(behind), [3, 4, 5], 'a cursor behind the kept history starts at the oldest kept');

  const tiny = newFeed({ maxHistoryBytes: 1 });
  tiny.publishBatch(batchFor('/big'));
  tiny.publishBatch(batchFor('/bigger'));
  const t = new FakeStream();
  tiny.subscribe(t, null);
  assert.deepEqual(targetsOf(t), ['/bigger']);
});

test('many drops keep sequence numbers and replay right (the kept array is compacted)', () => {
  const frameBytes = recordsFrame(3000, batchFor('/q3000')).length;
  const feed = newFeed({ maxHistoryBytes: frameBytes * 2 });
  for (let i = 1; i <= 3000; i++) feed.publishBatch(batchFor(`/q${i}`));
  const s = new FakeStream();
  feed.subscribe(s, '2998');
  assert.deepEqual(idsOf(s), [2999, 3000]);
  assert.deepEqual(targetsOf(s), ['/q2999', '/q3000']);
});

test('a frame far larger than the high-water mark goes out in pieces as the client reads; a status waits for its end', async () => {
  const feed = newFeed({ highWaterBytes: 1000, pumpIntervalMs: 1 });
  const s = new FakeStream();
  s.queued = 0;
  let maxQueued = 0;
  const write = s.write.bind(s);
  s.write = (chunk) => {
    s.queued += chunk.length;
    maxQueued = Math.max(maxQueued, s.queued);
    return write(chunk);
  };
  feed.subscribe(s, null);
  s.queued = 0;
  const bigTarget = `/${'x'.repeat(3 * WRITE_PIECE_BYTES + 12345)}`;
  feed.publishBatch(batchFor(bigTarget));
  // One piece went out, then the stream is over its high-water mark: the frame is not complete yet.
  const firstLength = s.bytes.length;
  assert.ok(firstLength > 0 && firstLength < 2 * WRITE_PIECE_BYTES, `first write ${firstLength}`);
  feed.publishStatus({ state: 'starting', listen: LISTEN });
  feed.publishBatch(batchFor('/after'));
  // The client reads: everything arrives, whole and in order, the status after the big frame.
  for (let i = 0; i < 200 && !framesComplete(s); i++) {
    s.queued = 0;
    await new Promise((r) => setTimeout(r, 3));
  }
  const frames = framesOf(s);
  assert.deepEqual(frames.map((f) => f.type), [FRAME_TYPE.status, FRAME_TYPE.records, FRAME_TYPE.status, FRAME_TYPE.records]);
  assert.deepEqual(targetsOf(s), [bigTarget, '/after']);
  assert.ok(maxQueued <= 1000 + WRITE_PIECE_BYTES + 1024, `never more than high water + one piece unsent (${maxQueued})`);
  assert.equal(feed.stats().oversized, 0);
});

/** True when the stream's bytes end on a frame boundary and hold two records frames. */
function framesComplete(s: FakeStream): boolean {
  const reader = new FrameReader();
  const frames = reader.push(s.bytes);
  return reader.buffered === 0 && frames.filter((f) => f.type === FRAME_TYPE.records).length === 2;
}

test('a slow reader is paused at the high-water mark and pumped on when it drains; nothing is skipped', async () => {
  const feed = newFeed({ highWaterBytes: 10, pumpIntervalMs: 1 });
  for (const t of ['/1', '/2', '/3']) feed.publishBatch(batchFor(t));
  const s = new FakeStream();
  s.queued = 0;
  // Every write "queues": the stream reports more unsent bytes after each frame.
  const write = s.write.bind(s);
  s.write = (chunk) => { s.queued += 100; return write(chunk); };
  feed.subscribe(s, null);
  // The status was written (queued 100 > 10), so no records frame yet.
  assert.deepEqual(idsOf(s), []);
  feed.publishBatch(batchFor('/4'));
  assert.deepEqual(idsOf(s), [], 'a paused stream gets no live frame either');
  for (let i = 0; i < 4; i++) {
    s.queued = 0;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(idsOf(s), [1, 2, 3, 4].slice(0, i + 1));
  }
  assert.deepEqual(targetsOf(s), ['/1', '/2', '/3', '/4']);
});

test('a stream past the queue limit is ended (the page reconnects with ?after=) and unsubscribed', () => {
  const feed = newFeed({ highWaterBytes: 1_000_000, maxQueueBytes: 500 });
  const s = new FakeStream();
  feed.subscribe(s, null);
  feed.publishBatch(batchFor('/first'));
  assert.deepEqual(idsOf(s), [1]);
  s.queued = 501;
  feed.publishBatch(batchFor('/second'));
  assert.equal(s.closed, true);
  assert.equal(s.endCalls, 1);
  assert.deepEqual(idsOf(s), [1]);
  assert.equal(feed.stats().subscribers, 0);
  assert.equal(feed.stats().endedForBackpressure, 1);
  const again = new FakeStream();
  feed.subscribe(again, '1');
  assert.deepEqual(targetsOf(again), ['/second'], 'the reconnect gets what the ended stream missed');
});

test('status frames go to every subscriber; a new subscriber gets the current one first', () => {
  const feed = newFeed();
  const a = new FakeStream();
  feed.subscribe(a, null);
  const starting: EngineStatus = { state: 'starting', listen: { host: '127.0.0.1', port: 9 } };
  const error: EngineStatus = { state: 'error', listen: { host: '127.0.0.1', port: 9 }, message: 'port 9 is in use', code: 'EADDRINUSE' };
  feed.publishStatus(starting);
  feed.publishStatus(error);
  assert.deepEqual(statusesOf(a), [LISTENING, starting, error]);
  assert.deepEqual(feed.status, error);
  const b = new FakeStream();
  feed.subscribe(b, null);
  assert.deepEqual(statusesOf(b), [error]);
});

test('a closed stream is unsubscribed and written no more', () => {
  const feed = newFeed();
  const s = new FakeStream();
  feed.subscribe(s, null);
  const before = s.chunks.length;
  s.close('client-closed');
  assert.equal(feed.stats().subscribers, 0);
  feed.publishBatch(batchFor('/after'));
  feed.publishStatus(LISTENING);
  assert.equal(s.chunks.length, before);
});

test('heartbeat ping frames keep idle streams alive', async () => {
  const feed = newFeed({ heartbeatMs: 5 });
  const s = new FakeStream();
  feed.subscribe(s, null);
  await new Promise((r) => setTimeout(r, 30));
  const pings = framesOf(s).filter((f) => f.type === FRAME_TYPE.ping);
  assert.ok(pings.length >= 1);
  assert.ok(pings.every((f) => f.seq === 0 && f.payload.length === 0));
});

test('close ends every stream; a later subscriber is ended at once', () => {
  const feed = newFeed();
  const s = new FakeStream();
  feed.subscribe(s, null);
  feed.close();
  assert.equal(s.closed, true);
  const late = new FakeStream();
  feed.subscribe(late, null);
  assert.equal(late.closed, true);
  assert.equal(late.text, '');
});
