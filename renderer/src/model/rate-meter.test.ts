import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter } from './rate-meter';

test('rate over the window, for steady, young and stopped traffic', () => {
  // [description, events as [time ms, count], read at, expected req/s]
  const cases: [string, [number, number][], number, number][] = [
    ['nothing yet', [], 5000, 0],
    ['steady 100 per 100 ms', Array.from({ length: 40 }, (_, i) => [10_000 + i * 100, 100] as [number, number]), 13_950, 1000],
    ['young meter averages over what it saw', [[10_000, 50], [10_400, 50]], 10_500, 200],
    ['very young meter uses at least one bucket', [[10_000, 7]], 10_000, 70],
    ['old counts leave the window', [[10_000, 500], [13_000, 10]], 13_050, 5],
    ['long after traffic stops', [[10_000, 500]], 20_000, 0],
  ];
  for (const [name, events, at, expected] of cases) {
    const m = new RateMeter(2000, 100);
    for (const [t, n] of events) m.add(n, t);
    assert.equal(Math.round(m.rate(at)), expected, name);
  }
});

test('reset forgets everything', () => {
  const m = new RateMeter();
  m.add(100, 1000);
  assert.ok(m.rate(1000) > 0);
  m.reset();
  assert.equal(m.rate(1000), 0);
});
