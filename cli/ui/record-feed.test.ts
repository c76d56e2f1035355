/**
 * RecordFeed with fake streams: numbering, the SSE frames, replay after
 * Last-Event-ID, the history bound, pausing slow readers, ending a stream
 * past the queue limit, statuses, heartbeats and unsubscribing on close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64FromBytes, bytesFromBase64, decodeRecordBatchBinary, encodeRecordBatchBinary } from '../../common/browser-protocol';
import type { EngineStatus } from '../../common/inspector-api';
import { decodeRecordBatch, RecordBatchBuilder, type RecordBatch } from '../../common/record-batch';
import { parseLastEventId, RecordFeed, recordsFrame, SSE_RETRY_MS, type FeedOptions } from './record-feed';
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

interface Event { id: string | null; event: string | null; data: string | null; comment: boolean; retry: string | null }

/** Split an SSE text into events (WHATWG HTML §9.2.6, the subset the feed writes). */
function parseSse(text: string): Event[] {
  assert.ok(text === '' || text.endsWith('\n\n'), `stream text ends inside an event: ${JSON.stringify(text.slice(-40))}`);
  return text.split('\n\n').filter((b) => b !== '').map((block) => {
    const e: Event = { id: null, event: null, data: null, comment: false, retry: null };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) { e.comment = true; continue; }
      const colon = line.indexOf(': ');
      const field = line.slice(0, colon);
      const value = line.slice(colon + 2);
      if (field === 'id') e.id = value;
      else if (field === 'event') e.event = value;
      else if (field === 'data') e.data = value;
      else if (field === 'retry') e.retry = value;
      else assert.fail(`unexpected line ${line}`);
    }
    return e;
  });
}

function targetsOf(text: string): string[] {
  return parseSse(text).filter((e) => e.event === 'records').map((e) => {
    const batch = decodeRecordBatchBinary(bytesFromBase64(e.data!)!);
    assert.ok(batch);
    return decodeRecordBatch(batch).map((r) => r.target).join(',');
  });
}

function idsOf(text: string): number[] {
  return parseSse(text).filter((e) => e.event === 'records').map((e) => Number(e.id));
}

const feeds: RecordFeed[] = [];
function newFeed(options: Partial<FeedOptions> = {}): RecordFeed {
  const f = new RecordFeed({ status: LISTENING, ...options });
  feeds.push(f);
  return f;
}
test.after(() => { for (const f of feeds) f.close(); });

test('a new subscriber gets retry, the status, then every kept batch; live batches follow', () => {
  const feed = newFeed();
  assert.equal(feed.publishBatch(batchFor('/one')), 1);
  assert.equal(feed.publishBatch(batchFor('/two')), 2);
  const s = new FakeStream();
  feed.subscribe(s, null);
  const events = parseSse(s.text);
  assert.equal(events[0]!.retry, String(SSE_RETRY_MS));
  assert.equal(events[1]!.event, 'status');
  assert.deepEqual(JSON.parse(events[1]!.data!), LISTENING);
  assert.equal(events[1]!.id, null, 'status events carry no id (they must not move Last-Event-ID)');
  assert.deepEqual(idsOf(s.text), [1, 2]);
  assert.deepEqual(targetsOf(s.text), ['/one', '/two']);

  assert.equal(feed.publishBatch(batchFor('/three')), 3);
  assert.deepEqual(targetsOf(s.text), ['/one', '/two', '/three']);
  assert.equal(feed.stats().subscribers, 1);
});

test('each batch is encoded once: every stream is written the same frame', () => {
  const feed = newFeed();
  const a = new FakeStream();
  const b = new FakeStream();
  feed.subscribe(a, null);
  feed.subscribe(b, null);
  feed.publishBatch(batchFor('/x'));
  assert.equal(a.chunks.at(-1), b.chunks.at(-1));
  assert.equal(a.chunks.at(-1), recordsFrame(1, batchFor('/x')).toString('latin1'));
  assert.match(a.chunks.at(-1)!, /^id: 1\nevent: records\ndata: [A-Za-z0-9+/]+=*\n\n$/);
  // The server's base64 is Node's; it must be the exact text common's base64FromBytes makes.
  for (const target of ['/x', '/xy', '/xyz', `/${'long'.repeat(5000)}`]) {
    const expected = `id: 7\nevent: records\ndata: ${base64FromBytes(encodeRecordBatchBinary(batchFor(target)))}\n\n`;
    assert.equal(recordsFrame(7, batchFor(target)).toString('latin1'), expected);
  }
});

test('Last-Event-ID: only newer frames are replayed; absent or unparseable replays everything', () => {
  const feed = newFeed();
  for (const t of ['/a', '/b', '/c', '/d']) feed.publishBatch(batchFor(t));
  const cases: Array<[string | null, number[]]> = [
    [null, [1, 2, 3, 4]], ['2', [3, 4]], [' 2 ', [3, 4]], ['4', []], ['0', [1, 2, 3, 4]], ['99', []], ['x', [1, 2, 3, 4]], ['-1', [1, 2, 3, 4]],
  ];
  for (const [last, ids] of cases) {
    const s = new FakeStream();
    feed.subscribe(s, last);
    assert.deepEqual(idsOf(s.text), ids, `Last-Event-ID ${last}`);
  }
  assert.equal(parseLastEventId('12'), 12);
  assert.equal(parseLastEventId('1e3'), null);
  assert.equal(parseLastEventId(null), null);
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
  assert.deepEqual(targetsOf(s.text), ['/p3', '/p4', '/p5']);
  const behind = new FakeStream();
  feed.subscribe(behind, '1');
  assert.deepEqual(idsOf(behind.text), [3, 4, 5], 'a cursor behind the kept history starts at the oldest kept');

  const tiny = newFeed({ maxHistoryBytes: 1 });
  tiny.publishBatch(batchFor('/big'));
  tiny.publishBatch(batchFor('/bigger'));
  const t = new FakeStream();
  tiny.subscribe(t, null);
  assert.deepEqual(targetsOf(t.text), ['/bigger']);
});

test('many drops keep sequence numbers and replay right (the kept array is compacted)', () => {
  const frameBytes = recordsFrame(3000, batchFor('/q3000')).length;
  const feed = newFeed({ maxHistoryBytes: frameBytes * 2 });
  for (let i = 1; i <= 3000; i++) feed.publishBatch(batchFor(`/q${i}`));
  const s = new FakeStream();
  feed.subscribe(s, '2998');
  assert.deepEqual(idsOf(s.text), [2999, 3000]);
  assert.deepEqual(targetsOf(s.text), ['/q2999', '/q3000']);
});

test('a slow reader is paused at the high-water mark and pumped on when it drains; nothing is skipped', async () => {
  const feed = newFeed({ highWaterBytes: 10, pumpIntervalMs: 1 });
  for (const t of ['/1', '/2', '/3']) feed.publishBatch(batchFor(t));
  const s = new FakeStream();
  s.queued = 0;
  // Every write "queues": the stream reports more unsent bytes after each frame.
  const write = s.write.bind(s);
  s.write = (chunk) => { s.queued += 100; return write(chunk); };
  feed.subscribe(s, null);
  // retry and status were written (queued 200 > 10), so no frame yet.
  assert.deepEqual(idsOf(s.text), []);
  feed.publishBatch(batchFor('/4'));
  assert.deepEqual(idsOf(s.text), [], 'a paused stream gets no live frame either');
  for (let i = 0; i < 4; i++) {
    s.queued = 0;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(idsOf(s.text), [1, 2, 3, 4].slice(0, i + 1));
  }
  assert.deepEqual(targetsOf(s.text), ['/1', '/2', '/3', '/4']);
});

test('a stream past the queue limit is ended (its EventSource reconnects with Last-Event-ID) and unsubscribed', () => {
  const feed = newFeed({ highWaterBytes: 1_000_000, maxQueueBytes: 500 });
  const s = new FakeStream();
  feed.subscribe(s, null);
  feed.publishBatch(batchFor('/first'));
  assert.deepEqual(idsOf(s.text), [1]);
  s.queued = 501;
  feed.publishBatch(batchFor('/second'));
  assert.equal(s.closed, true);
  assert.equal(s.endCalls, 1);
  assert.deepEqual(idsOf(s.text), [1]);
  assert.equal(feed.stats().subscribers, 0);
  assert.equal(feed.stats().endedForBackpressure, 1);
  const again = new FakeStream();
  feed.subscribe(again, '1');
  assert.deepEqual(targetsOf(again.text), ['/second'], 'the reconnect gets what the ended stream missed');
});

test('status events go to every subscriber; a new subscriber gets the current one first', () => {
  const feed = newFeed();
  const a = new FakeStream();
  feed.subscribe(a, null);
  const starting: EngineStatus = { state: 'starting', listen: { host: '127.0.0.1', port: 9 } };
  const error: EngineStatus = { state: 'error', listen: { host: '127.0.0.1', port: 9 }, message: 'port 9 is in use', code: 'EADDRINUSE' };
  feed.publishStatus(starting);
  feed.publishStatus(error);
  const statuses = parseSse(a.text).filter((e) => e.event === 'status').map((e) => JSON.parse(e.data!) as EngineStatus);
  assert.deepEqual(statuses, [LISTENING, starting, error]);
  assert.deepEqual(feed.status, error);
  const b = new FakeStream();
  feed.subscribe(b, null);
  assert.deepEqual(JSON.parse(parseSse(b.text)[1]!.data!), error);
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

test('heartbeat comments keep idle streams alive', async () => {
  const feed = newFeed({ heartbeatMs: 5 });
  const s = new FakeStream();
  feed.subscribe(s, null);
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(parseSse(s.text).some((e) => e.comment), s.text);
  assert.ok(s.text.includes(': ping\n\n'));
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
