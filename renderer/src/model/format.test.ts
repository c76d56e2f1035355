import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCount } from './format';

test('formatCount groups thousands with commas', () => {
  const rows: Array<[number, string]> = [
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1,000'],
    [12_345, '12,345'],
    [123_456, '123,456'],
    [1_234_567, '1,234,567'],
    [-1_234, '-1,234'],
    [Number.MAX_SAFE_INTEGER, '9,007,199,254,740,991'],
    [1.5, '1.5'],
    [NaN, 'NaN'],
  ];
  for (const [n, want] of rows) assert.equal(formatCount(n), want, String(n));
});
