/**
 * Seeded fuzzing of the request-head parser and the chunked decoder:
 * grammar-based generation (property) and mutation of generated and fixed
 * inputs. One case is fully determined by its case seed, so any failure is
 * replayed with `fuzzCase(target, caseSeed)`. Used by fuzz.test.ts (bounded)
 * and fuzz-cli.ts (long runs).
 *
 * Properties (issue 4, DESIGN.md testing tier 1): no exception escapes; every
 * input ends as complete, partial or an error with a known code; splitting the
 * input anywhere (or placing it inside a larger buffer) never changes the result.
 */
import { CAPTURE_ERROR_STATUS, isCaptureErrorCode } from '../../../common/capture-record';
import { parseRequestHead } from '../request-parser';
import { DEFAULT_CHUNKED_LIMITS, type ChunkedLimits } from '../chunked-decoder';
import { DEFAULT_HEAD_LIMITS, type HeadLimits, type HeadParseResult } from '../parse-types';
import { feedPieces } from './feed-pieces';
import { TestRandom } from './random';

export type FuzzTarget = 'request-parser' | 'chunked-decoder';
export const FUZZ_TARGETS: readonly FuzzTarget[] = ['request-parser', 'chunked-decoder'];

/** Inputs up to this size are checked at every split point; longer ones at FUZZ_RANDOM_CUTS points. */
export const FUZZ_ALL_SPLITS_MAX_BYTES = 256;
export const FUZZ_RANDOM_CUTS = 24;

export interface FuzzFailure {
  target: FuzzTarget;
  caseSeed: number;
  input: Uint8Array;
  /** 'crash': the code under test threw; 'property': a property did not hold. */
  kind: 'crash' | 'property';
  message: string;
}

export interface FuzzCaseResult {
  failure: FuzzFailure | null;
  /** Outcome of the whole input: complete, partial or error. */
  outcome: string;
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const show = (b: Uint8Array): string => JSON.stringify(Buffer.from(b.subarray(0, 400)).toString('latin1')) + (b.length > 400 ? `… (${b.length} bytes)` : '');

/** A property that did not hold (as opposed to an exception from the code under test). */
class PropertyError extends Error {}
function check(ok: boolean, message: () => string): void {
  if (!ok) throw new PropertyError(message());
}

// ───────────────────────────── request heads ─────────────────────────────

const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'CONNECT', 'X-CUSTOM!', 'get', 'G ET', '', 'GET\t', 'P\x00ST', 'ÄGET'];
const TARGETS = ['/', '/a/b?c=d&e', '*', 'http://h:80/p', 'h:443', '/%00', '/\x7f', '/ä', '/a b', '', '//', '/?' + 'q'.repeat(40)];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/1.9', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.', 'HTTP/11', 'HTTP/1.1 ', ''];
const EOLS = ['\r\n', '\r\n', '\r\n', '\n', '\r', '\r\r\n', ''];
const NAMES = ['Host', 'host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Expect', 'X-A', 'Cookie', 'Host ', ' Host', 'Bad Name', 'X\x00', ''];
const VALUES: Record<string, readonly string[]> = {
  'Content-Length': ['0', '5', '12', '007', '5, 5', '5,6', '-1', '+5', ' 5 ', '99999999999999999999', '9007199254740993', '0x10', '', '1e3'],
  'Transfer-Encoding': ['chunked', 'gzip, chunked', 'chunked, gzip', 'CHUNKED', 'chunked ,', ',chunked', 'identity', 'chunked;q=1', ''],
  Connection: ['close', 'keep-alive', 'Keep-Alive, Upgrade', 'close, keep-alive', 'x'],
  Expect: ['100-continue', '100-CONTINUE', 'nothing', ''],
};
const OTHER_VALUES = ['a', '', ' spaced  ', 'x\ty', 'caf\xe9', '\x7f', 'a\x00b', '"quoted"', 'v'.repeat(50)];

/**
 * A request head drawn from a loose grammar: each choice is the valid one
 * unless a draw below `sloppy` picks from the wrong ones, so a case is anything
 * from a well-formed head to noise shaped like one.
 */
function generateHead(rng: TestRandom, sloppy: number): string {
  const odd = (): boolean => rng.chance(sloppy);
  const eol = (): string => (odd() ? rng.pick(EOLS) : '\r\n');
  const sp = (): string => (odd() ? rng.pick(['', '  ', '\t', ' \r']) : ' ');
  const version = odd() ? rng.pick(VERSIONS) : rng.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0']);
  let s = rng.chance(0.05) ? '\r\n' : '';
  s += (odd() ? rng.pick(METHODS) : rng.pick(['GET', 'POST', 'HEAD', 'PUT'])) + sp() + (odd() ? rng.pick(TARGETS) : rng.pick(['/', '/a/b?c=d', '*'])) + sp() + version + eol();
  if (!odd()) s += `Host: h${eol()}`;
  const count = rng.int(7);
  for (let i = 0; i < count; i++) {
    const name = odd() ? rng.pick(NAMES) : rng.chance(0.6) ? `X-${rng.int(1000)}` : rng.pick(['Content-Length', 'Transfer-Encoding', 'Connection', 'Expect', 'Cookie']);
    const values = VALUES[name] ?? OTHER_VALUES;
    const value = odd() ? rng.pick(values) : rng.pick(values.slice(0, 3));
    s += name + (odd() ? rng.pick([' :', '', '::']) : ':') + (odd() ? rng.pick(['', '  ', '\t']) : ' ') + value + eol();
    if (odd()) s += rng.pick([' folded', '\tobs-fold']) + eol();
  }
  if (!odd()) s += eol();
  if (rng.chance(0.3)) s += rng.pick(['hello', '0\r\n\r\n', 'GET / HTTP/1.1\r\n\r\n', '\r\n']);
  return s;
}

const SLOPPINESS = [0, 0, 0.02, 0.1, 0.3];

const HEAD_SPECIAL = [0x0d, 0x0a, 0x20, 0x3a, 0x09, 0x00, 0x2c, 0x80, 0x7f, 0x22];
const HEAD_ALPHABET = enc('GET /HTP1.0\r\n:, \tHostContent-Length5chunked');

/** A quarter of the inputs stop early: bodies and heads cut off mid-way. */
function maybeCut(rng: TestRandom, input: Uint8Array): Uint8Array {
  return rng.chance(0.25) ? input.subarray(0, rng.int(input.length + 1)) : input;
}

function headInput(rng: TestRandom): Uint8Array {
  return maybeCut(rng, headInputWhole(rng));
}

function headInputWhole(rng: TestRandom): Uint8Array {
  switch (rng.int(7)) {
    case 0: return rng.bytes(rng.int(200));
    case 1: return rng.bytes(rng.int(300), HEAD_ALPHABET);
    case 2: { // one slice repeated: long lines, many headers, limits
      const base = enc(generateHead(rng, rng.pick(SLOPPINESS)));
      const from = rng.int(base.length);
      const piece = base.subarray(from, from + rng.range(1, 40));
      const reps = rng.range(2, 400);
      return Buffer.concat([base.subarray(0, from), ...Array.from({ length: reps }, () => piece), base.subarray(from)]);
    }
    case 3: { // splice two heads
      const a = enc(generateHead(rng, rng.pick(SLOPPINESS)));
      const b = enc(generateHead(rng, rng.pick(SLOPPINESS)));
      return Buffer.concat([a.subarray(0, rng.int(a.length + 1)), b.subarray(rng.int(b.length + 1))]);
    }
    case 4: return enc(generateHead(rng, rng.pick(SLOPPINESS)));
    default: {
      let input = enc(generateHead(rng, rng.pick(SLOPPINESS)));
      for (let i = rng.range(1, 3); i > 0; i--) input = rng.mutate(input, HEAD_SPECIAL);
      return input;
    }
  }
}

function headLimits(rng: TestRandom): HeadLimits {
  if (!rng.chance(0.25)) return DEFAULT_HEAD_LIMITS;
  return { maxRequestLineBytes: rng.range(1, 60), maxHeaderSectionBytes: rng.range(1, 200), maxHeaderCount: rng.range(1, 6) };
}

/** What must be equal between two parses of the same head: kind, code, and every field of a complete head (offsets are relative to start). */
function headSummary(r: HeadParseResult): string {
  if (r.kind === 'partial') return 'partial';
  if (r.kind === 'error') return `error:${r.code}`;
  return `complete:${JSON.stringify(r.head)}`;
}

function checkHeadResult(r: HeadParseResult, length: number, where: string): void {
  check(r.kind === 'complete' || r.kind === 'partial' || r.kind === 'error', () => `${where}: kind ${String((r as { kind: unknown }).kind)}`);
  if (r.kind === 'error') {
    check(isCaptureErrorCode(r.code) && CAPTURE_ERROR_STATUS[r.code] !== undefined, () => `${where}: unknown code ${r.code}`);
    check(typeof r.detail === 'string' && r.detail.length > 0, () => `${where}: error without detail`);
  }
  if (r.kind !== 'complete') return;
  const h = r.head;
  check(h.headLength > 0 && h.headLength <= length, () => `${where}: headLength ${h.headLength} of ${length}`);
  check(h.methodStart < h.methodEnd && h.methodEnd < h.targetStart && h.targetStart < h.targetEnd && h.targetEnd < h.headLength,
    () => `${where}: request-line offsets ${JSON.stringify(h)}`);
  check(h.headerOffsets.length === h.headerCount * 4, () => `${where}: ${h.headerOffsets.length} offsets for ${h.headerCount} headers`);
  for (let i = 0; i < h.headerOffsets.length; i += 4) {
    const [ns, ne, vs, ve] = h.headerOffsets.slice(i, i + 4) as [number, number, number, number];
    check(h.targetEnd < ns && ns < ne && ne < vs + 1 && vs <= ve && ve < h.headLength, () => `${where}: header offsets ${ns},${ne},${vs},${ve}`);
  }
  const f = h.framing;
  check(f.kind === 'none' || f.kind === 'chunked' || (f.kind === 'length' && Number.isSafeInteger(f.length) && f.length >= 0),
    () => `${where}: framing ${JSON.stringify(f)}`);
}

function cutsFor(rng: TestRandom, length: number): number[] {
  if (length <= FUZZ_ALL_SPLITS_MAX_BYTES) return Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
  return rng.cuts(length, FUZZ_RANDOM_CUTS);
}

function fuzzHead(rng: TestRandom, input: Uint8Array): string {
  const limits = headLimits(rng);
  const whole = parseRequestHead(input, 0, input.length, limits);
  checkHeadResult(whole, input.length, 'whole');
  const want = headSummary(whole);
  check(headSummary(parseRequestHead(input, 0, input.length, limits)) === want, () => 'a second parse differs');
  // Any prefix: still partial, or already the same answer (RFC 9112 framing is decided by bytes seen so far).
  for (const cut of cutsFor(rng, input.length)) {
    const got = parseRequestHead(input, 0, cut, limits);
    checkHeadResult(got, cut, `prefix ${cut}`);
    const summary = headSummary(got);
    check(summary === 'partial' || summary === want, () => `prefix ${cut}: ${summary}, whole: ${want}`);
  }
  // Inside a larger buffer, with other bytes before and after: the same answer.
  const before = rng.bytes(rng.int(20));
  const after = rng.bytes(rng.int(20));
  const framed = Buffer.concat([before, input, after]);
  const inside = parseRequestHead(framed, before.length, before.length + input.length, limits);
  check(headSummary(inside) === want, () => `at offset ${before.length}: ${headSummary(inside)}, alone: ${want}`);
  return whole.kind;
}

// ───────────────────────────── chunked bodies ─────────────────────────────

const SIZES = ['0', '1', 'a', 'F', '10', '0010', 'ffffffff', '100000000', '1fffffffffffff', '20000000000000', 'ffffffffffffffff', '1'.repeat(30), '-1', '+1', ' 1', '0x1', 'g', ''];
const EXTS = ['', ';a', ';a=b', ';a="q;\\"x"', ' ; a = b', ';', ';=b', ';a="unterminated', ';a=b c', '\t;x'];
const TRAILERS = ['', 'X-T: v\r\n', 'Bad Name: v\r\n', 'X:\r\n', ': v\r\n', 'X-Long: ' + 'l'.repeat(200) + '\r\n', 'X: a\x00b\r\n'];

/** A chunked body from a loose grammar (RFC 9112 §7.1); `sloppy` as for generateHead. */
function generateChunked(rng: TestRandom, sloppy: number): string {
  const odd = (): boolean => rng.chance(sloppy);
  const eol = (): string => (odd() ? rng.pick(EOLS) : rng.pick(['\r\n', '\r\n', '\n']));
  let s = '';
  for (let i = rng.int(5); i > 0; i--) {
    const n = rng.int(40);
    const size = odd() ? rng.pick(SIZES) : (rng.chance(0.2) ? '00' : '') + n.toString(16);
    s += size + (odd() ? rng.pick(EXTS) : rng.pick(EXTS.slice(0, 4))) + eol() + 'd'.repeat(n) + eol();
  }
  s += (odd() ? rng.pick(SIZES) : '0') + (odd() ? rng.pick(EXTS) : '') + eol();
  for (let i = rng.int(3); i > 0; i--) s += odd() ? rng.pick(TRAILERS) : rng.pick(TRAILERS.slice(0, 2));
  if (!odd()) s += eol();
  if (rng.chance(0.4)) s += 'GET /next HTTP/1.1\r\n\r\n';
  return s;
}

const CHUNK_SPECIAL = [0x0d, 0x0a, 0x20, 0x3b, 0x3d, 0x22, 0x5c, 0x3a, 0x30, 0x09, 0x66];

function chunkedInput(rng: TestRandom): Uint8Array {
  return maybeCut(rng, chunkedInputWhole(rng));
}

function chunkedInputWhole(rng: TestRandom): Uint8Array {
  switch (rng.int(6)) {
    case 0: return rng.bytes(rng.int(120));
    case 1: return rng.bytes(rng.int(200), enc('0123456789abcdefABCDEF\r\n;="\\ \tX:'));
    case 2: case 3: return enc(generateChunked(rng, rng.pick(SLOPPINESS)));
    default: {
      let input = enc(generateChunked(rng, rng.pick(SLOPPINESS)));
      for (let i = rng.range(1, 3); i > 0; i--) input = rng.mutate(input, CHUNK_SPECIAL);
      return input;
    }
  }
}

interface DecodeOutcome {
  kind: string;
  consumed: number;
  data: string;
  trailers: string;
  code: string | null;
}

/** Feed `input` in pieces ending at `cuts` (copied into fresh buffers when `copy`), checking the feed contract on the way. */
function decodePieces(input: Uint8Array, cuts: readonly number[], copy: boolean, limits: ChunkedLimits): DecodeOutcome {
  const r = feedPieces(input, cuts, copy, limits, check);
  // Where exactly an error is noticed may depend on the split; that it is an error, and which, may not.
  if (r.kind === 'error') return { kind: 'error', consumed: -1, data: '', trailers: '', code: r.code };
  return { kind: r.kind, consumed: r.consumed, data: r.data, trailers: r.kind === 'complete' ? JSON.stringify(r.trailers) : '', code: null };
}

function fuzzChunked(rng: TestRandom, input: Uint8Array): string {
  const limits: ChunkedLimits = rng.chance(0.2) ? { maxTrailerBytes: rng.int(60), maxTrailerCount: rng.int(4) } : DEFAULT_CHUNKED_LIMITS;
  const whole = decodePieces(input, [], false, limits);
  const want = JSON.stringify(whole);
  const bytewise = input.length <= FUZZ_ALL_SPLITS_MAX_BYTES;
  const splits: number[][] = [rng.cuts(input.length, rng.range(1, 8)), rng.cuts(input.length, 2)];
  if (bytewise) splits.push(Array.from({ length: Math.max(0, input.length - 1) }, (_, i) => i + 1));
  for (const cuts of splits) {
    for (const copy of [false, true]) {
      const got = JSON.stringify(decodePieces(input, cuts, copy, limits));
      check(got === want, () => `split at ${cuts.length > 12 ? 'every byte' : cuts.join(',')}${copy ? ' (copied)' : ''}: ${got}, whole: ${want}`);
    }
  }
  return whole.kind;
}

// ───────────────────────────── driver ─────────────────────────────

/** The input of a case, from its seed alone. */
export function fuzzInput(target: FuzzTarget, caseSeed: number): { rng: TestRandom; input: Uint8Array } {
  const rng = new TestRandom(caseSeed);
  return { rng, input: target === 'request-parser' ? headInput(rng) : chunkedInput(rng) };
}

/** Check the properties on `input` (randomness for limits and splits from `rng`). */
export function fuzzInputCase(target: FuzzTarget, input: Uint8Array, rng: TestRandom, caseSeed = 0): FuzzCaseResult {
  try {
    const outcome = target === 'request-parser' ? fuzzHead(rng, input) : fuzzChunked(rng, input);
    return { failure: null, outcome };
  } catch (err) {
    const kind = err instanceof PropertyError ? 'property' : 'crash';
    const message = err instanceof Error ? (kind === 'crash' ? err.stack ?? err.message : err.message) : String(err);
    return { failure: { target, caseSeed, input, kind, message: `${message}\n  input: ${show(input)}` }, outcome: 'failed' };
  }
}

/** Run one case from its seed. */
export function fuzzCase(target: FuzzTarget, caseSeed: number): FuzzCaseResult {
  const { rng, input } = fuzzInput(target, caseSeed);
  return fuzzInputCase(target, input, rng, caseSeed);
}

/** Seed of case `index` of a run: every case is replayable alone. */
export function caseSeedOf(runSeed: number, index: number): number {
  return (Math.imul(runSeed >>> 0, 0x9e3779b1) + index) >>> 0;
}
