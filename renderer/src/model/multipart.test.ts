import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexOfBytes, parseMultipart } from './multipart';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

const FORM = [
  '--XyZ',
  'Content-Disposition: form-data; name="field1"',
  '',
  'value one',
  '--XyZ',
  'Content-Disposition: form-data; name="file"; filename="a b.bin"',
  'Content-Type: application/octet-stream',
  '',
  '\x00\x01\r\n--XyZnot-a-boundary-because-no-crlf?',
  '--XyZ--',
  'epilogue',
].join('\r\n');

test('parts come out with headers, names, filenames and exact content', () => {
  const r = parseMultipart(bytes(FORM), 'XyZ');
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.complete, true);
  assert.deepEqual(r.parts.map((p) => [p.name, p.filename, p.contentType, text(p.body)]), [
    ['field1', null, null, 'value one'],
    ['file', 'a b.bin', 'application/octet-stream', '\x00\x01\r\n--XyZnot-a-boundary-because-no-crlf?'],
  ]);
  assert.deepEqual(r.parts[1]!.headers, [
    ['Content-Disposition', 'form-data; name="file"; filename="a b.bin"'],
    ['Content-Type', 'application/octet-stream'],
  ]);
});

test('framing variants from RFC 2046 §5.1.1', () => {
  // body, boundary, expected part contents, complete
  const cases: [string, string, string[], boolean][] = [
    ['preamble text\r\n--b\r\n\r\nx\r\n--b--', 'b', ['x'], true],
    ['--b  \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--\r\n', 'b', ['1'], true],
    ['--b\r\n\r\n\r\n--b\r\n\r\nsecond\r\n--b--', 'b', ['', 'second'], true],
    ['--b\r\nContent-Disposition: form-data; name=a\r\n\r\ncut sho', 'b', ['cut sho'], false],
    ['--b\r\nContent-Disposition: form-da', 'b', [], false],
    ['--b--', 'b', [], true],
  ];
  for (const [body, boundary, contents, complete] of cases) {
    const r = parseMultipart(bytes(body), boundary);
    assert.ok(r.ok, JSON.stringify(body));
    if (!r.ok) continue;
    assert.deepEqual(r.parts.map((p) => text(p.body)), contents, JSON.stringify(body));
    assert.equal(r.complete, complete, JSON.stringify(body));
  }
});

test('bodies that are not multipart are refused with a reason', () => {
  const cases: [string, string, RegExp][] = [
    ['no boundary here', 'b', /does not occur/],
    ['--b\r\n', '', /1 to 70/],
    ['--b', 'b'.repeat(71), /1 to 70/],
    ['--bXX\r\n', 'b', /does not occur/],
  ];
  for (const [body, boundary, why] of cases) {
    const r = parseMultipart(bytes(body), boundary);
    assert.equal(r.ok, false, body);
    if (!r.ok) assert.match(r.message, why);
  }
});

test('indexOfBytes finds subsequences', () => {
  const hay = bytes('abcabcabd');
  const cases: [string, number, number][] = [['abd', 0, 6], ['abc', 1, 3], ['x', 0, -1], ['', 4, 4], ['abdx', 0, -1], ['d', 9, -1]];
  for (const [needle, from, at] of cases) assert.equal(indexOfBytes(hay, bytes(needle), from), at, `${needle}@${from}`);
});
