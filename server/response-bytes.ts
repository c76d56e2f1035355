/**
 * Turns a validated CannedResponse into the exact bytes sent, once per change
 * (and once per second for the Date field), never per request. The engine
 * picks one of the prepared variants by what the request needs.
 */
import {
  STATUS_REASONS, cannedBodyByteLength, reasonFor, statusForbidsBody, type CannedResponse,
} from '../common/canned-response';

export interface ResponseVariants {
  /** HTTP/1.1 client, connection stays open. */
  keepAlive: Buffer;
  /** HTTP/1.0 client that asked for keep-alive (RFC 9112 §9.3: the answer must say so). */
  keepAlive10: Buffer;
  /** Connection closes after this answer. */
  close: Buffer;
  /** The same three for HEAD: identical head, no body (RFC 9110 §9.3.2). */
  headKeepAlive: Buffer;
  headKeepAlive10: Buffer;
  headClose: Buffer;
  /** The canned response itself asks to close (it has `Connection: close`). */
  alwaysClose: boolean;
  status: number;
}

/** RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function bodyBytes(r: CannedResponse): Buffer {
  return r.bodyEncoding === 'base64' ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
}

/**
 * Build every variant. `r` must already have passed validateCannedResponse.
 * A Date field is added unless the response sets its own (RFC 9110 §6.6.1:
 * an origin server with a clock sends Date).
 */
export function buildResponseVariants(r: CannedResponse, nowMs: number): ResponseVariants {
  const body = bodyBytes(r);
  const expected = cannedBodyByteLength(r.body, r.bodyEncoding);
  if (expected !== body.length) throw new Error('canned response body does not decode as validated');
  const reason = r.reason || reasonFor(r.status);
  let head = `HTTP/1.1 ${r.status} ${reason}\r\n`;
  let hasDate = false;
  let alwaysClose = false;
  for (const [name, value] of r.headers) {
    const lower = name.toLowerCase();
    if (lower === 'date') hasDate = true;
    if (lower === 'connection' && /(^|,)\s*close\s*(,|$)/i.test(value)) alwaysClose = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasDate) head += `Date: ${httpDate(nowMs)}\r\n`;
  // RFC 9110 §8.6: no Content-Length in a 204; a 304 could carry one but has no content here.
  if (r.status !== 204) head += `Content-Length: ${statusForbidsBody(r.status) ? 0 : body.length}\r\n`;
  const headBytes = (connection: string | null): Buffer =>
    Buffer.from(`${head}${connection === null || alwaysClose ? '' : `Connection: ${connection}\r\n`}\r\n`, 'latin1');
  const closeHead = headBytes('close');
  const kaHead = headBytes(null);
  const ka10Head = headBytes('keep-alive');
  const withBody = (h: Buffer): Buffer => (body.length > 0 ? Buffer.concat([h, body]) : h);
  return {
    keepAlive: withBody(alwaysClose ? closeHead : kaHead),
    keepAlive10: withBody(alwaysClose ? closeHead : ka10Head),
    close: withBody(closeHead),
    headKeepAlive: alwaysClose ? closeHead : kaHead,
    headKeepAlive10: alwaysClose ? closeHead : ka10Head,
    headClose: closeHead,
    alwaysClose,
    status: r.status,
  };
}

/** RFC 9110 §15.2.1: the interim answer to `Expect: 100-continue`. */
export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

/**
 * The answer to a malformed or refused request: the status, a plain-text
 * line saying what was wrong (left out for HEAD), and `Connection: close`
 * (the engine closes after it, RFC 9112 §9.6).
 */
export function buildErrorResponse(status: number, detail: string, nowMs: number, headOnly = false): Buffer {
  const reason = STATUS_REASONS[status] ?? 'Error';
  const body = Buffer.from(`${status} ${reason}: ${detail}\n`, 'utf8');
  const head = Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nDate: ${httpDate(nowMs)}\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
  // The answer to HEAD has the same head and no content (RFC 9110 §9.3.2).
  return headOnly ? head : Buffer.concat([head, body]);
}
