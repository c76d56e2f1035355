/** createRouter, plainText and json, called with fake HandlerRequests. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { HandlerRequest, RequestHandler } from './http-handler';
import { createRouter, json, plainText, type Route } from './router';
import { asWhole, bodyText, fakeRequest, responseHeader } from './test/handler-request';

/** A handler that answers with its own name, so each case can see which route ran. */
const named = (name: string): RequestHandler => (req: HandlerRequest) => plainText(200, `${name} ${req.method} ${req.path}`);

const ROUTES: Route[] = [
  { path: '/api/init', methods: ['GET'], handler: named('init') },
  { path: '/api/response', methods: ['POST'], handler: named('response') },
  { path: '/api/both', methods: ['GET', 'POST'], handler: named('both-get-post') },
  { path: '/api/both', methods: ['DELETE'], handler: named('both-delete') },
  { path: '/api/head-only', methods: ['HEAD'], handler: named('head-only') },
  { path: '/files/*', methods: ['GET'], handler: named('files') },
  { path: '/files/special', methods: ['PUT'], handler: named('special') },
];

interface Case {
  name: string;
  method: string;
  target: string;
  status: number;
  /** The body for 200s (which route ran), or the Allow value for 405s. */
  expect?: string;
}

const CASES: Case[] = [
  { name: 'exact path and method', method: 'GET', target: '/api/init', status: 200, expect: 'init GET /api/init' },
  { name: 'the query is not part of the path', method: 'GET', target: '/api/init?x=1', status: 200, expect: 'init GET /api/init' },
  { name: 'HEAD goes where GET does', method: 'HEAD', target: '/api/init', status: 200, expect: 'init HEAD /api/init' },
  { name: 'wrong method: 405 with Allow (GET implies HEAD)', method: 'POST', target: '/api/init', status: 405, expect: 'GET, HEAD' },
  { name: 'POST-only route refuses GET, Allow has no HEAD', method: 'GET', target: '/api/response', status: 405, expect: 'POST' },
  { name: 'POST-only route refuses HEAD', method: 'HEAD', target: '/api/response', status: 405, expect: 'POST' },
  { name: 'second route with the same path takes its method', method: 'DELETE', target: '/api/both', status: 200, expect: 'both-delete DELETE /api/both' },
  { name: 'Allow unites every route with the path', method: 'PATCH', target: '/api/both', status: 405, expect: 'GET, HEAD, POST, DELETE' },
  { name: 'HEAD-only route does not take GET', method: 'GET', target: '/api/head-only', status: 405, expect: 'HEAD' },
  { name: 'methods are case-sensitive', method: 'get', target: '/api/init', status: 405, expect: 'GET, HEAD' },
  { name: 'prefix route matches below it', method: 'GET', target: '/files/a/b.txt', status: 200, expect: 'files GET /files/a/b.txt' },
  { name: 'prefix route matches its folder with the slash', method: 'GET', target: '/files/', status: 200, expect: 'files GET /files/' },
  { name: 'prefix route does not match without the slash', method: 'GET', target: '/files', status: 404 },
  { name: 'prefix route does not match a longer name', method: 'GET', target: '/filesystem', status: 404 },
  { name: 'earlier prefix route wins for its method', method: 'GET', target: '/files/special', status: 200, expect: 'files GET /files/special' },
  { name: 'later exact route takes another method', method: 'PUT', target: '/files/special', status: 200, expect: 'special PUT /files/special' },
  { name: 'Allow unites a prefix route and an exact one', method: 'POST', target: '/files/special', status: 405, expect: 'GET, HEAD, PUT' },
  { name: 'paths are compared as sent (no percent-decoding)', method: 'GET', target: '/api/%69nit', status: 404 },
  { name: 'paths are case-sensitive', method: 'GET', target: '/API/init', status: 404 },
  { name: 'trailing slash is another path', method: 'GET', target: '/api/init/', status: 404 },
  { name: 'unknown path', method: 'GET', target: '/nope', status: 404 },
  { name: 'asterisk-form', method: 'OPTIONS', target: '*', status: 404 },
];

describe('createRouter: one request per case', () => {
  const router = createRouter(ROUTES);
  for (const c of CASES) {
    test(c.name, () => {
      const res = asWhole(router(fakeRequest(c.method, c.target)));
      assert.equal(res.status, c.status, bodyText(res));
      if (c.status === 200) assert.equal(bodyText(res), c.expect);
      if (c.status === 405) {
        assert.equal(responseHeader(res, 'allow'), c.expect);
        assert.equal(responseHeader(res, 'cache-control'), 'no-store');
      } else {
        assert.equal(responseHeader(res, 'allow'), null);
      }
    });
  }
});

describe('createRouter: fallback and ownership', () => {
  test('unmatched paths go to the fallback; matched paths with a wrong method do not', () => {
    const seen: string[] = [];
    const router = createRouter(ROUTES, (req) => (seen.push(`${req.method} ${req.path}`), plainText(418, 'fallback')));
    assert.equal(asWhole(router(fakeRequest('GET', '/other'))).status, 418);
    assert.equal(asWhole(router(fakeRequest('POST', '/other'))).status, 418);
    assert.equal(asWhole(router(fakeRequest('POST', '/api/init'))).status, 405);
    assert.deepEqual(seen, ['GET /other', 'POST /other']);
  });

  test('an empty route table sends everything to the fallback, or 404s', () => {
    assert.equal(asWhole(createRouter([])(fakeRequest('GET', '/'))).status, 404);
    assert.equal(asWhole(createRouter([], named('fb'))(fakeRequest('GET', '/'))).status, 200);
  });

  test('the route array is copied: changing it afterwards changes nothing', () => {
    const routes: Route[] = [{ path: '/a', methods: ['GET'], handler: named('a') }];
    const router = createRouter(routes);
    routes.push({ path: '/b', methods: ['GET'], handler: named('b') });
    routes[0]!.path = '/changed';
    assert.equal(asWhole(router(fakeRequest('GET', '/a'))).status, 200);
    assert.equal(asWhole(router(fakeRequest('GET', '/b'))).status, 404);
  });

  test('a route listing HEAD and GET itself gets one HEAD in Allow', () => {
    const router = createRouter([{ path: '/x', methods: ['HEAD', 'GET', 'GET'], handler: named('x') }]);
    assert.equal(responseHeader(asWhole(router(fakeRequest('POST', '/x'))), 'allow'), 'HEAD, GET');
  });

  test('a handler that throws is not caught by the router (the engine answers 500)', () => {
    const router = createRouter([{ path: '/boom', methods: ['GET'], handler: () => { throw new Error('boom'); } }]);
    assert.throws(() => router(fakeRequest('GET', '/boom')), /boom/);
  });

  test('the request object reaches the handler unchanged', () => {
    let got: HandlerRequest | null = null;
    const router = createRouter([{ path: '/echo', methods: ['POST'], handler: (req) => ((got = req), plainText(200, '')) }]);
    const req = fakeRequest('POST', '/echo?q=1', [['X-A', 'b']], 'body');
    router(req);
    assert.equal(got, req);
  });
});

describe('plainText and json', () => {
  test('plainText: status, UTF-8 text, no-store, nosniff', () => {
    const res = plainText(503, 'café\n');
    assert.equal(res.kind, 'whole');
    assert.equal(res.status, 503);
    assert.equal(res.body, 'café\n');
    assert.deepEqual(res.headers, [['Content-Type', 'text/plain; charset=utf-8'], ['Cache-Control', 'no-store'], ['X-Content-Type-Options', 'nosniff']]);
  });

  const JSON_CASES: [string, unknown, string][] = [
    ['object', { a: [1, 'x'], b: null }, '{"a":[1,"x"],"b":null}'],
    ['string', 'he said "hi"', '"he said \\"hi\\""'],
    ['null', null, 'null'],
    ['undefined becomes null', undefined, 'null'],
    ['number', 42, '42'],
  ];
  for (const [name, value, body] of JSON_CASES) {
    test(`json: ${name}`, () => {
      const res = json(201, value);
      assert.equal(res.status, 201);
      assert.equal(res.body, body);
      assert.equal(responseHeader(res, 'content-type'), 'application/json');
      assert.equal(responseHeader(res, 'cache-control'), 'no-store');
    });
  }

  test('json: a value JSON cannot encode throws', () => {
    assert.throws(() => json(200, { n: 1n }), TypeError);
  });
});
