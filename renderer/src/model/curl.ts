/**
 * "Copy as cURL": a POSIX shell command that sends the captured request again,
 * to the Sockeye listener that captured it (the URL is the listener's address
 * plus the target; the Host the client sent is kept as a header when it
 * differs, so the request is the same while it reaches the same server).
 *
 * Strings from the capture are latin1 (one char per byte), so every byte is
 * quoted exactly: plain printable text in single quotes, anything else in
 * bash's $'…' with \xHH escapes. A body with NUL bytes (which no shell string
 * can hold) is piped in from printf with octal escapes instead.
 * Headers curl computes itself (Content-Length and Transfer-Encoding from
 * --data-binary, Host from the URL when it is the same) are left out; the rest
 * keep their order and case. What cannot be reproduced is said in "# " lines
 * on top.
 */
import type { CaptureRecord } from '../../../common/capture-record';
import { latin1 } from '../../../common/record-batch';
import { formatHostPort } from './format';
import { headerValue } from './media-type';
import { reachableHost } from './listen-draft';

/** Header names curl writes itself from the data (lowercase); Host is decided per request. */
const COMPUTED_HEADERS = new Set(['content-length', 'transfer-encoding']);
/** Characters curl's URL globbing would interpret: switch it off when present. */
const GLOB_CHARS = /[[\]{}]/;
/** Dot segments curl would squash (RFC 3986 §5.2.4) unless told not to. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$|\?)/;

function isPlainPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}

/**
 * Quote a byte string (chars 0–255) as one shell word. Plain printable text
 * uses single quotes ('It'\''s'); anything else uses $'…' (bash, zsh, ksh).
 * NUL cannot be represented and is dropped: callers avoid passing it.
 */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (isPlainPrintable(s)) {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
  }
  let out = "$'";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    if (c === 0) continue;
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += `\\x${hex2(c)}`;
  }
  return `${out}'`;
}

/** Bytes as a printf format in single quotes: octal escapes (POSIX printf), "%" doubled. */
export function printfQuote(bytes: Uint8Array): string {
  let out = "'";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x27) out += "'\\''";
    else if (c === 0x25) out += '%%';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return `${out}'`;
}

export interface CurlCommand {
  /** The whole text to copy: note lines, then the command. */
  text: string;
  /** Why the command is not an exact replay, if it is not. */
  notes: string[];
}

interface Destination {
  url: string;
  /** The Host curl would send by itself for `url`. */
  defaultHost: string;
  /** --proxy for absolute-form targets: curl sends the absolute URL to a proxy, as the client did. */
  proxy: string | null;
  /** --request-target for asterisk-form (OPTIONS *) and authority-form (CONNECT). */
  requestTarget: string | null;
}

function destinationOf(r: CaptureRecord): Destination {
  const listener = formatHostPort(reachableHost(r.listener.address), r.listener.port);
  const absolute = /^https?:\/\/([^/?#]*)/i.exec(r.target);
  if (absolute) return { url: r.target, defaultHost: absolute[1]!, proxy: `http://${listener}`, requestTarget: null };
  if (r.target.startsWith('/')) return { url: `http://${listener}${r.target}`, defaultHost: listener, proxy: null, requestTarget: null };
  return { url: `http://${listener}/`, defaultHost: listener, proxy: null, requestTarget: r.target };
}

/** Build the command for a captured request. Never throws. */
export function buildCurl(r: CaptureRecord): CurlCommand {
  const notes: string[] = [];
  if (r.error !== null) notes.push(`This request was malformed (${r.error}); the command sends a well-formed approximation.`);
  const method = r.method || 'GET';
  const body = r.body;
  const hasBody = r.bodyLength > 0;
  if (r.bodyTruncated) notes.push(`The body was truncated by the capture: ${body.length} of ${r.bodyLength} bytes are sent.`);
  if (r.trailers.length > 0) notes.push('The request had trailer fields; curl cannot send them.');
  if (/chunked/i.test(headerValue(r.headers, 'transfer-encoding') ?? '')) {
    notes.push('The body was sent chunked; curl sends it with Content-Length.');
  }

  // One option (with its value) per line keeps long commands readable.
  const options: string[] = [];
  const { url, defaultHost, proxy, requestTarget } = destinationOf(r);
  const hosts = r.headers.filter(([name]) => name.toLowerCase() === 'host');
  // The Host curl would send anyway is left out; any other (or several, or none at all) is said explicitly.
  const keepHost = !(hosts.length === 1 && hosts[0]![1].toLowerCase() === defaultHost.toLowerCase());
  if (method === 'HEAD' && !hasBody) options.push('--head');
  else if (!(method === 'GET' && !hasBody) && !(method === 'POST' && hasBody)) options.push(`-X ${shellQuote(method)}`);
  if (r.version === 'HTTP/1.0') options.push('--http1.0');
  if (GLOB_CHARS.test(url)) options.push('--globoff');
  if (DOT_SEGMENT.test(url.replace(/^https?:\/\/[^/]*/i, ''))) options.push('--path-as-is');
  if (proxy !== null) options.push(`--proxy ${shellQuote(proxy)}`);
  if (requestTarget !== null) options.push(`--request-target ${shellQuote(requestTarget)}`);
  // "Host:" with nothing after it tells curl not to send its own.
  if (hosts.length === 0) options.push(`-H ${shellQuote('Host:')}`);
  for (const [name, value] of r.headers) {
    const lower = name.toLowerCase();
    if (COMPUTED_HEADERS.has(lower) || (lower === 'host' && !keepHost)) continue;
    // curl drops a header given as "Name:"; "Name;" sends it with an empty value.
    options.push(`-H ${shellQuote(value === '' ? `${name};` : `${name}: ${value}`)}`);
  }
  let pipeFrom: string | null = null;
  if (hasBody) {
    if (body.includes(0)) {
      pipeFrom = `printf ${printfQuote(body)}`;
      options.push('--data-binary @-');
    } else {
      options.push(`--data-binary ${shellQuote(latin1(body, 0, body.length))}`);
    }
  }
  const command = [`curl ${shellQuote(url)}`, ...options].join(' \\\n  ');
  const full = pipeFrom === null ? command : `${pipeFrom} |\n${command}`;
  const text = [...notes.map((n) => `# ${n}`), full].join('\n');
  return { text, notes };
}
