/**
 * checkAccess case by case: who may use the browser inspector. Each case is
 * one request and the decision it must get.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderPair } from '../../common/capture-record';
import { uiCookieName } from '../../common/browser-protocol';
import { allowedHosts, checkAccess, cookieValues, createUiSecret, secretMatches, type AccessDecision } from './access';
import { fakeRequest, HOST, ORIGIN, UI_PORT } from './test/fake-http';

const SECRET = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const ctx = { secret: SECRET, uiHost: '127.0.0.1', uiPort: UI_PORT };
const cookie = (value: string, port = UI_PORT): HeaderPair => ['Cookie', `${uiCookieName(port)}=${value}`];

interface Case {
  name: string;
  method?: string;
  target?: string;
  headers: HeaderPair[];
  context?: typeof ctx;
  expect: AccessDecision['kind'] | 401 | 403;
}

const cases: Case[] = [
  { name: 'no secret', headers: [['Host', HOST]], expect: 401 },
  { name: 'wrong secret in the cookie', headers: [['Host', HOST], cookie(OTHER)], expect: 401 },
  { name: 'wrong-length secret in the cookie', headers: [['Host', HOST], cookie(SECRET.slice(1))], expect: 401 },
  { name: 'secret one character longer', headers: [['Host', HOST], cookie(`${SECRET}a`)], expect: 401 },
  { name: 'empty cookie value', headers: [['Host', HOST], cookie('')], expect: 401 },
  { name: 'right cookie', headers: [['Host', HOST], cookie(SECRET)], expect: 'allow' },
  { name: 'right cookie among others in one Cookie field', headers: [['Host', HOST], ['Cookie', `a=1; ${uiCookieName(UI_PORT)}=${SECRET}; b=2`]], expect: 'allow' },
  { name: 'right cookie in a second Cookie field', headers: [['Host', HOST], ['Cookie', 'a=1'], ['cookie', `${uiCookieName(UI_PORT)}=${SECRET}`]], expect: 'allow' },
  { name: 'right cookie in double quotes', headers: [['Host', HOST], cookie(`"${SECRET}"`)], expect: 'allow' },
  { name: 'right cookie beside a planted wrong one of the same name', headers: [['Host', HOST], ['Cookie', `${uiCookieName(UI_PORT)}=x; ${uiCookieName(UI_PORT)}=${SECRET}`]], expect: 'allow' },
  { name: 'cookie of another port\'s name', headers: [['Host', HOST], cookie(SECRET, UI_PORT + 1)], expect: 401 },
  { name: 'secret under a name that only ends like ours', headers: [['Host', HOST], ['Cookie', `x${uiCookieName(UI_PORT)}=${SECRET}`]], expect: 401 },
  { name: 'right query → set-cookie', target: `/?secret=${SECRET}`, headers: [['Host', HOST]], expect: 'allow-and-set-cookie' },
  { name: 'right query on /index.html → set-cookie', target: `/index.html?secret=${SECRET}`, headers: [['Host', HOST]], expect: 'allow-and-set-cookie' },
  { name: 'wrong query secret', target: `/?secret=${OTHER}`, headers: [['Host', HOST]], expect: 401 },
  { name: 'wrong query secret with a right cookie', target: `/?secret=${OTHER}`, headers: [['Host', HOST], cookie(SECRET)], expect: 401 },
  { name: 'query secret given twice', target: `/?secret=${SECRET}&secret=${SECRET}`, headers: [['Host', HOST]], expect: 401 },
  { name: 'query secret on an API path is not accepted', target: `/api/init?secret=${SECRET}`, headers: [['Host', HOST]], expect: 401 },
  { name: 'query secret on an asset is not accepted', target: `/assets/x.js?secret=${SECRET}`, headers: [['Host', HOST]], expect: 401 },
  { name: 'query secret on a POST is not accepted', method: 'POST', target: `/?secret=${SECRET}`, headers: [['Host', HOST], ['Origin', ORIGIN]], expect: 401 },
  { name: 'query secret on HEAD is not accepted', method: 'HEAD', target: `/?secret=${SECRET}`, headers: [['Host', HOST]], expect: 401 },
  { name: 'foreign Origin', headers: [['Host', HOST], ['Origin', 'http://evil.example'], cookie(SECRET)], expect: 403 },
  { name: 'null Origin', headers: [['Host', HOST], ['Origin', 'null'], cookie(SECRET)], expect: 403 },
  { name: 'https Origin of our host', headers: [['Host', HOST], ['Origin', `https://${HOST}`], cookie(SECRET)], expect: 403 },
  { name: 'Origin with another port', headers: [['Host', HOST], ['Origin', `http://127.0.0.1:${UI_PORT + 1}`], cookie(SECRET)], expect: 403 },
  { name: 'two Origin headers', headers: [['Host', HOST], ['Origin', ORIGIN], ['Origin', ORIGIN], cookie(SECRET)], expect: 403 },
  { name: 'our Origin on a GET', headers: [['Host', HOST], ['Origin', ORIGIN], cookie(SECRET)], expect: 'allow' },
  { name: 'localhost Origin and Host', headers: [['Host', `localhost:${UI_PORT}`], ['Origin', `http://localhost:${UI_PORT}`], cookie(SECRET)], expect: 'allow' },
  { name: 'foreign Host', headers: [['Host', `example.com:${UI_PORT}`], cookie(SECRET)], expect: 403 },
  { name: 'Host with wrong port', headers: [['Host', `127.0.0.1:${UI_PORT + 1}`], cookie(SECRET)], expect: 403 },
  { name: 'Host without a port', headers: [['Host', '127.0.0.1'], cookie(SECRET)], expect: 403 },
  { name: 'two Host headers', headers: [['Host', HOST], ['Host', HOST], cookie(SECRET)], expect: 403 },
  { name: 'no Host header', headers: [cookie(SECRET)], expect: 403 },
  { name: 'rebinding host evil.example:PORT', headers: [['Host', `evil.example:${UI_PORT}`], cookie(SECRET)], expect: 403 },
  { name: 'rebinding host with the secret in the query', target: `/?secret=${SECRET}`, headers: [['Host', `evil.example:${UI_PORT}`]], expect: 403 },
  { name: 'Host in upper case', headers: [['Host', `LOCALHOST:${UI_PORT}`], cookie(SECRET)], expect: 'allow' },
  { name: 'Host [::1]:PORT on a loopback listener', headers: [['Host', `[::1]:${UI_PORT}`], cookie(SECRET)], expect: 'allow' },
  { name: 'cross-site Sec-Fetch-Site', headers: [['Host', HOST], ['Sec-Fetch-Site', 'cross-site'], cookie(SECRET)], expect: 403 },
  { name: 'same-site Sec-Fetch-Site (another port)', headers: [['Host', HOST], ['Sec-Fetch-Site', 'same-site'], cookie(SECRET)], expect: 403 },
  { name: 'same-origin Sec-Fetch-Site', headers: [['Host', HOST], ['Sec-Fetch-Site', 'same-origin'], cookie(SECRET)], expect: 'allow' },
  { name: 'typed URL: Sec-Fetch-Site none', target: `/?secret=${SECRET}`, headers: [['Host', HOST], ['Sec-Fetch-Site', 'none']], expect: 'allow-and-set-cookie' },
  { name: 'POST without Origin', method: 'POST', target: '/api/response', headers: [['Host', HOST], cookie(SECRET)], expect: 403 },
  { name: 'PUT without Origin', method: 'PUT', target: '/api/response', headers: [['Host', HOST], cookie(SECRET)], expect: 403 },
  { name: 'POST with our Origin and the cookie', method: 'POST', target: '/api/response', headers: [['Host', HOST], ['Origin', ORIGIN], cookie(SECRET)], expect: 'allow' },
  { name: 'POST with our Origin, no cookie', method: 'POST', target: '/api/response', headers: [['Host', HOST], ['Origin', ORIGIN]], expect: 401 },
  {
    name: 'non-loopback listener: its own address only', headers: [['Host', `localhost:${UI_PORT}`], cookie(SECRET)],
    context: { ...ctx, uiHost: '192.168.1.5' }, expect: 403,
  },
  {
    name: 'non-loopback listener: its address as Host', headers: [['Host', `192.168.1.5:${UI_PORT}`], cookie(SECRET)],
    context: { ...ctx, uiHost: '192.168.1.5' }, expect: 'allow',
  },
];

for (const c of cases) {
  test(`checkAccess: ${c.name}`, () => {
    const decision = checkAccess(fakeRequest(c.method ?? 'GET', c.target ?? '/', c.headers), c.context ?? ctx);
    if (typeof c.expect === 'number') {
      assert.equal(decision.kind, 'refuse', JSON.stringify(decision));
      assert.equal((decision as { status: number }).status, c.expect);
      assert.ok(!(decision as { reason: string }).reason.includes(SECRET), 'the reason never echoes the secret');
    } else {
      assert.equal(decision.kind, c.expect, JSON.stringify(decision));
    }
  });
}

test('checkAccess: the redirect drops only the secret and sets a strict host-only cookie', () => {
  const d = checkAccess(fakeRequest('GET', `/?a=1&secret=${SECRET}&b=2`), ctx);
  assert.equal(d.kind, 'allow-and-set-cookie');
  if (d.kind !== 'allow-and-set-cookie') return;
  assert.equal(d.location, '/?a=1&b=2');
  assert.deepEqual(d.headers, [
    ['Set-Cookie', `${uiCookieName(UI_PORT)}=${SECRET}; HttpOnly; SameSite=Strict; Path=/`],
    ['Cache-Control', 'no-store'],
    ['Referrer-Policy', 'no-referrer'],
  ]);
  const plain = checkAccess(fakeRequest('GET', `/?secret=${SECRET}`), ctx);
  assert.equal(plain.kind === 'allow-and-set-cookie' && plain.location, '/');
});

test('createUiSecret: 64 hex digits, different each time', () => {
  const a = createUiSecret();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, createUiSecret());
});

test('secretMatches and cookieValues', () => {
  assert.equal(secretMatches(SECRET, SECRET), true);
  assert.equal(secretMatches(OTHER, SECRET), false);
  assert.equal(secretMatches('', SECRET), false);
  assert.deepEqual(cookieValues([['Cookie', 'x=1;y=2 ; x = 3'], ['COOKIE', 'x=4'], ['Set-Cookie', 'x=5']], 'x'), ['1', '3', '4']);
  assert.deepEqual(cookieValues([['Cookie', 'novalue; x=a=b']], 'x'), ['a=b']);
});

test('allowedHosts: loopback names only for a loopback listener; IPv6 in brackets', () => {
  assert.deepEqual([...allowedHosts('127.0.0.1', 5)].sort(), ['127.0.0.1:5', '[::1]:5', 'localhost:5']);
  assert.deepEqual([...allowedHosts('::1', 5)].sort(), ['127.0.0.1:5', '[::1]:5', 'localhost:5']);
  assert.deepEqual([...allowedHosts('10.0.0.2', 5)], ['10.0.0.2:5']);
  assert.deepEqual([...allowedHosts('fd00::2', 5)], ['[fd00::2]:5']);
});
