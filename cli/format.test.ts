import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureRecord } from '../common/capture-record';
import {
  escapeControls, formatHostPort, formatListening, formatLocalTime, formatRecordJson, formatRecordLine, recordToJson,
} from './format';

// The text line shows local time; pin the zone so the expected strings hold anywhere.
process.env.TZ = 'UTC';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678) + 0.25;
const latin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

const RAW_POST = 'POST /items?x=1 HTTP/1.1\r\nhost: a\r\nX-Mixed-CASE: v\r\ncontent-length: 5\r\n\r\nhello';

const POST: CaptureRecord = {
  id: 7,
  connectionId: 3,
  requestOnConnection: 2,
  listener: { family: 'IPv4', address: '127.0.0.1', port: 8080 },
  peer: { family: 'IPv4', address: '127.0.0.1', port: 50412 },
  method: 'POST',
  target: '/items?x=1',
  version: 'HTTP/1.1',
  headers: [['host', 'a'], ['X-Mixed-CASE', 'v'], ['content-length', '5']],
  trailers: [],
  raw: latin1(RAW_POST),
  rawLength: RAW_POST.length,
  headLength: RAW_POST.length - 5,
  body: latin1('hello'),
  bodyLength: 5,
  bodyTruncated: false,
  status: 200,
  error: null,
  errorDetail: null,
  timestamps: { accepted: T0 - 1, firstByte: T0, headComplete: T0 + 0.5, bodyComplete: T0 + 0.5, responseWritten: T0 + 1 },
};

const RAW_BAD = 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n';

const MALFORMED: CaptureRecord = {
  ...POST,
  id: 8,
  connectionId: 4,
  requestOnConnection: 1,
  peer: { family: 'IPv6', address: '::1', port: 40000 },
  method: '',
  target: '',
  version: '',
  headers: [],
  raw: latin1(RAW_BAD),
  rawLength: RAW_BAD.length,
  headLength: 0,
  body: new Uint8Array(0),
  bodyLength: 0,
  status: 400,
  error: 'te-and-cl',
  errorDetail: 'both Transfer-Encoding and Content-Length are present',
  timestamps: { accepted: T0, firstByte: T0, headComplete: null, bodyComplete: null, responseWritten: null },
};

test('format: text line of a well-formed request', () => {
  assert.equal(formatRecordLine(POST), '03:04:05.678  127.0.0.1:50412        POST     200        5 B  /items?x=1');
});

test('format: text line of a malformed request shows - and the error', () => {
  assert.equal(
    formatRecordLine(MALFORMED),
    '03:04:05.678  [::1]:40000            -        400        0 B  -  te-and-cl: both Transfer-Encoding and Content-Length are present',
  );
});

test('format: a request with no answer shows - for the status', () => {
  const cut: CaptureRecord = { ...MALFORMED, status: null, error: 'connection-closed', errorDetail: 'the engine stopped' };
  assert.equal(formatRecordLine(cut), '03:04:05.678  [::1]:40000            -          -        0 B  -  connection-closed: the engine stopped');
});

test('format: columns stay aligned across records', () => {
  const a = formatRecordLine(POST);
  const b = formatRecordLine({ ...POST, method: 'GET', status: 404, bodyLength: 1234567, target: '/' });
  assert.equal(a.indexOf('/items'), b.indexOf('/'));
  assert.equal(a.indexOf(' B '), b.indexOf(' B '));
});

test('format: colour only when asked', () => {
  assert.doesNotMatch(formatRecordLine(MALFORMED), /\x1b/);
  const coloured = formatRecordLine(MALFORMED, { color: true });
  assert.match(coloured, /\x1b\[33m400\x1b\[0m/);
  assert.match(coloured, /\x1b\[31mte-and-cl: .*\x1b\[0m$/);
});

test('format: captured control characters cannot reach the terminal', () => {
  const evil: CaptureRecord = { ...POST, target: '/\x1b[2J\x9b31m', method: 'G\x07T' };
  const line = formatRecordLine(evil);
  assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f]/);
  assert.match(line, /G\\x07T .* \/\\x1b\[2J\\x9b31m$/);
  assert.equal(escapeControls('a\r\nb\x7f\x80\xa0'), 'a\\x0d\\x0ab\\x7f\\x80\xa0');

  const json = formatRecordJson({ ...POST, headers: [['X', 'a\x9b\x7fb\xe9']] });
  assert.doesNotMatch(json, /[\x00-\x1f\x7f-\x9f]/);
  assert.deepEqual((JSON.parse(json) as { headers: unknown }).headers, [['X', 'a\x9b\x7fb\xe9']]);
});

test('format: JSON object of a well-formed request', () => {
  const parsed = JSON.parse(formatRecordJson(POST)) as unknown;
  // Every plain field of the record is carried over as it is; only bytes and the time change form.
  const { raw: _raw, body: _body, ...plain } = POST;
  assert.deepEqual(parsed, {
    ...plain,
    time: '2026-01-02T03:04:05.678Z',
    body: Buffer.from('hello').toString('base64'),
    raw: Buffer.from(RAW_POST, 'latin1').toString('base64'),
    rawTruncated: false,
  });
  assert.deepEqual((parsed as { headers: unknown }).headers, [['host', 'a'], ['X-Mixed-CASE', 'v'], ['content-length', '5']]);
  assert.equal((parsed as { timestamps: { firstByte: number } }).timestamps.firstByte, T0);
  assert.doesNotMatch(formatRecordJson(POST), /\n/);
});

test('format: JSON object of a malformed request keeps the error and the exact bytes', () => {
  const json = recordToJson(MALFORMED);
  assert.equal(json.error, 'te-and-cl');
  assert.equal(json.errorDetail, 'both Transfer-Encoding and Content-Length are present');
  assert.equal(json.status, 400);
  assert.equal(json.method, '');
  assert.equal(Buffer.from(json.raw, 'base64').toString('latin1'), RAW_BAD);
  assert.equal(json.body, '');
  assert.deepEqual(json.timestamps, { accepted: T0, firstByte: T0, headComplete: null, bodyComplete: null, responseWritten: null });
});

test('format: base64 covers only the view, not the whole underlying buffer', () => {
  const backing = Buffer.from('xxhelloyy');
  const json = recordToJson({ ...POST, body: backing.subarray(2, 7), bodyLength: 9, bodyTruncated: true, raw: backing.subarray(0, 2) });
  assert.equal(json.body, Buffer.from('hello').toString('base64'));
  assert.equal(json.raw, Buffer.from('xx').toString('base64'));
  assert.equal(json.bodyTruncated, true);
  assert.equal(json.rawTruncated, true);
});

test('format: listening line and host:port', () => {
  assert.equal(formatListening({ family: 'IPv4', address: '127.0.0.1', port: 8080 }), 'listening on http://127.0.0.1:8080');
  assert.equal(formatListening({ family: 'IPv6', address: '::1', port: 1 }), 'listening on http://[::1]:1');
  assert.equal(formatHostPort('::ffff:127.0.0.1', 2), '[::ffff:127.0.0.1]:2');
  assert.equal(formatLocalTime(Date.UTC(2026, 0, 1, 23, 59, 59, 5)), '23:59:59.005');
});
