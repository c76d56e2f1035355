import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBody, looksBinary, pickViewer, sniffImageType, type BodyViewer } from './body-sniff';
import { parseMediaType, parseParameters } from './media-type';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const PNG = '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR';

test('the viewer comes from Content-Type first, then from the bytes', () => {
  const cases: [string | null, string, BodyViewer][] = [
    ['application/json', '{"a":1}', 'json'],
    ['application/json', 'not json', 'json'],
    ['Application/Problem+JSON; charset=utf-8', '{}', 'json'],
    ['application/x-www-form-urlencoded', 'a=1', 'form'],
    ['multipart/form-data; boundary=xyz', '--xyz--', 'multipart'],
    ['multipart/form-data', '--xyz--', 'text'],
    ['image/png', PNG, 'image'],
    ['text/html', '<b>x</b>', 'text'],
    ['application/xml', '<a/>', 'text'],
    ['image/svg+xml', '<svg/>', 'image'],
    [null, '', 'text'],
    [null, '  {"a": [1, 2]}', 'json'],
    [null, '[1, 2', 'text'],
    [null, PNG, 'image'],
    ['application/octet-stream', '\x00\x01\x02', 'hex'],
    ['application/octet-stream', 'plain words', 'text'],
    [null, 'hello world', 'text'],
    ['text/plain', '{"a":1}', 'text'],
  ];
  for (const [type, body, viewer] of cases) assert.equal(pickViewer(type, bytes(body)), viewer, `${type} ${JSON.stringify(body)}`);
});

test('binary detection and image signatures', () => {
  assert.equal(looksBinary(bytes('line\r\n\ttab\n')), false);
  assert.equal(looksBinary(bytes('a\x00b')), true);
  assert.equal(looksBinary(bytes('\x01\x02\x03\x04abcdef')), true);
  assert.equal(looksBinary(new Uint8Array(0)), false);
  assert.equal(sniffImageType(bytes(PNG)), 'image/png');
  assert.equal(sniffImageType(bytes('\xff\xd8\xff\xe0')), 'image/jpeg');
  assert.equal(sniffImageType(bytes('GIF89a')), 'image/gif');
  assert.equal(sniffImageType(bytes('RIFF\x00\x00\x00\x00WEBPVP8 ')), 'image/webp');
  assert.equal(sniffImageType(bytes('RIFF\x00\x00\x00\x00WAVE')), null);
  assert.equal(sniffImageType(bytes('hello')), null);
});

test('bodies decode in their charset, falling back to UTF-8', () => {
  assert.equal(decodeBody(bytes('caf\xc3\xa9'), null), 'café');
  assert.equal(decodeBody(bytes('caf\xe9'), 'text/plain; charset=iso-8859-1'), 'café');
  assert.equal(decodeBody(bytes('caf\xc3\xa9'), 'text/plain; charset=no-such-charset'), 'café');
  assert.equal(decodeBody(bytes('\xff'), 'text/plain'), '\uFFFD');
});

test('media types and parameters parse leniently', () => {
  const mt = parseMediaType('Multipart/Form-Data; Boundary="a \\"b\\" c"; charset=utf-8; boundary=second');
  assert.ok(mt);
  assert.equal(mt.essence, 'multipart/form-data');
  assert.equal(mt.params.get('boundary'), 'a "b" c');
  assert.equal(mt.params.get('charset'), 'utf-8');
  assert.equal(parseMediaType('nonsense'), null);
  assert.equal(parseMediaType('text/'), null);
  assert.deepEqual([...parseParameters('form-data; name="f"; filename="a;b.txt"', 0)], [['name', 'f'], ['filename', 'a;b.txt']]);
  assert.deepEqual([...parseParameters('x; novalue; k=v', 0)], [['k', 'v']]);
});
