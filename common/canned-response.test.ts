import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cannedBodyByteLength, DEFAULT_CANNED_RESPONSE, formatFieldErrors, validateCannedResponse } from './canned-response';

const base = { status: 200, reason: '', headers: [['X-Test', 'yes']], body: 'hi', bodyEncoding: 'utf8' };

const refused: { name: string; input: unknown; field: string; message: RegExp }[] = [
  { name: 'not an object', input: 'nope', field: '', message: /must be an object/ },
  { name: 'status below range', input: { ...base, status: 99 }, field: 'status', message: /200 to 599/ },
  { name: 'status above range', input: { ...base, status: 600 }, field: 'status', message: /200 to 599/ },
  { name: 'status not whole', input: { ...base, status: 200.5 }, field: 'status', message: /whole number/ },
  { name: 'interim status', input: { ...base, status: 100 }, field: 'status', message: /200 to 599/ },
  { name: 'CR LF in a header value', input: { ...base, headers: [['X-A', 'a\r\nInjected: 1']] }, field: 'headers[0].value', message: /CR or LF/ },
  { name: 'bare LF in a header value', input: { ...base, headers: [['X-A', 'a\nb']] }, field: 'headers[0].value', message: /CR or LF/ },
  { name: 'NUL in a header value', input: { ...base, headers: [['X-A', 'a\u0000']] }, field: 'headers[0].value', message: /NUL/ },
  { name: 'space in a header name', input: { ...base, headers: [['X A', 'v']] }, field: 'headers[0].name', message: /token/ },
  { name: 'empty header name', input: { ...base, headers: [['', 'v']] }, field: 'headers[0].name', message: /empty/ },
  { name: 'Content-Length is computed', input: { ...base, headers: [['content-length', '5']] }, field: 'headers[0].name', message: /computed/ },
  { name: 'Transfer-Encoding refused', input: { ...base, headers: [['Transfer-Encoding', 'chunked']] }, field: 'headers[0].name', message: /not supported/ },
  { name: 'header not a pair', input: { ...base, headers: [['only-name']] }, field: 'headers[0]', message: /pair/ },
  { name: 'non-Latin-1 header value', input: { ...base, headers: [['X-A', 'snow ☃']] }, field: 'headers[0].value', message: /Latin-1/ },
  { name: 'CR in reason', input: { ...base, reason: 'OK\r\nX: 1' }, field: 'reason', message: /CR or LF/ },
  { name: 'bad base64', input: { ...base, body: '!!!', bodyEncoding: 'base64' }, field: 'body', message: /base64/ },
  { name: 'unknown encoding', input: { ...base, bodyEncoding: 'hex' }, field: 'bodyEncoding', message: /utf8/ },
  { name: 'body on 204', input: { ...base, status: 204, body: 'x' }, field: 'body', message: /204 response cannot have a body/ },
  { name: 'unknown field', input: { ...base, colour: 'red' }, field: 'colour', message: /unknown field/ },
];

for (const c of refused) {
  test(`validateCannedResponse refuses: ${c.name}`, () => {
    const result = validateCannedResponse(c.input);
    assert.equal(result.ok, false);
    if (result.ok) return;
    const error = result.errors.find((e) => e.field === c.field);
    assert.ok(error, `no error for field "${c.field}": ${formatFieldErrors(result.errors)}`);
    assert.match(error.message, c.message);
  });
}

test('validateCannedResponse accepts a full response and fills defaults', () => {
  const result = validateCannedResponse({ status: 201, headers: [['Location', '/x'], ['X-Dup', '1'], ['X-Dup', '2']], body: 'aGk=', bodyEncoding: 'base64' });
  assert.deepEqual(result, {
    ok: true,
    value: { status: 201, reason: '', headers: [['Location', '/x'], ['X-Dup', '1'], ['X-Dup', '2']], body: 'aGk=', bodyEncoding: 'base64' },
  });
  assert.equal(validateCannedResponse(DEFAULT_CANNED_RESPONSE).ok, true);
});

test('every problem is reported at once', () => {
  const result = validateCannedResponse({ status: 42, headers: [['a b', 'x\r']], body: 1 });
  assert.equal(result.ok, false);
  if (!result.ok) assert.deepEqual(result.errors.map((e) => e.field), ['status', 'headers[0].name', 'headers[0].value', 'body']);
});

const lengths: [string, string, 'utf8' | 'base64', number | null][] = [
  ['ascii', 'hello', 'utf8', 5],
  ['two-byte UTF-8', 'é', 'utf8', 2],
  ['three-byte UTF-8', '☃', 'utf8', 3],
  ['surrogate pair', '😀', 'utf8', 4],
  ['two lone high surrogates', '\ud800\ud800', 'utf8', 6],
  ['lone low surrogate', 'a\udc00', 'utf8', 4],
  ['high surrogate at the end', 'a\ud800', 'utf8', 4],
  ['base64 with padding', 'aGk=', 'base64', 2],
  ['base64 without padding', 'aGVsbG8h', 'base64', 6],
  ['base64 with line breaks', 'aGVs\nbG8h', 'base64', 6],
  ['invalid base64', 'a', 'base64', null],
];
for (const [name, body, encoding, expected] of lengths) {
  test(`cannedBodyByteLength: ${name}`, () => {
    assert.equal(cannedBodyByteLength(body, encoding), expected);
    if (expected !== null) assert.equal(Buffer.from(body, encoding).length, expected);
  });
}
