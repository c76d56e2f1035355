import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from './filter';
import { RecordStore } from './record-store';
import { fixtureBatch } from './test/batch-fixture';

function store(): RecordStore {
  const s = new RecordStore();
  s.append(fixtureBatch([
    { raw: 'GET /users?id=7 HTTP/1.1\r\nHost: x\r\n\r\n', status: 200 },
    { raw: 'POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', status: 201 },
    { raw: 'GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n', status: 404, peer: { family: 'IPv4', address: '10.0.0.9', port: 5123 } },
    { raw: 'GET /bad HTTP/1.1\r\n\r\n', status: 400, error: 'missing-host', errorDetail: 'no Host' },
    { raw: 'DELETE /users/7 HTTP/1.1\r\nHost: x\r\n\r\n', status: null, error: 'connection-reset', errorDetail: 'reset' },
    { raw: 'get /lower HTTP/1.1\r\nHost: x\r\n\r\n', status: 501 },
  ]));
  return s;
}

test('filters select the expected records', () => {
  const s = store();
  const cases: [string, number[]][] = [
    ['', [1, 2, 3, 4, 5, 6]],
    ['   ', [1, 2, 3, 4, 5, 6]],
    ['users', [1, 2, 5]],
    ['USERS', [1, 2, 5]],
    ['users get', [1]],
    ['404', [3]],
    ['10.0.0.9', [3]],
    [':5123', [3]],
    ['status:404', [3]],
    ['status:4xx', [3, 4]],
    ['status:2XX', [1, 2]],
    ['status:none', [5]],
    ['-status:2xx', [3, 4, 5, 6]],
    ['method:post', [2]],
    ['method:GET', [1, 3, 4, 6]],
    ['error', [4, 5]],
    ['-error', [1, 2, 3, 6]],
    ['error:missing', [4]],
    ['error:connection-reset', [5]],
    ['error users', [5]],
    ['-favicon -error', [1, 2, 6]],
    ['nothing-like-this', []],
  ];
  for (const [text, ids] of cases) {
    const f = parseFilter(text);
    const got: number[] = [];
    for (let i = 0; i < s.length; i++) if (f.predicate === null || f.predicate(s, i)) got.push(s.id(i));
    assert.deepEqual(got, ids, `filter ${JSON.stringify(text)}`);
  }
});

test('terms that do not parse are reported and ignored', () => {
  const cases: [string, number, boolean][] = [
    // text, problems, still has a predicate
    ['status:abc', 1, false],
    ['status:abc users', 1, true],
    ['method:', 1, false],
    ['status:6xx', 1, false],
    ['status:4xx method:GET', 0, true],
  ];
  for (const [text, problems, hasPredicate] of cases) {
    const f = parseFilter(text);
    assert.equal(f.problems.length, problems, text);
    assert.equal(f.predicate !== null, hasPredicate, text);
  }
});

test('the key ignores spacing, so retyping spaces does not rebuild', () => {
  assert.equal(parseFilter('  a   b ').key, parseFilter('a b').key);
  assert.notEqual(parseFilter('a b').key, parseFilter('a c').key);
});
