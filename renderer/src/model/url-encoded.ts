/**
 * Request targets and application/x-www-form-urlencoded data, decoded for
 * display. Input is bytes (or a latin1 string, one char per byte, as the
 * capture gives the target); output is text for people. Never throws:
 * malformed percent escapes are kept as they are, invalid UTF-8 becomes U+FFFD.
 */

export type NameValue = [name: string, value: string];

export interface SplitTarget {
  /** The path as sent (for absolute-form targets, without scheme and authority). */
  path: string;
  /** The path percent-decoded as UTF-8, for reading. */
  decodedPath: string;
  /** The query as sent, without "?", or null when there is none. */
  query: string | null;
  /** The query decoded as form data (WHATWG URL §5.1), in order, duplicates kept. */
  params: NameValue[];
}

const PLUS = 0x2b;
const PERCENT = 0x25;
const AMPERSAND = 0x26;
const EQUALS = 0x3d;

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * WHATWG URL §1.3 percent-decode: "%XY" with two hex digits becomes that byte;
 * anything else (a lone "%", "%G1") stays as it is. With `plusIsSpace`, "+"
 * becomes a space first (form data, §5.1 step 3.3).
 */
export function percentDecodeBytes(bytes: Uint8Array, from = 0, to = bytes.length, plusIsSpace = false): Uint8Array {
  const out = new Uint8Array(to - from);
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c === PERCENT && i + 2 < to) {
      const hi = hexValue(bytes[i + 1]!);
      const lo = hexValue(bytes[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[n++] = plusIsSpace && c === PLUS ? 0x20 : c;
  }
  return out.subarray(0, n);
}

/** Percent-decode a latin1 string and read the bytes as UTF-8. */
export function percentDecodeText(s: string, plusIsSpace = false): string {
  return utf8.decode(percentDecodeBytes(latin1Bytes(s), 0, s.length, plusIsSpace));
}

/**
 * WHATWG URL §5.1 application/x-www-form-urlencoded parsing: split on "&",
 * skip empty pieces, split each at its first "=", "+" is a space, then
 * percent-decode and UTF-8 decode name and value.
 */
export function parseUrlEncoded(bytes: Uint8Array): NameValue[] {
  const out: NameValue[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(AMPERSAND, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      let eq = bytes.indexOf(EQUALS, start);
      if (eq < 0 || eq > end) eq = end;
      const name = utf8.decode(percentDecodeBytes(bytes, start, eq, true));
      const value = eq < end ? utf8.decode(percentDecodeBytes(bytes, eq + 1, end, true)) : '';
      out.push([name, value]);
    }
    start = end + 1;
  }
  return out;
}

/** parseUrlEncoded for a latin1 string (a query as captured). */
export function parseUrlEncodedText(s: string): NameValue[] {
  return parseUrlEncoded(latin1Bytes(s));
}

/**
 * Split a request target (RFC 9112 §3.2) into path and query. Origin-form
 * ("/p?q") and absolute-form ("http://h/p?q") are split; authority-form
 * ("host:443") and asterisk-form ("*") have no query and are kept whole.
 * A "#" is not part of a request target, but if a client sent one it stays
 * in the query or path where it was: the view shows what arrived.
 */
export function splitTarget(target: string): SplitTarget {
  let rest = target;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(target);
  if (scheme) {
    rest = target.slice(scheme[0].length);
    // An empty path in absolute-form is "/" (RFC 9112 §3.2.2).
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? null : rest.slice(q + 1);
  return {
    path,
    decodedPath: percentDecodeText(path),
    query,
    params: query === null ? [] : parseUrlEncodedText(query),
  };
}
