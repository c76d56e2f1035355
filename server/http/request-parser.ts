/**
 * The HTTP/1.1 request head parser (RFC 9112 §2–§3, §5, §6, §9.3; RFC 9110 §5,
 * §10.1.1), plus the field-line scanner the chunked decoder reuses for trailers.
 *
 * Built for the hot path (100k+ heads/s): one pass over the bytes with lookup
 * tables, header names compared byte-wise, Content-Length, Transfer-Encoding,
 * Connection and Expect interpreted in place; strings are made only for error
 * details.
 */
import type { CaptureErrorCode } from '../../common/capture-record';
import { isTokenChar } from '../../common/canned-response';
import { latin1 } from '../../common/record-batch';
import type { BodyFraming, HeadLimits, HeadParseResult, HeadSketch, ParseError } from './parse-types';

/** Longest excerpt of the request quoted in an error detail, in bytes. */
const MAX_DETAIL_EXCERPT_BYTES = 40;

const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COMMA = 0x2c;
const COLON = 0x3a;
const DIGIT_0 = 0x30;

/** RFC 9110 §5.6.2 tchar, as a table: 1 for a token byte. */
export const TOKEN_BYTE = new Uint8Array(256);
/** RFC 9112 §3.2 request-target bytes we accept: anything but CTLs and SP (obs-text too, for UTF-8 targets). */
const TARGET_BYTE = new Uint8Array(256);
/** RFC 9110 §5.5 field-value bytes: VCHAR, SP, HTAB, obs-text. */
export const FIELD_VALUE_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  TOKEN_BYTE[c] = isTokenChar(c) ? 1 : 0;
  TARGET_BYTE[c] = c > SP && c !== 0x7f ? 1 : 0;
  FIELD_VALUE_BYTE[c] = c === HTAB || (c >= SP && c !== 0x7f) ? 1 : 0;
}

/** RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive; 0 marks where a DIGIT goes. */
const VERSION_TEMPLATE = [0x48, 0x54, 0x54, 0x50, 0x2f, 0, 0x2e, 0];
const VERSION_LENGTH = VERSION_TEMPLATE.length;

/** Transfer codings that may precede the final chunked (RFC 9112 §7.2, RFC 9110 §8.4.1). */
const KNOWN_TRANSFER_CODINGS = ['gzip', 'x-gzip', 'deflate', 'compress', 'x-compress'];

const PARTIAL: HeadParseResult = Object.freeze({ kind: 'partial' });
const FRAMING_NONE: BodyFraming = Object.freeze({ kind: 'none' });
const FRAMING_CHUNKED: BodyFraming = Object.freeze({ kind: 'chunked' });

type ErrorResult = { kind: 'error' } & ParseError;

function fail(code: CaptureErrorCode, detail: string): ErrorResult {
  return { kind: 'error', code, detail };
}

/** A short quoted excerpt of buf[from..to) for an error detail. */
function quoteBytes(buf: Uint8Array, from: number, to: number): string {
  const cut = to - from > MAX_DETAIL_EXCERPT_BYTES;
  return JSON.stringify(latin1(buf, from, cut ? from + MAX_DETAIL_EXCERPT_BYTES : to) + (cut ? '…' : ''));
}

/** One byte for an error detail: the character when printable, else its hex code. */
export function describeByte(c: number): string {
  return c > SP && c < 0x7f ? `"${String.fromCharCode(c)}"` : `0x${c.toString(16).padStart(2, '0')}`;
}

/** Whether buf[from..to) equals `lower` ignoring ASCII case (`lower` holds lowercase letters, digits and "-"). */
function equalsIgnoreCase(buf: Uint8Array, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  // `| 0x20` lowercases letters; no other byte that can reach here maps onto a letter, digit or "-".
  for (let i = 0; i < lower.length; i++) if ((buf[from + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** Whether buf[from..to) is one or more token bytes. */
function isTokenRange(buf: Uint8Array, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (TOKEN_BYTE[buf[i]!] === 0) return false;
  return true;
}

// Bounds of the list element found by the last listElement call (module scratch: no object per element).
let elementStart = 0;
let elementEnd = 0;

/**
 * RFC 9110 §5.6.1: finds the comma-list element that starts at `pos` in a field
 * value ending at `end`, sets elementStart/elementEnd to it without OWS, and
 * returns where the next element starts, or -1 after the last one.
 */
function listElement(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && (buf[pos] === SP || buf[pos] === HTAB)) pos++;
  let e = pos;
  while (e < end && buf[e] !== COMMA) e++;
  const next = e < end ? e + 1 : -1;
  while (e > pos && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
  elementStart = pos;
  elementEnd = e;
  return next;
}

/** findInList bits: the list has the element; the list has a non-empty element other than it. */
const LIST_HAS = 1;
const LIST_HAS_OTHER = 2;

/**
 * Looks for `lower` (case-insensitive) among the elements of the comma list in
 * buf[from..to). Returns LIST_HAS and/or LIST_HAS_OTHER; with LIST_HAS_OTHER,
 * elementStart/elementEnd are left on the first other element.
 */
function findInList(buf: Uint8Array, from: number, to: number, lower: string): number {
  let found = 0;
  let otherStart = -1;
  let otherEnd = -1;
  for (let p = from; p !== -1;) {
    p = listElement(buf, p, to);
    if (equalsIgnoreCase(buf, elementStart, elementEnd, lower)) found |= LIST_HAS;
    else if (elementStart !== elementEnd && otherStart < 0) {
      otherStart = elementStart;
      otherEnd = elementEnd;
    }
  }
  if (otherStart < 0) return found;
  elementStart = otherStart;
  elementEnd = otherEnd;
  return found | LIST_HAS_OTHER;
}

/** scanFieldLines outcomes. */
export const FIELDS_DONE = 0;
export const FIELDS_NEED_MORE = 1;
export const FIELDS_ERROR = 2;
export type FieldsOutcome = typeof FIELDS_DONE | typeof FIELDS_NEED_MORE | typeof FIELDS_ERROR;

/** Where scanFieldLines stopped and why; reused across calls by its owner. */
export interface FieldScan {
  /** DONE: just after the empty line. NEED_MORE: start of the incomplete line (resume there). ERROR: the offending byte. */
  pos: number;
  code: CaptureErrorCode;
  detail: string;
}

export function newFieldScan(): FieldScan {
  return { pos: 0, code: 'bad-header-name', detail: '' };
}

function fieldError(out: FieldScan, pos: number, code: CaptureErrorCode, detail: string): FieldsOutcome {
  out.pos = pos;
  out.code = code;
  out.detail = detail;
  return FIELDS_ERROR;
}

/**
 * Scans field lines (RFC 9112 §5) from `pos`, which must be the start of a
 * line, through the empty line that ends the section, reading no byte at or
 * after `end`. For each complete field line it pushes nameStart, nameEnd,
 * valueStart, valueEnd (relative to `base`, value without surrounding OWS) to
 * `offsets`; a field line that would make more than `maxCount` fields is an
 * error. Stateless: an incomplete last line is rescanned from its start by the
 * next call. Never throws.
 */
export function scanFieldLines(
  buf: Uint8Array, base: number, pos: number, end: number, maxCount: number, offsets: number[], out: FieldScan,
): FieldsOutcome {
  let lineStart = pos;
  for (;;) {
    lineStart = pos;
    if (pos >= end) break;
    let c = buf[pos]!;
    // The empty line that ends the section; RFC 9112 §2.2 lets a bare LF end a line.
    if (c === LF) {
      out.pos = pos + 1;
      return FIELDS_DONE;
    }
    if (c === CR) {
      if (pos + 1 >= end) break;
      if (buf[pos + 1] !== LF) return fieldError(out, pos, 'bare-cr', 'CR not followed by LF in the header section');
      out.pos = pos + 2;
      return FIELDS_DONE;
    }
    // RFC 9112 §5.2 / §2.2: obs-fold (and whitespace right after the start line) is rejected, not unfolded.
    if (c === SP || c === HTAB) return fieldError(out, pos, 'obs-fold', 'header line starts with whitespace (obs-fold)');
    if (offsets.length >= maxCount * 4) return fieldError(out, pos, 'too-many-headers', `more than ${maxCount} header fields`);

    // RFC 9110 §5.1: field-name = token
    const nameStart = pos;
    while (pos < end && TOKEN_BYTE[buf[pos]!] === 1) pos++;
    if (pos >= end) break;
    const nameEnd = pos;
    c = buf[pos]!;
    if (c !== COLON) {
      if (c === SP || c === HTAB) {
        let p = pos + 1;
        while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
        if (p >= end) break;
        // RFC 9112 §5.1: no whitespace is allowed between the field name and colon.
        if (buf[p] === COLON) {
          return fieldError(out, pos, 'whitespace-before-colon', `header name ${quoteBytes(buf, nameStart, nameEnd)} is followed by whitespace before ":"`);
        }
        return fieldError(out, pos, 'bad-header-name', `header name ${quoteBytes(buf, nameStart, p + 1)} has a space`);
      }
      if (c === CR || c === LF) {
        if (c === CR && pos + 1 >= end) break;
        if (c === CR && buf[pos + 1] !== LF) return fieldError(out, pos, 'bare-cr', 'CR not followed by LF in a header name');
        return fieldError(out, pos, 'bad-header-name', `header line ${quoteBytes(buf, nameStart, nameEnd)} has no colon`);
      }
      return fieldError(out, pos, 'bad-header-name', `header name ${quoteBytes(buf, nameStart, pos + 1)} has ${describeByte(c)}, not a token character`);
    }
    if (nameEnd === nameStart) return fieldError(out, pos, 'bad-header-name', 'header name is empty');
    pos++;

    // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
    while (pos < end && (buf[pos] === SP || buf[pos] === HTAB)) pos++;
    const valueStart = pos;
    while (pos < end && FIELD_VALUE_BYTE[buf[pos]!] === 1) pos++;
    if (pos >= end) break;
    c = buf[pos]!;
    let next: number;
    if (c === LF) next = pos + 1;
    else if (c === CR) {
      if (pos + 1 >= end) break;
      // RFC 9112 §2.2: a bare CR is rejected, never read as a line end.
      if (buf[pos + 1] !== LF) return fieldError(out, pos, 'bare-cr', `value of ${quoteBytes(buf, nameStart, nameEnd)} has a CR not followed by LF`);
      next = pos + 2;
    } else {
      // RFC 9110 §5.5: NUL and other CTLs are not allowed in field values.
      return fieldError(out, pos, 'bad-header-value', `value of ${quoteBytes(buf, nameStart, nameEnd)} has control character ${describeByte(c)}`);
    }
    let valueEnd = pos;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    offsets.push(nameStart - base, nameEnd - base, valueStart - base, valueEnd - base);
    pos = next;
  }
  // Every `break` above: the line at lineStart is incomplete; the next call rescans it.
  out.pos = lineStart;
  return FIELDS_NEED_MORE;
}

const HEAD_SCAN = newFieldScan();

/** Partial, unless the bytes already reach past the header-section limit. */
function needMore(end: number, scanEnd: number, limits: HeadLimits): HeadParseResult {
  // RFC 6585 §5: a header section larger than the server will process gets 431.
  if (end > scanEnd) return fail('header-section-too-large', `request head is larger than ${limits.maxHeaderSectionBytes} bytes`);
  return PARTIAL;
}

/**
 * Parses the head of one HTTP/1.1 request from buf[start..end).
 *
 * Stateless: call it again with the same `start` and a larger `end` as bytes
 * arrive. Reads no byte at or after `end` and keeps no reference to `buf`.
 * Returns `partial` while the head is incomplete and nothing seen so far is
 * wrong; an error as soon as the bytes so far cannot start a valid head (never
 * one that more bytes could fix; a prefix of any input gives `partial` or the
 * same result as the whole); `complete` once the empty line that ends the head
 * is seen, with offsets relative to `start`. Bytes after the head (a body or a
 * pipelined request) are not looked at. Limits: request line
 * (`request-line-too-long`, 414), whole head (`header-section-too-large`, 431),
 * field count (`too-many-headers`, 431). Never throws.
 */
export function parseRequestHead(buf: Uint8Array, start: number, end: number, limits: HeadLimits): HeadParseResult {
  if (end > buf.length) end = buf.length;
  if (!(start >= 0 && end > start)) return PARTIAL;
  const scanEnd = end - start > limits.maxHeaderSectionBytes ? start + limits.maxHeaderSectionBytes : end;
  let pos = start;

  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
  for (;;) {
    if (pos >= scanEnd) return needMore(end, scanEnd, limits);
    const c = buf[pos]!;
    if (c === LF) {
      pos++;
      continue;
    }
    if (c !== CR) break;
    if (pos + 1 >= scanEnd) return needMore(end, scanEnd, limits);
    if (buf[pos + 1] !== LF) return fail('bare-cr', 'CR not followed by LF before the request line');
    pos += 2;
  }

  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, one SP each.
  const methodStart = pos;
  const lineLimit = pos + limits.maxRequestLineBytes;
  let methodEnd = -1;
  let targetStart = -1;
  let targetEnd = -1;
  let versionStart = -1;
  let lineEnd: number;
  for (;;) {
    if (pos >= scanEnd) return needMore(end, scanEnd, limits);
    const c = buf[pos]!;
    if (c === LF) {
      lineEnd = pos++;
      break;
    }
    if (c === CR) {
      if (pos + 1 >= scanEnd) return needMore(end, scanEnd, limits);
      if (buf[pos + 1] !== LF) return fail('bare-cr', 'CR not followed by LF in the request line');
      lineEnd = pos;
      pos += 2;
      break;
    }
    // RFC 9112 §3: a request line longer than the server will parse gets 414.
    if (pos >= lineLimit) return fail('request-line-too-long', `request line is longer than ${limits.maxRequestLineBytes} bytes`);
    if (targetStart < 0) {
      // RFC 9110 §9.1: method = token
      if (TOKEN_BYTE[c] === 1) {
        pos++;
        continue;
      }
      if (c !== SP) return fail('bad-method', `method ${quoteBytes(buf, methodStart, pos + 1)} has ${describeByte(c)}, not a token character`);
      if (pos === methodStart) return fail('bad-request-line', 'request line starts with a space');
      methodEnd = pos;
      targetStart = ++pos;
    } else if (versionStart < 0) {
      // RFC 9112 §3.2: the target has no CTLs or spaces.
      if (TARGET_BYTE[c] === 1) {
        pos++;
        continue;
      }
      if (c !== SP) return fail('bad-target', `request target has ${describeByte(c)}`);
      if (pos === targetStart) return fail('bad-request-line', 'request line has two spaces after the method');
      targetEnd = pos;
      versionStart = ++pos;
    } else {
      if (c === SP) return fail('bad-request-line', 'request line has a space after the version');
      const k = pos - versionStart;
      const expected = VERSION_TEMPLATE[k];
      const ok = expected === undefined ? false : expected === 0 ? c >= DIGIT_0 && c <= DIGIT_0 + 9 : c === expected;
      if (!ok) return fail('bad-version', `version ${quoteBytes(buf, versionStart, pos + 1)} is not HTTP/DIGIT.DIGIT`);
      pos++;
    }
  }
  if (targetStart < 0) return fail('bad-request-line', `request line ${quoteBytes(buf, methodStart, lineEnd)} has no target`);
  if (versionStart < 0 || versionStart === lineEnd) return fail('bad-request-line', `request line ${quoteBytes(buf, methodStart, lineEnd)} has no HTTP version`);
  if (lineEnd - versionStart < VERSION_LENGTH) return fail('bad-version', `version ${quoteBytes(buf, versionStart, lineEnd)} is not HTTP/DIGIT.DIGIT`);
  const major = buf[versionStart + 5]! - DIGIT_0;
  const minor = buf[versionStart + 7]! - DIGIT_0;
  // RFC 9110 §2.5 / §15.6.6: only major version 1 is spoken here; 505 for others.
  if (major !== 1) return fail('unsupported-version', `HTTP/${major}.${minor} is not supported`);

  const offsets: number[] = [];
  const outcome = scanFieldLines(buf, start, pos, scanEnd, limits.maxHeaderCount, offsets, HEAD_SCAN);
  if (outcome === FIELDS_NEED_MORE) return needMore(end, scanEnd, limits);
  const version = minor === 0 ? 10 : 11;
  // RFC 9110 §9.1: methods are case-sensitive, so only "HEAD" is HEAD.
  const isHead = methodEnd - methodStart === 4 && buf[methodStart] === 0x48 && buf[methodStart + 1] === 0x45
    && buf[methodStart + 2] === 0x41 && buf[methodStart + 3] === 0x44;
  if (outcome === FIELDS_ERROR) {
    const sketch = makeSketch(start, methodStart, methodEnd, targetStart, targetEnd, version, isHead, offsets, 0);
    return { ...fail(HEAD_SCAN.code, HEAD_SCAN.detail), sketch };
  }
  const result = completeHead(buf, start, HEAD_SCAN.pos, methodStart, methodEnd, targetStart, targetEnd, version, isHead, offsets);
  // Refused once the head was whole (Host, framing, Expect): the record still shows what was sent.
  if (result.kind !== 'error') return result;
  return { ...result, sketch: makeSketch(start, methodStart, methodEnd, targetStart, targetEnd, version, isHead, offsets, HEAD_SCAN.pos - start) };
}

/** What a refused head still shows (offsets relative to start); made only on the error path. */
function makeSketch(
  start: number, methodStart: number, methodEnd: number, targetStart: number, targetEnd: number,
  version: 10 | 11, isHead: boolean, offsets: number[], headLength: number,
): HeadSketch {
  return {
    methodStart: methodStart - start, methodEnd: methodEnd - start, targetStart: targetStart - start, targetEnd: targetEnd - start,
    version, isHead, headerCount: offsets.length / 4, headerOffsets: offsets, headLength,
  };
}

/** The checks that need the whole header section (RFC 9112 §3.2, §6, §9.3; RFC 9110 §10.1.1), then the result. */
function completeHead(
  buf: Uint8Array, start: number, headEnd: number, methodStart: number, methodEnd: number,
  targetStart: number, targetEnd: number, version: 10 | 11, isHead: boolean, offsets: number[],
): HeadParseResult {
  let hosts = 0;
  let firstTe = -1;
  let firstCl = -1;
  let close = false;
  let keepAliveToken = false;
  let expectContinue = false;
  let badExpectStart = -1;
  let badExpectEnd = -1;
  for (let h = 0; h < offsets.length; h += 4) {
    const ns = start + offsets[h]!;
    const ne = start + offsets[h + 1]!;
    switch (ne - ns) {
      case 4:
        if (equalsIgnoreCase(buf, ns, ne, 'host')) hosts++;
        break;
      case 6:
        if (equalsIgnoreCase(buf, ns, ne, 'expect')) {
          const found = findInList(buf, start + offsets[h + 2]!, start + offsets[h + 3]!, '100-continue');
          if (found & LIST_HAS) expectContinue = true;
          if (found & LIST_HAS_OTHER && badExpectStart < 0) {
            badExpectStart = elementStart;
            badExpectEnd = elementEnd;
          }
        }
        break;
      case 10:
        if (equalsIgnoreCase(buf, ns, ne, 'connection')) {
          const vs = start + offsets[h + 2]!;
          const ve = start + offsets[h + 3]!;
          if (findInList(buf, vs, ve, 'close') & LIST_HAS) close = true;
          if (findInList(buf, vs, ve, 'keep-alive') & LIST_HAS) keepAliveToken = true;
        }
        break;
      case 14:
        if (firstCl < 0 && equalsIgnoreCase(buf, ns, ne, 'content-length')) firstCl = h;
        break;
      case 17:
        if (firstTe < 0 && equalsIgnoreCase(buf, ns, ne, 'transfer-encoding')) firstTe = h;
        break;
    }
  }

  // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host, or with more than one.
  if (hosts > 1) return fail('duplicate-host', `Host appears ${hosts} times`);
  if (hosts === 0 && version === 11) return fail('missing-host', 'HTTP/1.1 request has no Host header');

  let framing: BodyFraming = FRAMING_NONE;
  if (firstTe >= 0) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing, even with a Content-Length.
    if (version === 10) return fail('te-in-http10', 'Transfer-Encoding in an HTTP/1.0 request');
    // RFC 9112 §6.1: both present is a smuggling attempt; reject rather than pick one.
    if (firstCl >= 0) return fail('te-and-cl', 'both Transfer-Encoding and Content-Length are present');
    const teError = checkTransferEncoding(buf, start, offsets, firstTe);
    if (teError) return teError;
    framing = FRAMING_CHUNKED;
  } else if (firstCl >= 0) {
    const length = contentLength(buf, start, offsets, firstCl);
    if (typeof length !== 'number') return length;
    framing = { kind: 'length', length };
  }

  // RFC 9110 §10.1.1: an expectation other than 100-continue gets 417; 100-continue in HTTP/1.0 is ignored.
  if (badExpectStart >= 0) return fail('expectation-failed', `Expect ${quoteBytes(buf, badExpectStart, badExpectEnd)} is not 100-continue`);

  return {
    kind: 'complete',
    head: {
      headLength: headEnd - start,
      methodStart: methodStart - start,
      methodEnd: methodEnd - start,
      targetStart: targetStart - start,
      targetEnd: targetEnd - start,
      version,
      headerCount: offsets.length / 4,
      headerOffsets: offsets,
      framing,
      // RFC 9112 §9.3: close wins; 1.1 persists by default; 1.0 only with keep-alive.
      keepAlive: !close && (version === 11 || keepAliveToken),
      expectContinue: expectContinue && version === 11,
      isHead,
    },
  };
}

/**
 * RFC 9112 §6.3 item 5: Content-Length fields, combined as a list, must all be
 * 1*DIGIT and the same value. Returns the length or the error.
 */
function contentLength(buf: Uint8Array, start: number, offsets: number[], first: number): number | ErrorResult {
  let value = -1;
  for (let h = first; h < offsets.length; h += 4) {
    if (!equalsIgnoreCase(buf, start + offsets[h]!, start + offsets[h + 1]!, 'content-length')) continue;
    const vs = start + offsets[h + 2]!;
    const ve = start + offsets[h + 3]!;
    for (let p = vs; p !== -1;) {
      p = listElement(buf, p, ve);
      if (elementStart === elementEnd) return fail('bad-content-length', `Content-Length ${quoteBytes(buf, vs, ve)} has an empty value`);
      let n = 0;
      for (let i = elementStart; i < elementEnd; i++) {
        const d = buf[i]! - DIGIT_0;
        if (d < 0 || d > 9) return fail('bad-content-length', `Content-Length ${quoteBytes(buf, vs, ve)} is not plain digits`);
        n = n * 10 + d;
      }
      if (n > Number.MAX_SAFE_INTEGER) return fail('bad-content-length', `Content-Length ${quoteBytes(buf, vs, ve)} is too large`);
      if (value >= 0 && n !== value) return fail('conflicting-content-length', `Content-Length values ${value} and ${n} differ`);
      value = n;
    }
  }
  return value;
}

/**
 * RFC 9112 §6.1 / §7: Transfer-Encoding fields, combined as a list, must end
 * with chunked, name chunked once, and use only codings we know before it.
 */
function checkTransferEncoding(buf: Uint8Array, start: number, offsets: number[], first: number): ErrorResult | null {
  let elements = 0;
  let chunked = 0;
  let lastStart = 0;
  let lastEnd = 0;
  let invalidStart = -1;
  let invalidEnd = -1;
  let unknownStart = -1;
  let unknownEnd = -1;
  for (let h = first; h < offsets.length; h += 4) {
    if (!equalsIgnoreCase(buf, start + offsets[h]!, start + offsets[h + 1]!, 'transfer-encoding')) continue;
    const ve = start + offsets[h + 3]!;
    for (let p = start + offsets[h + 2]!; p !== -1;) {
      p = listElement(buf, p, ve);
      // RFC 9110 §5.6.1: empty list elements are ignored.
      if (elementStart === elementEnd) continue;
      elements++;
      lastStart = elementStart;
      lastEnd = elementEnd;
      if (equalsIgnoreCase(buf, elementStart, elementEnd, 'chunked')) chunked++;
      else if (!isTokenRange(buf, elementStart, elementEnd)) {
        if (invalidStart < 0) {
          invalidStart = elementStart;
          invalidEnd = elementEnd;
        }
      } else if (unknownStart < 0 && !KNOWN_TRANSFER_CODINGS.some((k) => equalsIgnoreCase(buf, elementStart, elementEnd, k))) {
        unknownStart = elementStart;
        unknownEnd = elementEnd;
      }
    }
  }
  if (elements === 0) return fail('bad-transfer-encoding', 'Transfer-Encoding is empty');
  // RFC 9112 §6.3 item 4: if chunked is not final the length cannot be determined: 400.
  if (!equalsIgnoreCase(buf, lastStart, lastEnd, 'chunked')) {
    return fail('bad-transfer-encoding', `final transfer coding ${quoteBytes(buf, lastStart, lastEnd)} is not chunked`);
  }
  // RFC 9112 §6.1: chunked MUST NOT be applied more than once.
  if (chunked > 1) return fail('bad-transfer-encoding', 'chunked appears more than once in Transfer-Encoding');
  if (invalidStart >= 0) return fail('bad-transfer-encoding', `transfer coding ${quoteBytes(buf, invalidStart, invalidEnd)} is not a plain coding name`);
  // RFC 9112 §6.1: a transfer coding the server does not understand SHOULD get 501.
  if (unknownStart >= 0) return fail('unsupported-transfer-coding', `transfer coding ${quoteBytes(buf, unknownStart, unknownEnd)} is not supported`);
  return null;
}
