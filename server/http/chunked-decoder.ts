/**
 * Decoder for the chunked transfer coding of a request body (RFC 9112 §7.1).
 * Stateful across reads: feed it the body bytes as they arrive.
 */
import { latin1 } from '../../common/record-batch';
import type { CaptureErrorCode, HeaderPair } from '../../common/capture-record';
import type { ChunkedFeedResult } from './parse-types';
import {
  FIELDS_DONE, FIELDS_NEED_MORE, FIELD_VALUE_BYTE, TOKEN_BYTE, type FieldsOutcome, describeByte, newFieldScan, scanFieldLines,
} from './request-parser';

/** Longest chunk-size line (size and extensions, without its line ending); longer is `bad-chunk`. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** Default bound on the trailer section, from after the last-chunk line through its final empty line. */
export const DEFAULT_MAX_TRAILER_BYTES = 16 * 1024;
/** Default bound on the number of trailer fields. */
export const DEFAULT_MAX_TRAILER_COUNT = 64;

export interface ChunkedLimits {
  /** Trailer section bytes including its final empty line; more is `header-section-too-large` (431). */
  maxTrailerBytes: number;
  /** Trailer fields; more is `header-section-too-large` (431). */
  maxTrailerCount: number;
}

export const DEFAULT_CHUNKED_LIMITS: ChunkedLimits = Object.freeze({
  maxTrailerBytes: DEFAULT_MAX_TRAILER_BYTES,
  maxTrailerCount: DEFAULT_MAX_TRAILER_COUNT,
});

const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DQUOTE = 0x22;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

/** Hex digit values (RFC 5234 HEXDIG, either case), -1 for other bytes. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let d = 0; d < 10; d++) HEX_VALUE[0x30 + d] = d;
for (let d = 0; d < 6; d++) {
  HEX_VALUE[0x41 + d] = 10 + d;
  HEX_VALUE[0x61 + d] = 10 + d;
}

// Decoder states. The chunk-size line states follow RFC 9112 §7.1.1:
// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
const S_SIZE_START = 0; // first HEXDIG of chunk-size
const S_SIZE = 1; // more HEXDIG, ";", BWS or line end
const S_BWS_SEMI = 2; // BWS that must lead to ";"
const S_EXT_NAME_START = 3; // BWS then the first byte of chunk-ext-name
const S_EXT_NAME = 4; // chunk-ext-name, then "=", ";", BWS or line end
const S_BWS_SEMI_OR_EQ = 5; // BWS after a name: ";" or "=" must follow
const S_EXT_VALUE_START = 6; // BWS then token or quoted-string
const S_EXT_TOKEN = 7; // token value, then ";", BWS or line end
const S_EXT_QUOTED = 8; // inside a quoted-string
const S_EXT_QUOTED_PAIR = 9; // after a backslash in a quoted-string
const S_EXT_AFTER_QUOTED = 10; // after the closing DQUOTE: ";", BWS or line end
const S_SIZE_LF = 11; // after the CR of the chunk-size line
const S_DATA = 12; // chunk-data
const S_DATA_CR = 13; // the CRLF after chunk-data
const S_DATA_LF = 14;
const S_TRAILERS = 15; // trailer-section and the final CRLF (RFC 9112 §7.1.2)
const S_FINISHED = 16;

/**
 * Decodes one chunked request body.
 *
 * `feed(buf, start, end, onData)` reads buf[start..end) and calls `onData`
 * with the ranges of decoded data in `buf` (no copy: use them before feed
 * returns). It returns `partial` when every byte was body and more are needed,
 * `complete` when the body (last chunk and trailer section included) ends
 * after `consumed` bytes (bytes after that are the next request's and are not
 * read), or `error` with a code (its `consumed` counts the bytes of this feed
 * before the offending one; the connection is closed after an error, so it is
 * informational). After complete or error, feed returns the
 * same result with `consumed: 0`. Trailer bytes are copied (bounded by
 * maxTrailerBytes); nothing else is kept. Never throws (unless onData does).
 */
export class ChunkedDecoder {
  private readonly limits: ChunkedLimits;
  private state = S_SIZE_START;
  private size = 0;
  private remaining = 0;
  private lineBytes = 0;
  private decoded = 0;
  private final: ChunkedFeedResult | null = null;
  // Trailer section: copied here once it spans more than one feed, and rescanned from its first incomplete line.
  private trailerBuf: Uint8Array | null = null;
  private trailerLength = 0;
  private trailerResume = 0;
  private readonly trailerOffsets: number[] = [];
  private readonly trailerScan = newFieldScan();

  constructor(limits: ChunkedLimits = DEFAULT_CHUNKED_LIMITS) {
    this.limits = limits;
  }

  /** Body bytes decoded so far (chunk data only; may exceed 2^32). */
  get decodedLength(): number {
    return this.decoded;
  }

  feed(buf: Uint8Array, start: number, end: number, onData: (buf: Uint8Array, from: number, to: number) => void): ChunkedFeedResult {
    if (this.final) return { ...this.final, consumed: 0 };
    if (end > buf.length) end = buf.length;
    let pos = start;
    while (pos < end) {
      const state = this.state;
      if (state === S_DATA) {
        const n = Math.min(this.remaining, end - pos);
        onData(buf, pos, pos + n);
        pos += n;
        this.decoded += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = S_DATA_CR;
        continue;
      }
      if (state === S_TRAILERS) return this.feedTrailers(buf, start, pos, end);
      const c = buf[pos]!;
      if (state === S_DATA_CR || state === S_DATA_LF) {
        // RFC 9112 §7.1: chunk-data is followed by exactly CRLF (§2.2: or a bare LF).
        if (c === LF) this.startSizeLine();
        else if (c === CR && state === S_DATA_CR) this.state = S_DATA_LF;
        else return this.fail(pos - start, 'bad-chunk', `chunk data is followed by ${describeByte(c)} instead of CRLF`);
        pos++;
        continue;
      }
      if (state === S_SIZE_LF) {
        if (c !== LF) return this.fail(pos - start, 'bad-chunk', 'CR not followed by LF after the chunk size');
        this.endSizeLine();
        pos++;
        continue;
      }
      // The chunk-size line.
      if (c === CR || c === LF) {
        if (state !== S_SIZE && state !== S_EXT_NAME && state !== S_EXT_TOKEN && state !== S_EXT_AFTER_QUOTED) {
          return this.fail(pos - start, 'bad-chunk', state === S_SIZE_START ? 'chunk size is missing' : 'chunk extension is incomplete');
        }
        if (c === CR) this.state = S_SIZE_LF;
        else this.endSizeLine();
        pos++;
        continue;
      }
      if (++this.lineBytes > MAX_CHUNK_LINE_BYTES) {
        return this.fail(pos - start, 'bad-chunk', `chunk size line is longer than ${MAX_CHUNK_LINE_BYTES} bytes`);
      }
      const next = this.sizeLineByte(state, c);
      if (next < 0) {
        const detail = state === S_SIZE && HEX_VALUE[c]! >= 0 ? 'chunk size is larger than 2^53 - 1'
          : state <= S_SIZE ? `chunk size has ${describeByte(c)}` : `chunk extension has ${describeByte(c)}`;
        return this.fail(pos - start, 'bad-chunk', detail);
      }
      this.state = next;
      pos++;
    }
    return { kind: 'partial', consumed: end - start };
  }

  /** The state after byte `c` (not CR or LF) of the chunk-size line, or -1 when it is not allowed. */
  private sizeLineByte(state: number, c: number): number {
    const ws = c === SP || c === HTAB;
    switch (state) {
      case S_SIZE_START: {
        // RFC 9112 §7.1: chunk-size = 1*HEXDIG (no sign, no "0x", no leading space).
        const d = HEX_VALUE[c]!;
        if (d < 0) return -1;
        this.size = d;
        return S_SIZE;
      }
      case S_SIZE: {
        const d = HEX_VALUE[c]!;
        if (d >= 0) {
          this.size = this.size * 16 + d;
          // Larger sizes cannot be counted exactly in a double.
          return this.size > Number.MAX_SAFE_INTEGER ? -1 : S_SIZE;
        }
        return c === SEMICOLON ? S_EXT_NAME_START : ws ? S_BWS_SEMI : -1;
      }
      case S_BWS_SEMI:
        return c === SEMICOLON ? S_EXT_NAME_START : ws ? S_BWS_SEMI : -1;
      case S_EXT_NAME_START:
        return TOKEN_BYTE[c] === 1 ? S_EXT_NAME : ws ? S_EXT_NAME_START : -1;
      case S_EXT_NAME:
        if (TOKEN_BYTE[c] === 1) return S_EXT_NAME;
        return c === EQUALS ? S_EXT_VALUE_START : c === SEMICOLON ? S_EXT_NAME_START : ws ? S_BWS_SEMI_OR_EQ : -1;
      case S_BWS_SEMI_OR_EQ:
        return c === EQUALS ? S_EXT_VALUE_START : c === SEMICOLON ? S_EXT_NAME_START : ws ? S_BWS_SEMI_OR_EQ : -1;
      case S_EXT_VALUE_START:
        // RFC 9112 §7.1.1: chunk-ext-val = token / quoted-string
        if (TOKEN_BYTE[c] === 1) return S_EXT_TOKEN;
        return c === DQUOTE ? S_EXT_QUOTED : ws ? S_EXT_VALUE_START : -1;
      case S_EXT_TOKEN:
        if (TOKEN_BYTE[c] === 1) return S_EXT_TOKEN;
        return c === SEMICOLON ? S_EXT_NAME_START : ws ? S_BWS_SEMI : -1;
      case S_EXT_QUOTED:
        // RFC 9110 §5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
        if (c === DQUOTE) return S_EXT_AFTER_QUOTED;
        if (c === BACKSLASH) return S_EXT_QUOTED_PAIR;
        return FIELD_VALUE_BYTE[c] === 1 ? S_EXT_QUOTED : -1;
      case S_EXT_QUOTED_PAIR:
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        return FIELD_VALUE_BYTE[c] === 1 ? S_EXT_QUOTED : -1;
      case S_EXT_AFTER_QUOTED:
        return c === SEMICOLON ? S_EXT_NAME_START : ws ? S_BWS_SEMI : -1;
      default:
        return -1;
    }
  }

  private startSizeLine(): void {
    this.state = S_SIZE_START;
    this.lineBytes = 0;
  }

  private endSizeLine(): void {
    if (this.size === 0) {
      // RFC 9112 §7.1: last-chunk; the trailer section follows.
      this.state = S_TRAILERS;
    } else {
      this.remaining = this.size;
      this.state = S_DATA;
    }
  }

  /**
   * RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), then CRLF. Scanned
   * in place when it arrives whole (the usual bare CRLF), else copied and
   * rescanned from its first incomplete line on each feed.
   */
  private feedTrailers(buf: Uint8Array, start: number, pos: number, end: number): ChunkedFeedResult {
    const max = this.limits.maxTrailerBytes;
    const scan = this.trailerScan;
    let outcome: FieldsOutcome;
    let scanned: Uint8Array; // the bytes scanned; trailerOffsets are relative to `base` in them
    let base: number;
    let shift = 0; // a position in `scanned` plus shift is the same byte's position in `buf`
    let limitEnd: number; // the scan read bytes of this feed up to here
    if (this.trailerBuf === null) {
      scanned = buf;
      base = pos;
      limitEnd = Math.min(end, pos + max);
      outcome = scanFieldLines(buf, pos, pos, limitEnd, this.limits.maxTrailerCount, this.trailerOffsets, scan);
      if (outcome === FIELDS_NEED_MORE && end === limitEnd) {
        this.trailerBuf = new Uint8Array(max);
        this.trailerBuf.set(buf.subarray(pos, end));
        this.trailerLength = end - pos;
        this.trailerResume = scan.pos - pos;
        return { kind: 'partial', consumed: end - start };
      }
    } else {
      scanned = this.trailerBuf;
      base = 0;
      shift = pos - this.trailerLength;
      const n = Math.min(end - pos, max - this.trailerLength);
      this.trailerBuf.set(buf.subarray(pos, pos + n), this.trailerLength);
      this.trailerLength += n;
      limitEnd = pos + n;
      outcome = scanFieldLines(scanned, 0, this.trailerResume, this.trailerLength, this.limits.maxTrailerCount, this.trailerOffsets, scan);
      if (outcome === FIELDS_NEED_MORE && end === limitEnd) {
        this.trailerResume = scan.pos;
        return { kind: 'partial', consumed: end - start };
      }
    }
    const stop = scan.pos + shift;
    if (outcome === FIELDS_NEED_MORE) {
      return this.fail(limitEnd - start, 'header-section-too-large', `trailer section is larger than ${max} bytes`);
    }
    if (outcome !== FIELDS_DONE) {
      const code = scan.code === 'too-many-headers' ? 'header-section-too-large' : scan.code;
      return this.fail(Math.max(0, stop - start), code, `in the trailers: ${scan.detail}`);
    }
    const offsets = this.trailerOffsets;
    const trailers: HeaderPair[] = [];
    for (let h = 0; h < offsets.length; h += 4) {
      trailers.push([
        latin1(scanned, base + offsets[h]!, base + offsets[h + 1]!),
        latin1(scanned, base + offsets[h + 2]!, base + offsets[h + 3]!),
      ]);
    }
    this.state = S_FINISHED;
    this.trailerBuf = null;
    this.final = { kind: 'complete', consumed: 0, trailers };
    return { kind: 'complete', consumed: stop - start, trailers };
  }

  private fail(consumed: number, code: CaptureErrorCode, detail: string): ChunkedFeedResult {
    this.state = S_FINISHED;
    this.trailerBuf = null;
    this.final = { kind: 'error', consumed: 0, code, detail };
    return { ...this.final, consumed };
  }
}

