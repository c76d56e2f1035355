/**
 * Files from one folder, served on a handler listener (server/http-handler.ts).
 *
 * A general engine feature: the browser inspector serves the built renderer
 * with it, but nothing here knows about the inspector. Files are read with
 * synchronous fs calls on the engine's event loop, so the folder is expected
 * to hold a built web app (small files), not arbitrary large data; recently
 * served files are kept in a bounded in-memory cache checked against the
 * file's size and mtime on every request.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { HandlerRequest, HandlerResult, WholeResponse } from './http-handler';

/** Total bytes of file contents kept in memory per staticFiles instance. */
export const MAX_CACHE_BYTES = 32 * 1024 * 1024;
/** Files larger than this are read on every request and never cached. */
export const MAX_CACHED_FILE_BYTES = 4 * 1024 * 1024;
/** Served when the request-target is `/` or ends in `/`. */
export const DEFAULT_INDEX_FILE = 'index.html';

/** Cache-Control for content-hashed build output: it never changes under its name (RFC 9111 §5.2.2.1, RFC 8246). */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
/** Cache-Control for everything else: a cache must revalidate before each use (RFC 9111 §5.2.2.4). */
export const CACHE_REVALIDATE = 'no-cache';

/** Content-Type by lower-case file extension; anything else is application/octet-stream. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  txt: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  wasm: 'application/wasm',
};
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The methods a file answers (RFC 9110 §9.3.1, §9.3.2). */
const FILE_METHODS = 'GET, HEAD';

export interface StaticFilesOptions {
  /** The folder served. It need not exist yet (everything is then not found); it is resolved on every request. */
  root: string;
  /** Served for `/` and for any path ending in `/` that names a folder. Default DEFAULT_INDEX_FILE. */
  indexFile?: string;
  /** Cache-Control for a file, given its path relative to root with `/` separators. Default defaultCacheControl. */
  cacheControl?: (relativePath: string) => string;
  /**
   * false (default): every request gets an answer: 405 for methods other than
   * GET and HEAD, 404 for a path that names no file. true: those two cases
   * return null instead, so the caller can try something else (another
   * handler, an app's fallback page). Refused paths are always answered.
   */
  fallthrough?: boolean;
}

/**
 * A vite-style content-hashed name under `assets/`: `index-AbC123xy.js`,
 * `vendor-react-D4x_9a1Q.css`, `index-B-x3kLq9.js`. The hash is 8 to 16
 * URL-safe base64 characters between a `-` and the extension, and must hold a
 * digit or an upper-case letter, so a plain word like `assets/my-longname.js`
 * does not count (a hash that happens to be all lower case just gets no-cache).
 */
const HASHED_ASSET = /^assets\/(?:[^/]+\/)*[^/]*-([A-Za-z0-9_-]{8,16})\.[A-Za-z0-9]+(?:\.map)?$/;

/** CACHE_IMMUTABLE for content-hashed files under `assets/`, CACHE_REVALIDATE for everything else (index.html). */
export function defaultCacheControl(relativePath: string): string {
  const m = HASHED_ASSET.exec(relativePath);
  return m && /[0-9A-Z]/.test(m[1]!) ? CACHE_IMMUTABLE : CACHE_REVALIDATE;
}

/** The Content-Type for a file name by its extension (CONTENT_TYPES). */
export function contentTypeFor(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0 || fileName.lastIndexOf('/') > dot) return DEFAULT_CONTENT_TYPE;
  return CONTENT_TYPES[fileName.slice(dot + 1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}

interface CachedFile {
  size: number;
  mtimeNs: bigint;
  body: Buffer;
}

/** A file found under root: its real path, its path relative to root, and what fstat said. */
interface FoundFile {
  realPath: string;
  relativePath: string;
  size: number;
  mtimeNs: bigint;
  mtimeMs: number;
  body: Buffer;
}

/**
 * A handler for the files under `options.root`.
 *
 * Contract:
 * - Only GET and HEAD; other methods get 405 with `Allow: GET, HEAD` (RFC 9110
 *   §15.5.6), or null with `fallthrough`.
 * - The path (never the query) is percent-decoded segment by segment (RFC 3986
 *   §2.1); a malformed escape or a raw byte outside visible ASCII is 400.
 * - Refused with 404, and nothing outside root is ever opened: a decoded
 *   segment that is `.` or `..` or starts with `.` (dot files), or holds `/`,
 *   `\`, NUL or another control character; an empty segment (`a//b`); a path
 *   that is not origin-form; and a file whose real path (symlinks resolved) is
 *   outside root's real path.
 * - `/` and any `…/` naming a folder serve the index file inside it; a folder
 *   named without the trailing `/`, a missing file and anything that is not a
 *   regular file are 404 (null with `fallthrough`).
 * - 200 answers carry Content-Type (CONTENT_TYPES), `X-Content-Type-Options:
 *   nosniff`, a strong ETag made of size and mtime, Last-Modified and
 *   Cache-Control; If-None-Match and If-Modified-Since give 304 without a body
 *   (RFC 9110 §13.1.2, §13.1.3, §13.2.2).
 * - HEAD gets the same answer as GET, body included: the engine writes
 *   Content-Length from it and sends no content to HEAD (RFC 9110 §9.3.2,
 *   §8.6), so the length stays the GET's.
 * - Known "not there" errors (ENOENT, EACCES, ELOOP, …) are 404; anything
 *   unexpected throws, which the engine answers 500 and reports.
 */
export function staticFiles(options: StaticFilesOptions): (req: HandlerRequest) => HandlerResult | null {
  const indexFile = options.indexFile ?? DEFAULT_INDEX_FILE;
  const cacheControl = options.cacheControl ?? defaultCacheControl;
  const fallthrough = options.fallthrough ?? false;
  const cache = new FileCache();

  return (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return fallthrough ? null : whole(405, 'Method Not Allowed\n', [['Allow', FILE_METHODS]]);
    }
    const segments = decodePath(req.path);
    if (segments === 'malformed') return whole(400, 'Bad Request\n');
    if (segments === 'refused') return notFound();
    // A trailing slash names a folder: serve its index file (`/` is the root's).
    if (segments.length === 0 || segments[segments.length - 1] === '') {
      if (segments.length > 0) segments.pop();
      segments.push(indexFile);
    }
    const found = findFile(options.root, segments, cache);
    if (found === null) return fallthrough ? null : notFound();

    const etag = `"${found.size.toString(16)}-${found.mtimeNs.toString(16)}"`;
    const headers: [string, string][] = [
      ['ETag', etag],
      ['Last-Modified', new Date(found.mtimeMs).toUTCString()],
      ['Cache-Control', cacheControl(found.relativePath)],
    ];
    if (notModified(req, etag, found.mtimeMs)) {
      // RFC 9110 §15.4.5: a 304 carries the validators and Cache-Control of the 200 it stands for, and no content.
      return { kind: 'whole', status: 304, headers };
    }
    headers.unshift(['Content-Type', contentTypeFor(found.relativePath)], ['X-Content-Type-Options', 'nosniff']);
    return { kind: 'whole', status: 200, headers, body: found.body };
  };
}

function whole(status: number, text: string, extra: [string, string][] = []): WholeResponse {
  return {
    kind: 'whole',
    status,
    headers: [['Content-Type', 'text/plain; charset=utf-8'], ['X-Content-Type-Options', 'nosniff'], ['Cache-Control', 'no-store'], ...extra],
    body: text,
  };
}

const notFound = (): WholeResponse => whole(404, 'Not Found\n');

/** Visible ASCII only: RFC 3986 §2 (anything else must be percent-encoded). */
const RAW_PATH = /^[\x21-\x7e]*$/;
/** Decoded characters no file name we serve may hold: controls, `/` (was %2F), `\`. */
const REFUSED_IN_SEGMENT = /[\x00-\x1f\x7f/\\]/;

/**
 * The decoded segments of an origin-form path (`/a/b%20c/` → ['a', 'b c', '']),
 * 'malformed' for a bad escape or raw byte, 'refused' for a path that could
 * leave root or name something we never serve.
 */
export function decodePath(rawPath: string): string[] | 'malformed' | 'refused' {
  if (!RAW_PATH.test(rawPath)) return 'malformed';
  // RFC 9112 §3.2.1: origin-form starts with `/`; absolute-form and `*` name no file here.
  if (!rawPath.startsWith('/')) return 'refused';
  const raw = rawPath.slice(1).split('/');
  const segments: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    let s: string;
    try {
      s = decodeURIComponent(raw[i]!);
    } catch {
      return 'malformed';
    }
    const last = i === raw.length - 1;
    if (s === '' && !(last || raw.length === 1)) return 'refused';
    // Dot segments (RFC 3986 §3.3) and dot files are refused outright rather than normalised.
    if (s.startsWith('.') || REFUSED_IN_SEGMENT.test(s)) return 'refused';
    segments.push(s);
  }
  // `/` alone is [''], the root folder.
  return segments.length === 1 && segments[0] === '' ? [] : segments;
}

/** errno codes that mean "nothing servable there". */
const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG', 'ENXIO', 'EISDIR']);

function isNotThere(err: unknown): boolean {
  return typeof err === 'object' && err !== null && NOT_THERE.has((err as { code?: unknown }).code as string);
}

/** O_NOFOLLOW: the real path was checked, a symlink swapped in since is refused. O_NONBLOCK: a FIFO never blocks open. */
const OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK;

function findFile(root: string, segments: string[], cache: FileCache): FoundFile | null {
  let rootReal: string;
  let realPath: string;
  try {
    rootReal = realpathSync.native(root);
    realPath = realpathSync.native(join(rootReal, ...segments));
  } catch (err) {
    if (isNotThere(err)) return null;
    throw err;
  }
  // A symlink under root may point anywhere: only real paths inside root's real path are served.
  if (!realPath.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) return null;
  const relativePath = realPath.slice(rootReal.length).split(sep).filter((s) => s !== '').join('/');

  let fd: number;
  try {
    fd = openSync(realPath, OPEN_FLAGS);
  } catch (err) {
    if (isNotThere(err)) return null;
    throw err;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    // Folders (named without a trailing slash), FIFOs, devices, sockets: not files we serve.
    if (!st.isFile()) return null;
    const size = Number(st.size);
    const mtimeNs = st.mtimeNs;
    let body = cache.get(realPath, size, mtimeNs);
    if (body === null) {
      body = readWhole(fd, size);
      cache.put(realPath, { size, mtimeNs, body });
    }
    return { realPath, relativePath, size, mtimeNs, mtimeMs: Number(st.mtimeMs), body };
  } finally {
    closeSync(fd);
  }
}

/** Read exactly `size` bytes (the file's length at fstat); a file that shrank meanwhile gives what was read. */
function readWhole(fd: number, size: number): Buffer {
  const body = Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, body, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return got === size ? body : body.subarray(0, got);
}

/** File contents by real path, least recently used first, at most MAX_CACHE_BYTES in all. */
class FileCache {
  private readonly files = new Map<string, CachedFile>();
  private bytes = 0;

  /** The cached contents if the file still has this size and mtime; a stale entry is dropped. */
  get(path: string, size: number, mtimeNs: bigint): Buffer | null {
    const f = this.files.get(path);
    if (!f) return null;
    this.delete(path, f);
    if (f.size !== size || f.mtimeNs !== mtimeNs) return null;
    this.files.set(path, f); // most recently used goes last
    this.bytes += f.body.length;
    return f.body;
  }

  put(path: string, file: CachedFile): void {
    if (file.body.length > MAX_CACHED_FILE_BYTES) return;
    const old = this.files.get(path);
    if (old) this.delete(path, old);
    for (const [p, f] of this.files) {
      if (this.bytes + file.body.length <= MAX_CACHE_BYTES) break;
      this.delete(p, f);
    }
    this.files.set(path, file);
    this.bytes += file.body.length;
  }

  private delete(path: string, f: CachedFile): void {
    this.files.delete(path);
    this.bytes -= f.body.length;
  }
}

// ─────────────────────────── conditional requests ───────────────────────────

/**
 * RFC 9110 §13.2.2 order for GET/HEAD: If-None-Match decides when present
 * (§13.1.2); otherwise If-Modified-Since (§13.1.3). True means answer 304.
 */
function notModified(req: HandlerRequest, etag: string, mtimeMs: number): boolean {
  if (req.headerCount('if-none-match') > 0) {
    // RFC 9110 §5.3: several field lines of a list field are one comma-separated list.
    const value = req.headers.filter(([n]) => n.toLowerCase() === 'if-none-match').map(([, v]) => v).join(', ');
    return ifNoneMatchMatches(value, etag);
  }
  // §13.1.3: ignored when not a valid HTTP-date or when it has more than one member.
  if (req.headerCount('if-modified-since') !== 1) return false;
  const since = parseHttpDate(req.header('if-modified-since')!);
  if (since === null) return false;
  // HTTP dates have whole seconds: compare the file's mtime truncated to the second.
  return Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * RFC 9110 §13.1.2: does an If-None-Match value match the current entity-tag?
 * `*` matches any current representation; otherwise a list of entity-tags is
 * compared with the weak comparison (§8.8.3.2: opaque-tags equal, W/ ignored).
 * A value that is not valid syntax matches nothing (the full answer is sent).
 */
export function ifNoneMatchMatches(value: string, currentEtag: string): boolean {
  const trimmed = value.trim();
  if (trimmed === '*') return true;
  const current = opaqueTag(currentEtag);
  // #entity-tag (§5.6.1): empty elements are allowed; entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE.
  const element = /\s*(?:(?:W\/)?("[\x21\x23-\x7e\x80-\xff]*"))?\s*(?:,|$)/y;
  let pos = 0;
  let matched = false;
  while (pos < trimmed.length) {
    element.lastIndex = pos;
    const m = element.exec(trimmed);
    if (!m || m[0].length === 0) return false;
    if (m[1] !== undefined && m[1] === current) matched = true;
    pos += m[0].length;
  }
  return matched;
}

function opaqueTag(etag: string): string {
  return etag.startsWith('W/') ? etag.slice(2) : etag;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * An HTTP-date (RFC 9110 §5.6.7) in ms since the epoch, or null. Recipients
 * must accept all three formats; all are UTC. A two-digit rfc850 year is
 * taken as the most recent year with those digits not more than 50 years
 * ahead (§5.6.7).
 */
export function parseHttpDate(value: string): number | null {
  let day: string;
  let month: string;
  let year: number;
  let time: [string, string, string];
  let m = IMF_FIXDATE.exec(value);
  if (m) {
    [day, month, year, time] = [m[1]!, m[2]!, Number(m[3]), [m[4]!, m[5]!, m[6]!]];
  } else if ((m = RFC850_DATE.exec(value))) {
    const yy = Number(m[3]);
    const thisYear = new Date().getUTCFullYear();
    year = Math.floor(thisYear / 100) * 100 + yy;
    if (year > thisYear + 50) year -= 100;
    [day, month, time] = [m[1]!, m[2]!, [m[4]!, m[5]!, m[6]!]];
  } else if ((m = ASCTIME_DATE.exec(value))) {
    [month, day, time, year] = [m[1]!, m[2]!.trim(), [m[3]!, m[4]!, m[5]!], Number(m[6])];
  } else {
    return null;
  }
  const [h, min, s] = time.map(Number) as [number, number, number];
  const d = Number(day);
  const mon = MONTHS.indexOf(month);
  if (d < 1 || d > 31 || h > 23 || min > 59 || s > 60) return null;
  const ms = Date.UTC(year, mon, d, h, min, Math.min(s, 59));
  // Date.UTC rolls 31 Feb into March: refuse dates that do not exist.
  return new Date(ms).getUTCDate() === d ? ms : null;
}
