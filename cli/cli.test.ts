/**
 * End to end: the built command (`node bin/sockeye.js`) serving real requests
 * sent over raw TCP sockets to 127.0.0.1, its printed output, its exit codes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchange, killAll, runCli, spawnProcess, startServe, waitForExit, type CliProcess } from './test/harness';
import type { RecordJson } from './format';
import { MAIN_HELP, SERVE_HELP } from './args';

const TEST_TIMEOUT_MS = 30_000;
const tmp = mkdtempSync(join(tmpdir(), 'sockeye-cli-'));
after(() => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
});

/** RFC 9110 §5.6.7 IMF-fixdate. */
const IMF_DATE = String.raw`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT`;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A POST with headers in unusual case and order, and a body. */
const POST = 'POST /submit?q=1&r=%20 HTTP/1.1\r\n' +
  'x-TRACE-id: abc\r\ncontent-TYPE: text/plain\r\nhOsT: 127.0.0.1\r\nAccept: */*\r\nContent-Length: 11\r\n' +
  'Connection: close\r\n\r\nhello world';
/** Both framings: RFC 9112 §6.3 says reject. */
const MALFORMED = 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n';
/** A chunked body: the decoded body is "hello", raw keeps the chunk framing. */
const CHUNKED = 'PUT /up HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\nX-Z: 1\r\nX-A: 2\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n';

async function stop(p: CliProcess): Promise<void> {
  p.child.kill('SIGTERM');
  const exit = await waitForExit(p);
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${p.stderr()}`);
  assert.equal(p.stderr(), '');
}

function assertMalformedAnswer(response: Buffer): void {
  assert.match(response.toString('latin1'), new RegExp(
    `^HTTP/1\\.1 400 Bad Request\\r\\nContent-Type: text/plain; charset=utf-8\\r\\nDate: ${IMF_DATE}\\r\\n` +
      'Content-Length: \\d+\\r\\nConnection: close\\r\\n\\r\\n400 Bad Request: [^\\r\\n]+\\n$',
  ));
}

test('serve: answers with the configured response and prints one line per request', { timeout: TEST_TIMEOUT_MS }, async () => {
  const server = await startServe(['--status', '201', '--header', 'X-Zeta: z', '--header', 'x-alpha:  A ', '--body', 'created\n']);
  assert.equal(server.stdout(), `listening on http://127.0.0.1:${server.port}\n`);

  const post = await exchange(server.port, POST);
  assert.match(post.response.toString('latin1'), new RegExp(
    '^HTTP/1\\.1 201 Created\\r\\n' +
      'Content-Type: text/plain; charset=utf-8\\r\\nX-Zeta: z\\r\\nx-alpha: A\\r\\n' +
      `Date: ${IMF_DATE}\\r\\nContent-Length: 8\\r\\nConnection: close\\r\\n\\r\\ncreated\\n$`,
  ));
  await server.waitForStdout(/\/submit/);

  const bad = await exchange(server.port, MALFORMED);
  assertMalformedAnswer(bad.response);
  await server.waitForStdout(/te-and-cl/);

  const lines = server.stdout().trimEnd().split('\n');
  assert.equal(lines.length, 3, server.stdout());
  const time = String.raw`\d\d:\d\d:\d\d\.\d{3}`;
  assert.match(lines[1]!, new RegExp(`^${time}  127\\.0\\.0\\.1:${post.localPort} +POST +201 +11 B  ${escapeRe('/submit?q=1&r=%20')}$`));
  assert.match(lines[2]!, new RegExp(`^${time}  127\\.0\\.0\\.1:${bad.localPort} +\\S+ +400 +\\d+ B  \\S+  te-and-cl: .+$`));
  // Aligned: the status column starts at the same place on both lines.
  assert.equal(lines[1]!.indexOf(' 201 '), lines[2]!.indexOf(' 400 '));

  await stop(server);
});

test('serve --json: one object per request with exact bytes; stop prints the last records', { timeout: TEST_TIMEOUT_MS }, async () => {
  const file = join(tmp, 'response.json');
  writeFileSync(file, JSON.stringify({
    status: 202, reason: 'Taken', headers: [['X-One', '1'], ['x-two', 'two']], body: Buffer.from('\x00\x01bin').toString('base64'), bodyEncoding: 'base64',
  }));
  const server = await startServe(['--json', '--response', file, '--header', 'X-Three: 3']);

  const put = await exchange(server.port, CHUNKED, { untilResponse: true });
  put.socket.destroy();
  assert.match(put.response.toString('latin1'), new RegExp(
    `^HTTP/1\\.1 202 Taken\\r\\nX-One: 1\\r\\nx-two: two\\r\\nX-Three: 3\\r\\nDate: ${IMF_DATE}\\r\\nContent-Length: 5\\r\\n\\r\\n\\x00\\x01bin$`,
  ));
  const post = await exchange(server.port, POST);
  assert.match(post.response.toString('latin1'), /^HTTP\/1\.1 202 Taken\r\n[^]*\r\n\r\n\x00\x01bin$/);
  const bad = await exchange(server.port, MALFORMED);
  assertMalformedAnswer(bad.response);

  // A complete request and, in the same write, the start of another: once the first is answered the
  // engine holds the second's bytes, and stopping must still print both.
  const partial = 'GET /second HTTP/1.1\r\nHost: a\r\n';
  const last = await exchange(server.port, `GET /first HTTP/1.1\r\nHost: a\r\n\r\n${partial}`, { untilResponse: true });
  assert.match(last.response.toString('latin1'), /^HTTP\/1\.1 202 Taken\r\n/);
  await stop(server);
  last.socket.destroy();

  const lines = server.stdout().trimEnd().split('\n');
  assert.equal(lines[0], `listening on http://127.0.0.1:${server.port}`);
  const records = lines.slice(1).map((l) => JSON.parse(l) as RecordJson);
  assert.equal(records.length, 5, server.stdout());
  const byTarget = (target: string): RecordJson => {
    const r = records.find((x) => x.target === target);
    assert.ok(r, `no record for ${target} in ${server.stdout()}`);
    return r;
  };

  const p = byTarget('/up');
  assert.equal(p.method, 'PUT');
  assert.equal(p.version, 'HTTP/1.1');
  assert.deepEqual(p.headers, [['Host', 'a'], ['transfer-encoding', 'chunked'], ['X-Z', '1'], ['X-A', '2']]);
  assert.equal(Buffer.from(p.body, 'base64').toString('latin1'), 'hello');
  assert.equal(p.bodyLength, 5);
  assert.equal(Buffer.from(p.raw, 'base64').toString('latin1'), CHUNKED);
  assert.equal(p.rawLength, CHUNKED.length);
  assert.equal(p.status, 202);
  assert.equal(p.error, null);
  assert.deepEqual(p.peer, { family: 'IPv4', address: '127.0.0.1', port: put.localPort });
  assert.ok(!Number.isNaN(Date.parse(p.time)) && p.time.endsWith('Z'), p.time);

  const q = byTarget('/submit?q=1&r=%20');
  assert.equal(q.method, 'POST');
  assert.deepEqual(q.headers, [
    ['x-TRACE-id', 'abc'], ['content-TYPE', 'text/plain'], ['hOsT', '127.0.0.1'], ['Accept', '*/*'],
    ['Content-Length', '11'], ['Connection', 'close'],
  ]);
  assert.equal(q.body, Buffer.from('hello world').toString('base64'));
  assert.equal(q.raw, Buffer.from(POST, 'latin1').toString('base64'));
  assert.equal(q.bodyTruncated, false);

  const m = records.find((x) => x.error === 'te-and-cl');
  assert.ok(m, server.stdout());
  assert.equal(m.status, 400);
  assert.equal(Buffer.from(m.raw, 'base64').toString('latin1'), MALFORMED);
  assert.equal(typeof m.errorDetail, 'string');

  assert.equal(byTarget('/first').status, 202);
  const cut = records.find((x) => x.error === 'connection-closed');
  assert.ok(cut, `the request in progress at stop is missing: ${server.stdout()}`);
  assert.equal(cut.status, null);
  assert.equal(Buffer.from(cut.raw, 'base64').toString('latin1'), partial);
});

test('serve: SIGINT also stops cleanly', { timeout: TEST_TIMEOUT_MS }, async () => {
  const server = await startServe([]);
  const r = await exchange(server.port, 'GET /x HTTP/1.0\r\n\r\n');
  assert.match(r.response.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok\n$/);
  server.child.kill('SIGINT');
  assert.deepEqual(await waitForExit(server), { code: 0, signal: null });
  assert.match(server.stdout(), /GET +200 +0 B {2}\/x\n$/);
});

test('serve --head-timeout: a head that stalls gets 408 sooner than the default, and is printed', { timeout: TEST_TIMEOUT_MS }, async () => {
  // Far below the 30 s default, so an answer within WAIT_MS proves the flag reached the engine.
  const server = await startServe(['--head-timeout', '300']);
  const stalled = await exchange(server.port, 'GET /slow HTTP/1.1\r\nHost: a\r\n');
  assert.match(stalled.response.toString('latin1'), /^HTTP\/1\.1 408 Request Timeout\r\n[^]*Connection: close\r\n/);
  await server.waitForStdout(/head-timeout/);
  await stop(server);
});

/** One line on stderr starting `sockeye: `, no stack trace, nothing on stdout. */
function assertOneErrorLine(result: { stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^sockeye: [^\n]+\n$/, JSON.stringify(result.stderr));
  assert.doesNotMatch(result.stderr, / {4}at /);
  assert.match(result.stderr, pattern);
}

test('errors: a port in use exits 1 with one line', { timeout: TEST_TIMEOUT_MS }, async () => {
  const first = await startServe([]);
  try {
    const second = await runCli(['serve', '--port', String(first.port)]);
    assert.equal(second.code, 1);
    assert.equal(second.stderr, `sockeye: port ${first.port} on 127.0.0.1 is already in use (EADDRINUSE)\n`);
    assertOneErrorLine(second, /EADDRINUSE/);
  } finally {
    await stop(first);
  }
});

const usageCases: Array<{ name: string; args: string[]; code: number; stderr: RegExp }> = [
  { name: 'unknown option', args: ['serve', '--colour'], code: 2, stderr: /^sockeye: unknown option --colour;/ },
  { name: 'unknown command', args: ['listen'], code: 2, stderr: /^sockeye: unknown command "listen"/ },
  { name: 'no command', args: [], code: 2, stderr: /^sockeye: no command given/ },
  { name: 'missing value', args: ['serve', '--port'], code: 2, stderr: /^sockeye: --port needs a value$/m },
  { name: 'non-numeric port', args: ['serve', '--port', 'eighty'], code: 2, stderr: /^sockeye: --port must be a whole number/ },
  { name: 'head timeout 0', args: ['serve', '--head-timeout', '0'], code: 2, stderr: /^sockeye: --head-timeout must be a whole number of milliseconds from 1 to 86400000, got "0"$/m },
  { name: 'status 99', args: ['serve', '--status', '99'], code: 2, stderr: /^sockeye: --status must be a whole number from 200 to 599, got "99"$/m },
  { name: 'header without colon', args: ['serve', '--header', 'X-A'], code: 2, stderr: /^sockeye: --header "X-A" has no colon/ },
  { name: 'header the engine owns', args: ['serve', '--port', '0', '--header', 'Content-Length: 3'], code: 2, stderr: /^sockeye: invalid --header: Content-Length is computed/ },
  { name: 'host that is not an IP literal', args: ['serve', '--port', '0', '--host', 'example.com'], code: 2, stderr: /^sockeye: host must be an IPv4 or IPv6 address/ },
  { name: 'unreadable response file', args: ['serve', '--port', '0', '--response', '/nonexistent/r.json'], code: 1, stderr: /^sockeye: cannot read response file \/nonexistent\/r\.json: no such file \(ENOENT\)$/m },
  { name: 'response file that is a directory', args: ['serve', '--port', '0', '--response', '/'], code: 1, stderr: /\(EISDIR\)$/m },
];

for (const c of usageCases) {
  test(`errors: ${c.name} exits ${c.code} with one line`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const result = await runCli(c.args);
    assert.equal(result.code, c.code, result.stderr);
    assertOneErrorLine(result, c.stderr);
  });
}

test('errors: invalid response files exit 1 with one line', { timeout: TEST_TIMEOUT_MS }, async () => {
  const badJson = join(tmp, 'bad.json');
  writeFileSync(badJson, '{"status": 200,\n  "headers": [}\n');
  const r1 = await runCli(['serve', '--port', '0', '--response', badJson]);
  assert.equal(r1.code, 1);
  assertOneErrorLine(r1, /^sockeye: response file .*bad\.json is not valid JSON: /);

  const crlf = join(tmp, 'crlf.json');
  writeFileSync(crlf, JSON.stringify({ status: 200, headers: [['X-Split', 'a\r\nSet-Cookie: evil=1']], body: '' }));
  const r2 = await runCli(['serve', '--port', '0', '--response', crlf]);
  assert.equal(r2.code, 1);
  assertOneErrorLine(r2, /^sockeye: response file .*crlf\.json is invalid: headers\[0\]\.value: value of "X-Split" must not contain CR or LF$/m);
});

test('help and version print to stdout and exit 0', { timeout: TEST_TIMEOUT_MS }, async () => {
  assert.deepEqual(await runCli(['--help']), { code: 0, signal: null, stdout: MAIN_HELP, stderr: '' });
  assert.deepEqual(await runCli(['serve', '--help']), { code: 0, signal: null, stdout: SERVE_HELP, stderr: '' });
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^sockeye \d+\.\d+\.\d+\n$/);
});

test('bin/sockeye.js without a build says how to build and exits 1', { timeout: TEST_TIMEOUT_MS }, async () => {
  const fake = join(tmp, 'unbuilt');
  mkdirSync(join(fake, 'bin'), { recursive: true });
  copyFileSync(join(__dirname, '..', '..', 'bin', 'sockeye.js'), join(fake, 'bin', 'sockeye.js'));
  const p = spawnProcess(process.execPath, [join(fake, 'bin', 'sockeye.js'), 'serve']);
  assert.deepEqual(await waitForExit(p), { code: 1, signal: null });
  assert.equal(p.stdout(), '');
  assert.match(p.stderr(), /^sockeye: [^\n]*npm run build[^\n]*\n$/);
});
