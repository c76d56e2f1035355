/**
 * checkAccess case by case: who may use the browser inspector. Each case is
 * one request and the decision it must get.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderPair } from '../../common/capture-record';
import { uiCookieName } from '../../common/browser-protocol';
import {
  allowedHosts, checkAccess, cookieValues, createUiSecret, isOpenTicketValue, OPEN_TICKET_WINDOW_MS, openTicket, secretMatches,
  type AccessContext, type AccessDecision,
} from './access';
import { fakeRequest, HOST, ORIGIN, UI_PORT } from './test/fake-http';

const SECRET = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const ctx: AccessContext = { secret: SECRET, uiHost: '127.0.0.1', uiPort: UI_PORT };
const cookie = (value: string, port = UI_PORT): HeaderPair => ['Cookie', `${uiCookieName(port)}=${value}`];
const TICKET = 'c'.repeat(64);
/** A context whose open ticket was made at t = 0 and is looked at at `at` (ms), used or not. */
const withTicket = (at = 1000, used = false): AccessContext => ({ ...ctx, ticket: { ...openTicket(TICKET, 0), used }, now: () => at });
const ctx80: AccessContext = { ...ctx, uiPort: 80 };

interface Case {
  name: string;
  method?: string;
  target?: string;
  headers: HeaderPair[];
  context?: AccessContext;
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
  // The one-time open ticket (npm start opens /?ticket=T; serve got T in its environment).
  { name: 'open ticket on the page → set-cookie', target: `/?ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(), expect: 'allow-and-set-cookie' },
  { name: 'open ticket on /index.html, typed URL → set-cookie', target: `/index.html?ticket=${TICKET}`, headers: [['Host', HOST], ['Sec-Fetch-Site', 'none']], context: withTicket(), expect: 'allow-and-set-cookie' },
  { name: 'open ticket already used', target: `/?ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(1000, true), expect: 401 },
  { name: 'open ticket just before its window ends', target: `/?ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(OPEN_TICKET_WINDOW_MS - 1), expect: 'allow-and-set-cookie' },
  { name: 'open ticket expired', target: `/?ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(OPEN_TICKET_WINDOW_MS), expect: 401 },
  { name: 'wrong open ticket', target: `/?ticket=${'d'.repeat(64)}`, headers: [['Host', HOST]], context: withTicket(), expect: 401 },
  { name: 'open ticket one character short', target: `/?ticket=${TICKET.slice(1)}`, headers: [['Host', HOST]], context: withTicket(), expect: 401 },
  { name: 'a ticket where none was given', target: `/?ticket=${TICKET}`, headers: [['Host', HOST]], expect: 401 },
  { name: 'empty ticket where none was given', target: '/?ticket=', headers: [['Host', HOST]], expect: 401 },
  { name: 'wrong open ticket with a right cookie', target: `/?ticket=${'d'.repeat(64)}`, headers: [['Host', HOST], cookie(SECRET)], context: withTicket(), expect: 401 },
  { name: 'open ticket given twice', target: `/?ticket=${TICKET}&ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(), expect: 401 },
  { name: 'open ticket and secret together', target: `/?ticket=${TICKET}&secret=${SECRET}`, headers: [['Host', HOST]], context: withTicket(), expect: 401 },
  { name: 'open ticket on an API path is not accepted', target: `/api/init?ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(), expect: 401 },
  { name: 'open ticket on an asset is not accepted', target: `/assets/x.js?ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(), expect: 401 },
  { name: 'open ticket on a POST is not accepted', method: 'POST', target: `/?ticket=${TICKET}`, headers: [['Host', HOST], ['Origin', ORIGIN]], context: withTicket(), expect: 401 },
  { name: 'open ticket on HEAD is not accepted', method: 'HEAD', target: `/?ticket=${TICKET}`, headers: [['Host', HOST]], context: withTicket(), expect: 401 },
  { name: 'open ticket with a rebinding Host', target: `/?ticket=${TICKET}`, headers: [['Host', `evil.example:${UI_PORT}`]], context: withTicket(), expect: 403 },
  { name: 'open ticket from another site', target: `/?ticket=${TICKET}`, headers: [['Host', HOST], ['Sec-Fetch-Site', 'cross-site']], context: withTicket(), expect: 403 },
  // --ui-port 80: browsers leave the default port out of Host and Origin.
  { name: 'port 80: Host without the port', headers: [['Host', '127.0.0.1'], cookie(SECRET, 80)], context: ctx80, expect: 'allow' },
  { name: 'port 80: Host with :80', headers: [['Host', '127.0.0.1:80'], cookie(SECRET, 80)], context: ctx80, expect: 'allow' },
  { name: 'port 80: localhost without the port', headers: [['Host', 'localhost'], cookie(SECRET, 80)], context: ctx80, expect: 'allow' },
  { name: 'port 80: [::1] without the port', headers: [['Host', '[::1]'], cookie(SECRET, 80)], context: ctx80, expect: 'allow' },
  {
    name: 'port 80: POST with an Origin without the port', method: 'POST', target: '/api/response',
    headers: [['Host', '127.0.0.1'], ['Origin', 'http://127.0.0.1'], cookie(SECRET, 80)], context: ctx80, expect: 'allow',
  },
  { name: 'port 80: the secret URL without the port', target: `/?secret=${SECRET}`, headers: [['Host', 'localhost']], context: ctx80, expect: 'allow-and-set-cookie' },
  { name: 'port 80: a foreign host without the port', headers: [['Host', 'evil.example'], cookie(SECRET, 80)], context: ctx80, expect: 403 },
  { name: 'port 80: Host with another port', headers: [['Host', '127.0.0.1:8080'], cookie(SECRET, 80)], context: ctx80, expect: 403 },
  { name: 'other port: Origin without a port', headers: [['Host', HOST], ['Origin', 'http://127.0.0.1'], cookie(SECRET)], expect: 403 },
  {
    name: 'port 80, non-loopback listener: its bare address only', headers: [['Host', 'localhost'], cookie(SECRET, 80)],
    context: { ...ctx80, uiHost: '192.168.1.5' }, expect: 403,
  },
  {
    name: 'port 80, non-loopback listener: its bare address', headers: [['Host', '192.168.1.5'], cookie(SECRET, 80)],
    context: { ...ctx80, uiHost: '192.168.1.5' }, expect: 'allow',
  },
];

for (const c of cases) {
  test(`checkAccess: ${c.name}`, () => {
    const decision = checkAccess(fakeRequest(c.method ?? 'GET', c.target ?? '/', c.headers), c.context ?? ctx);
    if (typeof c.expect === 'number') {
      assert.equal(decision.kind, 'refuse', JSON.stringify(decision));
      assert.equal((decision as { status: number }).status, c.expect);
      assert.ok(!(decision as { reason: string }).reason.includes(SECRET), 'the reason never echoes the secret');
      assert.ok(!(decision as { reason: string }).reason.includes(TICKET), 'nor the ticket');
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

test('checkAccess: the open ticket is good once; refusals elsewhere do not use it up', () => {
  const context = withTicket();
  const ticket = context.ticket!;
  // Not a page GET, or not our Host: refused, and the ticket is still there for the browser.
  assert.equal(checkAccess(fakeRequest('GET', `/api/init?ticket=${TICKET}`), context).kind, 'refuse');
  assert.equal(checkAccess(fakeRequest('POST', `/?ticket=${TICKET}`, [['Host', HOST], ['Origin', ORIGIN]]), context).kind, 'refuse');
  assert.equal(checkAccess(fakeRequest('GET', `/?ticket=${TICKET}`, [['Host', `evil.example:${UI_PORT}`]]), context).kind, 'refuse');
  assert.equal(checkAccess(fakeRequest('GET', `/?ticket=${'d'.repeat(64)}`), context).kind, 'refuse');
  assert.equal(ticket.used, false);

  const d = checkAccess(fakeRequest('GET', `/?a=1&ticket=${TICKET}`), context);
  assert.equal(d.kind, 'allow-and-set-cookie');
  if (d.kind !== 'allow-and-set-cookie') return;
  assert.equal(d.location, '/?a=1', 'the ticket is dropped from the address');
  assert.deepEqual(d.headers, [
    ['Set-Cookie', `${uiCookieName(UI_PORT)}=${SECRET}; HttpOnly; SameSite=Strict; Path=/`],
    ['Cache-Control', 'no-store'],
    ['Referrer-Policy', 'no-referrer'],
  ]);
  assert.equal(ticket.used, true);

  const again = checkAccess(fakeRequest('GET', `/?ticket=${TICKET}`), context);
  assert.equal(again.kind, 'refuse');
  assert.equal(again.kind === 'refuse' && again.status, 401);
  // The cookie it handed out works; the secret URL still works too.
  assert.equal(checkAccess(fakeRequest('GET', '/', [['Host', HOST], cookie(SECRET)]), context).kind, 'allow');
  assert.equal(checkAccess(fakeRequest('GET', `/?secret=${SECRET}`), context).kind, 'allow-and-set-cookie');
});

test('openTicket and isOpenTicketValue', () => {
  assert.deepEqual(openTicket(TICKET, 5), { value: TICKET, expiresAt: 5 + OPEN_TICKET_WINDOW_MS, used: false });
  assert.equal(OPEN_TICKET_WINDOW_MS, 60_000);
  assert.equal(isOpenTicketValue(TICKET), true);
  assert.equal(isOpenTicketValue(createUiSecret()), true);
  for (const bad of ['', 'c'.repeat(63), 'c'.repeat(65), 'C'.repeat(64), `${'c'.repeat(63)}g`, `${'c'.repeat(64)}\n`]) {
    assert.equal(isOpenTicketValue(bad), false, JSON.stringify(bad));
  }
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
  // Port 80 only: also without the port, as browsers send Host and Origin for http://HOST/.
  assert.deepEqual([...allowedHosts('127.0.0.1', 80)].sort(), ['127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:80', 'localhost', 'localhost:80']);
  assert.deepEqual([...allowedHosts('fd00::2', 80)].sort(), ['[fd00::2]', '[fd00::2]:80']);
  assert.deepEqual([...allowedHosts('10.0.0.2', 8080)], ['10.0.0.2:8080']);
});
