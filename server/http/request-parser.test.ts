import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CAPTURE_ERROR_STATUS, isCaptureErrorCode, type CaptureErrorCode, type HeaderPair } from '../../common/capture-record';
import { DEFAULT_HEAD_LIMITS, type BodyFraming, type HeadLimits, type HeadParseResult } from './parse-types';
import { latin1 } from '../../common/record-batch';
import { parseRequestHead } from './request-parser';
import { TestRandom } from './test/random';

/** A head from its lines: CRLF after each, then the empty line. */
function head(...lines: string[]): string {
  return lines.map((l) => `${l}\r\n`).join('') + '\r\n';
}

function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

interface CompleteExpectation {
  method: string;
  target: string;
  version: 10 | 11;
  headers: HeaderPair[];
  framing?: BodyFraming; // default none
  keepAlive?: boolean; // default true
  expectContinue?: boolean; // default false
  isHead?: boolean; // default false
  headLength?: number; // default: the whole input
}

interface Case {
  name: string;
  /** latin1: one character per byte. */
  input: string;
  limits?: Partial<HeadLimits>;
  expect: CompleteExpectation | { error: CaptureErrorCode };
}

const HOST = 'Host: example.com';
const GET11 = (...headers: string[]): CompleteExpectation => ({
  method: 'GET', target: '/', version: 11, headers: headersOf(HOST, ...headers),
});
function headersOf(...lines: string[]): HeaderPair[] {
  return lines.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).replace(/^[ \t]+|[ \t]+$/g, '')];
  });
}

/** A POST head with Host and one more field. */
const post = (field: string): string => head('POST / HTTP/1.1', HOST, field);

const LONG_TARGET = '/' + 'a'.repeat(5); // 'GET /aaaaa HTTP/1.1' is 19 bytes
const SMALL_LINE_LIMIT = { maxRequestLineBytes: 19 };

const CASES: Case[] = [
  // ---- well-formed heads
  { name: 'simple GET', input: head('GET / HTTP/1.1', HOST), expect: GET11() },
  {
    name: 'header case kept, OWS trimmed, inner spaces kept',
    input: head('GET / HTTP/1.1', HOST, 'X-Thing: \t value with  spaces \t '),
    expect: { ...GET11(), headers: [['Host', 'example.com'], ['X-Thing', 'value with  spaces']] },
  },
  { name: 'empty values', input: head('GET / HTTP/1.1', HOST, 'X-Empty:', 'X-Blank:   '), expect: GET11('X-Empty:', 'X-Blank:') },
  { name: 'colon inside value', input: head('GET / HTTP/1.1', HOST, 'X-Time: 12:30:00'), expect: GET11('X-Time: 12:30:00') },
  { name: 'obs-text in value', input: head('GET / HTTP/1.1', HOST, 'X-Latin: caf\xe9 \x80\xff'), expect: GET11('X-Latin: caf\xe9 \x80\xff') },
  { name: 'every tchar in a name', input: head('GET / HTTP/1.1', HOST, "!#$%&'*+-.^_`|~09AZaz: v"), expect: GET11("!#$%&'*+-.^_`|~09AZaz: v") },
  {
    name: 'UTF-8 bytes in target',
    input: head('GET /caf\xc3\xa9?q=\xe2\x9c\x93 HTTP/1.1', HOST),
    expect: { ...GET11(), target: '/caf\xc3\xa9?q=\xe2\x9c\x93' },
  },
  { name: 'absolute-form target', input: head('GET http://a.example/b?c HTTP/1.1', HOST), expect: { ...GET11(), target: 'http://a.example/b?c' } },
  { name: 'asterisk-form with token method', input: head('M-SEARCH * HTTP/1.1', HOST), expect: { ...GET11(), method: 'M-SEARCH', target: '*' } },
  { name: 'authority-form CONNECT', input: head('CONNECT a.example:443 HTTP/1.1', HOST), expect: { ...GET11(), method: 'CONNECT', target: 'a.example:443' } },
  { name: 'empty Host value is allowed', input: head('GET / HTTP/1.1', 'Host:'), expect: { ...GET11(), headers: [['Host', '']] } },
  { name: 'lowercase host counts as Host', input: head('GET / HTTP/1.1', 'hOsT: x'), expect: { ...GET11(), headers: [['hOsT', 'x']] } },
  { name: 'leading CRLF lines are skipped', input: '\r\n\r\n' + head('GET / HTTP/1.1', HOST), expect: GET11() },
  { name: 'leading bare LF and CRLF lines are skipped', input: '\n\r\n\n' + head('GET / HTTP/1.1', HOST), expect: GET11() },
  { name: 'bare LF line endings', input: `GET / HTTP/1.1\n${HOST}\nX: 1\n\n`, expect: GET11('X: 1') },
  { name: 'mixed CRLF and LF', input: `GET / HTTP/1.1\r\n${HOST}\nX: 1\r\n\n`, expect: GET11('X: 1') },
  { name: 'HTTP/1.2 is treated as 1.1', input: head('GET / HTTP/1.2', HOST), expect: GET11() },
  { name: 'HTTP/1.9 is treated as 1.1', input: head('GET / HTTP/1.9', HOST), expect: GET11() },
  { name: 'HEAD', input: head('HEAD /x HTTP/1.1', HOST), expect: { ...GET11(), method: 'HEAD', target: '/x', isHead: true } },
  { name: 'lowercase head is not HEAD', input: head('head / HTTP/1.1', HOST), expect: { ...GET11(), method: 'head' } },
  { name: 'hEAD is not HEAD', input: head('hEAD / HTTP/1.1', HOST), expect: { ...GET11(), method: 'hEAD' } },
  { name: 'HEADX is not HEAD', input: head('HEADX / HTTP/1.1', HOST), expect: { ...GET11(), method: 'HEADX' } },

  // ---- persistence (RFC 9112 §9.3)
  { name: '1.0 closes by default', input: head('GET / HTTP/1.0'), expect: { method: 'GET', target: '/', version: 10, headers: [], keepAlive: false } },
  {
    name: '1.0 with Connection: Keep-Alive persists',
    input: head('GET / HTTP/1.0', 'Connection: Keep-Alive'),
    expect: { method: 'GET', target: '/', version: 10, headers: headersOf('Connection: Keep-Alive'), keepAlive: true },
  },
  {
    name: '1.0 keep-alive and close: close wins',
    input: head('GET / HTTP/1.0', 'Connection: keep-alive', 'Connection: close'),
    expect: { method: 'GET', target: '/', version: 10, headers: headersOf('Connection: keep-alive', 'Connection: close'), keepAlive: false },
  },
  { name: '1.1 Connection: close', input: head('GET / HTTP/1.1', HOST, 'Connection: close'), expect: { ...GET11('Connection: close'), keepAlive: false } },
  { name: '1.1 close in a list, any case', input: head('GET / HTTP/1.1', HOST, 'Connection: upgrade ,CLOSE'), expect: { ...GET11('Connection: upgrade ,CLOSE'), keepAlive: false } },
  { name: '1.1 Connection: keep-alive', input: head('GET / HTTP/1.1', HOST, 'Connection: keep-alive'), expect: GET11('Connection: keep-alive') },
  { name: '1.1 "closed" is not close', input: head('GET / HTTP/1.1', HOST, 'Connection: closed'), expect: GET11('Connection: closed') },

  // ---- framing (RFC 9112 §6)
  { name: 'Content-Length: 0', input: post('Content-Length: 0'), expect: { ...GET11('Content-Length: 0'), method: 'POST', framing: { kind: 'length', length: 0 } } },
  { name: 'Content-Length: 42', input: post('content-length: 42'), expect: { ...GET11('content-length: 42'), method: 'POST', framing: { kind: 'length', length: 42 } } },
  { name: 'Content-Length with OWS', input: post('Content-Length:  5 \t'), expect: { ...GET11('Content-Length: 5'), method: 'POST', framing: { kind: 'length', length: 5 } } },
  { name: 'Content-Length "42, 42"', input: post('Content-Length: 42, 42'), expect: { ...GET11('Content-Length: 42, 42'), method: 'POST', framing: { kind: 'length', length: 42 } } },
  {
    name: 'two identical Content-Length fields',
    input: head('POST / HTTP/1.1', HOST, 'Content-Length: 7', 'Content-Length: 7'),
    expect: { ...GET11('Content-Length: 7', 'Content-Length: 7'), method: 'POST', framing: { kind: 'length', length: 7 } },
  },
  {
    name: 'Content-Length "5, 05" are the same value',
    input: post('Content-Length: 5, 05'),
    expect: { ...GET11('Content-Length: 5, 05'), method: 'POST', framing: { kind: 'length', length: 5 } },
  },
  {
    name: 'Content-Length at MAX_SAFE_INTEGER',
    input: post('Content-Length: 9007199254740991'),
    expect: { ...GET11('Content-Length: 9007199254740991'), method: 'POST', framing: { kind: 'length', length: Number.MAX_SAFE_INTEGER } },
  },
  { name: 'Transfer-Encoding: chunked', input: post('Transfer-Encoding: chunked'), expect: { ...GET11('Transfer-Encoding: chunked'), method: 'POST', framing: { kind: 'chunked' } } },
  { name: 'gzip, Chunked', input: post('transfer-encoding: gzip, Chunked'), expect: { ...GET11('transfer-encoding: gzip, Chunked'), method: 'POST', framing: { kind: 'chunked' } } },
  {
    name: 'Transfer-Encoding over two fields',
    input: head('POST / HTTP/1.1', HOST, 'Transfer-Encoding: x-gzip, deflate', 'Transfer-Encoding: compress, chunked'),
    expect: { ...GET11('Transfer-Encoding: x-gzip, deflate', 'Transfer-Encoding: compress, chunked'), method: 'POST', framing: { kind: 'chunked' } },
  },
  {
    name: 'empty Transfer-Encoding list elements are ignored',
    input: post('Transfer-Encoding: , chunked ,'),
    expect: { ...GET11('Transfer-Encoding: , chunked ,'), method: 'POST', framing: { kind: 'chunked' } },
  },

  // ---- Expect (RFC 9110 §10.1.1)
  { name: 'Expect: 100-continue', input: head('PUT / HTTP/1.1', HOST, 'Expect: 100-continue'), expect: { ...GET11('Expect: 100-continue'), method: 'PUT', expectContinue: true } },
  { name: 'Expect: 100-Continue any case', input: head('PUT / HTTP/1.1', HOST, 'Expect: 100-Continue'), expect: { ...GET11('Expect: 100-Continue'), method: 'PUT', expectContinue: true } },
  { name: 'empty Expect is ignored', input: head('PUT / HTTP/1.1', HOST, 'Expect:'), expect: { ...GET11('Expect:'), method: 'PUT' } },
  {
    name: '100-continue in HTTP/1.0 is ignored',
    input: head('PUT / HTTP/1.0', 'Expect: 100-continue'),
    expect: { method: 'PUT', target: '/', version: 10, headers: headersOf('Expect: 100-continue'), keepAlive: false },
  },

  // ---- limits that are just met
  { name: 'request line exactly at the limit', input: head(`GET ${LONG_TARGET} HTTP/1.1`, HOST), limits: SMALL_LINE_LIMIT, expect: { ...GET11(), target: LONG_TARGET } },
  {
    name: 'head exactly at the section limit',
    input: head('GET / HTTP/1.1', HOST),
    limits: { maxHeaderSectionBytes: head('GET / HTTP/1.1', HOST).length },
    expect: GET11(),
  },
  { name: 'header count exactly at the limit', input: head('GET / HTTP/1.1', HOST, 'A: 1', 'B: 2'), limits: { maxHeaderCount: 3 }, expect: GET11('A: 1', 'B: 2') },

  // ---- request line errors (RFC 9112 §3)
  { name: 'bad method char', input: 'G(T / HTTP/1.1\r\n', expect: { error: 'bad-method' } },
  { name: 'NUL in method', input: 'G\x00T / HTTP/1.1\r\n', expect: { error: 'bad-method' } },
  { name: 'obs-text in method', input: 'G\xc9T / HTTP/1.1\r\n', expect: { error: 'bad-method' } },
  { name: 'HTAB after method', input: 'GET\t/ HTTP/1.1\r\n', expect: { error: 'bad-method' } },
  { name: 'request line starts with a space', input: ' GET / HTTP/1.1\r\n', expect: { error: 'bad-request-line' } },
  { name: 'two spaces after method', input: 'GET  / HTTP/1.1\r\n', expect: { error: 'bad-request-line' } },
  { name: 'space after version', input: 'GET / HTTP/1.1 \r\n', expect: { error: 'bad-request-line' } },
  { name: 'four parts', input: 'GET / HTTP/1.1 extra\r\n', expect: { error: 'bad-request-line' } },
  { name: 'HTTP/0.9 style line with no version', input: 'GET /\r\n\r\n', expect: { error: 'bad-request-line' } },
  { name: 'method only', input: 'GET\r\n', expect: { error: 'bad-request-line' } },
  { name: 'method and space only', input: 'GET \r\n', expect: { error: 'bad-request-line' } },
  { name: 'empty version', input: 'GET / \r\n', expect: { error: 'bad-request-line' } },
  { name: 'control char in target', input: 'GET /a\x01b HTTP/1.1\r\n', expect: { error: 'bad-target' } },
  { name: 'DEL in target', input: 'GET /a\x7f HTTP/1.1\r\n', expect: { error: 'bad-target' } },
  { name: 'HTAB in target', input: 'GET /a\tb HTTP/1.1\r\n', expect: { error: 'bad-target' } },
  { name: 'short version', input: 'GET / HTTP/1\r\n', expect: { error: 'bad-version' } },
  { name: 'lowercase version', input: 'GET / http/1.1\r\n', expect: { error: 'bad-version' } },
  { name: 'version with extra digit', input: 'GET / HTTP/1.11\r\n', expect: { error: 'bad-version' } },
  { name: 'version without dot', input: 'GET / HTTP/11\r\n', expect: { error: 'bad-version' } },
  { name: 'version with letter', input: 'GET / HTTP/1.a\r\n', expect: { error: 'bad-version' } },
  { name: 'HTTPS/1.1', input: 'GET / HTTPS/1.1\r\n', expect: { error: 'bad-version' } },
  { name: 'HTTP/2.0 is 505', input: 'GET / HTTP/2.0\r\n', expect: { error: 'unsupported-version' } },
  { name: 'HTTP/0.9 is 505', input: 'GET / HTTP/0.9\r\n', expect: { error: 'unsupported-version' } },
  { name: 'HTTP/3.1 is 505', input: 'GET / HTTP/3.1\r\n', expect: { error: 'unsupported-version' } },

  // ---- bare CR (RFC 9112 §2.2)
  { name: 'bare CR before request line', input: '\rGET / HTTP/1.1\r\n', expect: { error: 'bare-cr' } },
  { name: 'bare CR ends the request line', input: 'GET / HTTP/1.1\rHost: a\r\n\r\n', expect: { error: 'bare-cr' } },
  { name: 'bare CR in the request line', input: 'GET /a\rb HTTP/1.1\r\n', expect: { error: 'bare-cr' } },
  { name: 'bare CR inside a value', input: 'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', expect: { error: 'bare-cr' } },
  { name: 'bare CR as a header line end', input: 'GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n', expect: { error: 'bare-cr' } },
  { name: 'bare CR in a name', input: 'GET / HTTP/1.1\r\nX\rY: z\r\n\r\n', expect: { error: 'bare-cr' } },
  { name: 'CR CR LF as the final line', input: 'GET / HTTP/1.1\r\nHost: a\r\n\r\r\n', expect: { error: 'bare-cr' } },

  // ---- field lines (RFC 9112 §5, RFC 9110 §5)
  { name: 'space before colon', input: 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', expect: { error: 'whitespace-before-colon' } },
  { name: 'HTAB before colon', input: 'GET / HTTP/1.1\r\nContent-Length\t: 5\r\n\r\n', expect: { error: 'whitespace-before-colon' } },
  { name: 'space inside a name', input: 'GET / HTTP/1.1\r\nX Y: z\r\n\r\n', expect: { error: 'bad-header-name' } },
  { name: 'empty name', input: 'GET / HTTP/1.1\r\n: z\r\n\r\n', expect: { error: 'bad-header-name' } },
  { name: 'separator in a name', input: 'GET / HTTP/1.1\r\nX(Y): z\r\n\r\n', expect: { error: 'bad-header-name' } },
  { name: 'NUL in a name', input: 'GET / HTTP/1.1\r\nX\x00: z\r\n\r\n', expect: { error: 'bad-header-name' } },
  { name: 'obs-text in a name', input: 'GET / HTTP/1.1\r\n\xdc: z\r\n\r\n', expect: { error: 'bad-header-name' } },
  { name: 'line without colon', input: 'GET / HTTP/1.1\r\nNoColon\r\n\r\n', expect: { error: 'bad-header-name' } },
  { name: 'obs-fold', input: 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n', expect: { error: 'obs-fold' } },
  { name: 'obs-fold with HTAB', input: 'GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n', expect: { error: 'obs-fold' } },
  { name: 'whitespace line right after the request line', input: 'GET / HTTP/1.1\r\n Host: a\r\n\r\n', expect: { error: 'obs-fold' } },
  { name: 'NUL in a value', input: 'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', expect: { error: 'bad-header-value' } },
  { name: 'ESC in a value', input: 'GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n', expect: { error: 'bad-header-value' } },
  { name: 'DEL in a value', input: 'GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n', expect: { error: 'bad-header-value' } },

  // ---- Host (RFC 9112 §3.2)
  { name: 'HTTP/1.1 without Host', input: head('GET / HTTP/1.1', 'X: 1'), expect: { error: 'missing-host' } },
  { name: 'two Host fields', input: head('GET / HTTP/1.1', 'Host: a', 'host: b'), expect: { error: 'duplicate-host' } },
  { name: 'two Host fields in 1.0', input: head('GET / HTTP/1.0', 'Host: a', 'HOST: a'), expect: { error: 'duplicate-host' } },

  // ---- smuggling: framing (RFC 9112 §6)
  { name: 'TE and CL', input: head('POST / HTTP/1.1', HOST, 'Transfer-Encoding: chunked', 'Content-Length: 5'), expect: { error: 'te-and-cl' } },
  { name: 'CL then TE', input: head('POST / HTTP/1.1', HOST, 'Content-Length: 5', 'Transfer-Encoding: chunked'), expect: { error: 'te-and-cl' } },
  { name: 'TE in HTTP/1.0', input: head('POST / HTTP/1.0', 'Transfer-Encoding: chunked'), expect: { error: 'te-in-http10' } },
  { name: 'TE and CL in HTTP/1.0', input: head('POST / HTTP/1.0', 'Transfer-Encoding: chunked', 'Content-Length: 5'), expect: { error: 'te-in-http10' } },
  { name: 'TE "chunked, gzip"', input: post('Transfer-Encoding: chunked, gzip'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE "chunked, chunked"', input: post('Transfer-Encoding: chunked, chunked'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE chunked in two fields', input: head('POST / HTTP/1.1', HOST, 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE gzip only', input: post('Transfer-Encoding: gzip'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE empty', input: post('Transfer-Encoding:'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE only commas', input: post('Transfer-Encoding: , ,'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE "chunked;x=1"', input: post('Transfer-Encoding: chunked;x=1'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE "xchunked"', input: post('Transfer-Encoding: xchunked'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE coding with parameters before chunked', input: post('Transfer-Encoding: gzip;q=1, chunked'), expect: { error: 'bad-transfer-encoding' } },
  { name: 'TE "br, chunked" is 501', input: post('Transfer-Encoding: br, chunked'), expect: { error: 'unsupported-transfer-coding' } },
  { name: 'TE "identity, chunked" is 501', input: post('Transfer-Encoding: identity, chunked'), expect: { error: 'unsupported-transfer-coding' } },
  { name: 'CL "1, 2"', input: post('Content-Length: 1, 2'), expect: { error: 'conflicting-content-length' } },
  { name: 'CL in two differing fields', input: head('POST / HTTP/1.1', HOST, 'Content-Length: 1', 'Content-Length: 2'), expect: { error: 'conflicting-content-length' } },
  { name: 'CL "+5"', input: post('Content-Length: +5'), expect: { error: 'bad-content-length' } },
  { name: 'CL "-1"', input: post('Content-Length: -1'), expect: { error: 'bad-content-length' } },
  { name: 'CL "0x10"', input: post('Content-Length: 0x10'), expect: { error: 'bad-content-length' } },
  { name: 'CL "12a"', input: post('Content-Length: 12a'), expect: { error: 'bad-content-length' } },
  { name: 'CL "5 5"', input: post('Content-Length: 5 5'), expect: { error: 'bad-content-length' } },
  { name: 'CL "1.0"', input: post('Content-Length: 1.0'), expect: { error: 'bad-content-length' } },
  { name: 'CL empty', input: post('Content-Length:'), expect: { error: 'bad-content-length' } },
  { name: 'CL "5,"', input: post('Content-Length: 5,'), expect: { error: 'bad-content-length' } },
  { name: 'CL above MAX_SAFE_INTEGER', input: post('Content-Length: 9007199254740992'), expect: { error: 'bad-content-length' } },
  { name: 'CL with 30 digits', input: head('POST / HTTP/1.1', HOST, `Content-Length: ${'9'.repeat(30)}`), expect: { error: 'bad-content-length' } },

  // ---- Expect failures
  { name: 'Expect: foo', input: head('PUT / HTTP/1.1', HOST, 'Expect: foo'), expect: { error: 'expectation-failed' } },
  { name: 'Expect: 100-continue, foo', input: head('PUT / HTTP/1.1', HOST, 'Expect: 100-continue, foo'), expect: { error: 'expectation-failed' } },
  { name: 'Expect with parameters', input: head('PUT / HTTP/1.1', HOST, 'Expect: 100-continue;a=b'), expect: { error: 'expectation-failed' } },

  // ---- limits exceeded
  { name: '414 at limit + 1 bytes without line end', input: `GET /${'a'.repeat(15)}`, limits: SMALL_LINE_LIMIT, expect: { error: 'request-line-too-long' } },
  { name: '414 for a long complete line', input: head(`GET ${LONG_TARGET}a HTTP/1.1`, HOST), limits: SMALL_LINE_LIMIT, expect: { error: 'request-line-too-long' } },
  { name: '414 when the version is one byte too long', input: head(`GET ${LONG_TARGET} HTTP/1.11`, HOST), limits: SMALL_LINE_LIMIT, expect: { error: 'request-line-too-long' } },
  {
    name: '431 when an incomplete head passes the limit',
    input: 'GET / HTTP/1.1\r\nHost: example.com\r\nX: 123',
    limits: { maxHeaderSectionBytes: 40 },
    expect: { error: 'header-section-too-large' },
  },
  {
    name: '431 for a complete head one byte over',
    input: head('GET / HTTP/1.1', HOST),
    limits: { maxHeaderSectionBytes: head('GET / HTTP/1.1', HOST).length - 1 },
    expect: { error: 'header-section-too-large' },
  },
  {
    name: 'leading empty lines count toward the section limit',
    input: '\r\n'.repeat(30) + head('GET / HTTP/1.1', HOST),
    limits: { maxHeaderSectionBytes: 64 },
    expect: { error: 'header-section-too-large' },
  },
  { name: '431 for too many fields', input: head('GET / HTTP/1.1', HOST, 'A: 1', 'B: 2'), limits: { maxHeaderCount: 2 }, expect: { error: 'too-many-headers' } },
];

/** What a result means, with offsets decoded, so results can be compared and checked. */
function summarize(result: HeadParseResult, buf: Uint8Array, start: number): Record<string, unknown> {
  if (result.kind === 'partial') return { kind: 'partial' };
  if (result.kind === 'error') return { kind: 'error', code: result.code };
  const h = result.head;
  const at = (from: number, to: number): string => latin1(buf, start + from, start + to);
  const headers: HeaderPair[] = [];
  for (let i = 0; i < h.headerOffsets.length; i += 4) {
    headers.push([at(h.headerOffsets[i]!, h.headerOffsets[i + 1]!), at(h.headerOffsets[i + 2]!, h.headerOffsets[i + 3]!)]);
  }
  return {
    kind: 'complete',
    method: at(h.methodStart, h.methodEnd),
    target: at(h.targetStart, h.targetEnd),
    version: h.version,
    headers,
    headerCount: h.headerCount,
    framing: h.framing,
    keepAlive: h.keepAlive,
    expectContinue: h.expectContinue,
    isHead: h.isHead,
    headLength: h.headLength,
  };
}

function expected(c: Case): Record<string, unknown> {
  const e = c.expect;
  if ('error' in e) return { kind: 'error', code: e.error };
  return {
    kind: 'complete',
    method: e.method,
    target: e.target,
    version: e.version,
    headers: e.headers,
    headerCount: e.headers.length,
    framing: e.framing ?? { kind: 'none' },
    keepAlive: e.keepAlive ?? true,
    expectContinue: e.expectContinue ?? false,
    isHead: e.isHead ?? false,
    headLength: e.headLength ?? c.input.length,
  };
}

function limitsOf(c: Case): HeadLimits {
  return { ...DEFAULT_HEAD_LIMITS, ...c.limits };
}

/** A prefix must give partial, or exactly what the whole gives when that is an error. */
function checkPrefix(got: Record<string, unknown>, whole: Record<string, unknown>, where: string): void {
  if (got.kind === 'partial') return;
  assert.equal(whole.kind, 'error', `${where}: a prefix gave ${String(got.kind)} but the whole input is ${String(whole.kind)}`);
  assert.deepEqual(got, whole, `${where}: a prefix gave a different error`);
}

describe('parseRequestHead table', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const input = bytes(c.input);
      const limits = limitsOf(c);
      const want = expected(c);
      const whole = parseRequestHead(input, 0, input.length, limits);
      assert.deepEqual(summarize(whole, input, 0), want, 'whole input');
      if (whole.kind === 'error') {
        assert.equal(typeof whole.detail, 'string');
        assert.ok(whole.detail.length > 0 && whole.detail.length < 200, `detail: ${whole.detail}`);
      }

      // Byte by byte in the same buffer: partial until an error appears, which then stays.
      let errorSeen = false;
      for (let end = 1; end < input.length; end++) {
        const got = summarize(parseRequestHead(input, 0, end, limits), input, 0);
        if (errorSeen) assert.deepEqual(got, want, `after the error appeared, at ${end} bytes`);
        else checkPrefix(got, want, `byte by byte, at ${end} bytes`);
        errorSeen = got.kind === 'error';
      }

      // Every split point, the prefix in a buffer of its own (nothing to read past the end).
      for (let cut = 1; cut < input.length; cut++) {
        const prefix = input.slice(0, cut);
        checkPrefix(summarize(parseRequestHead(prefix, 0, cut, limits), prefix, 0), want, `split at ${cut}`);
        assert.deepEqual(summarize(parseRequestHead(input, 0, input.length, limits), input, 0), want, `whole after split at ${cut}`);
      }

      // At a non-zero start with junk before and a pipelined request after.
      const junk = bytes('junk\r\n\x00\xff\r\n\r\n');
      const next = bytes(head('GET /next HTTP/1.1', 'Host: next'));
      const big = new Uint8Array(junk.length + input.length + next.length);
      big.set(junk, 0);
      big.set(input, junk.length);
      big.set(next, junk.length + input.length);
      assert.deepEqual(summarize(parseRequestHead(big, junk.length, big.length, limits), big, junk.length), want, 'inside a larger buffer');
    });
  }
});

describe('parseRequestHead details and edges', () => {
  const errorOf = (s: string, limits: HeadLimits = DEFAULT_HEAD_LIMITS): string => {
    const b = bytes(s);
    const r = parseRequestHead(b, 0, b.length, limits);
    assert.equal(r.kind, 'error');
    return r.kind === 'error' ? r.detail : '';
  };

  it('names what was wrong', () => {
    assert.equal(errorOf(post('Content-Length: 12a')), 'Content-Length "12a" is not plain digits');
    assert.equal(errorOf(head('GET / HTTP/1.1', 'X Y: z')), 'header name "X Y" has a space');
    assert.match(errorOf(head('GET / HTTP/1.1', 'X: a\x00')), /"X".*0x00/);
    assert.match(errorOf(head('GET / HTTP/2.0')), /HTTP\/2\.0/);
    assert.match(errorOf(post('Transfer-Encoding: br, chunked')), /"br"/);
  });

  it('quotes long values shortened', () => {
    const detail = errorOf(head('POST / HTTP/1.1', HOST, `Content-Length: ${'1'.repeat(100)}x`));
    assert.ok(detail.length < 100, detail);
  });

  it('headLength stops at the end of the head; a body is not read', () => {
    const input = bytes(post('Content-Length: 5') + 'hello' + head('GET / HTTP/1.1', HOST));
    const r = parseRequestHead(input, 0, input.length, DEFAULT_HEAD_LIMITS);
    assert.equal(r.kind, 'complete');
    if (r.kind === 'complete') assert.equal(r.head.headLength, post('Content-Length: 5').length);
  });

  it('a body that looks like a bad head does not change the result', () => {
    const good = post('Content-Length: 9');
    const a = bytes(good);
    const b = bytes(good + '\r\x00 :bad\r');
    assert.deepEqual(summarize(parseRequestHead(b, 0, b.length, DEFAULT_HEAD_LIMITS), b, 0), summarize(parseRequestHead(a, 0, a.length, DEFAULT_HEAD_LIMITS), a, 0));
  });

  it('nothing to parse is partial', () => {
    const b = bytes('GET');
    assert.equal(parseRequestHead(b, 0, 0, DEFAULT_HEAD_LIMITS).kind, 'partial');
    assert.equal(parseRequestHead(b, 3, 3, DEFAULT_HEAD_LIMITS).kind, 'partial');
    assert.equal(parseRequestHead(b, 0, 99, DEFAULT_HEAD_LIMITS).kind, 'partial');
  });

  it('only empty lines so far is partial', () => {
    const b = bytes('\r\n\n\r\n\r');
    assert.equal(parseRequestHead(b, 0, b.length, DEFAULT_HEAD_LIMITS).kind, 'partial');
  });

  it('default limits: a request line of 8 KiB + 1 is 414', () => {
    const b = bytes(`GET /${'a'.repeat(DEFAULT_HEAD_LIMITS.maxRequestLineBytes)}`);
    const r = parseRequestHead(b, 0, b.length, DEFAULT_HEAD_LIMITS);
    assert.equal(r.kind === 'error' && r.code, 'request-line-too-long');
    assert.equal(r.kind === 'error' && CAPTURE_ERROR_STATUS[r.code], 414);
  });
});

// ---- property tests

const FRAGMENTS = [
  'GET', 'POST', 'HEAD', ' ', ' ', '/', '/a?b=c', '*', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.', '\r\n', '\r\n', '\n', '\r',
  'Host', 'Host: a', 'Content-Length', 'Content-Length: 5', 'Content-Length: 5, 5', 'Content-Length: 1, 2',
  'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: chunked, gzip', 'Connection: close',
  'Connection: keep-alive', 'Expect: 100-continue', 'Expect: x', ':', ': ', '\t', '\x00', '\x7f', '\xff', 'X-A: b', ',', '"',
];
const VALID_REQUESTS = [
  head('GET / HTTP/1.1', HOST),
  head('POST /upload?x=1 HTTP/1.1', HOST, 'Content-Length: 12', 'Content-Type: text/plain', 'Expect: 100-continue'),
  head('POST / HTTP/1.1', HOST, 'Transfer-Encoding: gzip, chunked', 'Connection: close'),
  head('GET / HTTP/1.0', 'Connection: keep-alive', 'X-Latin: \xe9\xff'),
  '\r\n' + head('HEAD /h HTTP/1.1', 'host: h', 'Content-Length: 0, 0'),
  `GET / HTTP/1.1\nHost: lf\nX: 1\n\n`,
];
const SPECIAL_BYTES = [0x0d, 0x0a, 0x20, 0x3a, 0x09, 0x00, 0x2c, 0x80];

function randomInput(rng: TestRandom): Uint8Array {
  switch (rng.int(4)) {
    case 0:
      return rng.bytes(rng.int(120));
    case 1: {
      let s = '';
      const n = rng.int(25);
      for (let i = 0; i < n; i++) s += rng.pick(FRAGMENTS);
      return bytes(s);
    }
    case 2: {
      const valid = bytes(rng.pick(VALID_REQUESTS));
      return rng.mutate(valid, SPECIAL_BYTES).subarray(0, rng.int(valid.length + 2));
    }
    default:
      return rng.mutate(bytes(rng.pick(VALID_REQUESTS)), SPECIAL_BYTES);
  }
}

function checkWellFormed(r: HeadParseResult, length: number): void {
  assert.ok(r.kind === 'complete' || r.kind === 'partial' || r.kind === 'error', `kind ${(r as { kind: string }).kind}`);
  if (r.kind === 'error') {
    assert.ok(isCaptureErrorCode(r.code), `code ${r.code}`);
    assert.ok(r.detail.length > 0);
  }
  if (r.kind === 'complete') {
    const h = r.head;
    assert.ok(h.headLength > 0 && h.headLength <= length);
    assert.ok(h.methodStart < h.methodEnd && h.methodEnd < h.targetStart && h.targetStart < h.targetEnd && h.targetEnd < h.headLength);
    assert.equal(h.headerOffsets.length, h.headerCount * 4);
    for (let i = 0; i < h.headerOffsets.length; i += 4) {
      const [ns, ne, vs, ve] = h.headerOffsets.slice(i, i + 4) as [number, number, number, number];
      assert.ok(h.targetEnd < ns && ns < ne && ne < vs + 1 && vs <= ve && ve < h.headLength);
    }
  }
}

describe('parseRequestHead properties', () => {
  it('never throws, and every prefix is partial or the same result (5,000 random inputs)', () => {
    const rng = new TestRandom(0x5eed1);
    const kinds = { complete: 0, partial: 0, error: 0 };
    for (let i = 0; i < 5000; i++) {
      const input = randomInput(rng);
      const limits = rng.chance(0.2)
        ? { maxRequestLineBytes: rng.range(0, 40), maxHeaderSectionBytes: rng.range(0, 120), maxHeaderCount: rng.range(0, 4) }
        : DEFAULT_HEAD_LIMITS;
      const whole = parseRequestHead(input, 0, input.length, limits);
      checkWellFormed(whole, input.length);
      kinds[whole.kind]++;
      const want = summarize(whole, input, 0);
      assert.deepEqual(summarize(parseRequestHead(input, 0, input.length, limits), input, 0), want, 'deterministic');
      for (const cut of rng.cuts(input.length, 3)) {
        const got = parseRequestHead(input, 0, cut, limits);
        checkWellFormed(got, cut);
        const gotDescribed = summarize(got, input, 0);
        if (got.kind !== 'partial') assert.deepEqual(gotDescribed, want, `prefix ${cut} of ${JSON.stringify(latin1(input, 0, input.length))}`);
      }
    }
    // The generator must reach all three outcomes, or the property says little.
    assert.ok(kinds.complete > 200 && kinds.partial > 200 && kinds.error > 200, JSON.stringify(kinds));
  });
});
