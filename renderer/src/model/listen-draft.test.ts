import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenUrl, parseListenDraft } from './listen-draft';

test('host and port text is checked with validateListen', () => {
  // host, port, expected value or the fields in error
  const cases: [string, string, { host: string; port: number } | string[]][] = [
    ['127.0.0.1', '8080', { host: '127.0.0.1', port: 8080 }],
    [' ::1 ', ' 9000 ', { host: '::1', port: 9000 }],
    ['0.0.0.0', '1', { host: '0.0.0.0', port: 1 }],
    ['localhost', '8080', ['listen.host']],
    ['127.0.0.1', '', ['listen.port']],
    ['127.0.0.1', '0', ['listen.port']],
    ['127.0.0.1', '65536', ['listen.port']],
    ['127.0.0.1', '80a', ['listen.port']],
    ['127.0.0.1', '1e3', ['listen.port']],
    ['', 'x', ['listen.host', 'listen.port']],
  ];
  for (const [host, port, expected] of cases) {
    const r = parseListenDraft(host, port);
    assert.deepEqual(r.ok ? r.value : r.errors.map((e) => e.field), expected, `${host} ${port}`);
  }
});

test('URLs bracket IPv6 and reach wildcard binds over loopback', () => {
  const cases: [string, number, string][] = [
    ['127.0.0.1', 8080, 'http://127.0.0.1:8080/'],
    ['::1', 80, 'http://[::1]:80/'],
    ['0.0.0.0', 9, 'http://127.0.0.1:9/'],
    ['::', 9, 'http://[::1]:9/'],
    ['192.168.1.5', 1234, 'http://192.168.1.5:1234/'],
  ];
  for (const [host, port, url] of cases) assert.equal(listenUrl({ host, port }), url);
});
