/**
 * RecordFeed with fake streams: numbering, the binary frames, replay after
 * `?after=`, the history bound, pausing slow readers, ending a stream
 * past the queue limit, statuses, heartbeats and unsubscribing on close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBacklog, decodeRecordBatchBinary, encodeFrame, encodeRecordBatchBinary, FRAME_HEADER_BYTES, FRAME_TYPE, FrameReader, type Frame,
} from '../../common/browser-protocol';
import type { EngineStatus } from '../../common/inspector-api';
import { decodeRecordBatch, RecordBatchBuilder, type RecordBatch } from '../../common/record-batch';
import { keptFrame, parseAfterSeq, WRITE_PIECE_BYTES, RecordFeed, statusFrame, type FeedOptions } from './record-feed';
import { FakeStream } from './test/fake-http';
import { eventually } from '../../server/test/eventually';

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

/** The record counts of the stream's backlog frames, in order. */
const backlogsOf = (s: FakeStream): number[] => framesOf(s).filter((f) => f.type === FRAME_TYPE.backlog).map((f) => {
  const n = decodeBacklog(f.payload);
  assert.notEqual(n, null);
  return n!;
});

/** Records frames complete so far (the stream may stop inside one while it is paced). */
const recordsSoFar = (s: FakeStream): number => new FrameReader().push(s.bytes).filter((f) => f.type === FRAME_TYPE.records).length;

/** Poll `check` (real time; the pump runs on real timers) until it holds, for at most a second. */
const within1s = (check: () => boolean, what: string): Promise<void> => eventually(check, what, 1000, 2);

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

test('each batch is kept without a copy and encoded once: every stream is written the same parts, the batch\'s own arrays among them', () => {
  const feed = newFeed();
  const written: Array<Buffer | string>[] = [[], []];
  const streams = written.map((w) => {
    const s = new FakeStream();
    const write = s.write.bind(s);
    s.write = (chunk) => { w.push(chunk); return write(chunk); };
    feed.subscribe(s, null);
    return s;
  });
  const before = written.map((w) => w.length);
  const batch = batchFor('/x');
  feed.publishBatch(batch);
  const [a, b] = written.map((w, i) => w.slice(before[i]));
  assert.ok(a!.length > 1 && a!.every((c) => Buffer.isBuffer(c)), 'the frame goes out as its parts');
  assert.equal(a!.length, b!.length);
  a!.forEach((chunk, i) => assert.equal(chunk, b![i], `part ${i}: the same Buffer object for both streams`));
  const sent = Buffer.concat(a as Buffer[]);
  const payload = encodeRecordBatchBinary(batchFor('/x'));
  assert.deepEqual(new Uint8Array(sent), encodeFrame(FRAME_TYPE.records, 1, payload));
  assert.equal(sent.length, FRAME_HEADER_BYTES + payload.length);
  assert.ok((a as Buffer[]).some((c) => c.buffer === batch.floats.buffer), 'the batch\'s floats are sent as they are');
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
  const frameBytes = keptFrame(1, batchFor('/p1')).length;
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
  const frameBytes = keptFrame(3000, batchFor('/q3000')).length;
  const feed = newFeed({ maxHistoryBytes: frameBytes * 2 });
  for (let i = 1; i <= 3000; i++) feed.publishBatch(batchFor(`/q${i}`));
  const s = new FakeStream();
  feed.subscribe(s, '2998');
  assert.deepEqual(idsOf(s), [2999, 3000]);
  assert.deepEqual(targetsOf(s), ['/q2999', '/q3000']);
});

test('a frame far larger than the high-water mark goes out in pieces as the client reads; a status waits for its end', async () => {
  // Never a flood here (this is about pieces; pacing has its own tests below).
  const feed = newFeed({ highWaterBytes: 1000, pumpIntervalMs: 1, floodRecordsPerSecond: Infinity });
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
  // Backlog frames come between (the stream waited at its high-water mark with records unsent).
  const frames = framesOf(s).filter((f) => f.type !== FRAME_TYPE.backlog);
  assert.deepEqual(frames.map((f) => f.type), [FRAME_TYPE.status, FRAME_TYPE.records, FRAME_TYPE.status, FRAME_TYPE.records]);
  assert.deepEqual(targetsOf(s), [bigTarget, '/after']);
  assert.equal(backlogsOf(s).at(-1), 0, 'told it has caught up');
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

/* ---- pacing during a flood ---- */

/**
 * A feed on a hand-moved clock whose flood rate is `floodFrames` one-record frames per rate window and
 * whose paced burst is `burstFrames` small frames.
 */
function pacedFeed(floodFrames: number, burstFrames: number) {
  const frameBytes = keptFrame(1, batchFor('/00')).length;
  const clock = { t: 0 };
  const paceTickMs = 5;
  const feed = newFeed({
    now: () => clock.t,
    rateWindowMs: 1000,
    floodRecordsPerSecond: floodFrames,
    // burstBytes = paced × tick / 1000
    pacedBytesPerSecond: (burstFrames * frameBytes * 1000) / paceTickMs,
    paceTickMs,
  });
  return { feed, clock, paceTickMs };
}

test('a flood is counted in requests: a few large uploads are none, many small requests are', () => {
  const { feed } = pacedFeed(10, 3);
  const s = new FakeStream();
  feed.subscribe(s, null);
  for (let i = 1; i <= 5; i++) feed.publishBatch(batchFor(`/${'u'.repeat(20_000)}`, i)); // large frames, few requests
  assert.equal(feed.stats().flooded, false);
  assert.equal(idsOf(s).length, 5, 'all sent at once');
  for (let i = 6; i <= 20; i++) feed.publishBatch(batchFor('/00', i));
  assert.equal(feed.stats().flooded, true, 'more than 10 requests in the window');
});

test('under the flood rate every batch goes out at once, and no backlog is told', () => {
  const { feed, clock } = pacedFeed(10, 3);
  const s = new FakeStream();
  feed.subscribe(s, null);
  // 8 batches a window for 5 windows: below the flood rate of 10.
  for (let w = 0; w < 5; w++) {
    for (let i = 0; i < 8; i++) feed.publishBatch(batchFor('/00', w * 8 + i + 1));
    assert.equal(idsOf(s).length, (w + 1) * 8, `window ${w}: all sent`);
    clock.t += 1000;
  }
  assert.equal(feed.stats().flooded, false);
  assert.deepEqual(backlogsOf(s), []);
});

test('a flood paces each stream to a burst per tick, tells it its backlog, and sends the rest at full speed once the flood ends', async () => {
  const { feed, clock, paceTickMs } = pacedFeed(10, 3);
  const s = new FakeStream();
  feed.subscribe(s, null);
  // Targets of one width: every frame is the same size.
  const target = (i: number): string => `/${String(i).padStart(2, '0')}`;
  for (let i = 1; i <= 40; i++) feed.publishBatch(batchFor(target(i), i));
  assert.equal(feed.stats().flooded, true);
  // 10 frames fit the flood rate; the 11th makes it a flood, and the stream has one burst (3 frames) left.
  assert.equal(idsOf(s).length, 13, 'the first ten, then one burst');
  assert.deepEqual(backlogsOf(s), [1], 'told once per tick: 1 behind when the 14th batch had to wait');

  // A tick later the stream has another burst, and is told what is still behind.
  clock.t += paceTickMs;
  await within1s(() => recordsSoFar(s) === 16, 'a second burst');
  assert.deepEqual(backlogsOf(s), [1, 24]);
  clock.t += paceTickMs / 2;
  await new Promise((r) => setTimeout(r, 3 * paceTickMs));
  assert.equal(idsOf(s).length, 16, 'half a tick later: no dribble');

  // A second stream during the flood is paced on its own: one burst of history to begin with.
  const late = new FakeStream();
  feed.subscribe(late, null);
  assert.equal(idsOf(late).length, 3);
  assert.deepEqual(backlogsOf(late), [37]);

  // Nothing published for two windows: no flood; both streams get everything, in order, and hear they caught up.
  clock.t += 2000;
  await within1s(() => recordsSoFar(s) === 40 && recordsSoFar(late) === 40, 'the rest at full speed');
  assert.equal(feed.stats().flooded, false);
  const all = Array.from({ length: 40 }, (_, i) => i + 1);
  assert.deepEqual(idsOf(s), all);
  assert.deepEqual(idsOf(late), all);
  assert.deepEqual(targetsOf(s), all.map(target));
  assert.equal(backlogsOf(s).at(-1), 0, 'caught up');
  assert.equal(backlogsOf(late).at(-1), 0, 'caught up');
});

test('a paced burst finishes the frame it started; the overrun is owed by the next bursts, and news never waits', async () => {
  const { feed, clock, paceTickMs } = pacedFeed(1, 1);
  const s = new FakeStream();
  feed.subscribe(s, null);
  feed.publishBatch(batchFor('/00', 1)); // one frame: not yet a flood
  const big = batchFor(`/${'x'.repeat(4000)}`, 2); // far larger than a burst (one small frame)
  feed.publishBatch(big);
  assert.equal(feed.stats().flooded, true);
  assert.equal(recordsSoFar(s), 2, 'the burst that began the large frame finished it');
  assert.equal(new FrameReader().push(s.bytes).length, framesOf(s).length, 'the stream waits between frames');
  feed.publishBatch(batchFor('/00', 3));
  assert.equal(recordsSoFar(s), 2, 'the next frame waits: the overrun is owed');
  feed.publishStatus({ state: 'starting', listen: LISTEN });
  assert.deepEqual(statusesOf(s).map((x) => x.state), ['listening', 'starting'], 'a status goes out at once');
  // A tick pays back one small frame's worth of a debt of about fourteen: still waiting.
  clock.t += paceTickMs;
  await new Promise((r) => setTimeout(r, 4 * paceTickMs));
  assert.equal(recordsSoFar(s), 2, 'still owed');
  assert.equal(backlogsOf(s).at(-1), 1, 'told what waits');
  clock.t += 2000;
  await within1s(() => recordsSoFar(s) === 3, 'the rest, once the flood has passed');
  assert.deepEqual(idsOf(s), [1, 2, 3]);
});

test('a slow reader is told its backlog while it is paused, and 0 when it has caught up', async () => {
  const feed = newFeed({ highWaterBytes: 10, pumpIntervalMs: 1, paceTickMs: 0 });
  const s = new FakeStream();
  feed.subscribe(s, null);
  s.queued = 100;
  for (let i = 1; i <= 5; i++) feed.publishBatch(batchFor(`/${i}`, i));
  assert.deepEqual(idsOf(s), []);
  assert.equal(backlogsOf(s).at(-1), 5);
  s.queued = 0;
  await within1s(() => recordsSoFar(s) === 5, 'drained');
  assert.equal(backlogsOf(s).at(-1), 0);
});

test('a stream whose backlog passes half the history is no longer paced: a long flood must not push its records out unsent', () => {
  const frameBytes = keptFrame(1, batchFor('/00')).length;
  const clock = { t: 0 };
  const feed = newFeed({
    now: () => clock.t,
    maxHistoryBytes: 100 * frameBytes,
    floodRecordsPerSecond: 10,
    pacedBytesPerSecond: 3 * frameBytes,
    paceTickMs: 1000,
  });
  const s = new FakeStream();
  feed.subscribe(s, null);
  // 10 unpaced, then one burst of 3; then the backlog grows to half the history (50 frames) and is held
  // just under it: each new frame lets the oldest waiting one out.
  for (let i = 1; i <= 80; i++) feed.publishBatch(batchFor('/00', i));
  const sent = idsOf(s).length;
  assert.equal(feed.stats().flooded, true, 'still a flood');
  assert.equal(feed.stats().dropped, 0, 'nothing dropped from the history');
  assert.equal(sent, 80 - 49, 'paced until 50 frames were waiting, then one out for each one in');
  assert.deepEqual(idsOf(s), Array.from({ length: sent }, (_, i) => i + 1), 'in order');
});

test('backlog news asked for inside a frame is counted when it goes out, after that frame: it includes what was published meanwhile', async () => {
  const feed = newFeed({ highWaterBytes: 1000, pumpIntervalMs: 1, paceTickMs: 0, floodRecordsPerSecond: Infinity });
  const s = new FakeStream();
  const write = s.write.bind(s);
  s.write = (chunk) => { s.queued += chunk.length; return write(chunk); };
  feed.subscribe(s, null);
  s.queued = 0;
  feed.publishBatch(batchFor(`/${'x'.repeat(2 * WRITE_PIECE_BYTES)}`, 1)); // one piece out, then the stream is full: inside the frame
  for (const [i, t] of ['/a', '/b', '/c'].entries()) feed.publishBatch(batchFor(t, i + 2));
  for (let i = 0; i < 200 && recordsSoFar(s) < 4; i++) {
    s.queued = 0;
    await new Promise((r) => setTimeout(r, 3));
  }
  assert.equal(recordsSoFar(s), 4);
  const told = backlogsOf(s);
  assert.equal(told[0], 3, 'the first news, after the large frame: the three published meanwhile');
  assert.equal(told.at(-1), 0, 'caught up');
  assert.deepEqual(targetsOf(s).slice(1), ['/a', '/b', '/c']);
});
