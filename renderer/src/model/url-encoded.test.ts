import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUrlEncodedText, percentDecodeText, splitTarget } from './url-encoded';

test('form data decodes per WHATWG URL §5.1', () => {
  const cases: [string, [string, string][]][] = [
    ['', []],
    ['a=1', [['a', '1']]],
    ['a=1&b=2&a=3', [['a', '1'], ['b', '2'], ['a', '3']]],
    ['&&a=1&&', [['a', '1']]],
    ['flag', [['flag', '']]],
    ['=v', [['', 'v']]],
    ['k=a=b', [['k', 'a=b']]],
    ['q=hello+world', [['q', 'hello world']]],
    ['q=a%2Bb', [['q', 'a+b']]],
    ['%E2%9C%93=%C3%A9', [['✓', 'é']]],
    ['bad=%ZZ%4', [['bad', '%ZZ%4']]],
    ['half=%e', [['half', '%e']]],
    ['invalid=%FF', [['invalid', '\uFFFD']]],
    ['a%26b=c%3Dd', [['a&b', 'c=d']]],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseUrlEncodedText(input), expected, input);
});

test('targets split into path and query in every request-target form', () => {
  const cases: [string, string, string | null, [string, string][], string][] = [
    // target, path, query, params, decoded path
    ['/', '/', null, [], '/'],
    ['/a/b?x=1&y=two', '/a/b', 'x=1&y=two', [['x', '1'], ['y', 'two']], '/a/b'],
    ['/search?', '/search', '', [], '/search'],
    ['/p%20q/%C3%A9?a=%20', '/p%20q/%C3%A9', 'a=%20', [['a', ' ']], '/p q/é'],
    ['/a?b?c=d', '/a', 'b?c=d', [['b?c', 'd']], '/a'],
    ['http://example.com:81/x?y=1', '/x', 'y=1', [['y', '1']], '/x'],
    ['http://example.com', '/', null, [], '/'],
    ['http://example.com?q=1', '/', 'q=1', [['q', '1']], '/'],
    ['*', '*', null, [], '*'],
    ['example.com:443', 'example.com:443', null, [], 'example.com:443'],
  ];
  for (const [target, path, query, params, decodedPath] of cases) {
    assert.deepEqual(splitTarget(target), { path, query, params, decodedPath }, target);
  }
});

test('percent-decoding keeps "+" in paths and reads latin1 input as bytes', () => {
  assert.equal(percentDecodeText('/a+b'), '/a+b');
  assert.equal(percentDecodeText('a+b', true), 'a b');
  // A raw 0xC3 0xA9 pair arrives as two latin1 chars and is read as UTF-8.
  assert.equal(percentDecodeText('\xc3\xa9'), 'é');
});
