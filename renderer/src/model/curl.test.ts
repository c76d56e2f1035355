import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { decodeRecordBatch } from '../../../common/record-batch';
import { buildCurl, printfQuote, shellQuote } from './curl';
import { fixtureBatch, type FixtureRequest } from './test/batch-fixture';

/**
 * Run the text in a real bash with `curl` replaced by a function that prints
 * its arguments (NUL-separated) and then its standard input, so the test sees
 * exactly what curl would receive.
 */
function runInBash(text: string): { args: string[]; stdin: string } {
  const script = `curl() { for a in "$@"; do printf '%s\\0' "$a"; done; printf 'STDIN\\0'; cat; }\n${text}\n`;
  const r = spawnSync('bash', ['-c', script], { input: '', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  assert.equal(r.status, 0, r.stderr.toString());
  const out = r.stdout.toString('latin1');
  const split = out.indexOf('STDIN\0');
  const args = out.slice(0, split).split('\0');
  args.pop();
  return { args, stdin: out.slice(split + 6) };
}

function curlFor(req: FixtureRequest): { args: string[]; stdin: string; notes: string[] } {
  const [record] = decodeRecordBatch(fixtureBatch([req]));
  const cmd = buildCurl(record!);
  return { ...runInBash(cmd.text), notes: cmd.notes };
}

test('shell quoting round-trips every byte but NUL through bash', () => {
  const every = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');
  const cases = ['', 'plain', "it's", 'a b', '$HOME `x` "q" \\', 'tab\there', 'new\nline', 'caf\xe9', every, "'", "''"];
  for (const s of cases) assert.deepEqual(runInBash(`curl ${shellQuote(s)}`).args, [s], JSON.stringify(s));
});

test('printf quoting reproduces every byte, NUL included', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  const r = spawnSync('bash', ['-c', `printf ${printfQuote(all)}`], { env: { LC_ALL: 'C' } });
  assert.deepEqual(new Uint8Array(r.stdout), all);
});

/** The fixtures' listener, as curl addresses it. */
const L = '127.0.0.1:8080';

test('commands carry the method, URL, headers and body curl needs', () => {
  const cases: [string, FixtureRequest, string[], string][] = [
    ['simple GET to the listener (its Host is curl\'s own)', { raw: `GET /a?b=1&c=%20 HTTP/1.1\r\nHost: ${L}\r\nAccept: */*\r\n\r\n` },
      [`http://${L}/a?b=1&c=%20`, '-H', 'Accept: */*'], ''],
    ['another Host is kept, in its place', { raw: 'GET /x HTTP/1.1\r\nAccept: */*\r\nHost: example.test\r\n\r\n' },
      [`http://${L}/x`, '-H', 'Accept: */*', '-H', 'Host: example.test'], ''],
    ['POST keeps the body, drops computed headers', { raw: `POST /p HTTP/1.1\r\nHost: ${L}\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"a":"it's"}` },
      [`http://${L}/p`, '-H', 'Content-Type: application/json', '--data-binary', '{"a":"it\'s"}'], ''],
    ['binary body with NUL is piped', { raw: `PUT /bin HTTP/1.1\r\nHost: ${L}\r\nContent-Length: 4\r\n\r\n\x00\xff%'` },
      [`http://${L}/bin`, '-X', 'PUT', '--data-binary', '@-'], '\x00\xff%\''],
    ['odd header bytes and empty values', { raw: `GET / HTTP/1.1\r\nHost: ${L}\r\nX-Name: caf\xe9\r\nX-Empty:\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n` },
      [`http://${L}/`, '-H', 'X-Name: caf\xe9', '-H', 'X-Empty;', '-H', 'X-Dup: 1', '-H', 'x-dup: 2'], ''],
    ['HEAD', { raw: `HEAD /x HTTP/1.1\r\nHost: ${L}\r\n\r\n` }, [`http://${L}/x`, '--head'], ''],
    ['HTTP/1.0 without Host: curl is told not to add one', { raw: 'GET /x HTTP/1.0\r\n\r\n' }, [`http://${L}/x`, '--http1.0', '-H', 'Host:'], ''],
    ['asterisk-form', { raw: `OPTIONS * HTTP/1.1\r\nHost: ${L}\r\n\r\n` }, [`http://${L}/`, '-X', 'OPTIONS', '--request-target', '*'], ''],
    ['absolute-form goes through the listener as a proxy', { raw: 'GET http://other/y HTTP/1.1\r\nHost: other\r\n\r\n' },
      ['http://other/y', '--proxy', `http://${L}`], ''],
    ['globbing and dot segments', { raw: `GET /a/../b[1]{x} HTTP/1.1\r\nHost: ${L}\r\n\r\n` }, [`http://${L}/a/../b[1]{x}`, '--globoff', '--path-as-is'], ''],
    ['body with newlines and quotes', { raw: `PATCH /t HTTP/1.1\r\nHost: ${L}\r\nContent-Length: 9\r\n\r\na\r\nb\\'c"` },
      [`http://${L}/t`, '-X', 'PATCH', '--data-binary', 'a\r\nb\\\'c"'], ''],
    ['GET with a body', { raw: `GET /q HTTP/1.1\r\nHost: ${L}\r\nContent-Length: 2\r\n\r\nhi` }, [`http://${L}/q`, '-X', 'GET', '--data-binary', 'hi'], ''],
  ];
  for (const [name, req, args, stdin] of cases) {
    const r = curlFor(req);
    assert.deepEqual(r.args, args, name);
    assert.equal(r.stdin, stdin, name);
    assert.deepEqual(r.notes, [], name);
  }
});

test('what cannot be replayed exactly is said in comment lines', () => {
  const cases: [string, FixtureRequest, RegExp, string[]][] = [
    ['truncated body', { raw: `POST /u HTTP/1.1\r\nHost: ${L}\r\nContent-Length: 100\r\n\r\nabc`, bodyLength: 100 }, /truncated.*3 of 100/,
      [`http://${L}/u`, '--data-binary', 'abc']],
    ['chunked body is sent decoded', {
      raw: `POST /c HTTP/1.1\r\nHost: ${L}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n`, decodedBody: 'hello', trailers: [['X-T', '1']],
    }, /chunked/, [`http://${L}/c`, '--data-binary', 'hello']],
    ['malformed request keeps both Host fields', { raw: 'GET /m HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', error: 'duplicate-host', errorDetail: 'two Host fields', status: 400 }, /duplicate-host/,
      [`http://${L}/m`, '-H', 'Host: a', '-H', 'Host: b']],
  ];
  for (const [name, req, note, args] of cases) {
    const [record] = decodeRecordBatch(fixtureBatch([req]));
    const cmd = buildCurl(record!);
    assert.ok(cmd.notes.some((n) => note.test(n)), `${name}: ${cmd.notes.join(' | ')}`);
    assert.ok(cmd.text.startsWith('# '), name);
    assert.deepEqual(runInBash(cmd.text).args, args, name);
  }
});
