import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptureErrorCode, HeaderPair } from '../../common/capture-record';
import { ChunkedDecoder, DEFAULT_CHUNKED_LIMITS, MAX_CHUNK_LINE_BYTES, type ChunkedLimits } from './chunked-decoder';
import { feedPieces as feedPiecesChecked, type FedPieces } from './test/feed-pieces';
import { TestRandom } from './test/random';

function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/**
 * What feeding a body gave, in a form that does not depend on how it was split:
 * `consumed` is the total when complete, 0 otherwise (an error's count is not compared).
 */
type Outcome = FedPieces;

/**
 * Feeds `input` in pieces ending at each of `cuts` (and the end), checking the
 * per-feed contract with node:assert (see test/feed-pieces.ts). With `copy`,
 * each piece is a buffer of its own; else a window of `input`.
 */
function feedPieces(input: Uint8Array, cuts: readonly number[], copy: boolean, limits?: ChunkedLimits): Outcome {
  const r = feedPiecesChecked(input, cuts, copy, limits, (ok, message) => { if (!ok) assert.fail(message()); });
  // An error's and a partial body's consumed count are not compared.
  return { ...r, consumed: r.kind === 'complete' ? r.consumed : 0 };
}

/** Every way of feeding `input` we try: whole, byte by byte, each single cut, and each pair of cuts when short. */
function allFeeds(input: Uint8Array, limits?: ChunkedLimits): Iterable<[string, Outcome]> {
  const n = input.length;
  const runs: [string, Outcome][] = [];
  runs.push(['whole', feedPieces(input, [], false, limits)]);
  runs.push(['byte by byte', feedPieces(input, Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1), false, limits)]);
  for (let a = 1; a < n; a++) runs.push([`split at ${a}`, feedPieces(input, [a], true, limits)]);
  if (n <= 64) {
    for (let a = 1; a < n; a++) for (let b = a + 1; b < n; b++) runs.push([`split at ${a} and ${b}`, feedPieces(input, [a, b], true, limits)]);
  }
  return runs;
}

const NEXT_REQUEST = 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n';

interface ValidCase {
  name: string;
  body: string;
  data: string;
  trailers?: HeaderPair[];
  limits?: Partial<ChunkedLimits>;
}

const VALID: ValidCase[] = [
  { name: 'one chunk', body: '5\r\nhello\r\n0\r\n\r\n', data: 'hello' },
  { name: 'several chunks', body: '5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n', data: 'hello world' },
  { name: 'uppercase hex', body: 'A\r\n0123456789\r\n0\r\n\r\n', data: '0123456789' },
  { name: 'lowercase hex', body: 'b\r\n0123456789a\r\n0\r\n\r\n', data: '0123456789a' },
  { name: 'leading zeros', body: '0005\r\nhello\r\n000\r\n\r\n', data: 'hello' },
  { name: 'many leading zeros', body: `${'0'.repeat(40)}3\r\nabc\r\n0\r\n\r\n`, data: 'abc' },
  { name: 'zero-length body', body: '0\r\n\r\n', data: '' },
  { name: 'extension name only', body: '5;name\r\nhello\r\n0\r\n\r\n', data: 'hello' },
  { name: 'extension with token value', body: '5;name=value;other\r\nhello\r\n0\r\n\r\n', data: 'hello' },
  { name: 'extensions with BWS', body: '5 ; a = b\t;\tc ;d\r\nhello\r\n0\r\n\r\n', data: 'hello' },
  { name: 'quoted extension value', body: '5;a="x; \\"y\\" \\\\ z";b=1\r\nhello\r\n0\r\n\r\n', data: 'hello' },
  { name: 'quoted value with obs-text', body: '5;a="caf\xe9"\r\nhello\r\n0\r\n\r\n', data: 'hello' },
  { name: 'extension on the last chunk', body: '5\r\nhello\r\n0;end="yes"\r\n\r\n', data: 'hello' },
  { name: 'data that looks like framing', body: '7\r\n0\r\n\r\nab\r\n0\r\n\r\n', data: '0\r\n\r\nab' },
  { name: 'binary data', body: '4\r\n\x00\xff\r\x0a\r\n0\r\n\r\n', data: '\x00\xff\r\n' },
  { name: 'trailers', body: '5\r\nhello\r\n0\r\nX-Checksum: abc\r\nx-other:  two  words \t\r\n\r\n', data: 'hello', trailers: [['X-Checksum', 'abc'], ['x-other', 'two  words']] },
  { name: 'empty trailer value', body: '0\r\nX-Empty:\r\n\r\n', data: '', trailers: [['X-Empty', '']] },
  { name: 'bare LF everywhere', body: '5\nhello\n0\nX: 1\n\n', data: 'hello', trailers: [['X', '1']] },
  { name: 'mixed line ends', body: '5\r\nhello\n2;a\nab\r\n0\n\r\n', data: 'helloab' },
  {
    name: 'trailer section exactly at the limit',
    body: '0\r\nX: 123\r\n\r\n',
    data: '',
    trailers: [['X', '123']],
    limits: { maxTrailerBytes: 'X: 123\r\n\r\n'.length },
  },
  { name: 'trailer count exactly at the limit', body: '0\r\nA: 1\r\nB: 2\r\n\r\n', data: '', trailers: [['A', '1'], ['B', '2']], limits: { maxTrailerCount: 2 } },
  { name: 'chunk line exactly at the limit', body: `1;${'e'.repeat(MAX_CHUNK_LINE_BYTES - 2)}\r\nx\r\n0\r\n\r\n`, data: 'x' },
];

interface InvalidCase {
  name: string;
  body: string;
  code: CaptureErrorCode;
  limits?: Partial<ChunkedLimits>;
}

const INVALID: InvalidCase[] = [
  { name: 'empty chunk size', body: '\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'extension without size', body: ';a\r\n', code: 'bad-chunk' },
  { name: '0x prefix', body: '0x5\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'plus sign', body: '+5\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'minus sign', body: '-5\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'leading space', body: ' 5\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'non-hex digit', body: '5g\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'trailing space after size', body: '5 \r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'size above MAX_SAFE_INTEGER', body: '20000000000000\r\n', code: 'bad-chunk' },
  { name: 'size of 17 hex digits', body: 'FFFFFFFFFFFFFFFFF\r\n', code: 'bad-chunk' },
  { name: 'data longer than the size', body: '5\r\nhelloX\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'data shorter than the size', body: '5\r\nhel\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'CR then not LF after data', body: '5\r\nhello\rX0\r\n\r\n', code: 'bad-chunk' },
  { name: 'CR CR LF after data', body: '5\r\nhello\r\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'bare CR after the size', body: '5\rhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'empty extension name', body: '5;\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'extension value missing', body: '5;a=\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'extension name missing before =', body: '5;=x\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'two words as a value', body: '5;a=b c\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'two words as a name', body: '5;a b\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'separator as a value', body: '5;a=(\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'unterminated quoted value', body: '5;a="x\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'CTL in a quoted value', body: '5;a="x\x01"\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'NUL after a backslash', body: '5;a="\\\x00"\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'text after a quoted value', body: '5;a="x"y\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'NUL in an extension', body: '5;a\x00\r\nhello\r\n0\r\n\r\n', code: 'bad-chunk' },
  { name: 'chunk line one byte over the limit', body: `1;${'e'.repeat(MAX_CHUNK_LINE_BYTES - 1)}\r\nx\r\n0\r\n\r\n`, code: 'bad-chunk' },
  { name: 'space in a trailer name', body: '0\r\nX Y: z\r\n\r\n', code: 'bad-header-name' },
  { name: 'trailer without colon', body: '0\r\nNoColon\r\n\r\n', code: 'bad-header-name' },
  { name: 'space before a trailer colon', body: '0\r\nX : z\r\n\r\n', code: 'whitespace-before-colon' },
  { name: 'folded trailer', body: '0\r\nX: a\r\n b\r\n\r\n', code: 'obs-fold' },
  { name: 'NUL in a trailer value', body: '0\r\nX: a\x00\r\n\r\n', code: 'bad-header-value' },
  { name: 'bare CR in a trailer value', body: '0\r\nX: a\rb\r\n\r\n', code: 'bare-cr' },
  { name: 'CR CR LF ending the trailers', body: '0\r\n\r\r\n', code: 'bare-cr' },
  { name: 'trailer section one byte over the limit', body: '0\r\nX: 123\r\n\r\n', code: 'header-section-too-large', limits: { maxTrailerBytes: 'X: 123\r\n\r\n'.length - 1 } },
  { name: 'oversized incomplete trailer section', body: '0\r\nX-Long: 0123456789abcdef', code: 'header-section-too-large', limits: { maxTrailerBytes: 16 } },
  { name: 'too many trailer fields', body: '0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n', code: 'header-section-too-large', limits: { maxTrailerCount: 2 } },
];

describe('ChunkedDecoder valid bodies', () => {
  for (const c of VALID) {
    it(c.name, () => {
      const input = bytes(c.body + NEXT_REQUEST);
      const limits = { ...DEFAULT_CHUNKED_LIMITS, ...c.limits };
      const want: Outcome = { kind: 'complete', consumed: c.body.length, data: c.data, decodedLength: c.data.length, trailers: c.trailers ?? [], code: null };
      for (const [how, got] of allFeeds(input, limits)) assert.deepEqual(got, want, how);
      // Without the bytes of the last line the body is still partial.
      const cut = bytes(c.body.slice(0, -1));
      assert.equal(feedPieces(cut, [], false, limits).kind, 'partial');
    });
  }
});

describe('ChunkedDecoder invalid bodies', () => {
  for (const c of INVALID) {
    it(c.name, () => {
      const input = bytes(c.body + NEXT_REQUEST);
      const limits = { ...DEFAULT_CHUNKED_LIMITS, ...c.limits };
      const whole = feedPieces(input, [], false, limits);
      assert.equal(whole.kind, 'error');
      assert.equal(whole.code, c.code);
      for (const [how, got] of allFeeds(input, limits)) assert.deepEqual(got, whole, how);
    });
  }
});

describe('ChunkedDecoder edges', () => {
  it('accepts a chunk size of MAX_SAFE_INTEGER and counts past 2^32', () => {
    const decoder = new ChunkedDecoder();
    const size = 2 ** 32 + 2 ** 20;
    const line = bytes(`${size.toString(16)}\r\n`);
    assert.equal(decoder.feed(line, 0, line.length, () => assert.fail('no data yet')).kind, 'partial');
    const block = new Uint8Array(1 << 20);
    let seen = 0;
    for (let i = 0; i < size / block.length; i++) {
      const r = decoder.feed(block, 0, block.length, (_b, f, t) => (seen += t - f));
      assert.equal(r.kind, 'partial');
    }
    assert.equal(seen, size);
    assert.equal(decoder.decodedLength, size);
    const end = bytes('\r\n0\r\n\r\nGET');
    const r = decoder.feed(end, 0, end.length, () => assert.fail('no more data'));
    assert.deepEqual(r, { kind: 'complete', consumed: end.length - 3, trailers: [] });

    const max = new ChunkedDecoder();
    const maxLine = bytes(`${Number.MAX_SAFE_INTEGER.toString(16)}\r\nabc`);
    assert.equal(max.feed(maxLine, 0, maxLine.length, () => {}).kind, 'partial');
    assert.equal(max.decodedLength, 3);
  });

  it('hands out ranges of the buffer it was given, at any start', () => {
    const input = bytes('xxxx3\r\nabc\r\n0\r\n\r\nyy');
    const decoder = new ChunkedDecoder();
    const ranges: [Uint8Array, number, number][] = [];
    const r = decoder.feed(input, 4, input.length - 2, (b, f, t) => ranges.push([b, f, t]));
    assert.deepEqual(r, { kind: 'complete', consumed: input.length - 6, trailers: [] });
    assert.equal(ranges.length, 1);
    assert.equal(ranges[0]![0], input);
    assert.deepEqual(ranges[0]!.slice(1), [7, 10]);
  });

  it('a trailer section split across feeds does not keep the caller\'s buffer', () => {
    const decoder = new ChunkedDecoder();
    const first = bytes('0\r\nX-A: 1\r\nX-');
    assert.equal(decoder.feed(first, 0, first.length, () => {}).kind, 'partial');
    first.fill(0x21); // the caller reuses its read buffer
    const second = bytes('B: 2\r\n\r\n');
    assert.deepEqual(decoder.feed(second, 0, second.length, () => {}), { kind: 'complete', consumed: second.length, trailers: [['X-A', '1'], ['X-B', '2']] });
  });
});

// ---- property tests

const TOKEN_CHARS = "abcXYZ019!#$%&'*+-.^_`|~";
const SPECIAL_BYTES = [0x0d, 0x0a, 0x20, 0x3b, 0x3d, 0x22, 0x5c, 0x3a, 0x30, 0x09];

function randomToken(rng: TestRandom): string {
  let s = '';
  for (let i = rng.range(1, 6); i > 0; i--) s += rng.pick([...TOKEN_CHARS]);
  return s;
}

/** A valid chunked encoding of `data`, varied in every way the grammar allows. */
function encode(rng: TestRandom, data: string, trailers: HeaderPair[]): string {
  const eol = (): string => (rng.chance(0.8) ? '\r\n' : '\n');
  const ext = (): string => {
    let s = '';
    for (let i = rng.int(3); i > 0; i--) {
      const bws = (): string => rng.pick(['', '', ' ', '\t', '  ']);
      s += `${bws()};${bws()}${randomToken(rng)}`;
      if (rng.chance(0.6)) {
        s += `${bws()}=${bws()}`;
        s += rng.chance(0.5) ? randomToken(rng) : `"${rng.pick(['', 'a b', ';=,', '\\"', '\\\\', 'caf\xe9', '\t'])}"`;
      }
    }
    return s;
  };
  const size = (n: number): string => {
    const hex = '0'.repeat(rng.int(3)) + n.toString(16);
    return rng.chance(0.5) ? hex.toUpperCase() : hex;
  };
  let out = '';
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, rng.range(1, 40));
    out += size(n) + ext() + eol() + data.slice(at, at + n) + eol();
    at += n;
  }
  out += size(0) + ext() + eol();
  for (const [name, value] of trailers) out += `${name}:${rng.pick(['', ' ', '\t '])}${value}${rng.pick(['', ' '])}${eol()}`;
  return out + eol();
}

describe('ChunkedDecoder properties', () => {
  it('random valid bodies decode back to their data at random splits (5,000 bodies)', () => {
    const rng = new TestRandom(0xc0ffee);
    for (let i = 0; i < 5000; i++) {
      const data = Buffer.from(rng.bytes(rng.int(200))).toString('latin1');
      const trailers: HeaderPair[] = [];
      for (let t = rng.chance(0.3) ? rng.range(1, 3) : 0; t > 0; t--) trailers.push([randomToken(rng), rng.pick(['', 'v', 'two words', 'caf\xe9'])]);
      const body = encode(rng, data, trailers);
      const input = bytes(body + NEXT_REQUEST);
      const want: Outcome = { kind: 'complete', consumed: body.length, data, decodedLength: data.length, trailers, code: null };
      assert.deepEqual(feedPieces(input, [], false), want, JSON.stringify(body));
      assert.deepEqual(feedPieces(input, rng.cuts(input.length, rng.range(1, 6)), rng.chance(0.5)), want, JSON.stringify(body));
    }
  });

  it('mutated bodies never throw and decode the same at any split (5,000 bodies)', () => {
    const rng = new TestRandom(0xbadc0de);
    const kinds = { complete: 0, partial: 0, error: 0 };
    for (let i = 0; i < 5000; i++) {
      const data = Buffer.from(rng.bytes(rng.int(60))).toString('latin1');
      const trailers: HeaderPair[] = rng.chance(0.3) ? [[randomToken(rng), 'v']] : [];
      let input = rng.chance(0.1) ? rng.bytes(rng.int(40)) : rng.mutate(bytes(encode(rng, data, trailers) + NEXT_REQUEST), SPECIAL_BYTES);
      if (rng.chance(0.2)) input = input.subarray(0, rng.int(input.length));
      const limits = rng.chance(0.2) ? { maxTrailerBytes: rng.int(30), maxTrailerCount: rng.int(3) } : DEFAULT_CHUNKED_LIMITS;
      const whole = feedPieces(input, [], false, limits);
      kinds[whole.kind]++;
      for (let k = 0; k < 3; k++) {
        assert.deepEqual(feedPieces(input, rng.cuts(input.length, rng.range(1, 5)), rng.chance(0.5), limits), whole, JSON.stringify(Buffer.from(input).toString('latin1')));
      }
    }
    assert.ok(kinds.complete > 200 && kinds.partial > 200 && kinds.error > 200, JSON.stringify(kinds));
  });
});
