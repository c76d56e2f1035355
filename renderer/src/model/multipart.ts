/**
 * multipart/form-data bodies (RFC 7578) split into parts for display, using
 * the multipart framing of RFC 2046 §5.1.1:
 *   - a delimiter is CRLF "--" boundary; the first may start the body (no CRLF
 *     before it), and anything before it is a preamble to ignore;
 *   - after a delimiter comes optional transport padding (spaces, tabs) and
 *     CRLF, then the part's header fields, an empty line, and its content;
 *   - the close delimiter is "--" boundary "--"; what follows is an epilogue.
 * Part bodies are views into the input (no copy). A body cut short by the
 * capture limit yields the parts found so far with `complete: false`.
 * Never throws.
 */
import type { HeaderPair } from '../../../common/capture-record';
import { latin1 } from '../../../common/record-batch';
import { headerValue, parseParameters } from './media-type';

/** RFC 2046 §5.1.1: boundaries are 1 to 70 characters. */
export const MAX_BOUNDARY_LENGTH = 70;
/** Parts shown at most; a flood of tiny parts would only slow the view. */
export const MAX_PARTS = 1000;

export interface MultipartPart {
  headers: HeaderPair[];
  /** From Content-Disposition (RFC 7578 §4.2), or null. */
  name: string | null;
  filename: string | null;
  contentType: string | null;
  /** The part's content: a view into the body. */
  body: Uint8Array;
}

export type MultipartResult =
  | { ok: true; parts: MultipartPart[]; complete: boolean }
  | { ok: false; message: string };

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SP = 0x20;
const TAB = 0x09;
const CRLF_CRLF = new Uint8Array([CR, LF, CR, LF]);

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** First index >= from where `needle` occurs in `hay`, or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  if (needle.length === 0) return from <= hay.length ? from : -1;
  const first = needle[0]!;
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** Header fields of a part: "Name: value" lines up to the empty line (LF alone is accepted too). */
function parsePartHeaders(body: Uint8Array, from: number, to: number): HeaderPair[] {
  const headers: HeaderPair[] = [];
  let i = from;
  while (i < to) {
    let eol = body.indexOf(LF, i);
    if (eol < 0 || eol > to) eol = to;
    const lineEnd = eol > i && body[eol - 1] === CR ? eol - 1 : eol;
    const line = latin1(body, i, lineEnd);
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    i = eol + 1;
  }
  return headers;
}

/**
 * Where a delimiter starts at or after `from`, or -1. A match counts only when
 * what follows may end a boundary line (padding then CR/LF, "--", or the end
 * of the captured bytes): RFC 2046 §5.1.1 makes content that merely contains
 * "--boundary" possible, if unwise.
 */
function findDelimiter(body: Uint8Array, delimiter: Uint8Array, from: number): number {
  for (let at = indexOfBytes(body, delimiter, from); at >= 0; at = indexOfBytes(body, delimiter, at + 1)) {
    let j = at + delimiter.length;
    if (body[j] === DASH && (j + 1 >= body.length || body[j + 1] === DASH)) return at;
    while (body[j] === SP || body[j] === TAB) j++;
    if (j >= body.length || body[j] === CR || body[j] === LF) return at;
  }
  return -1;
}

/** Split a multipart body at `boundary` (the Content-Type parameter, already unquoted). */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartResult {
  if (boundary.length === 0 || boundary.length > MAX_BOUNDARY_LENGTH) {
    return { ok: false, message: `the boundary must be 1 to ${MAX_BOUNDARY_LENGTH} characters (RFC 2046 §5.1.1), got ${boundary.length}` };
  }
  const dashBoundary = asciiBytes(`--${boundary}`);
  const delimiter = asciiBytes(`\r\n--${boundary}`);
  // The first boundary either starts the body or ends a preamble (so it follows a CRLF).
  let at: number;
  if (findDelimiter(body, dashBoundary, 0) === 0) at = 0;
  else {
    const d = findDelimiter(body, delimiter, 0);
    if (d < 0) return { ok: false, message: `the boundary "${boundary}" does not occur in the body` };
    at = d + 2;
  }
  const parts: MultipartPart[] = [];
  for (;;) {
    let i = at + dashBoundary.length;
    // The close delimiter (a lone '-' means the capture ended inside it).
    if (body[i] === DASH) return { ok: true, parts, complete: body[i + 1] === DASH };
    while (body[i] === SP || body[i] === TAB) i++; // transport padding
    // findDelimiter guarantees CRLF, LF or the end of the captured bytes here.
    i += body[i] === CR ? 2 : 1;
    if (i >= body.length) return { ok: true, parts, complete: false };
    // The header section ends at the first empty line; a part may have no header fields.
    let headEnd: number;
    let contentStart: number;
    if (body[i] === CR && body[i + 1] === LF) {
      headEnd = i;
      contentStart = i + 2;
    } else {
      const blank = indexOfBytes(body, CRLF_CRLF, i);
      if (blank < 0) return { ok: true, parts, complete: false };
      headEnd = blank;
      contentStart = blank + 4;
    }
    const headers = parsePartHeaders(body, i, headEnd);
    const next = findDelimiter(body, delimiter, contentStart);
    const disposition = headerValue(headers, 'content-disposition');
    const params = disposition === null ? new Map<string, string>() : parseParameters(disposition, 0);
    parts.push({
      headers,
      name: params.get('name') ?? null,
      filename: params.get('filename') ?? null,
      contentType: headerValue(headers, 'content-type'),
      body: body.subarray(contentStart, next < 0 ? body.length : next),
    });
    // No further delimiter: the capture ended inside this part. MAX_PARTS: the rest is not shown.
    if (next < 0 || parts.length >= MAX_PARTS) return { ok: true, parts, complete: false };
    at = next + 2;
  }
}
