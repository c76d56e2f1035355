/**
 * The contract between the engine and the pure HTTP/1.1 parsers
 * (request-parser.ts, chunked-decoder.ts). Parsers never throw: every input
 * ends as complete, partial or an error with a code.
 */
import type { CaptureErrorCode, HeaderPair } from '../../common/capture-record';

/** Default limits; each is a setting of the engine. */
export const DEFAULT_MAX_REQUEST_LINE_BYTES = 8 * 1024;
export const DEFAULT_MAX_HEADER_SECTION_BYTES = 64 * 1024;
export const DEFAULT_MAX_HEADER_COUNT = 100;

export interface HeadLimits {
  /** Request line, excluding its line ending; longer gets 414. */
  maxRequestLineBytes: number;
  /** Whole head including the request line and the empty line; larger gets 431. */
  maxHeaderSectionBytes: number;
  /** Header fields; more gets 431. */
  maxHeaderCount: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = Object.freeze({
  maxRequestLineBytes: DEFAULT_MAX_REQUEST_LINE_BYTES,
  maxHeaderSectionBytes: DEFAULT_MAX_HEADER_SECTION_BYTES,
  maxHeaderCount: DEFAULT_MAX_HEADER_COUNT,
});

export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' };

export interface ParseError {
  /** What to answer is CAPTURE_ERROR_STATUS[code] (400, 414, 417, 431, 501, 505). */
  code: CaptureErrorCode;
  /** What exactly was wrong, for people: "Content-Length \"12a\" is not plain digits". */
  detail: string;
}

/**
 * A parsed request head. All offsets are relative to `start` as passed to
 * parseRequestHead (so they are offsets into the request's own raw bytes).
 */
export interface RequestHead extends HeadSketch {
  framing: BodyFraming;
  /** Whether the connection may carry another request after this one (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** `Expect: 100-continue` was sent (RFC 9110 §10.1.1). */
  expectContinue: boolean;
}

/**
 * What was understood of a head that was refused, so the record of a
 * malformed request still shows its method, target and the header fields
 * that did parse. Offsets are relative to `start`, like RequestHead's.
 */
export interface HeadSketch {
  methodStart: number;
  methodEnd: number;
  targetStart: number;
  targetEnd: number;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1 (and HTTP/1.x, x > 1, RFC 9110 §2.5). */
  version: 10 | 11;
  /** Method is HEAD: the answer has no content (RFC 9110 §9.3.2), even a refusal. */
  isHead: boolean;
  /** Header fields that parsed (for a refused head: those before the problem). */
  headerCount: number;
  /** 4 entries per header: nameStart, nameEnd, valueStart, valueEnd; value without leading/trailing OWS. */
  headerOffsets: number[];
  /** Bytes from `start` through the empty line that ends the head (inclusive), counting skipped leading empty lines; 0 when the head was not complete. */
  headLength: number;
}

export type HeadParseResult =
  | { kind: 'complete'; head: RequestHead }
  | { kind: 'partial' }
  | ({ kind: 'error'; sketch?: HeadSketch } & ParseError);

/** Result of feeding bytes to a ChunkedDecoder. */
export type ChunkedFeedResult =
  /** All `consumed` bytes belong to the body; more are needed. */
  | { kind: 'partial'; consumed: number }
  /** The body, including the last chunk and trailer section, ends after `consumed` bytes. */
  | { kind: 'complete'; consumed: number; trailers: HeaderPair[] }
  | ({ kind: 'error'; consumed: number } & ParseError);
