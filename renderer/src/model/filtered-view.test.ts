import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FilteredView } from './filtered-view';
import { parseFilter } from './filter';
import { RecordStore } from './record-store';
import { simpleGets } from './test/batch-fixture';

const evenPath = (i: number): string => (i % 2 === 0 ? `/even/${i}` : `/odd/${i}`);

function ids(store: RecordStore, view: FilteredView): number[] {
  return Array.from({ length: view.length }, (_, r) => store.id(view.at(r)));
}

test('without a filter the view is the whole store, in order', () => {
  const store = new RecordStore();
  const view = new FilteredView(store);
  store.append(simpleGets(5));
  assert.equal(view.advance(1), true);
  assert.deepEqual(ids(store, view), [1, 2, 3, 4, 5]);
  assert.equal(view.rowOf(3), 3);
  assert.equal(view.rowOf(5), -1);
});

test('new records are tested as they arrive; a filter change rebuilds in slices', () => {
  const store = new RecordStore();
  const view = new FilteredView(store);
  view.setPredicate(parseFilter('even').predicate);
  store.append(simpleGets(10, 0, evenPath));
  assert.equal(view.advance(1000), true);
  assert.deepEqual(ids(store, view), [1, 3, 5, 7, 9]);
  store.append(simpleGets(4, 10, evenPath));
  view.advance(1000);
  assert.deepEqual(ids(store, view), [1, 3, 5, 7, 9, 11, 13]);

  view.setPredicate(parseFilter('odd').predicate);
  assert.equal(view.complete, false);
  assert.equal(view.advance(5), false, 'five of fourteen tested');
  assert.deepEqual(ids(store, view), [2, 4]);
  assert.ok(view.progress > 0 && view.progress < 1);
  while (!view.advance(5));
  assert.deepEqual(ids(store, view), [2, 4, 6, 8, 10, 12, 14]);
  assert.equal(view.rowOf(7), 3, 'id 8 is at position 7, the fourth even row');
  assert.equal(view.rowOf(6), -1, 'id 7 (position 6) is filtered out');
});

test('the match index grows past its first capacity', () => {
  const store = new RecordStore();
  const view = new FilteredView(store);
  view.setPredicate(parseFilter('item').predicate);
  for (let b = 0; b < 5; b++) store.append(simpleGets(1000, b * 1000));
  view.advance(Infinity);
  assert.equal(view.length, 5000);
  assert.equal(store.id(view.at(4999)), 5000);
});

test('clearing the store empties the view, which then follows new records', () => {
  const store = new RecordStore();
  const view = new FilteredView(store);
  view.setPredicate(parseFilter('odd').predicate);
  store.append(simpleGets(6, 0, evenPath));
  view.advance(100);
  assert.equal(view.length, 3);
  store.clear();
  assert.equal(view.length, 0);
  store.append(simpleGets(2, 100, evenPath));
  view.advance(100);
  assert.deepEqual(ids(store, view), [102]);
});
