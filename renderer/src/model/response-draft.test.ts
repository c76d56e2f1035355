import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CANNED_RESPONSE, type CannedResponse } from '../../../common/canned-response';
import {
  contentTypeChoice, draftFromResponse, errorsByField, sameResponse, validateDraft, withContentType, type ResponseDraft,
} from './response-draft';

function draft(overrides: Partial<ResponseDraft> = {}): ResponseDraft {
  return { ...draftFromResponse(DEFAULT_CANNED_RESPONSE), ...overrides };
}

function header(name: string, value: string): ResponseDraft['headers'][number] {
  return { key: 0, name, value };
}

test('a response becomes a draft and back unchanged', () => {
  const r: CannedResponse = { status: 418, reason: 'Short', headers: [['X-A', '1'], ['x-a', '2']], body: 'b', bodyEncoding: 'utf8' };
  const back = validateDraft(draftFromResponse(r));
  assert.deepEqual(back, { ok: true, value: r });
  const keys = draftFromResponse(r).headers.map((h) => h.key);
  assert.equal(new Set(keys).size, 2, 'row keys are distinct');
});

test('invalid drafts are refused with the field they concern', () => {
  // draft overrides, expected fields in error
  const cases: [Partial<ResponseDraft>, string[]][] = [
    [{ status: '' }, ['status']],
    [{ status: '20x' }, ['status']],
    [{ status: '99' }, ['status']],
    [{ status: '600' }, ['status']],
    [{ status: ' 404 ' }, []],
    [{ status: '204', body: 'not allowed' }, ['body']],
    [{ status: '204', body: '' }, []],
    [{ reason: 'bad\r\nreason' }, ['reason']],
    [{ headers: [header('X-Ok', 'fine'), header('Bad Name', 'v')] }, ['headers[1].name']],
    [{ headers: [header('X-Inject', 'a\r\nSet-Cookie: x')] }, ['headers[0].value']],
    [{ headers: [header('Content-Length', '5')] }, ['headers[0].name']],
    [{ headers: [header('', 'v')] }, ['headers[0].name']],
    [{ bodyEncoding: 'base64', body: 'not base64!' }, ['body']],
    [{ bodyEncoding: 'base64', body: 'aGk=' }, []],
  ];
  for (const [overrides, fields] of cases) {
    const r = validateDraft(draft(overrides));
    assert.deepEqual(r.ok ? [] : r.errors.map((e) => e.field), fields, JSON.stringify(overrides));
  }
});

test('the content-type select follows and sets the Content-Type row', () => {
  const plain = draft({ headers: [header('X-A', '1'), header('content-type', 'text/plain; charset=utf-8')] });
  assert.equal(contentTypeChoice(plain), 'text/plain');
  const json = withContentType(plain, 'application/json');
  assert.deepEqual(json.headers.map((h) => [h.name, h.value]), [['X-A', '1'], ['content-type', 'application/json']]);
  assert.equal(contentTypeChoice(json), 'application/json');
  assert.equal(contentTypeChoice(draft({ headers: [header('Content-Type', 'image/png')] })), 'custom');
  assert.equal(contentTypeChoice(draft({ headers: [] })), 'none');
  const added = withContentType(draft({ headers: [header('X-A', '1')] }), 'text/html');
  assert.deepEqual(added.headers.map((h) => [h.name, h.value]), [['X-A', '1'], ['Content-Type', 'text/html; charset=utf-8']]);
  const removed = withContentType(plain, 'none');
  assert.deepEqual(removed.headers.map((h) => h.name), ['X-A']);
  assert.equal(withContentType(plain, 'custom'), plain);
});

test('errors group by field; sameResponse compares every part', () => {
  const grouped = errorsByField([{ field: 'status', message: 'a' }, { field: 'body', message: 'b' }, { field: 'status', message: 'c' }]);
  assert.deepEqual([...grouped], [['status', ['a', 'c']], ['body', ['b']]]);
  const base: CannedResponse = { status: 200, reason: '', headers: [['A', '1']], body: 'x', bodyEncoding: 'utf8' };
  const variants: Partial<CannedResponse>[] = [{ status: 201 }, { reason: 'R' }, { headers: [['A', '2']] }, { headers: [] }, { body: 'y' }, { bodyEncoding: 'base64' }];
  assert.equal(sameResponse(base, { ...base, headers: [['A', '1']] }), true);
  for (const v of variants) assert.equal(sameResponse(base, { ...base, ...v }), false, JSON.stringify(v));
});
