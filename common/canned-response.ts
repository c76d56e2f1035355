/**
 * The canned response: what the engine answers to every well-formed request.
 * It is edited live by the user, so every field is validated here (shared by
 * the UI and the engine, which validates again on receipt).
 */
import type { HeaderPair } from './capture-record';

export interface CannedResponse {
  status: number;
  /** Reason phrase; empty means the standard phrase for the status. */
  reason: string;
  /** Extra header fields in the order they are sent. Content-Length is computed. */
  headers: HeaderPair[];
  /** Body text, or base64 of the body bytes when bodyEncoding is 'base64'. */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

export const DEFAULT_CANNED_RESPONSE: CannedResponse = Object.freeze({
  status: 200,
  reason: '',
  headers: [['Content-Type', 'text/plain; charset=utf-8']] as HeaderPair[],
  body: 'ok\n',
  bodyEncoding: 'utf8',
}) as CannedResponse;

/** Lowest and highest final status a canned response may carry (RFC 9110 §15: 1xx are interim). */
export const MIN_CANNED_STATUS = 200;
export const MAX_CANNED_STATUS = 599;
/** Largest canned body; the response is built once and kept in memory. */
export const MAX_CANNED_BODY_BYTES = 16 * 1024 * 1024;
export const MAX_CANNED_HEADERS = 100;
export const MAX_CANNED_HEADER_BYTES = 8 * 1024;

/** Header names the engine owns: they describe framing and must match what is actually sent. */
const ENGINE_OWNED_HEADERS: Record<string, string> = {
  'content-length': 'Content-Length is computed from the body',
  'transfer-encoding': 'Transfer-Encoding is not supported in canned responses; the body is sent with Content-Length',
};

/** RFC 9110 §15 reason phrases for the statuses people use. */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found',
  303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request',
  401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone',
  411: 'Length Required', 412: 'Precondition Failed', 413: 'Content Too Large', 414: 'URI Too Long',
  415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed', 418: "I'm a teapot",
  421: 'Misdirected Request', 422: 'Unprocessable Content', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
  507: 'Insufficient Storage', 511: 'Network Authentication Required',
};

export function reasonFor(status: number): string {
  return STATUS_REASONS[status] ?? '';
}

/** Statuses whose responses never carry content (RFC 9110 §15.3.5, §15.4.5). */
export function statusForbidsBody(status: number): boolean {
  return status === 204 || status === 304;
}

export interface FieldError {
  /** Where the problem is: "status", "reason", "headers[2].name", "body". */
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** RFC 9110 §5.6.2 tchar. */
export function isTokenChar(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true; // DIGIT
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true; // ALPHA
  // "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
  return '!#$%&\'*+-.^_`|~'.includes(String.fromCharCode(c));
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** A field value may hold VCHAR, SP, HTAB and obs-text (RFC 9110 §5.5), and no CR, LF or NUL. */
function fieldValueProblem(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return 'must not contain CR or LF';
    if (c === 0x00) return 'must not contain NUL';
    if (c > 0xff) return 'must be Latin-1 text (use percent- or RFC 8187 encoding for other characters)';
    if (c < 0x20 && c !== 0x09) return `must not contain control character 0x${c.toString(16).padStart(2, '0')}`;
    if (c === 0x7f) return 'must not contain DEL';
  }
  if (/^[ \t]|[ \t]$/.test(value)) return 'must not start or end with whitespace';
  return null;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Number of bytes `body` stands for, or null when it is not valid for its encoding. */
export function cannedBodyByteLength(body: string, encoding: 'utf8' | 'base64'): number | null {
  if (encoding === 'base64') {
    const compact = body.replace(/\s+/g, '');
    if (!BASE64_RE.test(compact)) return null;
    const pad = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
    return (compact.length / 4) * 3 - pad;
  }
  // UTF-8 length as encoders produce it: a surrogate pair is 4 bytes; a lone
  // surrogate (either half) becomes U+FFFD, 3 bytes (WHATWG Encoding §4.1).
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < body.length) {
      const next = body.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { n += 4; i++; } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Check an untrusted value (from a UI edit, a file, a message) and return a
 * clean CannedResponse or every problem found, each naming its field.
 * Never throws.
 */
export function validateCannedResponse(input: unknown): Validated<CannedResponse> {
  const errors: FieldError[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', message: 'response must be an object' }] };
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['status', 'reason', 'headers', 'body', 'bodyEncoding'].includes(key)) {
      errors.push({ field: key, message: `unknown field "${key}"` });
    }
  }

  const status = o.status ?? DEFAULT_CANNED_RESPONSE.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < MIN_CANNED_STATUS || status > MAX_CANNED_STATUS) {
    errors.push({ field: 'status', message: `status must be a whole number from ${MIN_CANNED_STATUS} to ${MAX_CANNED_STATUS}` });
  }

  const reason = o.reason ?? '';
  if (typeof reason !== 'string') {
    errors.push({ field: 'reason', message: 'reason must be text' });
  } else {
    // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    const problem = reason === '' ? null : fieldValueProblem(reason);
    if (problem) errors.push({ field: 'reason', message: `reason ${problem}` });
  }

  const headersIn = o.headers ?? [];
  const headers: HeaderPair[] = [];
  if (!Array.isArray(headersIn)) {
    errors.push({ field: 'headers', message: 'headers must be a list of [name, value] pairs' });
  } else {
    if (headersIn.length > MAX_CANNED_HEADERS) {
      errors.push({ field: 'headers', message: `at most ${MAX_CANNED_HEADERS} headers` });
    }
    headersIn.forEach((pair: unknown, i: number) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        errors.push({ field: `headers[${i}]`, message: 'each header must be a [name, value] pair of text' });
        return;
      }
      const [name, value] = pair as [string, string];
      if (!isToken(name)) {
        errors.push({ field: `headers[${i}].name`, message: name === '' ? 'header name is empty' : `header name "${name}" has characters not allowed in a token` });
      } else if (ENGINE_OWNED_HEADERS[name.toLowerCase()]) {
        errors.push({ field: `headers[${i}].name`, message: ENGINE_OWNED_HEADERS[name.toLowerCase()]! });
      }
      const problem = fieldValueProblem(value);
      if (problem) errors.push({ field: `headers[${i}].value`, message: `value of "${name}" ${problem}` });
      if (name.length + value.length > MAX_CANNED_HEADER_BYTES) {
        errors.push({ field: `headers[${i}]`, message: `header is longer than ${MAX_CANNED_HEADER_BYTES} bytes` });
      }
      headers.push([name, value]);
    });
  }

  const bodyEncoding = o.bodyEncoding ?? 'utf8';
  if (bodyEncoding !== 'utf8' && bodyEncoding !== 'base64') {
    errors.push({ field: 'bodyEncoding', message: 'bodyEncoding must be "utf8" or "base64"' });
  }
  const body = o.body ?? '';
  if (typeof body !== 'string') {
    errors.push({ field: 'body', message: 'body must be text' });
  } else if (bodyEncoding === 'utf8' || bodyEncoding === 'base64') {
    const length = cannedBodyByteLength(body, bodyEncoding);
    if (length === null) errors.push({ field: 'body', message: 'body is not valid base64' });
    else if (length > MAX_CANNED_BODY_BYTES) errors.push({ field: 'body', message: `body is larger than ${MAX_CANNED_BODY_BYTES} bytes` });
    else if (length > 0 && typeof status === 'number' && statusForbidsBody(status)) {
      errors.push({ field: 'body', message: `a ${status} response cannot have a body` });
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: { status: status as number, reason: reason as string, headers, body: body as string, bodyEncoding: bodyEncoding as 'utf8' | 'base64' },
  };
}

/** One line per problem, for a terminal or a log. */
export function formatFieldErrors(errors: FieldError[]): string {
  return errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
}
