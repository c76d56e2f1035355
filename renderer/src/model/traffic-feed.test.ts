import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUSY_NOTIFY_INTERVAL_MS, BUSY_RECORDS, FLOOD_NOTIFY_INTERVAL_MS, FLOOD_RECORDS, FRAME_BUDGET_MS, MIN_NOTIFY_INTERVAL_MS, TrafficFeed,
} from './traffic-feed';
import { simpleGets } from './test/batch-fixture';

/** A hand-driven clock: frames run only when the test says so, time moves only when the test (or a tick) moves it. */
function manualClock(msPerCall = 0) {
  const frames: (() => void)[] = [];
  /** The delay asked with each schedule() call, in order. */
  const delays: number[] = [];
  let t = 0;
  return {
    delays,
    clock: {
      schedule: (f: () => void, delayMs = 0) => { frames.push(f); delays.push(delayMs); },
      now: () => (t += msPerCall),
    },
    /** Run the frames scheduled so far; returns how many ran. */
    runFrames(): number {
      const due = frames.splice(0);
      due.forEach((f) => f());
      return due.length;
    },
    get scheduled(): number { return frames.length; },
    advance(ms: number): void { t += ms; },
  };
}

test('batches are coalesced: one frame and one notification for many batches', () => {
  const m = manualClock();
  const feed = new TrafficFeed(m.clock);
  let notified = 0;
  feed.subscribe(() => notified++);
  for (let b = 0; b < 5; b++) feed.receive(simpleGets(100, b * 100));
  assert.equal(m.scheduled, 1, 'one frame requested for five batches');
  assert.equal(feed.store.length, 0, 'nothing decoded before the frame');
  assert.equal(feed.backlog, 500);
  m.runFrames();
  assert.equal(feed.store.length, 500);
  assert.equal(notified, 1);
  assert.equal(m.scheduled, 0, 'no work left, no frame requested');
});

test('a backlog is spread over frames when the clock says the budget is spent', () => {
  // Every clock read advances time, so the budget runs out after a few batches.
  const m = manualClock(FRAME_BUDGET_MS / 2);
  const feed = new TrafficFeed(m.clock);
  for (let b = 0; b < 20; b++) feed.receive(simpleGets(10, b * 10));
  m.runFrames();
  const afterOne = feed.store.length;
  assert.ok(afterOne > 0 && afterOne < 200, `first frame took ${afterOne}`);
  let frames = 1;
  while (m.runFrames() > 0) frames++;
  assert.equal(feed.store.length, 200, 'every record arrives in the end');
  assert.ok(frames > 2, `spread over ${frames} frames`);
  assert.deepEqual([feed.store.id(0), feed.store.id(199)], [1, 200], 'in order');
});

test('a filter change over many records is finished over several frames', () => {
  const m = manualClock(2);
  const feed = new TrafficFeed(m.clock);
  for (let b = 0; b < 30; b++) feed.receive(simpleGets(1000, b * 1000, (i) => (i % 3 === 0 ? `/three/${i}` : `/other/${i}`)));
  while (m.runFrames() > 0);
  feed.setFilter('three');
  m.runFrames();
  assert.equal(feed.view.complete, false, 'not all 30,000 in one frame');
  while (m.runFrames() > 0);
  assert.equal(feed.view.complete, true);
  assert.equal(feed.view.length, 10_000);
  feed.setFilter('  three ');
  assert.equal(feed.view.complete, true, 'same filter with other spacing is not rebuilt');
});

test('clear drops stored and queued records; problems in the filter are kept for display', () => {
  const m = manualClock();
  const feed = new TrafficFeed(m.clock);
  feed.receive(simpleGets(3));
  m.runFrames();
  feed.receive(simpleGets(3, 3));
  feed.clear();
  m.runFrames();
  assert.equal(feed.store.length, 0);
  assert.equal(feed.backlog, 0);
  feed.setFilter('status:nope');
  assert.equal(feed.filterProblems.length, 1);
});

test('empty batches are ignored and broken ones counted, not thrown', () => {
  const m = manualClock();
  const feed = new TrafficFeed(m.clock);
  const empty = simpleGets(0);
  feed.receive(empty);
  assert.equal(m.scheduled, 0);
  const good = simpleGets(2);
  feed.receive({ ...good, floats: new Float64Array(1) });
  feed.receive(simpleGets(1, 2));
  m.runFrames();
  assert.equal(feed.rejectedBatches, 1);
  assert.ok(feed.lastRejection);
  assert.equal(feed.store.length, 1);
});

/** A feed that has shown one request, with a count of the notifications it made. */
function feedAfterFirstRequest() {
  const m = manualClock();
  const feed = new TrafficFeed(m.clock);
  const counter = { n: 0 };
  feed.subscribe(() => counter.n++);
  feed.receive(simpleGets(1));
  m.runFrames();
  return { m, feed, notified: () => counter.n };
}

test('listeners hear of new records at most every MIN_NOTIFY_INTERVAL_MS, and always in the end', () => {
  const { m, feed, notified: count } = feedAfterFirstRequest();
  assert.equal(count(), 1, 'the first request is shown at once');
  feed.receive(simpleGets(1, 1));
  m.runFrames();
  assert.equal(feed.store.length, 2, 'stored at once');
  assert.equal(count(), 1, 'but not announced within the interval');
  assert.equal(m.scheduled, 1, 'a frame stays scheduled for the announcement');
  m.advance(MIN_NOTIFY_INTERVAL_MS / 2);
  m.runFrames();
  assert.equal(count(), 1);
  m.advance(MIN_NOTIFY_INTERVAL_MS / 2);
  m.runFrames();
  assert.equal(count(), 2, 'announced once the interval has passed');
  assert.equal(m.scheduled, 0, 'nothing left to do');
  feed.setFilter('item');
  assert.equal(count(), 3, 'a filter change is announced at once');
});

test('while only an announcement waits for its interval, the next frame is asked for after the rest of it, not every frame', () => {
  const { m, feed, notified } = feedAfterFirstRequest();
  const asked = m.delays.length;
  feed.receive(simpleGets(1, 1));
  assert.equal(m.delays.at(-1), 0, 'a new batch: the next frame');
  m.advance(10);
  m.runFrames();
  assert.equal(feed.store.length, 2, 'stored');
  assert.equal(notified(), 1, 'not announced yet');
  assert.equal(m.delays.length, asked + 2, 'one more frame asked for');
  assert.equal(m.delays.at(-1), MIN_NOTIFY_INTERVAL_MS - 10, 'after the rest of the interval');
  m.advance(MIN_NOTIFY_INTERVAL_MS - 10);
  m.runFrames();
  assert.equal(notified(), 2);
  assert.equal(m.scheduled, 0);
});

test('a filter change does not wait for a frame that waits on a timer for an announcement', () => {
  const { m, feed } = feedAfterFirstRequest();
  feed.receive(simpleGets(1, 1));
  m.advance(10);
  m.runFrames();
  assert.ok(m.delays.at(-1)! > 0, 'a delayed frame waits for the announcement');
  feed.setFilter('/nothing-matches');
  assert.equal(m.delays.at(-1), 0, 'the filter asked for the next frame');
  m.runFrames(); // the immediate frame, and the overtaken delayed one (which does nothing)
  assert.equal(feed.view.complete, true);
  assert.equal(feed.view.length, 0, 'the new filter applied in the next frame');
  m.advance(MIN_NOTIFY_INTERVAL_MS);
  m.runFrames(); // its announcement
  assert.equal(m.scheduled, 0, 'nothing left');
});

test('what is still to come is the last backlog told less what arrived since, never below 0', () => {
  const m = manualClock();
  const feed = new TrafficFeed(m.clock);
  assert.equal(feed.toCome, 0, 'nothing told');
  feed.receive(simpleGets(100));
  feed.noteBacklog(9000);
  assert.equal(feed.toCome, 9000, 'just told');
  feed.receive(simpleGets(3000, 100));
  assert.equal(feed.toCome, 6000, 'less what arrived since');
  feed.clear();
  assert.equal(feed.toCome, 6000, 'clearing the list does not change what the server still holds');
  feed.receive(simpleGets(7000, 3100));
  assert.equal(feed.toCome, 0, 'never below 0 (later captures arrived too)');
  feed.noteBacklog(0);
  assert.equal(feed.toCome, 0);
});

test('under heavy traffic (a whole window of new rows per update) listeners hear at most every BUSY_NOTIFY_INTERVAL_MS, in a flood every FLOOD_NOTIFY_INTERVAL_MS', () => {
  const { m, feed, notified } = feedAfterFirstRequest();
  assert.equal(notified(), 1);
  const rows = [
    { name: 'few records: the normal interval', records: BUSY_RECORDS - 1, announcedAfter: MIN_NOTIFY_INTERVAL_MS },
    { name: 'a busy update: the longer interval', records: BUSY_RECORDS, announcedAfter: BUSY_NOTIFY_INTERVAL_MS },
    { name: 'busier still: the same', records: FLOOD_RECORDS - 1, announcedAfter: BUSY_NOTIFY_INTERVAL_MS },
    { name: 'a flood: the longest interval', records: FLOOD_RECORDS, announcedAfter: FLOOD_NOTIFY_INTERVAL_MS },
    { name: 'back to few: the normal interval again', records: 1, announcedAfter: MIN_NOTIFY_INTERVAL_MS },
  ];
  let next = 1;
  for (const row of rows) {
    const before = notified();
    feed.receive(simpleGets(row.records, next));
    next += row.records;
    m.advance(row.announcedAfter - 1);
    m.runFrames();
    assert.equal(feed.store.length, next, `${row.name}: stored at once`);
    assert.equal(notified(), before, `${row.name}: not announced 1 ms early`);
    m.advance(1);
    m.runFrames();
    assert.equal(notified(), before + 1, `${row.name}: announced after ${row.announcedAfter} ms`);
  }
});
