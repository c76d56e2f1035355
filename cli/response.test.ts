import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildResponse, readResponseFile, type ResponseFlags } from './response';

const NO_FLAGS: ResponseFlags = { status: null, headers: [], body: null };
const flags = (f: Partial<ResponseFlags>): ResponseFlags => ({ ...NO_FLAGS, ...f });

const CASES: Array<{ name: string; file: unknown; flags: ResponseFlags; want: unknown }> = [
  {
    name: 'no file, no flags: the default response',
    file: undefined,
    flags: NO_FLAGS,
    want: { ok: true, value: { status: 200, reason: '', headers: [['Content-Type', 'text/plain; charset=utf-8']], body: 'ok\n', bodyEncoding: 'utf8' } },
  },
  {
    name: 'no file: a --header replaces the default field of that name, case-insensitively',
    file: undefined,
    flags: flags({ headers: [['X-A', '1'], ['content-type', 'application/json']], body: '{}' }),
    want: { ok: true, value: { status: 200, reason: '', headers: [['X-A', '1'], ['content-type', 'application/json']], body: '{}', bodyEncoding: 'utf8' } },
  },
  {
    name: 'no file: --status 204 drops the default body',
    file: undefined,
    flags: flags({ status: 204 }),
    want: { ok: true, value: { status: 204, reason: '', headers: [['Content-Type', 'text/plain; charset=utf-8']], body: '', bodyEncoding: 'utf8' } },
  },
  {
    name: 'file fields, flags override status and body and append headers',
    file: { status: 201, reason: 'Made', headers: [['B', '2'], ['A', '1']], body: 'aGk=', bodyEncoding: 'base64' },
    flags: flags({ status: 202, headers: [['C', '3']], body: 'text' }),
    want: { ok: true, value: { status: 202, reason: '', headers: [['B', '2'], ['A', '1'], ['C', '3']], body: 'text', bodyEncoding: 'utf8' } },
  },
  {
    name: 'file alone is used as written',
    file: { status: 418, reason: 'Teapot', headers: [['X', 'y']], body: 'aGk=', bodyEncoding: 'base64' },
    flags: NO_FLAGS,
    want: { ok: true, value: { status: 418, reason: 'Teapot', headers: [['X', 'y']], body: 'aGk=', bodyEncoding: 'base64' } },
  },
  {
    name: 'invalid file: CRLF in a header value is the file\'s problem',
    file: { status: 200, headers: [['X-Bad', 'a\r\nInjected: 1']] },
    flags: NO_FLAGS,
    want: { ok: false, origin: 'file', error: 'response file r.json is invalid: headers[0].value: value of "X-Bad" must not contain CR or LF' },
  },
  {
    name: 'invalid file: not an object',
    file: [1, 2],
    flags: NO_FLAGS,
    want: { ok: false, origin: 'file', error: 'response file r.json is invalid: response must be an object' },
  },
  {
    name: 'invalid file: unknown field and bad status',
    file: { status: 99, colour: 'red' },
    flags: NO_FLAGS,
    want: { ok: false, origin: 'file', error: 'response file r.json is invalid: colour: unknown field "colour"; status: status must be a whole number from 200 to 599' },
  },
  {
    name: 'flags that make a valid file invalid are the arguments\' problem',
    file: { body: 'content' },
    flags: flags({ status: 204 }),
    want: { ok: false, origin: 'arguments', error: 'invalid response: body: a 204 response cannot have a body' },
  },
  {
    name: 'bad --header name',
    file: undefined,
    flags: flags({ headers: [['X A', '1']] }),
    want: { ok: false, origin: 'arguments', error: 'invalid --header: header name "X A" has characters not allowed in a token' },
  },
  {
    name: 'a --header with CRLF in its value, after a valid one',
    file: { headers: [['A', '1']] },
    flags: flags({ headers: [['X-Ok', '1'], ['X-Bad', 'a\nb']] }),
    want: { ok: false, origin: 'arguments', error: 'invalid --header: value of "X-Bad" must not contain CR or LF' },
  },
  {
    name: 'engine-owned --header',
    file: undefined,
    flags: flags({ headers: [['Content-Length', '5']] }),
    want: { ok: false, origin: 'arguments', error: 'invalid --header: Content-Length is computed from the body' },
  },
];

for (const c of CASES) {
  test(`response: ${c.name}`, () => {
    assert.deepEqual(buildResponse(c.file, c.flags, 'r.json'), c.want);
  });
}

test('response: readResponseFile reads JSON and reports each file problem on one line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-response-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.json');
  writeFileSync(good, '{"status": 201}');
  assert.deepEqual(readResponseFile(good), { ok: true, value: { status: 201 } });

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"status": 201,\n}');
  const parsed = readResponseFile(bad);
  assert.equal(parsed.ok, false);
  assert.ok(!parsed.ok && parsed.origin === 'file');
  assert.match(!parsed.ok ? parsed.error : '', /^response file .*bad\.json is not valid JSON: [^\n]+$/);

  const missing = join(dir, 'missing.json');
  assert.deepEqual(readResponseFile(missing), {
    ok: false, origin: 'file', error: `cannot read response file ${missing}: no such file (ENOENT)`,
  });
  assert.deepEqual(readResponseFile(dir), {
    ok: false, origin: 'file', error: `cannot read response file ${dir}: it is a directory (EISDIR)`,
  });
});
