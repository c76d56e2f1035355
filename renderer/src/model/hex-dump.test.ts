import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiOf, BYTES_PER_LINE, hexLine, lineCount } from './hex-dump';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

test('hex lines show offset, grouped hex and text with line ends kept and dots for the rest', () => {
  const data = bytes('GET / HTTP/1.1\r\nHost: \xe9\x00\x7f~');
  assert.equal(lineCount(data.length), 2);
  assert.deepEqual(hexLine(data, 0), {
    offset: '00000000',
    hex: '47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a',
    ascii: 'GET / HTTP/1.1\r\n',
  });
  assert.deepEqual(hexLine(data, 1), {
    offset: '00000010',
    hex: '48 6f 73 74 3a 20 e9 00  7f 7e'.padEnd(BYTES_PER_LINE * 3, ' '),
    ascii: 'Host: ...~',
  });
});

test('the ASCII column of every line joined is the ASCII of the whole', () => {
  const all = new Uint8Array(300).map((_, i) => i % 256);
  const joined = Array.from({ length: lineCount(all.length) }, (_, l) => hexLine(all, l).ascii).join('');
  assert.equal(joined, asciiOf(all, 0, all.length));
  assert.equal(joined.length, 300);
  for (let i = 0; i < 300; i++) {
    const c = i % 256;
    const expected = c === 13 || c === 10 || (c >= 0x20 && c <= 0x7e) ? String.fromCharCode(c) : '.';
    assert.equal(joined[i], expected, `byte ${c}`);
  }
});

test('line counts', () => {
  const cases: [number, number][] = [[0, 0], [1, 1], [16, 1], [17, 2], [1024 * 1024, 65536]];
  for (const [n, lines] of cases) assert.equal(lineCount(n), lines, String(n));
});
