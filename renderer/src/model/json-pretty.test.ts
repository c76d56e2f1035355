import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeJsonError, prettyJson, scanJson } from './json-pretty';

test('valid JSON is re-indented with every literal kept as written', () => {
  const cases: [string, string][] = [
    ['1', '1'],
    ['  "x"  ', '"x"'],
    ['{}', '{}'],
    ['[]', '[]'],
    ['{ }', '{}'],
    ['[1,2]', '[\n  1,\n  2\n]'],
    ['{"a":1,"b":[true,false,null],"c":{}}', '{\n  "a": 1,\n  "b": [\n    true,\n    false,\n    null\n  ],\n  "c": {}\n}'],
    // Big and formatted numbers and escapes survive (JSON.parse + stringify would change them).
    ['[12345678901234567890, 1.0, -0, 1E+2]', '[\n  12345678901234567890,\n  1.0,\n  -0,\n  1E+2\n]'],
    ['{"a":"\\u00e9\\n\\"","a":2}', '{\n  "a": "\\u00e9\\n\\"",\n  "a": 2\n}'],
    ['[[[]]]', '[\n  [\n    []\n  ]\n]'],
    ['\ufeff{"bom":1}', '{\n  "bom": 1\n}'],
  ];
  for (const [input, expected] of cases) assert.deepEqual(prettyJson(input), { ok: true, text: expected }, input);
});

test('invalid JSON says where and why', () => {
  // input, offset, line, column, a word the message must contain
  const cases: [string, number, number, number, string][] = [
    ['', 0, 1, 1, 'end of input'],
    ['{"a":}', 5, 1, 6, 'expected a value'],
    ['{"a" 1}', 5, 1, 6, "':'"],
    ['{a:1}', 1, 1, 2, 'property name'],
    ['[1,]', 3, 1, 4, 'expected a value'],
    ['[1 2]', 3, 1, 4, "','"],
    ['{"a":1,}', 7, 1, 8, 'property name'],
    ['{\n  "a": 01\n}', 10, 2, 9, "','"],
    ['"abc', 0, 1, 1, 'unterminated'],
    ['"a\tb"', 2, 1, 3, 'escaped'],
    ['"\\x"', 1, 1, 2, 'escape'],
    ['"\\u12G4"', 1, 1, 2, 'four hex'],
    ['[1] x', 4, 1, 5, 'after the JSON value'],
    ['tru', 0, 1, 1, 'unexpected'],
    ['-', 0, 1, 1, 'invalid number'],
    ['[\n1,\n{"k":[}]', 11, 3, 7, 'expected a value or'],
    ['{"a":[1}', 7, 1, 8, "']'"],
  ];
  for (const [input, offset, line, column, word] of cases) {
    const r = prettyJson(input);
    assert.equal(r.ok, false, input);
    if (r.ok) continue;
    assert.deepEqual([r.offset, r.line, r.column], [offset, line, column], `${JSON.stringify(input)}: ${r.message}`);
    assert.ok(r.message.includes(word), `${JSON.stringify(input)}: "${r.message}" should mention ${word}`);
    assert.match(describeJsonError(r), new RegExp(`line ${line}, column ${column}`));
  }
});

test('scanJson agrees with JSON.parse on validity', () => {
  const inputs = ['{"a":[1,2,{"b":null}]}', '[', '{"a":1}}', '"\\ud800"', '[1e5, -2.5E-3]', '01', '[.5]', 'nul', '{"":""}'];
  for (const input of inputs) {
    let valid = true;
    try {
      JSON.parse(input);
    } catch {
      valid = false;
    }
    assert.equal(scanJson(input).ok, valid, input);
  }
});

test('deep nesting does not overflow the stack', () => {
  const depth = 100_000;
  const r = scanJson('['.repeat(depth) + ']'.repeat(depth));
  assert.equal(r.ok, true);
});
