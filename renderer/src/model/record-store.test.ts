import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecordBatch } from '../../../common/record-batch';
import { RecordStore } from './record-store';
import { connectionLabel } from './format';
import { fixtureBatch, simpleGets } from './test/batch-fixture';

test('records from several batches keep their list fields by position', () => {
  const store = new RecordStore();
  const first = fixtureBatch([
    { raw: 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n', status: 200 },
    { raw: 'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', status: 201, peer: { family: 'IPv6', address: '::1', port: 5000 } },
  ]);
  const second = fixtureBatch([
    { raw: 'BREW /c HTTP/1.1\r\n', error: 'bad-method', errorDetail: 'no', status: 400 },
    { raw: 'GET /d HTTP/1.1\r\nHost: x\r\n\r\n', status: null, error: 'connection-reset', errorDetail: 'gone' },
  ], 2);
  assert.deepEqual(store.append(first), { ok: true, added: 2 });
  assert.deepEqual(store.append(second), { ok: true, added: 2 });
  assert.equal(store.length, 4);
  const rows = Array.from({ length: 4 }, (_, i) => [store.id(i), store.method(i), store.target(i), store.status(i), store.error(i), store.bodyLength(i), store.peer(i)]);
  assert.deepEqual(rows, [
    [1, 'GET', '/a', 200, null, 0, '127.0.0.1:40000'],
    [2, 'POST', '/b', 201, null, 3, '[::1]:5000'],
    [3, '', '', 400, 'bad-method', 0, '127.0.0.1:40000'],
    [4, 'GET', '/d', null, 'connection-reset', 0, '127.0.0.1:40000'],
  ]);
});

test('open() decodes the whole record lazily from its own batch', () => {
  const store = new RecordStore();
  const a = fixtureBatch([{ raw: 'GET /a HTTP/1.1\r\nHost: one\r\n\r\n' }, { raw: 'GET /b HTTP/1.1\r\nHost: two\r\n\r\n' }]);
  const b = fixtureBatch([{ raw: 'PUT /c HTTP/1.1\r\nHost: three\r\nX-Y:  z \r\n\r\n' }], 2);
  store.append(a);
  store.append(b);
  const expected = [...decodeRecordBatch(a), ...decodeRecordBatch(b)];
  // Out of order, so the one-batch cache is switched in both directions.
  for (const i of [2, 0, 1, 2]) assert.deepEqual(store.open(i), expected[i]);
  assert.deepEqual(store.open(2)!.headers, [['Host', 'three'], ['X-Y', 'z']]);
  assert.equal(store.open(3), null);
  assert.equal(store.open(-1), null);
});

test('records keep their own positions when the engine restarts and its ids start again at 1', () => {
  // The list keeps the rows of an engine that crashed or moved; the next engine numbers from 1 again,
  // so a record is identified by its position (the UI selects by position), never by its id.
  const store = new RecordStore();
  store.append(fixtureBatch([1, 2, 3].map((id) => ({ raw: `GET /first/${id} HTTP/1.1\r\nHost: x\r\n\r\n`, id }))));
  store.append(fixtureBatch([1, 2].map((id) => ({ raw: `GET /second/${id} HTTP/1.1\r\nHost: x\r\n\r\n`, id }))));
  assert.equal(store.length, 5);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => store.id(i)), [1, 2, 3, 1, 2]);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => store.open(i)?.target), ['/first/1', '/first/2', '/first/3', '/second/1', '/second/2']);
});

test('columns grow past their first capacity and clear() starts over', () => {
  const store = new RecordStore();
  for (let b = 0; b < 10; b++) store.append(simpleGets(1000, b * 1000));
  assert.equal(store.length, 10_000);
  assert.equal(store.target(9_999), '/item/9999');
  assert.equal(store.id(5_000), 5_001);
  const generation = store.generation;
  store.clear();
  assert.equal(store.length, 0);
  assert.notEqual(store.generation, generation);
  assert.equal(store.open(0), null);
  store.append(simpleGets(1, 0, () => '/again'));
  assert.equal(store.target(0), '/again');
});

test('a batch that does not decode is refused whole, not thrown', () => {
  const store = new RecordStore();
  const batch = simpleGets(3);
  const broken = { ...batch, floats: batch.floats.subarray(0, 2) };
  const result = store.append(broken);
  assert.equal(result.ok, false);
  assert.equal(store.length, 0);
});

test('a batch that fails at its second record (a bad peer index) leaves no row behind', () => {
  const store = new RecordStore();
  const batch = simpleGets(3);
  const ints = batch.ints.slice();
  // Layout (common/record-batch.ts): 19 ints per record, then 4 per header; simpleGets sends one header,
  // so record 2 starts at 23 and its peer string index is field 4.
  ints[23 + 4] = batch.strings.length + 100;
  const result = store.append({ ...batch, ints });
  assert.equal(result.ok, false);
  assert.equal(store.length, 0, 'the first record, taken before the failure, is forgotten');
  assert.equal(store.append(simpleGets(2, 10)).ok, true);
  assert.deepEqual([store.target(0), store.target(1)], ['/item/10', '/item/11']);
});

test('each record keeps its request number on the connection; the list labels it when past the first', () => {
  const store = new RecordStore();
  store.append(fixtureBatch([
    { raw: 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\n', connectionId: 5, requestOnConnection: 1 },
    { raw: 'GET /2 HTTP/1.1\r\nHost: x\r\n\r\n', connectionId: 5, requestOnConnection: 2 },
    { raw: 'GET /3 HTTP/1.1\r\nHost: x\r\n\r\n', connectionId: 6, requestOnConnection: 1 },
    { raw: 'GET /4 HTTP/1.1\r\nHost: x\r\n\r\n', connectionId: 5, requestOnConnection: 4_000_000_000 },
  ]));
  const rows = Array.from({ length: store.length }, (_, i) => [store.connectionId(i), store.requestOnConnection(i), connectionLabel(store.connectionId(i), store.requestOnConnection(i))]);
  assert.deepEqual(rows, [[5, 1, '#5'], [5, 2, '#5·2'], [6, 1, '#6'], [5, 4_000_000_000, '#5·4000000000']]);
});

test('methods, targets and ids are read back across batches, chunks and clears', () => {
  const store = new RecordStore();
  const methods = ['GET', 'GET', 'POST', 'PUTX', 'GET', 'PATCH', 'PATCH', 'GETX'];
  // fixtureBatch numbers records from its second argument + 1: ids are positions + 1.
  let id = 0;
  for (let round = 0; round < 3; round++) {
    for (let b = 0; b < 2100; b++) {
      const batch = fixtureBatch(methods.map((m, k) => ({ raw: `${m} /r${round}/b${b}/${k} HTTP/1.1\r\nHost: x\r\n\r\n` })), id);
      id += methods.length;
      assert.deepEqual(store.append(batch), { ok: true, added: methods.length });
    }
    // 16,800 records: into a second chunk of columns.
    assert.equal(store.length, 2100 * methods.length);
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 16383, 16384, 16385, store.length - 1]) {
      const b = Math.floor(i / methods.length);
      const k = i % methods.length;
      assert.equal(store.method(i), methods[k], `method of ${i}`);
      assert.equal(store.target(i), `/r${round}/b${b}/${k}`, `target of ${i}`);
    }
    assert.equal(store.target(store.length), '', 'past the end');
    assert.equal(store.id(16385), 16385 + 1, 'ids are read across chunks');
    store.clear();
    id = 0;
  }
});
