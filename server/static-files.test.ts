/**
 * staticFiles on a real folder in a temp dir: path decoding and refusals,
 * symlinks out of root, content types, validators and conditional requests,
 * the file cache, and the options.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeaderPair } from '../common/capture-record';
import {
  CACHE_IMMUTABLE, CACHE_REVALIDATE, MAX_CACHED_FILE_BYTES, contentTypeFor, decodePath, defaultCacheControl, ifNoneMatchMatches,
  parseHttpDate, staticFiles,
} from './static-files';
import { asWhole, bodyText, fakeRequest, responseHeader } from './test/handler-request';

let base = '';
let root = '';
let hasFifo = false;
/** A fixed mtime for every file, so Last-Modified and If-Modified-Since cases are exact. */
const MTIME = new Date('2024-03-05T10:20:30.000Z');
const MTIME_HTTP = 'Tue, 05 Mar 2024 10:20:30 GMT';

const FILES: Record<string, string> = {
  'index.html': '<!doctype html><title>root</title>',
  'app.js': 'console.log(1);',
  'module.mjs': 'export {};',
  'style.css': 'body{}',
  'data.json': '{"a":1}',
  'logo.svg': '<svg/>',
  'pic.png': 'PNG',
  'PHOTO.JPG': 'JPG',
  'anim.gif': 'GIF',
  'pic.webp': 'WEBP',
  'favicon.ico': 'ICO',
  'font.woff': 'WOFF',
  'font.woff2': 'WOFF2',
  'notes.txt': 'notes',
  'app.js.map': '{"version":3}',
  'code.wasm': 'WASM',
  'blob.xyz': 'unknown',
  'noext': 'no extension',
  'with space.txt': 'spaced',
  'ünï.txt': 'unicode name',
  '.env': 'SECRET=1',
  'assets/index-AbC123xy.js': 'hashed',
  'assets/index-AbC123xy.js.map': '{}',
  'assets/plain-longname.js': 'not hashed',
  'sub/index.html': 'sub index',
  'sub/page.html': 'sub page',
  'noindex/file.txt': 'x',
};

before(() => {
  base = mkdtempSync(join(tmpdir(), 'sockeye-static-'));
  root = join(base, 'root');
  for (const [rel, content] of Object.entries(FILES)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
    utimesSync(join(root, rel), MTIME, MTIME);
  }
  mkdirSync(join(root, 'empty-dir'));
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), 'outside secret');
  writeFileSync(join(base, 'root-sibling.txt'), 'sibling secret');
  // A sibling folder whose name starts with root's: a prefix check without the separator would let it through.
  mkdirSync(join(base, 'rootx'));
  writeFileSync(join(base, 'rootx', 'leak.txt'), 'prefix leak');
  symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(base, 'outside'), join(root, 'link-dir-out'));
  symlinkSync('../rootx/leak.txt', join(root, 'link-prefix.txt'));
  symlinkSync('app.js', join(root, 'link-in.js'));
  symlinkSync('missing-target', join(root, 'dangling.txt'));
  try {
    execFileSync('mkfifo', [join(root, 'pipe.txt')]);
    hasFifo = true;
  } catch {
    hasFifo = false;
  }
});

after(() => {
  rmSync(base, { recursive: true, force: true });
});

interface Case {
  name: string;
  method?: string;
  target: string;
  status: number;
  /** Expected body for 200s. */
  body?: string;
  contentType?: string;
}

const ok = (name: string, target: string, file: string, contentType: string): Case => ({ name, target, status: 200, body: FILES[file]!, contentType });

const CASES: Case[] = [
  ok('/ serves the index file', '/', 'index.html', 'text/html; charset=utf-8'),
  ok('/index.html by name', '/index.html', 'index.html', 'text/html; charset=utf-8'),
  ok('a query is ignored', '/app.js?v=3&x=%zz', 'app.js', 'text/javascript; charset=utf-8'),
  ok('mjs', '/module.mjs', 'module.mjs', 'text/javascript; charset=utf-8'),
  ok('css', '/style.css', 'style.css', 'text/css; charset=utf-8'),
  ok('json', '/data.json', 'data.json', 'application/json'),
  ok('svg', '/logo.svg', 'logo.svg', 'image/svg+xml'),
  ok('png', '/pic.png', 'pic.png', 'image/png'),
  ok('upper-case extension', '/PHOTO.JPG', 'PHOTO.JPG', 'image/jpeg'),
  ok('gif', '/anim.gif', 'anim.gif', 'image/gif'),
  ok('webp', '/pic.webp', 'pic.webp', 'image/webp'),
  ok('ico', '/favicon.ico', 'favicon.ico', 'image/x-icon'),
  ok('woff', '/font.woff', 'font.woff', 'font/woff'),
  ok('woff2', '/font.woff2', 'font.woff2', 'font/woff2'),
  ok('txt', '/notes.txt', 'notes.txt', 'text/plain; charset=utf-8'),
  ok('source map', '/app.js.map', 'app.js.map', 'application/json'),
  ok('wasm', '/code.wasm', 'code.wasm', 'application/wasm'),
  ok('unknown extension', '/blob.xyz', 'blob.xyz', 'application/octet-stream'),
  ok('no extension', '/noext', 'noext', 'application/octet-stream'),
  ok('percent-encoded space', '/with%20space.txt', 'with space.txt', 'text/plain; charset=utf-8'),
  ok('percent-encoded UTF-8 name', `/${encodeURIComponent('ünï.txt')}`, 'ünï.txt', 'text/plain; charset=utf-8'),
  ok('percent-encoded ordinary letters', '/%61pp.js', 'app.js', 'text/javascript; charset=utf-8'),
  ok('nested file', '/sub/page.html', 'sub/page.html', 'text/html; charset=utf-8'),
  ok('folder with trailing slash serves its index', '/sub/', 'sub/index.html', 'text/html; charset=utf-8'),
  ok('hashed asset', '/assets/index-AbC123xy.js', 'assets/index-AbC123xy.js', 'text/javascript; charset=utf-8'),
  ok('symlink that stays inside root', '/link-in.js', 'app.js', 'text/javascript; charset=utf-8'),
  // The engine sends no content to HEAD but takes Content-Length from the body: HEAD gets GET's answer.
  { name: 'HEAD: the same answer as GET', method: 'HEAD', target: '/app.js', status: 200, body: FILES['app.js']!, contentType: 'text/javascript; charset=utf-8' },

  { name: 'missing file', target: '/nope.js', status: 404 },
  { name: 'missing folder', target: '/nope/x.js', status: 404 },
  { name: 'file used as a folder', target: '/app.js/x', status: 404 },
  { name: 'folder without trailing slash', target: '/sub', status: 404 },
  { name: 'folder without an index file', target: '/noindex/', status: 404 },
  { name: 'empty folder', target: '/empty-dir/', status: 404 },
  { name: 'dot-dot segment', target: '/../root-sibling.txt', status: 404 },
  { name: 'dot-dot inside the path', target: '/sub/../../root-sibling.txt', status: 404 },
  { name: 'dot-dot that would stay inside', target: '/sub/../app.js', status: 404 },
  { name: 'encoded dot-dot %2e%2e', target: '/%2e%2e/root-sibling.txt', status: 404 },
  { name: 'encoded dot-dot upper case %2E%2E', target: '/%2E%2E/%2E%2E/etc/passwd', status: 404 },
  { name: 'half-encoded dot-dot .%2e', target: '/.%2e/root-sibling.txt', status: 404 },
  { name: 'dot segment', target: '/./app.js', status: 404 },
  { name: 'encoded slash %2f', target: '/sub%2fpage.html', status: 404 },
  { name: 'encoded slash with dot-dot', target: '/%2e%2e%2froot-sibling.txt', status: 404 },
  { name: 'backslash', target: '/sub\\page.html', status: 404 },
  { name: 'encoded backslash', target: '/..%5croot-sibling.txt', status: 404 },
  { name: 'encoded NUL', target: '/app.js%00.png', status: 404 },
  { name: 'encoded control character', target: '/app%0a.js', status: 404 },
  { name: 'empty segment', target: '/sub//page.html', status: 404 },
  { name: 'dot file', target: '/.env', status: 404 },
  { name: 'encoded dot file', target: '/%2eenv', status: 404 },
  { name: 'symlink to a file outside root', target: '/link-out.txt', status: 404 },
  { name: 'symlink to a folder outside root', target: '/link-dir-out/secret.txt', status: 404 },
  { name: 'symlink to a sibling that shares root\'s name prefix', target: '/link-prefix.txt', status: 404 },
  { name: 'dangling symlink', target: '/dangling.txt', status: 404 },
  { name: 'absolute-form target', target: 'http://localhost/app.js', status: 404 },
  { name: 'asterisk-form target', method: 'GET', target: '*', status: 404 },
  { name: 'absolute file system path in the target', target: `/${join(base, 'outside', 'secret.txt')}`, status: 404 },

  { name: 'malformed escape %zz', target: '/a%zz.js', status: 400 },
  { name: 'truncated escape', target: '/app.js%2', status: 400 },
  { name: 'escape that is not UTF-8', target: '/%ff.txt', status: 400 },
  { name: 'raw byte outside ASCII', target: '/\xe9.txt', status: 400 },
  { name: 'raw space', target: '/with space.txt', status: 400 },

  { name: 'POST', method: 'POST', target: '/app.js', status: 405 },
  { name: 'PUT on a missing file', method: 'PUT', target: '/nope', status: 405 },
  { name: 'lower-case get is another method', method: 'get', target: '/app.js', status: 405 },
];

describe('staticFiles: one request per case', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const serve = staticFiles({ root });
      const res = asWhole(serve(fakeRequest(c.method ?? 'GET', c.target)));
      assert.equal(res.status, c.status, bodyText(res));
      if (c.status === 200) {
        assert.equal(bodyText(res), c.body);
        assert.equal(responseHeader(res, 'content-type'), c.contentType);
        assert.equal(responseHeader(res, 'x-content-type-options'), 'nosniff');
        assert.match(responseHeader(res, 'etag') ?? '', /^"[0-9a-f]+-[0-9a-f]+"$/);
        assert.equal(responseHeader(res, 'last-modified'), MTIME_HTTP);
      } else {
        // Error answers never carry a file's contents or validators.
        assert.equal(responseHeader(res, 'etag'), null);
        assert.ok(!bodyText(res).includes('secret') && !bodyText(res).includes('leak'), bodyText(res));
      }
      if (c.status === 405) assert.equal(responseHeader(res, 'allow'), 'GET, HEAD');
    });
  }

  test('a FIFO under root is not opened for reading (no hang) and is 404', { skip: hasFifo ? false : 'mkfifo is not available' }, () => {
    const res = asWhole(staticFiles({ root })(fakeRequest('GET', '/pipe.txt')));
    assert.equal(res.status, 404);
  });

  test('HEAD has the same header fields and body as GET (the engine drops the content, keeps the length)', () => {
    const serve = staticFiles({ root });
    const get = asWhole(serve(fakeRequest('GET', '/style.css')));
    const head = asWhole(serve(fakeRequest('HEAD', '/style.css')));
    assert.deepEqual(head, get);
  });
});

describe('staticFiles: conditional requests', () => {
  const etagOf = (target: string): string => responseHeader(asWhole(staticFiles({ root })(fakeRequest('GET', target))), 'etag')!;

  // [name, headers (ETAG is replaced by app.js's ETag), expected status]
  const CONDITIONS: [string, HeaderPair[], number][] = [
    ['If-None-Match with the current ETag', [['If-None-Match', 'ETAG']], 304],
    ['If-None-Match with the weak form of the ETag (weak comparison)', [['If-None-Match', 'W/ETAG']], 304],
    ['If-None-Match list containing the ETag', [['If-None-Match', '"x", ETAG , W/"y"']], 304],
    ['If-None-Match list with empty elements', [['If-None-Match', ', ,ETAG,']], 304],
    ['If-None-Match split over two field lines', [['If-None-Match', '"x"'], ['if-none-match', 'ETAG']], 304],
    ['If-None-Match: *', [['If-None-Match', '*']], 304],
    ['If-None-Match with another ETag', [['If-None-Match', '"other"']], 200],
    ['If-None-Match with the ETag unquoted (invalid syntax)', [['If-None-Match', 'UNQUOTED']], 200],
    ['If-None-Match garbage after a match', [['If-None-Match', 'ETAG junk']], 200],
    ['If-None-Match that does not match wins over a matching If-Modified-Since', [['If-None-Match', '"other"'], ['If-Modified-Since', MTIME_HTTP]], 200],
    ['If-Modified-Since equal to Last-Modified', [['If-Modified-Since', MTIME_HTTP]], 304],
    ['If-Modified-Since later than Last-Modified', [['If-Modified-Since', 'Wed, 06 Mar 2024 00:00:00 GMT']], 304],
    ['If-Modified-Since one second earlier', [['If-Modified-Since', 'Tue, 05 Mar 2024 10:20:29 GMT']], 200],
    ['If-Modified-Since in rfc850 form', [['If-Modified-Since', 'Tuesday, 05-Mar-24 10:20:30 GMT']], 304],
    ['If-Modified-Since in asctime form', [['If-Modified-Since', 'Tue Mar  5 10:20:30 2024']], 304],
    ['If-Modified-Since that is not a date is ignored', [['If-Modified-Since', 'yesterday']], 200],
    ['If-Modified-Since given twice is ignored', [['If-Modified-Since', MTIME_HTTP], ['If-Modified-Since', MTIME_HTTP]], 200],
  ];

  for (const [name, headers, status] of CONDITIONS) {
    test(name, () => {
      const etag = etagOf('/app.js');
      const withEtag = headers.map(([n, v]): HeaderPair => [n, v.replace('UNQUOTED', etag.slice(1, -1)).replace('ETAG', etag)]);
      const res = asWhole(staticFiles({ root })(fakeRequest('GET', '/app.js', withEtag)));
      assert.equal(res.status, status);
      if (status === 304) {
        // RFC 9110 §15.4.5: validators and Cache-Control of the 200, no content.
        assert.equal(res.body, undefined);
        assert.equal(responseHeader(res, 'etag'), etag);
        assert.equal(responseHeader(res, 'cache-control'), CACHE_REVALIDATE);
        assert.equal(responseHeader(res, 'last-modified'), MTIME_HTTP);
      } else {
        assert.equal(bodyText(res), FILES['app.js']);
      }
    });
  }

  test('HEAD with a matching If-None-Match is 304 too', () => {
    const etag = etagOf('/app.js');
    assert.equal(asWhole(staticFiles({ root })(fakeRequest('HEAD', '/app.js', [['If-None-Match', etag]]))).status, 304);
  });

  test('files of the same size and mtime in different places have ETags that differ only if they differ', () => {
    assert.equal(etagOf('/app.js'), etagOf('/link-in.js'));
    assert.notEqual(etagOf('/app.js'), etagOf('/style.css'));
  });
});

describe('staticFiles: changes on disk and the cache', () => {
  test('a changed file is served fresh with a new ETag (cache invalidated by mtime)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockeye-static-change-'));
    try {
      const file = join(dir, 'f.txt');
      writeFileSync(file, 'version one');
      utimesSync(file, MTIME, MTIME);
      const serve = staticFiles({ root: dir });
      const first = asWhole(serve(fakeRequest('GET', '/f.txt')));
      assert.equal(bodyText(first), 'version one');
      // Same size, later mtime: only the mtime tells the cache it changed.
      writeFileSync(file, 'version two');
      utimesSync(file, MTIME, new Date(MTIME.getTime() + 5000));
      const second = asWhole(serve(fakeRequest('GET', '/f.txt')));
      assert.equal(bodyText(second), 'version two');
      assert.notEqual(responseHeader(second, 'etag'), responseHeader(first, 'etag'));
      // The old ETag no longer gives 304.
      assert.equal(asWhole(serve(fakeRequest('GET', '/f.txt', [['If-None-Match', responseHeader(first, 'etag')!]]))).status, 200);
      // Deleted: 404, not the cached copy.
      rmSync(file);
      assert.equal(asWhole(serve(fakeRequest('GET', '/f.txt'))).status, 404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file larger than the cache limit is served whole (read uncached) and re-read after a change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockeye-static-large-'));
    try {
      const file = join(dir, 'big.bin');
      const big = Buffer.alloc(MAX_CACHED_FILE_BYTES + 1, 7);
      writeFileSync(file, big);
      const serve = staticFiles({ root: dir });
      const res = asWhole(serve(fakeRequest('GET', '/big.bin')));
      assert.ok(Buffer.isBuffer(res.body) && res.body.equals(big));
      big[0] = 9;
      writeFileSync(file, big);
      utimesSync(file, MTIME, new Date(Date.now() + 10_000));
      const again = asWhole(serve(fakeRequest('GET', '/big.bin')));
      assert.ok(Buffer.isBuffer(again.body) && again.body[0] === 9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a root that does not exist (yet) answers 404, and serves once it does', () => {
    const dir = join(base, 'later');
    const serve = staticFiles({ root: dir });
    assert.equal(asWhole(serve(fakeRequest('GET', '/'))).status, 404);
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), 'now here');
    assert.equal(bodyText(asWhole(serve(fakeRequest('GET', '/')))), 'now here');
  });

  test('a root that is itself a symlink: files inside its target are served', () => {
    const link = join(base, 'root-link');
    symlinkSync(root, link);
    assert.equal(bodyText(asWhole(staticFiles({ root: link })(fakeRequest('GET', '/app.js')))), FILES['app.js']);
  });
});

describe('staticFiles: options', () => {
  test('indexFile names the file served for a folder', () => {
    const serve = staticFiles({ root, indexFile: 'page.html' });
    assert.equal(bodyText(asWhole(serve(fakeRequest('GET', '/sub/')))), 'sub page');
    assert.equal(asWhole(serve(fakeRequest('GET', '/'))).status, 404);
  });

  test('cacheControl receives the path relative to root and sets the header', () => {
    const seen: string[] = [];
    const serve = staticFiles({ root, cacheControl: (p) => (seen.push(p), `max-age=${p.length}`) });
    assert.equal(responseHeader(asWhole(serve(fakeRequest('GET', '/sub/'))), 'cache-control'), 'max-age=14');
    assert.equal(responseHeader(asWhole(serve(fakeRequest('GET', '/'))), 'cache-control'), 'max-age=10');
    assert.deepEqual(seen, ['sub/index.html', 'index.html']);
  });

  test('default Cache-Control: hashed assets immutable, the rest no-cache', () => {
    const serve = staticFiles({ root });
    const cc = (t: string): string | null => responseHeader(asWhole(serve(fakeRequest('GET', t))), 'cache-control');
    assert.equal(cc('/assets/index-AbC123xy.js'), CACHE_IMMUTABLE);
    assert.equal(cc('/assets/plain-longname.js'), CACHE_REVALIDATE);
    assert.equal(cc('/'), CACHE_REVALIDATE);
  });

  test('fallthrough: null for other methods and for paths that name no file; refusals still answered', () => {
    const serve = staticFiles({ root, fallthrough: true });
    assert.equal(serve(fakeRequest('POST', '/app.js')), null);
    assert.equal(serve(fakeRequest('GET', '/nope')), null);
    assert.equal(serve(fakeRequest('GET', '/sub')), null);
    assert.equal(asWhole(serve(fakeRequest('GET', '/../root-sibling.txt'))).status, 404);
    // A symlink out of root names no file here: the caller's fallback decides, nothing outside is read.
    assert.equal(serve(fakeRequest('GET', '/link-out.txt')), null);
    assert.equal(asWhole(serve(fakeRequest('GET', '/%zz'))).status, 400);
    assert.equal(asWhole(serve(fakeRequest('GET', '/app.js'))).status, 200);
  });
});

describe('static-files helpers', () => {
  const CACHE_CONTROL: [string, string][] = [
    ['assets/index-AbC123xy.js', CACHE_IMMUTABLE],
    ['assets/index-B-x3kLq9.js', CACHE_IMMUTABLE],
    ['assets/vendor-react-D4x_9a1Q.css', CACHE_IMMUTABLE],
    ['assets/index-AbC123xy.js.map', CACHE_IMMUTABLE],
    ['assets/fonts/inter-Zx81kLmQ.woff2', CACHE_IMMUTABLE],
    ['assets/my-longname.js', CACHE_REVALIDATE],
    ['assets/index.js', CACHE_REVALIDATE],
    ['assets/index-Ab1.js', CACHE_REVALIDATE],
    ['index-AbC123xy.js', CACHE_REVALIDATE],
    ['sub/assets/index-AbC123xy.js', CACHE_REVALIDATE],
    ['index.html', CACHE_REVALIDATE],
  ];
  for (const [path, expected] of CACHE_CONTROL) {
    test(`defaultCacheControl(${path})`, () => assert.equal(defaultCacheControl(path), expected));
  }

  const TYPES: [string, string][] = [
    ['a.HTML', 'text/html; charset=utf-8'], ['a.tar.gz', 'application/octet-stream'], ['dir.d/file', 'application/octet-stream'],
    ['.hidden', 'application/octet-stream'], ['x.Woff2', 'font/woff2'],
  ];
  for (const [name, expected] of TYPES) {
    test(`contentTypeFor(${name})`, () => assert.equal(contentTypeFor(name), expected));
  }

  const PATHS: [string, ReturnType<typeof decodePath>][] = [
    ['/', []], ['/a', ['a']], ['/a/', ['a', '']], ['/a%2Fb', 'refused'], ['/a/%2e', 'refused'], ['//', 'refused'],
    ['', 'refused'], ['/%C3%BC', ['ü']], ['/%c3', 'malformed'], ['/a\x7f', 'malformed'],
  ];
  for (const [raw, expected] of PATHS) {
    test(`decodePath(${JSON.stringify(raw)})`, () => assert.deepEqual(decodePath(raw), expected));
  }

  const DATES: [string, number | null][] = [
    ['Sun, 06 Nov 1994 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sun Nov  6 08:49:37 1994', Date.UTC(1994, 10, 6, 8, 49, 37)],
    ['Sun Nov 16 08:49:37 1994', Date.UTC(1994, 10, 16, 8, 49, 37)],
    ['Sun, 06 Nov 1994 08:49:37 UTC', null],
    ['Sun, 6 Nov 1994 08:49:37 GMT', null],
    ['Sun, 31 Feb 1994 08:49:37 GMT', null],
    ['Sun, 06 Nov 1994 24:00:00 GMT', null],
    [' Sun, 06 Nov 1994 08:49:37 GMT', null],
    ['Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT', null],
    ['1994-11-06T08:49:37Z', null],
  ];
  for (const [value, expected] of DATES) {
    test(`parseHttpDate(${JSON.stringify(value)})`, () => assert.equal(parseHttpDate(value), expected));
  }

  const MATCHES: [string, boolean][] = [
    ['"abc"', true], ['W/"abc"', true], ['"x","abc"', true], ['  "abc"  ', true], ['*', true],
    ['"abcd"', false], ['abc', false], ['"abc', false], ['w/"abc"', false], ['"x" "abc"', false], ['', false], ['*, "abc"', false],
  ];
  for (const [value, expected] of MATCHES) {
    test(`ifNoneMatchMatches(${JSON.stringify(value)}, "abc")`, () => assert.equal(ifNoneMatchMatches(value, '"abc"'), expected));
  }
});
